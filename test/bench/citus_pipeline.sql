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
-- fitted models to the last bit.

\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
SELECT count(*) FROM clv_drop_pipeline('on_one_node') WHERE to_regclass('on_one_node.clv_pipeline') IS NOT NULL \g /dev/null
SELECT count(*) FROM clv_drop_pipeline('on_citus') WHERE to_regclass('on_citus.clv_pipeline') IS NOT NULL \g /dev/null
DROP TABLE IF EXISTS citus_runs, orders_dist;
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

CREATE TABLE citus_runs (round int, kind text, pipeline text, what text, ms numeric);

-- a refresh of one pipeline, full or incremental, with the milliseconds of
-- each step it reports
CREATE FUNCTION pg_temp.refresh(r int, pipeline text, incremental boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    kind text := CASE WHEN incremental THEN 'incremental' ELSE 'full' END;
BEGIN
    INSERT INTO citus_runs
    SELECT r, kind, pipeline,
           regexp_replace(regexp_replace(line, '^[a-z_]+\.', ''), '(: [0-9]+ customers)? (summarised|refreshed|computed).*$', ''),
           (regexp_match(line, ' ([0-9]+) ms'))[1]::numeric
      FROM clv_refresh_pipeline(pipeline, incremental => incremental) AS line;
    INSERT INTO citus_runs VALUES (r, kind, pipeline, kind || ' refresh', extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

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
    INSERT INTO citus_runs VALUES (0, 'full', pipeline, 'clv_create_pipeline', extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

SELECT pg_temp.create_pipeline('orders', 'on_one_node');
SELECT pg_temp.create_pipeline('orders_dist', 'on_citus');
SELECT change_capture AS local_change_capture FROM on_one_node.clv_pipeline \gset
SELECT change_capture AS citus_change_capture FROM on_citus.clv_pipeline \gset
\echo 'change capture: local' :local_change_capture ', distributed' :citus_change_capture

\o /dev/null
SELECT format('SELECT pg_temp.refresh(%s, %L, false)', r, p)
FROM generate_series(0, :runs) r, (VALUES (1, 'on_one_node'), (2, 'on_citus')) AS ps(o, p)
ORDER BY r, o \gexec
SELECT format('SELECT pg_temp.new_orders(%s)', r) AS new_orders,
       format('SELECT pg_temp.refresh(%s, %L, true)', r, 'on_one_node') AS local,
       format('SELECT pg_temp.refresh(%s, %L, true)', r, 'on_citus') AS distributed
FROM generate_series(0, :runs) r ORDER BY r \gexec
\o

-- the check: both pipelines give dashboards the same rows
\o /dev/null
\i test/include/pipeline_digest.psql
\o
SELECT pg_temp.pipeline_digest('on_one_node') = pg_temp.pipeline_digest('on_citus') AS same \gset
\if :same
\echo 'check: the pipeline over the distributed orders gives dashboards the same rows as over the local copy'
\else
\echo 'check FAILED: the two pipelines differ'
-- which tables differ
SELECT a.part AS on_one_node, b.part AS on_citus
  FROM regexp_split_to_table(pg_temp.pipeline_digest('on_one_node'), ' ') WITH ORDINALITY a(part, n)
  JOIN regexp_split_to_table(pg_temp.pipeline_digest('on_citus'), ' ') WITH ORDINALITY b(part, n) USING (n)
 WHERE a.part <> b.part;
SELECT 1 / 0 AS stop;
\endif

\pset footer off
CREATE TEMP VIEW medians AS
SELECT kind, what, pipeline, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) AS runs
FROM citus_runs WHERE round > 0 OR what = 'clv_create_pipeline' GROUP BY kind, what, pipeline;
SELECT kind, what, round(max(ms) FILTER (WHERE pipeline = 'on_one_node')) AS "ms, local orders",
       round(max(ms) FILTER (WHERE pipeline = 'on_citus')) AS "ms, distributed orders",
       round((max(ms) FILTER (WHERE pipeline = 'on_citus') / nullif(max(ms) FILTER (WHERE pipeline = 'on_one_node'), 0))::numeric, 2)
           AS "distributed / local"
FROM medians GROUP BY kind, what ORDER BY kind, what;
