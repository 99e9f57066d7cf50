-- The pipeline over a Citus-distributed orders table against the same
-- pipeline over a local copy of the same orders, on one coordinator
-- (test/bench/citus_pipeline.sh sets the variables and checks for Citus).
--
-- psql variables: n_customers, history_days, rate_scale, seed (see
-- generate_orders.sql), runs (timed rounds after one warm-up round).  Run
-- from the repository root on a Citus coordinator whose workers are added,
-- with clv installed on every node.
--
-- The data (setup, not timed): generate_orders.sql's orders, each order
-- given one of four channels at random, kept as the local table `orders`
-- and copied into `orders_dist`, distributed by customer_id (Citus's
-- default shard count), both indexed on customer_id.
--
-- Timed: clv_create_pipeline over each (once), then RUNS rounds, after a
-- warm-up round, of a full refresh of each, alternating, every refresh its
-- own transaction, timed with clock_timestamp() around it and its steps as
-- it reports them.  Then RUNS rounds, after a warm-up round, of a day's new
-- orders (one each for 0.5% of the customers, the same rows in both tables,
-- not timed) and an incremental refresh of each.  Change capture cannot put
-- triggers on a distributed table, so the pipeline over orders_dist finds
-- the changed customers by the digests of every customer's orders, computed
-- on the workers (docs/pipeline.md); the local one by its triggers.
--
-- The check (not timed): after the last round, everything a dashboard reads
-- is the same in both pipelines (test/include/pipeline_digest.psql), the
-- fitted models to the last bit.  The rounds, the check and the report are
-- test/bench/pipeline_pair.psql's, shared with without_capture.sql.

\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
SELECT count(*) FROM clv_drop_pipeline('on_one_node') WHERE to_regclass('on_one_node.clv_pipeline') IS NOT NULL \g /dev/null
SELECT count(*) FROM clv_drop_pipeline('on_citus') WHERE to_regclass('on_citus.clv_pipeline') IS NOT NULL \g /dev/null
DROP TABLE IF EXISTS orders_dist;
\ir generate_orders.sql
ALTER TABLE orders ADD COLUMN channel text;
UPDATE orders SET channel = (ARRAY['web', 'store', 'app', 'email'])[1 + floor(random() * 4)::int];
CREATE TABLE orders_dist (LIKE orders);
SELECT create_distributed_table('orders_dist', 'customer_id') \g /dev/null
INSERT INTO orders_dist SELECT * FROM orders;
CREATE INDEX ON orders (customer_id);
CREATE INDEX ON orders_dist (customer_id);
VACUUM ANALYZE orders;
VACUUM ANALYZE orders_dist;
SELECT count(*) AS customers, (SELECT count(*) FROM orders) AS orders,
       (SELECT count(*) FROM orders_dist) AS orders_distributed,
       (SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'orders_dist'::regclass) AS shards,
       (SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0) AS workers
FROM people;

\set step setup
\ir pipeline_pair.psql

-- a day's orders: one each for 0.5% of the customers (another 0.5% each
-- round), dated within the observation, the same rows in both tables
-- (PL/pgSQL: Citus plans no SQL function's parameters)
CREATE FUNCTION pg_temp.new_orders(r int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO orders
    SELECT p.customer_id, timestamptz '2026-06-30 12:00+00' - r * interval '1 minute', 25 + r, 'web'
      FROM people p WHERE p.customer_id % 200 = r;
    INSERT INTO orders_dist
    SELECT p.customer_id, timestamptz '2026-06-30 12:00+00' - r * interval '1 minute', 25 + r, 'web'
      FROM people p WHERE p.customer_id % 200 = r;
END $$;

CREATE FUNCTION pg_temp.create_pipeline(source text, pipeline text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
BEGIN
    PERFORM clv_create_pipeline(source, 'customer_id', 'ordered_at', 'amount', pipeline, channel => 'channel',
                                gross_margin => 0.3, as_of => '2026-06-30 23:59:59+00', time_zone => 'UTC');
    INSERT INTO pair_runs VALUES (0, 'full', pipeline, 'clv_create_pipeline', extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

SELECT pg_temp.create_pipeline('orders', 'on_one_node');
SELECT pg_temp.create_pipeline('orders_dist', 'on_citus');
SELECT change_capture AS local_change_capture FROM on_one_node.clv_pipeline \gset
SELECT change_capture AS citus_change_capture FROM on_citus.clv_pipeline \gset
\echo 'change capture: local' :local_change_capture ', distributed' :citus_change_capture

\set step rounds
\set pipeline_a on_one_node
\set pipeline_b on_citus
\set label_a 'local orders'
\set label_b 'distributed orders'
\set ratio 'distributed / local'
\ir pipeline_pair.psql
