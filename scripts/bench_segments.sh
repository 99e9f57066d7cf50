#!/bin/bash
# The segmentation benchmark: clv_rfm_breakpoints, clv_rfm, clv_decline and
# clv_seasonality against plain SQL or the cheapest scan of the same rows.
#
#   scripts/bench_segments.sh [CUSTOMERS]      (default 1000000)
#
# Runs scripts/setup.sh (dependencies, build, install), then on a throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit):
#   1. generates raw orders (1 to 30 per customer over three years, seasonal
#      amounts, 3% refunds) and one clv_summary per customer, VACUUM
#      ANALYZE, loads both tables into shared_buffers; fits BG/NBD and the
#      RFM breakpoints once (setup, not timed);
#   2. checks that the plain-SQL breakpoints and segments give what clv
#      gives, and prints the segments, decline counts and seasonal index;
#   3. times, in one session, warm, single core, RUNS (default 3)
#      interleaved rounds after a warm-up round, and prints the medians and
#      ratios (test/bench/segments.sql).
# Environment: RUNS, SEED (default 0.42).
# About 2 minutes at a million customers on two cores, after setup.
set -euo pipefail
cd "$(dirname "$0")/.."

n_customers=${1:-1000000}
if ! [[ $n_customers =~ ^[0-9]+$ ]] || [ "$n_customers" -eq 0 ]; then
    echo "usage: scripts/bench_segments.sh [CUSTOMERS]   (a positive whole number, default 1000000)" >&2
    exit 2
fi
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
PGVERSION=${PGVERSION:-15}
export RUNS SEED PGVERSION

if [ "${CLV_BENCH_IN_CLUSTER:-}" != 1 ]; then
    # what is built and installed (others may commit while this runs)
    CLV_BENCH_BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes')"
    export CLV_BENCH_BUILT
    scripts/setup.sh
    # Single core (no parallel workers), a cache that holds both tables,
    # the same work_mem for every query; everything else is PostgreSQL's
    # default (JIT included).  -t: the cluster lives in a temporary
    # directory even as root.
    CLV_BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v "$PGVERSION" \
        -o shared_buffers=2GB -o work_mem=256MB \
        -o max_parallel_workers_per_gather=0 \
        "$0" "$n_customers"
fi

# --- inside the throwaway cluster (PG* variables set by pg_virtualenv) ---
export PGOPTIONS="-c client_min_messages=warning"
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
echo "== $n_customers customers ($RUNS rounds after a warm-up round)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
psql_run -v n_customers="$n_customers" -v seed="$SEED" -v runs="$RUNS" -f test/bench/segments.sql
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "($(( $(date +%s) - start )) s in all)"
echo
psql_run -At <<EOF
SELECT 'PostgreSQL:  ' || version();
SELECT 'clv:         ${CLV_BENCH_BUILT:-unknown}';
SELECT 'size:        $n_customers customers, RUNS=$RUNS, SEED=$SEED';
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'TimeZone');
SELECT 'load avg:    $load_before before, $load_after after (1, 5, 15 min; the benchmark itself adds 1)';
SELECT 'machine:     ' || '$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)';
EOF
