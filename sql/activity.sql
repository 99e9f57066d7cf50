-- What a pipeline keeps per customer besides its summary state: activity by
-- calendar month (clv_activity_state), added up by month and by cohort
-- (clv_activity_total) and taken back off (clv_activity_difference); and
-- touches by channel (clv_channel_state), split by clv_channel_credits
-- exactly as clv_attribution splits the same rows.
\set VERBOSITY terse
SET TimeZone = 'UTC';

CREATE TABLE activity_lines (customer int, at timestamptz, amount float8, channel text);
INSERT INTO activity_lines VALUES
    (1, '2025-01-31 23:30+00', 10.10, 'web'),    -- February in Tokyo, January in UTC
    (1, '2025-02-02 10:00+00', 20.20, 'email'),
    (1, '2025-02-20 10:00+00', -5.05, 'web'),    -- a refund is activity too
    (1, '2025-05-01 10:00+00', 7.00, NULL),
    (2, '2025-02-10 10:00+00', 99.99, 'store'),
    (2, '2025-03-10 10:00+00', NULL, 'store'),   -- skipped, as clv_summary skips it
    (3, '1999-12-31 12:00+00', 1.00, 'web'),     -- months before 2000
    (3, '2025-03-01 00:00+00', 2.00, 'web');

-- one customer's months, in two calendars
SELECT customer, a.*
FROM (SELECT customer, clv_activity_state(at, amount, 'UTC') AS s FROM activity_lines GROUP BY customer) q,
     clv_activity_months(q.s) a
ORDER BY customer, month;
SELECT a.month, a.orders, a.amount
FROM clv_activity_months((SELECT clv_activity_state(at, amount, 'Asia/Tokyo') FROM activity_lines WHERE customer = 1)) a;
-- the date form takes the days as they are
SELECT a.month, a.orders FROM clv_activity_months((SELECT clv_activity_state(at::date, amount) FROM activity_lines WHERE customer = 1)) a;

-- totals by month and by cohort (the customer's first month)
CREATE TABLE activity_states AS
SELECT customer, clv_activity_state(at, amount, 'UTC') AS s FROM activity_lines GROUP BY customer;
SELECT t.month, t.customers, t.orders, t.amount
FROM clv_activity_months((SELECT clv_activity_total(s, false) FROM activity_states)) t;
SELECT t.cohort, t.month, t.customers
FROM clv_activity_months((SELECT clv_activity_total(s, true) FROM activity_states)) t;

-- taken off again: a total without customer 1 is the total of the others,
-- months left without a customer gone
SELECT clv_activity_difference((SELECT clv_activity_total(s, false) FROM activity_states),
                               (SELECT clv_activity_total(s, false) FROM activity_states WHERE customer = 1))
       = (SELECT clv_activity_total(s, false) FROM activity_states WHERE customer <> 1) AS difference_exact,
       clv_activity_difference((SELECT clv_activity_total(s, true) FROM activity_states),
                               (SELECT clv_activity_total(s, true) FROM activity_states WHERE customer = 1))
       = (SELECT clv_activity_total(s, true) FROM activity_states WHERE customer <> 1) AS cohort_difference_exact;
-- and added: combine of two totals is the total of both
SELECT clv_activity_combine((SELECT clv_activity_total(s, false) FROM activity_states WHERE customer = 1),
                            (SELECT clv_activity_total(s, false) FROM activity_states WHERE customer <> 1))
       = (SELECT clv_activity_total(s, false) FROM activity_states) AS combined_exact;
-- amounts are summed exactly: a million cents in any order give the same bits
SELECT count(DISTINCT s) AS distinct_totals
FROM (SELECT clv_activity_state(at, amount, 'UTC') AS s
        FROM (SELECT timestamptz '2025-01-01' + (i % 28) * interval '1 day' AS at, 0.01::float8 * (1 + i % 7) AS amount,
                     r FROM generate_series(1, 20000) i, generate_series(1, 3) r) x
       GROUP BY r) q;
-- two partial states of one customer (parallel workers) count the customer once
SELECT a.month, a.customers FROM clv_activity_months(
    clv_activity_combine((SELECT clv_activity_state(at, amount, 'UTC') FROM activity_lines WHERE customer = 1 AND at < '2025-02-10'),
                         (SELECT clv_activity_state(at, amount, 'UTC') FROM activity_lines WHERE customer = 1))) a;

-- refused: mixed kinds, a part that is not in the total, one customer's
-- state where a total is expected, forged states, non-finite times, no zone
SELECT clv_activity_combine((SELECT clv_activity_total(s, false) FROM activity_states), (SELECT clv_activity_total(s, true) FROM activity_states));
SELECT clv_activity_difference((SELECT clv_activity_total(s, false) FROM activity_states WHERE customer = 1),
                               (SELECT clv_activity_total(s, false) FROM activity_states));
SELECT clv_activity_difference((SELECT s FROM activity_states WHERE customer = 1), (SELECT s FROM activity_states WHERE customer = 1));
SELECT clv_activity_total(t, false) FROM (SELECT clv_activity_total(s, false) AS t FROM activity_states) q;
SELECT clv_activity_total(s, NULL) FROM activity_states;
SELECT * FROM clv_activity_months('{1,2,3}');
SELECT * FROM clv_activity_months(ARRAY[289043529985, 0, 1, 5, 300, 1, 2, 0, 0]::bigint[]);
SELECT * FROM clv_activity_months(ARRAY[289043529985, 0, 2, 10, 300, 1, 1, 0, 0, 299, 1, 1, 0, 0]::bigint[]);
SELECT clv_activity_state(at, amount, 'UTC') FROM (VALUES ('infinity'::timestamptz, 1::float8)) v(at, amount);
SELECT clv_activity_state(at, amount, NULL) FROM activity_lines;
SELECT clv_activity_state(at, amount, 'Mars/Olympus_Mons') FROM activity_lines;
SELECT clv_activity_state(at, 1e19, 'UTC') FROM activity_lines;

-- channels: each customer's touches and money by channel, and its value split
-- as clv_attribution splits the same rows, under each model
CREATE TABLE channel_states AS
SELECT customer, clv_channel_state(channel, at, amount) AS s FROM activity_lines WHERE amount IS NOT NULL GROUP BY customer;
SELECT customer, c.* FROM channel_states, clv_channel_credits(s, 100.00) c ORDER BY customer, channel;
SELECT count(*) AS credits_differing
FROM channel_states cs
CROSS JOIN unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based']) m
CROSS JOIN LATERAL (SELECT clv_attribution(l.channel, l.at, 100.00, m) AS credits
                      FROM activity_lines l WHERE l.customer = cs.customer AND l.amount IS NOT NULL) a
CROSS JOIN LATERAL unnest(a.credits) ac
JOIN LATERAL clv_channel_credits(cs.s, 100.00) cc ON cc.channel = ac.channel
WHERE ac.credit IS DISTINCT FROM CASE m WHEN 'first_touch' THEN cc.first_touch WHEN 'last_touch' THEN cc.last_touch
                                        WHEN 'linear' THEN cc.linear ELSE cc.position_based END;
-- many customers, many channels, ties: the same, model by model
CREATE TABLE activity_many AS
SELECT c AS customer, 'ch' || ((c * 7 + k * 13) % (1 + c % 5)) AS channel,
       timestamptz '2025-01-01' + ((c * 31 + k * 17) % 40) * interval '1 day' AS at, (k % 9)::float8 AS amount
FROM generate_series(1, 300) c, generate_series(1, 1 + c % 11) k;
SELECT count(*) AS credits_compared, count(DISTINCT cs.customer) AS customers,
       count(*) FILTER (WHERE ac.credit IS DISTINCT FROM CASE m WHEN 'first_touch' THEN cc.first_touch
                                                              WHEN 'last_touch' THEN cc.last_touch
                                                              WHEN 'linear' THEN cc.linear ELSE cc.position_based END
                           OR ac.touches IS DISTINCT FROM cc.touches) AS credits_differing
FROM (SELECT customer, clv_channel_state(channel, at, amount) AS s FROM activity_many GROUP BY customer) cs
CROSS JOIN unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based']) m
CROSS JOIN LATERAL (SELECT clv_attribution(l.channel, l.at, round(cs.customer * 1.37, 2), m) AS credits
                      FROM activity_many l WHERE l.customer = cs.customer) a
CROSS JOIN LATERAL unnest(a.credits) ac
JOIN LATERAL clv_channel_credits(cs.s, round(cs.customer * 1.37, 2)) cc ON cc.channel = ac.channel;
-- a NULL value: the activity, no credits
SELECT c.channel, c.touches, c.amount, c.linear FROM clv_channel_credits((SELECT s FROM channel_states WHERE customer = 1), NULL) c ORDER BY c.channel;
-- refused: a value that cannot be split, bytes that are not a state
SELECT * FROM clv_channel_credits((SELECT s FROM channel_states WHERE customer = 1), 'NaN');
SELECT * FROM clv_channel_credits('\x0102'::bytea, 1);
DROP TABLE activity_lines, activity_states, activity_many, channel_states;

-- clv_exact_sum: the same bits in any order, NULLs skipped, where sum()
-- over float8 depends on the order
CREATE TEMP TABLE addends AS
SELECT i, ((CASE WHEN i % 3 = 0 THEN 1e15 ELSE 0.1 END) * (1 + i % 11) * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END))::float8 AS v
FROM generate_series(1, 3001) i;
SELECT count(DISTINCT s) AS exact_sums_seen, count(DISTINCT f) > 1 AS float_sums_differ
FROM (SELECT r, clv_exact_sum(v ORDER BY (i * r * 7919) % 3001) AS s, sum(v ORDER BY (i * r * 7919) % 3001) AS f
        FROM addends, generate_series(1, 5) r GROUP BY r) q;
-- 1e16 + 1 + 1 added one at a time rounds to 1e16 twice; exactly it is 1e16 + 2
SELECT clv_exact_sum(x ORDER BY o)::text AS exact, sum(x ORDER BY o)::text AS rounded_twice
FROM (VALUES (1, 1e16::float8), (2, 1), (3, 1)) v(o, x);
SELECT clv_exact_sum(x) FROM (VALUES (NULL::float8), (NULL)) v(x);
SELECT clv_exact_sum(x) FROM (VALUES (1e19::float8)) v(x);
SELECT clv_exact_sum(x) FROM (VALUES ('NaN'::float8)) v(x);
