-- Checks that test/bench/plain_sql.sql computes what clv_summary does, on
-- the table `orders` as it stands (test/bench/summary.sh fills it with a small
-- generated data set first) plus the edge cases added below, in a zone with
-- daylight saving time, in UTC (clv's fixed-offset shortcut) and in a zone
-- with a half-hour offset.  Stops with an error on the first difference.
--
-- Run from the repository root, in a database with the clv extension:
--   psql -v ON_ERROR_STOP=1 -f test/bench/check_equivalence.sql
-- Every timestamp here is before 2026-07-01 00:00 in each zone checked
-- (clv_summary rejects orders after observation_end).
\set q_clv `cat test/bench/clv_summary.sql`
\set q_plain `cat test/bench/plain_sql.sql`

-- Edge cases, as customers the generator never uses.
INSERT INTO orders (customer_id, ordered_at, amount) VALUES
    -- only refunds: no purchase day at all
    (-1, '2024-02-01 10:00+00', -12.5),
    (-1, '2024-02-03 10:00+00', -7),
    -- one order: frequency 0, monetary 0, no mean gap or gap stddev
    (-2, '2025-01-01 12:00+00', 19.99),
    -- two purchase days: a mean gap but no gap stddev
    (-3, '2025-01-01 12:00+00', 10),
    (-3, '2025-03-01 12:00+00', 30),
    -- refund-only day between purchase days, a refund before the day's
    -- order, an order of value 0, several orders on one day
    (-4, '2024-01-10 10:00+00', 50),
    (-4, '2024-01-12 09:00+00', -20),
    (-4, '2024-01-15 08:00+00', -5),
    (-4, '2024-01-15 18:00+00', 30),
    (-4, '2024-01-20 12:00+00', 0),
    (-4, '2024-01-20 13:00+00', 12.5),
    (-4, '2024-01-20 14:00+00', 7.25),
    (-4, '2024-02-20 14:00+00', -3),
    -- around local midnight and the DST changes of New York (2024-03-10,
    -- 2024-11-03) and St John's
    (-5, '2024-03-10 04:30+00', 10),
    (-5, '2024-03-10 05:30+00', 20),
    (-5, '2024-03-10 07:30+00', 30),
    (-5, '2024-11-03 02:45+00', 35),
    (-5, '2024-11-03 04:30+00', 40),
    (-5, '2024-11-03 06:30+00', 50),
    (-5, '2024-11-04 04:59+00', 60),
    (-5, '2024-11-04 05:00+00', 70),
    -- a purchase day whose refunds exceed its orders (negative net value)
    (-6, '2025-05-05 10:00+00', 5),
    (-6, '2025-05-05 11:00+00', -40),
    (-6, '2025-06-01 10:00+00', 10),
    (-6, '2025-07-01 10:00+00', 10.5),
    -- the last moment that is before observation_end in every zone checked
    (-7, '2023-07-01 00:00+00', 1),
    (-7, '2026-06-30 23:59:59+00', 2);

CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean
LANGUAGE sql IMMUTABLE
AS $$ SELECT (a IS NULL AND b IS NULL)
          OR abs(a - b) <= 1e-9 * greatest(1, abs(a), abs(b)) $$;

CREATE TEMP TABLE equivalence (zone text, customers bigint, mismatches bigint);

CREATE FUNCTION pg_temp.check_zone(zone text, q_clv text, q_plain text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    n_bad bigint;
    n bigint;
BEGIN
    PERFORM set_config('TimeZone', zone, true);
    EXECUTE 'CREATE TEMP TABLE eq_clv AS
             SELECT customer_id, (clv_summary).* FROM (' || q_clv || E'\n) q';
    EXECUTE 'CREATE TEMP TABLE eq_plain AS ' || q_plain;
    CREATE TEMP TABLE eq_diff AS
    SELECT coalesce(c.customer_id, p.customer_id) AS customer_id,
           to_jsonb(c) AS clv, to_jsonb(p) AS plain
    FROM eq_clv c FULL JOIN eq_plain p ON c.customer_id = p.customer_id
    WHERE c.customer_id IS NULL OR p.customer_id IS NULL
       OR c.first_order IS DISTINCT FROM p.first_order
       OR c.last_order IS DISTINCT FROM p.last_order
       OR c.observation_end IS DISTINCT FROM p.observation_end
       OR c.orders IS DISTINCT FROM p.orders
       OR c.refunds IS DISTINCT FROM p.refunds
       OR c.purchase_days IS DISTINCT FROM p.purchase_days
       OR NOT pg_temp.close(c.total_amount, p.total_amount)
       OR NOT pg_temp.close(c.refunded_amount, p.refunded_amount)
       OR NOT pg_temp.close(c.avg_order_value, p.avg_order_value)
       OR c.frequency IS DISTINCT FROM p.frequency
       OR NOT pg_temp.close(c.recency, p.recency)
       OR NOT pg_temp.close(c.age, p.age)
       OR NOT pg_temp.close(c.monetary, p.monetary)
       OR NOT pg_temp.close(c.mean_gap, p.mean_gap)
       OR NOT pg_temp.close(c.gap_stddev, p.gap_stddev)
       OR c.time_unit IS DISTINCT FROM p.time_unit;
    SELECT count(*) INTO n FROM eq_clv;
    SELECT count(*) INTO n_bad FROM eq_diff;
    INSERT INTO equivalence VALUES (zone, n, n_bad);
    FOR bad IN SELECT * FROM eq_diff ORDER BY customer_id LIMIT 3 LOOP
        RAISE WARNING 'customer %: clv_summary %, plain SQL %',
            bad.customer_id, bad.clv, bad.plain;
    END LOOP;
    DROP TABLE eq_clv, eq_plain, eq_diff;
    IF n_bad > 0 OR n = 0 THEN
        RAISE EXCEPTION 'plain SQL and clv_summary differ for % of % customers in time zone %',
            n_bad, n, zone;
    END IF;
END $$;

SELECT pg_temp.check_zone(zone, :'q_clv', :'q_plain')
FROM unnest(ARRAY['America/New_York', 'UTC', 'America/St_Johns']) AS zone;

-- The edge cases must also come out as intended, not merely the same.
SET TimeZone = 'America/New_York';
CREATE TEMP TABLE edge_expected (
    customer_id bigint, first_order date, last_order date, orders bigint,
    refunds bigint, purchase_days int, total_amount float8,
    refunded_amount float8, frequency int, recency float8, age float8,
    monetary float8, mean_gap float8, gap_stddev float8);
INSERT INTO edge_expected VALUES
    (-1, NULL, NULL, 0, 2, 0, -19.5, 19.5, NULL, NULL, NULL, NULL, NULL, NULL),
    (-2, '2025-01-01', '2025-01-01', 1, 0, 1, 19.99, 0, 0, 0, 546, 0, NULL, NULL),
    (-3, '2025-01-01', '2025-03-01', 2, 0, 2, 40, 0, 1, 59, 546, 30, 59, NULL),
    (-4, '2024-01-10', '2024-01-20', 5, 3, 3, 71.75, 28, 2, 10, 903, 22.375, 5, 0),
    (-5, '2024-03-09', '2024-11-04', 8, 0, 5, 315, 0, 4, 240, 844, 76.25, 60,
     sqrt(((1 - 60) ^ 2 + (237 - 60) ^ 2 + (1 - 60) ^ 2 + (1 - 60) ^ 2) / 3)),
    (-6, '2025-05-05', '2025-07-01', 3, 1, 3, -14.5, 40, 2, 57, 422, 10.25, 28.5,
     sqrt(((27 - 28.5) ^ 2 + (30 - 28.5) ^ 2) / 1)),
    (-7, '2023-06-30', '2026-06-30', 2, 0, 2, 3, 0, 1, 1096, 1097, 2, 1096, NULL);

DO $$
DECLARE
    bad record;
    n_bad int := 0;
BEGIN
    FOR bad IN
        SELECT e.customer_id, to_jsonb(e) AS expected, to_jsonb(s) AS got
        FROM edge_expected e
        LEFT JOIN (SELECT customer_id, clv_summary(ordered_at, amount, '2026-07-01') AS s
                   FROM orders WHERE customer_id < 0 GROUP BY customer_id) c
               ON c.customer_id = e.customer_id
        WHERE c.customer_id IS NULL
           OR (e.first_order, e.last_order, e.orders, e.refunds, e.purchase_days, e.frequency)
              IS DISTINCT FROM ((s).first_order, (s).last_order, (s).orders, (s).refunds,
                                (s).purchase_days, (s).frequency)
           OR NOT pg_temp.close(e.total_amount, (s).total_amount)
           OR NOT pg_temp.close(e.refunded_amount, (s).refunded_amount)
           OR NOT pg_temp.close(e.recency, (s).recency)
           OR NOT pg_temp.close(e.age, (s).age)
           OR NOT pg_temp.close(e.monetary, (s).monetary)
           OR NOT pg_temp.close(e.mean_gap, (s).mean_gap)
           OR NOT pg_temp.close(e.gap_stddev, (s).gap_stddev)
    LOOP
        RAISE WARNING 'edge case %: expected %, clv_summary gave %',
            bad.customer_id, bad.expected, bad.got;
        n_bad := n_bad + 1;
    END LOOP;
    IF n_bad > 0 THEN
        RAISE EXCEPTION '% of the edge cases came out wrong', n_bad;
    END IF;
END $$;

SELECT zone AS "TimeZone", customers, mismatches FROM equivalence;
