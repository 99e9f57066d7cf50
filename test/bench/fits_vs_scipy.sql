-- The clv half of the fit comparison for one size (test/bench/fits_vs_scipy.sh):
-- generates the table `customers` of per-customer summaries as models.sql
-- does, fits BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma once (the
-- parameters to compare with scipy's; MBG/CNBD-k too, which scipy has no
-- counterpart of), then times the fits against the
-- cheapest scan of the same rows in this one session and prints the table.
-- Leaves two tables for the runner to export: `customers` (its distinct
-- histories are what scipy fits) and `fit_results` (clv's side of the
-- comparison: median ms, ms beyond the scan, the model as jsonb).
--
-- psql variables: n_customers, seed (a float8 in [-1, 1]), runs (timed
-- rounds after one warm-up round).  Run from the repository root in a
-- database with the clv and pg_prewarm extensions; test/bench/fits_vs_scipy.sh
-- sets everything up.
--
-- The data are models.sql's, from the same generator with the same
-- settings: day granularity in weeks, CDNOW's BG/NBD and Gamma-Gamma
-- parameters.  Pareto/NBD and MBG/NBD are fitted to BG/NBD data: a
-- misspecified model is still a well-defined optimum, and the same one for
-- both optimisers.
--
-- Each timed run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare
-- query and its "Execution Time" (bench_runs.psql): the whole fit, i.e.
-- scanning the rows, collecting the distinct histories and optimising,
-- with nothing sent to the client.  Rounds are interleaved; the median is
-- reported.

DROP TABLE IF EXISTS fits, fit_results;
\ir generate_customers.psql
-- the regularity models' log gaps: the generator draws no gaps, so each
-- customer's is set 0.3 x below its largest possible value, x ln(t_x / x)
-- (all gaps equal), a valid history; it times the fit, not what k it finds
ALTER TABLE customers ADD COLUMN log_gap_sum float8;
UPDATE customers SET log_gap_sum = CASE WHEN frequency > 0 THEN frequency * (ln(recency / frequency) - 0.3) ELSE 0 END;
VACUUM ANALYZE customers;

\pset footer off
SELECT count(*) AS customers,
       round(100.0 * count(*) FILTER (WHERE frequency > 0) / count(*), 1) AS "repeat buyers %",
       max(frequency) AS "max x",
       (SELECT count(*) FROM (SELECT FROM customers GROUP BY frequency, recency, age) p)
           AS "distinct (x, t_x, T)",
       (SELECT count(*) FROM (SELECT FROM customers WHERE frequency > 0 GROUP BY frequency, monetary) p)
           AS "distinct (x, m)"
FROM customers;

-- The models, fitted once: the parameters scipy's must agree with.  The
-- timed runs below give the same models (a fit is deterministic).
CREATE TABLE fits AS
SELECT 1 AS ord, 'BG/NBD' AS model,
       (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age)) FROM customers) AS params
UNION ALL
SELECT 2, 'MBG/NBD', (SELECT clv_model_params(clv_fit_mbgnbd(frequency, recency, age)) FROM customers)
UNION ALL
SELECT 3, 'Pareto/NBD', (SELECT clv_model_params(clv_fit_paretonbd(frequency, recency, age)) FROM customers)
UNION ALL
SELECT 4, 'Gamma-Gamma', (SELECT clv_model_params(clv_fit_gammagamma(frequency, monetary)) FROM customers)
UNION ALL
SELECT 5, 'MBG/CNBD-k, k = 2',
       (SELECT clv_model_params(clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum, 2)) FROM customers)
UNION ALL
SELECT 6, 'MBG/CNBD-k, k chosen',
       (SELECT clv_model_params(clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum)) FROM customers);

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int, label text, model text, query text);
INSERT INTO bench_queries VALUES
    (0, '0. baseline: count, 3 sums', NULL,
     'SELECT count(*), sum(frequency), sum(recency), sum(age) FROM customers'),
    (1, '1. clv_fit_bgnbd', 'BG/NBD',
     'SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers'),
    (2, '2. clv_fit_mbgnbd', 'MBG/NBD',
     'SELECT clv_fit_mbgnbd(frequency, recency, age) FROM customers'),
    (3, '3. clv_fit_paretonbd', 'Pareto/NBD',
     'SELECT clv_fit_paretonbd(frequency, recency, age) FROM customers'),
    (4, '4. clv_fit_gammagamma', 'Gamma-Gamma',
     'SELECT clv_fit_gammagamma(frequency, monetary) FROM customers'),
    (5, '5. clv_fit_mbgcnbd, k = 2', 'MBG/CNBD-k, k = 2',
     'SELECT clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum, 2) FROM customers'),
    (6, '6. clv_fit_mbgcnbd, k chosen', 'MBG/CNBD-k, k chosen',
     'SELECT clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum) FROM customers');

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT ord, label, model,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms,
       string_agg(DISTINCT jit, ',') AS jit
FROM bench_runs JOIN bench_queries USING (label)
GROUP BY ord, label, model;

SELECT median_ms AS base_ms FROM bench_result WHERE ord = 0 \gset
SELECT r.label AS query,
       round(r.median_ms::numeric) AS "median ms",
       CASE WHEN r.ord > 0 THEN round((r.median_ms - :base_ms)::numeric) END AS "minus baseline ms",
       (f.params ->> 'iterations') AS iterations,
       (f.params ->> 'customers') AS customers,
       r.runs_ms AS "runs (ms)", r.warmup_ms AS "warm-up", r.jit
FROM bench_result r LEFT JOIN fits f USING (model)
ORDER BY r.ord;

-- clv's side of the comparison, exported by the runner for fits_vs_scipy.py
CREATE TABLE fit_results AS
SELECT f.ord, f.model, r.median_ms, r.median_ms - :base_ms AS beyond_scan_ms, f.params::text AS params
FROM fits f JOIN bench_result r USING (model);
