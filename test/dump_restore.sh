#!/bin/bash
# pg_dump / pg_restore keeps clv's data: a database holding summaries, fitted
# models, scores and two pipelines (one observed until a fixed date, one
# until its last refresh) is dumped in custom format and restored into a new
# database, where every table and materialized view reads back identically
# and the pipelines refresh.  Runs against the server in the PG* environment
# (scripts/test.sh runs it inside its pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."

src=clv_dump_source
dst=clv_dump_restored
dump=$(mktemp -d)/clv.dump
trap 'rm -rf "$(dirname "$dump")"' EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$src" 2>/dev/null; dropdb --if-exists "$dst" 2>/dev/null
createdb "$src"
psql_q -d "$src" <<'SQL' >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION clv;
\set with_models
\i test/include/btyd_orders.psql
CREATE TABLE scores AS
SELECT s.customer, clv_p_alive(m.model, s.summary) AS p_alive,
       clv_predicted_value(m.model, (SELECT model FROM models WHERE name = 'gammagamma'), s.summary,
                           12, 0.01, '30 days') AS predicted_value
FROM summaries s, models m WHERE m.name = 'bgnbd';
SELECT count(*) FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'fixed_report',
                                         as_of => '2025-07-01 00:00+00');
SELECT count(*) FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'live_report');
SQL

# one digest per relation: every row as text, in order
digests() {
    psql_q -At -d "$1" <<'SQL'
SELECT c.oid::regclass::text || ' ' ||
       (xpath('/row/d/text()',
              query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) AS d FROM (SELECT %s FROM %s) t',
                                  CASE WHEN c.relname = 'models' AND c.relkind = 'm'
                                       THEN 'id, purchases, spend, rfm_breakpoints'  -- not fitted_at, a now()
                                       ELSE '*' END,
                                  c.oid::regclass), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname IN ('public', 'fixed_report', 'live_report')
ORDER BY 1;
SQL
}

before=$(digests "$src")
pg_dump -Fc -f "$dump" "$src"
createdb "$dst"
pg_restore --exit-on-error -d "$dst" "$dump"
after=$(digests "$dst")

status=0
if [ "$before" != "$after" ]; then
    echo "not ok: restored relations differ"; diff <(echo "$before") <(echo "$after") || true
    status=1
else
    echo "ok: $(echo "$before" | wc -l) tables and materialized views restored identically"
fi
# the restored values score as the stored ones did, and the pipelines refresh
changed=$(psql_q -At -d "$dst" <<'SQL'
SELECT count(*) FROM scores s JOIN summaries u USING (customer)
WHERE s.p_alive IS DISTINCT FROM clv_p_alive((SELECT model FROM models WHERE name = 'bgnbd'), u.summary)
   OR s.predicted_value IS DISTINCT FROM
      clv_predicted_value((SELECT model FROM models WHERE name = 'bgnbd'),
                          (SELECT model FROM models WHERE name = 'gammagamma'), u.summary, 12, 0.01, '30 days');
SQL
)
if [ "$changed" != 0 ]; then echo "not ok: $changed restored scores differ"; status=1; else echo "ok: restored models and summaries score the same"; fi
if psql_q -d "$dst" -c "SELECT count(*) FROM clv_refresh_pipeline('fixed_report', incremental => true)" \
        -c "SELECT count(*) FROM clv_refresh_pipeline('live_report')" >/dev/null; then
    echo "ok: restored pipelines refresh"
else
    echo "not ok: restored pipelines do not refresh"; status=1
fi
dropdb "$src"; dropdb "$dst"
exit $status
