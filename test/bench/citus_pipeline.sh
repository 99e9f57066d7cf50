#!/bin/bash
# The pipeline over a Citus-distributed orders table against the same
# pipeline over a local copy of the same orders, in the same run.
#
#   test/bench/citus_pipeline.sh [CUSTOMERS]        (default: 300000)
#
# Needs a Citus cluster of your own (Citus is not in Debian's archive, and
# neither the tests nor this script build or start one): psql's PG*
# variables name a database on the coordinator in which `citus` is created
# and the workers are added (citus_add_node), with clv's files installed on
# every node (`make install` on each).  Creates clv there if it is not, then
# runs test/bench/citus_pipeline.sql: generates CUSTOMERS customers' orders
# (CDNOW's purchase rate over 546 days, about 2.1 orders a customer, each
# order in one of four channels), keeps them local and copies them into a
# table distributed by customer, creates a pipeline over each, times RUNS
# full refreshes of each after a warm-up round (default 3), then RUNS
# incremental ones after a day's new orders each (0.5% of the customers;
# the distributed pipeline finds them by digests, having no change
# capture), checks that both pipelines give dashboards the same rows, and
# prints the medians step by step with the rounds and the ratio, and each
# pipeline's incremental / full.  Leaves the tables and the two pipelines behind
# (schemas on_one_node and on_citus).  Exits 0 with one line when the
# database has no Citus or no worker.  Not a test: timings vary with the
# machine; the ratio is taken within one run.  Environment: RUNS, SEED
# (default 0.42).
set -euo pipefail
cd "$(dirname "$0")/../.."

n=${1:-300000}
if ! [[ $n =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: test/bench/citus_pipeline.sh [CUSTOMERS]   (a positive whole number, default 300000)" >&2
    exit 2
fi
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
export PGOPTIONS="-c client_min_messages=warning"
. test/bench/lib.sh   # psql_run, bench_load_avg, bench_footer (not bench_enter_cluster: the cluster is yours)
CLV_BENCH_BUILT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src sql extension Makefile clv.control 2>/dev/null || echo ' plus uncommitted changes')"

workers=$(psql_run -At -c "SELECT CASE WHEN to_regclass('pg_catalog.pg_dist_node') IS NULL THEN -1 ELSE 0 END" 2>/dev/null || echo -2)
if [ "$workers" = -2 ]; then
    echo "Citus pipeline benchmark skipped: cannot connect (set PGHOST, PGPORT, PGDATABASE to a Citus coordinator)"
    exit 0
fi
if [ "$workers" = 0 ]; then
    workers=$(psql_run -At -c "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0")
fi
if [ "$workers" -le 0 ]; then
    echo "Citus pipeline benchmark skipped: the database has no citus extension or no worker node"
    exit 0
fi
psql_run -c "CREATE EXTENSION IF NOT EXISTS clv"

echo "== $n customers on a coordinator with $workers workers ($RUNS rounds after a warm-up round)"
start=$(date +%s)
load_before=$(bench_load_avg)
psql_run -v n_customers="$n" -v rate_scale=1 -v history_days=546 -v seed="$SEED" -v runs="$RUNS" \
    -f test/bench/citus_pipeline.sql
load_after=$(bench_load_avg)
echo "($(( $(date +%s) - start )) s)"
psql_run -At -c "SELECT 'Citus:       ' || extversion FROM pg_extension WHERE extname = 'citus'"
bench_footer "$n customers, RUNS=$RUNS, SEED=$SEED" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'citus.shard_count', 'citus.max_adaptive_executor_pool_size', 'citus.max_cached_conns_per_worker'" \
    "the benchmark and its workers add 1 to 3"
