-- The pipeline refresh benchmark (scripts/bench_pipeline.sh): generates
-- raw orders over the three years up to now(), creates the refreshable
-- pipeline (clv_create_pipeline, as_of NULL) and times
-- clv_refresh_pipeline incremental against full, per step, in this one
-- session; checks once that an incremental refresh keeps the summary
-- states a full refresh makes; prints the results table.
--
-- psql variables: n_customers, seed (a float8 in [-1, 1]), runs (timed
-- rounds after one warm-up round).  Run from the repository root in a
-- database with the clv and pg_prewarm extensions; bench_pipeline.sh sets
-- everything up.
--
-- The data (setup, not timed):
--   * orders(customer_id int, ordered_at timestamptz, amount float8) over
--     the 1095 days up to now(), drawn as in segments.sql: each customer
--     starts at a uniform moment in the first 90% of the period and stays
--     active for an exponential lifetime (mean 500 days, cut at now()), with
--     1 + floor(30 u^2) orders (1 to 30, a mean of about 10.5) at uniform
--     moments over that window; amounts log-normal around 30 times a
--     seasonal factor (December high, June low), 3% refunds (negative);
--     inserted in customer order, with an index on ordered_at (what a
--     table that is refreshed incrementally would have);
--   * a day's new orders before every refresh pair: n_customers / 200
--     random customer ids (5,000 at a million) drawn from 1 to 1.01
--     n_customers (so about 1% are new customers), 1 to 3 orders each,
--     dated at clock_timestamp() minus up to a minute but strictly after
--     the last refresh's observation end (clv_pipeline.observed_until,
--     that refresh's now()), inserted and committed in their own
--     transaction just before the refresh.
--
-- Each round: a day's new orders, then
--   1. clv_refresh_pipeline('clv_report', incremental => true)
-- another day's new orders, then
--   2. clv_refresh_pipeline('clv_report')            (full)
-- both concurrent (the default), each in its own transaction (the refresh's
-- now() is the new observation end).  A day's orders before each refresh,
-- not one per round: REFRESH ... CONCURRENTLY writes only the rows that
-- changed, and a full refresh right after an incremental one, with no new
-- orders, would find the same models and nearly nothing to write.  The total is clock_timestamp() around
-- the call; the steps are the milliseconds that clv_refresh_pipeline
-- reports per line (summary_state, then each view it refreshes).  Round 0 is
-- a warm-up; the median of the other rounds is reported.  Then once each,
-- not concurrent: after a day's orders, an incremental refresh and a full
-- one (a refresh that is not concurrent rewrites every row anyway).
--
-- The check (not timed): the summary states after that incremental refresh
-- and after the full one that follows, both moved to the same later end
-- (clv_summary_final(clv_summary_advance(state, now() + 7 days))), must be
-- equal.

\o /dev/null
SELECT setseed(:seed);
\o
DROP TABLE IF EXISTS orders;
CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount float8);

SELECT clock_timestamp() AS gen_start \gset
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT customer_id, at,
       round(100 * value * (1 + 0.3 * cos(2 * pi() * (extract(month FROM at) - 12) / 12))) / 100
         * CASE WHEN u_kind < 0.03 THEN -1 ELSE 1 END
FROM (
    SELECT c.customer_id,
           now() - interval '1095 days' + (c.start_day + random() * c.span) * interval '1 day' AS at,
           exp(3.4 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS value,
           random() AS u_kind
    FROM (
        SELECT customer_id, start_day,
               least(-500 * ln(1 - random()), 1095 - start_day) AS span,
               1 + floor(30 * random() ^ 2)::int AS n
        FROM (
            SELECT customer_id, 985.5 * random() AS start_day
            FROM generate_series(1, :n_customers) AS customer_id
        ) s OFFSET 0
    ) c CROSS JOIN LATERAL generate_series(1, c.n) AS k
    OFFSET 0
) o;
CREATE INDEX ON orders (ordered_at);
VACUUM ANALYZE orders;
SELECT round(extract(epoch FROM clock_timestamp() - :'gen_start'::timestamptz)::numeric, 1) AS gen_s \gset
\o /dev/null
SELECT pg_prewarm('orders');
\o
\echo 'generated' :n_customers 'customers and their orders in' :gen_s 's'

SELECT clock_timestamp() AS create_start \gset
\o /dev/null
SELECT clv_create_pipeline('orders', 'customer_id', 'ordered_at', 'amount');
\o
SELECT round(extract(epoch FROM clock_timestamp() - :'create_start'::timestamptz)::numeric, 1) AS create_s \gset
\echo 'clv_create_pipeline(''orders'', ''customer_id'', ''ordered_at'', ''amount'') in' :create_s 's (setup; views:'
SELECT array_to_string(objects, ', ') || ')' AS objects FROM clv_report.clv_pipeline \gset
\echo '   ' :objects

\pset footer off
SELECT (SELECT count(*) FROM clv_report.customer_summary) AS customers,
       (SELECT count(*) FROM orders) AS "order rows",
       (SELECT min(ordered_at)::date || ' .. ' || max(ordered_at)::date FROM orders) AS "ordered",
       pg_size_pretty(pg_table_size('orders')) AS "orders size",
       pg_size_pretty(pg_table_size('clv_report.summary_state')) AS "summary_state size",
       pg_size_pretty(pg_table_size('clv_report.customer_summary')) AS "customer_summary size",
       pg_size_pretty(pg_table_size('clv_report.customer_scores')) AS "customer_scores size",
       current_setting('TimeZone') AS "TimeZone";


-- A day's new orders (n_day customers), dated after the last refresh's
-- observation end and committed before the next refresh.
CREATE TEMP TABLE batches (batch serial PRIMARY KEY, customers int, orders int, new_customers int,
                           after timestamptz, first_at timestamptz, last_at timestamptz);
CREATE FUNCTION pg_temp.new_orders(n_customers int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    since timestamptz := (SELECT observed_until FROM clv_report.clv_pipeline);
    n_day int := greatest(1, n_customers / 200);
    n_max int := (SELECT max(customer_id) FROM clv_report.summary_state);
BEGIN
    -- 1 to 3 orders per customer (the lateral reference makes the count
    -- random per customer)
    CREATE TEMP TABLE day ON COMMIT DROP AS
    SELECT c.customer_id, clock_timestamp() AS at,
           exp(3.4 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS value,
           random() AS u_kind
    FROM (SELECT DISTINCT 1 + floor(random() * 1.01 * n_customers)::int AS customer_id
          FROM generate_series(1, n_day)) c
    CROSS JOIN LATERAL generate_series(1, 1 + floor(3 * random())::int + 0 * c.customer_id);
    -- at most a minute back, and (random() < 1) strictly after since
    UPDATE day SET at = at - random() * least(interval '1 minute', at - since);
    IF (SELECT min(at) FROM day) <= since THEN
        RAISE EXCEPTION 'bench: a new order is not dated after the last refresh (%)', since;
    END IF;
    INSERT INTO orders (customer_id, ordered_at, amount)
    SELECT customer_id, at,
           round(100 * value * (1 + 0.3 * cos(2 * pi() * (extract(month FROM at) - 12) / 12))) / 100
             * CASE WHEN u_kind < 0.03 THEN -1 ELSE 1 END
    FROM day ORDER BY at;
    INSERT INTO batches (customers, orders, new_customers, after, first_at, last_at)
    SELECT count(DISTINCT customer_id), count(*), count(DISTINCT customer_id) FILTER (WHERE customer_id > n_max),
           since, min(at), max(at)
    FROM day;
END $$;

-- One refresh in its own transaction, timed: the total (clock_timestamp()
-- around the call) and the ms of each line it returns.
CREATE TEMP TABLE pipe_runs (mode text, round int, batch int, step text, ord int, ms float8, line text);
CREATE FUNCTION pg_temp.timed_refresh(mode text, round int, p_incremental boolean, p_concurrent boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    total float8;
    lines text[];
    b int := (SELECT max(batch) FROM batches);
BEGIN
    t0 := clock_timestamp();
    lines := ARRAY(SELECT clv_refresh_pipeline('clv_report', concurrent => p_concurrent,
                                               incremental => p_incremental));
    total := 1000 * extract(epoch FROM clock_timestamp() - t0);
    IF EXISTS (SELECT FROM unnest(lines) l WHERE substring(l FROM ' in ([0-9.]+) ms$') IS NULL
                                              OR substring(l FROM '^clv_report\.([a-z_]+)') IS NULL) THEN
        RAISE EXCEPTION 'bench: cannot read the lines of clv_refresh_pipeline: %', lines;
    END IF;
    INSERT INTO pipe_runs
    SELECT mode, round, b, substring(l FROM '^clv_report\.([a-z_]+)'), o,
           substring(l FROM ' in ([0-9.]+) ms$')::float8, l
    FROM unnest(lines) WITH ORDINALITY AS u(l, o);
    INSERT INTO pipe_runs VALUES (mode, round, b, 'total', 1000, total, NULL);
END $$;

-- Round 0 is the warm-up, not counted.
\o /dev/null
SELECT stmt
FROM generate_series(0, :runs) AS r,
     LATERAL (VALUES (1, format('SELECT pg_temp.new_orders(%s)', :n_customers)),
                     (2, format('SELECT pg_temp.timed_refresh(%L, %s, true, true)', 'incremental', r)),
                     (3, format('SELECT pg_temp.new_orders(%s)', :n_customers)),
                     (4, format('SELECT pg_temp.timed_refresh(%L, %s, false, true)', 'full', r))) AS v(k, stmt)
ORDER BY r, k
\gexec
\o

-- Once each, not concurrent; before them, what the incremental refresh
-- reads of orders (the query clv_pipeline_summarise runs, over the day's
-- new orders)
\o /dev/null
SELECT pg_temp.new_orders(:n_customers);
\o
SELECT observed_until AS since, now() AS until FROM clv_report.clv_pipeline \gset
\echo
\echo 'the incremental summarise step''s query, planned (EXPLAIN, one day''s orders):'
EXPLAIN (COSTS OFF)
SELECT customer_id, clv_summary_state(ordered_at::timestamptz, amount::float8, :'until'::timestamptz)
FROM orders
WHERE customer_id IS NOT NULL AND ordered_at::timestamptz > :'since'::timestamptz
  AND ordered_at::timestamptz <= :'until'::timestamptz
GROUP BY customer_id;
SELECT now() + interval '7 days' AS check_end \gset
\o /dev/null
SELECT pg_temp.timed_refresh('incremental, not concurrent', 1, true, false);
\o
CREATE TEMP TABLE incremental_states AS
SELECT customer_id, clv_summary_final(clv_summary_advance(state, :'check_end')) AS s
FROM clv_report.summary_state;
\o /dev/null
SELECT pg_temp.timed_refresh('full, not concurrent', 1, false, false);
\o
\echo
\echo 'check: the summary states after the incremental refresh against those after the full one, both clv_summary_final(clv_summary_advance(state, now() + 7 days)):'
SELECT count(*) AS customers,
       count(*) FILTER (WHERE i.customer_id IS NULL) AS "only after full",
       count(*) FILTER (WHERE f.customer_id IS NULL) AS "only after incremental",
       count(*) FILTER (WHERE i.s IS DISTINCT FROM f.s) AS differences,
       (SELECT count(*) FROM orders) AS "order rows now"
FROM incremental_states i
FULL JOIN (SELECT customer_id, clv_summary_final(clv_summary_advance(state, :'check_end')) AS s
           FROM clv_report.summary_state) f USING (customer_id);

-- Each incremental refresh must report the customers of its day's orders,
-- and each full one every customer.
\echo
SELECT count(*) AS "new-order days", round(avg(customers)) AS "customers per day",
       round(avg(orders)) AS "orders per day", round(avg(new_customers)) AS "new customers per day",
       round(avg(extract(epoch FROM last_at - first_at))) AS "s from first to last order",
       (SELECT count(*) FROM pipe_runs r JOIN batches b USING (batch)
        WHERE r.mode LIKE '%incremental%' AND r.step = 'summary_state'
          AND substring(r.line FROM ': ([0-9]+) customers')::int <> b.customers)
           AS "incremental refreshes reporting other counts"
FROM batches;

CREATE TEMP TABLE pipe_result AS
SELECT mode, step, min(ord) AS ord,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE round > 0) AS median_ms,
       string_agg(round(ms)::text, ' ' ORDER BY round) FILTER (WHERE round > 0) AS runs_ms,
       round(min(ms) FILTER (WHERE round = 0)) AS warmup_ms
FROM pipe_runs
GROUP BY mode, step;

\echo
\echo 'median of' :runs 'rounds (ms), single core; steps as clv_refresh_pipeline reports them, total = clock_timestamp() around the call; ratio = full / incremental'
SELECT f.step,
       round(i.median_ms::numeric) AS "incremental ms",
       round(f.median_ms::numeric) AS "full ms",
       round((f.median_ms / nullif(i.median_ms, 0))::numeric, 2) AS "ratio",
       round((100 * i.median_ms / it.median_ms)::numeric, 1) AS "% of incr.",
       round((100 * f.median_ms / ft.median_ms)::numeric, 1) AS "% of full",
       round(inc.median_ms::numeric) AS "incr. not conc. (1 run)",
       round(fnc.median_ms::numeric) AS "full not conc. (1 run)",
       i.runs_ms AS "incremental runs", f.runs_ms AS "full runs",
       i.warmup_ms || ' / ' || f.warmup_ms AS "warm-up incr. / full"
FROM pipe_result f
JOIN pipe_result i ON i.mode = 'incremental' AND i.step = f.step
JOIN pipe_result it ON it.mode = 'incremental' AND it.step = 'total'
JOIN pipe_result ft ON ft.mode = 'full' AND ft.step = 'total'
LEFT JOIN pipe_result inc ON inc.mode = 'incremental, not concurrent' AND inc.step = f.step
LEFT JOIN pipe_result fnc ON fnc.mode = 'full, not concurrent' AND fnc.step = f.step
WHERE f.mode = 'full'
ORDER BY f.ord;
