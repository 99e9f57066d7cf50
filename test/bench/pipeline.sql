-- The pipeline benchmark (test/bench/pipeline.sh): what a refresh costs
-- against the same work done by hand, and an incremental refresh against a
-- full one, in one session, with 0 and with 2 parallel workers.
--
-- psql variables: n_customers, history_days, rate_scale, seed (see
-- generate_orders.sql), runs (timed rounds after one warm-up round).  Run
-- from the repository root in a database with the clv and pg_prewarm
-- extensions; test/bench/pipeline.sh sets everything up.
--
-- The data (setup, not timed): generate_orders.sql, VACUUM ANALYZE, the
-- orders loaded into shared_buffers; then the pipeline, created once with
-- clv_create_pipeline(..., as_of => '2026-06-30 23:59:59+00', time_zone =>
-- 'UTC') (timed, reported apart).
--
-- By hand, the baseline: the work of a refresh written the plain way into
-- plain tables, each step a CREATE TABLE AS (which parallel workers may
-- compute, as they may the pipeline's):
--   1. summaries: clv_summary(ordered_at, amount, as_of, '1 day', 'UTC') per
--      customer;
--   2. models: clv_fit_bgnbd, clv_fit_gammagamma (penalizer 0.001) and
--      clv_rfm_breakpoints over the summaries, in one query;
--   3. scores: per customer p_alive, expected purchases, predicted CLV (12
--      periods of 30 days, 1% a period, margin 0.3), RFM scores and segment,
--      the decline verdict, and the value tier of its cume_dist();
--   4. segments, value tiers and the declining customers ranked, from the
--      scores.
-- JIT off for both (the pipeline turns it off for itself: its queries are
-- calls of clv's C functions, which JIT compiling does not speed up).
--
-- Each round, for 0 and 2 workers (max_parallel_workers_per_gather): the
-- work by hand; a full refresh; a day's new orders (one order each for 0.5%
-- of the customers, at 18:00 on the last day, not timed, committed) and an
-- incremental refresh.  Every timed call is its own transaction, timed with
-- clock_timestamp() around it; VACUUM ANALYZE of the pipeline's tables after
-- each refresh (not timed), as autovacuum would do between two daily
-- refreshes.  Round 0 is a warm-up; the median of the others is reported.
--
-- The check (not timed): after the last incremental refresh, everything a
-- dashboard reads is what a full refresh gives (test/include/pipeline_digest.psql).

\set ON_ERROR_STOP on
SET jit = off;
SET client_min_messages = warning;
-- a previous size's run, in the same database
SELECT count(*) FROM clv_drop_pipeline('bench') WHERE to_regclass('bench.clv_pipeline') IS NOT NULL \g /dev/null
DROP TABLE IF EXISTS bench_runs, h_summary, h_models, h_scores, h_segments, h_tiers, h_declining;
\ir generate_orders.sql
VACUUM ANALYZE orders;
\o /dev/null
SELECT pg_prewarm('orders');
\o
SELECT count(*) AS customers, (SELECT count(*) FROM orders) AS orders,
       round((SELECT count(*) FROM orders)::numeric / count(*), 2) AS orders_per_customer,
       pg_size_pretty(pg_table_size('orders')) AS orders_size
FROM people;

CREATE TABLE bench_runs (round int, workers int, what text, ms numeric);

-- the by-hand baseline, step by step
CREATE FUNCTION pg_temp.by_hand(r int, w int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz;
    started timestamptz := clock_timestamp();
BEGIN
    DROP TABLE IF EXISTS h_summary, h_models, h_scores, h_segments, h_tiers, h_declining;
    t := clock_timestamp();
    CREATE TABLE h_summary AS
    SELECT customer_id, clv_summary(ordered_at, amount::float8, timestamptz '2026-06-30 23:59:59+00', '1 day', 'UTC') AS s
      FROM orders GROUP BY customer_id;
    INSERT INTO bench_runs VALUES (r, w, 'by hand: summaries', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    CREATE TABLE h_models AS
    SELECT clv_fit_bgnbd(s, 0.001) AS bg, clv_fit_gammagamma(s, 0.001) AS gg, clv_rfm_breakpoints(s) AS bp
      FROM h_summary;
    INSERT INTO bench_runs VALUES (r, w, 'by hand: models', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    CREATE TABLE h_scores AS
    SELECT x.*, clv_value_tier(cume_dist() OVER (ORDER BY x.predicted_clv DESC NULLS LAST)) AS value_tier
      FROM (SELECT h.customer_id, (h.s).total_amount, (h.s).orders, (h.s).last_order,
                   clv_p_alive(m.bg, h.s) AS p_alive, clv_expected_purchases(m.bg, 30, h.s) AS expected_purchases,
                   v.predicted_clv, (q).recency_score, (q).frequency_score, (q).monetary_score, (q).rfm_cell,
                   (q).segment AS rfm_segment, (d).declining, (d).severity AS decline_severity,
                   array_to_string((d).reasons, ', ') AS decline_reasons, (d).alert AS decline_alert,
                   (d).value_at_risk
              FROM h_summary h CROSS JOIN h_models m,
                   LATERAL (SELECT clv_predicted_value(m.bg, m.gg, h.s, 12, 0.01, '30 days', 0.3) AS predicted_clv
                            OFFSET 0) v,
                   LATERAL clv_rfm(h.s, m.bp) q,
                   LATERAL clv_decline(h.s, m.bg, v.predicted_clv) d) x;
    INSERT INTO bench_runs VALUES (r, w, 'by hand: scores', extract(epoch FROM clock_timestamp() - t) * 1000);
    t := clock_timestamp();
    CREATE TABLE h_segments AS
    SELECT rfm_segment, count(*) AS customers, sum(total_amount::numeric) AS total_amount,
           sum(predicted_clv::numeric) AS predicted_clv, count(*) FILTER (WHERE declining) AS declining,
           sum(value_at_risk::numeric) AS value_at_risk
      FROM h_scores GROUP BY rfm_segment;
    CREATE TABLE h_tiers AS
    SELECT value_tier, count(*) AS customers, min(predicted_clv) AS min_predicted_clv,
           sum(predicted_clv::numeric) AS predicted_clv
      FROM h_scores GROUP BY value_tier;
    CREATE TABLE h_declining AS
    SELECT row_number() OVER (ORDER BY value_at_risk DESC NULLS LAST, customer_id) AS rank, *
      FROM h_scores WHERE declining;
    INSERT INTO bench_runs VALUES (r, w, 'by hand: segments, tiers, declining', extract(epoch FROM clock_timestamp() - t) * 1000);
    INSERT INTO bench_runs VALUES (r, w, 'by hand', extract(epoch FROM clock_timestamp() - started) * 1000);
END $$;

-- a refresh, with the milliseconds of each step it reports
CREATE FUNCTION pg_temp.refresh(r int, w int, incremental boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t timestamptz := clock_timestamp();
    kind text := CASE WHEN incremental THEN 'incremental refresh' ELSE 'full refresh' END;
BEGIN
    INSERT INTO bench_runs
    SELECT r, w, kind || ': ' || regexp_replace(regexp_replace(line, '^bench\.', ''), '(: [0-9]+ customers)? (summarised|refreshed|computed).*$', ''),
           (regexp_match(line, ' ([0-9]+) ms'))[1]::numeric
      FROM clv_refresh_pipeline('bench', incremental => incremental) AS line;
    INSERT INTO bench_runs VALUES (r, w, kind, extract(epoch FROM clock_timestamp() - t) * 1000);
END $$;

-- a day's new orders: one each for 0.5% of the customers
CREATE FUNCTION pg_temp.new_orders() RETURNS void LANGUAGE sql AS $$
    INSERT INTO orders
    SELECT c, timestamptz '2026-06-30 18:00:00+00' + random() * interval '5 hours', round((5 + random() * 60)::numeric, 2)
      FROM (SELECT DISTINCT 1 + floor(random() * (SELECT count(*) FROM people))::int AS c
              FROM generate_series(1, (SELECT count(*) FROM people) / 200)) n
$$;

SELECT clock_timestamp() AS create_start \gset
SELECT count(*) AS create_lines FROM clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount', 'bench',
                                                          gross_margin => 0.3, as_of => '2026-06-30 23:59:59+00',
                                                          time_zone => 'UTC') \gset
SELECT round(extract(epoch FROM clock_timestamp() - :'create_start'::timestamptz) * 1000) AS create_ms \gset
VACUUM ANALYZE bench.summary_state;

-- the rounds, each statement its own transaction
\o /dev/null
SELECT format('SET max_parallel_workers_per_gather = %s', w),
       format('SELECT pg_temp.by_hand(%s, %s)', r, w),
       format('SELECT pg_temp.refresh(%s, %s, false)', r, w),
       'VACUUM ANALYZE bench.summary_state',
       'SELECT pg_temp.new_orders()',
       format('SELECT pg_temp.refresh(%s, %s, true)', r, w),
       'VACUUM ANALYZE bench.summary_state'
FROM generate_series(0, :runs) r, (VALUES (0), (2)) AS ws(w)
ORDER BY r, w \gexec
\o
RESET max_parallel_workers_per_gather;

-- the check: after the last incremental refresh, a full one changes nothing
\o /dev/null
\i test/include/pipeline_digest.psql
\o
SELECT pg_temp.pipeline_digest('bench') AS after_incremental \gset
SELECT count(*) FROM clv_refresh_pipeline('bench') \g /dev/null
SELECT pg_temp.pipeline_digest('bench') = :'after_incremental' AS incremental_equals_full \gset
\if :incremental_equals_full
\echo 'check: after the last incremental refresh, a full refresh changes nothing a dashboard reads'
\else
\echo 'check FAILED: the incremental refresh differs from a full one'
SELECT 1 / 0 AS stop;
\endif

\echo
\echo 'clv_create_pipeline (0 workers):' :create_ms 'ms'
\pset footer off
-- medians of the timed rounds
CREATE TEMP VIEW medians AS
SELECT what, workers, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) AS runs
FROM bench_runs WHERE round > 0 GROUP BY what, workers;
SELECT what, round(max(ms) FILTER (WHERE workers = 0)) AS "ms, 0 workers",
       round(max(ms) FILTER (WHERE workers = 2)) AS "ms, 2 workers"
FROM medians GROUP BY what ORDER BY what;
SELECT w.workers,
       round(f.ms::numeric / h.ms::numeric, 2) AS "full refresh / by hand",
       round(i.ms::numeric / f.ms::numeric, 2) AS "incremental / full",
       round(h.ms) AS "by hand ms", round(f.ms) AS "full ms", round(i.ms) AS "incremental ms",
       f.runs AS "full runs", i.runs AS "incremental runs", h.runs AS "by hand runs"
FROM (VALUES (0), (2)) w(workers)
JOIN medians h ON h.workers = w.workers AND h.what = 'by hand'
JOIN medians f ON f.workers = w.workers AND f.what = 'full refresh'
JOIN medians i ON i.workers = w.workers AND i.what = 'incremental refresh'
ORDER BY w.workers;
