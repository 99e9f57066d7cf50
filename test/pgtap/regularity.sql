-- Purchase regularity: MBG/CNBD-k and BG/CNBD-k.  With k = 1 they are
-- MBG/NBD and BG/NBD: the same fits on CDNOW and the same scores, from a
-- different formula (the expected purchases are a series over the
-- purchases to come, not Gauss's hypergeometric function).  On data
-- simulated with k = 2 and k = 3 the fits choose that k and recover the
-- parameters, and the expected purchases of the true model match what the
-- simulated customers went on to buy.  CDNOW's part is skipped without
-- ../shared/data.
\ir ../include/prologue.psql
\ir ../include/cdnow.psql
BEGIN;
SELECT plan(46);
SELECT setseed(0.27);

\ir ../include/rgamma.psql
\ir ../include/simulate_purchases.psql

-- 20,000 customers each, ages between 26 and 52 weeks, then 39 weeks of holdout
CREATE TEMP TABLE sim2 AS
SELECT g AS id, s.* FROM generate_series(1, 20000) g,
     LATERAL pg_temp.simulate_cnbd(0.8, 2, 0.8, 2.5, 2, 26 + 26 * random() + 0 * g, true, 39) s;
CREATE TEMP TABLE sim3 AS
SELECT g AS id, s.* FROM generate_series(1, 20000) g,
     LATERAL pg_temp.simulate_cnbd(0.8, 2, 0.8, 2.5, 3, 26 + 26 * random() + 0 * g, false, 39) s;
ANALYZE sim2;
CREATE TEMP TABLE fits AS
SELECT (SELECT clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum) FROM sim2) AS mbg2,
       (SELECT clv_fit_bgcnbd(frequency, recency, age, log_gap_sum) FROM sim3) AS bg3,
       (SELECT clv_fit_mbgnbd(frequency, recency, age) FROM sim2) AS mbg_poisson;
CREATE TEMP TABLE truth AS
SELECT 'kind=mbgcnbd k=2 r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model AS mbg2,
       'kind=bgcnbd k=3 r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model AS bg3;

SELECT is((clv_model_params(mbg2) ->> 'k')::int, 2, 'MBG/CNBD-k chooses k = 2 on data simulated with k = 2') FROM fits;
SELECT is((clv_model_params(bg3) ->> 'k')::int, 3, 'BG/CNBD-k chooses k = 3 on data simulated with k = 3') FROM fits;
CREATE TEMP TABLE est AS
SELECT model, key, (j ->> key)::float8 AS value, (j -> 'std_errors' ->> key)::float8 AS se, t.truth
FROM (SELECT 'MBG/CNBD-2' AS model, clv_model_params(mbg2) AS j FROM fits
      UNION ALL SELECT 'BG/CNBD-3', clv_model_params(bg3) FROM fits) f,
     (VALUES ('r', 0.8), ('alpha', 2.0), ('a', 0.8), ('b', 2.5)) t(key, truth);
SELECT ok(abs(value - truth) < 4 * se AND se < 0.5 * truth,
          format('%s %s recovered: %s, truth %s, standard error %s', model, key,
                 round(value::numeric, 3), truth, round(se::numeric, 3)))
FROM est ORDER BY model, key;

-- the true model's expected holdout purchases, summed over the customers,
-- against what they bought: within 4 standard errors of the sum
SELECT ok(abs(sum(d)) < 4 * stddev(d) * sqrt(count(*)),
          format('MBG/CNBD-2: expected holdout purchases %s, bought %s',
                 round(sum(e)::numeric), sum(holdout_purchases)))
FROM (SELECT holdout_purchases, clv_expected_purchases(mbg2, 39, frequency, recency, age) AS e,
             holdout_purchases - clv_expected_purchases(mbg2, 39, frequency, recency, age) AS d
      FROM sim2, truth) q;
SELECT ok(abs(sum(d)) < 4 * stddev(d) * sqrt(count(*)),
          format('BG/CNBD-3: expected holdout purchases %s, bought %s',
                 round(sum(e)::numeric), sum(holdout_purchases)))
FROM (SELECT holdout_purchases, clv_expected_purchases(bg3, 39, frequency, recency, age) AS e,
             holdout_purchases - clv_expected_purchases(bg3, 39, frequency, recency, age) AS d
      FROM sim3, truth) q;
-- a new customer's purchases in 39 weeks
SELECT ok(abs(avg(frequency) - (SELECT clv_expected_purchases_new(mbg2, 39) FROM truth))
          < 4 * stddev(frequency) / sqrt(count(*)),
          format('MBG/CNBD-2: a new customer is expected to buy %s times in 39 weeks; simulated: %s',
                 (SELECT round(clv_expected_purchases_new(mbg2, 39)::numeric, 3) FROM truth),
                 round(avg(frequency)::numeric, 3)))
FROM (SELECT s.* FROM generate_series(1, 20000) g,
      LATERAL pg_temp.simulate_cnbd(0.8, 2, 0.8, 2.5, 2, 39 + 0 * g) s) q;

-- the point of regularity: six purchases four weeks apart, then twenty
-- weeks of silence, is five missed rhythms: less likely alive than under
-- Poisson purchases fitted on the same customers, and so already from one
-- missed gap on
SELECT ok(clv_p_alive(mbg2, 6, 24, 44) < 0.5 * clv_p_alive(mbg_poisson, 6, 24, 44),
          format('silent for five of their gaps: P(alive) %s with k = 2, %s with Poisson purchases',
                 round(clv_p_alive(mbg2, 6, 24, 44)::numeric, 3), round(clv_p_alive(mbg_poisson, 6, 24, 44)::numeric, 3)))
FROM fits;
SELECT ok(bool_and(clv_p_alive(mbg2, 6, 24, t) < clv_p_alive(mbg_poisson, 6, 24, t)),
          'from one gap late on (28, 32, 36 and 40 weeks), P(alive) is lower with k = 2 than with Poisson purchases')
FROM fits, (VALUES (28.0), (32.0), (36.0), (40.0)) v(t);

-- k = 1 is MBG/NBD and BG/NBD: scores of the same parameters agree on every
-- simulated history (a series against Gauss's 2F1)
CREATE TEMP TABLE k1 AS
SELECT m.c, replace(m.c::text, 'kind=mbgcnbd k=1', 'kind=mbgnbd')::clv_model AS nbd,
       b.c AS bc, replace(b.c::text, 'kind=bgcnbd k=1', 'kind=bgnbd')::clv_model AS bnbd
FROM (SELECT clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum, 1) AS c FROM sim2) m,
     (SELECT clv_fit_bgcnbd(frequency, recency, age, log_gap_sum, 1) AS c FROM sim3) b;
SELECT ok(max(greatest(abs(clv_p_alive(c, frequency, recency, age) / clv_p_alive(nbd, frequency, recency, age) - 1),
                       abs(clv_p_alive(bc, frequency, recency, age) / clv_p_alive(bnbd, frequency, recency, age) - 1)))
          < 1e-12, 'k = 1: P(alive) of MBG/NBD and BG/NBD, to 1e-12')
FROM sim2, k1;
SELECT ok(max(greatest(abs(clv_expected_purchases(c, t, frequency, recency, age)
                           / clv_expected_purchases(nbd, t, frequency, recency, age) - 1),
                       abs(clv_expected_purchases(bc, t, frequency, recency, age)
                           / clv_expected_purchases(bnbd, t, frequency, recency, age) - 1)))
          < 1e-11, 'k = 1: expected purchases in 1, 39 and 520 weeks of MBG/NBD and BG/NBD, to 1e-11')
FROM sim2, k1, (VALUES (1.0), (39.0), (520.0)) h(t);
SELECT ok(abs(clv_expected_purchases_new(c, 52) / clv_expected_purchases_new(nbd, 52) - 1) < 1e-12
          AND abs(clv_expected_purchases_new(bc, 52) / clv_expected_purchases_new(bnbd, 52) - 1) < 1e-12,
          'k = 1: a new customer''s expected purchases') FROM k1;
SELECT ok(max(abs(clv_predicted_value(c, gg, frequency, recency, age, 20, 12, 0.01, 4.35, 0.3)
                  / clv_predicted_value(nbd, gg, frequency, recency, age, 20, 12, 0.01, 4.35, 0.3) - 1)) < 1e-11,
          'k = 1: the predicted value of MBG/NBD')
FROM sim2, k1, (SELECT 'kind=gammagamma p=6 q=4 gamma=15 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model AS gg) s
WHERE frequency > 0;

-- frequent buyers, whose purchases to come are summed in closed form: k = 1
-- against MBG/NBD's 2F1, with a below, at, just above and above 1; and 12
-- million purchases against a 30-digit reference (mpmath, the same sum
-- over the negative binomial in high precision: 8664723.2530392334)
SELECT ok(max(abs(clv_expected_purchases(replace(m, 'kind=mbgnbd', 'kind=mbgcnbd k=1')::clv_model, 52, x, 52, 52)
                  / clv_expected_purchases(m::clv_model, 52, x, 52, 52) - 1)) < 1e-10,
          'k = 1, 1,000 to 100,000 purchases, a from 0.5 to 3: MBG/NBD''s expected purchases to 1e-10')
FROM (VALUES (0.5), (1.0), (1.0000001), (3.0)) v(a), (VALUES (1e3), (1e4), (1e5)) f(x),
     LATERAL (SELECT format('kind=mbgnbd r=0.8 alpha=2 a=%s b=2.5 log_likelihood=-1 customers=1 iterations=0 '
                            'converged=true penalizer=0', a) AS m) q;
SELECT ok(abs(clv_expected_purchases('kind=mbgcnbd k=1 r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
                                     52, 1.2e7, 52, 52) / 8664723.2530392334 - 1) < 1e-10,
          '12 million purchases: the expectation to 1e-10 of a 30-digit reference');
-- a tiny expectation is not lost: twelve Poisson events in 0.01 weeks, as
-- the first term of the negative binomial tail gives it (to its O(q) error)
SELECT ok(abs(clv_expected_purchases_new(m, 0.01) / lead - 1) < 0.01,
          format('k = 12 over 0.01 weeks: %s expected purchases, the tail''s first term %s',
                 clv_expected_purchases_new(m, 0.01), lead))
FROM (SELECT 'kind=bgcnbd k=12 r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model AS m,
             exp((SELECT sum(ln((0.8 + i) / (i + 1))) FROM generate_series(0, 11) i) + 12 * ln(0.01 / 2.01)
                 + 0.8 * ln(2 / 2.01)) AS lead) q;
-- a horizon and alpha near 1e308: alpha + T + t overflows, the expectation
-- (which depends on t / (alpha + T) alone) does not
SELECT ok(bool_and(abs(clv_expected_purchases(replace(m, 'ALPHA', '1e308')::clv_model, 1e308, 0, 0, 0)
                       / clv_expected_purchases(replace(m, 'ALPHA', '1e300')::clv_model, 1e300, 0, 0, 0) - 1) < 1e-12),
          'alpha and t near 1e308: the same expected purchases as at 1e300 (MBG/NBD, MBG/CNBD-1, MBG/CNBD-3)')
FROM (VALUES ('kind=mbgnbd'), ('kind=mbgcnbd k=1'), ('kind=mbgcnbd k=3')) v(kind),
     LATERAL (SELECT kind || ' r=0.8 alpha=ALPHA a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0' AS m) q;

-- the same fit in parallel and from partial states shipped as text: bit for bit
\ir ../include/force_parallel.psql
SELECT is((SELECT clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum)::text FROM sim2),
          (SELECT mbg2::text FROM fits), 'the parallel fit equals the serial one');
RESET max_parallel_workers_per_gather;
CREATE AGGREGATE pg_temp.cnbd_state(float8, float8, float8, float8) (
    SFUNC = clv_fit_cnbd_transfn, STYPE = bigint[], COMBINEFUNC = clv_fit_patterns_combine);
CREATE AGGREGATE pg_temp.cnbd_merge(bigint[]) (
    SFUNC = clv_fit_patterns_combine, STYPE = bigint[], FINALFUNC = clv_fit_mbgcnbd_final);
SELECT is((SELECT pg_temp.cnbd_merge(state::bigint[])::text
           FROM (SELECT pg_temp.cnbd_state(frequency, recency, age, log_gap_sum)::text AS state
                 FROM sim2 GROUP BY id % 5) shards),
          (SELECT mbg2::text FROM fits), 'partial states from five shards, shipped as text, give the same fit');

-- the model's text form carries k; jsonb shows it and counts it in AIC and BIC
SELECT is((mbg2::text)::clv_model::text, mbg2::text, 'text round trip') FROM fits;
SELECT ok(mbg2::text LIKE 'kind=mbgcnbd k=2 r=%', 'k is written after the kind') FROM fits;
SELECT is(round(((j ->> 'bic')::float8 - (-2 * (j ->> 'log_likelihood')::float8 + 5 * ln(20000)))::numeric, 9), 0::numeric,
          'BIC counts five parameters, k among them') FROM fits, clv_model_params(mbg2) j;

-- CDNOW: k = 1 is chosen, and k = 1 gives MBG/NBD's and BG/NBD's fits
\if :have_cdnow
CREATE TEMP TABLE cdnow_histories AS
WITH days AS (SELECT DISTINCT id, day FROM cdnow_orders WHERE day <= '1997-09-30'),
     gaps AS (SELECT id, day, day - lag(day) OVER (PARTITION BY id ORDER BY day) AS gap FROM days)
SELECT id, count(gap)::float8 AS x, (max(day) - min(day)) / 7.0 AS t_x,
       (date '1997-09-30' - min(day)) / 7.0 AS t, coalesce(sum(ln(gap / 7.0)), 0) AS log_gap_sum
FROM gaps GROUP BY id;
CREATE TEMP TABLE cdnow_fits AS
SELECT clv_model_params(clv_fit_mbgcnbd(x, t_x, t, log_gap_sum)) AS mbg_k,
       clv_model_params(clv_fit_bgcnbd(x, t_x, t, log_gap_sum)) AS bg_k,
       clv_model_params(clv_fit_mbgnbd(x, t_x, t)) AS mbg,
       clv_model_params(clv_fit_bgnbd(x, t_x, t)) AS bg,
       clv_model_params(clv_fit_bgcnbd(x, t_x, t, log_gap_sum, 2)) AS bg_2
FROM cdnow_histories;
SELECT ok((mbg_k ->> 'k')::int = 1 AND (bg_k ->> 'k')::int = 1,
          'CDNOW: both choose k = 1 (its purchases are not regular)') FROM cdnow_fits;
SELECT ok((SELECT bool_and(abs((mbg_k ->> key)::float8 / (mbg ->> key)::float8 - 1) < 1e-9
                           AND abs((bg_k ->> key)::float8 / (bg ->> key)::float8 - 1) < 1e-9)
           FROM unnest(ARRAY['r', 'alpha', 'a', 'b', 'log_likelihood']) key),
          'CDNOW: k = 1 reproduces the MBG/NBD and BG/NBD fits (r 0.243, alpha 4.414, a 0.793, b 2.426, LL -9582.4)')
FROM cdnow_fits;
SELECT ok((bg_2 ->> 'log_likelihood')::float8 < (bg_k ->> 'log_likelihood')::float8 - 100,
          format('CDNOW: k = 2 is far less likely (log-likelihood %s against %s)',
                 round((bg_2 ->> 'log_likelihood')::numeric, 1), round((bg_k ->> 'log_likelihood')::numeric, 1)))
FROM cdnow_fits;
SELECT is(round((SELECT sum(clv_expected_purchases(clv_fit_bgcnbd, 39, x, t_x, t))
                 FROM cdnow_histories, (SELECT clv_fit_bgcnbd(x, t_x, t, log_gap_sum) FROM cdnow_histories) f)::numeric),
          1653::numeric, 'CDNOW: 1,653 repeat purchases expected in the 39-week holdout, as BG/NBD');
\else
SELECT skip('../shared/data not found: CDNOW checks skipped', 4);
\endif

-- bad input
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(2, 10, 20, 4)$$, '22023', NULL,
                 'a log_gap_sum above frequency x ln(recency / frequency)');
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(2, 5e-324, 10, 1e5)$$, '22023', NULL,
                 'a recency so small that recency / frequency underflows cannot let any log_gap_sum through');
-- forged states: a row without gaps added to a regularity state, a total of log gaps no history allows
CREATE AGGREGATE pg_temp.mixed(float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], FINALFUNC = clv_fit_mbgcnbd_final,
    INITCOND = '{289043533827,1,0,0,0,0,3,0,0}');
SELECT throws_ok($$SELECT pg_temp.mixed(frequency, recency, age) FROM sim2$$, '22023', 'invalid model fit state',
                 'a row without the logs of its gaps cannot join a regularity fit');
CREATE AGGREGATE pg_temp.forged_gaps(float8, float8, float8, float8) (
    SFUNC = clv_fit_cnbd_transfn, STYPE = bigint[], FINALFUNC = clv_fit_mbgcnbd_final,
    INITCOND = '{289043533827,1,0,0,0,0,-1,4000000,0}');
SELECT throws_ok($$SELECT pg_temp.forged_gaps(frequency, recency, age, log_gap_sum) FROM sim2$$, '22023',
                 'invalid model fit state', 'a total of log gaps beyond what the histories allow is refused');
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(0, 0, 20, 1)$$, '22023', NULL, 'a log_gap_sum without repeat purchases');
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(2, 10, 20, 'NaN')$$, '22023', NULL, 'a NaN log_gap_sum');
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(2, 10, 20, 3, 13)$$, '22023', 'k must be between 1 and 12', 'k = 13');
SELECT throws_ok($$SELECT clv_fit_bgcnbd(2, 10, 20, 3, 0)$$, '22023', 'k must be between 1 and 12', 'k = 0');
SELECT throws_ok($$SELECT clv_fit_mbgcnbd(2, 10, 20, 3, g) FROM generate_series(1, 2) g$$, '22023',
                 'k must be the same for every row', 'k changing from row to row');
SELECT throws_ok($$SELECT 'kind=mbgcnbd r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model$$,
                 '22P02', NULL, 'a regularity model without k');
SELECT throws_ok($$SELECT 'kind=bgnbd k=2 r=1 alpha=1 a=1 b=1 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0'::clv_model$$,
                 '22P02', NULL, 'k on a model that has none');
SELECT throws_ok($$SELECT clv_next_purchase(mbg2, 2, 10, 20) FROM fits$$, '0A000', NULL,
                 'the next purchase''s distribution is for Poisson purchases only');

-- clv_decline's gone_quiet with a regularity model: the chance that a
-- customer still buying at their posterior rate, Gamma(r + k x, alpha + t_x),
-- would have let the silence pass, sum_{i<k} Gamma(c+i) / (Gamma(c) i!)
-- (u / (alpha+T))^i ((alpha+t_x) / (alpha+T))^c, written here in SQL (the
-- Gamma ratio as a product); other
-- models keep the gaps' own rhythm (the same p_gap as without a model)
CREATE TEMP TABLE silences AS
SELECT kind, k, h.x, h.t_x, h.T,
       format('kind=%s k=%s r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
              kind, k)::clv_model AS m,
       (SELECT sum(exp((SELECT coalesce(sum(ln((0.8 + k * h.x + j - 1) / j)), 0) FROM generate_series(1, i) j)
                       + i * ln((h.T - h.t_x) / (2 + h.T)) + (0.8 + k * h.x) * ln((2 + h.t_x) / (2 + h.T))))
          FROM generate_series(0, k - 1) i) AS expected
FROM unnest(ARRAY['mbgcnbd', 'bgcnbd']) kind, unnest(ARRAY[1, 2, 5]) k,
     (VALUES (1, 4, 30), (3, 12, 38), (3, 12, 12.5), (6, 20, 60), (25, 50, 52)) h(x, t_x, T);
CREATE TEMP TABLE decline_of AS
SELECT si.*, (clv_decline(format('(2026-01-01,%s,%s,%s,0,%s,100,0,10,%s,%s,%s,10,%s,0,7 days)',
                                 date '2026-01-01' + (7 * si.t_x)::int, date '2026-01-01' + (7 * si.T)::int,
                                 si.x + 1, si.x + 1, si.x, si.t_x, si.T,
                                 CASE WHEN si.x > 0 THEN (si.t_x / si.x)::text ELSE '' END)::clv_summary,
                          si.m)).p_gap
FROM silences si;
SELECT is((SELECT count(*) FROM decline_of WHERE p_gap IS NULL OR NOT abs(p_gap - expected) <= 1e-12 * expected), 0::bigint,
          'gone_quiet with a regularity model: its chance of the silence, as the closed form gives it, k = 1, 2 and 5');
SELECT is((SELECT count(*) FROM (
               SELECT (clv_decline(s, 'kind=mbgnbd r=0.8 alpha=2 a=0.8 b=2.5 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0')).p_gap AS with_model,
                      (clv_decline(s)).p_gap AS without
               FROM (SELECT clv_summary(d, 10, date '2026-06-30', '7 days') AS s
                     FROM generate_series(date '2025-10-01', date '2026-01-01', '28 days') d) q) c
           WHERE with_model IS DISTINCT FROM without OR with_model IS NULL), 0::bigint,
          'other models leave gone_quiet to the customer''s own gaps');

SELECT * FROM finish();
ROLLBACK;
