#!/bin/bash
# How a refresh writes the declining list: rewritten in place, rank by rank
# (MERGE into a table with fillfactor 45, as clv_refresh_pipeline does since
# 0.4.0), against deleting every row and inserting the list again (as it did
# before), on a list of the declining list's columns and width.
#
#   test/bench/declining_write.sh [ROWS]      (default 590000, the declining
#                                             list of the 1M-customer
#                                             pipeline benchmark)
#
# Runs scripts/setup.sh, then on a throwaway cluster (test/bench/lib.sh):
# makes the list's rows (test/bench/declining_write.sql), both tables
# filled once, then RUNS rounds (default 3, after a warm-up round) of: new
# scores for every row (not timed), a CHECKPOINT (as a daily refresh
# follows one, so that each write pays its full-page images), each way
# timed with the WAL it wrote, VACUUM (as autovacuum would between two
# refreshes).  Prints the medians and the ratios.  Not a test.
set -euo pipefail
cd "$(dirname "$0")/../.."

rows=${1:-590000}
if ! [[ $rows =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: test/bench/declining_write.sh [ROWS]" >&2
    exit 2
fi
RUNS=${RUNS:-3}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS PGVERSION
BENCH_SERVER_OPTIONS="${BENCH_SERVER_OPTIONS:--o max_wal_size=8GB}"
export BENCH_SERVER_OPTIONS

. test/bench/lib.sh
bench_enter_cluster "$0" "$@"

load_before=$(bench_load_avg)
psql_run -v rows="$rows" -f test/bench/declining_write.sql
for round in $(seq 0 "$RUNS"); do
    psql_run -v round="$round" -f test/bench/declining_write_round.sql
done
# round 0 is the warm-up
psql_run <<'EOSQL'
SELECT how, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)) AS "median ms",
       pg_size_pretty(percentile_cont(0.5) WITHIN GROUP (ORDER BY wal_bytes)::bigint) AS "median WAL",
       string_agg(round(ms)::text, ' ' ORDER BY round) AS "runs (ms)"
FROM runs WHERE round > 0 GROUP BY how ORDER BY how;
SELECT round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM runs WHERE round > 0 AND how LIKE 'delete%')::numeric
             / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FROM runs WHERE round > 0 AND how LIKE 'MERGE%')::numeric, 2)
           AS "time, delete + insert / MERGE",
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wal_bytes) FROM runs WHERE round > 0 AND how LIKE 'delete%')::numeric
             / (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY wal_bytes) FROM runs WHERE round > 0 AND how LIKE 'MERGE%')::numeric, 2)
           AS "WAL, delete + insert / MERGE";
EOSQL
load_after=$(bench_load_avg)
bench_footer "$rows rows, RUNS=$RUNS" "'shared_buffers', 'work_mem', 'max_wal_size', 'autovacuum'" \
    "the benchmark itself adds 1"
