-- clv_model: text input and output, validation, jsonb; BG/NBD scoring on a
-- model typed in with the published CDNOW parameters.
\set VERBOSITY default

CREATE TABLE models (name text, m clv_model);
INSERT INTO models VALUES
  ('published', 'kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=-9582.4 customers=2357 iterations=0 converged=true penalizer=0'),
  ('with covariance', 'kind=bgnbd r=0.25 alpha=4 a=0.8 b=2.5 log_likelihood=-1 customers=10 iterations=7 converged=false penalizer=0.001 covariance=0.01,0,0,0,0,0.04,0,0,0,0,0.09,0.001,0,0,0.001,0.16');
SELECT name, m FROM models ORDER BY name;
-- text round trip is exact
SELECT name, m::text::clv_model::text = m::text AS round_trip FROM models ORDER BY name;
SELECT name, clv_model_params(m) FROM models ORDER BY name;
SELECT (clv_model_params(m) -> 'std_errors' ->> 'alpha')::float8 AS se_alpha
FROM models WHERE name = 'with covariance';   -- 4 * sqrt(0.04) = 0.8

-- BG/NBD scores with the published parameters (Fader, Hardie & Lee 2005):
-- a customer with x = 2, t_x = 30.43, T = 38.86 weeks expects 1.226
-- purchases in the next 39 weeks
SELECT round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 3) AS expected_39_weeks,
       round(clv_p_alive(m, 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       clv_p_alive(m, 0, 0, 38.86) AS p_alive_no_repeat,
       clv_expected_purchases(m, 0, 2, 30.43, 38.86) AS nothing_in_no_time,
       round(clv_expected_purchases_new(m, 39)::numeric, 4) AS new_customer_39_weeks
FROM models WHERE name = 'published';
-- expected purchases grow with the horizon; P(alive) falls with time since the last purchase
SELECT bool_and(e2 > e1) AS grows_with_t, bool_and(p2 < p1) AS p_alive_falls
FROM models, generate_series(1, 20) k,
     LATERAL (SELECT clv_expected_purchases(m, k, 3, 20, 40) AS e1,
                     clv_expected_purchases(m, k + 1, 3, 20, 40) AS e2,
                     clv_p_alive(m, 3, 40 - k, 40) AS p1,
                     clv_p_alive(m, 3, 40 - k - 1, 40) AS p2) v
WHERE name = 'published';
-- a summary works as well as the three numbers; no purchases gives NULL
SELECT round(clv_expected_purchases(m, 39, s)::numeric, 6) = round(clv_expected_purchases(m, 39, 1, 1, 2)::numeric, 6) AS same,
       clv_p_alive(m, ROW(NULL, NULL, '2025-01-01', 0, 1, 0, -5, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '7 days')::clv_summary) IS NULL AS refund_only
FROM models, (SELECT clv_summary(d, 10, date '2025-01-15', '7 days') AS s
              FROM (VALUES (date '2025-01-01'), ('2025-01-08')) v(d)) q
WHERE name = 'published';

-- Bad input
SELECT 'kind=bgnbd'::clv_model;
SELECT 'kind=weibull r=1'::clv_model;
SELECT 'bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426'::clv_model;
SELECT 'kind=bgnbd r=0 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=-1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=NaN alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1e999 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
-- a discrete model's likelihood is a probability, at most 1; BG/NBD's is a
-- density of the purchase times, above 1 for many purchases per time unit
SELECT 'kind=bgbb alpha=1 beta=1 gamma=1 delta=1 log_likelihood=5 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=5 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=-1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=maybe penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 extra=1'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0,0,1,1,0,0,0,0,1,0,0,0,0,1'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0 covariance=1,0,0,0,0,-1,0,0,0,0,1,0,0,0,0,1'::clv_model;
SELECT 'kind=bgnbd r=1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=-1'::clv_model;
SELECT 'kind=bgnbd r=1x alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT ''::clv_model;
SELECT clv_p_alive(m, -1, 0, 10) FROM models WHERE name = 'published';
SELECT clv_p_alive(m, 1.5, 1, 10) FROM models WHERE name = 'published';
SELECT clv_p_alive(m, 1, 11, 10) FROM models WHERE name = 'published';
SELECT clv_p_alive(m, 1, 0, 10) FROM models WHERE name = 'published';
SELECT clv_p_alive(m, 'NaN', 0, 10) FROM models WHERE name = 'published';
SELECT clv_expected_purchases(m, -1, 1, 1, 10) FROM models WHERE name = 'published';
SELECT clv_expected_purchases(m, 'Infinity', 1, 1, 10) FROM models WHERE name = 'published';
-- a = 1, where the paper's form is 0/0, has its limit (0.08636433402153283441...
-- at 60 digits), between its neighbours
SELECT round(clv_expected_purchases(format('kind=bgnbd r=1 alpha=1 a=%s b=2 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0', a)::clv_model,
                                    10, 1, 1, 10)::numeric, 15) AS expected
FROM (VALUES (0.999999), (1), (1.000001)) v(a);

-- a fit on a handful of customers converges but says how little it knows
-- and flags the model (weak=true in its text, "weak" in its jsonb)
SELECT m::text LIKE '% weak=true%' AS flagged, (clv_model_params(m) ->> 'weak')::boolean AS weak,
       m::text::clv_model::text = m::text AS round_trip
FROM (SELECT clv_fit_bgnbd(x, tx, t) AS m
      FROM (VALUES (1::float8, 5::float8, 10::float8), (2, 8, 12), (0, 0, 9), (3, 7, 15), (0, 0, 11), (1, 2, 10)) v(x, tx, t)) f;
-- a penalizer given as NULL takes its default, none
SELECT clv_fit_bgnbd(x, tx, t, NULL)::text = clv_fit_bgnbd(x, tx, t)::text AS null_penalizer_is_0
FROM (VALUES (1::float8, 5::float8, 10::float8), (2, 8, 12), (0, 0, 9), (3, 7, 15), (0, 0, 11), (1, 2, 10)) v(x, tx, t);

-- MBG/NBD with lifetimes' CDNOW estimates: a customer who never bought again
-- is not certainly alive, unlike under BG/NBD
INSERT INTO models VALUES
  ('modified', 'kind=mbgnbd r=0.525 alpha=6.183 a=0.891 b=1.614 log_likelihood=-9500 customers=2357 iterations=0 converged=true penalizer=0');
SELECT round(clv_p_alive(m, 0, 0, 38.86)::numeric, 4) AS p_alive_no_repeat,
       round((1 / (1 + 0.891 / 1.614 * power((6.183 + 38.86) / 6.183, 0.525)))::numeric, 4) AS by_hand,
       round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 4) AS expected_39_weeks,
       round(clv_expected_purchases_new(m, 39)::numeric, 4) AS new_customer_39_weeks
FROM models WHERE name = 'modified';

-- Pareto/NBD with the published CDNOW estimates
INSERT INTO models VALUES
  ('pareto', 'kind=paretonbd r=0.55 alpha=10.58 s=0.61 beta=11.67 log_likelihood=-9595 customers=2357 iterations=0 converged=true penalizer=0');
SELECT round(clv_p_alive(m, 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       round(clv_p_alive(m, 0, 0, 38.86)::numeric, 4) AS p_alive_no_repeat,
       round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 4) AS expected_39_weeks,
       round(clv_expected_purchases_new(m, 39)::numeric, 4) AS new_customer_39_weeks,
       round((0.55 * 11.67 / (10.58 * (0.61 - 1)) * (1 - power(11.67 / (11.67 + 39), 0.61 - 1)))::numeric, 4) AS new_by_hand
FROM models WHERE name = 'pareto';
-- s = 1 takes the limit of the expected purchases, not a division by zero
SELECT round(clv_expected_purchases_new('kind=paretonbd r=1 alpha=10 s=1 beta=10 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0', 10)::numeric, 6) AS limit_s_1,
       round((1.0 * 10 / 10 * ln(20.0 / 10))::numeric, 6) AS by_hand;

-- Intervals from the parameters' covariance (delta method): four times the
-- covariance doubles the standard error; the 95% interval is z = 1.959964
-- standard errors wide on the log scale; a model without covariance cannot
-- give one
WITH i AS (
  SELECT clv_expected_purchases_interval(m, 39, 2, 30.43, 38.86) AS one,
         clv_expected_purchases_interval(replace(m::text, 'covariance=0.01,0,0,0,0,0.04,0,0,0,0,0.09,0.001,0,0,0.001,0.16',
                                                 'covariance=0.04,0,0,0,0,0.16,0,0,0,0,0.36,0.004,0,0,0.004,0.64')::clv_model,
                                         39, 2, 30.43, 38.86) AS four
  FROM models WHERE name = 'with covariance')
SELECT round(((four).std_error / (one).std_error)::numeric, 6) AS se_ratio,
       round((ln((one).high / (one).estimate) * (one).estimate / (one).std_error)::numeric, 6) AS z_95,
       (one).low < (one).estimate AND (one).estimate < (one).high AS brackets,
       round((one).estimate::numeric, 6) = round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 6) AS same_estimate
FROM i, models WHERE name = 'with covariance';
SELECT clv_expected_purchases_interval(m, 39, 2, 30.43, 38.86) FROM models WHERE name = 'published';
SELECT clv_expected_purchases_interval(m, 39, 2, 30.43, 38.86, 1) FROM models WHERE name = 'with covariance';

-- The next purchase: under BG/NBD an alive customer does buy again, so the
-- probability is P(alive), and the median wait is (alpha+T)(2^(1/(r+x)) - 1);
-- under Pareto/NBD death can come first, and with almost no deaths
-- (beta = 10000) it tends to the same
SELECT round((n).probability::numeric, 6) = round(clv_p_alive(m, 2, 30.43, 38.86)::numeric, 6) AS is_p_alive,
       round((n).median_wait::numeric, 6) AS median_wait,
       round(((4.414 + 38.86) * (power(2, 1 / 2.243) - 1))::numeric, 6) AS by_hand
FROM models, LATERAL (SELECT clv_next_purchase(m, 2, 30.43, 38.86) AS n) q WHERE name = 'published';
SELECT round((clv_next_purchase(m, 2, 30.43, 38.86)).probability::numeric, 4) AS pareto_probability,
       round((clv_next_purchase(m, 2, 30.43, 38.86)).median_wait::numeric, 4) AS pareto_median_wait
FROM models WHERE name = 'pareto';
SELECT round((n).probability::numeric, 3) AS probability, round((n).median_wait::numeric, 2) AS median_wait,
       round(((10.58 + 38.86) * (power(2, 1 / 2.55) - 1))::numeric, 2) AS no_death_median
FROM (SELECT clv_next_purchase('kind=paretonbd r=0.55 alpha=10.58 s=0.61 beta=10000 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
                               2, 30.43, 38.86) AS n) q;

-- No purchase in the next t: 1 for t = 0, falling with t, towards 1 - P(alive)
-- under BG/NBD; under Pareto/NBD, 1 - (next purchase probability) for t -> infinity
SELECT name, clv_p_no_purchase(m, 0, 2, 30.43, 38.86) AS at_zero,
       round(clv_p_no_purchase(m, 39, 2, 30.43, 38.86)::numeric, 4) AS in_39_weeks,
       clv_p_no_purchase(m, 39, 2, 30.43, 38.86) > clv_p_no_purchase(m, 78, 2, 30.43, 38.86) AS falls,
       round(clv_p_no_purchase(m, 1e7, 2, 30.43, 38.86)::numeric, 3) AS in_the_long_run,
       round(CASE name WHEN 'published' THEN 1 - clv_p_alive(m, 2, 30.43, 38.86)
                       ELSE 1 - (clv_next_purchase(m, 2, 30.43, 38.86)).probability END::numeric, 3) AS expected_long_run
FROM models WHERE name IN ('published', 'pareto') ORDER BY name;

-- Exactly k purchases in the next 39 weeks: the probabilities add up to 1,
-- their mean is the expected purchases, and k = 0 is clv_p_no_purchase
-- (computed another way, for Pareto/NBD by another integral)
SELECT name,
       round(sum(p)::numeric, 6) AS total,
       round(sum(k * p)::numeric, 6) = round(max(clv_expected_purchases(m, 39, 2, 30.43, 38.86))::numeric, 6) AS mean_is_expected,
       round(sum(p) FILTER (WHERE k = 0)::numeric, 6) = round(max(clv_p_no_purchase(m, 39, 2, 30.43, 38.86))::numeric, 6) AS zero_is_no_purchase,
       round(max(p) FILTER (WHERE k = 1)::numeric, 4) AS p_one
FROM models, generate_series(0, 200) k, LATERAL (SELECT clv_p_purchases(m, k, 39, 2, 30.43, 38.86) AS p) q
WHERE name IN ('published', 'modified', 'pareto')
GROUP BY name ORDER BY name;
SELECT clv_p_purchases(m, -1, 39, 2, 30.43, 38.86) FROM models WHERE name = 'published';
-- an absurd count is simply improbable, and answered at once
SELECT name, round(clv_p_purchases(m, 2147483647, 39, 2, 30.43, 38.86)::numeric, 12) AS p
FROM models WHERE name IN ('published', 'modified', 'pareto') ORDER BY name;
-- above k = 1000 P(N < k) is the incomplete beta function: the probabilities
-- over a horizon where thousands of purchases are likely still sum to 1 and
-- give the expected count, across the switch; and the point where the
-- function turns from one side to the other (once a backend crash)
SELECT name, round(sum(p)::numeric, 6) AS total,
       round(sum(k * p)::numeric, 3) = round(max(clv_expected_purchases(m, 20000, 2, 30.43, 38.86))::numeric, 3) AS mean_is_expected
FROM models, generate_series(0, 20000) k, LATERAL (SELECT clv_p_purchases(m, k, 20000, 2, 30.43, 38.86) AS p) q
WHERE name IN ('published', 'modified') GROUP BY name ORDER BY name;
SELECT clv_p_purchases(m, 4097, 54682.963922293879, 2, 30.43, 38.86) BETWEEN 0 AND 1 AS probability
FROM models WHERE name = 'published';

-- Gamma-Gamma: published CDNOW parameters (p = 6.25, q = 3.74, gamma = 15.44)
INSERT INTO models VALUES
  ('spend', 'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-4055.9 customers=946 iterations=0 converged=true penalizer=0');
SELECT round(clv_expected_spend(m, 2, 22.35)::numeric, 4) AS repeat_buyer,
       round(clv_expected_spend(m, 0, 0)::numeric, 4) AS population_mean,   -- gamma p / (q - 1)
       round((15.44 * 6.25 / 2.74)::numeric, 4) AS by_hand
FROM models WHERE name = 'spend';
-- predicted value: zero periods is worth nothing; more periods are worth more;
-- a margin scales it; a higher discount rate lowers it
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 0, 0.01, 4) AS nothing,
       clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 24, 0.01, 4)
         > clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4) AS longer_is_more,
       round((clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4, 0.3)
         / clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4))::numeric, 12) AS margin_ratio,
       clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.2, 4)
         < clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4) AS discounting_lowers
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
-- a summary: its own time unit converts the period
SELECT round(clv_predicted_value(b.m, g.m, s, 12, 0.01, '28 days')::numeric, 9)
     = round(clv_predicted_value(b.m, g.m, 1, 1, 2, 10, 12, 0.01, 4)::numeric, 9) AS four_weeks_a_period
FROM models b, models g, (SELECT clv_summary(d, 10, date '2025-01-15', '7 days') AS s
                          FROM (VALUES (date '2025-01-01'), ('2025-01-08')) v(d)) q
WHERE b.name = 'published' AND g.name = 'spend';
-- refunds-only customers are skipped by the spend fit, with a notice
SELECT clv_fit_gammagamma(x, m) IS NOT NULL AS fitted
FROM (VALUES (1::float8, 10::float8), (2, 12), (1, -5), (3, 9), (2, 11), (1, 14), (4, 10)) v(x, m);

-- Bad input
SELECT clv_expected_spend(m, 2, 22.35) FROM models WHERE name = 'published';
SELECT clv_p_alive(m, 1, 1, 2) FROM models WHERE name = 'spend';
SELECT clv_expected_spend(m, 1.5, 22.35) FROM models WHERE name = 'spend';
SELECT clv_expected_spend(m, 1, 'NaN') FROM models WHERE name = 'spend';
SELECT clv_fit_gammagamma(2, 'Infinity');
SELECT clv_fit_gammagamma(x, 10, -0.5) FROM generate_series(1, 3) x;
SELECT clv_predicted_value(g.m, b.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, -1, 0.01, 4)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 1201, 0.01, 4)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, -1, 4)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 0)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, 2, 30.43, 38.86, 22.35, 12, 0.01, 4, 35)
FROM models b, models g WHERE b.name = 'published' AND g.name = 'spend';
-- a period with months is as long as EXTRACT(epoch) counts it: '1 month' is '30 days'
SELECT clv_predicted_value(b.m, g.m, s, 12, 0.01, '1 month') = clv_predicted_value(b.m, g.m, s, 12, 0.01, '30 days')
       AS month_is_30_days,
       clv_predicted_value(b.m, g.m, s, 2, 0.01, '1 year') = clv_predicted_value(b.m, g.m, s, 2, 0.01, '365 days 6 hours')
       AS year_is_365_25_days
FROM models b, models g, (SELECT clv_summary(date '2025-01-01', 10, date '2025-01-15') AS s) q
WHERE b.name = 'published' AND g.name = 'spend';
SELECT clv_predicted_value(b.m, g.m, s, 12, 0.01, '0 days')
FROM models b, models g, (SELECT clv_summary(date '2025-01-01', 10, date '2025-01-15') AS s) q
WHERE b.name = 'published' AND g.name = 'spend';

DROP TABLE models;
