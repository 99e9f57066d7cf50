-- BG/NBD and MBG/NBD with static covariates (src/covariates.c): the fit
-- without covariates inside it is the plain fit; with every covariate 0 the
-- model is the plain model; coefficients recovered from data simulated with
-- known ones; on the CDNOW sample, the fit with the first purchase's value
-- as covariate equals an independent implementation
-- (test/numerics/covariates_reference.py, which checks the table below);
-- scores are the plain model's at the customer's own parameters; the same
-- fit in parallel, from text-shipped partial states and through binary
-- COPY; bad input refused.
\ir ../include/prologue.psql
\ir ../include/cdnow.psql
BEGIN;
SELECT plan(53);
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
-- 40% of seeds even with a perfect fit (0.95^10); so each within 3 (about
-- 95% for all ten together), and at least 8 of the 10 within 2.
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
CREATE TEMP TABLE copied (m clv_model);
SELECT '/tmp/clv_covariate_model_' || pg_backend_pid() || '.bin' AS model_file \gset
SELECT format('COPY fit TO %L WITH (FORMAT binary)', :'model_file') AS copy_out,
       format('COPY copied FROM %L WITH (FORMAT binary)', :'model_file') AS copy_in \gset
:copy_out;
:copy_in;
\setenv CLV_MODEL_FILE :model_file
\! rm -f "$CLV_MODEL_FILE" 2>/dev/null
SELECT is((SELECT m::text FROM copied), (SELECT m::text FROM fit), 'binary COPY round trip is exact');

-- penalizers shrink their own group of coefficients
SELECT ok(abs((p -> 'coefficients' -> 0 ->> 'estimate')::float8) < abs((j -> 'coefficients' -> 0 ->> 'estimate')::float8)
          AND abs((p -> 'coefficients' -> 2 ->> 'estimate')::float8 / (j -> 'coefficients' -> 2 ->> 'estimate')::float8 - 1) < 0.2
          AND (p ->> 'purchase_penalizer')::float8 = 0.5,
          'a purchase penalizer shrinks the purchase coefficients, not the dropout ones')
FROM j, (SELECT clv_model_params(clv_fit_bgnbd(frequency, recency, age, z, 0, 0.5, 0)) AS p FROM sim) q;

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
-- a covariate that separates the customers who never bought again runs off: an error, or finite with a penalizer
SELECT throws_ok($$SELECT clv_fit_bgnbd(frequency, recency, age, ARRAY[(frequency = 0)::int::float8]) FROM sim$$,
                 '22000', NULL, 'a covariate that separates one-time buyers: the fit does not converge');
SELECT ok((SELECT (clv_model_params(clv_fit_bgnbd(frequency, recency, age, ARRAY[(frequency = 0)::int::float8], 0, 0.01, 0.01))
                   ->> 'converged')::boolean FROM sim),
          'the same with coefficient penalizers converges');

-- CDNOW: BG/NBD with ln(1 + the first purchase day's dollars) - 3, against
-- the independent fit (estimates within 1e-3 standard errors, log-likelihood
-- to 1e-9, standard errors to 1e-3 relative)
CREATE TEMP TABLE reference (name text, value float8, se float8);
INSERT INTO reference VALUES
    ('r', 0.253880049757, 0.0133379598424),
    ('alpha', 5.47346079985, 0.482950113258),
    ('a', 0.636701563763, 0.167169419128),
    ('b', 1.829341639, 0.588581981064),
    ('purchase', 0.467557228412, 0.0727853281345),
    ('dropout_a', 0.631230609542, 0.433423202244),
    ('dropout_b', 0.840710039943, 0.52201641389),
    ('log_likelihood', -9558.56024492, 2357);
\if :have_cdnow
CREATE TEMP TABLE cdnow_fit AS
SELECT clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency, (s).age, ARRAY[z])) AS j,
       clv_model_params(clv_fit_bgnbd((s).frequency, (s).recency, (s).age)) AS plain
FROM (SELECT id, clv_summary(day, dollars, date '1997-09-30', '7 days') AS s,
             ln(1 + sum(dollars) FILTER (WHERE day = first_day)) - 3 AS z
      FROM (SELECT *, min(day) OVER (PARTITION BY id) AS first_day FROM cdnow_orders
            WHERE day <= '1997-09-30') o
      GROUP BY id) c;
CREATE TEMP TABLE cdnow_est AS
SELECT key AS name, (j ->> key)::float8 AS value, (j -> 'std_errors' ->> key)::float8 AS se FROM cdnow_fit, unnest(ARRAY['r', 'alpha', 'a', 'b']) key
UNION ALL
SELECT c."group", c.estimate, c.std_error
FROM cdnow_fit, jsonb_to_recordset(j -> 'coefficients') AS c("group" text, estimate float8, std_error float8);
SELECT ok(abs(e.value - r.value) < 1e-3 * r.se AND abs(e.se / r.se - 1) < 1e-3,
          format('CDNOW with the first purchase''s value: %s = %s (standard error %s), as the independent fit', r.name,
                 round(e.value::numeric, 4), round(e.se::numeric, 4)))
FROM cdnow_est e JOIN reference r USING (name) ORDER BY r.name;
SELECT ok(abs((j ->> 'log_likelihood')::float8 / r.value - 1) < 1e-9 AND (j ->> 'customers')::int = r.se,
          'CDNOW: log-likelihood -9558.560, as the independent fit, over 2,357 customers')
FROM cdnow_fit, reference r WHERE r.name = 'log_likelihood';
SELECT ok((j ->> 'null_log_likelihood')::float8 = (plain ->> 'log_likelihood')::float8
          OR abs((j ->> 'null_log_likelihood')::float8 / (plain ->> 'log_likelihood')::float8 - 1) < 1e-12,
          'CDNOW: the null model is the published fit''s (-9582.43)')
FROM cdnow_fit;
SELECT ok((j -> 'likelihood_ratio' ->> 'p_value')::float8 < 1e-6
          AND abs((j -> 'likelihood_ratio' ->> 'statistic')::float8 - 2 * ((j ->> 'log_likelihood')::float8 - (j ->> 'null_log_likelihood')::float8)) < 1e-9,
          'CDNOW: the first purchase''s value matters (likelihood ratio 47.7 on 3 degrees of freedom)')
FROM cdnow_fit;
\else
SELECT skip('../shared/data is not there: the CDNOW fit with a covariate', 10);
\endif

SELECT * FROM finish();
ROLLBACK;
