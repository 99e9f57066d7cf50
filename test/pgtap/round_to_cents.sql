-- clv_round_to_cents(x) is x::numeric(1000,2), the money of a pipeline's
-- tables and views, computed without formatting x as text: the same value
-- in the same representation (numeric_send) over a grid of magnitudes, near
-- half cents and at the edges, and the cast's error where the cast fails.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(12);

CREATE TEMP TABLE grid AS
-- fractions of the golden ratio over 29 magnitudes, 1e-12 to 1e16, both signs
SELECT ((n * 0.6180339887498949) - floor(n * 0.6180339887498949) - 0.5) * 10 ^ ((n % 29) - 12) AS x
  FROM generate_series(1, 200000) n
UNION ALL
-- half cents and their nearest neighbours, 0.005 to 1e13 + 0.005
SELECT (floor(10 ^ (m / 20000.0 * 13)) / 100 + 0.005) * (1 + d * 2.220446049250313e-16) * s
  FROM generate_series(0, 19999) m, unnest(ARRAY[-3, -2, -1, 0, 1, 2, 3]) d, unnest(ARRAY[1, -1]) s
UNION ALL
-- every thousandth from -200 to 200
SELECT n / 1000.0::float8 FROM generate_series(-200000, 200000) n
UNION ALL
SELECT x FROM unnest(ARRAY[0, '-0', 1e-300, -1e-300, 0.125, -0.125, 2.675, 1.005, 99999999999.995, 1e12 + 0.005,
                           1e14 - 0.005, 1e15, 1e20, -1.7e308, 'NaN']::float8[]) x;

SELECT is((SELECT count(*) FROM grid), 880016::bigint, 'the grid holds every value it is made of');
SELECT is((SELECT count(*) FROM grid
            WHERE numeric_send(clv_round_to_cents(x)) IS DISTINCT FROM numeric_send(x::numeric(1000,2))),
          0::bigint, 'every value of the grid: the same numeric, byte for byte, as the cast');
SELECT is(clv_round_to_cents(2.675), 2.68, '2.675 (2.67499999999999982 in binary) rounds up, as the cast formats it');
SELECT is(clv_round_to_cents(-0.125), -0.13, 'a half cent rounds away from zero');
SELECT is(clv_round_to_cents(1.005)::text, '1.01', '1.005 (1.00499999999999989 in binary) rounds up, as the cast');
SELECT is(clv_round_to_cents(3)::text, '3.00', 'two decimals');
SELECT is(clv_round_to_cents('-0')::text, '0.00', '-0 is 0.00');
SELECT is(clv_round_to_cents(-0.004)::text, '0.00', 'less than half a cent below zero is 0.00');
SELECT is(clv_round_to_cents(NULL), NULL, 'NULL');
SELECT is(clv_round_to_cents('NaN')::text, 'NaN', 'NaN, as the cast');
SELECT throws_ok($$SELECT clv_round_to_cents('Infinity')$$, '22003', 'numeric field overflow',
                 'infinity: the cast''s error');
SELECT is(clv_round_to_cents(1e20)::text, '100000000000000000000.00', 'beyond the fast path, the cast');

SELECT * FROM finish();
ROLLBACK;
