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
SELECT 'kind=paretonbd r=1'::clv_model;
SELECT 'bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426'::clv_model;
SELECT 'kind=bgnbd r=0 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=-1 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=NaN alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
SELECT 'kind=bgnbd r=1e999 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model;
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
SELECT clv_expected_purchases('kind=bgnbd r=1 alpha=1 a=1 b=2 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0', 10, 1, 1, 10);

-- a fit on a handful of customers converges but says how little it knows
SELECT clv_fit_bgnbd(x, tx, t) IS NOT NULL AS fitted
FROM (VALUES (1::float8, 5::float8, 10::float8), (2, 8, 12), (0, 0, 9), (3, 7, 15), (0, 0, 11), (1, 2, 10)) v(x, tx, t);

DROP TABLE models;
