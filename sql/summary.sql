-- clv_summary: one customer's orders summarised, with the BTYD conventions.
\set VERBOSITY default
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'postgres';

CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount float8);
INSERT INTO orders VALUES
  -- customer 1: two orders on the first day (one purchase, 15), then
  -- purchases one and three weeks later, a partial refund on a repeat day
  -- and a refund on a day without an order
  (1, '2025-01-01 10:00', 10), (1, '2025-01-01 18:00', 5),
  (1, '2025-01-08 09:00', 20), (1, '2025-01-22 12:00', 30),
  (1, '2025-01-22 15:00', -4), (1, '2025-02-01 08:00', -3),
  -- customer 2: a single purchase, and NULL rows that are skipped
  (2, '2025-03-01 00:00', 7), (2, NULL, 100), (2, '2025-03-02', NULL),
  -- customer 3: a refund only: no purchase, no BTYD figures
  (3, '2025-03-02 00:00', -4),
  -- customer 4: an order of value 0 still counts as a purchase
  (4, '2025-03-01', 12), (4, '2025-03-05', 0),
  -- customer 5: only NULL rows: the aggregate is NULL, like sum()
  (5, NULL, NULL);

SELECT customer_id, (clv_summary(ordered_at, amount, '2025-03-31')).*
FROM orders GROUP BY customer_id ORDER BY customer_id;

-- weeks, as in the CDNOW papers: t_x = 21/7 = 3, T = 89/7
SELECT customer_id, (s).frequency, (s).recency, round((s).age::numeric, 6) AS age,
       (s).monetary, (s).mean_gap, round((s).gap_stddev::numeric, 6) AS gap_stddev, (s).time_unit
FROM (SELECT customer_id, clv_summary(ordered_at, amount, '2025-03-31', '7 days') AS s
      FROM orders GROUP BY customer_id) q
ORDER BY customer_id;

-- a unit given in hours means the same as in days
SELECT (clv_summary(ordered_at, amount, '2025-03-31', '168 hours')).recency
FROM orders WHERE customer_id = 1;
SELECT (clv_summary(ordered_at, amount, '2025-03-31', '12 hours')).time_unit
FROM orders WHERE customer_id = 1;

-- the date variant: observation_end is the last day included
SELECT customer_id, (clv_summary(ordered_at::date, amount, date '2025-03-31')).*
FROM orders GROUP BY customer_id ORDER BY customer_id;
SELECT (clv_summary(d, 1, date '2025-01-10')).age
FROM (VALUES (date '2025-01-10')) v(d);

-- no rows at all: NULL
SELECT clv_summary(ordered_at, amount, '2025-03-31') IS NULL AS empty
FROM orders WHERE false;

-- the same result whatever the row order
SELECT (SELECT clv_summary(ordered_at, amount, '2025-03-31' ORDER BY ordered_at)
        FROM orders WHERE customer_id = 1)
     = (SELECT clv_summary(ordered_at, amount, '2025-03-31' ORDER BY ordered_at DESC)
        FROM orders WHERE customer_id = 1) AS order_independent;

-- amounts are summed exactly: 0.1 + 0.2 + 0.3 gives one answer in any order
SELECT (clv_summary(t, a, '2025-01-02' ORDER BY a)).total_amount AS asc_sum,
       (clv_summary(t, a, '2025-01-02' ORDER BY a DESC)).total_amount AS desc_sum
FROM (VALUES ('2025-01-01'::timestamptz, 0.1::float8), ('2025-01-01', 0.2), ('2025-01-01', 0.3)) v(t, a);

-- The calendar day comes from the session time zone, like ordered_at::date.
SET TimeZone = 'America/New_York';
SELECT (clv_summary(t, 1, '2025-03-31')).first_order AS new_york_day
FROM (VALUES ('2025-03-10 02:30:00+00'::timestamptz)) v(t);
SET TimeZone = 'Asia/Tokyo';
SELECT (clv_summary(t, 1, '2025-03-31')).first_order AS tokyo_day
FROM (VALUES ('2025-03-10 20:30:00+00'::timestamptz)) v(t);
-- across DST changes in zones with whole, half and quarter hour offsets, the
-- day always matches ordered_at::date
CREATE TABLE instants AS
SELECT i, '1900-01-01 00:00+00'::timestamptz + (i::bigint * 3607 * 113 + (i * i) % 86400) * interval '1 second' AS t
FROM generate_series(1, 20000) i;
CREATE VIEW day_mismatches AS
SELECT current_setting('TimeZone') AS zone, count(*) AS instants,
       count(*) FILTER (WHERE (s).first_order <> t::date) AS mismatches
FROM (SELECT i, min(t) AS t, clv_summary(t, 1, '2300-01-01') AS s FROM instants GROUP BY i) d;
SET TimeZone = 'Europe/Berlin';        SELECT * FROM day_mismatches;
SET TimeZone = 'America/Los_Angeles';  SELECT * FROM day_mismatches;
SET TimeZone = 'Australia/Lord_Howe';  SELECT * FROM day_mismatches;
SET TimeZone = 'Asia/Kathmandu';       SELECT * FROM day_mismatches;
SET TimeZone = 'Pacific/Apia';         SELECT * FROM day_mismatches;
SET TimeZone = 'America/St_Johns';     SELECT * FROM day_mismatches;
SET TimeZone = 'UTC';                  SELECT * FROM day_mismatches;
SET TimeZone = '+05:30';               SELECT * FROM day_mismatches;
RESET TimeZone;
SET TimeZone = 'UTC';

-- Bad input
SELECT clv_summary(ordered_at, amount, '2025-01-20') FROM orders WHERE customer_id = 1;
SELECT clv_summary(ordered_at::date, amount, '2025-01-20'::date) FROM orders WHERE customer_id = 1;
SELECT clv_summary(t, 'NaN', '2025-03-31') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 'Infinity', '2025-03-31') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1e300, '2025-03-31') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, '2025-03-31') FROM (VALUES ('-infinity'::timestamptz)) v(t);
SELECT clv_summary(t, 1, 'infinity') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, 'infinity'::date) FROM (VALUES ('2025-01-01'::date)) v(t);
SELECT clv_summary(t, 1, NULL::timestamptz) FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, '2025-03-31', NULL) = clv_summary(t, 1, '2025-03-31') AS null_unit_is_a_day
FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
-- a time unit with months counts them as EXTRACT(epoch) does: a month is 30
-- days, a year 365.25
SELECT (clv_summary(t, 1, '2025-03-31', '1 month')).age = (clv_summary(t, 1, '2025-03-31', '30 days')).age AS month_is_30_days,
       (clv_summary(t, 1, '2025-03-31', '1 year')).age = (clv_summary(t, 1, '2025-03-31', '365 days 6 hours')).age AS year_is_365_25_days,
       (clv_summary(t, 1, '2025-03-31', '1 month')).time_unit
FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, '2025-03-31', '1 month -30 days') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, '2025-03-31', '-7 days') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, '2025-03-31', '0') FROM (VALUES ('2025-01-01'::timestamptz)) v(t);
SELECT clv_summary(t, 1, e) FROM (VALUES ('2025-01-01'::timestamptz, '2025-03-31'::timestamptz),
                                         ('2025-01-02', '2025-04-30')) v(t, e);
SELECT clv_summary(t, 1, '2025-03-31', u) FROM (VALUES ('2025-01-01'::timestamptz, '1 day'::interval),
                                                       ('2025-01-02', '7 days')) v(t, u);
-- amounts whose exact sum leaves the supported range
SELECT clv_summary(t, 3e18, '2025-03-31') FROM (VALUES ('2025-01-01'::timestamptz), ('2025-01-01')) v(t);

-- The support functions called by hand with hostile states
SELECT clv_summary_transfn(NULL, now(), 1, now());
SELECT clv_summary_final('{}');
SELECT clv_summary_final('{1,2,3}');
SELECT clv_summary_final('{{1,2},{3,4}}');
SELECT clv_summary_final(ARRAY[NULL]::bigint[]);
SELECT clv_summary_final('[0:12]={289043534595,0,0,0, 0,86400000000,0, 0,0, 0,0, 0,0}');
-- the layout: tag, purchase days held, refund days held, body slots,
-- observation_end, time unit, its day, order rows, refund rows, order money,
-- first-day money; then the body: purchase days from the front, (day, money)
-- per refund day from the back
SELECT clv_summary_final('{289043534595,0,0,0, 0,0,0, 0,0, 0,0, 0,0}');
SELECT clv_summary_final('{289043534595,0,0,0, 0,-1,0, 0,0, 0,0, 0,0}');
-- an empty state, as a parallel worker that saw no rows of a group sends
SELECT (clv_summary_final('{289043534595,0,0,0, 0,86400000000,0, 0,0, 0,0, 0,0}')).*;
SELECT (clv_summary_final(clv_summary_combine('{289043534595,0,0,0, 0,86400000000,0, 0,0, 0,0, 0,0}', '{289043534595,0,0,0, 0,86400000000,0, 0,0, 0,0, 0,0}'))).*;
SELECT clv_summary_final('{289043534595,1,0,0, 0,86400000000,100, 1,0, 0,0, 0,0}');
SELECT clv_summary_final('{289043534595,0,0,1, 0,86400000000,100, 0,0, 0,0, 0,0}');
SELECT clv_summary_final('{289043534595,2,0,2, 0,86400000000,100, 2,0, 0,0, 0,0, 10,10}');
SELECT clv_summary_final('{289043534595,1,0,1, 0,86400000000,100, 1,0, 0,0, 0,0, 200}');
SELECT clv_summary_final('{289043534595,1,0,1, 0,86400000000,100, 0,0, 0,0, 0,0, 10}');
SELECT clv_summary_final('{289043534595,1,0,1, 0,86400000000,100, 1,0, 0,5, 0,9, 10}');
SELECT clv_summary_final('{289043534595,1,0,1, 0,86400000000,100, 1,0, 9223372036854775807,0, 0,0, 10}');
SELECT clv_summary_final('{289043534595,0,1,3, 0,86400000000,100, 0,1, 0,0, 0,0, 10,0,5}');
SELECT clv_summary_final('{289043534595,0,1,3, 0,86400000000,100, 0,0, 0,0, 0,0, 10,-1,0}');
SELECT clv_summary_final('{289043534595,0,1,3, 0,86400000000,100, 0,1, 0,0, 0,0, 1000,-1,0}');
SELECT clv_summary_final('{289043534595,1,1,3, 0,86400000000,100, 1,1, 0,0, 0,0, 10,-1,0}');
-- a hand-made valid state: two purchase days (the 11th and 21st day after
-- 2000-01-01), 3 orders, one free slot, and a refund on the second purchase day
SELECT (clv_summary_final('{289043534595,2,1,6, 0,86400000000,100, 3,1, 30,0, 10,0, 10,20, 0, 20,-1,0}')).*;
SELECT clv_summary_combine('{289043534595,0,0,0, 0,86400000000,0, 0,0, 0,0, 0,0}', '{289043534595,0,0,0, 0,604800000000,0, 0,0, 0,0, 0,0}');
SELECT clv_summary_combine(NULL, NULL) IS NULL AS both_null;
SELECT clv_summary_combine(NULL, '{1}');

DROP VIEW day_mismatches;
DROP TABLE orders, instants;
