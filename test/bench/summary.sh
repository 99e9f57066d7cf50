#!/bin/bash
# The clv benchmark: clv_summary against the cheapest per-customer scan and
# against the same summary written in plain SQL.
#
#   test/bench/summary.sh [N_MILLION_ORDERS]      (default 10; decimals allowed)
#
# Runs scripts/setup.sh (dependencies, build, install), then on a throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit):
#   1. checks on a small data set plus edge cases that the plain-SQL query
#      gives what clv_summary gives (test/bench/check_equivalence.sql);
#   2. generates N million orders over N/10 million customers
#      (test/bench/generate.sql), VACUUM ANALYZE, loads it into shared_buffers;
#   3. times the three queries of test/bench/ in one session, warm, single
#      core, RUNS (default 3) interleaved rounds after a warm-up round, and
#      prints the medians (test/bench/time_queries.sql).
# Environment: RUNS, BENCH_TZ (session TimeZone, default America/New_York,
# a zone with daylight saving time), SEED (default 0.42).
# About 30 seconds for N=1 and 4 minutes for N=10 on two cores, after setup.
set -euo pipefail
cd "$(dirname "$0")/../.."

n_million=${1:-10}
if ! [[ $n_million =~ ^[0-9]+(\.[0-9]+)?$ ]] || [[ $n_million =~ ^0+(\.0+)?$ ]]; then
    echo "usage: test/bench/summary.sh [N_MILLION_ORDERS]   (a positive number, default 10)" >&2
    exit 2
fi
RUNS=${RUNS:-3}
BENCH_TZ=${BENCH_TZ:-America/New_York}
SEED=${SEED:-0.42}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS BENCH_TZ SEED PGVERSION

if [ "${CLV_BENCH_IN_CLUSTER:-}" != 1 ]; then
    scripts/setup.sh
    # Single core (no parallel workers) for a fair comparison, a cache that
    # holds the whole table, the same work_mem for every query; everything
    # else is PostgreSQL's default (JIT included).  -t: the cluster lives
    # in a temporary directory even as root, so a test suite's own throwaway
    # cluster (/etc/postgresql/*/regress) may run at the same time.
    CLV_BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v "$PGVERSION" \
        -o shared_buffers=2GB -o work_mem=256MB \
        -o max_parallel_workers_per_gather=0 \
        "$0" "$n_million"
fi

# --- inside the throwaway cluster (PG* variables set by pg_virtualenv) ---
n_orders=$(awk -v n="$n_million" 'BEGIN { printf "%d", n * 1000000 + 0.5 }')
n_customers=$(( (n_orders + 5) / 10 ))
export PGTZ=$BENCH_TZ PGOPTIONS="-c client_min_messages=warning"
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "== clv benchmark: $n_orders orders, $n_customers customers"
psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"

echo "== plain SQL vs clv_summary on 20,000 orders and the edge cases"
psql_run -v n_orders=20000 -v n_customers=2000 -v seed="$SEED" \
    -f test/bench/generate.sql -f test/bench/check_equivalence.sql \
    | sed -n '/TimeZone/,$p'

echo "== generating the data"
start=$(date +%s)
psql_run -v n_orders="$n_orders" -v n_customers="$n_customers" -v seed="$SEED" \
    -f test/bench/generate.sql >/dev/null
psql_run -c "VACUUM ANALYZE orders" -c "SELECT pg_prewarm('orders')" >/dev/null
echo "generated and analysed in $(( $(date +%s) - start )) s"
psql_run -P footer=off <<'EOF'
SELECT count(*) AS orders,
       count(DISTINCT customer_id) AS customers,
       round(count(*) FILTER (WHERE amount < 0) * 100.0 / count(*), 2) AS "refunds %",
       round(100 - count(DISTINCT (customer_id, ordered_at::date)) * 100.0 / count(*), 2)
           AS "same-day orders %",
       min(ordered_at)::date AS first_day, max(ordered_at)::date AS last_day,
       pg_size_pretty(pg_table_size('orders')) AS size
FROM orders;
EOF

echo "== timing ($RUNS rounds after a warm-up round; TimeZone $BENCH_TZ)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
psql_run -v runs="$RUNS" -f test/bench/time_queries.sql
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo
psql_run -At <<EOF
SELECT 'PostgreSQL:  ' || version();
SELECT 'clv:         built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes')';
SELECT 'N:           $n_million million orders ($n_orders rows), $n_customers customers';
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'hash_mem_multiplier',
               'max_parallel_workers_per_gather', 'jit', 'TimeZone');
SELECT 'load avg:    $load_before before timing, $load_after after (1, 5, 15 min; the benchmark itself adds 1)';
SELECT 'machine:     ' || '$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)';
EOF
