-- The stages of the scale benchmark (scripts/bench_scale.sh) over the
-- orders of scale_generate.sql, observed up to 2026-06-30.
--
-- Each stage runs with max_parallel_workers_per_gather = 0, 1 and 2 (the
-- leader takes part too: 1, 2 and 3 processes on this machine's cores),
-- round-robin, :rounds rounds, as EXPLAIN (ANALYZE, TIMING OFF, FORMAT
-- JSON), which runs the statement and says how many workers were launched
-- and what the plan was, without the cost of timing every row.  A stage's
-- time is clock_timestamp() around it; the median over the rounds is
-- reported.  The stages:
--   scan            SELECT count(*) FROM orders: the cheapest pass over the orders
--   grouped_sql     the orders grouped by customer into a table with count, sum,
--                   min and max: the cheapest per-customer aggregate in plain SQL
--   summary         the same grouping into a table of clv_summary per customer
--   summaries_scan  SELECT count(*) FROM summaries: the cheapest pass over the summaries
--   fit_bgnbd, fit_paretonbd, fit_gammagamma: the fits over all summaries
--   kpis            clv_business_kpis over all summaries
--   breakpoints     clv_rfm_breakpoints over all summaries
--   score           a table of P(alive), predicted CLV and RFM segment per customer
-- then the pipeline, end to end: clv_create_pipeline once (as_of fixed, so
-- the views do not depend on the clock), and clv_refresh_pipeline(concurrent
-- => false) with 0 and 2 workers, :rounds rounds, each step's time as the
-- function reports it.
--
-- psql variables: rounds.  test/bench/scale_report.sql reports.

\set QUIET 1
\pset footer off
CREATE TABLE stage_runs (stage text, ord int, workers int, round int, started timestamptz,
                              ended timestamptz, launched int, plan text);

-- cleanup_sql runs first, untimed (a table the stage creates again).
CREATE FUNCTION pg_temp.run_stage(stage text, ord int, workers int, round int, stage_sql text,
                                  cleanup_sql text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    explained jsonb;
BEGIN
    IF cleanup_sql IS NOT NULL THEN
        EXECUTE cleanup_sql;
    END IF;
    PERFORM set_config('max_parallel_workers_per_gather', workers::text, true);
    t0 := clock_timestamp();
    EXECUTE 'EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ' || stage_sql INTO explained;
    INSERT INTO stage_runs VALUES (
        stage, ord, workers, round, t0, clock_timestamp(),
        coalesce((SELECT max(w::int) FROM jsonb_path_query(explained, 'strict $.**."Workers Launched"') w), 0),
        (SELECT string_agg(coalesce(n ->> 'Partial Mode' || ' ', '') || (n ->> 'Node Type'), ' < ')
         FROM jsonb_path_query(explained, 'strict $.** ? (exists (@."Node Type"))') AS p(n)));
END $$;

CREATE FUNCTION pg_temp.run_all(stages text[][], rounds int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    FOR r IN 1 .. rounds LOOP
        FOR i IN 1 .. array_length(stages, 1) LOOP
            FOR w IN 0 .. 2 LOOP
                PERFORM pg_temp.run_stage(stages[i][1], i, w, r, stages[i][2], nullif(stages[i][3], ''));
            END LOOP;
        END LOOP;
    END LOOP;
END $$;

-- The fitted models the score stage uses (fitted once here, untimed).
\echo 'summaries and models for the score stage (untimed)'
CREATE TABLE summaries AS
SELECT customer_id, clv_summary(ordered_at, amount, timestamptz '2026-06-30 23:59:59') AS s
FROM orders GROUP BY customer_id;
CREATE TABLE models AS
SELECT clv_fit_bgnbd(s, 0.001) AS bg, clv_fit_gammagamma(s, 0.001) AS gg,
       clv_rfm_breakpoints(s) AS bp
FROM summaries;

SELECT pg_temp.run_all(ARRAY[
    ARRAY['scan', 'SELECT count(*) FROM orders', ''],
    ARRAY['grouped_sql', 'CREATE TABLE grouped AS SELECT customer_id, count(*) AS n, sum(amount) AS total, min(ordered_at) AS first, max(ordered_at) AS last FROM orders GROUP BY customer_id',
          'DROP TABLE IF EXISTS grouped'],
    ARRAY['summary', 'CREATE TABLE summaries AS SELECT customer_id, clv_summary(ordered_at, amount, timestamptz ''2026-06-30 23:59:59'') AS s FROM orders GROUP BY customer_id',
          'DROP TABLE IF EXISTS summaries'],
    ARRAY['summaries_scan', 'SELECT count(*) FROM summaries', ''],
    ARRAY['fit_bgnbd', 'SELECT clv_fit_bgnbd(s, 0.001) FROM summaries', ''],
    ARRAY['fit_paretonbd', 'SELECT clv_fit_paretonbd(s, 0.001) FROM summaries', ''],
    ARRAY['fit_gammagamma', 'SELECT clv_fit_gammagamma(s, 0.001) FROM summaries', ''],
    ARRAY['kpis', 'SELECT clv_business_kpis(s, date ''2025-07-01'', 0.35) FROM summaries', ''],
    ARRAY['breakpoints', 'SELECT clv_rfm_breakpoints(s) FROM summaries', ''],
    ARRAY['score', 'CREATE TABLE scores AS SELECT customer_id, clv_p_alive(m.bg, s) AS p_alive, clv_predicted_value(m.bg, m.gg, s, 12, 0.01, interval ''30 days'', 0.35) AS predicted_clv, (clv_rfm(s, m.bp)).segment AS segment FROM summaries, models m',
          'DROP TABLE IF EXISTS scores']
], :rounds);

-- The pipeline, end to end.
CREATE TABLE pipeline_runs (workers int, round int, step text, ord int, ms float8, total_ms float8);
SELECT clock_timestamp() AS create_start \gset
SELECT count(*) AS objects FROM clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount',
                                                    as_of => timestamptz '2026-06-30 23:59:59') \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'create_start'::timestamptz)::numeric, 1) AS create_s \gset
\echo 'clv_create_pipeline (no parallel workers):' :create_s 's,' :objects 'objects'
CREATE FUNCTION pg_temp.refresh_rounds(rounds int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    lines text[];
    w int;
BEGIN
    FOR r IN 1 .. rounds LOOP
        FOREACH w IN ARRAY ARRAY[0, 2] LOOP
            PERFORM set_config('max_parallel_workers_per_gather', w::text, true);
            t0 := clock_timestamp();
            lines := ARRAY(SELECT clv_refresh_pipeline('clv_report', concurrent => false));
            IF EXISTS (SELECT FROM unnest(lines) l WHERE substring(l FROM ' in ([0-9.]+) ms$') IS NULL
                                                      OR substring(l FROM '^clv_report\.([a-z_]+)') IS NULL) THEN
                RAISE EXCEPTION 'bench: cannot read the lines of clv_refresh_pipeline: %', lines;
            END IF;
            INSERT INTO pipeline_runs
            SELECT w, r, substring(l FROM '^clv_report\.([a-z_]+)'), o,
                   substring(l FROM ' in ([0-9.]+) ms$')::float8, NULL
            FROM unnest(lines) WITH ORDINALITY AS u(l, o);
            INSERT INTO pipeline_runs VALUES (w, r, 'total', 1000, NULL,
                                              1000 * extract(epoch FROM clock_timestamp() - t0));
        END LOOP;
    END LOOP;
END $$;
SELECT pg_temp.refresh_rounds(:rounds);

