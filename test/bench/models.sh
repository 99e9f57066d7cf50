#!/bin/bash
# The model benchmark: BG/NBD and Gamma-Gamma fits and scoring against the
# cheapest scan of the same per-customer rows; the predicted value and the
# decline verdict against P(alive).
#
#   test/bench/models.sh [CUSTOMERS_IN_THOUSANDS...]   (default: 100 1000 10000)
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
#      baseline and the BG/NBD fit again with 2 parallel workers, and both
#      fits over the same customers in 32 hash partitions (a partial state
#      per partition, merged by the combine function, as Citus merges its
#      shards'); prints the medians (test/bench/models.sql);
#   4. on summaries of the same process at day granularity in days, times
#      clv_predicted_value (12 and 120 periods, with the history given as
#      numbers and as a summary) and clv_decline (alone, with a model, with
#      a value) against clv_p_alive and the cheapest scan, single core, in
#      customers a second (test/bench/scoring.sql).
# Environment: RUNS, SEED (default 0.42).
# About 5 minutes for the default sizes on two cores, after setup (about 4
# at 10 million customers, 90 s of which go to clv_predicted_value).
set -euo pipefail
cd "$(dirname "$0")/../.."

. test/bench/lib.sh
bench_sizes test/bench/models.sh 100 1000 10000 -- "$@"
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED PGVERSION

bench_enter_cluster "$0" "${sizes[@]}"

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
load_before=$(bench_load_avg)
for k in "${sizes[@]}"; do
    n=$(( k * 1000 ))
    echo
    echo "== $n customers ($RUNS rounds after a warm-up round)"
    start=$(date +%s)
    psql_run -v n_customers="$n" -v seed="$SEED" -v runs="$RUNS" -f test/bench/models.sql
    psql_run -v n_customers="$n" -v seed="$SEED" -v runs="$RUNS" -f test/bench/scoring.sql
    echo "($(( $(date +%s) - start )) s for this size)"
done
load_after=$(bench_load_avg)
echo
bench_footer "${sizes[*]} thousand customers, RUNS=$RUNS, SEED=$SEED" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'max_parallel_workers', 'parallel_leader_participation', 'jit'" \
    "the benchmark itself adds 1, 3 with workers"
