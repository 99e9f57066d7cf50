#!/bin/bash
# What a new process pays on this machine the first time it reads each page
# of memory it shares with its parent, as a new backend (a scheduled
# refresh's, a dashboard's new connection) does with the shared buffers;
# the second read of the same pages is the baseline, in the same run.
#
#   test/bench/first_touch.sh [MEGABYTES]      (default 1024)
#
# Compiles test/bench/first_touch.c with cc into a temporary directory and
# runs it: no PostgreSQL, nothing installed.  A few seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."

megabytes=${1:-1024}
if [ $# -gt 1 ] || ! [[ $megabytes =~ ^[1-9][0-9]*$ ]] || (( megabytes > 65536 )); then
    echo "usage: test/bench/first_touch.sh [MEGABYTES]   (1 to 65536, default 1024)" >&2
    exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -Wall -o "$work/first_touch" test/bench/first_touch.c
echo "kernel $(uname -r), $(nproc) cores; transparent huge pages for shared memory: $(cat /sys/kernel/mm/transparent_hugepage/shmem_enabled 2>/dev/null || echo unknown)"
for round in 1 2 3; do
    # assigned first, so that a failing program stops the script (set -e)
    measured=$("$work/first_touch" "$megabytes")
    echo "round $round: $measured"
done
