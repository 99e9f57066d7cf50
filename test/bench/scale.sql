-- The stages of the scale benchmark (test/bench/scale.sh) over the
-- orders of scale_generate.sql, observed up to 2026-06-30: this file sets
-- them up; the script runs each (bench.run_stage) in a session of its own,
-- so that a stage's memory is its own, and test/bench/scale_report.sql
-- reports.
--
-- A stage runs as EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON), which runs
-- the statement and tells how many workers were launched and what the plan
-- was, without the cost of timing every row; its time is clock_timestamp()
-- around it.  The stages:
--   scan             SELECT count(*) FROM orders: the cheapest pass over the orders
--   grouped_sql      the orders grouped by customer into a table with count, sum,
--                    min and max: the cheapest per-customer aggregate in plain SQL
--   summary          the same grouping into a table of clv_summary per customer
--   summary_by_customer  the same over orders_by_customer, the orders hash-partitioned
--                    by customer (8 partitions), enable_partitionwise_aggregate on:
--                    each partition is aggregated whole, by one process
--   summaries_scan   SELECT count(*) FROM summaries: the cheapest pass over the summaries
--   fit_bgnbd, fit_paretonbd, fit_gammagamma: the fits over all summaries
--   kpis             clv_business_kpis over all summaries
--   breakpoints      clv_rfm_breakpoints over all summaries
--   score            a table of P(alive), predicted CLV and RFM segment per customer
--                    (the models as scalar subqueries, which parallel workers receive
--                    as parameters)
-- psql variables: none.

\set QUIET 1
CREATE SCHEMA bench;
CREATE TABLE bench.stages (ord int PRIMARY KEY, stage text, stage_sql text, cleanup_sql text,
                           settings text DEFAULT '');
CREATE TABLE bench.stage_runs (stage text, ord int, workers int, round int, started timestamptz,
                               ended timestamptz, launched int, plan text);
CREATE TABLE bench.pipeline_runs (workers int, round int, step text, ord int, ms float8, total_ms float8);

INSERT INTO bench.stages (ord, stage, stage_sql, cleanup_sql, settings) VALUES
 (1, 'scan', 'SELECT count(*) FROM orders', NULL, ''),
 (2, 'grouped_sql', 'CREATE TABLE grouped AS SELECT customer_id, count(*) AS n, sum(amount) AS total, min(ordered_at) AS first, max(ordered_at) AS last FROM orders GROUP BY customer_id',
  'DROP TABLE IF EXISTS grouped', ''),
 (3, 'summary', 'CREATE TABLE summaries AS SELECT customer_id, clv_summary(ordered_at, amount, timestamptz ''2026-06-30 23:59:59'') AS s FROM orders GROUP BY customer_id',
  'DROP TABLE IF EXISTS summaries CASCADE', ''),
 (4, 'summary_by_customer', 'CREATE TABLE summaries_by_customer AS SELECT customer_id, clv_summary(ordered_at, amount, timestamptz ''2026-06-30 23:59:59'') AS s FROM orders_by_customer GROUP BY customer_id',
  'DROP TABLE IF EXISTS summaries_by_customer', 'enable_partitionwise_aggregate=on'),
 (5, 'summaries_scan', 'SELECT count(*) FROM summaries', NULL, ''),
 (6, 'fit_bgnbd', 'SELECT clv_fit_bgnbd(s, 0.001) FROM summaries', NULL, ''),
 (7, 'fit_paretonbd', 'SELECT clv_fit_paretonbd(s, 0.001) FROM summaries', NULL, ''),
 (8, 'fit_gammagamma', 'SELECT clv_fit_gammagamma(s, 0.001) FROM summaries', NULL, ''),
 (9, 'kpis', 'SELECT clv_business_kpis(s, date ''2025-07-01'', 0.35) FROM summaries', NULL, ''),
 (10, 'breakpoints', 'SELECT clv_rfm_breakpoints(s) FROM summaries', NULL, ''),
 (11, 'score', 'CREATE TABLE scores AS SELECT customer_id, clv_p_alive((SELECT bg FROM models), s) AS p_alive, clv_predicted_value((SELECT bg FROM models), (SELECT gg FROM models), s, 12, 0.01, interval ''30 days'', 0.35) AS predicted_clv, (clv_rfm(s, (SELECT bp FROM models))).segment AS segment FROM summaries',
  'DROP TABLE IF EXISTS scores', '');

CREATE FUNCTION bench.run_stage(stage_ord int, workers int, round int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    st bench.stages;
    t0 timestamptz;
    explained jsonb;
BEGIN
    SELECT * INTO st FROM bench.stages WHERE ord = stage_ord;
    IF st.cleanup_sql IS NOT NULL THEN
        EXECUTE st.cleanup_sql;
    END IF;
    PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
    IF st.settings <> '' THEN
        PERFORM set_config(split_part(st.settings, '=', 1), split_part(st.settings, '=', 2), true);
    END IF;
    t0 := clock_timestamp();
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || st.stage_sql INTO explained;
    INSERT INTO bench.stage_runs VALUES (
        st.stage, st.ord, workers, round, t0, clock_timestamp(),
        coalesce((SELECT max(w::int) FROM jsonb_path_query(explained, 'strict $.**."Workers Launched"') w), 0),
        (SELECT string_agg(coalesce(n ->> 'Partial Mode' || ' ', '') || (n ->> 'Node Type')
                           || coalesce(' (' || (n ->> 'Strategy') || ')', ''), ' < ')
         FROM jsonb_path_query(explained, 'strict $.** ? (exists (@."Node Type"))') AS p(n)));
END $$;

-- One refresh of the pipeline, timed: the total and each line's ms.
CREATE FUNCTION bench.refresh(workers int, round int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    lines text[];
BEGIN
    PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
    t0 := clock_timestamp();
    lines := ARRAY(SELECT clv_refresh_pipeline('clv_report', concurrent => false));
    IF EXISTS (SELECT FROM unnest(lines) l WHERE substring(l FROM ' in ([0-9.]+) ms$') IS NULL
                                              OR substring(l FROM '^clv_report\.([a-z_]+)') IS NULL) THEN
        RAISE EXCEPTION 'bench: cannot read the lines of clv_refresh_pipeline: %', lines;
    END IF;
    INSERT INTO bench.pipeline_runs
    SELECT workers, round, substring(l FROM '^clv_report\.([a-z_]+)'), o,
           substring(l FROM ' in ([0-9.]+) ms$')::float8, NULL
    FROM unnest(lines) WITH ORDINALITY AS u(l, o);
    INSERT INTO bench.pipeline_runs VALUES (workers, round, 'total', 1000, NULL,
                                            1000 * extract(epoch FROM clock_timestamp() - t0));
END $$;

-- What the fit and score stages read, made once here, untimed: the
-- summaries (the summary stage makes them again) and the models.
\echo 'summaries and models for the later stages (untimed)'
CREATE TABLE summaries AS
SELECT customer_id, clv_summary(ordered_at, amount, timestamptz '2026-06-30 23:59:59') AS s
FROM orders GROUP BY customer_id;
CREATE TABLE models AS
SELECT clv_fit_bgnbd(s, 0.001) AS bg, clv_fit_gammagamma(s, 0.001) AS gg,
       clv_rfm_breakpoints(s) AS bp
FROM summaries;
