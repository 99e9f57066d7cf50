#!/bin/bash
# The pipeline benchmark: a full refresh against the same work done by hand
# into plain tables, an incremental refresh after a day's new orders against
# a full one, with 0 and 2 parallel workers; and how long a dashboard waits
# while a refresh runs.
#
#   test/bench/pipeline.sh [SIZE...]       (default: 300000 1000000 1000000x10)
#
# A SIZE is a number of customers, with CDNOW's purchase rate over 546 days
# (about 2.1 orders a customer), or NxR: N customers buying R times as often
# over 1095 days.  Orders are drawn from BG/NBD and Gamma-Gamma
# (test/bench/generate_orders.sql); each size prints how many it drew.
#
# Runs scripts/setup.sh (dependencies, build, install), then on one
# throwaway cluster made by Debian's pg_virtualenv (destroyed at exit; see
# test/bench/lib.sh for its settings), for each size:
#   1. test/bench/pipeline.sql: generates the orders, creates the pipeline,
#      times RUNS rounds (default 3, after a warm-up round) of the work by
#      hand, a full refresh and an incremental one, with 0 and 2 workers,
#      checks that the incremental refresh equals a full one, prints the
#      medians and ratios;
#   2. the readers: pgbench with one client runs a dashboard's queries
#      (test/bench/pipeline_reader.sql: a customer's scores, the segments,
#      the ten declining customers with most value at risk) READS times
#      alone, then in a loop from before a full refresh to after it, and
#      prints the longest and 99th percentile latency of the transactions
#      alone and of those that ended while the refresh ran (pgbench's log).
# Not a test: timings vary with the machine and its load; the ratios are
# each taken within one run.  Environment: RUNS, SEED (default 0.42),
# READS (dashboard transactions alone, default 2000).
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
READS=${READS:-2000}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED READS PGVERSION

# WAL is recycled less often than PostgreSQL's default allows: a refresh and
# the work by hand write hundreds of megabytes, and checkpoints every few
# seconds would time the checkpointer more than either
BENCH_SERVER_OPTIONS="${BENCH_SERVER_OPTIONS:--o max_wal_size=8GB}"
export BENCH_SERVER_OPTIONS

. test/bench/lib.sh
bench_order_sizes "$0" 300000 1000000 1000000x10 -- "$@"
bench_enter_cluster "$0" "$@"

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the longest and the 99th percentile latency (ms) of the transactions in a
# pgbench log (column 3: microseconds)
latencies() {
    sort -n -k3,3 "$@" | awk '{ l[NR] = $3 } END { printf "longest %.1f ms, 99th percentile %.1f ms, %d transactions", l[NR] / 1000, l[int(NR * 0.99)] / 1000, NR }'
}

load_before=$(bench_load_avg)
for size in "${sizes[@]}"; do
    bench_order_size "$size"
    echo "== $n customers, purchase rate x$rate over $days days ($RUNS rounds after a warm-up round)"
    start=$(date +%s)
    psql_run -v n_customers="$n" -v rate_scale="$rate" -v history_days="$days" -v seed="$SEED" -v runs="$RUNS" \
        -f test/bench/pipeline.sql

    echo "-- readers: a dashboard's queries in a loop (pgbench, one client), alone and during a full refresh"
    rm -f "$work"/alone* "$work"/during* "$work/window"
    (cd "$work" && pgbench -n -c 1 -t "$READS" -D n_customers="$n" -f "$OLDPWD/test/bench/pipeline_reader.sql" \
        --log --log-prefix=alone >/dev/null 2>&1)
    echo "alone:               $(latencies "$work"/alone*)"
    # the readers run from before the refresh to after it (its length
    # measured by a refresh just before); only the transactions that ended
    # while it ran count
    t0=$(date +%s%3N)
    psql_run -c "SELECT count(*) FROM clv_refresh_pipeline('bench')" >/dev/null
    length_s=$(( ($(date +%s%3N) - t0) / 1000 + 5 ))
    (cd "$work" && pgbench -n -c 1 -T "$length_s" -D n_customers="$n" -f "$OLDPWD/test/bench/pipeline_reader.sql" \
        --log --log-prefix=during >/dev/null 2>&1) &
    reader=$!
    sleep 2
    refresh_start=$(date +%s%6N)
    psql_run -c "SELECT count(*) FROM clv_refresh_pipeline('bench')" >/dev/null
    refresh_end=$(date +%s%6N)
    wait "$reader"
    awk -v from="$refresh_start" -v to="$refresh_end" '($5 * 1000000 + $6) >= from && ($5 * 1000000 + $6) <= to' \
        "$work"/during* > "$work/window"
    echo "during the refresh:  $(latencies "$work/window") ($(( (refresh_end - refresh_start) / 1000 )) ms refresh)"
    echo "($(( $(date +%s) - start )) s for this size)"
    echo
done
load_after=$(bench_load_avg)
bench_footer "${sizes[*]} customers, RUNS=$RUNS, SEED=$SEED, READS=$READS" \
    "'shared_buffers', 'huge_pages', 'work_mem', 'max_wal_size', 'max_parallel_workers_per_gather', 'max_parallel_workers', 'jit', 'autovacuum', 'TimeZone'" \
    "the benchmark itself adds 1 to 2"
