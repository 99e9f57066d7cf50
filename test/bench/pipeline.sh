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
#      alone and of those that ended while the refresh ran (pgbench's log);
#      and, from the server's log, what the reader's slowest statements were
#      spent on: each statement of SLOW_MS (default 50) ms or more is
#      logged with the buffers it read from the kernel and wrote out, and
#      the time each took (auto_explain with track_io_timing, in the
#      reader's sessions only), and each lock wait of SLOW_MS ms or more
#      (log_lock_waits).  The reader's sessions then count rows and buffers
#      in every plan they run (auto_explain's log_analyze, without node
#      timing): SLOW_MS=off runs them without any of it.
# Not a test: timings vary with the machine and its load; the ratios are
# each taken within one run.  Environment: RUNS, SEED (default 0.42),
# READS (dashboard transactions alone, default 2000), SLOW_MS.
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
READS=${READS:-2000}
SLOW_MS=${SLOW_MS:-50}
if ! [[ $SLOW_MS =~ ^[1-9][0-9]*$|^off$ ]]; then
    echo "SLOW_MS must be a whole number of milliseconds, at least 1, or off" >&2
    exit 2
fi
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED READS SLOW_MS PGVERSION

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

# The reader's sessions log their statements of SLOW_MS ms or more with
# their plans and buffers, and their lock waits of SLOW_MS ms or more: what a
# long wait was spent on.  auto_explain counts rows and buffers, not each
# node's time (log_timing off), and only the executor's time, not parsing or
# planning.
# The other sessions log no lock waits (the default on PostgreSQL 15 and 17,
# said here so that only the reader's are counted).
reader_options=$PGOPTIONS
if [ "$SLOW_MS" != off ]; then
    reader_options="$PGOPTIONS -c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=$SLOW_MS \
-c auto_explain.log_analyze=on -c auto_explain.log_timing=off -c auto_explain.log_buffers=on \
-c track_io_timing=on -c log_lock_waits=on -c deadlock_timeout=$SLOW_MS"
fi
export PGOPTIONS="$PGOPTIONS -c log_lock_waits=off"
# the throwaway cluster's log (pg_virtualenv lists only its own cluster)
# (awk reads to the end: leaving early could end pg_lsclusters with SIGPIPE,
# which pipefail would report)
server_log=$(pg_lsclusters -h | awk '$4 == "online" && !found { print $NF; found = 1 }')
log_size() { if [ -r "$server_log" ]; then stat -c %s "$server_log"; else echo 0; fi; }

# What the server's log says, after byte $1, of the reader's slow
# statements: how many, the longest, the buffers it read from the kernel and
# the time that took, the buffers it had to write out to make room (dirty
# ones, another session's) and the time that took (its plan's top node: the
# whole statement's), and the lock waits; $2, said after it when something
# was logged.
slow_reads() {
    if [ "$SLOW_MS" = off ]; then
        echo "(SLOW_MS=off: not logged)"
        return
    fi
    if [ ! -r "$server_log" ]; then
        echo "the server's log ($server_log) cannot be read"
        return
    fi
    tail -c +"$(( $1 + 1 ))" "$server_log" | awk -v slow="$SLOW_MS" '
        /^[0-9][0-9][0-9][0-9]-/ { in_plan = 0 }
        / still waiting for / { waits++ }
        /duration: [0-9.]+ ms  plan:/ {
            match($0, /duration: [0-9.]+/)
            d = substr($0, RSTART + 10, RLENGTH - 10) + 0
            n++
            in_plan = 1; io_seen = 0; buffers_seen = 0
            longest_now = (d > longest)
            if (longest_now) { longest = d; longest_io = 0; longest_write_io = 0; longest_read = 0; longest_written = 0 }
            next
        }
        # the shared buffers part of a line ("shared" on 17, "shared/local"
        # on 15), not the local or temporary files after it
        in_plan && /I\/O Timings:/ && !io_seen {
            io_seen = 1
            if (longest_now && match($0, /shared[^,]*/)) {
                shared = substr($0, RSTART, RLENGTH)
                if (match(shared, /read=[0-9.]+/)) longest_io = substr(shared, RSTART + 5, RLENGTH - 5) + 0
                if (match(shared, /write=[0-9.]+/)) longest_write_io = substr(shared, RSTART + 6, RLENGTH - 6) + 0
            }
        }
        in_plan && /Buffers:/ && !buffers_seen {
            buffers_seen = 1
            if (longest_now && match($0, /shared[^,]*/)) {
                shared = substr($0, RSTART, RLENGTH)
                if (match(shared, / read=[0-9]+/)) longest_read = substr(shared, RSTART + 6, RLENGTH - 6) + 0
                if (match(shared, / written=[0-9]+/)) longest_written = substr(shared, RSTART + 9, RLENGTH - 9) + 0
            }
        }
        END {
            printf "statements of %d ms or more: %d", slow, n
            if (n > 0)
                printf ", the longest %.1f ms (%d buffers read in %.1f ms, %d written out in %.1f ms)",
                       longest, longest_read, longest_io, longest_written, longest_write_io
            printf "; lock waits of %d ms or more: %d", slow, waits
        }'
    echo "${2:-}"
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
    log_from=$(log_size)
    (cd "$work" && PGOPTIONS="$reader_options" pgbench -n -c 1 -t "$READS" -D n_customers="$n" \
        -f "$OLDPWD/test/bench/pipeline_reader.sql" --log --log-prefix=alone >/dev/null)
    echo "alone:               $(latencies "$work"/alone*)"
    echo "                     $(slow_reads "$log_from")"
    # the readers run from before the refresh to after it (its length
    # measured by a refresh just before); only the transactions that ended
    # while it ran count
    t0=$(date +%s%3N)
    psql_run -c "SELECT count(*) FROM clv_refresh_pipeline('bench')" >/dev/null
    length_s=$(( ($(date +%s%3N) - t0) / 1000 + 5 ))
    log_from=$(log_size)
    (cd "$work" && PGOPTIONS="$reader_options" pgbench -n -c 1 -T "$length_s" -D n_customers="$n" \
        -f "$OLDPWD/test/bench/pipeline_reader.sql" --log --log-prefix=during >/dev/null) &
    reader=$!
    sleep 2
    refresh_start=$(date +%s%6N)
    psql_run -c "SELECT count(*) FROM clv_refresh_pipeline('bench')" >/dev/null
    refresh_end=$(date +%s%6N)
    wait "$reader"
    awk -v from="$refresh_start" -v to="$refresh_end" '($5 * 1000000 + $6) >= from && ($5 * 1000000 + $6) <= to' \
        "$work"/during* > "$work/window"
    echo "during the refresh:  $(latencies "$work/window") ($(( (refresh_end - refresh_start) / 1000 )) ms refresh)"
    echo "                     $(slow_reads "$log_from" " (the whole loop, before and after the refresh too)")"
    echo "($(( $(date +%s) - start )) s for this size)"
    echo
done
load_after=$(bench_load_avg)
bench_footer "${sizes[*]} customers, RUNS=$RUNS, SEED=$SEED, READS=$READS" \
    "'shared_buffers', 'huge_pages', 'work_mem', 'max_wal_size', 'max_parallel_workers_per_gather', 'max_parallel_workers', 'jit', 'autovacuum', 'TimeZone'" \
    "the benchmark itself adds 1 to 2"
