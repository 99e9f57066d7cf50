-- clv_summary agrees with a plain-SQL reference implementation of the same
-- definitions on random data: same-day orders, refunds before and after the
-- purchase they belong to, refund-only days, one customer with 10,000 orders
-- (its state grows far past the first allocation), a time zone with DST.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(18);
SET LOCAL TimeZone = 'America/New_York';
SELECT setseed(0.17);

-- the detail of the error a statement raises
CREATE FUNCTION pg_temp.error_detail(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN detail;
END $$;

CREATE TEMP TABLE orders AS
SELECT customer_id, ordered_at,
       CASE WHEN random() < 0.06 THEN -round((random() * 80)::numeric, 2)
            ELSE round((random() * 150)::numeric, 2) END AS amount
FROM (SELECT (random() * 1999)::int AS customer_id,
             '2023-01-01'::timestamptz + random() * interval '900 days' AS ordered_at
      FROM generate_series(1, 30000)
      UNION ALL
      SELECT 5000, '2023-01-01'::timestamptz + random() * interval '1000 days'
      FROM generate_series(1, 10000)
      UNION ALL   -- several orders on one day, for everyone
      SELECT (random() * 1999)::int, '2024-06-15 12:00'::timestamptz + random() * interval '10 hours'
      FROM generate_series(1, 3000)) r
ORDER BY random();

CREATE TEMP TABLE ours AS
SELECT customer_id, (clv_summary(ordered_at, amount::float8, '2026-01-01', '7 days')).*,
       clv_summary_log_gap_sum(clv_summary_state(ordered_at, amount::float8, '2026-01-01', '7 days',
                                                 'America/New_York')) AS log_gap_sum
FROM orders GROUP BY customer_id;

CREATE TEMP TABLE reference AS
WITH days AS (
    SELECT customer_id, ordered_at::date AS day,
           count(*) FILTER (WHERE amount >= 0) AS orders,
           count(*) FILTER (WHERE amount < 0) AS refunds,
           sum(amount) AS net,
           coalesce(sum(-amount) FILTER (WHERE amount < 0), 0) AS refunded
    FROM orders GROUP BY 1, 2),
purchases AS (
    SELECT customer_id, day, net,
           row_number() OVER w AS k,
           day - lag(day) OVER w AS gap
    FROM days WHERE orders > 0
    WINDOW w AS (PARTITION BY customer_id ORDER BY day)),
per_customer AS (
    SELECT customer_id, min(day) AS first_order, max(day) AS last_order,
           count(*)::int AS purchase_days, count(*)::int - 1 AS frequency,
           (max(day) - min(day)) / 7.0 AS recency,
           (date '2026-01-01' - min(day)) / 7.0 AS age,
           coalesce(sum(net) FILTER (WHERE k > 1) / nullif(count(*) - 1, 0), 0) AS monetary,
           avg(gap) / 7.0 AS mean_gap,
           stddev_samp(gap) / 7.0 AS gap_stddev,
           coalesce(sum(ln(gap / 7.0)), 0) AS log_gap_sum
    FROM purchases GROUP BY customer_id)
SELECT d.customer_id, p.first_order, p.last_order, sum(d.orders) AS orders, sum(d.refunds) AS refunds,
       coalesce(p.purchase_days, 0) AS purchase_days, sum(d.net) AS total_amount,
       sum(d.refunded) AS refunded_amount, sum(d.net) / nullif(sum(d.orders), 0) AS avg_order_value,
       p.frequency, p.recency, p.age, p.monetary, p.mean_gap, p.gap_stddev, p.log_gap_sum
FROM days d LEFT JOIN per_customer p USING (customer_id)
GROUP BY d.customer_id, p.first_order, p.last_order, p.purchase_days, p.frequency, p.recency,
         p.age, p.monetary, p.mean_gap, p.gap_stddev, p.log_gap_sum;

CREATE FUNCTION pg_temp.close(a float8, b numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS
$$ SELECT (a IS NULL AND b IS NULL) OR abs(a - b::float8) <= 1e-9 * greatest(1, abs(b::float8)) $$;

SELECT is((SELECT count(*) FROM ours), (SELECT count(*) FROM reference), 'one summary per customer');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE o.first_order IS DISTINCT FROM r.first_order OR o.last_order IS DISTINCT FROM r.last_order
              OR o.orders <> r.orders OR o.refunds <> r.refunds OR o.purchase_days <> r.purchase_days
              OR o.frequency IS DISTINCT FROM r.frequency),
          0::bigint, 'dates and counts match the reference');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE NOT pg_temp.close(o.total_amount, r.total_amount)
              OR NOT pg_temp.close(o.refunded_amount, r.refunded_amount)
              OR NOT pg_temp.close(o.avg_order_value, r.avg_order_value)),
          0::bigint, 'totals, refunds and average order value match the reference');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE NOT pg_temp.close(o.recency, r.recency) OR NOT pg_temp.close(o.age, r.age)),
          0::bigint, 'recency and age (in weeks) match the reference');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE NOT pg_temp.close(o.monetary, r.monetary)),
          0::bigint, 'monetary (mean net value of repeat purchase days) matches the reference');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE NOT pg_temp.close(o.mean_gap, r.mean_gap) OR NOT pg_temp.close(o.gap_stddev, r.gap_stddev)),
          0::bigint, 'mean and spread of purchase gaps match the reference');
SELECT is((SELECT count(*) FROM ours o JOIN reference r USING (customer_id)
           WHERE NOT pg_temp.close(o.log_gap_sum, r.log_gap_sum)),
          0::bigint, 'the log gaps of a state (in weeks, calendar days of the zone given) match the reference; NULL without a purchase day');
SELECT is((SELECT array_agg(clv_summary_log_gap_sum(st) ORDER BY n)
           FROM (SELECT n, clv_summary_state(date '2025-03-01', amount, date '2025-12-31') AS st
                   FROM (VALUES (1, 10), (2, -10)) v(n, amount) GROUP BY n) s),
          ARRAY[0, NULL]::float8[], 'one purchase day: 0; a refund alone: NULL');
SELECT ok((SELECT purchase_days > 900 AND refunds > 100 FROM ours WHERE customer_id = 5000),
          'the heavy customer has hundreds of purchase days and refunds');
-- a state moved back in time is refused, its new end named in the detail
-- (formatted only when the error is raised: a refresh advances every
-- customer's state); TimeZone is America/New_York here
SELECT throws_ok($$SELECT clv_summary_advance(clv_summary_state(timestamptz '2025-03-01 12:00+00', 10,
                                                                timestamptz '2025-12-31 00:00+00'),
                                              timestamptz '2025-06-01 00:00+00')$$,
                 '22023', 'a summary state can only be advanced to a later observation_end',
                 'a timestamptz state moved back: refused');
SELECT is((SELECT pg_temp.error_detail($$SELECT clv_summary_advance(clv_summary_state(timestamptz '2025-03-01 12:00+00', 10,
                                                                                      timestamptz '2025-12-31 00:00+00'),
                                                                    timestamptz '2025-06-01 00:00+00')$$)),
          'The state is observed up to the day 2025-12-30; the new end 2025-05-31 20:00:00-04 falls on 2025-05-31.',
          'the timestamptz end in the detail, in the session''s zone, with its day');
SELECT is((SELECT pg_temp.error_detail($$SELECT clv_summary_advance(clv_summary_state(date '2025-03-01', 10, date '2025-12-31'),
                                                                    date '2025-06-01')$$)),
          'The state is observed up to the day 2025-12-31; the new end 2025-06-01 falls on 2025-06-01.',
          'a date state moved back: refused, the dates in the detail');

-- a state, moved on to the end of the state of the same orders at a later
-- end, is that state (how a full pipeline refresh keeps the stored states of
-- the customers whose orders did not change); never the other way round,
-- nor with one order less, nor for a stored state whose end day was
-- corrupted to before its purchases (false, not an error: the refresh then
-- writes the new state); the later state is checked
CREATE TEMP TABLE two_ends AS
SELECT customer_id,
       clv_summary_state(ordered_at, amount::float8, '2026-01-01', '1 day', 'America/New_York') AS earlier,
       clv_summary_state(ordered_at, amount::float8, '2026-03-01', '1 day', 'America/New_York') AS later,
       clv_summary_state(ordered_at, amount::float8, '2026-03-01', '1 day', 'America/New_York')
           FILTER (WHERE ordered_at < last_ordered_at) AS one_order_less
FROM (SELECT o.*, max(o.ordered_at) OVER (PARTITION BY o.customer_id) AS last_ordered_at FROM orders o) o
GROUP BY customer_id;
SELECT is((SELECT ARRAY[count(*), count(*) FILTER (WHERE clv_summary_advances_to(earlier, later)),
                        count(*) FILTER (WHERE clv_summary_advances_to(later, later)),
                        count(*) FILTER (WHERE clv_summary_advances_to(later, earlier))]
           FROM two_ends),
          (SELECT ARRAY[count(*), count(*), count(*), 0] FROM two_ends),
          'a state moved on to a later state''s end of the same orders is it; a later state moved back is not');
SELECT is((SELECT count(*) FILTER (WHERE clv_summary_advances_to(one_order_less, later)) FROM two_ends),
          0::bigint, 'with one order less: not the later state');
SELECT is((SELECT count(*) FILTER (WHERE clv_summary_advances_to(earlier[1:6] || 0::bigint || earlier[8:], later))
           FROM two_ends),
          0::bigint, 'a stored state whose end day is before its days: false, not an error');
SELECT throws_ok($$SELECT clv_summary_advances_to(earlier, later[1:6] || 0::bigint || later[8:]) FROM two_ends$$,
                 '22023', 'invalid clv_summary state', 'the later state is checked');
SELECT is((SELECT ARRAY[clv_summary_advances_to(clv_summary_state(d, 10, date '2025-12-31'), clv_summary_state(d, 10, date '2026-01-31')),
                        clv_summary_advances_to(clv_summary_state(d, 10, date '2026-01-31'), clv_summary_state(d, 10, date '2025-12-31'))]
           FROM (VALUES (date '2025-03-01'), (date '2025-05-01')) v(d)),
          ARRAY[true, false], 'the states of order dates: moved on, and not back');
SELECT is((SELECT ARRAY[clv_summary_advances_to(clv_summary_state(t, 10, timestamptz '2026-01-31 10:00+00', '1 day', 'UTC'),
                                                clv_summary_state(t, 10, timestamptz '2026-01-31 20:00+00', '1 day', 'UTC')),
                        clv_summary_advances_to(clv_summary_state(t, 10, timestamptz '2026-01-31 20:00+00', '1 day', 'UTC'),
                                                clv_summary_state(t, 10, timestamptz '2026-01-31 10:00+00', '1 day', 'UTC'))]
           FROM (VALUES (timestamptz '2025-03-01 12:00+00'), (timestamptz '2025-05-01 12:00+00')) v(t)),
          ARRAY[true, false], 'an end moved on within its day, and not back (the end itself, not only its day)');

SELECT * FROM finish();
ROLLBACK;
