#!/bin/bash
# clv's aggregates across real nodes, the way Citus runs them: three
# throwaway PostgreSQL clusters on loopback ports, a coordinator and two
# workers.  The coordinator generates the orders (include/btyd_orders.psql
# plus refunds, second orders the same day and rows without an amount or a
# time) and sends each worker the customers of its half (by customer id),
# with COPY.  Each worker summarises its customers (clv_summary, pushed down
# whole as Citus would for a query grouped by the distribution column) and
# computes the partial states of the cross-customer aggregates: the
# transition function only, the state written out as text by its type's
# output function (worker_partial_agg).  The summaries and the partial
# states go back to the coordinator with COPY, which reads the states with
# the type's input function, combines them with the aggregate's combine
# function and applies its final function (coord_combine_agg), in worker
# order and in reverse.  Every result must equal, as text, the aggregate
# over all the orders on the coordinator.  The partial and merge aggregates
# are built from the catalog entries of the aggregates under test.
# Exits non-zero on any difference.  Needs clv installed (make install);
# runs as root (the servers then run as postgres) or as a user who can run
# initdb.  test/pgtap/shard_combine.sql covers every aggregate on one server.
set -euo pipefail
cd "$(dirname "$0")/../.."

. scripts/debian_release.sh   # PGVERSION: the PostgreSQL of this Debian release
bindir=/usr/lib/postgresql/$PGVERSION/bin
T=$(mktemp -d "${TMPDIR:-/tmp}/clv-shards.XXXXXX")
chmod 755 "$T"   # the servers run as postgres and must reach their files in here
nodes=(coordinator worker1 worker2)
declare -A port
started=()

. scripts/throwaway_cluster.sh
export CLUSTER_BINDIR=$bindir

cleanup() {
    status=$?
    for node in "${started[@]}"; do
        cluster_stop "$T/$node"
    done
    if [ "$status" -ne 0 ]; then
        for node in "${nodes[@]}"; do
            grep -E -A3 'ERROR|FATAL|PANIC|terminated by signal' "$T/$node/server.log" 2>/dev/null |
                sed "s/^/$node: /" | tail -20 || true
        done
    fi
    rm -rf "$T"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# each node takes a free port as it starts (the one before already listens)
for node in "${nodes[@]}"; do
    cluster_init "$T/$node"
    started+=("$node")
    cluster_start "$T/$node" -- -c fsync=off -c max_connections=20 -c shared_buffers=64MB
    port[$node]=$PGPORT
done
export PGOPTIONS="-c TimeZone=Europe/Paris -c client_min_messages=warning"
on() { local node=$1; shift; "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -p "${port[$node]}" "$@"; }

# The aggregates under test: label, aggregate (regprocedure), arguments over
# the table named.  Run on every node; each builds partial_LABEL (transition
# function, state type, initial value) and merge_LABEL (combine function over
# the state type, final function) from the catalog.
setup_sql=$(cat <<'SQL'
CREATE EXTENSION clv;
CREATE TABLE jobs (label text PRIMARY KEY, agg regprocedure NOT NULL, args text NOT NULL, source text NOT NULL);
INSERT INTO jobs VALUES
    ('bgnbd', 'clv_fit_bgnbd(clv_summary)', 's', 'summaries'),
    ('bgnbd_weeks_penalized', 'clv_fit_bgnbd(clv_summary,float8)', 'sw, 0.05', 'summaries'),
    ('mbgnbd', 'clv_fit_mbgnbd(clv_summary)', 's', 'summaries'),
    ('paretonbd', 'clv_fit_paretonbd(clv_summary)', 's', 'summaries'),
    ('paretonbd_numbers', 'clv_fit_paretonbd(float8,float8,float8)', '(sw).frequency, (sw).recency, (sw).age', 'summaries'),
    ('gammagamma', 'clv_fit_gammagamma(clv_summary)', 's', 'summaries'),
    ('rfm_breakpoints', 'clv_rfm_breakpoints(clv_summary)', 's', 'summaries'),
    ('rfm_breakpoints_4_bins', 'clv_rfm_breakpoints(clv_summary,integer)', 'sw, 4', 'summaries'),
    ('business_kpis', 'clv_business_kpis(clv_summary,date,float8)', 's, date ''2025-01-01'', 0.3', 'summaries'),
    ('seasonality', 'clv_seasonality(date,float8)', 'at::date, amount::float8', 'orders');
DO $$
DECLARE
    j record;
BEGIN
    FOR j IN
        SELECT label, format_type(a.aggtranstype, NULL) AS stype, a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
               coalesce(', INITCOND = ' || quote_literal(a.agginitval), '') AS initcond,
               (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
                FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i)) AS argtypes
        FROM jobs JOIN pg_aggregate a ON a.aggfnoid = jobs.agg JOIN pg_proc p ON p.oid = a.aggfnoid
    LOOP
        EXECUTE format('CREATE AGGREGATE %I(%s) (SFUNC = %s, STYPE = %s%s)',
                       'partial_' || j.label, j.argtypes, j.aggtransfn::regproc, j.stype, j.initcond);
        EXECUTE format('CREATE AGGREGATE %I(%s) (SFUNC = %s, STYPE = %s%s, FINALFUNC = %s)',
                       'merge_' || j.label, j.stype, j.aggcombinefn::regproc, j.stype, j.initcond,
                       j.aggfinalfn::regproc);
    END LOOP;
END
$$;
SQL
)
for node in "${nodes[@]}"; do on "$node" <<<"$setup_sql"; done

# the orders, on the coordinator
on coordinator <<'SQL'
\i test/include/btyd_orders.psql
INSERT INTO orders
SELECT customer, at + interval '4 hours', round(amount * 0.4, 2) FROM orders WHERE customer % 5 = 1
UNION ALL
SELECT customer, at + (customer % 9) * interval '1 day', -amount / 2 FROM orders WHERE customer % 7 = 3
UNION ALL
SELECT customer, NULL, 20 FROM generate_series(1, 1000, 13) customer
UNION ALL
SELECT customer, timestamptz '2024-10-27 02:30+01', NULL FROM generate_series(3, 1000, 17) customer;
DELETE FROM orders WHERE at >= '2025-06-30 22:00+00';
CREATE TABLE summaries AS
SELECT customer, clv_summary(at, amount::float8, '2025-07-01 00:00+02') AS s,
       clv_summary(at, amount::float8, '2025-07-01 00:00+02', '7 days') AS sw
FROM orders GROUP BY customer;
CREATE TABLE shipped_summaries (worker int, customer int, s clv_summary, sw clv_summary);
CREATE TABLE shipped_states (worker int, label text, state text);
SQL

# each worker: its customers, their summaries and the partial states
for w in 1 2; do
    on worker$w -c "CREATE TABLE orders (customer int, at timestamptz, amount numeric)"
    on coordinator -c "\\copy (SELECT * FROM orders WHERE customer % 2 = $w - 1) TO STDOUT" |
        on worker$w -c "\\copy orders FROM STDIN"
    on worker$w <<'SQL'
CREATE TABLE summaries AS
SELECT customer, clv_summary(at, amount::float8, '2025-07-01 00:00+02') AS s,
       clv_summary(at, amount::float8, '2025-07-01 00:00+02', '7 days') AS sw
FROM orders GROUP BY customer;
CREATE TABLE partial_states (label text, state text);
DO $$
DECLARE
    j jobs;
BEGIN
    FOR j IN SELECT * FROM jobs LOOP
        EXECUTE format('INSERT INTO partial_states SELECT %L, (%I(%s))::text FROM %I',
                       j.label, 'partial_' || j.label, j.args, j.source);
    END LOOP;
END
$$;
SQL
    on worker$w -c "\\copy (SELECT $w, customer, s, sw FROM summaries) TO STDOUT" |
        on coordinator -c "\\copy shipped_summaries FROM STDIN"
    on worker$w -c "\\copy (SELECT $w, label, state FROM partial_states) TO STDOUT" |
        on coordinator -c "\\copy shipped_states FROM STDIN"
done

# the coordinator: combine, finalize, compare with the single-table results
results=$(on coordinator -At <<'SQL'
CREATE TABLE checks (name text, ok boolean, detail text);
INSERT INTO checks
SELECT 'per-customer summaries computed on the workers = on the coordinator',
       count(*) FILTER (WHERE w.customer IS NULL OR c.customer IS NULL
                        OR w.s::text IS DISTINCT FROM c.s::text OR w.sw::text IS DISTINCT FROM c.sw::text) = 0,
       format('%s customers, %s from worker 1, %s from worker 2', count(*),
              count(*) FILTER (WHERE w.worker = 1), count(*) FILTER (WHERE w.worker = 2))
FROM shipped_summaries w FULL JOIN summaries c USING (customer);
DO $$
DECLARE
    j record;
    whole text;
    merged text;
    reversed text;
BEGIN
    FOR j IN SELECT jobs.*, format_type(a.aggtranstype, NULL) AS stype
             FROM jobs JOIN pg_aggregate a ON a.aggfnoid = jobs.agg ORDER BY label LOOP
        EXECUTE format('SELECT (%s(%s))::text FROM %I', j.agg::regproc, j.args, j.source) INTO whole;
        EXECUTE format('SELECT (%I(state::%s ORDER BY worker))::text FROM shipped_states WHERE label = %L',
                       'merge_' || j.label, j.stype, j.label) INTO merged;
        EXECUTE format('SELECT (%I(state::%s ORDER BY worker DESC))::text FROM shipped_states WHERE label = %L',
                       'merge_' || j.label, j.stype, j.label) INTO reversed;
        INSERT INTO checks VALUES
            (j.label || ': worker states combined in order = the single-table result',
             whole IS NOT NULL AND merged IS NOT DISTINCT FROM whole,
             format('single table %s, combined %s', left(whole, 200), left(merged, 200))),
            (j.label || ': combined in reverse order = the single-table result',
             whole IS NOT NULL AND reversed IS NOT DISTINCT FROM whole,
             format('single table %s, combined %s', left(whole, 200), left(reversed, 200)));
    END LOOP;
END
$$;
SELECT CASE WHEN ok THEN 'ok - ' || name ELSE 'not ok - ' || name || E'\n#   ' || detail END FROM checks;
SQL
)
echo "$results"
passed=$(grep -c '^ok - ' <<<"$results" || true)
failed=$(grep -c '^not ok - ' <<<"$results" || true)
echo "shard_clusters: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
