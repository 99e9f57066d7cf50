#!/bin/bash
# The time of one call of a purchase model's scores at the extremes (issue
# 19's grid, and the regularity models' widely spread counts): see
# test/bench/score_calls.sql.
#
#   test/bench/score_calls.sh
#
# Runs scripts/setup.sh (dependencies, build, install), then, on a cluster
# made by Debian's pg_virtualenv (destroyed at exit; test/bench/lib.sh),
# test/bench/score_calls.sql with REPEATS calls a case (default 3), and
# prints the machine facts.  Not a test: the times vary with the machine.
set -euo pipefail
cd "$(dirname "$0")/../.."

REPEATS=${REPEATS:-3}
if ! [[ $REPEATS =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: REPEATS=N test/bench/score_calls.sh   (N a positive whole number, default 3)" >&2
    exit 2
fi
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export REPEATS PGVERSION

. test/bench/lib.sh
bench_enter_cluster "$0"

psql_run -c "CREATE EXTENSION clv"
load_before=$(bench_load_avg)
start=$(date +%s)
psql_run -v repeats="$REPEATS" -f test/bench/score_calls.sql
load_after=$(bench_load_avg)
echo "($(( $(date +%s) - start )) s in all)"
echo
bench_footer "the grid of issue 19 and the wide grid, REPEATS=$REPEATS" \
    "'jit', 'TimeZone'" \
    "the benchmark itself adds 1"
