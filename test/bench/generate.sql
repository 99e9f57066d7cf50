-- Synthetic orders for the clv benchmark (test/bench/summary.sh).
--
-- psql variables: n_orders, n_customers, seed (a float8 in [-1, 1]).
--
--   * exactly n_orders rows over customers 1..n_customers, skewed: the
--     customer of an order is floor(n_customers * u^2) + 1, so customer 1
--     has about 0.41 * n_orders / sqrt(n_customers) orders (4,100 at 10
--     million orders) and the last ones about 5; the mean is
--     n_orders / n_customers (10 with test/bench/summary.sh);
--   * three years of timestamps, 2023-07-01 to 2026-06-30 (UTC); each
--     customer starts on its own day (a hash of its id, anywhere in the
--     first 90% of the period) and buys uniformly from then on, at any
--     second of the day, so customers with many orders or a short window
--     have several orders on the same day;
--   * amounts log-normal around 30 (rounded to cents), 3% of them negative
--     (refunds) and 0.2% exactly zero (a free order is still a purchase);
--   * rows inserted in ordered_at order, as an append-only orders table
--     grows; customers are scattered over the whole table.
SELECT setseed(:seed);

DROP TABLE IF EXISTS orders;
CREATE TABLE orders (customer_id bigint, ordered_at timestamptz, amount float8);

INSERT INTO orders (customer_id, ordered_at, amount)
SELECT customer_id,
       timestamptz '2023-07-01 00:00:00+00'
         + make_interval(days => start_day + floor(u_day * (1096 - start_day))::int,
                         secs => floor(u_sec * 86400)),
       CASE WHEN u_kind < 0.03 THEN -value
            WHEN u_kind < 0.032 THEN 0
            ELSE value END
FROM (
    SELECT customer_id,
           -- a per-customer start day in [0, 986], from a hash of the id
           floor(986 * ((hashint8(customer_id)::bigint + 2147483648) / 4294967296.0))::int AS start_day,
           u_day, u_sec, u_kind,
           -- log-normal amount (Box-Muller), median about 30, in cents
           round(100 * exp(3.4 + 0.8 * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2))) / 100 AS value
    FROM (
        SELECT 1 + floor(:n_customers * random() ^ 2)::bigint AS customer_id,
               random() AS u_day, random() AS u_sec, random() AS u_kind,
               random() AS u1, random() AS u2
        FROM generate_series(1, :n_orders)
    ) r
) o
ORDER BY 2;
