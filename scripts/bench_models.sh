#!/bin/bash
# The model benchmark: BG/NBD and Gamma-Gamma fits and scoring against the
# cheapest scan of the same per-customer rows.
#
#   scripts/bench_models.sh [CUSTOMERS_IN_THOUSANDS...]   (default: 100 1000 10000)
#
# Runs scripts/setup.sh (dependencies, build, install), then on one throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit), for each size:
#   1. generates that many customer summaries (frequency, recency, age,
#      monetary) from a simulated BG/NBD and Gamma-Gamma at day granularity
#      in weeks, with CDNOW's parameters, VACUUM ANALYZE, loads the table
#      into shared_buffers;
#   2. fits both models once and prints their parameters, iterations and
#      the number of distinct patterns;
#   3. times, in one session, warm, single core, RUNS (default 3)
#      interleaved rounds after a warm-up round: the baseline scan, the two
#      fits, the BG/NBD fit's pattern collection alone, four scores, and the
#      baseline and the BG/NBD fit again with 2 parallel workers; prints the
#      medians (test/bench/models.sql).
# Environment: RUNS, SEED (default 0.42).
# About 5 minutes for the default sizes on two cores, after setup (about 4
# at 10 million customers, 90 s of which go to clv_predicted_value).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
for k in "${sizes[@]}"; do
    if ! [[ $k =~ ^[0-9]+$ ]] || [ "$k" -eq 0 ]; then
        echo "usage: scripts/bench_models.sh [CUSTOMERS_IN_THOUSANDS...]   (positive whole numbers, default 100 1000 10000)" >&2
        exit 2
    fi
done
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
PGVERSION=${PGVERSION:-15}
export RUNS SEED PGVERSION

if [ "${CLV_BENCH_IN_CLUSTER:-}" != 1 ]; then
    # what is built and installed (others may commit while this runs)
    CLV_BENCH_BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes')"
    export CLV_BENCH_BUILT
    scripts/setup.sh
    # Single core (no parallel workers) unless a query asks for 2, a cache
    # that holds the whole table, the same work_mem for every query;
    # everything else is PostgreSQL's default (JIT included).  -t: the
    # cluster lives in a temporary directory even as root, so a test suite's
    # own throwaway cluster (/etc/postgresql/*/regress) may run at the same
    # time.
    CLV_BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v "$PGVERSION" \
        -o shared_buffers=2GB -o work_mem=256MB \
        -o max_parallel_workers_per_gather=0 \
        "$0" "${sizes[@]}"
fi

# --- inside the throwaway cluster (PG* variables set by pg_virtualenv) ---
export PGOPTIONS="-c client_min_messages=warning"
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for k in "${sizes[@]}"; do
    n=$(( k * 1000 ))
    echo
    echo "== $n customers ($RUNS rounds after a warm-up round)"
    start=$(date +%s)
    psql_run -v n_customers="$n" -v seed="$SEED" -v runs="$RUNS" -f test/bench/models.sql
    echo "($(( $(date +%s) - start )) s for this size)"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo
psql_run -At <<EOF
SELECT 'PostgreSQL:  ' || version();
SELECT 'clv:         built from commit ${CLV_BENCH_BUILT:-unknown}';
SELECT 'sizes:       ${sizes[*]} thousand customers, RUNS=$RUNS, SEED=$SEED';
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather',
               'max_parallel_workers', 'parallel_leader_participation', 'jit');
SELECT 'load avg:    $load_before before, $load_after after (1, 5, 15 min; the benchmark itself adds 1, 3 with workers)';
SELECT 'machine:     ' || '$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)';
EOF
