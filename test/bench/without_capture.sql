-- A pipeline without change capture against one with it, over the same
-- orders (test/bench/without_capture.sh sets the variables).
--
-- psql variables: n_customers, rate_scale, history_days, seed (see
-- generate_orders.sql), runs (timed rounds after one warm-up round).
--
-- The data (not timed): generate_orders.sql's orders, and a view over them.
-- The pipeline `with_capture` is made over the table (its triggers record
-- the changed customers); `by_digests` over the view, which takes no
-- triggers, so that its incremental refresh computes every customer's
-- digest of its orders and summarises those whose digest changed
-- (docs/pipeline.md).  Timed, each refresh its own transaction, with
-- clock_timestamp() around it and its steps as it reports them: RUNS full
-- refreshes of each after a warm-up round, alternating; then RUNS rounds,
-- after a warm-up round, of a day's orders (one each for 0.5% of the
-- customers, a different 0.5% each round, not timed) and an incremental
-- refresh of each.  The check (not timed): both pipelines give dashboards
-- the same rows.
\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
\ir generate_orders.sql
CREATE VIEW orders_view AS SELECT * FROM orders;
VACUUM ANALYZE orders;

CREATE TABLE capture_runs (round int, kind text, pipeline text, what text, ms numeric);

CREATE FUNCTION pg_temp.refresh(r int, pipeline text, incremental boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    kind text := CASE WHEN incremental THEN 'incremental' ELSE 'full' END;
BEGIN
    INSERT INTO capture_runs
    SELECT r, kind, pipeline,
           regexp_replace(regexp_replace(line, '^[a-z_]+\.', ''), '(: [0-9]+ customers)? (summarised|refreshed|computed).*$', ''),
           (regexp_match(line, ' ([0-9]+) ms'))[1]::numeric
      FROM clv_refresh_pipeline(pipeline, incremental => incremental) AS line;
    INSERT INTO capture_runs VALUES (r, kind, pipeline, kind || ' refresh', extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

CREATE FUNCTION pg_temp.new_orders(r int) RETURNS void LANGUAGE sql AS $$
    INSERT INTO orders
    SELECT p.customer_id, timestamptz '2026-06-30 12:00+00' - r * interval '1 minute', 25 + r
      FROM people p WHERE p.customer_id % 200 = r;
$$;

SELECT count(*) AS customers, (SELECT count(*) FROM orders) AS orders FROM people;
SELECT count(*) FROM clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount', 'with_capture',
                                         as_of => '2026-06-30 23:59:59+00', time_zone => 'UTC') \g /dev/null
SELECT count(*) FROM clv_create_pipeline('orders_view', 'customer_id', 'ordered_at', 'amount', 'by_digests',
                                         as_of => '2026-06-30 23:59:59+00', time_zone => 'UTC') \g /dev/null
SELECT (SELECT change_capture FROM with_capture.clv_pipeline) AS with_capture,
       (SELECT change_capture FROM by_digests.clv_pipeline) AS by_digests;

\o /dev/null
SELECT format('SELECT pg_temp.refresh(%s, %L, false)', r, p)
FROM generate_series(0, :runs) r, (VALUES (1, 'with_capture'), (2, 'by_digests')) AS ps(o, p)
ORDER BY r, o \gexec
SELECT format('SELECT pg_temp.new_orders(%s)', r) AS new_orders,
       format('SELECT pg_temp.refresh(%s, %L, true)', r, 'with_capture') AS with_capture,
       format('SELECT pg_temp.refresh(%s, %L, true)', r, 'by_digests') AS by_digests
FROM generate_series(0, :runs) r ORDER BY r \gexec
\i test/include/pipeline_digest.psql
\o
SELECT pg_temp.pipeline_digest('with_capture') = pg_temp.pipeline_digest('by_digests') AS same \gset
\if :same
\echo 'check: the pipeline by digests gives dashboards the same rows as the one with change capture'
\else
\echo 'check FAILED: the two pipelines differ'
SELECT 1 / 0 AS stop;
\endif

\pset footer off
CREATE TEMP VIEW medians AS
SELECT kind, what, pipeline, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) AS runs
FROM capture_runs WHERE round > 0 GROUP BY kind, what, pipeline;
SELECT kind, what, round(max(ms) FILTER (WHERE pipeline = 'with_capture')) AS "ms, with capture",
       round(max(ms) FILTER (WHERE pipeline = 'by_digests')) AS "ms, by digests",
       round((max(ms) FILTER (WHERE pipeline = 'by_digests') / nullif(max(ms) FILTER (WHERE pipeline = 'with_capture'), 0))::numeric, 2)
           AS "digests / capture",
       string_agg(pipeline || ' ' || runs, '; ' ORDER BY pipeline DESC) AS rounds
FROM medians GROUP BY kind, what ORDER BY kind, what;
SELECT pipeline,
       round((max(ms) FILTER (WHERE what = 'incremental refresh') / max(ms) FILTER (WHERE what = 'full refresh'))::numeric, 2)
           AS "incremental / full"
FROM medians GROUP BY pipeline ORDER BY pipeline DESC;
