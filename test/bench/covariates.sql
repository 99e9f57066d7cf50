-- The covariate benchmark for one size (test/bench/covariates.sh): the
-- model benchmark's customers (generate_customers.psql), covariates by row
-- number, and each plain fit timed against the same fit with covariates.
--
-- psql variables: n_customers, seed, runs.  Run from the repository root in
-- a database with the clv and pg_prewarm extensions.

DROP TABLE IF EXISTS customers_z;
\ir generate_customers.psql

-- a 0/1 channel and a 5-level region (4 indicators), from the row number:
-- as categorical as most customer characteristics are
CREATE TABLE customers_z AS
SELECT frequency, recency, age, monetary,
       ARRAY[(n % 2)::float8] AS channel,
       ARRAY[(n % 2)::float8] || clv_indicators((n % 5)::text, ARRAY['0', '1', '2', '3', '4']) AS channel_region
FROM (SELECT c.*, row_number() OVER () AS n FROM customers c) c;
VACUUM ANALYZE customers_z;
SELECT pg_prewarm('customers_z') \gset

\pset footer off
SELECT count(*) AS customers,
       (SELECT count(*) FROM (SELECT FROM customers_z GROUP BY frequency, recency, age) p) AS "distinct (x, t_x, T)",
       (SELECT count(*) FROM (SELECT FROM customers_z GROUP BY frequency, recency, age, channel_region) p)
           AS "distinct with channel and region"
FROM customers_z;

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int, label text, query text);
INSERT INTO bench_queries VALUES
    (1, '1. baseline: count, 3 sums', 'SELECT count(*), sum(frequency), sum(recency), sum(age) FROM customers_z'),
    (2, '2. clv_fit_bgnbd', 'SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers_z'),
    (3, '2a. with channel (1 covariate)', 'SELECT clv_fit_bgnbd(frequency, recency, age, channel) FROM customers_z'),
    (4, '2b. with channel and region (5)', 'SELECT clv_fit_bgnbd(frequency, recency, age, channel_region) FROM customers_z'),
    (5, '3. clv_fit_paretonbd', 'SELECT clv_fit_paretonbd(frequency, recency, age) FROM customers_z'),
    (6, '3a. with channel (1 covariate)', 'SELECT clv_fit_paretonbd(frequency, recency, age, channel) FROM customers_z'),
    (7, '4. clv_fit_gammagamma', 'SELECT clv_fit_gammagamma(frequency, monetary) FROM customers_z'),
    (8, '4a. with channel and region (5)', 'SELECT clv_fit_gammagamma(frequency, monetary, channel_region) FROM customers_z');

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT ord, label,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms
FROM bench_runs JOIN bench_queries USING (label)
GROUP BY ord, label;

-- each covariate fit against its plain fit (2a, 2b: 2; 3a: 3; 4a: 4)
SELECT r.label AS query, round(r.median_ms::numeric) AS "median ms",
       CASE WHEN r.ord IN (3, 4, 6, 8)
            THEN round((r.median_ms / p.median_ms)::numeric, 1) END AS "x plain fit",
       r.runs_ms AS "runs (ms)"
FROM bench_result r
LEFT JOIN bench_result p ON p.ord = CASE r.ord WHEN 3 THEN 2 WHEN 4 THEN 2 WHEN 6 THEN 5 WHEN 8 THEN 7 END
ORDER BY r.ord;
