-- Model fits: parameter recovery of every model on data simulated from known
-- parameters, standard errors that cover the truth, identical fits (BG/NBD
-- and Gamma-Gamma) in parallel and from text-shipped partial states, binary
-- round trip, and bad input.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(28);
SELECT setseed(0.31);

\ir ../include/rgamma.psql
\ir ../include/simulate_purchases.psql

-- ages between 26 and 52 weeks; "+ 0 * g" makes each row draw its own
CREATE TABLE sim AS
SELECT g AS id, s.frequency, s.recency, s.age
FROM generate_series(1, 20000) g,
     LATERAL pg_temp.simulate_bgnbd(0.25, 4, 0.8, 2.5, 26 + 26 * random() + 0 * g) s;
ALTER TABLE sim SET (parallel_workers = 2);
ANALYZE sim;

CREATE TEMP TABLE fit AS SELECT clv_fit_bgnbd(frequency, recency, age) AS m FROM sim;
CREATE TEMP TABLE est AS
SELECT key, (j ->> key)::float8 AS value, (j -> 'std_errors' ->> key)::float8 AS se, truth
FROM fit, clv_model_params(m) j,
     (VALUES ('r', 0.25), ('alpha', 4.0), ('a', 0.8), ('b', 2.5)) t(key, truth);

SELECT ok(abs(value - truth) < least(4 * se, 0.3 * truth),
          format('%s recovered: %s, truth %s, standard error %s', key,
          round(value::numeric, 3), truth, round(se::numeric, 3)))
FROM est ORDER BY key;

-- the other models recover their own parameters, each from 20,000 simulated customers
CREATE TEMP TABLE sim_mbg AS
SELECT s.* FROM generate_series(1, 20000) g,
     LATERAL pg_temp.simulate_bgnbd(0.25, 4, 0.8, 2.5, 26 + 26 * random() + 0 * g, true) s;
CREATE TEMP TABLE sim_pareto AS
SELECT s.* FROM generate_series(1, 20000) g,
     LATERAL pg_temp.simulate_paretonbd(0.55, 10.5, 0.6, 12, 26 + 26 * random() + 0 * g) s;
-- Gamma-Gamma: nu ~ Gamma(q, 1/gamma) per customer; the mean of x
-- transactions of Gamma(p, 1/nu) is Gamma(p x, 1/(x nu))
CREATE TEMP TABLE sim_spend AS
SELECT x, pg_temp.rgamma(6 * x, 1 / (x * nu)) AS m
FROM (SELECT 1 + floor(-ln(1 - random()) * 3 + 0 * g) AS x, pg_temp.rgamma(4, 1.0 / 15) AS nu
      FROM generate_series(1, 20000) g) c;
CREATE TEMP TABLE est_more AS
SELECT model, key, (j ->> key)::float8 AS value, (j -> 'std_errors' ->> key)::float8 AS se, truth
FROM (SELECT 'MBG/NBD' AS model, clv_model_params(clv_fit_mbgnbd(frequency, recency, age)) AS j FROM sim_mbg
      UNION ALL
      SELECT 'Pareto/NBD', clv_model_params(clv_fit_paretonbd(frequency, recency, age)) FROM sim_pareto
      UNION ALL
      SELECT 'Gamma-Gamma', clv_model_params(clv_fit_gammagamma(x, m)) FROM sim_spend) f,
     (VALUES ('MBG/NBD', 'r', 0.25), ('MBG/NBD', 'alpha', 4.0), ('MBG/NBD', 'a', 0.8), ('MBG/NBD', 'b', 2.5),
             ('Pareto/NBD', 'r', 0.55), ('Pareto/NBD', 'alpha', 10.5), ('Pareto/NBD', 's', 0.6), ('Pareto/NBD', 'beta', 12.0),
             ('Gamma-Gamma', 'p', 6.0), ('Gamma-Gamma', 'q', 4.0), ('Gamma-Gamma', 'gamma', 15.0)) t(m, key, truth)
WHERE t.m = f.model;
SELECT ok(abs(value - truth) < 4 * se AND se < 0.5 * truth,
          format('%s %s recovered: %s, truth %s, standard error %s', model, key,
                 round(value::numeric, 3), truth, round(se::numeric, 3)))
FROM est_more ORDER BY model, key;

-- the same fit, bit for bit, with parallel workers and from shipped partial states
\ir ../include/force_parallel.psql
SELECT is((SELECT clv_fit_bgnbd(frequency, recency, age)::text FROM sim),
          (SELECT m::text FROM fit), 'the parallel fit equals the serial one');
SELECT is((SELECT clv_fit_mbgnbd(frequency, recency, age)::text FROM sim),
          (SELECT clv_fit_mbgnbd(frequency, recency, age ORDER BY id)::text FROM sim),
          'the parallel MBG/NBD fit equals a serial one');
CREATE TEMP TABLE spend_fit AS
SELECT clv_fit_gammagamma(frequency, 10 + (id % 17) + recency / 10)::text AS m FROM sim;
SELECT is((SELECT clv_fit_gammagamma(frequency, 10 + (id % 17) + recency / 10)::text FROM sim),
          (SELECT m FROM spend_fit), 'the parallel Gamma-Gamma fit equals the serial one');
RESET max_parallel_workers_per_gather;
CREATE AGGREGATE pg_temp.fit_state(float8, float8, float8) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[], COMBINEFUNC = clv_fit_patterns_combine);
CREATE AGGREGATE pg_temp.fit_merge(bigint[]) (
    SFUNC = clv_fit_patterns_combine, STYPE = bigint[], FINALFUNC = clv_fit_bgnbd_final);
SELECT is((SELECT pg_temp.fit_merge(state::bigint[])::text
           FROM (SELECT pg_temp.fit_state(frequency, recency, age)::text AS state
                 FROM sim GROUP BY id % 5) shards),
          (SELECT m::text FROM fit), 'partial states from five shards, shipped as text, give the same fit');

CREATE AGGREGATE pg_temp.spend_state(float8, float8) (
    SFUNC = clv_fit_gammagamma_transfn, STYPE = bigint[], COMBINEFUNC = clv_fit_patterns_combine);
CREATE AGGREGATE pg_temp.spend_merge(bigint[]) (
    SFUNC = clv_fit_patterns_combine, STYPE = bigint[], FINALFUNC = clv_fit_gammagamma_final);
SELECT is((SELECT pg_temp.spend_merge(state::bigint[])::text
           FROM (SELECT pg_temp.spend_state(frequency, 10 + (id % 17) + recency / 10)::text AS state
                 FROM sim GROUP BY id % 3) shards),
          (SELECT m FROM spend_fit), 'Gamma-Gamma partial states from three shards give the same fit');

-- binary send/receive round trip, through a server-side file removed afterwards
\ir ../include/binary_round_trip.psql

-- a penalizer shrinks the parameters
SELECT ok((SELECT (clv_model_params(clv_fit_bgnbd(frequency, recency, age, 0.01)) ->> 'alpha')::float8 FROM sim)
          < (SELECT value FROM est WHERE key = 'alpha'), 'a penalizer shrinks alpha');

-- bad input
SELECT throws_ok($$SELECT clv_fit_bgnbd(1, 11, 10)$$, '22023', 'recency must not exceed age', 'recency > age');
SELECT throws_ok($$SELECT clv_fit_bgnbd(2, 0, 10)$$, '22023', 'recency must be positive exactly when frequency is',
                 'frequency > 0 with recency 0');
SELECT throws_ok($$SELECT clv_fit_bgnbd('NaN', 1, 10)$$, '22023', NULL, 'NaN frequency');
SELECT throws_ok($$SELECT clv_fit_bgnbd(0, 0, g) FROM generate_series(1, 10) g$$, '22000',
                 'BG/NBD cannot be fitted without repeat purchases', 'nobody repeating');
SELECT throws_ok($$SELECT clv_fit_bgnbd(1, 1, 2, -1)$$, '22023', 'penalizer must not be negative', 'negative penalizer');
SELECT ok((SELECT clv_fit_bgnbd(frequency, recency, age) IS NULL FROM sim WHERE false), 'no customers: NULL');

SELECT * FROM finish();
ROLLBACK;
