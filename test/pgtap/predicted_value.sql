-- clv_predicted_value against its definition,
--   CLV = sum_{k=1..periods} margin E[spend] (E[Y(k u)] - E[Y((k-1) u)]) / (1+d)^k,
-- computed here in SQL from clv_expected_purchases period by period (the
-- way clv_predicted_value itself computed it up to 0.4.0), over a grid of
-- models (fitted on generated orders, and typed in), frequencies 0 to 200,
-- recency and age 0 to 3,650 days, 1 to 1,200 periods of 1 to 365 days
-- (short ages with long periods put the forecast's points far out, |h| up to
-- 80), discounts 0, 0.01 and 0.2; both signatures; exact values; the errors.
--
-- The tolerance.  clv_predicted_value must agree to 1e-12 relative (1e-12
-- absolute below 1).  The per-period reference is itself not that exact for
-- BG/NBD and MBG/NBD: each E[Y(t)] is c/(a-1) [1 - G] P(alive) with G
-- computed and then subtracted from 1, so it loses what cancels there, and
-- G comes from exp((r+x) ln ratio) whose error grows with r+x.  At x = 200
-- over one day it is off by some 1e-9 relative, and with a = 1 + 1e-6 by
-- 1e-4 (checked against 40-digit values, below).  So the bound is
--   1e-12 (max(|reference|, 1) + sum_k margin E[spend] (|K G_k| + |K G_{k-1}|) / (1+d)^k),
-- K G_k = c/(a-1) P(alive) - E[Y(k u)]: 1e-12 relative to the largest
-- numbers the reference subtracts.  The exact values at the end are checked
-- at 1e-13 relative without any such allowance.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(28);

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL client_min_messages = warning;
\set with_models
\ir ../include/btyd_orders.psql
RESET client_min_messages;

-- purchase models, each with the spend model used beside it
CREATE TEMP TABLE purchase_models (name text PRIMARY KEY, pm clv_model, gm clv_model);
INSERT INTO purchase_models
SELECT 'fitted ' || m.name, m.model, (SELECT model FROM models WHERE name = 'gammagamma')
FROM models m WHERE m.name IN ('bgnbd', 'mbgnbd', 'paretonbd');
INSERT INTO purchase_models VALUES
  ('cdnow bgnbd', 'kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=-9582.4 customers=2357 iterations=20 converged=true penalizer=0',
   'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('typed mbgnbd', 'kind=mbgnbd r=0.25 alpha=5 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0',
   'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('cdnow paretonbd', 'kind=paretonbd r=0.55 alpha=10.58 s=0.61 beta=11.67 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0',
   'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('bgnbd a > 1', 'kind=bgnbd r=1.7 alpha=40 a=2.5 b=0.3 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0',
   'kind=gammagamma p=2 q=3 gamma=10 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('bgnbd b < 1', 'kind=bgnbd r=0.9 alpha=3 a=0.6 b=0.5 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0',
   'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0');

-- The definition, period by period, and the bound on its own rounding
-- (see the top).  K P(alive) is c/(a-1) P(alive) for BG/NBD and MBG/NBD;
-- Pareto/NBD's expectation has no such cancellation.
CREATE FUNCTION pg_temp.reference(pm clv_model, gm clv_model, x float8, t_x float8, t float8, m float8,
                                  periods int, d float8, u float8, margin float8,
                                  OUT value float8, OUT cancelled float8)
LANGUAGE sql STABLE AS $$
    WITH params AS (SELECT clv_model_params(pm) AS j),
         k_alive AS (
             SELECT CASE WHEN j ->> 'kind' = 'paretonbd' THEN NULL
                         ELSE ((j ->> 'a')::float8 + (j ->> 'b')::float8 + x
                               - CASE WHEN j ->> 'kind' = 'bgnbd' THEN 1 ELSE 0 END)
                              / ((j ->> 'a')::float8 - 1) * clv_p_alive(pm, x, t_x, t)
                    END AS ka
             FROM params),
         spend AS (SELECT margin * clv_expected_spend(gm, x, m) AS s),
         e AS (SELECT k, clv_expected_purchases(pm, k * u, x, t_x, t) AS e FROM generate_series(1, periods) k),
         steps AS (SELECT k, e, lag(e, 1, 0::float8) OVER (ORDER BY k) AS previous FROM e)
    SELECT sum(s * (e - previous) / power(1 + d, k)),
           coalesce(sum(abs(s) * (abs(ka - e) + abs(ka - previous)) / power(1 + d, k)), 0)
    FROM steps, k_alive, spend
$$;

-- Where today's series gives up (2F1 with z near 1 and frequency in the
-- hundreds), the case has no reference: failed is set.
CREATE FUNCTION pg_temp.reference_or_failed(pm clv_model, gm clv_model, x float8, t_x float8, t float8, m float8,
                                            periods int, d float8, u float8, margin float8,
                                            OUT value float8, OUT cancelled float8, OUT failed bool)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT r.value, r.cancelled, false INTO value, cancelled, failed
    FROM pg_temp.reference(pm, gm, x, t_x, t, m, periods, d, u, margin) r;
EXCEPTION WHEN numeric_value_out_of_range THEN
    failed := true;
END $$;

-- The grid.  Where the per-period reference would take long (its series
-- needs some 40 (1 + |w|) terms at the last period's w = -periods u / (alpha
-- + age)), the case is left out: far horizons are in the exact values at the
-- end.  Each case has one of the three discounts, and of the 120- and
-- 1,200-period cases one in three and one in four are kept, for time.
CREATE TEMP TABLE grid AS
SELECT name, pm, gm, x::float8 AS x, tx::float8 AS t_x, tt::float8 AS t, 25.0::float8 AS m, p, d::float8 AS d, u::float8 AS u,
       CASE WHEN x % 2 = 0 THEN 1 ELSE 0.4 END::float8 AS margin
FROM purchase_models,
     (VALUES (0), (1), (2), (5), (17), (60), (200)) xs(x),
     (VALUES (0), (1), (7), (30), (365), (1000), (3650)) ts(tt),
     (VALUES (0.3), (1.0)) fr(f),
     LATERAL (SELECT CASE WHEN x = 0 THEN 0 ELSE least(tt, greatest(ceil(tt * f), 1)) END AS tx) r,
     (VALUES (1), (12), (120), (1200)) ps(p),
     (VALUES (1), (7), (30), (365)) us(u),
     -- each case one of the three discounts, in turn
     LATERAL (SELECT (ARRAY[0.0, 0.01, 0.2])[1 + (x + tt + tx + p + u) % 3] AS d) ds
WHERE NOT (x > 0 AND tt = 0) AND (f = 1.0 OR x > 0)
  AND p * u / ((clv_model_params(pm) ->> 'alpha')::float8 + tt)
      <= CASE p WHEN 1200 THEN 3 WHEN 120 THEN 10 ELSE 300 END
  AND (p < 120 OR (x + tt + tx + u) % CASE p WHEN 120 THEN 3 ELSE 4 END = 0);

CREATE TEMP TABLE all_compared AS
SELECT g.*, clv_predicted_value(pm, gm, x, t_x, t, m, p, d, u, margin) AS value, r.value AS reference, r.cancelled, r.failed
FROM grid g, LATERAL pg_temp.reference_or_failed(pm, gm, x, t_x, t, m, p, d, u, margin) r;
CREATE TEMP TABLE compared AS SELECT * FROM all_compared WHERE NOT failed;

SELECT cmp_ok((SELECT count(*) FROM compared), '>', 3000::bigint, 'the grid has its cases');
SELECT diag(format('%s cases of %s periods', count(*), p)) FROM all_compared GROUP BY p ORDER BY p;
SELECT cmp_ok((SELECT count(DISTINCT (x, t, p, u)) FROM compared WHERE p * u / ((clv_model_params(pm) ->> 'alpha')::float8 + t) > 50), '>', 20::bigint,
              'short ages with long periods are in the grid');

-- one test per model; the worst cases are shown when one fails
SELECT is((SELECT count(*) FROM compared c
           WHERE c.name = n.name
             AND NOT (value IS NOT DISTINCT FROM reference
                      OR abs(value - reference) <= 1e-12 * (greatest(abs(reference), 1) + cancelled))),
          0::bigint, n.name || ': clv_predicted_value(frequency, recency, age, ...) is the per-period definition')
FROM purchase_models n ORDER BY n.name;

SELECT diag(format('%s: %s cases, max |difference| / max(|reference|, 1) = %s; beyond the reference''s own rounding: %s',
                   name, count(*), max(abs(value - reference) / greatest(abs(reference), 1)),
                   max(abs(value - reference) / (greatest(abs(reference), 1) + cancelled))))
FROM compared GROUP BY name ORDER BY name;

SELECT is((SELECT count(*) FROM compared WHERE (value IS NULL) <> (reference IS NULL)), 0::bigint,
          'NULL exactly where the reference is NULL');
SELECT is((SELECT count(*) FROM all_compared WHERE failed AND NOT (value >= 0 AND value < 'infinity')), 0::bigint,
          'a value where the per-period series gave up');
SELECT diag(format('%s cases where the per-period reference gave up', count(*))) FROM all_compared WHERE failed;

-- Well-conditioned cases agree to 1e-12 plain relative: Pareto/NBD (no
-- cancellation in the reference), and low frequencies where what the
-- reference subtracts is within 100 times the value.
SELECT is((SELECT count(*) FROM compared
           WHERE (clv_model_params(pm) ->> 'kind' = 'paretonbd'
                  OR (x <= 5 AND cancelled <= 100 * greatest(abs(reference), 1)))
             AND abs(value - reference) > 1e-12 * greatest(abs(reference), 1)),
          0::bigint, 'well-conditioned cases agree to 1e-12 relative');

-- The summary signature: the same numbers as the raw one, with units
-- per period from the interval and the summary's time unit, for every
-- generated customer; and the definition for some of them.
CREATE TEMP TABLE summary_cases AS
SELECT s.customer, s.summary, pm.name, pm.pm, pm.gm, p, d, period,
       extract(epoch FROM period) / extract(epoch FROM (s.summary).time_unit) AS u
FROM summaries s, purchase_models pm,
     (VALUES (1, 0.0::float8, interval '365 days'), (12, 0.01, interval '30 days'),
             (120, 0.2, interval '7 days'), (1200, 0.01, interval '1 day')) v(p, d, period)
WHERE pm.name LIKE 'fitted%' AND (s.summary).frequency IS NOT NULL;

SELECT is((SELECT count(*) FROM summary_cases
           WHERE clv_predicted_value(pm, gm, summary, p, d, period, 0.4)
                 IS DISTINCT FROM clv_predicted_value(pm, gm, (summary).frequency, (summary).recency, (summary).age,
                                                      (summary).monetary, p, d, u, 0.4)),
          0::bigint, 'the summary signature gives the raw signature''s numbers');

SELECT is((SELECT count(*) FROM summary_cases c,
                  LATERAL pg_temp.reference(pm, gm, (summary).frequency, (summary).recency, (summary).age,
                                            (summary).monetary, p, d, u, 0.4) r
           WHERE c.customer % 25 = 0 AND c.p < 1200
             AND NOT (clv_predicted_value(pm, gm, summary, p, d, period, 0.4) IS NOT DISTINCT FROM r.value
                      OR abs(clv_predicted_value(pm, gm, summary, p, d, period, 0.4) - r.value)
                         <= 1e-12 * (greatest(abs(r.value), 1) + r.cancelled))),
          0::bigint, 'the summary signature is the per-period definition');

-- Exact values, from the definition with 40-digit arithmetic (mpmath's
-- hyp2f1 for E[Y], P(alive) and E[spend] in closed form), monetary 25,
-- margin 1, Gamma-Gamma p = 6.25, q = 3.74, gamma = 15.44.  They include
-- what the per-period reference cannot do well (x = 200 over a day;
-- a = 1 + 1e-6) or at all in reasonable time (1,200 years from age 0).
CREATE TEMP TABLE exact_models (name text, pm clv_model);
INSERT INTO exact_models VALUES
  ('cdnow', 'kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('a_near_1', 'kind=bgnbd r=0.5 alpha=20 a=1.000001 b=3 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('mbg', 'kind=mbgnbd r=0.25 alpha=5 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('small_b', 'kind=bgnbd r=0.9 alpha=3 a=0.6 b=0.5 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('a_gt_1', 'kind=bgnbd r=1.7 alpha=40 a=2.5 b=0.3 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  ('r_big', 'kind=bgnbd r=6 alpha=100 a=0.4 b=0.2 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  -- a fit whose dropout probability hardly varies (a and b in the hundreds
  -- of millions): the series about 0 has b + x in the millions beside a
  -- larger c, which used to be "did not converge"
  ('same_dropout', 'kind=bgnbd r=0.3298187182559201 alpha=95.08296004645351 a=155207974.9496132 b=334380818.6881502 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0'),
  -- a and b in the hundreds with hundreds of purchases: the series about 0
  -- cancels there (its terms reach far above its sum), so these frequent
  -- buyers are evaluated period by period (they were off by up to 2e6)
  ('b_equals_a_200', 'kind=bgnbd r=0.5 alpha=20 a=200 b=200 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0');
CREATE TEMP TABLE exact (name text, x float8, t_x float8, t float8, p int, d float8, u float8, value numeric);
INSERT INTO exact VALUES
  ('cdnow', 200, 3650, 3650, 1, 0, 1, 1.365572058285852790792231),
  ('a_near_1', 200, 3650, 3650, 1, 0, 1, 1.360107756903592954930011),
  ('a_near_1', 3, 100, 700, 12, 0.01, 30, 0.3519376860285182642889198),
  ('cdnow', 0, 0, 0, 1200, 0.01, 365, 694.9672598506385291263486),
  ('cdnow', 2, 30, 365, 12, 0.01, 30, 0.9393515357870176602657551),
  ('cdnow', 1, 1, 1, 120, 0.2, 7, 74.20333091476238599253395),
  ('mbg', 5, 6, 7, 120, 0.2, 7, 175.1031195208541093884387),
  ('mbg', 0, 0, 0, 1200, 0, 365, 1459.177847593494564220668),
  ('small_b', 0, 0, 0, 1200, 0, 365, 4608.782674651469682430899),
  ('small_b', 0, 0, 2, 1200, 0.01, 30, 443.7869017647477053856195),
  ('a_gt_1', 17, 300, 1000, 120, 0.01, 30, 0.000001208556463771584554371301),
  ('r_big', 60, 900, 3650, 12, 0.2, 365, 1.209759201315611944620757e-33),
  ('cdnow', 60, 3000, 3650, 1200, 0.01, 1, 0.02355783560262179755576961),
  ('same_dropout', 3, 438, 1202, 12, 0.01, 30, 1.91873569561985463920964),
  ('same_dropout', 0, 0, 5, 12, 0.01, 30, 23.35725133554135639961804),
  ('same_dropout', 40, 900, 1000, 120, 0.2, 7, 0.9622493885025829985682925),
  ('same_dropout', 200, 300, 310, 12, 0.01, 30, 1.109895199669724563378506),
  ('same_dropout', 500, 300, 310, 12, 0.01, 30, 0.0006231579270106377934955914),
  ('same_dropout', 1000, 300, 310, 12, 0.01, 30, 2.326414390885801108453084e-9),
  ('b_equals_a_200', 500, 300, 310, 12, 0.01, 30, 0.00008006903684018660240139359),
  ('b_equals_a_200', 1000, 300, 310, 12, 0.01, 30, 4.444334008179881088689456e-11);
SELECT is((SELECT count(*) FROM exact JOIN exact_models USING (name)
           WHERE NOT abs(clv_predicted_value(pm, 'kind=gammagamma p=6.25 q=3.74 gamma=15.44 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0',
                                             x, t_x, t, 25, p, d, u)::numeric - value)
                     -- the models whose expansions cancel are summed period
                     -- by period, each period's bracket to some 1e-13
                     <= CASE WHEN name IN ('same_dropout', 'b_equals_a_200') THEN 1e-12 ELSE 1e-13 END * abs(value)),
          0::bigint, 'exact values to 1e-13 relative (1e-12 period by period), far horizons and a = 1 + 1e-6 included');

-- The convention's form: the horizon an interval, the margin gross_margin.
-- The same numbers as the periods form wherever the horizon holds a whole
-- number of periods, months counted as months.
SELECT is((SELECT count(*) FROM summary_cases c,
                  (VALUES ('1 year'::interval, '1 month'::interval, 12), ('2 years', '3 months', 8),
                          ('84 days', '1 week', 12), ('1 day', '1 hour', 24)) h(horizon, period, periods)
           WHERE clv_predicted_value(pm, gm, summary, horizon => h.horizon, period => h.period, discount_rate => d,
                                     gross_margin => 0.4)
                 IS DISTINCT FROM clv_predicted_value(pm, gm, summary, h.periods, d, h.period, 0.4)),
          0::bigint, 'the horizon form gives the periods form''s numbers (''1 year'' is 12 months)');
SELECT is((SELECT count(*) FROM summary_cases c
           WHERE c.customer % 10 = 0
             AND (clv_predicted_value(pm, gm, summary, '1 year'::interval, '1 month', 0.01, NULL)
                  IS DISTINCT FROM clv_predicted_value(pm, gm, summary, '1 year'::interval, '1 month', 0.01)
                  OR clv_predicted_value(pm, gm, summary, '1 year'::interval, '1 month', 0.01)
                     IS DISTINCT FROM clv_predicted_value(pm, gm, summary, 12, 0.01, '1 month'))),
          0::bigint, 'gross_margin left out or NULL is 1');
SELECT is((SELECT count(*) FILTER (WHERE clv_predicted_value(NULL, gm, summary, '1 year'::interval, '1 month', 0.01) IS NULL
                                     AND clv_predicted_value(pm, gm, NULL, '1 year'::interval, '1 month', 0.01) IS NULL)
           FROM summary_cases WHERE customer % 50 = 0),
          (SELECT count(*) FROM summary_cases WHERE customer % 50 = 0),
          'a NULL model or summary gives NULL');
SELECT throws_ok($$SELECT clv_predicted_value(pm, gm, summary, '1 year'::interval, '1 week', 0.01) FROM summary_cases LIMIT 1$$,
                 '22023', 'horizon must be a whole number of periods', 'a horizon of 52.18 weeks is refused');
SELECT throws_ok($$SELECT clv_predicted_value(pm, gm, summary, NULL::interval, '1 week', 0.01) FROM summary_cases LIMIT 1$$,
                 '22004', 'horizon must not be NULL', 'a NULL horizon is an error, not a NULL value');

-- a bad option is an error whatever the customer's data, NULL ones included
SELECT throws_ok($$SELECT clv_predicted_value(NULL::clv_model, NULL, NULL::clv_summary, '1 year'::interval, '1 month', -2)$$,
                 '22023', 'discount_rate must be greater than -1', 'a discount of -2 is refused, with NULL data too');
SELECT throws_ok($$SELECT clv_predicted_value_interval(NULL::clv_model, NULL, NULL::clv_summary, '1 year'::interval, '1 month', 0.01, 0.3, 7)$$,
                 '22023', 'level must be between 0 and 1, exclusive', 'a level of 7 is refused, with NULL data too');
SELECT throws_ok($$SELECT clv_predicted_value(NULL::clv_model, NULL, NULL::clv_summary, '101 years'::interval, '1 month', 0.01)$$,
                 '22023', 'the horizon holds 1212 periods, more than 1200', 'a horizon beyond 1,200 periods names the horizon');

-- the errors and edge cases of before
SELECT throws_ok($$SELECT clv_predicted_value(pm, gm, 1, 5, 10, 25, 1201, 0, 1) FROM purchase_models WHERE name = 'cdnow bgnbd'$$,
                 '22023', 'periods must be between 0 and 1200', 'periods above 1200 are refused');
-- a = 1, where the paper's expectation is 0/0: its limit, between a = 1 -+ 1e-9
SELECT ok((SELECT v[2] BETWEEN least(v[1], v[3]) AND greatest(v[1], v[3]) AND abs(v[1] / v[3] - 1) < 1e-7
           FROM (SELECT array_agg(clv_predicted_value(format('kind=bgnbd r=1 alpha=1 a=%s b=1 log_likelihood=-1 customers=1 iterations=1 converged=true penalizer=0', a)::clv_model,
                                                      gm, 1, 5, 10, 25, 12, 0, 1) ORDER BY a) AS v
                 FROM purchase_models, (VALUES (1 - 1e-9), (1), (1 + 1e-9)) a(a)
                 WHERE name = 'cdnow bgnbd') q),
          'a = 1 has its limit, between its neighbours');
SELECT throws_ok($$SELECT clv_predicted_value(pm, gm, 1, 5, 10, 25, 2, 0, 1e308) FROM purchase_models WHERE name = 'cdnow bgnbd'$$,
                 '22023', 't must be a finite number', 'a horizon beyond float8 is refused');
SELECT is((SELECT clv_predicted_value(pm, gm, 1, 5, 3, 25, 0, 0, 1) FROM purchase_models WHERE name = 'cdnow bgnbd'),
          0::float8, 'no periods, no value (and no look at the history)');

SELECT * FROM finish();
ROLLBACK;
