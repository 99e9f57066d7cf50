-- The orders of the scale benchmark (test/bench/scale.sh): exactly
-- :n_orders rows over the 1095 days up to 2026-06-30, inserted in the
-- transaction that creates the table (with wal_level=minimal: no WAL).
--
-- Each row picks its customer as 1 + floor(n_customers u^2): customer c's
-- share of the orders falls as 1/sqrt(c), so the mean is n_orders /
-- n_customers but customer 1 has about n_orders / sqrt(n_customers) orders
-- (31,623 at 100 million orders of 10 million customers) and the highest ids
-- about half the mean; a few of them have none, so the customers counted
-- are slightly fewer than asked.  A customer's orders are spread through the
-- table, not stored together, as orders arriving over time would be.  Its
-- active window is fixed by its id (a multiplicative hash): it starts at a
-- uniform day in the first 90% of the period and lasts an exponential time
-- (mean 500 days, cut at the end); each order is at a uniform moment in it.
-- Amounts are log-normal around 30 with a seasonal factor (December high,
-- June low), rounded to cents; 3% are refunds (negative).  A copy of the
-- orders in orders_by_customer, hash-partitioned by customer.
--
-- psql variables: n_orders, n_customers.
SELECT clock_timestamp() AS gen_start \gset
SELECT setseed(0.42);
BEGIN;
DROP TABLE IF EXISTS orders;
CREATE TABLE orders (customer_id bigint, ordered_at timestamptz, amount float8);
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT customer_id, at,
       round(100 * value * (1 + 0.3 * cos(2 * pi() * (extract(month FROM at) - 12) / 12))) / 100
         * CASE WHEN u_kind < 0.03 THEN -1 ELSE 1 END
FROM (
    SELECT customer_id,
           timestamptz '2023-07-01 00:00' + (start_day + random() * span) * interval '1 day' AS at,
           exp(3.4 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS value,
           random() AS u_kind
    FROM (
        SELECT customer_id, start_day, least(-500 * ln(1 - h2), 1095 - start_day) AS span
        FROM (
            SELECT customer_id,
                   985.5 * ((customer_id * 2654435761) % 4294967291)::float8 / 4294967291 AS start_day,
                   ((customer_id * 40503 + 12345) % 1000003)::float8 / 1000003.5 AS h2
            FROM (SELECT 1 + floor(:n_customers * random() ^ 2)::bigint AS customer_id
                  FROM generate_series(1, :n_orders)) r
        ) h
    ) c
) o;
COMMIT;
VACUUM (FREEZE, ANALYZE) orders;
-- the same orders in a table hash-partitioned by customer (8 partitions)
BEGIN;
DROP TABLE IF EXISTS orders_by_customer;
CREATE TABLE orders_by_customer (customer_id bigint, ordered_at timestamptz, amount float8)
    PARTITION BY HASH (customer_id);
SELECT format('CREATE TABLE orders_by_customer_%s PARTITION OF orders_by_customer FOR VALUES WITH (MODULUS 8, REMAINDER %s)', i, i)
FROM generate_series(0, 7) i \gexec
INSERT INTO orders_by_customer SELECT * FROM orders;
COMMIT;
VACUUM (FREEZE, ANALYZE) orders_by_customer;
SELECT round(extract(epoch FROM clock_timestamp() - :'gen_start'::timestamptz)::numeric) AS gen_s \gset
\pset footer off
SELECT sum(n) AS "order rows", count(*) AS customers,
       max(n) AS "most orders of one customer",
       pg_size_pretty(pg_table_size('orders')) AS "orders size", :gen_s AS "generated in s"
FROM (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) q;
