-- The refreshable pipeline: created on a table with odd identifiers,
-- queried as a BI tool would, refreshed while another session reads,
-- re-created, dropped; bad arguments.
\set VERBOSITY terse
SET client_min_messages = error;   -- fit warnings on small data are not the point here

CREATE TABLE "Order Lines" ("Customer Id" int, "Created At" timestamptz, "Total €" numeric(10,2), note text);
INSERT INTO "Order Lines"
SELECT c, '2023-01-01'::timestamptz + ((c * 7919 + k * 104729) % 900) * interval '1 day',
       10 + (c * k) % 90, 'x'
FROM generate_series(1, 400) c, generate_series(1, 1 + c % 9) k;
INSERT INTO "Order Lines" VALUES (NULL, '2024-01-01', 10, 'no customer'),
                                 (999, now() + interval '1 day', 10, 'in the future');

-- the stored state gives the summary itself; moved to a later end, the
-- summary of the same orders at that end
SELECT count(*) AS customers,
       count(*) FILTER (WHERE clv_summary_final(st) IS DISTINCT FROM direct) AS differences,
       count(*) FILTER (WHERE clv_summary_final(clv_summary_advance(st, '2026-01-01 12:00+00')) IS DISTINCT FROM later)
           AS differences_later,
       -- no free room is stored: 13 header slots, one a purchase day, 3 a refund day
       bool_and(array_length(st, 1) = 13 + (clv_summary_final(st)).purchase_days
                                        + 3 * (SELECT count(DISTINCT "Created At"::date) FROM "Order Lines" o
                                               WHERE o."Customer Id" = q."Customer Id" AND o."Total €" < 0
                                                 AND o."Created At" <= '2025-07-01')) AS compact
FROM (SELECT "Customer Id",
             clv_summary_state("Created At", "Total €"::float8, '2025-07-01') AS st,
             clv_summary("Created At", "Total €"::float8, '2025-07-01') AS direct,
             clv_summary("Created At", "Total €"::float8, '2026-01-01 12:00+00') AS later
      FROM "Order Lines" WHERE "Created At" <= '2025-07-01' AND "Customer Id" IS NOT NULL
      GROUP BY 1) q;

SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €',
                                  'BI Report', gross_margin => 0.3);
-- what a dashboard reads: plain columns of plain types
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'BI Report' AND a.attnum > 0 AND c.relkind = 'm' AND c.relname <> 'models'
  AND format_type(a.atttypid, a.atttypmod) NOT IN
      ('integer', 'bigint', 'double precision', 'numeric', 'text', 'date', 'boolean',
       'timestamp with time zone')
ORDER BY 1, 2;
-- every view has the unique index a concurrent refresh needs
SELECT c.relname, count(i.indexrelid) FILTER (WHERE i.indisunique) AS unique_indexes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indrelid = c.oid
WHERE n.nspname = 'BI Report' AND c.relkind = 'm'
GROUP BY c.relname ORDER BY c.relname;
-- one row per customer; NULL customers and future orders left out
SELECT count(*), count(*) FILTER (WHERE customer_id = 999) AS future_only,
       sum(orders) AS orders FROM "BI Report".customer_summary;
SELECT count(*) = 400 AS scored, count(p_alive) = 400 AS with_p_alive,
       count(rfm_segment) = 400 AS with_segment FROM "BI Report".customer_scores;
SELECT sum(customers) AS customers FROM "BI Report".segments;
SELECT value_tier, customers FROM "BI Report".value_tiers ORDER BY min_predicted_clv DESC;
SELECT (SELECT count(*) FROM "BI Report".declining_customers)
     = (SELECT count(*) FROM "BI Report".customer_scores WHERE declining) AS declining_list_complete,
       (SELECT bool_and(rank = r) FROM (SELECT rank, row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, customer_id) AS r
                                        FROM "BI Report".declining_customers) q) AS ranked;
-- per month: every order counted once, the seasonal index over 30 months
SELECT count(*) AS months, sum(orders) AS orders, sum(new_customers) AS new_customers,
       count(seasonal_index) AS with_index
FROM "BI Report".monthly;
-- cohorts count every order, the one dated tomorrow included
SELECT sum(cohort_customers) FILTER (WHERE period_number = 0) AS first_buyers FROM "BI Report".cohorts;

-- refresh: new orders show up, in dependency order
INSERT INTO "Order Lines" VALUES (401, now() - interval '1 day', 50, 'new customer');
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('BI Report') r;
SELECT count(*) FROM "BI Report".customer_scores WHERE customer_id = 401;
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('BI Report', concurrent => false) r;

-- incremental: only customers with orders dated after the last refresh are
-- summarised again, and the result is what a full refresh gives
INSERT INTO "Order Lines" VALUES (5, clock_timestamp(), 33.33, 'returning'), (402, clock_timestamp(), 12, 'new');
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('BI Report', incremental => true) r;
CREATE TEMP TABLE after_incremental AS
SELECT customer_id, clv_summary_final(clv_summary_advance(state, now() + interval '1 day')) AS s
FROM "BI Report".summary_state;
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('BI Report') r;
SELECT count(*) AS customers, count(*) FILTER (WHERE i.s IS DISTINCT FROM f.s) AS differences
FROM after_incremental i FULL JOIN
     (SELECT customer_id, clv_summary_final(clv_summary_advance(state, now() + interval '1 day')) AS s
      FROM "BI Report".summary_state) f USING (customer_id);
SELECT orders FROM "BI Report".customer_summary WHERE customer_id IN (5, 402) ORDER BY customer_id;
-- an order dated before the last refresh but entered after it: only a full refresh sees it
INSERT INTO "Order Lines" VALUES (403, now() - interval '2 days', 15, 'late entry');
SELECT count(*) AS lines FROM clv_refresh_pipeline('BI Report', incremental => true);
SELECT count(*) AS incremental_sees_it FROM "BI Report".customer_summary WHERE customer_id = 403;
SELECT count(*) AS lines FROM clv_refresh_pipeline('BI Report');
SELECT count(*) AS full_sees_it FROM "BI Report".customer_summary WHERE customer_id = 403;
-- a summary state moves forward only
SELECT clv_summary_advance(state, '2000-01-01') FROM "BI Report".summary_state LIMIT 1;
-- a full refresh summarises with parallel workers when it may (CREATE TEMP
-- TABLE AS, since INSERT ... SELECT never runs in parallel) and serially
-- when it may not: the same states either way
SELECT now() + interval '1 day' AS later \gset
SET max_parallel_workers_per_gather = 0;
SELECT count(*) AS lines FROM clv_refresh_pipeline('BI Report');
CREATE TEMP TABLE serial_states AS
SELECT customer_id, clv_summary_advance(state, :'later') AS state FROM "BI Report".summary_state;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT count(*) AS lines FROM clv_refresh_pipeline('BI Report');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET parallel_leader_participation; RESET max_parallel_workers_per_gather;
SELECT count(*) AS customers, count(*) FILTER (WHERE s.state IS DISTINCT FROM p.state) AS differences
FROM serial_states s FULL JOIN
     (SELECT customer_id, clv_summary_advance(state, :'later') AS state
      FROM "BI Report".summary_state) p USING (customer_id);
SELECT count(*) AS temp_tables_left FROM pg_class WHERE relname = 'clv_pipeline_summarised';

-- a concurrent refresh does not wait for readers; a plain one would
CREATE EXTENSION dblink;
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s',
                      split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port'), current_database()));
SELECT dblink_exec('other', 'SET lock_timeout = ''3s''');
BEGIN;
SELECT count(*) FROM "BI Report".customer_scores;   -- this reader holds its lock until COMMIT
SELECT count(*) AS refreshed_views
FROM dblink('other', 'SELECT * FROM clv_refresh_pipeline(''BI Report'')') AS t(line text);
SET LOCAL client_min_messages = notice;
SELECT dblink_exec('other', 'SELECT clv_refresh_pipeline(''BI Report'', concurrent => false)', false);
COMMIT;

-- an order dated now() whose transaction is still open when an incremental
-- refresh starts: the refresh waits for it, and counts it
\set drain_other 'DO $d$BEGIN LOOP EXIT WHEN NOT EXISTS (SELECT FROM dblink_get_result(''other'', false) AS t(x text)); END LOOP; END$d$;'
SELECT dblink_send_query('other', $q$BEGIN;
    INSERT INTO "Order Lines" VALUES (4242, now(), 42, 'in flight');
    SELECT pg_sleep(1.5); COMMIT$q$) AS sent;
SELECT pg_sleep(0.3);
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report', incremental => true);
SELECT orders, net_revenue FROM "BI Report".customer_summary WHERE customer_id = 4242;
:drain_other
-- a writer that refreshes the same pipeline in its own transaction, while
-- another refresh waits for it: neither waits for the other, nothing is lost
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', $q$INSERT INTO "Order Lines" VALUES (4343, now(), 43, 'writer that refreshes')$q$);
SELECT dblink_send_query('other', $q$SELECT pg_sleep(0.5); SELECT count(*) FROM clv_refresh_pipeline('BI Report', incremental => true); COMMIT$q$) AS sent;
SET clv.refresh_wait = '20s';
SELECT clock_timestamp() AS before_refresh \gset
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report', incremental => true);
SELECT clock_timestamp() - :'before_refresh'::timestamptz < interval '10s' AS no_stall;
RESET clv.refresh_wait;
:drain_other
SELECT customer_id, orders, net_revenue FROM "BI Report".customer_summary WHERE customer_id IN (4242, 4343)
ORDER BY 1;
DELETE FROM "Order Lines" WHERE "Customer Id" IN (4242, 4343);
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report');
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;

-- one pipeline per schema; missing columns and wrong types are named
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'BI Report');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'customer id', 'Created At', 'Total €', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'note', 'Total €', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'note', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', gross_margin => 0);
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', period => '1 month');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', NULL);
SELECT * FROM clv_create_pipeline('no_such_table', 'a', 'b', 'c');
SELECT count(*) AS leftovers FROM pg_namespace WHERE nspname = 'x';

-- drop: exactly what was created; a view of the user's on top stops it
CREATE VIEW "BI Report".my_dashboard AS SELECT * FROM "BI Report".segments;
SELECT * FROM clv_drop_pipeline('BI Report');
DROP VIEW "BI Report".my_dashboard;
SELECT * FROM clv_drop_pipeline('BI Report');
SELECT count(*) AS schema_left FROM pg_namespace WHERE nspname = 'BI Report';
SELECT * FROM clv_drop_pipeline('BI Report');
SELECT * FROM clv_refresh_pipeline('BI Report');

-- with a channel column: predicted CLV split over the channels of each customer's orders
ALTER TABLE "Order Lines" ADD COLUMN "Sales Channel" text;
UPDATE "Order Lines" SET "Sales Channel" = (ARRAY['web', 'store', 'phone'])[1 + ("Customer Id" + extract(day FROM "Created At")::int) % 3];
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'by channel',
                                         channel => 'Sales Channel');
SELECT channel, customers, orders FROM "by channel".channels ORDER BY channel;
-- every model's credits add up to the predicted CLV of the customers, rounded to cents
SELECT sum(predicted_clv_first_touch) = t AS first_touch, sum(predicted_clv_last_touch) = t AS last_touch,
       sum(predicted_clv_linear) = t AS linear, sum(predicted_clv_position_based) = t AS position_based
FROM "by channel".channels,
     (SELECT sum(round(predicted_clv::numeric, 2)) AS t FROM "by channel".customer_scores) total
GROUP BY t;
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', channel => 'channel');
SELECT count(*) FROM clv_drop_pipeline('by channel');

-- in a schema of the user's: their objects stay, and so does the schema
CREATE SCHEMA reports;
CREATE TABLE reports.notes (t text);
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'reports');
SELECT * FROM clv_drop_pipeline('reports');
SELECT relname FROM pg_class WHERE relnamespace = 'reports'::regnamespace ORDER BY 1;
-- re-created after a drop, it works again
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'reports');
SELECT count(*) > 0 AS has_rows FROM reports.customer_scores;
SELECT count(*) FROM clv_drop_pipeline('reports');
DROP SCHEMA reports CASCADE;
DROP TABLE "Order Lines";
