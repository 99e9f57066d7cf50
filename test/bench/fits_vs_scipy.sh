#!/bin/bash
# clv's fits against the best vectorised scipy fit of the same likelihoods,
# in the same run, on the same customers.
#
#   test/bench/fits_vs_scipy.sh [CUSTOMERS_IN_THOUSANDS...]   (default: 1000)
#
# Runs scripts/setup.sh (dependencies, build, install), then on one throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit), for each size:
#   1. generates that many customer summaries as test/bench/models.sql does
#      (models.sql's generator and settings, CDNOW's parameters), loads them
#      into shared_buffers, fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma
#      once, and times, in one session, warm, single core, RUNS (default 3)
#      interleaved rounds after a warm-up round, the cheapest scan of the
#      rows and the four fits; prints the medians (test/bench/fits_vs_scipy.sql);
#   2. exports the distinct histories with their counts, (x, t_x, T, n) and
#      for spend (x, m, n), and fits the same four likelihoods with
#      scipy.optimize.minimize (L-BFGS-B on log-parameters, numpy over the
#      distinct histories, from clv's start points, to a gradient of 1e-6
#      on the mean negative log-likelihood, as clv; Pareto/NBD's gradient by
#      central differences); prints, per model, clv's
#      whole query (scan, collection and fit) against scipy's optimisation
#      alone (best of RUNS; loading and compressing the histories not
#      counted), and both estimates side by side (test/bench/fits_vs_scipy.py);
#      then the same with numpy's collection of the distinct histories from
#      every customer's row (a sort of the rows in memory) added to
#      scipy's time, against clv's time beyond its scan: the same work.
#      Skipped, with a line saying so, when python3-scipy is not installed.
# Environment: RUNS, SEED (default 0.42), PYTHON (default Debian's
# /usr/bin/python3, which python3-scipy installs for, when it exists).
# About 15 s at 100 thousand customers on two cores after setup, RUNS=3;
# at the default million about a minute (extrapolated from the number of
# distinct histories, 7 times as many), half of it scipy's fits.
set -euo pipefail
cd "$(dirname "$0")/../.."

. test/bench/lib.sh
bench_sizes test/bench/fits_vs_scipy.sh 1000 -- "$@"
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
# python3-scipy is Debian's package, for Debian's python3: a pyenv or
# virtualenv python3 earlier on PATH would not see it
if [ -z "${PYTHON:-}" ]; then
    if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED PGVERSION PYTHON

bench_enter_cluster "$0" "${sizes[@]}"

# the histories exported for scipy, removed at exit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
load_before=$(bench_load_avg)
for k in "${sizes[@]}"; do
    n=$(( k * 1000 ))
    echo
    echo "== $n customers ($RUNS rounds after a warm-up round)"
    start=$(date +%s)
    psql_run -v n_customers="$n" -v seed="$SEED" -v runs="$RUNS" -f test/bench/fits_vs_scipy.sql
    # \copy takes no psql variables: the paths go in here
    psql_run -c "\\copy (SELECT frequency, recency, age, count(*) FROM customers GROUP BY 1, 2, 3) TO '$work/histories.csv' CSV"
    psql_run -c "\\copy (SELECT frequency, monetary, count(*) FROM customers WHERE frequency > 0 GROUP BY 1, 2) TO '$work/spend.csv' CSV"
    psql_run -c "\\copy (SELECT frequency, recency, age, monetary FROM customers) TO '$work/customers.csv' CSV"
    psql_run -c "\\copy (SELECT model, median_ms, beyond_scan_ms, params FROM fit_results ORDER BY ord) TO '$work/clv.csv' CSV"
    echo
    # one thread, as the server's fits have one core; the Python part
    # times its own optimisations only, and the cluster is idle meanwhile
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        "$PYTHON" test/bench/fits_vs_scipy.py "$work/histories.csv" "$work/spend.csv" "$work/customers.csv" \
        "$work/clv.csv" "$RUNS"
    echo "($(( $(date +%s) - start )) s for this size)"
done
load_after=$(bench_load_avg)
echo
bench_footer "${sizes[*]} thousand customers, RUNS=$RUNS, SEED=$SEED, python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || echo absent)" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit'" \
    "the benchmark itself adds 1"
