#!/bin/bash
# The benchmarks over generated customers (scripts/bench_segments.sh,
# scripts/bench_pipeline.sh): one throwaway cluster, one SQL file.
#
#   scripts/bench_customers.sh NAME [CUSTOMERS]    runs test/bench/NAME.sql
#
# Runs scripts/setup.sh (dependencies, build, install), then, on a cluster
# made by Debian's pg_virtualenv (destroyed at exit), single core (no
# parallel workers), shared_buffers=2GB so the tables stay cached, the same
# work_mem for every query and PostgreSQL's defaults otherwise (JIT and
# autovacuum included), runs test/bench/NAME.sql with the psql variables
# n_customers, seed and runs, and prints the machine facts.
# Environment: RUNS (default 3), SEED (default 0.42).
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:-}
n_customers=${2:-1000000}
if [ ! -e "test/bench/$name.sql" ] || ! [[ $n_customers =~ ^[0-9]+$ ]] || [ "$n_customers" -eq 0 ]; then
    echo "usage: scripts/bench_customers.sh NAME [CUSTOMERS]   (test/bench/NAME.sql; a positive whole number, default 1000000)" >&2
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
    # Single core (no parallel workers), a cache that holds the orders and
    # the pipeline, the same work_mem for every query; everything else is
    # PostgreSQL's default (JIT and autovacuum included).  -t: the cluster
    # lives in a temporary directory even as root.
    CLV_BENCH_IN_CLUSTER=1 exec pg_virtualenv -t -v "$PGVERSION" \
        -o shared_buffers=2GB -o work_mem=256MB \
        -o max_parallel_workers_per_gather=0 \
        "$0" "$name" "$n_customers"
fi

# --- inside the throwaway cluster (PG* variables set by pg_virtualenv) ---
export PGOPTIONS="-c client_min_messages=warning"
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
echo "== $n_customers customers ($RUNS rounds after a warm-up round)"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
psql_run -v n_customers="$n_customers" -v seed="$SEED" -v runs="$RUNS" -f "test/bench/$name.sql"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo "($(( $(date +%s) - start )) s in all)"
echo
psql_run -At <<EOSQL
SELECT 'PostgreSQL:  ' || version();
SELECT 'clv:         ${CLV_BENCH_BUILT:-unknown}';
SELECT 'size:        $n_customers customers, RUNS=$RUNS, SEED=$SEED';
SELECT 'date:        ' || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"');
SELECT 'settings:    ' || string_agg(name || '=' || current_setting(name), ', ' ORDER BY name)
FROM pg_settings
WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'autovacuum', 'TimeZone');
SELECT 'load avg:    $load_before before, $load_after after (1, 5, 15 min; the benchmark itself adds 1)';
SELECT 'machine:     ' || '$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)';
EOSQL
