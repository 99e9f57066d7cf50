-- 3. The same summary in plain SQL, field for field what clv_summary gives
--    (test/bench/check_equivalence.sql checks that it is), written to be
--    fast: one sort by (customer, day) feeds the per-day GroupAggregate,
--    the WindowAggregate and the per-customer GroupAggregate; every sum and
--    average is over int4 or float8 (no numeric); the mean gap is
--    recency / frequency rather than an average of gaps.
--
-- Per day: a purchase day has at least one order (amount >= 0); a day with
-- only refunds is not one.  The day's value is its net amount.
-- Gap: days since the previous purchase day (refund-only days skipped).
SELECT customer_id,
       min(day) FILTER (WHERE n_orders > 0)                  AS first_order,
       max(day) FILTER (WHERE n_orders > 0)                  AS last_order,
       (timestamptz '2026-07-01')::date                      AS observation_end,
       sum(n_orders)                                         AS orders,
       sum(n_refunds)                                        AS refunds,
       count(*) FILTER (WHERE n_orders > 0)::int             AS purchase_days,
       sum(value)                                            AS total_amount,
       coalesce(-sum(refunded), 0)                           AS refunded_amount,
       sum(value) / nullif(sum(n_orders), 0)                 AS avg_order_value,
       nullif(count(*) FILTER (WHERE n_orders > 0), 0)::int - 1 AS frequency,
       (max(day) FILTER (WHERE n_orders > 0)
        - min(day) FILTER (WHERE n_orders > 0))::float8      AS recency,
       ((timestamptz '2026-07-01')::date
        - min(day) FILTER (WHERE n_orders > 0))::float8      AS age,
       CASE WHEN count(*) FILTER (WHERE n_orders > 0) > 0
            THEN coalesce(avg(value) FILTER (WHERE gap IS NOT NULL), 0)
       END                                                   AS monetary,
       (max(day) FILTER (WHERE n_orders > 0)
        - min(day) FILTER (WHERE n_orders > 0))::float8
         / nullif(count(*) FILTER (WHERE n_orders > 0) - 1, 0) AS mean_gap,
       stddev_samp(gap)                                      AS gap_stddev,
       interval '1 day'                                      AS time_unit
FROM (
    SELECT customer_id, day, n_orders, n_refunds, value, refunded,
           CASE WHEN n_orders > 0 THEN
               (day - max(day) FILTER (WHERE n_orders > 0)
                      OVER (PARTITION BY customer_id ORDER BY day
                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))::float8
           END AS gap
    FROM (
        SELECT customer_id, ordered_at::date AS day,
               count(*) FILTER (WHERE amount >= 0)::int AS n_orders,
               count(*) FILTER (WHERE amount < 0)::int  AS n_refunds,
               sum(amount)                              AS value,
               sum(amount) FILTER (WHERE amount < 0)    AS refunded
        FROM orders
        GROUP BY customer_id, ordered_at::date
    ) per_day
) per_day_with_gap
GROUP BY customer_id
