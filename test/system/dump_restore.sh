#!/bin/bash
# pg_dump / pg_restore keeps clv's data: a database holding summaries, fitted
# models, scores and two pipelines (one observed until a fixed date, one
# until its last refresh) is dumped in custom format and restored into a new
# database whose sessions run in another time zone (Pacific/Kiritimati, +14,
# against Pacific/Pago_Pago, -11: a different date most of the day), where
# every table reads back identically, the pipelines refresh, and an
# incremental refresh after new orders equals a full one.  Runs against the server in the PG* environment
# (scripts/test.sh runs it inside its pg_virtualenv).
set -euo pipefail
cd "$(dirname "$0")/../.."

src=clv_dump_source
dst=clv_dump_restored
dump=$(mktemp -d)/clv.dump
trap 'rm -rf "$(dirname "$dump")"' EXIT
psql_q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

dropdb --if-exists "$src" 2>/dev/null; dropdb --if-exists "$dst" 2>/dev/null
createdb "$src"
psql_q -d postgres -c "ALTER DATABASE $src SET TimeZone = 'Pacific/Kiritimati'"
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
SET TimeZone = 'UTC';   -- times rendered alike in both databases
SELECT c.oid::regclass::text || ' ' ||
       (xpath('/row/d/text()',
              query_to_xml(format('SELECT md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) AS d FROM (SELECT %s FROM %s) t',
                                  CASE WHEN c.relname = 'models' AND n.nspname <> 'public'
                                       THEN 'model, kind, status, error, parameters'  -- not fitted_at, a clock time
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
psql_q -d postgres -c "ALTER DATABASE $dst SET TimeZone = 'Pacific/Pago_Pago'"
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
populated=$(psql_q -At -d "$dst" -c "SELECT count(*) FROM fixed_report.customer_scores WHERE predicted_clv IS NOT NULL")
if [ "$populated" -gt 0 ]; then echo "ok: the restored pipeline tables are populated ($populated scored customers)"
else echo "not ok: the restored pipeline tables are empty"; status=1; fi
# new orders after the restore, in the restored database's zone: an
# incremental refresh counts them as a full refresh does
same=$(psql_q -At -d "$dst" <<'SQL'
SET client_min_messages = warning;
INSERT INTO orders SELECT customer, '2025-06-30 22:00+00', 12 FROM orders GROUP BY customer ORDER BY customer LIMIT 20;
INSERT INTO orders VALUES (99999, '2025-06-30 23:30+00', 40);
DELETE FROM orders WHERE customer IN (SELECT customer FROM orders WHERE customer < 99999 GROUP BY customer ORDER BY customer DESC LIMIT 3);
SELECT count(*) FROM clv_refresh_pipeline('fixed_report', incremental => true) \g /dev/null
CREATE TEMP TABLE after_incremental AS SELECT * FROM fixed_report.customer_scores;
SELECT count(*) FROM clv_refresh_pipeline('fixed_report') \g /dev/null
SELECT count(*) FROM clv_refresh_pipeline('live_report', incremental => true) \g /dev/null
SELECT (SELECT count(*) FROM (SELECT * FROM after_incremental EXCEPT SELECT * FROM fixed_report.customer_scores) d)
     + (SELECT count(*) FROM (SELECT * FROM fixed_report.customer_scores EXCEPT SELECT * FROM after_incremental) d)
     || ' ' || (SELECT count(*) FROM fixed_report.customer_summary WHERE customer_id = 99999);
SQL
) || same="failed"
if [ "$same" = "0 1" ]; then
    echo "ok: restored pipelines refresh, incrementally equal to in full, new orders counted"
else
    echo "not ok: restored pipelines: $same (want 0 differences and the new customer)"; status=1
fi
[ "${CLV_KEEP_DUMP_DBS:-}" ] || { dropdb "$src"; dropdb "$dst"; }
exit $status
