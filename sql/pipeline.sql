-- The refreshable pipeline: built on a table with odd identifiers, read as a
-- BI tool would, refreshed incrementally after inserts, corrections and
-- deletions (equal to a full refresh every time), while another session
-- reads and writes; bad rows, unfittable data, bad arguments; dropped.
-- Every pipeline here is observed up to a fixed as_of, so that nothing
-- depends on the day the test runs (test/system/time_zones.sh runs live pipelines
-- under fixed fake clocks).
\set VERBOSITY terse
SET client_min_messages = error;   -- fit warnings on small data are not the point here

CREATE TABLE "Order Lines" ("Customer Id" int, "Created At" timestamptz, "Total €" numeric(10,2), note text);
INSERT INTO "Order Lines"
SELECT c, '2023-01-01'::timestamptz + ((c * 7919) % 600 + k * (7 + (c * 31) % 60) + (k * 104729) % 5) * interval '1 day',
       10 + (c * k) % 90, 'x'
FROM generate_series(1, 400) c, generate_series(0, c % 9) k;
INSERT INTO "Order Lines" VALUES (NULL, '2024-01-01', 10, 'no customer'),
                                 (999, '2025-11-02 12:00+00', 10, 'after as_of');

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

-- the calendar named: the same summaries whatever the session's TimeZone
SET TimeZone = 'Pacific/Kiritimati';
CREATE TEMP TABLE zoned_kiritimati AS
SELECT "Customer Id", clv_summary("Created At", "Total €"::float8, '2025-07-01 00:00+00', '1 day', 'Europe/Paris') AS s,
       clv_summary_final(clv_summary_advance(
           clv_summary_state("Created At", "Total €"::float8, '2025-07-01 00:00+00', '1 day', 'Europe/Paris'),
           '2025-08-01 00:00+00', 'Europe/Paris')) AS later
FROM "Order Lines" WHERE "Created At" <= '2025-07-01 00:00+00' GROUP BY 1;
SET TimeZone = 'Pacific/Pago_Pago';
SELECT count(*) AS customers,
       count(*) FILTER (WHERE k.s IS DISTINCT FROM p.s) AS differences,
       count(*) FILTER (WHERE k.later IS DISTINCT FROM p.later) AS differences_later,
       -- and the session's own calendar does differ between the two zones
       (SELECT count(*) FROM (
            SELECT "Customer Id", clv_summary("Created At", "Total €"::float8, '2025-07-01 00:00+00') AS s
            FROM "Order Lines" WHERE "Created At" <= '2025-07-01 00:00+00' GROUP BY 1) pago
        JOIN zoned_kiritimati z USING ("Customer Id") WHERE pago.s IS DISTINCT FROM z.s) > 0 AS session_calendars_differ
FROM zoned_kiritimati k JOIN
     (SELECT "Customer Id", clv_summary("Created At", "Total €"::float8, '2025-07-01 00:00+00', '1 day', 'Europe/Paris') AS s,
             clv_summary_final(clv_summary_advance(
                 clv_summary_state("Created At", "Total €"::float8, '2025-07-01 00:00+00', '1 day', 'Europe/Paris'),
                 '2025-08-01 00:00+00', 'Europe/Paris')) AS later
      FROM "Order Lines" WHERE "Created At" <= '2025-07-01 00:00+00' GROUP BY 1) p USING ("Customer Id");
RESET TimeZone;
SELECT clv_summary(now(), 1, now(), '1 day', 'Mars/Olympus_Mons');
SELECT clv_summary(now(), 1, now(), '1 day', NULL);

SELECT regexp_replace(r, '[0-9]+ ms', 'N ms')
FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €',
                         'BI Report', gross_margin => 0.3, as_of => '2025-11-01 00:00+00',
                         time_zone => 'Europe/Paris') r;
-- what a dashboard reads: tables of plain columns of plain types, money as
-- numeric rounded to cents
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'BI Report' AND a.attnum > 0 AND c.relkind IN ('r', 'v')
  AND c.relname NOT IN ('clv_pipeline', 'summary_state', 'activity_totals')
  AND format_type(a.atttypid, a.atttypmod) NOT IN
      ('integer', 'bigint', 'double precision', 'numeric(1000,2)', 'text', 'date', 'boolean',
       'timestamp with time zone', 'jsonb')
ORDER BY 1, 2;
-- every table and column has a description: those a dashboard reads with
-- their units and the pipeline's settings, the registry's and the internal
-- tables' too (a role granted every table in the schema sees them)
SELECT c.relname, a.attname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'BI Report' AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')
  AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)
ORDER BY 1, 2;
SELECT col_description('"BI Report".customer_scores'::regclass, 7) AS predicted_clv,
       col_description('"BI Report".customer_summary'::regclass, 8) AS total_amount;
-- the views' columns are the summary's fields under the summary's names
-- (clv_summary), in its order; 0.3.0's names of the same fields follow,
-- equal to them, for dashboards written for 0.3.0
SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attnum BETWEEN 2 AND 16)
       OPERATOR(pg_catalog.=) (SELECT pg_catalog.array_agg(t.attname ORDER BY t.attnum)
                                 FROM pg_attribute t
                                WHERE t.attrelid = 'clv_summary'::regclass AND t.attnum > 0
                                  AND t.attname <> 'time_unit') AS summary_names_as_clv_summary,
       pg_catalog.array_agg(a.attname ORDER BY a.attnum) FILTER (WHERE a.attnum > 16) AS names_of_0_3_0
FROM pg_attribute a WHERE a.attrelid = '"BI Report".customer_summary'::regclass AND a.attnum > 0;
SELECT count(*) AS customers,
       count(*) FILTER (WHERE (net_revenue, repeat_purchase_days, recency_days, age_days, repeat_order_value,
                               mean_gap_days, gap_stddev_days)
                              IS DISTINCT FROM (total_amount, frequency, recency, age, monetary, mean_gap, gap_stddev))
         AS old_names_differing
FROM "BI Report".customer_summary;
SELECT count(*) FILTER (WHERE net_revenue IS DISTINCT FROM total_amount) AS scores_old_name_differing
FROM "BI Report".customer_scores;
SELECT count(*) FILTER (WHERE net_revenue IS DISTINCT FROM total_amount) AS segments_old_name_differing,
       sum(total_amount) = (SELECT sum(total_amount) FROM "BI Report".customer_summary) AS segments_add_up
FROM "BI Report".segments;
-- every table has a key; the views read through one (summary_state's)
SELECT c.relname, c.relkind, i.indisunique AS has_unique_key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisunique
WHERE n.nspname = 'BI Report' AND c.relkind IN ('r', 'm', 'v')
ORDER BY c.relname;
SELECT format, time_zone, change_capture, observation_end, objects, last_refresh, rejected_orders
FROM "BI Report".clv_pipeline;
-- the order capture: four statement triggers on the orders, firing ALWAYS
SELECT t.tgname ~ '^clv_[0-9]+_(insert|update|delete|truncate)$' AS named, t.tgenabled
FROM pg_trigger t WHERE t.tgrelid = '"Order Lines"'::regclass ORDER BY t.tgname;
-- one row per customer; the row without a customer and the one after as_of are listed, not counted
SELECT count(*), count(*) FILTER (WHERE customer_id = 999) AS after_as_of,
       sum(orders) AS orders FROM "BI Report".customer_summary;
SELECT customer_id, ordered_at, amount, reason FROM "BI Report".rejected_orders ORDER BY reason;
SELECT count(*) = 400 AS scored, count(p_alive) = 400 AS with_p_alive,
       count(rfm_segment) = 400 AS with_segment, count(score_note) AS notes FROM "BI Report".customer_scores;
SELECT model, kind, status, error FROM "BI Report".models ORDER BY model;
SELECT sum(customers) AS customers FROM "BI Report".segments;
SELECT value_tier, customers FROM "BI Report".value_tiers ORDER BY min_predicted_clv DESC;
SELECT (SELECT count(*) FROM "BI Report".declining_customers)
     = (SELECT count(*) FROM "BI Report".customer_scores WHERE declining) AS declining_list_complete,
       -- ranked 1, 2, ... by value at risk (ranked before it was rounded to the
       -- cent, so customers rounded to the same cent keep that order)
       (SELECT bool_and(q.rank = q.r AND (q.value_at_risk IS NULL OR q.value_at_risk <= coalesce(q.before, q.value_at_risk)))
          FROM (SELECT rank, value_at_risk, row_number() OVER (ORDER BY rank) AS r,
                       lag(value_at_risk) OVER (ORDER BY rank) AS before
                  FROM "BI Report".declining_customers) q) AS ranked;
-- each listed customer's reasons and alert are what customer_scores says
SELECT count(*) AS listed, bool_and(d.decline_alert IS NOT NULL) AS with_alerts,
       bool_and(d.decline_reasons IS NOT DISTINCT FROM c.decline_reasons
                AND d.decline_alert IS NOT DISTINCT FROM c.decline_alert) AS as_scored
FROM "BI Report".declining_customers d JOIN "BI Report".customer_scores c USING (customer_id);
-- per month of the pipeline's calendar, from the first order's to the end's: every counted order once, a seasonal index for each month
SELECT count(*) AS months, sum(orders) AS orders, sum(new_customers) AS new_customers,
       count(seasonal_index) AS with_index
FROM "BI Report".monthly;
SELECT sum(cohort_customers) FILTER (WHERE period_number = 0) AS first_buyers FROM "BI Report".cohorts;
-- the monthly and cohort tables, kept from the stored activity, are what
-- the counted orders give directly, in the pipeline's calendar
CREATE TEMP VIEW counted_lines AS
SELECT o.* FROM "Order Lines" o
WHERE o."Customer Id" IS NOT NULL AND o."Total €" IS NOT NULL AND isfinite(o."Created At")
  AND o."Created At" <= '2025-11-01 00:00+00' AND o."Created At" >= '1900-01-01 00:00 Europe/Paris';
SELECT count(*) AS months_differing
FROM (SELECT date_trunc('month', "Created At" AT TIME ZONE 'Europe/Paris')::date AS month,
             count(DISTINCT "Customer Id") AS active_customers, count(*) AS orders, sum("Total €"::float8) AS revenue
        FROM counted_lines GROUP BY 1) d
FULL JOIN (SELECT * FROM "BI Report".monthly WHERE orders > 0) m USING (month)
WHERE d.active_customers IS DISTINCT FROM m.active_customers OR d.orders IS DISTINCT FROM m.orders
   OR abs(d.revenue - m.revenue) > 1e-9 * abs(d.revenue) OR d.revenue IS NULL OR m.revenue IS NULL;
-- every month from the first order's to the observation end's is there, those
-- without orders at 0; the last is partial (observation ends on 1 November)
SELECT count(*) AS months, count(*) FILTER (WHERE orders = 0) AS months_without_orders,
       min(month) AS first_month, max(month) AS last_month,
       count(*) = 1 + 12 * (date_part('year', max(month)) - date_part('year', min(month)))
                    + date_part('month', max(month)) - date_part('month', min(month)) AS no_month_missing,
       array_agg(month) FILTER (WHERE partial_month) AS partial
FROM "BI Report".monthly;
SELECT count(*) AS cohort_cells_differing
FROM clv_cohort_retention('counted_lines', 'Customer Id', 'Created At', 'month', 'Europe/Paris') d
FULL JOIN "BI Report".cohorts c USING (cohort, period_number)
WHERE d.cohort_customers IS DISTINCT FROM c.cohort_customers OR d.active_customers IS DISTINCT FROM c.active_customers
   OR d.retention IS DISTINCT FROM c.retention;
-- a customer's value tier is clv_value_tier of its rank among all customers
SELECT count(*) AS tiers_differing
FROM (SELECT customer_id, value_tier,
             clv_value_tier(cume_dist() OVER (ORDER BY predicted_clv DESC NULLS LAST)) AS ranked_tier
        FROM "BI Report".customer_scores) t
WHERE value_tier IS DISTINCT FROM ranked_tier;
DROP VIEW counted_lines;

-- everything a dashboard reads, to compare refreshes by
\set ECHO none
\i test/include/pipeline_digest.psql
\set ECHO all
CREATE FUNCTION refresh_and_compare(s name) RETURNS TABLE (incremental_line text, same_as_full boolean)
LANGUAGE plpgsql AS $$
DECLARE
    after_incremental text;
BEGIN
    SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') INTO incremental_line
    FROM clv_refresh_pipeline(s, incremental => true) r LIMIT 1;
    after_incremental := pg_temp.pipeline_digest(s);
    PERFORM clv_refresh_pipeline(s);
    same_as_full := after_incremental = pg_temp.pipeline_digest(s);
    RETURN NEXT;
END $$;

-- an incremental refresh summarises only the customers whose orders changed,
-- and gives what a full refresh gives: new orders, a new customer, an order
-- back-dated a year, a corrected amount, a moved date, deleted orders, a
-- customer erased, an order for a customer other than the one first entered
INSERT INTO "Order Lines" VALUES (5, '2025-10-31 23:30+00', 33.33, 'returning'), (401, '2025-10-01', 12, 'new');
SELECT * FROM refresh_and_compare('BI Report');
SELECT customer_id, orders FROM "BI Report".customer_summary WHERE customer_id IN (5, 401) ORDER BY 1;
INSERT INTO "Order Lines" VALUES (403, '2024-06-01', 15, 'back-dated a year');
UPDATE "Order Lines" SET "Total €" = "Total €" + 100 WHERE "Customer Id" = 6;
UPDATE "Order Lines" SET "Created At" = "Created At" - interval '200 days' WHERE "Customer Id" = 7;
SELECT * FROM refresh_and_compare('BI Report');
DELETE FROM "Order Lines" WHERE "Customer Id" = 8 AND "Created At" = (SELECT max("Created At") FROM "Order Lines" WHERE "Customer Id" = 8);
DELETE FROM "Order Lines" WHERE "Customer Id" = 9;
UPDATE "Order Lines" SET "Customer Id" = 10 WHERE "Customer Id" = 11;
SELECT * FROM refresh_and_compare('BI Report');
SELECT count(*) FILTER (WHERE customer_id = 9) AS erased, count(*) FILTER (WHERE customer_id = 11) AS moved_away
FROM "BI Report".customer_scores;
-- bad rows are listed, never block a refresh, and leave when corrected
INSERT INTO "Order Lines" VALUES (12, '2024-03-01', 'NaN', 'not a number'), (12, '0024-03-01', 5, 'typo year'),
                                 (12, 'infinity', 5, 'no date'), (13, '2024-03-01', NULL, 'no amount');
SELECT * FROM refresh_and_compare('BI Report');
SELECT customer_id, amount, reason FROM "BI Report".rejected_orders WHERE customer_id IN (12, 13) ORDER BY reason;
UPDATE "Order Lines" SET "Total €" = 5 WHERE "Customer Id" = 12 AND "Total €" = 'NaN';
SELECT * FROM refresh_and_compare('BI Report');
SELECT count(*) AS still_rejected FROM "BI Report".rejected_orders WHERE customer_id = 12 AND amount = 'NaN';
-- the owner moves the end of observation on: the order after the old end comes due
UPDATE "BI Report".clv_pipeline SET as_of = '2025-12-01 00:00+00';
SELECT * FROM refresh_and_compare('BI Report');
SELECT orders FROM "BI Report".customer_summary WHERE customer_id = 999;
-- and back: the states are summarised again in full
UPDATE "BI Report".clv_pipeline SET as_of = '2025-11-01 00:00+00';
SET client_min_messages = notice;
SELECT count(*) FROM clv_refresh_pipeline('BI Report', incremental => true);
SET client_min_messages = error;
SELECT count(*) FILTER (WHERE customer_id = 999) AS after_as_of_again FROM "BI Report".customer_summary;
-- a truncated table: the next refresh is a full one, and says so
CREATE TABLE snapshot AS SELECT * FROM "Order Lines";
TRUNCATE "Order Lines";
SET client_min_messages = notice;
SELECT count(*) FROM clv_refresh_pipeline('BI Report', incremental => true);
SET client_min_messages = error;
SELECT count(*) AS customers_left FROM "BI Report".customer_summary;
INSERT INTO "Order Lines" SELECT * FROM snapshot;
DROP TABLE snapshot;
SELECT * FROM refresh_and_compare('BI Report');
-- a full refresh rewrites only the states that differ (a changed customer's,
-- an erased one's, a new one's, and the rows without a customer, which are
-- all rejected); every other state stays where it was, so the table does not
-- grow by a copy of itself; and it leaves what replacing every state leaves
BEGIN;
CREATE TEMP TABLE states_before AS SELECT ctid AS at, customer_id FROM "BI Report".summary_state;
UPDATE "Order Lines" SET "Total €" = "Total €" + 1 WHERE "Customer Id" = 5;
DELETE FROM "Order Lines" WHERE "Customer Id" = 6;
INSERT INTO "Order Lines" VALUES (404, '2025-09-01', 20, 'new');
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('BI Report') r LIMIT 1;
SELECT count(*) FILTER (WHERE s.ctid = b.at) AS kept, count(b.at) AS stored_before,
       array_agg(COALESCE(s.customer_id, b.customer_id) ORDER BY COALESCE(s.customer_id, b.customer_id))
           FILTER (WHERE s.ctid IS DISTINCT FROM b.at) AS rewritten
FROM states_before b FULL JOIN "BI Report".summary_state s ON s.customer_id = b.customer_id
WHERE b.at IS NOT NULL OR s.customer_id IS NOT NULL;
SELECT count(*) FILTER (WHERE customer_id IS NULL) AS without_customer, count(*) AS states
FROM "BI Report".summary_state;
SELECT md5(string_agg(s::text, ',' ORDER BY s.customer_id NULLS FIRST)) AS replaced_some FROM "BI Report".summary_state s \gset
DELETE FROM "BI Report".summary_state;
SELECT count(*) FROM clv_refresh_pipeline('BI Report') \g /dev/null
SELECT md5(string_agg(s::text, ',' ORDER BY s.customer_id NULLS FIRST)) = :'replaced_some' AS same_as_replacing_all
FROM "BI Report".summary_state s;
-- the end of observation moved on: the states of the customers whose orders
-- did not change stay, observed up to the old end (999's order comes due),
-- and dashboards read what replacing every state gives
UPDATE "BI Report".clv_pipeline SET as_of = '2025-12-01 00:00+00';
CREATE TEMP TABLE states_at_old_end AS SELECT ctid AS at, customer_id FROM "BI Report".summary_state;
SELECT count(*) FROM clv_refresh_pipeline('BI Report') \g /dev/null
SELECT count(*) FILTER (WHERE s.ctid = b.at) AS kept, count(*) AS states,
       array_agg(s.customer_id ORDER BY s.customer_id) FILTER (WHERE s.ctid IS DISTINCT FROM b.at) AS rewritten
FROM "BI Report".summary_state s LEFT JOIN states_at_old_end b ON s.customer_id = b.customer_id;
SELECT pg_temp.pipeline_digest('BI Report') AS kept_states \gset
DELETE FROM "BI Report".summary_state;
SELECT count(*) FROM clv_refresh_pipeline('BI Report') \g /dev/null
SELECT pg_temp.pipeline_digest('BI Report') = :'kept_states' AS dashboards_same_as_replacing_all;
ROLLBACK;

-- readers are never blocked: a reader holding its snapshot sees the old
-- figures while another session refreshes, the new ones after
CREATE EXTENSION dblink;
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s',
                      split_part(current_setting('unix_socket_directories'), ',', 1),
                      current_setting('port'), current_database()));
SELECT dblink_exec('other', 'SET lock_timeout = ''3s''');
-- the other session reads dates as this one does, whatever the server's zone
SELECT dblink_exec('other', format('SET TimeZone = %L', current_setting('TimeZone')));
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) AS customers_before FROM "BI Report".customer_scores;
SELECT dblink_exec('other', $q$DELETE FROM "Order Lines" WHERE "Customer Id" = 14$q$);
SELECT count(*) AS refreshed_lines
FROM dblink('other', $q$SELECT * FROM clv_refresh_pipeline('BI Report', incremental => true)$q$) AS t(line text);
SELECT count(*) AS customers_still FROM "BI Report".customer_scores;
COMMIT;
SELECT count(*) AS customers_after FROM "BI Report".customer_scores;

-- an order whose transaction is still open during a refresh is counted by
-- the next one
\set drain_other 'DO $d$BEGIN LOOP EXIT WHEN NOT EXISTS (SELECT FROM dblink_get_result(''other'', false) AS t(x text)); END LOOP; END$d$;'
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', $q$INSERT INTO "Order Lines" VALUES (4242, '2025-10-15', 42, 'in flight')$q$);
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report', incremental => true);
SELECT count(*) AS seen_while_open FROM "BI Report".customer_summary WHERE customer_id = 4242;
SELECT dblink_exec('other', 'COMMIT');
SELECT * FROM refresh_and_compare('BI Report');
SELECT orders, total_amount FROM "BI Report".customer_summary WHERE customer_id = 4242;
-- a writer that refreshes the pipeline in its own transaction counts its
-- own order; a refresh elsewhere waits for it (one refresh at a time), then
-- goes on
SELECT dblink_exec('other', 'BEGIN');
SELECT dblink_exec('other', $q$INSERT INTO "Order Lines" VALUES (4343, '2025-10-16', 43, 'writer that refreshes')$q$);
SELECT n > 0 AS refreshed_in_the_writer
FROM dblink('other', $q$SELECT count(*) FROM clv_refresh_pipeline('BI Report', incremental => true)$q$) AS t(n bigint);
SELECT dblink_send_query('other', $q$SELECT pg_sleep(0.5); COMMIT$q$) AS sent;
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report', incremental => true);
:drain_other
SELECT customer_id, orders, total_amount FROM "BI Report".customer_summary WHERE customer_id IN (4242, 4343)
ORDER BY 1;
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;

-- one pipeline per schema; missing columns, wrong types and bad settings are named
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'BI Report');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'customer id', 'Created At', 'Total €', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'note', 'Total €', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'note', 'x');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', gross_margin => 0);
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', gross_margin => 'NaN');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', period => '1 month -30 days');
-- a period of months is accepted: it counts 30 days a month, as clv_predicted_value does
SELECT count(*) AS one_month_accepted FROM (SELECT clv_check_pipeline_arguments(0.3, '1 month', 12, 0.01, 0.001)) c;
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', penalizer => 'NaN');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', time_zone => 'Mars/Olympus_Mons');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', as_of => 'infinity');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', NULL);
SELECT * FROM clv_create_pipeline('no_such_table', 'a', 'b', 'c');
SELECT count(*) AS leftovers FROM pg_namespace WHERE nspname = 'x';
SELECT * FROM clv_refresh_pipeline(NULL);
-- options given as NULL take their defaults (the NULL rule); the pipeline's
-- name is not an option
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('BI Report', NULL, NULL);
SELECT last_refresh ~ '^full' AS refreshed_in_full FROM "BI Report".clv_pipeline;
SELECT count(*) AS created FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                                   gross_margin => NULL, period => NULL, periods => NULL,
                                                   discount_rate => NULL, penalizer => NULL);
SELECT gross_margin, period, periods, discount_rate, penalizer FROM x.clv_pipeline;
SELECT count(*) AS dropped FROM clv_drop_pipeline('x');
-- the horizon as an interval (months counted as months), or as periods: the
-- same when given as both
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                  period => '1 month', periods => 6, horizon => '1 year');
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                  period => '1 month', horizon => '1 year 1 day');
SELECT count(*) AS created FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                                   period => '1 month', periods => 24, horizon => '2 years');
SELECT period, periods FROM x.clv_pipeline;
SELECT count(*) AS dropped FROM clv_drop_pipeline('x');
SELECT count(*) AS created FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                                   period => '1 week', horizon => '364 days');
SELECT period, periods FROM x.clv_pipeline;
SELECT count(*) AS dropped FROM clv_drop_pipeline('x');
-- the purchase model: one named, or auto: the first whose mean absolute
-- error of the customers' purchase days over the last 90 days is within
-- 1e-6 of the least, each model fitted on the orders before them
-- (model_evaluation, made once, says how)
SELECT * FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x', model => 'gamma');
SELECT count(*) AS created FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                                   as_of => '2025-11-01 00:00+01', time_zone => 'Europe/Paris',
                                                   model => 'ParetoNBD');
SELECT kind, status, clv_model_params((SELECT purchase_model FROM x.clv_pipeline)) ->> 'kind' AS fitted
FROM x.models WHERE model = 'purchases';
SELECT col_description('x.customer_scores'::regclass, 5) AS p_alive;
SELECT count(*) FILTER (WHERE s.p_alive IS DISTINCT FROM
                              clv_p_alive(r.purchase_model, c.frequency, c.recency, c.age)) AS differing,
       count(*) AS customers
FROM x.customer_scores s JOIN x.customer_summary c USING (customer_id), x.clv_pipeline r;
SELECT to_regclass('x.model_evaluation') IS NULL AS no_evaluation;
SELECT count(*) AS dropped FROM clv_drop_pipeline('x');
SELECT count(*) AS created FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'x',
                                                   as_of => '2025-11-01 00:00+01', time_zone => 'Europe/Paris',
                                                   model => 'auto');
SELECT model, chosen, mean_absolute_error = min(mean_absolute_error) OVER () AS least_error, customers, actual_total,
       error, calibration_end, holdout_end
FROM x.model_evaluation WHERE calibration_frequency IS NULL ORDER BY model;
SELECT m.kind = clv_purchase_model_label(e.model) AS uses_the_chosen_model
FROM x.models m, x.model_evaluation e WHERE m.model = 'purchases' AND e.chosen AND e.calibration_frequency IS NULL;
SELECT clv_report_html('x') ~ ('purchases from ' || (SELECT kind || CASE WHEN kind LIKE '%CNBD%' THEN ' with k = [0-9]+' ELSE '' END
                                                     FROM x.models WHERE model = 'purchases')
                               || ', chosen by the mean absolute error of the customers&#39; purchase days'
                               || ' from 2025-08-04 to 2025-11-01 \(the first within 1e-6 of the least\)') AS report_says_how_chosen;
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('x', incremental => false);
SELECT m.kind = clv_purchase_model_label(e.model) AS still_the_chosen_model
FROM x.models m, x.model_evaluation e WHERE m.model = 'purchases' AND e.chosen AND e.calibration_frequency IS NULL;
SELECT count(*) AS dropped, bool_or(d = 'x.model_evaluation') AS evaluation_dropped FROM clv_drop_pipeline('x') d;
SELECT * FROM clv_refresh_pipeline('no such schema');
SELECT * FROM clv_drop_pipeline(NULL);
-- a pipeline's steps run only through clv_refresh_pipeline and clv_drop_pipeline
SELECT * FROM clv_pipeline_refresh_steps('BI Report', true, false);
SELECT * FROM clv_pipeline_drop_steps('BI Report');

-- the HTML report reads only the pipeline's own tables
SELECT clv_report_html('BI Report') ~ 'data up to 2025-11-01 \(Europe/Paris\)' AS report_dated;
SELECT clv_report_html('BI Report', NULL, NULL) = clv_report_html('BI Report') AS null_options_are_defaults;
CREATE TABLE "BI Report".impostor AS SELECT * FROM "BI Report".segments;
ALTER TABLE "BI Report".segments RENAME TO segments_real;
CREATE VIEW "BI Report".segments AS SELECT * FROM "BI Report".impostor;
SELECT length(clv_report_html('BI Report'));
DROP VIEW "BI Report".segments;
ALTER TABLE "BI Report".segments_real RENAME TO segments;
DROP TABLE "BI Report".impostor;

-- drop: exactly what was created, the triggers on the orders too; a view
-- of the user's on top stops it
CREATE VIEW "BI Report".my_dashboard AS SELECT * FROM "BI Report".segments;
SELECT * FROM clv_drop_pipeline('BI Report');
DROP VIEW "BI Report".my_dashboard;
SELECT regexp_replace(r, 'clv_[0-9]+_', 'clv_N_') FROM clv_drop_pipeline('BI Report') r;
SELECT count(*) AS schema_left FROM pg_namespace WHERE nspname = 'BI Report';
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = '"Order Lines"'::regclass;
SELECT * FROM clv_drop_pipeline('BI Report');
SELECT * FROM clv_refresh_pipeline('BI Report');

-- with a channel column: predicted CLV split over the channels of each customer's orders
ALTER TABLE "Order Lines" ADD COLUMN "Sales Channel" text;
UPDATE "Order Lines" SET "Sales Channel" = (ARRAY['web', 'store', 'phone'])[1 + ("Customer Id" + extract(day FROM "Created At" AT TIME ZONE 'UTC')::int) % 3];
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'by channel',
                                         channel => 'Sales Channel', as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT channel, customers, orders FROM "by channel".channels ORDER BY channel;
SELECT count(*) AS channel_columns_undescribed
FROM pg_attribute a WHERE a.attrelid = '"by channel".channels'::regclass AND a.attnum > 0
  AND col_description(a.attrelid, a.attnum) IS NULL;
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
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'reports',
                                         as_of => '2025-11-01 00:00+00');
SELECT count(*) FROM clv_drop_pipeline('reports');
SELECT relname FROM pg_class WHERE relnamespace = 'reports'::regnamespace ORDER BY 1;
-- re-created after a drop, it works again
SELECT count(*) FROM clv_create_pipeline('"Order Lines"', 'Customer Id', 'Created At', 'Total €', 'reports',
                                         as_of => '2025-11-01 00:00+00');
SELECT count(*) > 0 AS has_rows FROM reports.customer_scores;
SELECT count(*) FROM clv_drop_pipeline('reports');
DROP SCHEMA reports CASCADE;
DROP TABLE "Order Lines";

-- date columns, money amounts, a customer with only NULL amounts, and data
-- no model can be fitted to: the descriptive tables are built, the models
-- table says what failed and why, the scores that need a model are NULL
CREATE TABLE till (customer text, day date, paid money);
INSERT INTO till VALUES ('ann', '2025-01-05', '12.50'), ('bob', '2025-02-01', '3.00'), ('cat', '2025-02-11', NULL),
                        ('dan', '2025-03-01', '7.25');
SELECT count(*) FROM clv_create_pipeline('till', 'customer', 'day', 'paid', 'till report',
                                         as_of => '2025-03-31 12:00+00', time_zone => 'Asia/Tokyo');
SELECT customer_id, orders, total_amount, first_order FROM "till report".customer_summary ORDER BY 1;
SELECT model, status, error IS NOT NULL AS has_error FROM "till report".models ORDER BY model;
SELECT customer_id, p_alive, predicted_clv, score_note FROM "till report".customer_scores ORDER BY 1 LIMIT 1;
SELECT month, orders, revenue FROM "till report".monthly ORDER BY 1;
SELECT customer_id, reason FROM "till report".rejected_orders;
-- an order dated on the last observed day, entered after a refresh: an
-- incremental refresh counts it (0.3.0 lost those on date columns)
INSERT INTO till VALUES ('eve', '2025-03-31', '1.00');
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('till report', incremental => true) r LIMIT 1;
SELECT customer_id, orders FROM "till report".customer_summary WHERE customer_id = 'eve';
SELECT count(*) FROM clv_drop_pipeline('till report');
DROP TABLE till;
-- orders partitioned by customer, summarised and scored with costs set so
-- that the planner hands the work to parallel workers wherever it can: the
-- same tables as from one plain table of the same orders, serially
CREATE TABLE part_orders (customer int, at timestamptz, amount numeric) PARTITION BY HASH (customer);
CREATE TABLE part_orders_0 PARTITION OF part_orders FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE part_orders_1 PARTITION OF part_orders FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO part_orders
SELECT g % 997, timestamptz '2025-01-01 00:00+00' + (g * 7919 % 400) * interval '1 day' + (g % 24) * interval '1 hour',
       (g * 31 % 500) / 10.0
  FROM generate_series(1, 20000) g;
CREATE TABLE plain_orders AS SELECT * FROM part_orders;
ANALYZE part_orders, plain_orders;
SELECT count(*) FROM clv_create_pipeline('plain_orders', 'customer', 'at', 'amount', 'plain_report',
                                         as_of => '2026-03-01 00:00+00');
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT count(*) FROM clv_create_pipeline('part_orders', 'customer', 'at', 'amount', 'part_report',
                                         as_of => '2026-03-01 00:00+00');
SELECT count(*) FROM clv_refresh_pipeline('part_report');
SELECT pg_temp.pipeline_digest('part_report') = pg_temp.pipeline_digest('plain_report') AS same_as_serial,
       (SELECT count(*) FROM part_report.customer_summary) AS customers;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- the partitioned orders take no change capture: two incremental refreshes
-- in a row, each after a few customers' orders changed, find them by the
-- digests of every customer's orders, read their orders customer by
-- customer through an index on the partitioned table, store the digests a
-- full refresh stores, and give what a full refresh gives
SELECT change_capture FROM part_report.clv_pipeline;
CREATE INDEX part_orders_customer ON part_orders (customer);
ANALYZE part_report.summary_state;
CREATE FUNCTION pg_temp.stored_digests() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(format('%s %s %s', customer_id, order_rows, order_digest), ',' ORDER BY customer_id))
      FROM part_report.summary_state $$;
-- (the partitions' scans around each refresh: one pass over each for the
-- digests, one index scan for each changed customer, none of every order)
CREATE VIEW pg_temp.part_scans AS
SELECT sum(idx_scan) AS index_scans, sum(seq_scan) AS sequential_scans FROM pg_stat_user_tables
 WHERE relid IN ('part_orders_0'::regclass, 'part_orders_1'::regclass);
-- one incremental refresh, with the scans it made and the customers it
-- found changed; the statistics are flushed after the statements before it
-- and after the refresh, each in a statement of its own (a backend reports
-- them when it goes idle), and the scans before it are kept in a table
CREATE TEMP TABLE part_scans_before (index_scans numeric, sequential_scans numeric);
\set refresh_counting_scans 'SELECT pg_stat_force_next_flush(); TRUNCATE part_scans_before; INSERT INTO part_scans_before SELECT * FROM pg_temp.part_scans; SELECT regexp_replace(r, ''[0-9]+ ms'', ''N ms'') FROM clv_refresh_pipeline(''part_report'', incremental => true) r LIMIT 1; SELECT pg_stat_force_next_flush(); SELECT s.index_scans - b.index_scans AS index_scans, s.sequential_scans - b.sequential_scans AS sequential_scans FROM pg_temp.part_scans s, part_scans_before b; SELECT array_agg(customer_id ORDER BY customer_id) AS changed FROM part_report.changed_customers;'
INSERT INTO part_orders VALUES (5, '2026-02-27 10:00+00', 12.5), (1500, '2026-02-28 12:00+00', 7);
UPDATE part_orders SET amount = amount + 1 WHERE customer = 7;
:refresh_counting_scans
DELETE FROM part_orders WHERE customer = 9;
-- customer 11's two first orders trade their amounts: the same days and
-- amounts, another history
UPDATE part_orders o SET amount = CASE WHEN o.at = f.first_at THEN f.second_amount ELSE f.first_amount END
  FROM (SELECT min(at) FILTER (WHERE n = 1) AS first_at, min(at) FILTER (WHERE n = 2) AS second_at,
               min(amount) FILTER (WHERE n = 1) AS first_amount, min(amount) FILTER (WHERE n = 2) AS second_amount
          FROM (SELECT at, amount, row_number() OVER (ORDER BY at) AS n FROM part_orders WHERE customer = 11) q) f
 WHERE o.customer = 11 AND o.at IN (f.first_at, f.second_at) AND f.first_amount <> f.second_amount;
:refresh_counting_scans
SELECT pg_temp.pipeline_digest('part_report') AS after_incremental, pg_temp.stored_digests() AS digests_after_incremental \gset
SELECT count(*) FROM clv_refresh_pipeline('part_report');
SELECT pg_temp.pipeline_digest('part_report') = :'after_incremental' AS same_as_full,
       pg_temp.stored_digests() = :'digests_after_incremental' AS same_digests;
SELECT count(*) FROM clv_drop_pipeline('part_report');
DROP TABLE part_scans_before;
DROP VIEW pg_temp.part_scans;
-- a day's orders for a few of the customers (at most 1% of them), with an
-- index leading with the customer column: an incremental refresh reads their
-- orders through it, customer by customer, without a scan of every order,
-- and gives what a full refresh gives
CREATE INDEX plain_orders_customer ON plain_orders (customer);
ANALYZE plain_report.summary_state;
INSERT INTO plain_orders VALUES (5, '2026-02-27 10:00+00', 12.5), (996, '2026-02-28 11:00+00', 40),
                                (1500, '2026-02-28 12:00+00', 7);
SELECT pg_stat_force_next_flush();
SELECT seq_scan AS seq_before, idx_scan AS index_before FROM pg_stat_user_tables WHERE relid = 'plain_orders'::regclass \gset
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('plain_report', incremental => true) r LIMIT 1;
SELECT pg_stat_force_next_flush();
SELECT seq_scan - :seq_before AS order_scans, idx_scan - :index_before >= 3 AS read_by_index
  FROM pg_stat_user_tables WHERE relid = 'plain_orders'::regclass;
SELECT pg_temp.pipeline_digest('plain_report') AS after_incremental \gset
SELECT count(*) FROM clv_refresh_pipeline('plain_report');
SELECT pg_temp.pipeline_digest('plain_report') = :'after_incremental' AS same_as_full;
-- the hash of an order row that a pipeline without change capture sums per
-- customer: of the values' bytes, chained, so order and NULLs count, and a
-- row's hash is not the sum of its columns' (two rows trading an amount
-- would then leave the sum unchanged); money, which has no hash function, too
SELECT clv_order_row_hash(date '2026-01-02', 10.5) = clv_order_row_hash(date '2026-01-02', 10.5) AS same_values_same_hash,
       clv_order_row_hash(date '2026-01-02', 10.5) <> clv_order_row_hash(10.5, date '2026-01-02') AS order_counts,
       clv_order_row_hash(date '2026-01-02', NULL::numeric) <> clv_order_row_hash(date '2026-01-02', 0::numeric) AS null_is_not_zero,
       clv_order_row_hash(date '2026-01-02', NULL::numeric, 'web') <> clv_order_row_hash(date '2026-01-02', 'web', NULL::numeric) AS null_has_a_place,
       clv_order_row_hash(1.0::numeric) <> clv_order_row_hash(1.00::numeric) AS representation_counts,
       clv_order_row_hash(12.5::money) <> clv_order_row_hash(12.25::money) AS money_hashed,
       (SELECT sum(clv_order_row_hash(d, a)) FROM (VALUES (date '2026-01-02', 10.0), (date '2026-01-05', 20.0)) r(d, a))
       <> (SELECT sum(clv_order_row_hash(d, a)) FROM (VALUES (date '2026-01-02', 20.0), (date '2026-01-05', 10.0)) r(d, a))
           AS traded_amounts_seen;
-- orders in a Citus distributed table: Citus refuses triggers on it (with
-- no particular SQLSTATE), so the pipeline is made without change capture
-- and says why.  Citus's catalog, which exists only with Citus, stood in
-- for by a table of the same name, in a transaction that is rolled back
BEGIN;
SET LOCAL allow_system_table_mods = on;
SET LOCAL client_min_messages = notice;
CREATE TABLE pg_catalog.pg_dist_partition (logicalrelid regclass NOT NULL);
CREATE TABLE sharded_orders AS SELECT * FROM plain_orders;
INSERT INTO pg_catalog.pg_dist_partition VALUES ('sharded_orders');
SELECT clv_is_citus_table('sharded_orders') AS sharded, clv_is_citus_table('plain_orders') AS plain;
SELECT count(*) FROM clv_create_pipeline('sharded_orders', 'customer', 'at', 'amount', 'sharded_report',
                                         as_of => '2026-03-01 00:00+00');
SELECT change_capture, change_capture_note FROM sharded_report.clv_pipeline;
SELECT count(*) AS triggers FROM pg_trigger WHERE tgrelid = 'sharded_orders'::regclass;
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('sharded_report') r LIMIT 1;
-- summarised without the subquery fence (which would make Citus pull every
-- order to the coordinator): the same tables as the plain table's pipeline
SELECT pg_temp.pipeline_digest('sharded_report') = pg_temp.pipeline_digest('plain_report') AS same_as_plain;
-- without capture an incremental refresh finds the customers whose orders
-- changed by comparing each customer's digest of its orders with the one
-- stored (no index path, no fence: as over Citus), and equals a full one
INSERT INTO sharded_orders VALUES (5, '2026-02-28 09:00+00', 3), (2000, '2026-02-20 10:00+00', 9);
UPDATE sharded_orders SET amount = amount + 1 WHERE customer = 7;
DELETE FROM sharded_orders WHERE customer = 9;
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('sharded_report', incremental => true) r LIMIT 1;
SELECT array_agg(customer_id ORDER BY customer_id) AS changed FROM sharded_report.changed_customers;
SELECT pg_temp.pipeline_digest('sharded_report') AS after_incremental \gset
SELECT count(*) FROM clv_refresh_pipeline('sharded_report');
SELECT pg_temp.pipeline_digest('sharded_report') = :'after_incremental' AS same_as_full;
-- a table distributed after its pipeline was made (which Citus allows with
-- its triggers only under citus.enable_unsafe_triggers): its writes would
-- miss the capture, so the next refresh is full and capture is turned off
CREATE TABLE later_sharded AS SELECT * FROM plain_orders;
SELECT count(*) FROM clv_create_pipeline('later_sharded', 'customer', 'at', 'amount', 'later_report',
                                         as_of => '2026-03-01 00:00+00');
SELECT change_capture FROM later_report.clv_pipeline;
INSERT INTO pg_catalog.pg_dist_partition VALUES ('later_sharded');
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('later_report', incremental => true) r LIMIT 1;
SELECT change_capture, change_capture_note FROM later_report.clv_pipeline;
-- that full refresh stored digests: the next one is incremental, by them
INSERT INTO later_sharded VALUES (8, '2026-02-27 09:00+00', 5);
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('later_report', incremental => true) r LIMIT 1;
SELECT pg_temp.pipeline_digest('later_report') AS after_incremental \gset
SELECT count(*) FROM clv_refresh_pipeline('later_report');
SELECT pg_temp.pipeline_digest('later_report') = :'after_incremental' AS same_as_full;
ROLLBACK;
-- a customer type whose default btree equality can neither merge nor hash
-- (no built-in type's is so; an extension's could be): the digests cannot
-- be compared in a FULL JOIN, so the incremental refresh of a pipeline
-- without capture over it is a full one, and says why
BEGIN;
SET LOCAL client_min_messages = notice;
CREATE TYPE odd_id;
CREATE FUNCTION odd_id_in(cstring) RETURNS odd_id AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_out(odd_id) RETURNS cstring AS 'int4out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE odd_id (INPUT = odd_id_in, OUTPUT = odd_id_out, LIKE = int4);
CREATE FUNCTION odd_id_eq(odd_id, odd_id) RETURNS boolean AS 'int4eq' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_lt(odd_id, odd_id) RETURNS boolean AS 'int4lt' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_le(odd_id, odd_id) RETURNS boolean AS 'int4le' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_gt(odd_id, odd_id) RETURNS boolean AS 'int4gt' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_ge(odd_id, odd_id) RETURNS boolean AS 'int4ge' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION odd_id_cmp(odd_id, odd_id) RETURNS integer AS 'btint4cmp' LANGUAGE internal IMMUTABLE STRICT;
CREATE OPERATOR = (LEFTARG = odd_id, RIGHTARG = odd_id, FUNCTION = odd_id_eq);
CREATE OPERATOR < (LEFTARG = odd_id, RIGHTARG = odd_id, FUNCTION = odd_id_lt);
CREATE OPERATOR <= (LEFTARG = odd_id, RIGHTARG = odd_id, FUNCTION = odd_id_le);
CREATE OPERATOR > (LEFTARG = odd_id, RIGHTARG = odd_id, FUNCTION = odd_id_gt);
CREATE OPERATOR >= (LEFTARG = odd_id, RIGHTARG = odd_id, FUNCTION = odd_id_ge);
CREATE OPERATOR CLASS odd_id_ops DEFAULT FOR TYPE odd_id USING btree AS
    OPERATOR 1 <, OPERATOR 2 <=, OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 odd_id_cmp(odd_id, odd_id);
CREATE VIEW odd_orders AS SELECT customer::text::odd_id AS customer, at, amount FROM plain_orders;
SELECT count(*) FROM clv_create_pipeline('odd_orders', 'customer', 'at', 'amount', 'odd_report',
                                         as_of => '2026-03-01 00:00+00');
CREATE TEMP TABLE odd_before AS SELECT ctid AS at FROM odd_report.summary_state;
SELECT regexp_replace(r, '[0-9]+ ms', 'N ms') FROM clv_refresh_pipeline('odd_report', incremental => true) r LIMIT 1;
-- and its states are replaced whole: matching the stored ones against the
-- new would compare every pair
SELECT count(*) AS states, count(*) FILTER (WHERE s.ctid IN (SELECT b.at FROM odd_before b)) AS kept
FROM odd_report.summary_state s;
ROLLBACK;
-- a customer written another way but equal (numeric 1.0 and 1.00): a full
-- refresh stores it as it is now written, as an incremental one does; over a
-- domain the same (the new states' customer is of the domain, the stored one
-- of its base type).  And a char(n) customer, stored as bpchar (not as
-- character(1), which refused 'ABC')
BEGIN;
CREATE DOMAIN customer_number AS numeric;
SELECT format(s.statement, t.name, t.customer_type)
FROM (VALUES (1, 'num', 'numeric'), (2, 'domain', 'customer_number')) t(ord, name, customer_type),
     unnest(ARRAY[
         'CREATE TABLE %1$s_orders (customer %2$s, at timestamptz, amount numeric)',
         $s$INSERT INTO %1$s_orders VALUES (1.0, '2026-01-05', 10), (1.0, '2026-01-20', 12), (2, '2026-01-07', 5)$s$,
         $s$SELECT count(*) > 0 AS %1$s_made FROM clv_create_pipeline('%1$s_orders', 'customer', 'at', 'amount',
                                                                    '%1$s_report', as_of => '2026-03-01 00:00+00')$s$,
         'UPDATE %1$s_orders SET customer = 1.00 WHERE customer = 1',
         $s$SELECT count(*) > 0 AS %1$s_refreshed FROM clv_refresh_pipeline('%1$s_report')$s$,
         'SELECT customer_id::text AS %1$s_customer, orders FROM %1$s_report.customer_summary ORDER BY 1'])
         WITH ORDINALITY s(statement, step)
ORDER BY t.ord, s.step \gexec
CREATE TABLE char_orders (customer char(3), at timestamptz, amount numeric);
INSERT INTO char_orders VALUES ('ABC', '2026-01-05', 10), ('ABC', '2026-01-20', 12), ('XY', '2026-01-07', 5);
SELECT count(*) FROM clv_create_pipeline('char_orders', 'customer', 'at', 'amount', 'char_report',
                                         as_of => '2026-03-01 00:00+00') \g /dev/null
CREATE TEMP TABLE char_before AS SELECT ctid AS at, customer_id FROM char_report.summary_state;
UPDATE char_orders SET amount = amount + 1 WHERE customer = 'XY';
SELECT count(*) FROM clv_refresh_pipeline('char_report') \g /dev/null
-- (and 'ABC', unchanged, is kept: compared as it is, not cut to char(1))
SELECT array_agg(s.customer_id ORDER BY s.customer_id) FILTER (WHERE s.ctid IN (SELECT b.at FROM char_before b)) AS kept
FROM char_report.summary_state s;
SELECT format_type(a.atttypid, a.atttypmod) AS stored_as FROM pg_attribute a
WHERE a.attrelid = 'char_report.summary_state'::regclass AND a.attname = 'customer_id';
SELECT customer_id, orders, total_amount FROM char_report.customer_summary ORDER BY 1;
ROLLBACK;
SELECT clv_is_citus_table('plain_orders') AS without_citus;
SELECT count(*) FROM clv_drop_pipeline('plain_report');
DROP TABLE part_orders, plain_orders;
DROP FUNCTION refresh_and_compare(name);
