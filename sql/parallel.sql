-- Every aggregate gives the same result with parallel query forced, so that
-- the combine paths really run.  Rows are shuffled so that each customer's
-- orders are spread over the pages that different workers scan.
SET TimeZone = 'UTC';

CREATE TABLE par_orders AS
SELECT (i * 7919) % 5000 AS customer_id,
       '2023-01-01'::timestamptz + ((i * 104729) % 1000) * interval '1 day'
                                 + ((i * 13) % 86400) * interval '1 second' AS ordered_at,
       (((i * 31) % 200 - 12) + (i % 7) / 8.0)::float8 AS amount
FROM generate_series(1::bigint, 200000) i
ORDER BY md5(i::text);
ALTER TABLE par_orders SET (parallel_workers = 2);
ANALYZE par_orders;

-- serial reference
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_summaries AS
SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01', '7 days') AS s
FROM par_orders GROUP BY customer_id;
CREATE TABLE serial_date_summaries AS
SELECT customer_id, clv_summary(ordered_at::date, amount, date '2026-01-01') AS s
FROM par_orders GROUP BY customer_id;
ALTER TABLE serial_summaries SET (parallel_workers = 2);
ANALYZE serial_summaries;
CREATE TABLE serial_kpis AS
SELECT clv_business_kpis(s, '2025-01-01', 0.3) AS k FROM serial_summaries;
CREATE TABLE serial_segments AS
SELECT (SELECT clv_rfm_breakpoints(s) FROM serial_summaries) AS breakpoints,
       (SELECT clv_seasonality(ordered_at::date, amount) FROM par_orders) AS seasonality;

-- parallel, forced
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT set_config(CASE WHEN current_setting('server_version_num')::int >= 160000
                       THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END,
                  'on', false) AS parallel_forced;

-- grouped by customer: partial states per worker, combined in the leader
SELECT count(*) AS customers,
       count(*) FILTER (WHERE p.s IS DISTINCT FROM r.s) AS differences
FROM (SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01', '7 days') AS s
      FROM par_orders GROUP BY customer_id) p
FULL JOIN serial_summaries r USING (customer_id);

SELECT count(*) AS customers,
       count(*) FILTER (WHERE p.s IS DISTINCT FROM r.s) AS differences
FROM (SELECT customer_id, clv_summary(ordered_at::date, amount, date '2026-01-01') AS s
      FROM par_orders GROUP BY customer_id) p
FULL JOIN serial_date_summaries r USING (customer_id);

-- one group over all rows: every worker holds part of it
SELECT (SELECT clv_summary(ordered_at, amount, '2026-01-01') FROM par_orders)
     = (SELECT clv_summary(ordered_at, amount, '2026-01-01' ORDER BY ordered_at) FROM par_orders)
  AS single_group_same;

-- the business aggregate over summaries
SELECT (SELECT clv_business_kpis(s, '2025-01-01', 0.3) FROM serial_summaries)
       = (SELECT k FROM serial_kpis) AS business_same;

-- RFM breakpoints and the seasonal index: the same bits
SELECT (SELECT clv_rfm_breakpoints(s) FROM serial_summaries) = breakpoints AS rfm_same,
       (SELECT clv_seasonality(ordered_at::date, amount) FROM par_orders) = seasonality AS seasonality_same
FROM serial_segments;

-- a temporary segment map cannot be read by a parallel query: a clear error
CREATE TEMP TABLE temp_segments AS SELECT * FROM clv_rfm_standard_segments;
SELECT count(clv_rfm_segment((1 + customer_id % 5)::int, (1 + customer_id % 3)::int, (1 + customer_id % 4)::int, 'temp_segments'))
FROM par_orders;

RESET parallel_leader_participation;
DROP TABLE par_orders, serial_summaries, serial_date_summaries, serial_kpis, serial_segments;
