#!/bin/bash
# The benchmarks over generated customers (test/bench/segments.sh,
# test/bench/pipeline.sh): one throwaway cluster, one SQL file.
#
#   test/bench/customers.sh NAME [CUSTOMERS]    runs test/bench/NAME.sql
#
# Runs scripts/setup.sh (dependencies, build, install), then, on a cluster
# made by Debian's pg_virtualenv (destroyed at exit), single core (no
# parallel workers), shared_buffers=2GB so the tables stay cached, the same
# work_mem for every query and PostgreSQL's defaults otherwise (JIT and
# autovacuum included), runs test/bench/NAME.sql with the psql variables
# n_customers, seed and runs, and prints the machine facts.
# Environment: RUNS (default 3), SEED (default 0.42).
set -euo pipefail
cd "$(dirname "$0")/../.."

name=${1:-}
n_customers=${2:-1000000}
if [ ! -e "test/bench/$name.sql" ] || ! [[ $n_customers =~ ^[0-9]+$ ]] || [ "$n_customers" -eq 0 ]; then
    echo "usage: test/bench/customers.sh NAME [CUSTOMERS]   (test/bench/NAME.sql; a positive whole number, default 1000000)" >&2
    exit 2
fi
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED PGVERSION

. test/bench/lib.sh
bench_enter_cluster "$0" "$name" "$n_customers"

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
echo "== $n_customers customers ($RUNS rounds after a warm-up round)"
load_before=$(bench_load_avg)
start=$(date +%s)
psql_run -v n_customers="$n_customers" -v seed="$SEED" -v runs="$RUNS" -f "test/bench/$name.sql"
load_after=$(bench_load_avg)
echo "($(( $(date +%s) - start )) s in all)"
echo
bench_footer "$n_customers customers, RUNS=$RUNS, SEED=$SEED" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'autovacuum', 'TimeZone'" \
    "the benchmark itself adds 1"
