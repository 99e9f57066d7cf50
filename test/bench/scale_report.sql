-- The report of the scale benchmark (test/bench/scale.sh): the tables
-- stage_runs and pipeline_runs that test/bench/scale.sql filled, and
-- memory_samples, the sampler's lines (epoch seconds, summed RssAnon kB).
\set QUIET 1
\pset footer off
CREATE TEMP VIEW stage_memory AS
SELECT s.stage, s.workers, s.round,
       (SELECT max(rss_anon_kb) FROM memory_samples
         WHERE at_epoch BETWEEN extract(epoch FROM s.started) AND extract(epoch FROM s.ended) + 0.25)
     - (SELECT min(rss_anon_kb) FROM memory_samples  -- the previous session may still be exiting
         WHERE at_epoch BETWEEN extract(epoch FROM s.started) - 2 AND extract(epoch FROM s.started)) AS peak_kb
FROM bench.stage_runs s;

\echo
\echo 'per stage: median ms over the rounds, with 0, 1 and 2 parallel workers; speed-up = 0 workers / 2 workers;'
\echo 'peak MB = the largest private memory of the backend and its workers during the stage (sampled every 0.2 s), over the rounds'
SELECT stage,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE workers = 0)) AS "0 workers ms",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE workers = 1)) AS "1 worker ms",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE workers = 2)) AS "2 workers ms",
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE workers = 0)
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE workers = 2))::numeric, 2) AS "speed-up",
       max(launched) FILTER (WHERE workers = 2) AS "launched",
       round(max(peak_kb) FILTER (WHERE workers = 0) / 1024.0) AS "peak MB, 0 w",
       round(max(peak_kb) FILTER (WHERE workers = 2) / 1024.0) AS "peak MB, 2 w"
FROM (SELECT r.*, 1000 * extract(epoch FROM ended - started) AS ms, m.peak_kb
      FROM bench.stage_runs r JOIN stage_memory m USING (stage, workers, round)) q
GROUP BY stage, ord ORDER BY ord;

\echo
\echo 'ratios (0 workers): summary / cheapest scan of the orders, summary / plain-SQL grouping, fits / cheapest scan of the summaries'
CREATE FUNCTION pg_temp.med(stage_name text, w int DEFAULT 0) RETURNS float8 LANGUAGE sql AS $$
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY 1000 * extract(epoch FROM ended - started))
    FROM bench.stage_runs WHERE stage = stage_name AND workers = w $$;
SELECT round((pg_temp.med('summary') / pg_temp.med('scan'))::numeric, 2) AS "summary / scan",
       round((pg_temp.med('summary') / pg_temp.med('grouped_sql'))::numeric, 2) AS "summary / grouped_sql",
       round((pg_temp.med('fit_bgnbd') / pg_temp.med('summaries_scan'))::numeric, 1) AS "BG/NBD fit / summaries scan",
       round((pg_temp.med('summary') * 1e6 / (SELECT count(*) FROM orders))::numeric) AS "summary ns per order",
       round((pg_temp.med('summary') / pg_temp.med('summary_by_customer', (SELECT max(workers) FROM bench.stage_runs)))::numeric, 2)
         AS "summary (0 w) / summary_by_customer (most w)",
       round((pg_temp.med('fit_bgnbd') * 1e6 / (SELECT count(*) FROM summaries))::numeric) AS "BG/NBD fit ns per customer";

\echo
\echo 'the plans with the most workers (round 1; Partial Mode, Node Type, Strategy)'
SELECT stage, launched AS "workers launched", plan FROM bench.stage_runs WHERE workers = (SELECT max(workers) FROM bench.stage_runs) AND round = 1 ORDER BY ord;

\echo
\echo 'the pipeline: clv_refresh_pipeline(concurrent => false), median ms per step over the rounds'
SELECT step,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(ms, total_ms)) FILTER (WHERE workers = 0)) AS "0 workers ms",
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(ms, total_ms)) FILTER (WHERE workers = 2)) AS "2 workers ms",
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(ms, total_ms)) FILTER (WHERE workers = 0)
              / nullif(percentile_cont(0.5) WITHIN GROUP (ORDER BY coalesce(ms, total_ms)) FILTER (WHERE workers = 2), 0))::numeric, 2) AS "speed-up"
FROM bench.pipeline_runs GROUP BY step, ord ORDER BY ord;

\echo
\echo 'the fits: the models and how many distinct (x, t_x, T) histories they were fitted on'
SELECT 'customers' AS what, count(*)::text AS value FROM summaries
UNION ALL SELECT 'distinct (x, t_x, T) histories', count(*)::text
FROM (SELECT DISTINCT (s).frequency, (s).recency, (s).age FROM summaries) d
UNION ALL SELECT 'BG/NBD', clv_model_params(bg)::text FROM models
UNION ALL SELECT 'Gamma-Gamma', clv_model_params(gg)::text FROM models;
