-- The scoring benchmark: clv_predicted_value and clv_decline per customer,
-- against clv_p_alive (a cheap score) and the cheapest scan of the same rows.
--
--   psql -X -v n_customers=1000000 -v runs=3 -f test/bench/scoring.sql
--
-- psql variables (all optional): n_customers (default 1,000,000), seed (a
-- float8 in [-1, 1], default 0.42), runs (timed rounds after one warm-up
-- round, default 3).  Run from the repository root in a database with the
-- clv extension (pg_prewarm is used when it can be created), on one core
-- (max_parallel_workers_per_gather = 0 is set here for the session).
--
-- The data (setup, not timed): customers(frequency, recency, age,
-- monetary, s clv_summary), day granularity, time unit 1 day:
--   * age T uniform over 7 to 1,095 whole days (three years);
--   * a BG/NBD process with CDNOW's parameters read per week (r = 0.24,
--     alpha = 4.4 weeks = 30.8 days, a = 0.79, b = 2.43): lambda ~ Gamma(r,
--     alpha), p ~ Beta(a, b), drop-out after the d-th repeat purchase, d
--     geometric in p, n ~ Poisson(lambda T), frequency x = min(n, d), recency
--     the last purchase time rounded up to a whole day, at most one repeat
--     purchase a day; the generator is that of models.sql (Wilson-Hilferty
--     gammas, Box-Muller normals, approximate Poisson), in days;
--   * monetary from Gamma-Gamma with p = 6.25, q = 3.74, gamma = 15.44 in
--     cents, 0 without repeat purchases;
--   * s, the clv_summary of such a customer as clv_summary() gives it
--     (first_order = 2026-06-30 - T, last_order = first_order + t_x, x + 1
--     orders on x + 1 days, the first order's amount near monetary, the gap
--     standard deviation a random 0.2 to 1.5 of the mean gap), typed in
--     rather than aggregated from orders so that a million take seconds.
--
-- Each timed run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare
-- query and its "Execution Time" (as in models.sql): the executor computes
-- every value and its sum, nothing is sent to the client.  Rounds are
-- interleaved; round 0 is a warm-up; the median is reported, every run
-- beside it, in customers per second including the scan and beyond it.
-- The models are fitted here on the summaries, kept in a one-row table
-- `models` joined to `customers` as a user would write it.

\if :{?n_customers}
\else
\set n_customers 1000000
\endif
\if :{?seed}
\else
\set seed 0.42
\endif
\if :{?runs}
\else
\set runs 3
\endif

SET max_parallel_workers_per_gather = 0;
\o /dev/null
SELECT setseed(:seed);
\o
DROP TABLE IF EXISTS customers, models;
CREATE TEMP TABLE generated (frequency float8, recency float8, age float8, monetary float8);

SELECT clock_timestamp() AS gen_start \gset
\set generated_table generated
\set age_span_days 1089
\set time_unit_days 1
\ir generate_summaries.sql

-- the summary of each customer, as clv_summary() would make it in days
CREATE TABLE customers AS
SELECT frequency, recency, age, monetary,
       ROW(first_day, first_day + recency::int, date '2026-06-30',
           (frequency + 1)::bigint, 0::bigint, (frequency + 1)::int,
           first_amount + frequency * monetary, 0::float8,
           (first_amount + frequency * monetary) / (frequency + 1),
           frequency::int, recency, age, monetary,
           CASE WHEN frequency > 0 THEN recency / frequency END,
           CASE WHEN frequency > 1 THEN round((recency / frequency * (0.2 + 1.3 * u_sd))::numeric, 6)::float8 END,
           interval '1 day')::clv_summary AS s
FROM (SELECT g.*, date '2026-06-30' - age::int AS first_day,
             CASE WHEN monetary > 0 THEN monetary ELSE 35 END AS first_amount,
             random() AS u_sd
      FROM generated g OFFSET 0) g;
DROP TABLE generated;
SELECT round(extract(epoch FROM clock_timestamp() - :'gen_start'::timestamptz)::numeric, 1) AS gen_s \gset
VACUUM ANALYZE customers;
SELECT count(*) = 1 AS have_prewarm FROM pg_available_extensions WHERE name = 'pg_prewarm' \gset
\if :have_prewarm
\o /dev/null
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT pg_prewarm('customers');
\o
\endif
\echo 'generated' :n_customers 'customers in' :gen_s 's'

-- The data must be what the models take.
SELECT count(*) FILTER (WHERE frequency <> floor(frequency) OR frequency < 0
                           OR recency > age OR (frequency = 0) <> (recency = 0)
                           OR age < 7 OR age > 1095 OR recency <> round(recency)
                           OR (frequency > 0 AND monetary <= 0)
                           OR (frequency > 0 AND frequency > recency)
                           OR (s).frequency <> frequency OR (s).recency <> recency
                           OR (s).age <> age OR (s).monetary <> monetary) AS bad_rows
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
       round(avg(age)::numeric, 1) AS "mean T (days)",
       (SELECT count(*) FROM (SELECT FROM customers GROUP BY frequency, recency, age) p)
           AS "distinct (x, t_x, T)",
       pg_size_pretty(pg_table_size('customers')) AS size
FROM customers;

CREATE TABLE models AS
SELECT (SELECT clv_fit_bgnbd(s) FROM customers) AS bg,
       (SELECT clv_fit_gammagamma(s) FROM customers) AS gg;
ANALYZE models;
SELECT bg::text AS "BG/NBD", gg::text AS "Gamma-Gamma" FROM models \gx

\ir bench_runs.psql

CREATE TEMP TABLE bench_queries (ord int, label text, query text);
INSERT INTO bench_queries VALUES
    (1, '1. baseline: count, 3 sums',
     'SELECT count(*), sum(frequency), sum(recency), sum(age) FROM customers'),
    (2, '2. clv_p_alive',
     'SELECT sum(clv_p_alive(m.bg, frequency, recency, age)) FROM customers, models m'),
    (3, '3a. clv_predicted_value(12, 0.01, 30 days)',
     'SELECT sum(clv_predicted_value(m.bg, m.gg, frequency, recency, age, monetary, 12, 0.01, 30)) FROM customers, models m'),
    (4, '3b. clv_predicted_value(summary, 12, 0.01, ''30 days'')',
     'SELECT sum(clv_predicted_value(m.bg, m.gg, s, 12, 0.01, ''30 days'')) FROM customers, models m'),
    (5, '3c. clv_predicted_value(120, 0.01, 30 days)',
     'SELECT sum(clv_predicted_value(m.bg, m.gg, frequency, recency, age, monetary, 120, 0.01, 30)) FROM customers, models m'),
    (6, '4a. clv_decline(s)',
     'SELECT count(*) FILTER (WHERE (clv_decline(s)).declining) FROM customers'),
    (7, '4b. clv_decline(s, bgnbd)',
     'SELECT count(*) FILTER (WHERE (clv_decline(s, m.bg)).declining) FROM customers, models m'),
    (8, '4c. clv_decline(s, bgnbd, value)',
     'SELECT count(*) FILTER (WHERE (clv_decline(s, m.bg, (s).total_amount)).declining) FROM customers, models m');

-- the sums themselves, to compare builds
SELECT sum(clv_predicted_value(m.bg, m.gg, frequency, recency, age, monetary, 12, 0.01, 30)) AS "sum clv(12)",
       sum(clv_predicted_value(m.bg, m.gg, s, 12, 0.01, '30 days')) AS "sum clv(summary, 12)",
       count(*) FILTER (WHERE (clv_decline(s)).declining) AS "declining",
       count(*) FILTER (WHERE (clv_decline(s, m.bg, (s).total_amount)).declining) AS "declining (model)",
       sum(length((clv_decline(s, m.bg, (s).total_amount)).alert)) AS "alert chars"
FROM customers, models m;

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT ord, label,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms
FROM bench_runs JOIN bench_queries USING (label)
GROUP BY ord, label;

SELECT median_ms AS base_ms FROM bench_result WHERE ord = 1 \gset
SELECT label AS query,
       round(median_ms::numeric) AS "median ms",
       to_char(:n_customers / (median_ms / 1000) / 1e6, 'FM9990.00') AS "M customers/s",
       CASE WHEN ord > 1 AND median_ms > :base_ms
            THEN to_char(:n_customers / ((median_ms - :base_ms) / 1000) / 1e6, 'FM9990.00') END
           AS "M/s beyond scan",
       runs_ms AS "runs (ms)"
FROM bench_result ORDER BY ord;
