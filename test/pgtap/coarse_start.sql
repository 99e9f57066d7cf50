-- Fits of many distinct histories first fit a coarse copy of them (recency
-- and age rounded to 64 steps of the largest age; for Gamma-Gamma, the log
-- of the mean spend to steps of 1/64) and start from its optimum
-- and curvature (clv.coarse_start, on by default).  What must hold: the fit
-- reaches the optimum of the histories themselves, the one the direct fit
-- (clv.coarse_start off) reaches, to the optimizer's tolerance; the
-- likelihood at the two agrees to 1e-9 relative and the parameters to a
-- small fraction of their standard errors.  Below 20,000 distinct
-- histories the setting changes nothing, bit for bit; where the data do
-- not determine the model, the fit ends as the direct one does.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(25);
SELECT setseed(0.57);

\ir ../include/rgamma.psql
\ir ../include/simulate_purchases.psql

-- 30,000 customers of each model with ages on no grid, so that nearly every
-- history is distinct ("+ 0 * g": each row draws its own).
CREATE TEMP TABLE simulated AS
SELECT 'bg' AS story, s.frequency AS x, s.recency AS t_x, s.age
FROM generate_series(1, 30000) g,
     LATERAL pg_temp.simulate_bgnbd(0.25, 4, 0.8, 2.5, 10 + 68 * random() + 0 * g) s
UNION ALL
SELECT 'pareto', s.frequency, s.recency, s.age
FROM generate_series(1, 30000) g,
     LATERAL pg_temp.simulate_paretonbd(0.55, 10.5, 0.6, 12, 10 + 68 * random() + 0 * g) s;
SELECT cmp_ok((SELECT min(n) FROM (SELECT count(DISTINCT (x, t_x, age)) AS n FROM simulated GROUP BY story) d),
              '>', 20000::bigint, 'over 20,000 distinct histories of each story');
-- 30,000 repeat buyers' mean spends from Gamma-Gamma (p 6, q 4, gamma 15):
-- the mean of x amounts Gamma(p, nu) is Gamma(p x, nu x), nu ~ Gamma(q, gamma)
CREATE TEMP TABLE spends AS
SELECT x, pg_temp.rgamma(6 * x, 1) / (x * pg_temp.rgamma(4, 1) / 15) AS m
FROM (SELECT 1 + floor(-ln(1 - random()) * 4)::int AS x FROM generate_series(1, 30000)) g;
SELECT cmp_ok((SELECT count(DISTINCT (x, m)) FROM spends), '>', 20000::bigint, 'over 20,000 distinct spend histories');

CREATE TEMP TABLE fits (model text, coarse boolean, m clv_model);
SET LOCAL clv.coarse_start = off;
INSERT INTO fits
SELECT 'bgnbd', false, clv_fit_bgnbd(x, t_x, age) FROM simulated WHERE story = 'bg' UNION ALL
SELECT 'mbgnbd', false, clv_fit_mbgnbd(x, t_x, age) FROM simulated WHERE story = 'bg' UNION ALL
SELECT 'paretonbd', false, clv_fit_paretonbd(x, t_x, age) FROM simulated WHERE story = 'pareto' UNION ALL
SELECT 'gammagamma', false, clv_fit_gammagamma(x, m) FROM spends;
SET LOCAL clv.coarse_start = on;
INSERT INTO fits
SELECT 'bgnbd', true, clv_fit_bgnbd(x, t_x, age) FROM simulated WHERE story = 'bg' UNION ALL
SELECT 'mbgnbd', true, clv_fit_mbgnbd(x, t_x, age) FROM simulated WHERE story = 'bg' UNION ALL
SELECT 'paretonbd', true, clv_fit_paretonbd(x, t_x, age) FROM simulated WHERE story = 'pareto' UNION ALL
SELECT 'gammagamma', true, clv_fit_gammagamma(x, m) FROM spends;

CREATE TEMP TABLE compared AS
SELECT d.model, clv_model_params(d.m) AS direct, clv_model_params(c.m) AS warm,
       d.m::text = c.m::text AS same_text
FROM fits d JOIN fits c ON c.model = d.model AND c.coarse AND NOT d.coarse;

SELECT ok((warm ->> 'converged')::boolean AND (direct ->> 'converged')::boolean,
          model || ': both fits converged') FROM compared ORDER BY model;
SELECT ok(NOT same_text, model || ': the coarse start took another path (the models differ in their last digits)')
FROM compared ORDER BY model;
SELECT cmp_ok(abs((warm ->> 'log_likelihood')::float8 / (direct ->> 'log_likelihood')::float8 - 1), '<', 1e-9::float8,
              model || ': the same maximum of the likelihood, to 1e-9')
FROM compared ORDER BY model;
SELECT cmp_ok((SELECT max(abs((warm ->> k)::float8 - (direct ->> k)::float8) / (direct -> 'std_errors' ->> k)::float8)
               FROM jsonb_object_keys(direct -> 'std_errors') k),
              '<', 0.01::float8, model || ': the same parameters, to a hundredth of a standard error')
FROM compared ORDER BY model;

-- Few distinct histories: no coarse copy, the same fit bit for bit.
CREATE TEMP TABLE few AS SELECT * FROM simulated WHERE story = 'bg' LIMIT 5000;
SET LOCAL clv.coarse_start = off;
CREATE TEMP TABLE few_direct AS SELECT clv_fit_bgnbd(x, t_x, age)::text AS m FROM few;
SET LOCAL clv.coarse_start = on;
SELECT is((SELECT clv_fit_bgnbd(x, t_x, age)::text FROM few), (SELECT m FROM few_direct),
          'below 20,000 distinct histories the setting changes nothing');

-- Histories that do not determine BG/NBD (purchases at random, no dropout
-- to be seen: a and b run off together along a flat ridge).  Started from
-- the coarse copy's optimum, such a fit may stop elsewhere on the ridge, or
-- run off where the direct fit stops (it is then redone directly); either
-- way it ends as the direct fit does, a model flagged weak, with a
-- likelihood as high.
CREATE TEMP TABLE flat AS
SELECT x, CASE WHEN x = 0 THEN 0 ELSE age * (1 - random() ^ 3) END AS t_x, age
FROM (SELECT floor(-ln(1 - random()) * 1.5 * random()) AS x, 1 + 77 * random() AS age
      FROM generate_series(1, 40000)) g;
SET LOCAL client_min_messages = error;	-- the "poorly determined" warnings
SET LOCAL clv.coarse_start = off;
CREATE TEMP TABLE flat_fits AS SELECT false AS coarse, clv_model_params(clv_fit_bgnbd(x, t_x, age)) AS j FROM flat;
SET LOCAL clv.coarse_start = on;
INSERT INTO flat_fits SELECT true, clv_model_params(clv_fit_bgnbd(x, t_x, age)) FROM flat;
SELECT ok((SELECT bool_and((j ->> 'weak')::boolean AND (j ->> 'converged')::boolean) FROM flat_fits)
          AND (SELECT (j ->> 'log_likelihood')::float8 FROM flat_fits WHERE coarse)
              >= (SELECT (j ->> 'log_likelihood')::float8 * (1 + 1e-9) FROM flat_fits WHERE NOT coarse),
          'where the data do not determine the model, the fit ends as the direct one: weak, as likely');
RESET client_min_messages;

-- Repeat buyers who buy again within days and leave (BG/NBD r 1, alpha
-- 0.5, a 4, b 1): for about half of them the recency is under half a step
-- of the copy.  Rounded to 0, a repeat buyer would be a history the input
-- checks reject, and the copy's likelihood would grow without bound as r
-- and alpha go to 0: its fit ran off (about 180 iterations) and the direct
-- fit then started over.  The copy keeps such a recency at one step; the
-- start is then taken (the estimates differ from the direct fit's in their
-- last digits), in fewer iterations, the copy's included, than twice the
-- direct fit's.  Pareto/NBD reaches the same maximum either way.
CREATE TEMP TABLE quick AS
SELECT s.frequency AS x, s.recency AS t_x, s.age
FROM generate_series(1, 30000) g,
     LATERAL pg_temp.simulate_bgnbd(1, 0.5, 4, 1, 10 + 68 * random() + 0 * g) s;
SELECT cmp_ok((SELECT count(*) FILTER (WHERE x > 0 AND t_x < 78.0 / 64 / 2) FROM quick),
              '>', (SELECT count(*) FILTER (WHERE x > 0) * 2 / 5 FROM quick),
              'over two fifths of the repeat buyers bought last within half a step of the copy');
SET LOCAL clv.coarse_start = off;
CREATE TEMP TABLE quick_fits AS
SELECT 'bgnbd' AS model, false AS coarse, clv_fit_bgnbd(x, t_x, age) AS m FROM quick UNION ALL
SELECT 'paretonbd', false, clv_fit_paretonbd(x, t_x, age) FROM quick;
SET LOCAL clv.coarse_start = on;
INSERT INTO quick_fits
SELECT 'bgnbd', true, clv_fit_bgnbd(x, t_x, age) FROM quick UNION ALL
SELECT 'paretonbd', true, clv_fit_paretonbd(x, t_x, age) FROM quick;
CREATE TEMP TABLE quick_compared AS
SELECT d.model, clv_model_params(d.m) AS direct, clv_model_params(c.m) AS warm
FROM quick_fits d JOIN quick_fits c ON c.model = d.model AND c.coarse AND NOT d.coarse;
SELECT ok(warm - 'iterations' <> direct - 'iterations' AND (warm ->> 'iterations')::int < 2 * (direct ->> 'iterations')::int,
          'bgnbd, quick leavers: the coarse start taken, in fewer than twice the direct fit''s iterations')
FROM quick_compared WHERE model = 'bgnbd';
SELECT cmp_ok(abs((warm ->> 'log_likelihood')::float8 / (direct ->> 'log_likelihood')::float8 - 1), '<', 1e-9::float8,
              model || ', quick leavers: the same maximum of the likelihood, to 1e-9')
FROM quick_compared ORDER BY model;

SELECT throws_ok($$SET clv.no_such_setting = on$$, '42602', NULL, 'the clv. prefix is reserved for its settings');

SELECT * FROM finish();
ROLLBACK;
