#!/bin/bash
# The scale benchmark: clv's whole path over generated orders, each stage
# with 0, 1 and 2 parallel workers, with the peak memory of each stage.
#
#   test/bench/scale.sh ORDERS CUSTOMERS [ROUNDS]
#
# e.g. test/bench/scale.sh 10000000 1000000; WORKERS="0 2"
# test/bench/scale.sh 100000000 10000000 1.  Runs scripts/setup.sh, then, on a throwaway cluster
# made by Debian's pg_virtualenv (see test/bench/lib.sh; here also
# wal_level=minimal, so that loading the orders writes no WAL), generates the
# orders (test/bench/scale_generate.sql, not timed), sets up the stages
# (test/bench/scale.sql) and runs each stage with each worker count in
# $WORKERS (max_parallel_workers_per_gather; default "0 1 2") in a session
# of its own, ROUNDS rounds (default 3; the median is reported); then
# creates the pipeline and refreshes it ROUNDS times with each worker count
# in $PIPELINE_WORKERS (default "0 2"); test/bench/scale_report.sql reports.
#
# Peak memory: a sampler reads, every 0.2 s, the private resident memory
# (RssAnon in /proc/PID/status) of every process of the cluster, the backend
# and its parallel workers included, and sums it; a stage's peak is the
# largest sum while it ran minus the smallest in the two seconds before it.  Shared buffers are
# shared memory and not counted.  Needs to read other users' /proc entries,
# so run as root (as CI does) or as the cluster's owner.
set -euo pipefail
cd "$(dirname "$0")/../.."

n_orders=${1:-}
n_customers=${2:-}
rounds=${3:-3}
if ! [[ $n_orders =~ ^[0-9]+$ && $n_customers =~ ^[0-9]+$ && $rounds =~ ^[0-9]+$ ]] \
   || [ "$n_customers" -eq 0 ] || [ "$n_orders" -lt "$n_customers" ] || [ "$rounds" -eq 0 ]; then
    echo "usage: test/bench/scale.sh ORDERS CUSTOMERS [ROUNDS]   (whole numbers, ORDERS >= CUSTOMERS > 0)" >&2
    exit 2
fi
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
WORKERS=${WORKERS:-0 1 2}                  # max_parallel_workers_per_gather of the stages
PIPELINE_WORKERS=${PIPELINE_WORKERS:-0 2}  # and of the pipeline's refreshes
export PGVERSION WORKERS PIPELINE_WORKERS

# loading the orders in the transaction that creates their table writes no WAL
BENCH_SERVER_OPTIONS="-o wal_level=minimal -o max_wal_senders=0 -o max_wal_size=16GB"
. test/bench/lib.sh
bench_enter_cluster "$0" "$@"

work=$(mktemp -d)
sampler_pid=
cleanup() { [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

psql_run -c "CREATE EXTENSION clv"

# every 0.2 s: epoch seconds and the summed RssAnon (kB) of the postmaster's children
postmaster=$(head -1 "$(psql_run -At -c 'SHOW data_directory')/postmaster.pid")
(
    while :; do
        total=0
        for child in $(ps -o pid= --ppid "$postmaster"); do
            kb=$(awk '/^RssAnon:/ { print $2 }' "/proc/$child/status" 2>/dev/null || true)
            total=$(( total + ${kb:-0} ))
        done
        echo "$(date +%s.%N) $total"
        sleep 0.2
    done
) > "$work/memory.samples" &
sampler_pid=$!

load_before=$(bench_load_avg)
start=$(date +%s)
psql_run -v n_orders="$n_orders" -v n_customers="$n_customers" -f test/bench/scale_generate.sql
psql_run -f test/bench/scale.sql
# each stage in a session of its own: its memory is its own
stages=$(psql_run -At -c "SELECT ord FROM bench.stages ORDER BY ord")
for round in $(seq 1 "$rounds"); do
    for ord in $stages; do
        for workers in $WORKERS; do
            psql_run -c "SELECT bench.run_stage($ord, $workers, $round)" >/dev/null
        done
    done
done
echo "stages done: $(( $(date +%s) - start )) s"
# the pipeline, end to end, over the orders partitioned by customer
create_start=$(date +%s.%N)
psql_run -At -c "SELECT count(*) || ' objects' FROM clv_create_pipeline('orders_by_customer', 'customer_id', 'ordered_at', 'amount', as_of => timestamptz '2026-06-30 23:59:59')"
echo "clv_create_pipeline over orders_by_customer (max_parallel_workers_per_gather 0): $(awk -v a="$create_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
for round in $(seq 1 "$rounds"); do
    for workers in $PIPELINE_WORKERS; do
        psql_run -c "SELECT bench.refresh($workers, $round)" >/dev/null
    done
done
psql_run -c "CREATE TABLE memory_samples (at_epoch float8, rss_anon_kb bigint)" \
         -c "\\copy memory_samples FROM '$work/memory.samples' WITH (DELIMITER ' ')"
psql_run -f test/bench/scale_report.sql
load_after=$(bench_load_avg)
echo "($(( $(date +%s) - start )) s in all)"
echo
bench_footer "$n_orders orders of $n_customers customers, $rounds round(s) per stage and worker count" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers', 'max_worker_processes', 'parallel_leader_participation', 'jit', 'wal_level', 'autovacuum', 'TimeZone'" \
    "the benchmark adds 1 to 3, the sampler a little"
