-- Channel attribution: each model on hand-computed cases, exact sums,
-- touches after the conversion, ties, parallel partial states, bad input.
\set VERBOSITY default
SET TimeZone = 'UTC';

CREATE TABLE touches (conversion int, channel text, touched_at timestamptz, value numeric);
-- search, email, social, email, store; the conversion is worth 100.00
INSERT INTO touches VALUES
    (1, 'search', '2025-01-01', 100.00), (1, 'email', '2025-01-05', 100.00),
    (1, 'social', '2025-01-08', 100.00), (1, 'email', '2025-01-09', 100.00),
    (1, 'store',  '2025-01-20', 100.00);

-- first 100 to search; last 100 to store; linear 20 a touch (email 40);
-- position-based 40 first, 40 last, 20 shared by the 3 between (email 13.33)
SELECT m AS model, c.*
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based']) m,
     LATERAL (SELECT clv_attribution(channel, touched_at, value, m) AS credits FROM touches) a,
     LATERAL unnest(a.credits) c
ORDER BY m, c.credit DESC, c.channel;

-- time decay, half-life 7 days, conversion on 2025-01-21: weights
-- 2^-(20/7), 2^-(16/7) + 2^-(12/7), 2^-(13/7), 2^-(1/7), scaled to 1
SELECT c.channel, round(c.weight::numeric, 6) AS weight, c.credit,
       round((w.raw / sum(w.raw) OVER ())::numeric, 6) AS by_hand
FROM unnest((SELECT clv_attribution(channel, touched_at, value, 'time_decay', '2025-01-21', '7 days')
             FROM touches)) c
JOIN (VALUES ('search', 2 ^ (-20 / 7.0)), ('email', 2 ^ (-16 / 7.0) + 2 ^ (-12 / 7.0)),
             ('social', 2 ^ (-13 / 7.0)), ('store', 2 ^ (-1 / 7.0))) w(channel, raw) USING (channel)
ORDER BY c.credit DESC;

-- credits add up to the value exactly, in units of its last decimal place
SELECT c.* FROM unnest((SELECT clv_attribution(ch, t, 100, 'linear')
                        FROM (VALUES ('a', '2025-01-01'::timestamptz), ('b', '2025-01-02'), ('c', '2025-01-03')) v(ch, t))) c;
SELECT v AS value, (SELECT sum(c.credit) FROM unnest(a) c) AS total, a
FROM unnest('{100, 100.00, 0.01, -10.00, 12345678.91, 0}'::numeric[]) v,
     LATERAL (SELECT clv_attribution(ch, t, v, 'position_based') AS a
              FROM (VALUES ('a', '2025-01-01'::timestamptz), ('b', '2025-01-02'), ('c', '2025-01-03'),
                           ('d', '2025-01-04'), ('c', '2025-01-05'), ('e', '2025-01-06'), ('f', '2025-01-07')) x(ch, t)) q;

-- one touch, two touches; touches after the conversion do not count
SELECT (SELECT array_agg(c.channel || '=' || c.credit) FROM unnest(clv_attribution(ch, t, 10, 'position_based')) c) AS one
FROM (VALUES ('a', '2025-01-01'::timestamptz)) v(ch, t);
SELECT (SELECT array_agg(c.channel || '=' || c.credit) FROM unnest(clv_attribution(ch, t, 10, 'position_based')) c) AS two
FROM (VALUES ('a', '2025-01-01'::timestamptz), ('b', '2025-01-02')) v(ch, t);
SELECT c.* FROM unnest((SELECT clv_attribution(channel, touched_at, value, 'last_touch', '2025-01-10', NULL)
                        FROM touches)) c ORDER BY c.credit DESC, c.channel;
SELECT clv_attribution(channel, touched_at, value, 'linear', '2024-01-01', NULL) IS NULL AS nothing_before
FROM touches;
-- touches at the same moment: ordered by channel name, whatever the row order
SELECT (SELECT array_agg(c.channel || '=' || c.credit ORDER BY c.channel)
        FROM unnest(clv_attribution(ch, '2025-01-01', 9, 'first_touch' ORDER BY ch DESC)) c) AS tie
FROM (VALUES ('b'), ('a'), ('c')) v(ch);
-- an equal split: the extra cent goes by channel name, not by row order
SELECT (SELECT array_agg(c.channel || '=' || c.credit ORDER BY c.channel)
        FROM unnest(clv_attribution(ch, t, 1.00, 'linear' ORDER BY ch)) c) AS ascending,
       (SELECT array_agg(c.channel || '=' || c.credit ORDER BY c.channel)
        FROM unnest(clv_attribution(ch, t, 1.00, 'linear' ORDER BY ch DESC)) c) AS descending
FROM (VALUES ('b', '2025-01-02'::timestamptz), ('a', '2025-01-01'), ('c', '2025-01-03')) v(ch, t);
-- touches further apart than 64-bit microseconds can subtract: the old one weighs nothing
SELECT c.channel, c.credit
FROM unnest((SELECT clv_attribution(ch, t, 100.00, 'time_decay', NULL, '1 day')
             FROM (VALUES ('a', '4713-01-01 BC'::timestamptz), ('b', '294276-12-31'), ('c', '2000-01-01')) v(ch, t))) c
ORDER BY c.credit DESC, c.channel;
-- NULL channel or time: the row is skipped; no rows: NULL
SELECT c.* FROM unnest((SELECT clv_attribution(ch, t, 10, 'linear')
                        FROM (VALUES ('a', '2025-01-01'::timestamptz), (NULL, '2025-01-02'), ('b', NULL)) v(ch, t))) c;
SELECT clv_attribution(channel, touched_at, value, 'linear') IS NULL AS no_rows FROM touches WHERE false;

-- many channels in one group
SELECT count(*) AS channels, sum(c.credit) AS total, min(c.credit), max(c.credit)
FROM unnest((SELECT clv_attribution('channel ' || g, '2025-01-01'::timestamptz + g * interval '1 hour', 1000.00, 'linear')
             FROM generate_series(1, 300) g)) c;

-- one row per conversion, as a BI tool reads it
INSERT INTO touches SELECT 2, ch, '2025-02-01'::timestamptz + k * interval '1 day', 55.55
FROM unnest(ARRAY['email', 'email', 'store']) WITH ORDINALITY AS x(ch, k);
SELECT t.conversion, c.channel, c.credit
FROM (SELECT conversion, clv_attribution(channel, touched_at, value, 'linear') AS credits
      FROM touches GROUP BY conversion) t, unnest(t.credits) c
ORDER BY t.conversion, c.credit DESC, c.channel;

-- parallel query: partial states serialized, combined, same credits
CREATE TABLE many AS
SELECT g % 50 AS conversion, (ARRAY['search', 'email', 'social', 'store', 'phone'])[1 + g % 5] AS channel,
       '2025-01-01'::timestamptz + (g * 7919 % 100000) * interval '1 minute' AS touched_at,
       (g % 50 * 10 + 0.99)::numeric AS value
FROM generate_series(1, 50000) g;
ANALYZE many;
CREATE TABLE serial_credits AS
SELECT conversion, clv_attribution(channel, touched_at, value, 'time_decay', NULL, '3 days')::text AS c
FROM many GROUP BY conversion;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT count(*) AS conversions,
       count(*) FILTER (WHERE p.c IS DISTINCT FROM s.c) AS differences
FROM (SELECT conversion, clv_attribution(channel, touched_at, value, 'time_decay', NULL, '3 days')::text AS c
      FROM many GROUP BY conversion) p
FULL JOIN serial_credits s USING (conversion);
-- channel names travel between workers as bytes
INSERT INTO many SELECT 7, (ARRAY['émail', 'Ω-shop'])[1 + g % 2], '2025-03-01'::timestamptz + g * interval '1 minute', 70.99
FROM generate_series(1, 2000) g;
SELECT c.channel, c.touches, c.credit
FROM unnest((SELECT clv_attribution(channel, touched_at, value, 'linear') FROM many WHERE conversion = 7)) c
ORDER BY c.channel COLLATE "C";
-- the plan really splits the aggregate over workers
EXPLAIN (COSTS OFF) SELECT clv_attribution(channel, touched_at, 1000.00, 'linear') FROM many;
SELECT (SELECT clv_attribution(channel, touched_at, 1000.00, 'linear') FROM many)::text
     = (SELECT clv_attribution(channel, touched_at, 1000.00, 'linear' ORDER BY touched_at) FROM many)::text
  AS single_group_same;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;

-- exact ties between remainders go by channel name: 4 units over weights
-- 1/6, 4/6, 1/6 leave three equal remainders of 2/3 for two units (a and b
-- get them), and position-based over a a a b c leaves b and c tied for one
SELECT array_agg(format('%s %s', (c).channel, (c).credit) ORDER BY (c).channel) AS linear_ties
FROM unnest((SELECT clv_attribution(ch, '2025-01-01'::timestamptz + k * interval '1 hour', 4, 'linear')
             FROM unnest(ARRAY['a', 'b', 'b', 'b', 'b', 'c']) WITH ORDINALITY AS t(ch, k))) c;
SELECT array_agg(format('%s %s', (c).channel, (c).credit) ORDER BY (c).channel) AS position_ties
FROM unnest((SELECT clv_attribution(ch, '2025-01-01'::timestamptz + k * interval '1 hour', 6, 'position_based')
             FROM unnest(ARRAY['a', 'a', 'a', 'b', 'c']) WITH ORDINALITY AS t(ch, k))) c;
-- touches after the conversion do not count, not even against the limit on names
SELECT clv_attribution(ch, at, 10, 'linear', '2025-01-02', NULL)
FROM (VALUES ('a', timestamptz '2025-01-01'), (repeat('x', 2000), timestamptz '2025-01-03')) t(ch, at);

-- bad input
SELECT clv_attribution(channel, touched_at, value, 'time_decay') FROM touches;
SELECT clv_attribution(channel, touched_at, value, 'bogus') FROM touches;
SELECT clv_attribution(channel, touched_at, value, NULL) FROM touches;
SELECT clv_attribution(channel, touched_at, NULL, 'linear') FROM touches;
SELECT clv_attribution(channel, touched_at, 'NaN', 'linear') FROM touches;
SELECT clv_attribution(channel, touched_at, conversion * 10, 'linear') FROM touches;
SELECT clv_attribution(channel, touched_at, value, 'time_decay', NULL, '0 days') FROM touches;
SELECT clv_attribution(channel, touched_at, value, 'time_decay', '2025-01-21', '1 month')
       = clv_attribution(channel, touched_at, value, 'time_decay', '2025-01-21', '30 days') AS month_is_30_days
FROM touches WHERE conversion = 1;
SELECT clv_attribution(channel, touched_at, value, 'time_decay', NULL, '213503983 days') FROM touches;
SELECT clv_attribution(channel, touched_at, value, 'linear', 'infinity', NULL) FROM touches;
SELECT clv_attribution(channel, 'infinity', value, 'linear') FROM touches;
SELECT clv_attribution(channel, touched_at, 12345678901234567.8, 'linear') FROM touches;

DROP TABLE touches, many, serial_credits;
