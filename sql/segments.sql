-- RFM breakpoints, scores and segments; value tiers; credibility-weighted
-- CLV of a profile; cohort retention.
\set VERBOSITY default
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;

-- breakpoints are quantiles (R's type 7): values 1..10 cut at 2.8, 4.6, 6.4, 8.2
SELECT clv_rfm_breakpoints(g, g, g) FROM generate_series(1, 10) g;
SELECT clv_rfm_breakpoints(g, g, g, 2) FROM generate_series(1, 10) g;
-- a NULL measure skips the row; no rows give NULL
SELECT clv_rfm_breakpoints(r, f, m) FROM (VALUES (1, 1, 1), (NULL, 5, 5), (3, 3, 3)) v(r, f, m);
SELECT clv_rfm_breakpoints(r, f, m) FROM (VALUES (NULL::float8, 1::float8, 1::float8)) v(r, f, m);
-- bad input
SELECT clv_rfm_breakpoints(1, 1, 1, 1);
SELECT clv_rfm_breakpoints(1, 1, 1, 10);
SELECT clv_rfm_breakpoints(-1, 1, 1);
SELECT clv_rfm_breakpoints(1, 'NaN', 1);
SELECT clv_rfm_breakpoints(g, g, g, g % 2 + 2) FROM generate_series(1, 4) g;

-- the breakpoints are the order statistics a sort gives, interpolated, for
-- any order of the rows and any number of ties: the values of 2 to 9 bins
-- against the same quantiles computed in SQL, over inputs that make a
-- careless selection slow or wrong (sorted, reversed, all equal, organ pipe,
-- two values, few distinct values, -0 among zeros, one value)
CREATE TABLE quantile_inputs AS
SELECT shape, i, v
FROM (SELECT i, CASE WHEN i % 3 = 0 THEN -0.0::float8 ELSE 0 END AS zero FROM generate_series(1, 5000) i) g,
     LATERAL (VALUES ('ascending', i::float8), ('descending', (5001 - i)::float8), ('equal', 7::float8),
                     ('organ pipe', least(i, 5001 - i)::float8), ('two values', (i % 2)::float8),
                     ('few distinct', ((i * 7919) % 13)::float8), ('zeros', zero),
                     ('scattered', ((i * 7919) % 5003)::float8 / 7)) x(shape, v)
UNION ALL SELECT 'one value', 1, 42;
WITH ranked AS (
    SELECT shape, v + 0.0 AS v, row_number() OVER (PARTITION BY shape ORDER BY v) - 1 AS position,
           count(*) OVER (PARTITION BY shape) AS n
    FROM quantile_inputs),
expected AS (
    SELECT q.shape, q.bins, array_agg(lo.v + (q.h - floor(q.h)) * (hi.v - lo.v) ORDER BY q.k) AS quantiles
    FROM (SELECT DISTINCT shape, n, bins, k, (n - 1) * (k::float8 / bins) AS h
            FROM ranked, generate_series(2, 9) bins, generate_series(1, bins - 1) k) q
    JOIN ranked lo ON lo.shape = q.shape AND lo.position = floor(q.h)
    JOIN ranked hi ON hi.shape = q.shape AND hi.position = least(floor(q.h) + 1, q.n - 1)
    GROUP BY q.shape, q.bins),
computed AS (
    SELECT shape, bins, count(*) AS n,
           clv_rfm_breakpoints(v, v, v, bins ORDER BY i) AS ascending_rows,
           clv_rfm_breakpoints(v, v, v, bins ORDER BY i DESC) AS descending_rows
    FROM quantile_inputs, generate_series(2, 9) bins
    GROUP BY shape, bins)
SELECT c.shape, count(*) AS bin_counts, min(c.n) AS n,
       bool_and(c.ascending_rows::text = ARRAY[e.quantiles, e.quantiles, e.quantiles]::text) AS ascending_rows_match,
       bool_and(c.descending_rows::text = ARRAY[e.quantiles, e.quantiles, e.quantiles]::text) AS descending_rows_match
FROM computed c JOIN expected e USING (shape, bins)
GROUP BY c.shape ORDER BY c.shape;
DROP TABLE quantile_inputs;

-- heavy ties: 60% ordered once; customers with the same value share a score
CREATE TABLE customers AS
SELECT g AS id, (g * 37 % 400)::float8 AS recency_days,
       CASE WHEN g <= 60 THEN 1 WHEN g <= 80 THEN 2 ELSE g - 77 END::float8 AS frequency,
       (g * 13 % 97 + 10)::float8 AS monetary
FROM generate_series(1, 100) g;
CREATE TABLE bp AS SELECT clv_rfm_breakpoints(recency_days, frequency, monetary) AS b FROM customers;
SELECT b FROM bp;
SELECT (clv_rfm(recency_days, frequency, monetary, b)).frequency_score AS f, count(*)
FROM customers, bp GROUP BY 1 ORDER BY 1;
-- every score is 1..5, higher is better: the most recent customer gets recency 5
SELECT id, (clv_rfm(recency_days, frequency, monetary, b)).*
FROM customers, bp WHERE id IN (1, 11, 60, 100) ORDER BY id;
-- a value equal to a breakpoint falls with the smaller values
SELECT (clv_rfm(30, 2, 100, '{{30,60,90,180},{2,3,4,6},{100,200,300,400}}')).*;

-- the standard map: first matching row wins, every named segment is reachable
SELECT priority, segment, recency_min, recency_max, frequency_min, frequency_max,
       monetary_min, monetary_max FROM clv_rfm_standard_segments ORDER BY priority;
SELECT clv_rfm_segment(r, f, m) AS segment, count(*) AS cells
FROM generate_series(1, 5) r, generate_series(1, 5) f, generate_series(1, 5) m
GROUP BY 1 ORDER BY 2 DESC, 1;
SELECT clv_rfm_segment(5, 5, 5), clv_rfm_segment(1, 5, 5), clv_rfm_segment(1, 1, 1),
       clv_rfm_segment(4, 1, 1), clv_rfm_segment(1, 1, 4);
-- a user's own map: their names and ranges; no match gives NULL
CREATE TABLE my_map (priority int, segment text, recency_min int, recency_max int,
                     frequency_min int, frequency_max int, monetary_min numeric, monetary_max numeric);
INSERT INTO my_map VALUES (2, 'Everyone else', NULL, NULL, NULL, NULL, NULL, NULL),
                          (1, 'VIP', 4, NULL, 4, NULL, 4, NULL);
SELECT clv_rfm_segment(5, 5, 5, 'my_map'), clv_rfm_segment(3, 5, 5, 'my_map');
DELETE FROM my_map WHERE priority = 2;
SELECT clv_rfm_segment(3, 5, 5, 'my_map') IS NULL AS unmatched_is_null;
-- a map without the needed columns, or with a nameless row
CREATE TABLE bad_map (priority int, name text);
SELECT clv_rfm_segment(1, 1, 1, 'bad_map');
INSERT INTO my_map VALUES (0, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT clv_rfm_segment(1, 1, 1, 'my_map');
-- breakpoints must be float8[3][n], ascending, finite
SELECT clv_rfm(1, 1, 1, '{1,2,3}');
SELECT clv_rfm(1, 1, 1, '{{1,2},{1,2}}');
SELECT clv_rfm(1, 1, 1, '{{1,2},{1,2},{3,NaN}}');
SELECT clv_rfm(1, 1, 1, '{{2,1},{1,2},{1,2}}');
SELECT clv_rfm(1, 1, 1, '{{1,2},{1,2},{1,NULL}}');
SELECT clv_rfm(-1, 1, 1, '{{1,2},{1,2},{1,2}}');
SELECT clv_rfm(1, 1, 1, NULL) IS NULL AS null_breakpoints_give_null;

-- from summaries: days since the last order, orders, net revenue
CREATE TABLE orders (customer_id int, order_date date, amount float8);
INSERT INTO orders
SELECT c, '2024-01-01'::date + (c * 17 + k * 41) % 700, 20 + (c * k) % 50
FROM generate_series(1, 40) c, generate_series(1, 1 + c % 6) k;
INSERT INTO orders VALUES (41, '2025-06-01', -10);   -- a refund only: no RFM
CREATE TABLE summaries AS
SELECT customer_id, clv_summary(order_date, amount, '2025-12-31') AS s
FROM orders GROUP BY customer_id;
SELECT clv_rfm_breakpoints(s) FROM summaries;
SELECT clv_rfm_breakpoints(s) = clv_rfm_breakpoints(
           (s).observation_end - (s).last_order, (s).orders, (s).total_amount) AS same_as_measures
FROM summaries;
-- bins given as NULL take their default, 5
SELECT clv_rfm_breakpoints(s, NULL) = clv_rfm_breakpoints(s) AS null_bins_are_5 FROM summaries;
SELECT customer_id, (clv_rfm(s, b)).*
FROM summaries, (SELECT clv_rfm_breakpoints(s) AS b FROM summaries) q
WHERE customer_id IN (1, 6, 12, 41) ORDER BY customer_id;
SELECT r.segment, count(*)
FROM summaries, (SELECT clv_rfm_breakpoints(s) AS b FROM summaries) q,
     LATERAL clv_rfm(s, b) r
GROUP BY 1 ORDER BY 2 DESC, 1;

-- value tiers: cume_dist over value descending; ties share a tier
SELECT clv_value_tier(x) FROM unnest('{0.005,0.01,0.03,0.2,0.5,1}'::float8[]) x;
SELECT clv_value_tier(0.3, '{0.1,0.5}'), clv_value_tier(NULL);
WITH v AS (SELECT g, CASE WHEN g <= 3 THEN 1000 ELSE 1000 - g END AS clv FROM generate_series(1, 200) g),
t AS (SELECT clv, clv_value_tier(cume_dist() OVER (ORDER BY clv DESC)) AS tier FROM v)
SELECT tier, count(*) AS customers, sum(clv) AS value,
       round(sum(clv) / sum(sum(clv)) OVER (), 4) AS share_of_value
FROM t GROUP BY tier ORDER BY min(clv) DESC;

-- credibility: a tiny profile is pulled toward the grand mean, a big one is not
CREATE TABLE profile_clv AS
SELECT CASE WHEN g <= 3 THEN 'tiny' WHEN g <= 1003 THEN 'big' ELSE 'other' END AS profile,
       CASE WHEN g <= 3 THEN 900 + g
            WHEN g <= 1003 THEN 300 + (g * 7919 % 200)
            ELSE 100 + (g * 104729 % 300) END::float8 AS clv
FROM generate_series(1, 3003) g;
CREATE TABLE groups AS
SELECT profile, count(*) AS n, avg(clv) AS mean, var_samp(clv) AS variance
FROM profile_clv GROUP BY profile;
SELECT groups, customers, round(grand_mean::numeric, 2) AS grand_mean,
       round(within_variance::numeric, 1) AS within_variance,
       round(between_variance::numeric, 1) AS between_variance, round(k::numeric, 3) AS k
FROM (SELECT (clv_credibility_prior(n, mean, variance)).* FROM groups) p;
SELECT g.profile, g.n, round(g.mean::numeric, 1) AS raw_mean,
       round(c.estimate::numeric, 1) AS estimate, round(c.weight::numeric, 4) AS weight,
       round(c.lower_95::numeric, 1) AS lower_95, round(c.upper_95::numeric, 1) AS upper_95
FROM groups g, (SELECT (clv_credibility_prior(n, mean, variance)).* FROM groups) p,
     LATERAL clv_credible_mean(g.n, g.mean, p.grand_mean, p.within_variance, p.between_variance) c
ORDER BY g.n;
-- shrinkage in numbers: weight = n / (n + within/between)
SELECT (clv_credible_mean(3, 900, 300, 10000, 100)).weight = 3.0 / (3 + 100) AS weight_formula;
-- a profile never seen gets the prior, with the between-profile spread
SELECT (clv_credible_mean(0, NULL, 200, 900, 100)).*;
-- no spread between groups: everything is the prior
SELECT (clv_credible_mean(50, 400, 200, 900, 0)).*;
SELECT (clv_credibility_prior(n, mean, variance)).* FROM groups WHERE false;

-- cohort retention from any orders table, odd identifiers included
CREATE TABLE "Shop Orders" ("Customer Id" int, "Ordered At" timestamptz);
INSERT INTO "Shop Orders" VALUES
  (1, '2024-01-05'), (1, '2024-02-05'), (1, '2024-02-06'), (2, '2024-01-20'), (2, '2024-03-01'),
  (3, '2024-02-10'), (3, '2025-02-01'), (4, NULL), (NULL, '2024-01-01');
SELECT * FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At');
SELECT * FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', 'quarter');
SELECT * FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', 'day');
-- a calendar period may be given as the interval it spans; other lengths are refused
SELECT (SELECT array_agg(r ORDER BY r) FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', '3 months') r)
     = (SELECT array_agg(r ORDER BY r) FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', 'quarter') r)
       AS three_months_is_a_quarter,
       (SELECT array_agg(r ORDER BY r) FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', '1 month') r)
     = (SELECT array_agg(r ORDER BY r) FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At') r)
       AS one_month_is_a_month;
SELECT * FROM clv_cohort_retention('"Shop Orders"', 'Customer Id', 'Ordered At', '30 days');
SELECT * FROM clv_cohort_retention('"Shop Orders"', 'customer id', 'Ordered At');
SELECT * FROM clv_cohort_retention(NULL, 'Customer Id', 'Ordered At');

DROP TABLE customers, bp, my_map, bad_map, orders, summaries, profile_clv, groups, "Shop Orders";

-- value tier bounds: a value is in the tier clv_value_tier gives its
-- cume_dist if it is at least the bound, ties and NULLs included
CREATE TEMP TABLE tier_values AS
SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE ((i * 7919) % 97)::float8 END AS v FROM generate_series(1, 1000) i;
SELECT clv_value_tier_bounds(array_agg(v ORDER BY i)) AS bounds FROM tier_values;
SELECT count(*) AS tiers_differing
FROM (SELECT v, clv_value_tier(cume_dist() OVER (ORDER BY v DESC NULLS LAST)) AS ranked FROM tier_values) t,
     (SELECT clv_value_tier_bounds(array_agg(v)) AS b FROM tier_values) b
WHERE ranked IS DISTINCT FROM CASE WHEN v >= b[1] THEN 'top 1%' WHEN v >= b[2] THEN 'top 5%'
                                   WHEN v >= b[3] THEN 'top 20%' ELSE 'rest' END;
-- the same over inputs that make a careless selection slow or wrong, every
-- 17th value NULL (counted, last), with cutoffs from none to all: only the
-- best values a tier can reach are put in order
CREATE TEMP TABLE tier_inputs AS
SELECT shape, i, CASE WHEN i % 17 = 0 THEN NULL ELSE v END AS v
FROM generate_series(1, 5000) i,
     LATERAL (VALUES ('ascending', i::float8), ('descending', -i::float8), ('equal', 7::float8),
                     ('organ pipe', least(i, 5001 - i)::float8), ('two values', (i % 2)::float8),
                     ('few distinct', ((i * 7919) % 13)::float8),
                     ('zeros', CASE WHEN i % 3 = 0 THEN -0.0::float8 ELSE 0 END),
                     ('scattered', ((i * 7919) % 5003)::float8 / 7)) x(shape, v);
SELECT t.shape, count(DISTINCT t.cutoffs) AS cutoff_sets,
       count(*) FILTER (WHERE (SELECT min(c) FROM unnest(t.cutoffs) c WHERE t.top_share <= c)
                              IS DISTINCT FROM
                              (SELECT min(c) FROM unnest(t.cutoffs, b.bounds) u(c, bound) WHERE t.v >= u.bound))
         AS tiers_differing
FROM (SELECT shape, v, cutoffs, cume_dist() OVER (PARTITION BY shape, cutoffs ORDER BY v DESC NULLS LAST) AS top_share
        FROM tier_inputs,
             (VALUES ('{0.01,0.05,0.2}'::float8[]), ('{0.0002,0.5,0.9999}'), ('{1}'), ('{2,0.3}'), ('{-1,0.1}'),
                     ('{0}')) c(cutoffs)) t
JOIN (SELECT shape, cutoffs, clv_value_tier_bounds(array_agg(v ORDER BY i DESC), cutoffs) AS bounds
        FROM tier_inputs,
             (VALUES ('{0.01,0.05,0.2}'::float8[]), ('{0.0002,0.5,0.9999}'), ('{1}'), ('{2,0.3}'), ('{-1,0.1}'),
                     ('{0}')) c(cutoffs)
       GROUP BY shape, cutoffs) b USING (shape, cutoffs)
WHERE t.v IS NOT NULL
GROUP BY t.shape ORDER BY t.shape;
DROP TABLE tier_inputs;
SELECT clv_value_tier_bounds('{}'::float8[]) AS none, clv_value_tier_bounds('{5,5,5}') AS all_tied,
       clv_value_tier_bounds('{9,1,2,3,4,5,6,7,8,10}', '{0.1,0.5}') AS tenths;
SELECT clv_value_tier_bounds('{1,NaN}');
SELECT clv_value_tier_bounds('{1,2}', '{NULL}');
