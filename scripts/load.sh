#!/bin/bash
# The pipeline under load: readers, writers and refreshers at once for a
# bounded time on a throwaway cluster, then checks that nothing was lost,
# duplicated or miscounted.
#
#   scripts/load.sh [SECONDS [CUSTOMERS]]     (default 60 s, 20000 customers)
#
# Runs scripts/setup.sh (dependencies, build, install; CLV_LOAD_NO_SETUP=1
# skips it and uses the clv already installed), then, on a cluster made by
# Debian's pg_virtualenv (destroyed at exit):
#   1. demo/generate.sql with CUSTOMERS customers, test/load/setup.sql (the
#      ledger, the pipeline in clv_report, with a channel view);
#   2. three pgbench runs side by side for SECONDS seconds, scripts in
#      test/load/: readers (the dashboard queries, a customer page scored live,
#      the views' consistency), writers (orders of existing customers, new
#      customers with a first order, refunds; every row also in load.ledger)
#      and refreshers (clv_refresh_pipeline concurrent, incremental 3 times
#      in 4, full otherwise);
#   3. a final incremental refresh, then a full one, each checked
#      (test/load/check.sql) against clv_summary over the orders; the orders
#      against the ledger; every view against a fresh pipeline; the readers'
#      violations; the server log;
#   4. prints the figures (test/load/report.sql) and the checks.
# Exits non-zero when any check fails.
# Environment: READERS, WRITERS, REFRESHERS (clients, default 4, 4, 2),
# MAX_TRIES (pgbench --max-tries, default 5), CLV_LOAD_OUT (keep the pgbench
# outputs and logs there; default a temporary directory), CLV_LOAD_SQL (an
# absolute path: SQL run right after CREATE EXTENSION, to try a fix).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
customers=${2:-20000}
if ! [[ $seconds =~ ^[1-9][0-9]*$ && $customers =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: scripts/load.sh [SECONDS [CUSTOMERS]]   (positive whole numbers, default 60 and 20000)" >&2
    exit 2
fi
. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
READERS=${READERS:-4}
WRITERS=${WRITERS:-4}
REFRESHERS=${REFRESHERS:-2}
MAX_TRIES=${MAX_TRIES:-5}
export PGVERSION READERS WRITERS REFRESHERS MAX_TRIES

if [ "${CLV_LOAD_IN_CLUSTER:-}" != 1 ]; then
    [ "${CLV_LOAD_NO_SETUP:-}" = 1 ] || scripts/setup.sh
    . scripts/throwaway_cluster.sh
    port=$(cluster_free_port)
    # -t: the cluster lives in a temporary directory even as root.
    # log_lock_waits: a refresh or writer that waits a second for a lock
    # says so in the log, which the figures count.
    CLV_LOAD_IN_CLUSTER=1 PGPORT=$port exec pg_virtualenv -t -v "$PGVERSION" \
        -o shared_buffers=256MB -o work_mem=64MB -o max_wal_size=2GB \
        -o log_lock_waits=on -o max_connections=100 \
        "$0" "$seconds" "$customers"
fi

# --- inside the throwaway cluster (PG* variables set by pg_virtualenv) ---
export PGOPTIONS="-c client_min_messages=warning"
psql_run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
value() { psql -X -At -v ON_ERROR_STOP=1 -c "$1"; }
server_log="$(dirname "$PG_CLUSTER_CONF_ROOT")/log/postgresql-$PGVERSION-regress.log"

if [ -n "${CLV_LOAD_OUT:-}" ]; then
    out=$CLV_LOAD_OUT
    mkdir -p "$out"
    rm -f "$out"/*.log.* "$out"/*.out
else
    out=$(mktemp -d -t clv-load.XXXXXX)
    trap 'rm -rf "$out"' EXIT
fi

start=$SECONDS
echo "== load: $seconds s, $customers customers; clients: $READERS readers, $WRITERS writers, $REFRESHERS refreshers"
psql_run -c "CREATE EXTENSION clv"
# a candidate fix (an upgrade script's functions, say) to try under the same load
[ -z "${CLV_LOAD_SQL:-}" ] || psql_run -f "$CLV_LOAD_SQL"
psql_run -v customers="$customers" -f demo/generate.sql
psql_run -f test/load/setup.sql
echo "setup (data, pipeline): $((SECONDS - start)) s; $(value "SELECT orders || ' orders, ' || customers || ' customers' FROM load.start")"
max_customer=$(value "SELECT max_customer_id FROM load.start")
max_order=$(value "SELECT max_order_id FROM load.start")

# Each role its own pgbench, so each has its own client count, summary and
# transaction log; -n: no pgbench tables to vacuum.  --max-tries retries a
# deadlock or serialization failure instead of ending the client, so the run
# goes on and the count of retries shows up below (a check fails on any).
declare -A scripts=(
    [readers]="read_dashboard.sql@2 read_customer.sql@6 read_consistency.sql@1"
    [writers]="write_order.sql@6 write_new_customer.sql@2 write_refund.sql@1"
    [refreshers]="refresh_incremental.sql@3 refresh_full.sql@1"
)
declare -A clients=([readers]=$READERS [writers]=$WRITERS [refreshers]=$REFRESHERS)
roles=(readers writers refreshers)
declare -A pids
load_start=$SECONDS
for role in "${roles[@]}"; do
    args=()
    for s in ${scripts[$role]}; do args+=(-f "test/load/$s"); done
    pgbench -n -T "$seconds" -c "${clients[$role]}" -j "${clients[$role]}" \
        --max-tries="$MAX_TRIES" --failures-detailed -r \
        --log --log-prefix="$out/$role" \
        -D max_customer="$max_customer" -D max_order="$max_order" \
        "${args[@]}" >"$out/$role.out" 2>&1 &
    pids[$role]=$!
done
declare -A rcs
for role in "${roles[@]}"; do
    rc=0
    wait "${pids[$role]}" || rc=$?
    rcs[$role]=$rc
done
echo "load: $((SECONDS - load_start)) s"

for role in "${roles[@]}"; do
    echo
    echo "== pgbench $role (exit ${rcs[$role]})"
    # the per-command table and any client errors; the header repeats the options
    sed -n '/^number of transactions actually processed/,$p' "$out/$role.out"
    grep -E 'aborted|error|ERROR' "$out/$role.out" | grep -v '^number of' | head -20 || true
done

# The transaction logs (client, transaction, latency in us or "failed" /
# "serialization" / "deadlock", script, epoch, us, retries) into load.txlog.
psql_run <<'EOSQL'
CREATE TABLE load.txlog (role text, client int, txno bigint, latency_us bigint, outcome text,
                         script_no int, retries int);
CREATE TABLE load.scripts (role text, script_no int, script text, ord int);
EOSQL
ord=0
for role in "${roles[@]}"; do
    n=0
    for s in ${scripts[$role]}; do
        psql_run -c "INSERT INTO load.scripts VALUES ('$role', $n, '${s%@*}', $ord)"
        n=$((n + 1)); ord=$((ord + 1))
    done
    cat "$out/$role".*[0-9] 2>/dev/null | awk -v role="$role" '{
        ok = ($3 ~ /^[0-9]+$/)
        printf "%s,%s,%s,%s,%s,%s,%s\n", role, $1, $2, ok ? $3 : "", ok ? "ok" : $3, $4, (NF >= 7 ? $7 : 0)
    }' | psql_run -c "\copy load.txlog FROM STDIN WITH (FORMAT csv)"
done

echo
echo "== final refreshes"
for kind in incremental full; do
    t0=$(date +%s%N)
    psql_run -c "INSERT INTO load.refresh_log (refresh, kind, phase, step, ms, line)
                 SELECT txid_current(), '$kind', 'final', substring(line FROM '^[^.]+\.([a-z_]+)'),
                        substring(line FROM '(\d+) ms\$')::bigint, line
                 FROM clv_refresh_pipeline('clv_report', incremental => $([ $kind = incremental ] && echo true || echo false)) line"
    echo "$kind: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    psql_run -v stage="$kind" -f test/load/check.sql
done

# pgbench: every client to the end, no failed transaction, no retry
for role in "${roles[@]}"; do
    f="$out/$role.out"
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$f")
    retried=$(sed -n 's/^total number of retries: \([0-9]*\).*/\1/p' "$f")
    aborted=$(grep -c 'aborted' "$f" || true)
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$f")
    ok=false
    [ "${rcs[$role]}" = 0 ] && [ "${failed:-x}" = 0 ] && [ "${retried:-x}" = 0 ] && [ "$aborted" = 0 ] && ok=true
    detail="exit ${rcs[$role]}, ${processed:-?} transactions, ${failed:-?} failed, ${retried:-?} retries, $aborted client-abort lines"
    psql_run -c "INSERT INTO load.checks (stage, name, ok, detail)
                 VALUES ('run', 'pgbench $role: no errors, failures or retries', $ok, \$d\$$detail\$d\$)"
done

# The server log: nothing at ERROR or worse, no backend crashed.
errors=$(grep -cE '(ERROR|FATAL|PANIC):|terminated by signal|was terminated' "$server_log" || true)
lock_waits=$(grep -c 'still waiting for' "$server_log" || true)
deadlocks=$(grep -c 'deadlock detected' "$server_log" || true)
first=$(grep -m 3 -E '(ERROR|FATAL|PANIC):|terminated by signal|was terminated' "$server_log" | cut -c1-300 | tr '\n' ' ' || true)
psql_run -c "INSERT INTO load.checks (stage, name, ok, detail)
             VALUES ('run', 'server log: no ERROR, FATAL, PANIC or crash', $([ "$errors" = 0 ] && echo true || echo false),
                     \$d\$$errors such lines ($deadlocks deadlocks), $lock_waits lock waits over deadlock_timeout logged${first:+; first: $first}\$d\$)"

# what waited a second or more for a lock, and on what
psql_run -c "CREATE TABLE load.lock_waits (line text)"
grep 'still waiting for' "$server_log" | cut -d' ' -f4- | tr -d '\\' |
    psql_run -c "\copy load.lock_waits FROM STDIN WITH (FORMAT text)" || true

echo
psql_run -v seconds="$seconds" -f test/load/report.sql
echo
echo "== checks"
psql_run -c "SELECT CASE WHEN ok THEN 'ok  ' ELSE 'FAIL' END AS result, stage, name, detail FROM load.checks ORDER BY id"
failures=$(value "SELECT count(*) FROM load.checks WHERE NOT ok")
echo "PostgreSQL $(value "SHOW server_version"), clv $(value "SELECT extversion FROM pg_extension WHERE extname = 'clv'"); $(nproc) cores; $((SECONDS - start)) s in all"
if [ "$failures" != 0 ]; then
    echo "load: $failures check(s) failed" >&2
    exit 1
fi
echo "load: all checks passed"
