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
-- the same rows.  The rounds, the check and the report are
-- test/bench/pipeline_pair.psql's, shared with citus_pipeline.sql.
\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
-- a previous size's run, in the same database
SELECT count(*) FROM clv_drop_pipeline('with_capture') WHERE to_regclass('with_capture.clv_pipeline') IS NOT NULL \g /dev/null
SELECT count(*) FROM clv_drop_pipeline('by_digests') WHERE to_regclass('by_digests.clv_pipeline') IS NOT NULL \g /dev/null
DROP VIEW IF EXISTS orders_view;
\ir generate_orders.sql
CREATE VIEW orders_view AS SELECT * FROM orders;
VACUUM ANALYZE orders;

\set step setup
\ir pipeline_pair.psql

-- a day's orders: one each for 0.5% of the customers, another 0.5% each round
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

\set step rounds
\set pipeline_a with_capture
\set pipeline_b by_digests
\set label_a 'with capture'
\set label_b 'by digests'
\set ratio 'digests / capture'
\ir pipeline_pair.psql
