-- BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with static covariates
-- (src/covariates.c): the fit without covariates inside each is the plain
-- fit; with every covariate 0 the model is the plain model; coefficients
-- recovered from data simulated with known ones; on the CDNOW sample, the
-- fits with the first purchase's value as covariate agree with independent
-- implementations (test/numerics/covariates_reference.py, which checks the
-- table below); scores are the plain model's at the customer's own
-- parameters; the same fit in parallel, from text-shipped partial states
-- and through binary COPY; bad input refused.
\ir ../include/prologue.psql
\ir ../include/cdnow.psql
BEGIN;
SELECT plan(136);
-- the fits below that flag a weak model warn; the flag is what is tested
SET LOCAL client_min_messages = error;
SELECT setseed(0.27);

\ir ../include/rgamma.psql
\ir ../include/simulate_purchases.psql

-- 20,000 customers: channel (0 or 1) and a standardised first order value;
-- truth: baseline r 0.5, alpha 5, a 0.8, b 2.5; purchase (0.7, -0.4),
-- dropout_a (0.5, 0), dropout_b (-0.5, 0.3)
CREATE TEMP TABLE truth (grp text, k integer, value float8);
INSERT INTO truth VALUES ('purchase', 1, 0.7), ('purchase', 2, -0.4), ('dropout_a', 1, 0.5),
    ('dropout_a', 2, 0), ('dropout_b', 1, -0.5), ('dropout_b', 2, 0.3);
CREATE TEMP TABLE people AS
SELECT g AS id, (random() < 0.4)::int::float8 AS channel,
       sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS value, 26 + 26 * random() AS age
FROM generate_series(1, 20000) g;
CREATE TEMP TABLE sim AS
SELECT p.id, ARRAY[p.channel, p.value] AS z, s.frequency, s.recency, s.age
FROM people p,
     LATERAL pg_temp.simulate_bgnbd(0.5, 5 * exp(-(0.7 * p.channel - 0.4 * p.value)),
                                    0.8 * exp(0.5 * p.channel), 2.5 * exp(-0.5 * p.channel + 0.3 * p.value),
                                    p.age) s;
ALTER TABLE sim SET (parallel_workers = 2);
ANALYZE sim;

CREATE TEMP TABLE fit AS SELECT clv_fit_bgnbd(frequency, recency, age, z) AS m FROM sim;
CREATE TEMP TABLE j AS SELECT clv_model_params(m) AS j FROM fit;

-- Ten estimates each within 2 standard errors of the truth would fail for
-- 40% of seeds even with a perfect fit (0.95^10); so each within 3 (all ten
-- together about 97% of the time), and at least 8 of the 10 within 2.
CREATE TEMP TABLE recovered AS
SELECT format('%s coefficient %s', t.grp, t.k) AS what, c.estimate, t.value AS truth, c.std_error
FROM j, jsonb_to_recordset(j -> 'coefficients') AS c("group" text, covariate integer, estimate float8, std_error float8)
JOIN truth t ON t.grp = c."group" AND t.k = c.covariate
UNION ALL
SELECT 'baseline ' || key, (j ->> key)::float8, truth, (j -> 'std_errors' ->> key)::float8
FROM j, (VALUES ('r', 0.5), ('alpha', 5.0), ('a', 0.8), ('b', 2.5)) t(key, truth);
SELECT ok(abs(estimate - truth) < 3 * std_error,
          format('%s recovered: %s, truth %s, standard error %s', what,
                 round(estimate::numeric, 3), truth, round(std_error::numeric, 3)))
FROM recovered ORDER BY what;
SELECT cmp_ok((SELECT count(*) FROM recovered WHERE abs(estimate - truth) < 2 * std_error)::int, '>=', 8,
              'at least 8 of the 10 estimates within 2 standard errors of the truth');

-- MBG/NBD: the same story with a drop-out chance at the first purchase too
CREATE TEMP TABLE sim_mbg AS
SELECT p.id, ARRAY[p.channel, p.value] AS z, s.frequency, s.recency, s.age
FROM people p,
     LATERAL pg_temp.simulate_bgnbd(0.5, 5 * exp(-(0.7 * p.channel - 0.4 * p.value)),
                                    0.8 * exp(0.5 * p.channel), 2.5 * exp(-0.5 * p.channel + 0.3 * p.value),
                                    p.age, true) s;
CREATE TEMP TABLE recovered_mbg AS
SELECT format('%s coefficient %s', t.grp, t.k) AS what, c.estimate, t.value AS truth, c.std_error
FROM (SELECT clv_model_params(clv_fit_mbgnbd(frequency, recency, age, z)) AS j FROM sim_mbg) f,
     jsonb_to_recordset(j -> 'coefficients') AS c("group" text, covariate integer, estimate float8, std_error float8)
JOIN truth t ON t.grp = c."group" AND t.k = c.covariate;
SELECT ok(abs(estimate - truth) < 3 * std_error,
          format('MBG/NBD %s recovered: %s, truth %s, standard error %s', what,
                 round(estimate::numeric, 3), truth, round(std_error::numeric, 3)))
FROM recovered_mbg ORDER BY what;

SELECT ok((j -> 'likelihood_ratio' ->> 'p_value')::float8 < 1e-6 AND (j -> 'likelihood_ratio' ->> 'df')::int = 6
          AND (j ->> 'customers')::int = 20000 AND (j ->> 'converged')::boolean AND NOT (j ->> 'weak')::boolean,
          'the covariates matter: likelihood-ratio test on 6 degrees of freedom, p < 1e-6')
FROM j;

-- the null model inside the fit is clv_fit_bgnbd's, and every covariate 0 gives the plain model
SELECT ok(abs((j ->> 'null_log_likelihood')::float8 - (SELECT (clv_model_params(clv_fit_bgnbd(frequency, recency, age)) ->> 'log_likelihood')::float8 FROM sim)) < 1e-9 * 20000,
          'the fit without covariates is clv_fit_bgnbd''s (log-likelihood)')
FROM j;
CREATE TEMP TABLE zero AS
SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[0::float8, 0])) AS z,
       clv_model_params(clv_fit_bgnbd(frequency, recency, age)) AS p,
       clv_model_params(clv_fit_mbgnbd(frequency, recency, age, ARRAY[0::float8])) AS mz,
       clv_model_params(clv_fit_mbgnbd(frequency, recency, age)) AS mp
FROM sim;
SELECT ok(abs((z ->> key)::float8 / (p ->> key)::float8 - 1) < 1e-6
          AND abs((mz ->> key)::float8 / (mp ->> key)::float8 - 1) < 1e-6,
          format('covariates all 0: %s is the plain BG/NBD''s and MBG/NBD''s', key))
FROM zero, unnest(ARRAY['r', 'alpha', 'a', 'b', 'log_likelihood']) key;
SELECT ok((z -> 'coefficients' -> 0 ->> 'estimate')::float8 = 0 AND (z ->> 'weak')::boolean,
          'covariates all 0: coefficients 0, and the model flagged weak (they are not identified)')
FROM zero;

-- scores: the plain model's at the customer's own parameters
SELECT is(clv_p_alive(m, 3, 20, 40, ARRAY[1::float8, 0.5]),
          clv_p_alive(clv_model_individual(m, ARRAY[1::float8, 0.5]), 3, 20, 40),
          'clv_p_alive with covariates is the individual model''s')
FROM fit;
SELECT is(clv_expected_purchases(m, 10, 3, 20, 40, ARRAY[1::float8, 0.5]),
          clv_expected_purchases(clv_model_individual(m, ARRAY[1::float8, 0.5]), 10, 3, 20, 40),
          'clv_expected_purchases with covariates is the individual model''s')
FROM fit;
SELECT ok(abs((clv_model_params(clv_model_individual(m, ARRAY[1::float8, 0.5])) ->> 'alpha')::float8
              / ((j ->> 'alpha')::float8 * exp(-((j -> 'coefficients' -> 0 ->> 'estimate')::float8
                                                 + 0.5 * (j -> 'coefficients' -> 1 ->> 'estimate')::float8))) - 1) < 1e-12,
          'the individual alpha is alpha exp(-purchase''z)')
FROM fit, j;
-- a new customer's expected purchases in a year, by channel, against the true model's
SELECT ok(abs(clv_expected_purchases_new(m, 52, ARRAY[c, 0]) / clv_expected_purchases_new(
              format('kind=bgnbd r=0.5 alpha=%s a=%s b=%s log_likelihood=-1 customers=0 iterations=0 converged=true penalizer=0',
                     5 * exp(-0.7 * c), 0.8 * exp(0.5 * c), 2.5 * exp(-0.5 * c))::clv_model, 52) - 1) < 0.05,
          format('a new customer from channel %s: %s purchases expected in a year, within 5%% of the truth', c,
                 round(clv_expected_purchases_new(m, 52, ARRAY[c, 0])::numeric, 3)))
FROM fit, unnest(ARRAY[0::float8, 1]) c;
SELECT is(clv_p_alive(m, 3, 20, 40, ARRAY[0::float8, 0]),
          clv_p_alive(clv_model_individual(m, ARRAY[0::float8, 0]), 3, 20, 40),
          'covariates 0: the baseline')
FROM fit;

-- Pareto/NBD and Gamma-Gamma: 10,000 customers each with one covariate;
-- Pareto/NBD's channel buys more (purchase 0.5) and dies sooner (dropout
-- 0.6: beta exp(-0.6)); Gamma-Gamma's standard normal value spends more
-- (spend 0.3: gamma exp(0.3 z))
CREATE TEMP TABLE sim_pareto AS
SELECT g AS id, ARRAY[c] AS z, s.frequency, s.recency, s.age
FROM (SELECT g, (random() < 0.5)::int::float8 AS c, 26 + 26 * random() AS age
      FROM generate_series(1, 10000) g) p,
     LATERAL pg_temp.simulate_paretonbd(0.55, 10.5 * exp(-0.5 * c), 0.6, 12 * exp(-0.6 * c), age) s;
CREATE TEMP TABLE sim_spend AS
SELECT x, ARRAY[v] AS z, pg_temp.rgamma(6 * x, 1 / (x * nu)) AS m
FROM (SELECT x, v, pg_temp.rgamma(4, 1 / (15 * exp(0.3 * v))) AS nu
      FROM (SELECT 1 + floor(-ln(1 - random()) * 3 + 0 * g) AS x,
                   sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS v
            FROM generate_series(1, 10000) g) c) d;
CREATE TEMP TABLE more_fits AS
SELECT 'paretonbd' AS model, clv_fit_paretonbd(frequency, recency, age, z) AS m,
       clv_model_params(clv_fit_paretonbd(frequency, recency, age, ARRAY[0::float8])) AS zero,
       clv_model_params(clv_fit_paretonbd(frequency, recency, age)) AS plain
FROM sim_pareto
UNION ALL
SELECT 'gammagamma', clv_fit_gammagamma(x, m, z), clv_model_params(clv_fit_gammagamma(x, m, ARRAY[0::float8])),
       clv_model_params(clv_fit_gammagamma(x, m))
FROM sim_spend;
SELECT ok(abs(c.estimate - t.value) < 3 * c.std_error,
          format('%s %s coefficient recovered: %s, truth %s, standard error %s', f.model, t.grp,
                 round(c.estimate::numeric, 3), t.value, round(c.std_error::numeric, 3)))
FROM more_fits f, jsonb_to_recordset(clv_model_params(f.m) -> 'coefficients') AS c("group" text, estimate float8, std_error float8)
JOIN (VALUES ('purchase', 0.5), ('dropout', 0.6), ('spend', 0.3)) t(grp, value) ON t.grp = c."group"
ORDER BY f.model, t.grp;
SELECT ok(abs((clv_model_params(f.m) ->> key)::float8 - truth) < 3 * (clv_model_params(f.m) -> 'std_errors' ->> key)::float8,
          format('%s baseline %s recovered: %s, truth %s', f.model, key, round((clv_model_params(f.m) ->> key)::numeric, 3), truth))
FROM more_fits f JOIN (VALUES ('paretonbd', 'r', 0.55), ('paretonbd', 'alpha', 10.5), ('paretonbd', 's', 0.6),
                              ('paretonbd', 'beta', 12.0), ('gammagamma', 'p', 6.0), ('gammagamma', 'q', 4.0),
                              ('gammagamma', 'gamma', 15.0)) t(model, key, truth) USING (model)
ORDER BY f.model, key;
SELECT ok(abs((zero ->> key)::float8 / (plain ->> key)::float8 - 1) < 1e-6,
          format('%s with covariates all 0: %s is the plain fit''s', model, key))
FROM more_fits, unnest(ARRAY['r', 'alpha', 's', 'beta', 'p', 'q', 'gamma', 'log_likelihood']) key
WHERE zero ? key ORDER BY model, key;
SELECT ok((clv_model_params(m) -> 'likelihood_ratio' ->> 'p_value')::float8 < 1e-6,
          format('%s: the covariate matters (likelihood ratio %s)', model,
                 round((clv_model_params(m) -> 'likelihood_ratio' ->> 'statistic')::numeric)))
FROM more_fits ORDER BY model;
SELECT is(clv_expected_purchases(m, 10, 3, 20, 40, ARRAY[1::float8]),
          clv_expected_purchases(clv_model_individual(m, ARRAY[1::float8]), 10, 3, 20, 40),
          'Pareto/NBD: expected purchases with covariates are the individual model''s')
FROM more_fits WHERE model = 'paretonbd';
SELECT is(clv_expected_purchases_new(m, 52, ARRAY[1::float8]),
          clv_expected_purchases_new(clv_model_individual(m, ARRAY[1::float8]), 52),
          'Pareto/NBD: a new customer''s expected purchases with covariates are the individual model''s')
FROM more_fits WHERE model = 'paretonbd';
SELECT ok(clv_expected_spend(m, 3, 20, ARRAY[1::float8]) = clv_expected_spend(clv_model_individual(m, ARRAY[1::float8]), 3, 20)
          AND clv_expected_spend(m, 3, 20, ARRAY[1::float8]) > clv_expected_spend(m, 3, 20, ARRAY[0::float8]),
          'Gamma-Gamma: expected spend with covariates is the individual model''s, and higher for a higher value')
FROM more_fits WHERE model = 'gammagamma';
SELECT throws_ok($$SELECT clv_expected_spend(m, 3, 20, ARRAY[1::float8, 0]) FROM fit$$, '22023',
                 'this function needs a gammagamma model, not bgnbd', 'expected spend refuses a purchase model');
SELECT throws_ok($$SELECT clv_p_alive(m, 3, 20, 40, ARRAY[1::float8]) FROM more_fits WHERE model = 'gammagamma'$$, '22023',
                 'this function needs a purchase model (bgnbd, mbgnbd or paretonbd), not gammagamma',
                 'P(alive) refuses a spend model');
SELECT throws_ok($$SELECT clv_expected_spend(m, 3, 20) FROM more_fits WHERE model = 'gammagamma'$$, '22023',
                 'this function takes a model without covariates',
                 'expected spend without covariates refuses a model fitted with them');

-- the same fit with parallel workers, from partial states shipped as text, and through binary COPY
\ir ../include/force_parallel.psql
SELECT is((SELECT clv_fit_bgnbd(frequency, recency, age, z)::text FROM sim),
          (SELECT m::text FROM fit), 'the parallel fit equals the serial one');
RESET max_parallel_workers_per_gather;
CREATE AGGREGATE pg_temp.fit_state(float8, float8, float8, float8[]) (
    SFUNC = clv_fit_covariates_transfn, STYPE = bigint[], COMBINEFUNC = clv_fit_covariates_combine);
CREATE AGGREGATE pg_temp.fit_merge(bigint[]) (
    SFUNC = clv_fit_covariates_combine, STYPE = bigint[], FINALFUNC = clv_fit_bgnbd_covariates_final);
SELECT is((SELECT pg_temp.fit_merge(state::bigint[])::text
           FROM (SELECT pg_temp.fit_state(frequency, recency, age, z)::text AS state
                 FROM sim GROUP BY id % 5) shards),
          (SELECT m::text FROM fit), 'partial states from five shards, shipped as text, give the same fit');
SELECT is((SELECT m::text::clv_model::text FROM fit), (SELECT m::text FROM fit), 'text round trip is exact');
\ir ../include/binary_round_trip.psql

-- penalizers shrink their own group of coefficients
SELECT ok(abs((p -> 'coefficients' -> 0 ->> 'estimate')::float8) < abs((j -> 'coefficients' -> 0 ->> 'estimate')::float8)
          AND abs((p -> 'coefficients' -> 2 ->> 'estimate')::float8 / (j -> 'coefficients' -> 2 ->> 'estimate')::float8 - 1) < 0.2
          AND (p ->> 'purchase_penalizer')::float8 = 0.5,
          'a purchase penalizer shrinks the purchase coefficients, not the dropout ones')
FROM j, (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, z, 0, 0.5, 0)) AS p FROM sim) q;

-- a category as indicators: one per level after the baseline, in order
SELECT is(clv_indicators('enterprise', ARRAY['consumer', 'small business', 'enterprise'])
          || clv_indicators('consumer', ARRAY['consumer', 'small business', 'enterprise']),
          ARRAY[0, 1, 0, 0]::float8[], 'clv_indicators: the level''s indicator 1, the baseline''s all 0');
SELECT throws_ok($$SELECT clv_indicators('retail', ARRAY['consumer', 'enterprise'])$$, '22023',
                 '''retail'' is not one of the levels {consumer,enterprise}', 'clv_indicators: a value not among the levels');
SELECT is(clv_indicators('enterprise', '[0:2]={consumer,small business,enterprise}'::text[]), ARRAY[0, 1]::float8[],
          'clv_indicators: levels counted from the first element, whatever the lower bound');
SELECT throws_ok($$SELECT clv_indicators('enterprise', ARRAY['consumer', 'enterprise', 'enterprise'])$$, '22023',
                 '''enterprise'' is among the levels {consumer,enterprise,enterprise} more than once',
                 'clv_indicators: a level listed twice');
SELECT throws_ok($$SELECT clv_indicators('consumer', ARRAY['consumer', NULL])$$, '22023',
                 'levels must list two or more levels, the first the baseline, none of them NULL',
                 'clv_indicators: levels with a NULL');

-- bad input
SELECT throws_ok($$SELECT clv_p_alive(m, 3, 20, 40) FROM fit$$, '22023',
                 'this function takes a model without covariates',
                 'a score without covariates refuses a model fitted with them');
SELECT throws_ok($$SELECT clv_p_alive(clv_fit_bgnbd(frequency, recency, age), 3, 20, 40, ARRAY[1::float8]) FROM sim$$,
                 '22023', 'this model has no covariates', 'a score with covariates refuses a plain model');
SELECT throws_ok($$SELECT clv_p_alive(m, 3, 20, 40, ARRAY[1::float8]) FROM fit$$, '22023',
                 'the model has 2 covariates, not 1', 'the wrong number of covariates');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, CASE WHEN id = 7 THEN ARRAY[1::float8] ELSE z END) FROM sim$$,
                 '22023', 'every row must have the same number of covariates', 'rows with different numbers of covariates');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, ARRAY[NULL::float8]) FROM sim$$,
                 '22004', 'covariates must not contain NULL', 'a NULL covariate');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, NULL::float8[]) FROM sim$$,
                 '22004', 'covariates must not be NULL', 'a customer without covariates');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, ARRAY['Infinity'::float8]) FROM sim$$,
                 '22023', 'covariates must be finite', 'an infinite covariate');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, array_fill(1::float8, ARRAY[9])) FROM sim$$,
                 '22023', 'covariates must be a one-dimensional float8[] of 1 to 8 values', 'nine covariates');
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, z, -1, 0, 0) FROM sim$$,
                 '22023', NULL, 'a negative penalizer');
SELECT throws_ok($$SELECT clv_p_alive(m, 3, 20, 40, ARRAY[1e308::float8, 1e308]) FROM fit$$,
                 '22003', NULL, 'covariates far outside the data put a parameter out of range');
SELECT throws_ok($$SELECT pg_temp.fit_merge(ARRAY[4344262493929985, 0, 9, 0, 0, 0]::bigint[])$$,
                 '22023', 'invalid covariate model fit state', 'a forged state is refused');
-- A covariate that separates the customers who never bought again has no
-- finite maximum: the fit ends with an error or a model flagged weak, never
-- a model that looks sound; with a penalizer it is finite.
CREATE FUNCTION pg_temp.fit_outcome(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    j jsonb;
BEGIN
    EXECUTE query INTO j;
    RETURN CASE WHEN (j ->> 'weak')::boolean THEN 'weak' ELSE 'sound' END;
EXCEPTION WHEN data_exception THEN
    RETURN 'did not converge';
END $$;
SELECT matches(pg_temp.fit_outcome(format($$SELECT clv_model_params(clv_%s(frequency, recency, age, ARRAY[(frequency = 0)::int::float8])) FROM %s$$,
                                          fit, source)),
               '^(weak|did not converge)$',
               format('%s with a covariate that separates one-time buyers: an error or a weak model', fit))
FROM (VALUES ('fit_bgnbd', 'sim'), ('fit_mbgnbd', 'sim_mbg')) t(fit, source);
SELECT ok((p ->> 'converged')::boolean AND abs((p -> 'coefficients' -> 0 ->> 'estimate')::float8) < 20
          AND (p ->> 'weak')::boolean,
          'the same with coefficient penalizers of 0.001: finite coefficients, still flagged weak (the data alone do not determine them)')
FROM (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[(frequency = 0)::int::float8], 0, 0.001, 0.001)) AS p
      FROM sim) q;

-- the covariates' units do not matter: in millionths, the coefficient is a
-- million times larger; moved by 100, the same coefficients (the baseline,
-- a customer with covariates 0, moves instead)
CREATE TEMP TABLE rescaled AS
SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[z[1], z[2] * 1e-6])) AS small,
       clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[z[1] + 100, z[2]])) AS moved,
       clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[z[1] * 1e-200, z[2] * 1e200])) AS extreme
FROM sim;
SELECT ok(abs((small -> 'coefficients' -> k ->> 'estimate')::float8 * CASE WHEN k % 2 = 1 THEN 1e-6 ELSE 1 END
              / (j -> 'coefficients' -> k ->> 'estimate')::float8 - 1) < 1e-5
          AND abs((moved -> 'coefficients' -> k ->> 'estimate')::float8 / (j -> 'coefficients' -> k ->> 'estimate')::float8 - 1) < 1e-5
          AND abs((extreme -> 'coefficients' -> k ->> 'estimate')::float8 * CASE WHEN k % 2 = 1 THEN 1e200 ELSE 1e-200 END
                  / (j -> 'coefficients' -> k ->> 'estimate')::float8 - 1) < 1e-5,
          format('coefficient %s: the same with its covariate in millionths, times 1e-200 or 1e200 (scaled), or moved by 100', k + 1))
FROM rescaled, j, generate_series(0, 5) k;
SELECT ok(abs((small ->> 'log_likelihood')::float8 - (j ->> 'log_likelihood')::float8) < 1e-6
          AND abs((moved ->> 'log_likelihood')::float8 - (j ->> 'log_likelihood')::float8) < 1e-6
          AND abs((extreme ->> 'log_likelihood')::float8 - (j ->> 'log_likelihood')::float8) < 1e-6,
          'the same log-likelihood with the covariates rescaled or moved')
FROM rescaled, j;
-- a category only 10 of the 20,000 customers have: their own parameters are
-- poorly determined, and the model says so
SELECT ok((clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[(id <= 10)::int::float8])) ->> 'weak')::boolean,
          'a covariate 10 customers have: the model flagged weak')
FROM sim;
-- a penalty on the standardised coefficients means the same in any units
SELECT ok(abs((p6 -> 'coefficients' -> k ->> 'estimate')::float8 * CASE WHEN k % 2 = 1 THEN 1e-6 ELSE 1 END
              / (p -> 'coefficients' -> k ->> 'estimate')::float8 - 1) < 1e-5,
          format('penalized coefficient %s: the same with its covariate in millionths (scaled)', k + 1))
FROM (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, z, 0, 0.001, 0.001)) AS p,
             clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[z[1], z[2] * 1e-6], 0, 0.001, 0.001)) AS p6
      FROM sim) q, generate_series(0, 5) k;
SELECT ok((p -> 'likelihood_ratio' -> 'p_value') = 'null'::jsonb AND (p -> 'likelihood_ratio' ->> 'statistic') IS NOT NULL,
          'a penalized fit has no likelihood-ratio p-value')
FROM (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, z, 0, 0.0001, 0)) AS p FROM sim) q;

-- CDNOW with ln(1 + the first purchase day's dollars) - 3 as covariate,
-- against test/numerics/covariates_reference.py: BG/NBD, MBG/NBD and Gamma-Gamma
-- fitted there independently, and the Pareto/NBD rows (clv's) checked there
-- to be where an independent likelihood is stationary, with that
-- likelihood's value.  Estimates within 1e-3 standard errors,
-- log-likelihoods to 1e-9, standard errors to 1e-4 relative.
CREATE TEMP TABLE reference (model text, name text, value float8, se float8);
INSERT INTO reference VALUES
    ('bgnbd', 'r', 0.253880051616, 0.013337788047),
    ('bgnbd', 'alpha', 5.47346086952, 0.482942147853),
    ('bgnbd', 'a', 0.636701664015, 0.167151237458),
    ('bgnbd', 'b', 1.82934199044, 0.588522230373),
    ('bgnbd', 'purchase', 0.467557229533, 0.0727850179834),
    ('bgnbd', 'dropout_a', 0.631230306121, 0.433303656612),
    ('bgnbd', 'dropout_b', 0.840709673886, 0.521869895339),
    ('bgnbd', 'log_likelihood', -9558.56024492, 2357),
    ('mbgnbd', 'r', 0.533436381549, 0.0783701249263),
    ('mbgnbd', 'alpha', 7.09830545198, 0.786276344486),
    ('mbgnbd', 'a', 0.83975255284, 0.146946498227),
    ('mbgnbd', 'b', 1.40810395427, 0.432284662104),
    ('mbgnbd', 'purchase', 0.308080419333, 0.0832010140601),
    ('mbgnbd', 'dropout_a', 0.433317336945, 0.295923702938),
    ('mbgnbd', 'dropout_b', 0.816969664987, 0.374745173782),
    ('mbgnbd', 'log_likelihood', -9556.29746898, 2357),
    ('gammagamma', 'p', 5.52951841128, 0.847279928717),
    ('gammagamma', 'q', 5.05871515548, 0.447706316641),
    ('gammagamma', 'gamma', 21.542179927, 5.16585986063),
    ('gammagamma', 'spend', 0.3876610923, 0.0271259531202),
    ('gammagamma', 'log_likelihood', -3966.00112638, 946),
    ('paretonbd', 'r', 0.572675436711, 0.0498593977706),
    ('paretonbd', 'alpha', 12.3540042496, 0.99450724342),
    ('paretonbd', 's', 0.61363482896, 0.195722944546),
    ('paretonbd', 'beta', 12.0615852621, 6.77634292744),
    ('paretonbd', 'purchase', 0.364915155829, 0.0619062284526),
    ('paretonbd', 'dropout', 0.0103340650807, 0.149680330338),
    ('paretonbd', 'log_likelihood', -9571.98199521, 2357);
\if :have_cdnow
CREATE TEMP TABLE cdnow AS
SELECT id, clv_summary(day, dollars, date '1997-09-30', '7 days') AS s,
       ln(1 + sum(dollars) FILTER (WHERE day = first_day)) - 3 AS z
FROM (SELECT *, min(day) OVER (PARTITION BY id) AS first_day FROM cdnow_orders WHERE day <= '1997-09-30') o
GROUP BY id;
CREATE TEMP TABLE cdnow_fit AS
SELECT 'bgnbd' AS model, clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency, (s).age, ARRAY[z])) AS j,
       clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency, (s).age)) AS plain
FROM cdnow
UNION ALL
SELECT 'mbgnbd', clv_model_params(clv_fit_mbgnbd((s).frequency, (s).recency, (s).age, ARRAY[z])),
       clv_model_params(clv_fit_mbgnbd((s).frequency, (s).recency, (s).age))
FROM cdnow
UNION ALL
SELECT 'paretonbd', clv_model_params(clv_fit_paretonbd((s).frequency, (s).recency, (s).age, ARRAY[z])),
       clv_model_params(clv_fit_paretonbd((s).frequency, (s).recency, (s).age))
FROM cdnow
UNION ALL
SELECT 'gammagamma', clv_model_params(clv_fit_gammagamma((s).frequency, (s).monetary, ARRAY[z])),
       clv_model_params(clv_fit_gammagamma((s).frequency, (s).monetary))
FROM cdnow;
CREATE TEMP TABLE cdnow_est AS
SELECT model, key AS name, (j ->> key)::float8 AS value, (j -> 'std_errors' ->> key)::float8 AS se
FROM cdnow_fit, unnest(ARRAY['r', 'alpha', 'a', 'b', 's', 'beta', 'p', 'q', 'gamma']) key
WHERE j ? key
UNION ALL
SELECT model, c."group", c.estimate, c.std_error
FROM cdnow_fit, jsonb_to_recordset(j -> 'coefficients') AS c("group" text, estimate float8, std_error float8);
SELECT ok(abs(e.value - r.value) < 1e-3 * r.se AND abs(e.se / r.se - 1) < 1e-4,
          format('CDNOW, %s with the first purchase''s value: %s = %s (standard error %s), as the independent fit',
                 r.model, r.name, round(e.value::numeric, 4), round(e.se::numeric, 4)))
FROM cdnow_est e JOIN reference r USING (model, name) ORDER BY r.model, r.name;
SELECT ok(abs((j ->> 'log_likelihood')::float8 / r.value - 1) < 1e-9 AND (j ->> 'customers')::int = r.se,
          format('CDNOW, %s: log-likelihood %s, as the independent fit, over %s customers', model,
                 round(r.value::numeric, 3), r.se))
FROM cdnow_fit JOIN reference r USING (model) WHERE r.name = 'log_likelihood' ORDER BY model;
SELECT ok(abs((j ->> 'null_log_likelihood')::float8 / (plain ->> 'log_likelihood')::float8 - 1) < 1e-12,
          format('CDNOW, %s: the null model is the plain fit''s (%s)', model,
                 round((plain ->> 'log_likelihood')::numeric, 2)))
FROM cdnow_fit ORDER BY model;
SELECT is((SELECT clv_fit_bgnbd(s, ARRAY[z])::text FROM cdnow),
          (SELECT clv_fit_bgnbd((s).frequency, (s).recency, (s).age, ARRAY[z])::text FROM cdnow),
          'CDNOW: BG/NBD with covariates over the summaries is the fit over their numbers');
SELECT is((SELECT clv_fit_gammagamma(s, ARRAY[z])::text FROM cdnow),
          (SELECT clv_fit_gammagamma((s).frequency, (s).monetary, ARRAY[z])::text FROM cdnow),
          'CDNOW: Gamma-Gamma with covariates over the summaries is the fit over their numbers');
SELECT throws_ok($$SELECT clv_fit_bgnbd(s, ARRAY[1::float8])
                   FROM (SELECT s FROM cdnow UNION ALL
                         SELECT clv_summary(day, dollars, date '1997-09-30', '1 day') FROM cdnow_orders WHERE id = 7) u$$,
                 '22023', 'all summaries of a fit must use the same time_unit', 'CDNOW: summaries in two time units');
SELECT ok((j -> 'likelihood_ratio' ->> 'p_value')::float8 < 1e-6
          AND abs((j -> 'likelihood_ratio' ->> 'statistic')::float8 - 2 * ((j ->> 'log_likelihood')::float8 - (j ->> 'null_log_likelihood')::float8)) < 1e-9,
          format('CDNOW, %s: the first purchase''s value matters (likelihood ratio %s on %s degrees of freedom)', model,
                 round((j -> 'likelihood_ratio' ->> 'statistic')::numeric, 1), j -> 'likelihood_ratio' ->> 'df'))
FROM cdnow_fit ORDER BY model;
\else
SELECT skip('../shared/data is not there: the CDNOW fits with a covariate', 39);
\endif

SELECT * FROM finish();
ROLLBACK;
