#!/bin/bash
# The incremental refresh of a pipeline without change capture (over a view,
# a partitioned, foreign or Citus table), which finds the changed customers
# by the digests of their orders, against the same pipeline over the table
# itself, with change capture, in the same run.
#
#   test/bench/without_capture.sh [SIZE...]       (default: 1000000x40)
#
# A SIZE as for test/bench/pipeline.sh: N customers, or NxR for R times
# CDNOW's purchase rate over 1095 days (1000000x40: 10.6 million orders).
# Runs scripts/setup.sh, then on one throwaway cluster (test/bench/lib.sh)
# test/bench/without_capture.sql for each size: generates the orders, makes
# a pipeline over the table and one over a view of it, times RUNS full
# refreshes of each (default 3, after a warm-up round), then RUNS rounds of
# a day's orders (one each for 0.5% of the customers, not timed) followed
# by an incremental refresh of each, checks that both pipelines give
# dashboards the same rows, and prints the medians and the ratios.  Not a
# test: timings vary with the machine; the ratios are taken within one run.
# Environment: RUNS, SEED (default 0.42).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED PGVERSION
BENCH_SERVER_OPTIONS="${BENCH_SERVER_OPTIONS:--o max_wal_size=8GB}"
export BENCH_SERVER_OPTIONS

. test/bench/lib.sh
bench_order_sizes "$0" 1000000x40 -- "$@"
bench_enter_cluster "$0" "$@"

psql_run -c "CREATE EXTENSION clv"
load_before=$(bench_load_avg)
for size in "${sizes[@]}"; do
    bench_order_size "$size"
    echo "== $n customers, purchase rate x$rate over $days days ($RUNS rounds after a warm-up round)"
    start=$(date +%s)
    psql_run -v n_customers="$n" -v rate_scale="$rate" -v history_days="$days" -v seed="$SEED" -v runs="$RUNS" \
        -f test/bench/without_capture.sql
    echo "($(( $(date +%s) - start )) s for this size)"
    echo
done
load_after=$(bench_load_avg)
bench_footer "${sizes[*]} customers, RUNS=$RUNS, SEED=$SEED" \
    "'shared_buffers', 'huge_pages', 'work_mem', 'max_wal_size', 'max_parallel_workers_per_gather', 'jit', 'autovacuum', 'TimeZone'" \
    "the benchmark itself adds 1"
