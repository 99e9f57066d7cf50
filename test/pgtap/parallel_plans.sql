-- Parallel query really runs the partial/combine path of every aggregate,
-- and gives the serial answer.  Plans vary between versions, so they are
-- asserted here rather than in a pg_regress expected file.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(9);
SET LOCAL TimeZone = 'UTC';

CREATE TABLE tap_orders AS
SELECT (i * 7919) % 20000 AS customer_id,
       '2023-01-01'::timestamptz + ((i * 104729) % 1000) * interval '1 day'
                                 + ((i * 13) % 86400) * interval '1 second' AS ordered_at,
       ((i * 31) % 200 - 12)::float8 AS amount
FROM generate_series(1::bigint, 300000) i
ORDER BY md5(i::text);
ALTER TABLE tap_orders SET (parallel_workers = 2);
ANALYZE tap_orders;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TABLE tap_serial AS
SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01') AS s
FROM tap_orders GROUP BY customer_id;
ALTER TABLE tap_serial SET (parallel_workers = 2);
ANALYZE tap_serial;
CREATE TABLE tap_serial_kpis AS
SELECT clv_business_kpis(s, '2025-01-01') AS k FROM tap_serial;

\ir ../include/force_parallel.psql
SET LOCAL enable_sort = off;

\ir ../include/plan_of.psql

CREATE TEMP TABLE plans AS
SELECT 'grouped' AS name, pg_temp.plan_of(
    $q$SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01') FROM tap_orders GROUP BY customer_id$q$) AS plan
UNION ALL
SELECT 'single', pg_temp.plan_of(
    $q$SELECT clv_summary(ordered_at, amount, '2026-01-01') FROM tap_orders$q$)
UNION ALL
SELECT 'business', pg_temp.plan_of(
    $q$SELECT clv_business_kpis(s, '2025-01-01') FROM tap_serial$q$);

SELECT matches((SELECT plan FROM plans WHERE name = 'grouped'),
               'Finalize .*Aggregate.*Partial .*Aggregate',
               'clv_summary grouped by customer: partial aggregates in workers, finalized in the leader');
SELECT matches((SELECT plan FROM plans WHERE name = 'grouped'), 'Workers Launched: 2',
               'two workers ran the grouped clv_summary');
SELECT matches((SELECT plan FROM plans WHERE name = 'single'),
               'Finalize Aggregate.*Partial Aggregate',
               'clv_summary over one group: partial aggregate, then combine');
SELECT matches((SELECT plan FROM plans WHERE name = 'single'), 'Workers Launched: 2',
               'two workers ran the single-group clv_summary');
SELECT matches((SELECT plan FROM plans WHERE name = 'business'),
               'Finalize Aggregate.*Partial Aggregate',
               'clv_business_kpis: partial aggregate, then combine');

SELECT is((SELECT count(*) FROM (SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01') AS s
                                 FROM tap_orders GROUP BY customer_id) p
           FULL JOIN tap_serial r USING (customer_id) WHERE p.s IS DISTINCT FROM r.s),
          0::bigint, 'parallel grouped clv_summary equals the serial one for every customer');
SELECT is((SELECT clv_summary(ordered_at, amount, '2026-01-01') FROM tap_orders),
          (SELECT clv_summary(ordered_at, amount, '2026-01-01' ORDER BY customer_id, ordered_at) FROM tap_orders),
          'parallel single-group clv_summary equals a serial ordered one');
SELECT is((SELECT clv_business_kpis(s, '2025-01-01') FROM tap_serial),
          (SELECT k FROM tap_serial_kpis),
          'parallel clv_business_kpis equals the serial one');
SELECT is((SELECT count(*) FROM tap_serial), 20000::bigint, 'every customer summarised');

SELECT * FROM finish();
ROLLBACK;
