-- The models fitted in the database reproduce the literature on the CDNOW
-- sample: BG/NBD r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
-- LL = -9582.4, and 1.226 expected purchases in 39 weeks for x = 2,
-- t_x = 30.43, T = 38.86 (Fader, Hardie & Lee 2005, "Counting your
-- customers the easy way"); Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44
-- (Fader, Hardie & Lee 2005, "RFM and CLV"); and the customer lifetime
-- values of lifetimes' documentation (140.10, 18.94, 38.18 for its first
-- customers), with lifetimes' own time steps.  Skipped without ../shared/data.
\ir ../include/prologue.psql
\ir ../include/cdnow.psql
BEGIN;
SELECT plan(33);
\if :have_cdnow
CREATE TEMP TABLE summaries AS
SELECT id, clv_summary(day, dollars, date '1997-09-30', '7 days') AS s
FROM cdnow_orders
WHERE day <= '1997-09-30'
GROUP BY 1;
CREATE TEMP TABLE fit AS SELECT clv_fit_bgnbd(s) AS m FROM summaries;
CREATE TEMP TABLE p AS SELECT clv_model_params(m) AS j, m FROM fit;

SELECT is(round((j ->> 'r')::numeric, 3), 0.243, 'r = 0.243') FROM p;
SELECT is(round((j ->> 'alpha')::numeric, 3), 4.414, 'alpha = 4.414') FROM p;
SELECT is(round((j ->> 'a')::numeric, 3), 0.793, 'a = 0.793') FROM p;
SELECT is(round((j ->> 'b')::numeric, 3), 2.426, 'b = 2.426') FROM p;
SELECT is(round((j ->> 'log_likelihood')::numeric, 1), -9582.4, 'log-likelihood = -9582.4') FROM p;
SELECT is(round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 3), 1.226,
          'x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks') FROM p;
SELECT ok((j ->> 'converged')::boolean AND (j ->> 'customers')::int = 2357, 'converged, over 2,357 customers') FROM p;
-- the same fit from the three numbers, rounded as the published summary file is
SELECT is(round((clv_model_params(clv_fit_bgnbd((s).frequency, round((s).recency::numeric, 2)::float8,
                                                  round((s).age::numeric, 2)::float8)) ->> 'r')::numeric, 3),
          0.243, 'the same r from (frequency, recency, age) rounded to 2 decimals') FROM summaries;
SELECT ok((j -> 'std_errors' ->> 'r')::float8 BETWEEN 0.01 AND 0.015
          AND (j -> 'std_errors' ->> 'alpha')::float8 BETWEEN 0.3 AND 0.45,
          'standard errors of r and alpha about 0.0126 and 0.378') FROM p;

-- Gamma-Gamma on the published repeat-spend summary (946 repeat buyers)
CREATE TEMP TABLE spend AS SELECT clv_fit_gammagamma(x, zbar) AS gg FROM cdnow_published;
CREATE TEMP TABLE gp AS SELECT clv_model_params(gg) AS j, gg FROM spend;
SELECT is(round((j ->> 'p')::numeric, 2), 6.25, 'Gamma-Gamma p = 6.25') FROM gp;
SELECT is(round((j ->> 'q')::numeric, 2), 3.74, 'Gamma-Gamma q = 3.74') FROM gp;
-- the summary file's 2-decimal rounding moves gamma to 15.45, as lifetimes
-- reports from the same file; the unrounded summaries give the paper's 15.44
SELECT is(round((j ->> 'gamma')::numeric, 2), 15.45, 'Gamma-Gamma gamma = 15.45 on the rounded file') FROM gp;
SELECT is((j ->> 'customers')::int, 946, 'fitted on the 946 repeat buyers') FROM gp;
SELECT is((SELECT ARRAY[round((j ->> 'p')::numeric, 2), round((j ->> 'q')::numeric, 2), round((j ->> 'gamma')::numeric, 2)]
           FROM (SELECT clv_model_params(clv_fit_gammagamma(s)) AS j FROM summaries) q),
          ARRAY[6.25, 3.74, 15.44], 'p, q, gamma = 6.25, 3.74, 15.44 from our own unrounded summaries');

-- lifetimes' customer_lifetime_value(bgf, ..., time=12, discount_rate=0.01)
-- on this weekly data steps 30 time units per "month", i.e. 30 weeks
CREATE TEMP TABLE bg_published AS SELECT clv_fit_bgnbd(x, t_x, t) AS bg FROM cdnow_published;
CREATE TEMP TABLE values_lifetimes AS
SELECT id, clv_predicted_value(bg, gg, x, t_x, t, zbar, 12, 0.01, 30) AS v
FROM cdnow_published, bg_published, spend WHERE id <= 3;
SELECT is(array_agg(round(v::numeric, 2) ORDER BY id), ARRAY[140.10, 18.94, 38.18],
          'predicted values as lifetimes documents them for customers 1, 2, 3') FROM values_lifetimes;
SELECT is(round(clv_expected_spend(gg, 2, 22.35)::numeric, 2), 24.66,
          'expected spend of customer 1 as lifetimes documents it') FROM spend;
-- with months of 30 days, from the weekly summaries' own unit
SELECT ok(clv_predicted_value(bg, gg, s, 12, 0.01, '30 days')
          < clv_predicted_value(bg, gg, s, 12, 0.01, '210 days'),
          'a period of 30 days is 30/7 weeks, not 30 weeks')
FROM summaries, bg_published, spend WHERE id = 1;

-- MBG/NBD on the same file: lifetimes' own test suite expects
-- r, alpha, a, b = 0.525, 6.183, 0.891, 1.614
SELECT is((SELECT ARRAY[round((j ->> 'r')::numeric, 3), round((j ->> 'alpha')::numeric, 3),
                        round((j ->> 'a')::numeric, 3), round((j ->> 'b')::numeric, 3)]
           FROM (SELECT clv_model_params(clv_fit_mbgnbd(x, t_x, t)) AS j FROM cdnow_published) q),
          ARRAY[0.525, 6.183, 0.891, 1.614], 'MBG/NBD r, alpha, a, b = 0.525, 6.183, 0.891, 1.614');
SELECT ok((SELECT avg(clv_p_alive(m, x, t_x, t)) FILTER (WHERE x = 0) BETWEEN 0.3 AND 0.5
           FROM cdnow_published, (SELECT clv_fit_mbgnbd(x, t_x, t) AS m FROM cdnow_published) f),
          'MBG/NBD gives one-time buyers a P(alive) well below 1 (BG/NBD: exactly 1)');

-- Pareto/NBD on the same data: r = 0.55, alpha = 10.58, s = 0.61,
-- beta = 11.67, LL = -9595.0 (the estimates Fader, Hardie & Lee 2005 report
-- beside BG/NBD's), and P(alive) 0.30 to 0.38 for customers with x = 0
CREATE TEMP TABLE pareto AS SELECT clv_fit_paretonbd(s) AS m FROM summaries;
SELECT is((SELECT ARRAY[round((j ->> 'r')::numeric, 2), round((j ->> 'alpha')::numeric, 2),
                        round((j ->> 's')::numeric, 2), round((j ->> 'beta')::numeric, 2)]
           FROM (SELECT clv_model_params(m) AS j FROM pareto) q),
          ARRAY[0.55, 10.58, 0.61, 11.67], 'Pareto/NBD r, alpha, s, beta = 0.55, 10.58, 0.61, 11.67');
SELECT is((SELECT round((clv_model_params(m) ->> 'log_likelihood')::numeric, 1) FROM pareto), -9595.0,
          'Pareto/NBD log-likelihood = -9595.0');
SELECT ok((SELECT min(clv_p_alive(m, s)) >= 0.29 AND max(clv_p_alive(m, s)) <= 0.39
           FROM summaries, pareto WHERE (s).frequency = 0),
          'Pareto/NBD P(alive) of customers without repeat purchases lies between 0.29 and 0.39');

-- Calibration and holdout in one query, and the conditional-expectations
-- table of the papers: holdout repeat purchases (distinct days, 1997-10-01 to
-- 1998-06-30) per calibration frequency, actual against predicted
CREATE TEMP TABLE split AS
SELECT id,
       clv_summary(day, dollars, date '1997-09-30', '7 days') FILTER (WHERE day <= '1997-09-30') AS calibration,
       count(DISTINCT day) FILTER (WHERE day > '1997-09-30' AND dollars >= 0) AS holdout
FROM cdnow_orders
GROUP BY 1;
SELECT is((SELECT sum(holdout) FROM split), 1882::numeric, '1,882 holdout purchase days');
SELECT is((SELECT array_agg(round(actual, 3) ORDER BY x)
           FROM (SELECT least((calibration).frequency, 7) AS x, avg(holdout) AS actual FROM split GROUP BY 1) q),
          ARRAY[0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359],
          'actual mean holdout purchases for x = 0 .. 7+, as in the papers'' conditional-expectations figure');
SELECT ok((SELECT abs(sum(clv_expected_purchases(bg, 39, calibration)) / sum(holdout) - 1) < 0.15
           FROM split, (SELECT clv_fit_bgnbd(calibration) AS bg FROM split) m),
          'BG/NBD predicts the holdout total within 15%');
-- The same comparison in one call: clv_evaluate fits every model on the
-- calibration window and compares it with the holdout, and gives the
-- published totals (Fader, Hardie & Lee 2005; BG/NBD 1,653 and Pareto/NBD
-- 1,666 repeat purchases predicted against 1,882 in the 39 weeks)
CREATE TEMP TABLE evaluation AS
SELECT * FROM clv_evaluate('cdnow_orders', 'id', 'day', 'dollars', '1997-09-30', '1998-06-30', '7 days');
-- (the regularity models choose k = 1 on CDNOW, so they are MBG/NBD and BG/NBD)
SELECT is((SELECT array_agg(round(predicted_total::numeric) ORDER BY array_position(ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd'], model))
           FROM evaluation WHERE calibration_frequency IS NULL AND model <> 'gammagamma'),
          ARRAY[1653, 1577, 1666, 1577, 1653]::numeric[],
          'clv_evaluate: BG/NBD, MBG/NBD, Pareto/NBD predict 1,653, 1,577, 1,666; MBG/CNBD-k and BG/CNBD-k (k = 1) as MBG/NBD and BG/NBD');
SELECT is((SELECT array_agg(DISTINCT actual_total) FROM evaluation WHERE calibration_frequency IS NULL AND model <> 'gammagamma'),
          ARRAY[1882]::float8[], 'clv_evaluate: 1,882 actual for every model');
SELECT is((SELECT array_agg(round(actual_mean::numeric, 3) ORDER BY calibration_frequency) FROM evaluation
           WHERE model = 'bgnbd' AND calibration_frequency IS NOT NULL),
          ARRAY[0.237, 0.697, 1.393, 1.560, 2.532, 2.947, 3.862, 6.359],
          'clv_evaluate: the actual means by calibration frequency 0 .. 7+');
SELECT is((SELECT array_agg(round(log_likelihood::numeric, 1) ORDER BY array_position(ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd'], model))
           FROM evaluation WHERE calibration_frequency IS NULL AND model <> 'gammagamma'),
          ARRAY[-9582.4, -9582.1, -9595.0, -9582.1, -9582.4], 'clv_evaluate: the calibration log-likelihoods of the papers');
SELECT is((SELECT array_agg(round(predicted_mean::numeric, 3) ORDER BY calibration_frequency) FROM evaluation
           WHERE model = 'paretonbd' AND calibration_frequency IS NOT NULL),
          (SELECT array_agg(round(p, 3) ORDER BY x)
             FROM (SELECT least((calibration).frequency, 7) AS x, avg(clv_expected_purchases(m, 39, calibration))::numeric AS p
                     FROM split, pareto GROUP BY 1) q),
          'clv_evaluate: Pareto/NBD''s means by frequency are those of the query by hand');

-- BG/NBD's and MBG/NBD's likelihoods are densities of the purchase times:
-- with time in years (c = 365.25 / 7 weeks each) every purchase time's
-- density is c times that in weeks, so the log-likelihood grows by
-- ln(c) per repeat purchase, to above 0 here, and the fit is the same with
-- alpha divided by c (up to 0.3.x such a fit was refused as "invalid")
CREATE TEMP TABLE in_years AS
SELECT kind, w, y, (SELECT sum((s).frequency) FROM summaries) AS purchases
FROM (SELECT 'bgnbd' AS kind, clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency, (s).age)) AS w,
             clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency / (365.25 / 7), (s).age / (365.25 / 7))) AS y
        FROM summaries
      UNION ALL
      SELECT 'mbgnbd', clv_model_params(clv_fit_mbgnbd((s).frequency, (s).recency, (s).age)),
             clv_model_params(clv_fit_mbgnbd((s).frequency, (s).recency / (365.25 / 7), (s).age / (365.25 / 7)))
        FROM summaries) f;
SELECT ok(bool_and((y ->> 'converged')::boolean AND (y ->> 'log_likelihood')::float8 > 0),
          'BG/NBD and MBG/NBD fitted in years converge, with a log-likelihood above 0') FROM in_years;
SELECT ok(bool_and(abs((y ->> 'log_likelihood')::float8 - (w ->> 'log_likelihood')::float8 - purchases * ln(365.25 / 7)) < 1e-6),
          'in years the log-likelihood is that in weeks plus ln(365.25 / 7) per repeat purchase') FROM in_years;
SELECT ok(bool_and(abs((y ->> 'alpha')::float8 * (365.25 / 7) / (w ->> 'alpha')::float8 - 1) < 1e-5
                   AND abs((y ->> 'r')::float8 / (w ->> 'r')::float8 - 1) < 1e-5
                   AND abs((y ->> 'a')::float8 / (w ->> 'a')::float8 - 1) < 1e-5
                   AND abs((y ->> 'b')::float8 / (w ->> 'b')::float8 - 1) < 1e-5),
          'in years the same r, a and b, and alpha divided by 365.25 / 7') FROM in_years;
\else
SELECT skip('CDNOW data not found beside the checkout (../shared/data)', 33);
\endif
SELECT * FROM finish();
ROLLBACK;
