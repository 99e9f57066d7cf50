#!/bin/bash
# The fits with covariates against the same fits without: what static
# covariates cost.
#
#   test/bench/covariates.sh [CUSTOMERS_IN_THOUSANDS...]   (default: 100 1000)
#
# Runs scripts/setup.sh (dependencies, build, install), then on one throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit), for each size:
# generates the model benchmark's customer summaries (test/bench/
# generate_customers.psql: BG/NBD and Gamma-Gamma with CDNOW's parameters,
# day granularity in weeks), gives each customer covariates by its row
# number (a 0/1 channel, a 5-level region as 4 indicators; they carry no
# effect: the fits' cost is measured, not their estimates), and times, in
# one session, warm, single core, RUNS (default 3) interleaved rounds after
# a warm-up round, the cheapest scan, each plain fit and the same fit with
# covariates (test/bench/covariates.sql); prints the medians and each
# covariate fit's time over its plain fit's.
# Environment: RUNS, SEED (default 0.42).
set -euo pipefail
cd "$(dirname "$0")/../.."

. test/bench/lib.sh
bench_sizes test/bench/covariates.sh 100 1000 -- "$@"
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
    psql_run -v n_customers="$n" -v seed="$SEED" -v runs="$RUNS" -f test/bench/covariates.sql
    echo "($(( $(date +%s) - start )) s for this size)"
done
load_after=$(bench_load_avg)
echo
bench_footer "${sizes[*]} thousand customers, RUNS=$RUNS, SEED=$SEED" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit'" \
    "the benchmark itself adds 1"
