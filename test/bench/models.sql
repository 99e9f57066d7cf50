-- The model benchmark for one size (test/bench/models.sh): generates the
-- table `customers` of per-customer summaries, fits BG/NBD and Gamma-Gamma
-- once (parameters, iterations, distinct patterns), then times the fits and
-- the scores in this one session and prints the results table.
--
-- psql variables: n_customers, seed (a float8 in [-1, 1]), runs (timed
-- rounds after one warm-up round).  Run from the repository root in a
-- database with the clv and pg_prewarm extensions; test/bench/models.sh sets
-- everything up.
--
-- The data: customers(frequency, recency, age, monetary) as clv_summary
-- gives them for orders at DAY granularity in WEEKS (CDNOW's unit):
--   * age T: whole days/7, uniform over 1 to 78 weeks (7 to 546 days);
--   * a BG/NBD process with CDNOW's parameters r = 0.24, alpha = 4.4,
--     a = 0.79, b = 2.43 (per week): lambda ~ Gamma(r, alpha), p ~ Beta(a, b);
--     the customer drops out after its d-th repeat purchase, d geometric in
--     p; n ~ Poisson(lambda T) purchases in (0, T]; frequency x = min(n, d);
--     recency t_x the last of n uniform times if the customer is alive
--     (n < d), else the d-th of n, Beta(d, n - d + 1), rounded up to the
--     next whole day; at most one repeat purchase a day (x <= t_x in days);
--   * monetary, the mean repeat spend, from Gamma-Gamma with CDNOW's
--     p = 6.25, q = 3.74, gamma = 15.44, rounded to cents (about 35 on
--     average); 0 for customers without repeat purchases.
-- Cheap approximations keep 10 million rows within about 30 seconds:
-- Gamma draws by Wilson-Hilferty (shape < 1 via Gamma(k + 1) U^(1/k)),
-- normals by Box-Muller, Poisson by inversion below a mean of 2 and by
-- Anscombe's square-root normal approximation above.  The fit recovers the
-- parameters to within a few per cent from a million customers on, and
-- (x, t_x, T) lie on the day grid, so that the distinct patterns are those
-- of day-level data (about 265,000 at a million customers).
--
-- Each timed run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare
-- query and its "Execution Time": the executor fits the model (or computes
-- every score and their sum) but nothing is sent to the client.  Rounds are
-- interleaved (every query once, then again); the median is reported.
-- The model of the scoring queries is the one fitted here, in a one-row
-- table `models` joined to `customers`, as a user would write it.

DROP TABLE IF EXISTS models;
\ir generate_customers.psql

-- The data must be what the models take.
SELECT count(*) FILTER (WHERE frequency <> floor(frequency) OR frequency < 0
                           OR recency > age OR (frequency = 0) <> (recency = 0)
                           OR age < 1 OR age > 78
                           OR abs(recency * 7 - round(recency * 7)) > 1e-9
                           OR abs(age * 7 - round(age * 7)) > 1e-9
                           OR (frequency > 0 AND monetary <= 0)
                           OR (frequency > 0 AND frequency > round(recency * 7))) AS bad_rows
FROM customers \gset
SELECT :bad_rows > 0 AS has_bad_rows \gset
\if :has_bad_rows
    \echo 'bench: the generator made' :bad_rows 'rows that break its own rules'
    SELECT 1 / 0 AS stop;
\endif

\pset footer off
SELECT count(*) AS customers,
       round(100.0 * count(*) FILTER (WHERE frequency > 0) / count(*), 1) AS "repeat buyers %",
       round(avg(frequency)::numeric, 2) AS "mean x",
       max(frequency) AS "max x",
       round(avg(age)::numeric, 1) AS "mean T (weeks)",
       round((avg(monetary) FILTER (WHERE frequency > 0))::numeric, 2) AS "mean monetary",
       (SELECT count(*) FROM (SELECT FROM customers GROUP BY frequency, recency, age) p)
           AS "distinct (x, t_x, T)",
       (SELECT count(*) FROM (SELECT FROM customers WHERE frequency > 0 GROUP BY frequency, monetary) p)
           AS "distinct (x, m)",
       pg_size_pretty(pg_table_size('customers')) AS size
FROM customers;

-- The models, fitted once (and used by the scoring queries).
CREATE TABLE models AS
SELECT (SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers) AS bg,
       (SELECT clv_fit_gammagamma(frequency, monetary) FROM customers) AS gg;
ANALYZE models;
SELECT 'BG/NBD' AS model,
       format('r=%s alpha=%s a=%s b=%s', round((j ->> 'r')::numeric, 4), round((j ->> 'alpha')::numeric, 4),
              round((j ->> 'a')::numeric, 4), round((j ->> 'b')::numeric, 4)) AS parameters,
       round((j ->> 'log_likelihood')::numeric, 1) AS "log-likelihood",
       j ->> 'customers' AS customers, j ->> 'iterations' AS iterations, j ->> 'converged' AS converged
FROM (SELECT clv_model_params(bg) AS j FROM models) q
UNION ALL
SELECT 'Gamma-Gamma',
       format('p=%s q=%s gamma=%s', round((j ->> 'p')::numeric, 4), round((j ->> 'q')::numeric, 4),
              round((j ->> 'gamma')::numeric, 4)),
       round((j ->> 'log_likelihood')::numeric, 1),
       j ->> 'customers', j ->> 'iterations', j ->> 'converged'
FROM (SELECT clv_model_params(gg) AS j FROM models) q
UNION ALL
SELECT '(generated)', 'r=0.24 alpha=4.4 a=0.79 b=2.43; p=6.25 q=3.74 gamma=15.44', NULL, NULL, NULL, NULL;

-- A parallel fit must give the same model as the serial one.
BEGIN;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT clv_fit_bgnbd(frequency, recency, age)::text = (SELECT bg::text FROM models) AS parallel_same
FROM customers \gset
COMMIT;

-- The same customers in 32 hash partitions, fitted by partitionwise
-- aggregation: a partial state per partition, merged by the combine
-- function in this one process, as a Citus coordinator merges the states
-- of 32 shards (without their trip through text and the network).  Its
-- fits must be the serial ones, and its plans (checked after the rounds)
-- one partial aggregate per partition.
DROP TABLE IF EXISTS customers_parted;
CREATE TABLE customers_parted (id bigint, frequency float8, recency float8, age float8, monetary float8)
    PARTITION BY HASH (id);
SELECT format('CREATE TABLE customers_parted_%s PARTITION OF customers_parted'
              ' FOR VALUES WITH (MODULUS 32, REMAINDER %s)', i, i)
FROM generate_series(0, 31) i \gexec
INSERT INTO customers_parted SELECT row_number() OVER (), * FROM customers;
VACUUM ANALYZE customers_parted;
SELECT pg_prewarm(c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'customers_parted'::regclass \g /dev/null
SET enable_partitionwise_aggregate = on;
SELECT (SELECT clv_fit_bgnbd(frequency, recency, age)::text FROM customers_parted) = bg::text
       AND (SELECT clv_fit_gammagamma(frequency, monetary)::text FROM customers_parted) = gg::text AS parted_same
FROM models \gset

-- Diagnostic only: the fit's transition function without its final
-- function, i.e. collecting the distinct patterns with no optimisation.
CREATE OR REPLACE AGGREGATE bench_bgnbd_patterns(float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[],
    COMBINEFUNC = clv_fit_patterns_combine, PARALLEL = SAFE);

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int, label text, workers int, scoring bool, query text);
INSERT INTO bench_queries VALUES
    (1, '1. baseline: count, 3 sums', 0, false,
     'SELECT count(*), sum(frequency), sum(recency), sum(age) FROM customers'),
    (2, '2. clv_fit_bgnbd', 0, false,
     'SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers'),
    (3, '2a. (patterns only, no fit)', 0, false,
     'SELECT bench_bgnbd_patterns(frequency, recency, age) FROM customers'),
    (4, '3. clv_fit_gammagamma', 0, false,
     'SELECT clv_fit_gammagamma(frequency, monetary) FROM customers'),
    (5, '4a. clv_p_alive', 0, true,
     'SELECT sum(clv_p_alive(m.bg, frequency, recency, age)) FROM customers, models m'),
    (6, '4b. clv_expected_purchases(39)', 0, true,
     'SELECT sum(clv_expected_purchases(m.bg, 39, frequency, recency, age)) FROM customers, models m'),
    (7, '4c. clv_expected_spend', 0, true,
     'SELECT sum(clv_expected_spend(m.gg, frequency, monetary)) FROM customers, models m'),
    (8, '4d. clv_predicted_value(12)', 0, true,
     'SELECT sum(clv_predicted_value(m.bg, m.gg, frequency, recency, age, monetary, 12, 0.01, 4.345)) FROM customers, models m'),
    (9, '5. baseline, 2 workers', 2, false,
     'SELECT count(*), sum(frequency), sum(recency), sum(age) FROM customers'),
    (10, '6. clv_fit_bgnbd, 2 workers', 2, false,
     'SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers'),
    (11, '7. clv_fit_bgnbd, 32 partitions', 0, false,
     'SELECT clv_fit_bgnbd(frequency, recency, age) FROM customers_parted'),
    (12, '8. clv_fit_gammagamma, 32 partitions', 0, false,
     'SELECT clv_fit_gammagamma(frequency, monetary) FROM customers_parted');

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT ord, label, scoring,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms,
       string_agg(DISTINCT launched::text, ',') AS launched,
       string_agg(DISTINCT jit, ',') AS jit
FROM bench_runs JOIN bench_queries USING (label)
GROUP BY ord, label, scoring;

SELECT median_ms AS base_ms FROM bench_result WHERE ord = 1 \gset
SELECT label AS query,
       round(median_ms::numeric) AS "median ms",
       round((median_ms / :base_ms)::numeric, 2) AS "x baseline",
       CASE WHEN ord NOT IN (1, 9) THEN round((median_ms - :base_ms)::numeric) END AS "minus baseline ms",
       CASE WHEN ord IN (1, 9) OR scoring
            THEN to_char(:n_customers / (median_ms / 1000) / 1e6, 'FM9990.00') END AS "M rows/s",
       CASE WHEN scoring AND median_ms > :base_ms
            THEN to_char(:n_customers / ((median_ms - :base_ms) / 1000) / 1e6, 'FM9990.00') END
           AS "M rows/s beyond scan",
       runs_ms AS "runs (ms)", warmup_ms AS "warm-up", launched AS "workers launched", jit
FROM bench_result ORDER BY ord;

SELECT bool_and((SELECT count(*) FROM regexp_matches(plan, 'Partial Aggregate', 'g')) = 32) AS parted_partial
FROM bench_runs WHERE label LIKE '%32 partitions' \gset
SELECT round((pb.median_ms / s.median_ms)::numeric, 2) AS parted_bgnbd,
       round((pg.median_ms / g.median_ms)::numeric, 2) AS parted_gammagamma
FROM bench_result s, bench_result g, bench_result pb, bench_result pg
WHERE s.ord = 2 AND g.ord = 4 AND pb.ord = 11 AND pg.ord = 12 \gset
SELECT round((s.median_ms / p.median_ms)::numeric, 2) AS fit_speedup,
       round((b.median_ms / bp.median_ms)::numeric, 2) AS scan_speedup,
       round(s.median_ms::numeric) AS fit_ms,
       round((s.median_ms - b.median_ms)::numeric) AS fit_over_scan_ms,
       round((s.median_ms - a.median_ms)::numeric) AS fit_over_patterns_ms,
       to_char(:n_customers / (pa.median_ms / 1000) / 1e6, 'FM9990.00') AS p_alive_mrows
FROM bench_result b, bench_result s, bench_result a, bench_result pa,
     bench_result bp, bench_result p
WHERE b.ord = 1 AND s.ord = 2 AND a.ord = 3 AND pa.ord = 5 AND bp.ord = 9 AND p.ord = 10 \gset
\echo
\echo 'BG/NBD fit:        ' :fit_ms 'ms,' :fit_over_scan_ms 'ms beyond the baseline scan,' :fit_over_patterns_ms 'ms beyond collecting the patterns   (target at 1M customers: under 1000 ms)'
\echo 'P(alive) scoring:  ' :p_alive_mrows 'M rows/s including the scan   (target: at least 1 M rows/s per core)'
\echo 'Speed-up, 2 workers:' :fit_speedup 'x for the BG/NBD fit,' :scan_speedup 'x for the baseline scan; the parallel fit gives the serial model:' :parallel_same
\echo '32 partitions:     ' :parted_bgnbd 'x the BG/NBD fit,' :parted_gammagamma 'x the Gamma-Gamma fit, each partition''s partial state merged; a partial aggregate per partition:' :parted_partial '; the same models:' :parted_same
