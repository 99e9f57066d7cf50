#!/bin/bash
# The identity-linking benchmark: clv_link_identities against the cheapest
# scan of the same identifier pairs and a plain-SQL label propagation.
#
#   test/bench/identity.sh [PAIRS_IN_MILLIONS...]      (default 1 10)
#
# Runs scripts/setup.sh (dependencies, build, install), then on a throwaway
# cluster made by Debian's pg_virtualenv (destroyed at exit), for each size:
#   1. generates people seen in a web shop, a store and a service desk, their
#      contact records and about that many million (record_id, identifier)
#      pairs, with households sharing identifiers, mistyped e-mails and a few
#      glue identifiers on thousands of records (setup, not timed);
#   2. checks that the plain SQL links what clv links, and reports how many
#      profiles clv finds against the true people (not timed);
#   3. times, in one session, warm, single core, RUNS (default 3)
#      interleaved rounds after a warm-up round, and prints the medians
#      (test/bench/identity.sql);
#   4. in a fresh session, reads the backend's peak resident memory (VmHWM
#      in /proc/<pid>/status) after a scan of the pairs and again after one
#      clv_link_identities call: the difference is what the call took.
# Then prints a summary over the sizes, with identity.c's memory estimate.
# Environment: RUNS, SEED (default 0.42), CAP (max_records_per_identifier,
# default 20), PLAIN_MAX_MILLIONS (the plain SQL runs up to this size,
# default 1: at 10 million pairs its five runs would take most of an hour).
set -euo pipefail
cd "$(dirname "$0")/../.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1 10)
for m in "${sizes[@]}"; do
    if ! [[ $m =~ ^[0-9]+(\.[0-9]+)?$ ]] || [[ $m =~ ^0*(\.0*)?$ ]]; then
        echo "usage: test/bench/identity.sh [PAIRS_IN_MILLIONS...]   (positive numbers, default 1 10)" >&2
        exit 2
    fi
done
RUNS=${RUNS:-3}
SEED=${SEED:-0.42}
CAP=${CAP:-20}
PLAIN_MAX_MILLIONS=${PLAIN_MAX_MILLIONS:-1}
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
export RUNS SEED CAP PLAIN_MAX_MILLIONS PGVERSION

. test/bench/lib.sh
bench_enter_cluster "$0" "${sizes[@]}"

psql_run -c "CREATE EXTENSION clv" -c "CREATE EXTENSION pg_prewarm"
psql_run -c "CREATE TABLE bench_summary (
    pairs_millions numeric, n_pairs bigint, n_records bigint, n_people bigint, n_profiles bigint,
    n_mixed bigint, n_split bigint, ident_bytes bigint, scan_ms float8, clv_ms float8, plain_ms float8,
    hwm_before_kb bigint, hwm_after_kb bigint, rss_shmem_kb bigint)"
load_before=$(bench_load_avg)
start=$(date +%s)
for m in "${sizes[@]}"; do
    run_plain=$(awk -v m="$m" -v max="$PLAIN_MAX_MILLIONS" 'BEGIN { print (m <= max) ? "on" : "off" }')
    echo
    echo "== about $m million pairs ($RUNS rounds after a warm-up round; plain SQL $run_plain)"
    psql_run -v pairs_millions="$m" -v seed="$SEED" -v runs="$RUNS" -v cap="$CAP" \
        -v run_plain="$run_plain" -f test/bench/identity.sql
    # peak memory: a fresh backend, the pairs read once (their shared
    # buffers are then part of its resident set), then one linking call
    psql_run -v pairs_millions="$m" -v cap="$CAP" <<'EOF'
\o /dev/null
SELECT count(*), sum(length(identifier)) FROM pairs;
\o
SELECT substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+([0-9]+) kB') AS hwm_before \gset
\o /dev/null
SELECT count(*), sum(profile_id) FROM clv_link_identities('SELECT record_id, identifier FROM pairs', :cap);
\o
SELECT substring(s FROM 'VmHWM:\s+([0-9]+) kB') AS hwm_after,
       substring(s FROM 'RssShmem:\s+([0-9]+) kB') AS shmem_after
FROM pg_read_file('/proc/self/status') AS s \gset
UPDATE bench_summary SET hwm_before_kb = :hwm_before, hwm_after_kb = :hwm_after, rss_shmem_kb = :shmem_after
WHERE pairs_millions = :pairs_millions;
EOF
done
load_after=$(bench_load_avg)
echo
echo "($(( $(date +%s) - start )) s in all)"
echo
echo "summary: medians (ms), single core; peak memory of clv_link_identities = backend VmHWM after"
echo "the call - VmHWM before it (after a scan of the pairs), against identity.c's estimate"
echo "(32 bytes a pair + identifier bytes + 12 bytes a distinct record, before the doubling slack)"
psql_run -P footer=off <<'EOF'
SELECT pairs_millions AS "M pairs", n_pairs AS pairs, n_records AS records,
       round(scan_ms::numeric) AS "scan ms", round(clv_ms::numeric) AS "clv ms",
       round(plain_ms::numeric) AS "plain SQL ms",
       round((plain_ms / clv_ms)::numeric, 1) AS "plain / clv",
       to_char(n_pairs / (clv_ms / 1000), 'FM999,999,990') AS "clv pairs/s",
       round((hwm_after_kb - hwm_before_kb) / 1024.0) AS "peak MB",
       round((32 * n_pairs + ident_bytes + 12 * n_records) / 1048576.0) AS "estimate MB",
       round(hwm_after_kb / 1024.0) AS "VmHWM MB", round(rss_shmem_kb / 1024.0) AS "of it shared MB",
       n_people AS people, n_profiles AS profiles, n_mixed AS "mixed profiles", n_split AS "people split"
FROM bench_summary ORDER BY pairs_millions;
EOF
echo
bench_footer "${sizes[*]} million pairs, RUNS=$RUNS, SEED=$SEED, CAP=$CAP, plain SQL up to $PLAIN_MAX_MILLIONS million" \
    "'shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'TimeZone'" \
    "the benchmark itself adds 1"
