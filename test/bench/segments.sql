-- The segmentation benchmark (test/bench/segments.sh): generates raw
-- orders and one clv_summary per customer, then times RFM breakpoints, RFM
-- scores and segments, decline verdicts and the seasonality index in this
-- one session, each against a plain-SQL equivalent or the cheapest scan of
-- the same rows, and prints the results table.
--
-- psql variables: n_customers, seed (a float8 in [-1, 1]), runs (timed
-- rounds after one warm-up round).  Run from the repository root in a
-- database with the clv and pg_prewarm extensions; test/bench/segments.sh sets
-- everything up.
--
-- The data (setup, not timed):
--   * orders(customer_id, order_date, amount) over three years,
--     2023-07-01 to 2026-06-30; each customer starts on a uniform day in
--     the first 90% of the period and stays active for an exponential
--     lifetime (mean 500 days, cut at the end of the period), with
--     1 + floor(30 u^2) orders (1 to 30, a mean of about 10.5, 18% one-time
--     buyers) uniform over that window, so that some customers are still
--     buying and others went quiet long ago; several orders can fall on one
--     day;
--   * amounts log-normal around 30 (rounded to cents) times a seasonal
--     factor 1 + 0.3 cos(2 pi (month - 12) / 12) (December high, June low);
--     3% of the rows are refunds (negative);
--   * customers(customer_id, s clv_summary): clv_summary(order_date,
--     amount, '2026-06-30') per customer, time in days.
--
-- Each timed run is EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) of the bare
-- query and its "Execution Time", as in models.sql: the executor computes
-- every value, nothing is sent to the client.  Rounds are interleaved (every
-- query once, then again); round 0 is a warm-up; the median is reported.
-- Per-row functions are consumed by an aggregate that needs their result
-- (count of a field of the composite, or a FILTER on it), so the planner
-- cannot drop them.

\o /dev/null
SELECT setseed(:seed);
\o
DROP TABLE IF EXISTS orders, customers, models, rfm_bp;
CREATE TABLE orders (customer_id int, order_date date, amount float8);

SELECT clock_timestamp() AS gen_start \gset
INSERT INTO orders (customer_id, order_date, amount)
SELECT customer_id, day,
       round(100 * value * (1 + 0.3 * cos(2 * pi() * (extract(month FROM day) - 12) / 12))) / 100
         * CASE WHEN u_kind < 0.03 THEN -1 ELSE 1 END
FROM (
    SELECT c.customer_id,
           date '2023-07-01' + (c.start_day + floor(random() * (c.span + 1)))::int AS day,
           exp(3.4 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS value,
           random() AS u_kind
    FROM (
        SELECT customer_id, start_day,
               least(floor(-500 * ln(1 - random())), 1095 - start_day)::int AS span,
               1 + floor(30 * random() ^ 2)::int AS n
        FROM (
            SELECT customer_id, floor(986 * random())::int AS start_day
            FROM generate_series(1, :n_customers) AS customer_id
        ) s OFFSET 0
    ) c CROSS JOIN LATERAL generate_series(1, c.n) AS k
    OFFSET 0
) o;
VACUUM ANALYZE orders;

SET work_mem = '1GB';
CREATE TABLE customers AS
SELECT customer_id, clv_summary(order_date, amount, date '2026-06-30') AS s
FROM orders GROUP BY customer_id;
RESET work_mem;
VACUUM ANALYZE customers;
SELECT round(extract(epoch FROM clock_timestamp() - :'gen_start'::timestamptz)::numeric, 1) AS gen_s \gset
\o /dev/null
SELECT pg_prewarm('orders'), pg_prewarm('customers');
\o
\echo 'generated' :n_customers 'customers, their orders and summaries in' :gen_s 's'

\pset footer off
SELECT (SELECT count(*) FROM customers) AS customers,
       (SELECT count(*) FROM orders) AS "order rows",
       round(avg((s).orders), 2) AS "mean orders",
       round(100.0 * count(*) FILTER (WHERE (s).frequency = 0) / count(*), 1) AS "one purchase day %",
       round(avg((s).observation_end - (s).last_order)) AS "mean days silent",
       round(avg((s).total_amount)::numeric, 2) AS "mean net revenue",
       pg_size_pretty(pg_table_size('orders')) AS "orders size",
       pg_size_pretty(pg_table_size('customers')) AS "customers size"
FROM customers;

-- Fitted once, used by the scoring queries: one-row tables joined to
-- customers, as a user would write it.  The fit has the penalizer its
-- error hint suggests (0.001): these customers buy uniformly over a
-- lifetime window rather than dropping out after each purchase with a
-- Beta-distributed probability, and without it the fit does not converge
-- (a and b run off to 1e8-1e9, a point mass for the dropout probability).
SELECT clock_timestamp() AS fit_start \gset
CREATE TABLE models AS SELECT clv_fit_bgnbd(s, 0.001) AS bg FROM customers;
SELECT round(extract(epoch FROM clock_timestamp() - :'fit_start'::timestamptz)::numeric, 1) AS fit_s \gset
CREATE TABLE rfm_bp AS SELECT clv_rfm_breakpoints(s) AS bp FROM customers;
ANALYZE models, rfm_bp;
SELECT format('r=%s alpha=%s a=%s b=%s', round((j ->> 'r')::numeric, 4), round((j ->> 'alpha')::numeric, 4),
              round((j ->> 'a')::numeric, 4), round((j ->> 'b')::numeric, 4)) AS "BG/NBD (days, penalizer 0.001)",
       j ->> 'customers' AS customers, j ->> 'iterations' AS iterations, j ->> 'converged' AS converged,
       :fit_s AS "fit s (setup)"
FROM (SELECT clv_model_params(bg) AS j FROM models) q;
SELECT bp AS "clv_rfm_breakpoints(s): recency_days; orders; net revenue" FROM rfm_bp;

-- The plain-SQL equivalents.
CREATE TEMP TABLE plain (name text PRIMARY KEY, query text);
INSERT INTO plain VALUES
    ('breakpoints', $q$
SELECT ARRAY[percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY (s).observation_end - (s).last_order),
             percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY (s).orders),
             percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY (s).total_amount)]
FROM customers WHERE (s).last_order IS NOT NULL$q$),
    -- scores: 1 + the breakpoints strictly below the value (recency counts
    -- down), as CASE expressions; the segment: the first row of the map, by
    -- priority, whose ranges (NULL: no bound) hold the scores.  Written to
    -- be fast: OFFSET 0 keeps the measures and the scores computed once per
    -- row and the lookup's parameters three small integers.  Flattened (the
    -- scores in the LATERAL subquery), the planner substitutes the whole
    -- expressions into the lookup and memoizes it keyed by the summary: a
    -- miss for every customer, a 300 MB cache at 20,000 customers and about
    -- 12 times slower.
    ('rfm_from', $q$
FROM (
    SELECT s, bp,
           CASE WHEN rd <= bp[1][1] THEN 5 WHEN rd <= bp[1][2] THEN 4 WHEN rd <= bp[1][3] THEN 3
                WHEN rd <= bp[1][4] THEN 2 ELSE 1 END AS r,
           CASE WHEN fq <= bp[2][1] THEN 1 WHEN fq <= bp[2][2] THEN 2 WHEN fq <= bp[2][3] THEN 3
                WHEN fq <= bp[2][4] THEN 4 ELSE 5 END AS f,
           CASE WHEN mn <= bp[3][1] THEN 1 WHEN mn <= bp[3][2] THEN 2 WHEN mn <= bp[3][3] THEN 3
                WHEN mn <= bp[3][4] THEN 4 ELSE 5 END AS m
    FROM (SELECT c.s, b.bp, ((c.s).observation_end - (c.s).last_order)::float8 AS rd,
                 (c.s).orders::float8 AS fq, (c.s).total_amount AS mn
          FROM customers c CROSS JOIN rfm_bp b
          WHERE (c.s).last_order IS NOT NULL OFFSET 0) v
    OFFSET 0
) sc
CROSS JOIN LATERAL (
    SELECT g.segment FROM clv_rfm_standard_segments g
    WHERE sc.r BETWEEN coalesce(g.recency_min, sc.r) AND coalesce(g.recency_max, sc.r)
      AND sc.f BETWEEN coalesce(g.frequency_min, sc.f) AND coalesce(g.frequency_max, sc.f)
      AND sc.m BETWEEN coalesce(g.monetary_min, sc.m) AND coalesce(g.monetary_max, sc.m)
    ORDER BY g.priority LIMIT 1
) seg$q$);
SELECT query AS plain_breakpoints FROM plain WHERE name = 'breakpoints' \gset
SELECT query AS plain_rfm_from FROM plain WHERE name = 'rfm_from' \gset

-- The plain SQL must give what clv gives (not timed).
\echo
\echo 'checks (plain SQL against clv):'
SELECT (SELECT bp FROM rfm_bp) = (:plain_breakpoints) AS "breakpoints equal",
       (SELECT max(abs(x - y)) FROM unnest((SELECT bp FROM rfm_bp), (:plain_breakpoints)) AS u(x, y))
           AS "max abs difference";
SELECT count(*) AS "customers scored",
       count(*) FILTER (WHERE (clv_rfm(sc.s, sc.bp)).rfm_cell <> 100 * sc.r + 10 * sc.f + sc.m)
           AS "rfm_cell differs",
       count(*) FILTER (WHERE (clv_rfm(sc.s, sc.bp)).segment IS DISTINCT FROM seg.segment)
           AS "segment differs"
:plain_rfm_from;

\echo
SELECT (r).segment, count(*) AS customers, round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%",
       round(avg((r).recency_days)) AS "mean days silent", round(avg((r).frequency)::numeric, 1) AS "mean orders"
FROM (SELECT clv_rfm(c.s, b.bp) AS r FROM customers c, rfm_bp b OFFSET 0) q
GROUP BY 1 ORDER BY 2 DESC;
SELECT count(*) FILTER (WHERE (d).declining) AS "declining (summary only)",
       count(*) FILTER (WHERE 'gone_quiet' = ANY ((d).reasons)) AS gone_quiet,
       count(*) FILTER (WHERE (dm).declining) AS "declining (with BG/NBD)",
       count(*) FILTER (WHERE 'p_alive_low' = ANY ((dm).reasons)) AS p_alive_low,
       round(avg((dm).p_alive)::numeric, 3) AS "mean P(alive)",
       round(sum((dm).value_at_risk)::numeric) AS "value at risk"
FROM (SELECT clv_decline(c.s) AS d, clv_decline(c.s, m.bg, (c.s).total_amount) AS dm
      FROM customers c, models m OFFSET 0) q;
SELECT array(SELECT round(x::numeric, 3) FROM unnest(clv_seasonality(order_date, amount)) x)
           AS "clv_seasonality (Jan..Dec)"
FROM orders;

\ir bench_runs.psql

-- tbl: the table whose rows are processed (for rows and rows/s)
CREATE TEMP TABLE bench_queries (ord int PRIMARY KEY, label text UNIQUE, tbl text, query text);
INSERT INTO bench_queries VALUES
    (1, 'scan customers', 'customers',
     'SELECT count(*) FROM customers WHERE (s).orders > -1'),
    (2, 'clv_rfm_breakpoints(s)', 'customers',
     'SELECT clv_rfm_breakpoints(s) FROM customers'),
    (3, 'plain SQL: 3 x percentile_cont', 'customers',
     :'plain_breakpoints'),
    (4, 'clv_rfm(s, bp)', 'customers',
     'SELECT count((clv_rfm(c.s, b.bp)).segment) FROM customers c, rfm_bp b'),
    (5, 'plain SQL: CASE + LATERAL segment', 'customers',
     'SELECT count(seg.segment) ' || :'plain_rfm_from'),
    (6, 'clv_decline(s)', 'customers',
     'SELECT count(*) FILTER (WHERE (clv_decline(s)).declining) FROM customers'),
    (7, 'clv_decline(s, bgnbd, value)', 'customers',
     'SELECT count(*) FILTER (WHERE (clv_decline(c.s, m.bg, (c.s).total_amount)).declining) FROM customers c, models m'),
    (8, 'scan orders', 'orders',
     'SELECT count(*) FROM orders WHERE amount > -1e300'),
    (9, 'clv_seasonality(date, amount)', 'orders',
     'SELECT clv_seasonality(order_date, amount) FROM orders'),
    (10, 'plain SQL: date_trunc month, sum', 'orders',
     'SELECT date_trunc(''month'', order_date), sum(amount) FROM orders GROUP BY 1');

-- what each is compared with
CREATE TEMP TABLE bench_pairs (ord int, query int, baseline int);
INSERT INTO bench_pairs VALUES
    (1, 2, 3), (2, 4, 1), (3, 4, 5), (4, 6, 1), (5, 7, 1), (6, 9, 10),
    -- the plain-SQL baselines against the cheapest scan
    (7, 3, 1), (8, 5, 1), (9, 10, 8),
    (10, 1, NULL), (11, 8, NULL);

\ir bench_rounds.psql

CREATE TEMP TABLE bench_result AS
SELECT q.ord, q.label, q.tbl,
       CASE q.tbl WHEN 'orders' THEN (SELECT count(*) FROM orders)
                  ELSE (SELECT count(*) FROM customers) END AS n_rows,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms,
       string_agg(DISTINCT jit, ',') AS jit
FROM bench_runs JOIN bench_queries q USING (label)
GROUP BY q.ord, q.label, q.tbl;

\echo
\echo 'median of' :runs 'runs (ms; EXPLAIN ANALYZE Execution Time), single core; ratio = ms / baseline ms'
SELECT q.label AS operation,
       coalesce(b.label, '') AS baseline,
       q.n_rows AS rows,
       round(q.median_ms::numeric) AS ms,
       round(b.median_ms::numeric) AS "baseline ms",
       round((q.median_ms / b.median_ms)::numeric, 2) AS ratio,
       to_char(q.n_rows / (q.median_ms / 1000), 'FM999,999,999,990') AS "rows/s",
       q.runs_ms AS "runs (ms)", q.warmup_ms AS "warm-up", q.jit
FROM bench_pairs p JOIN bench_result q ON q.ord = p.query
LEFT JOIN bench_result b ON b.ord = p.baseline
ORDER BY p.ord;
