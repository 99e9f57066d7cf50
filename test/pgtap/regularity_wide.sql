-- The regularity models' expected purchases where the purchases to come are
-- many and widely spread (N's spread over k at least 40), which src/cnbd.c
-- integrates (Gregory's end correction, Gauss-Legendre panels) instead of
-- summing term by term: against 30-digit references computed by another
-- route (test/numerics/cnbd_wide_reference.py), against the term-by-term
-- sums (SET clv.expectation_quadrature = off) over a grid, and finite over
-- issue 19's grid of extremes, where term by term refused 424 of 21,600
-- cases for needing more than ten million terms.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(16);

CREATE FUNCTION pg_temp.regularity_model(m0 int, k int, r float8, alpha float8, a float8, b float8)
RETURNS clv_model LANGUAGE sql IMMUTABLE AS $$
    SELECT format('kind=%s k=%s r=%s alpha=%s a=%s b=%s log_likelihood=-1 customers=1 iterations=0 '
                  'converged=true penalizer=0', CASE WHEN m0 = 1 THEN 'mbgcnbd' ELSE 'bgcnbd' END,
                  k, r, alpha, a, b)::clv_model
$$;
-- N's spread over k for the first phase, as src/cnbd.c decides the route
CREATE FUNCTION pg_temp.spread_over_k(k int, r float8, alpha float8, x float8, age float8, horizon float8)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    SELECT sqrt(greatest(r + k * x, 1) * horizon / (alpha + age) * (1 + horizon / (alpha + age))) / k
$$;

CREATE TEMP TABLE reference (what text, m0 int, k int, r float8, alpha float8, a float8, b float8,
                             x float8, t_x float8, age float8, horizon float8, value numeric);
INSERT INTO reference VALUES
    ('expected', 1, 1, 1.0, 1.0, 0.793, 2.426, 0, 0, 0.01, 1000, 2.437471367465871937e+1),
    ('expected', 0, 1, 0.243, 4.414, 0.793, 2.426, 0, 0, 0.01, 3000, 1.0016436419724571025e+1),
    ('expected', 0, 1, 0.243, 4.414, 0.793, 2.426, 1, 20, 39, 100000, 2.7084048867848400937e+1),
    ('expected', 1, 1, 40.0, 100.0, 0.05, 40.0, 100, 300, 310, 20000, 5.8208580873776234954e+3),
    ('expected', 1, 1, 1000.0, 10.0, 1000.0, 1000.0, 10, 20, 39, 2000, 1.2658387349113008662e-215),
    ('expected', 0, 1, 0.001, 1.0, 1e-06, 1.0, 0, 0, 0.01, 2000, 1.9801849566500663599),
    ('expected', 1, 2, 0.5, 10.0, 0.5, 3.0, 0, 0, 1, 3650, 2.0417886962231688111e+1),
    ('expected', 0, 2, 3.0, 5.0, 1.0005, 0.9995, 2, 3, 10, 20000, 2.1453936204249045056),
    ('expected', 1, 2, 0.5, 10.0, 1e-06, 1.0, 3, 20, 30, 5000, 4.4499807220659075056e+2),
    ('expected', 1, 5, 3.0, 1.0, 2.0, 5.0, 1, 1, 1, 5000, 5.9880255365749125841),
    ('expected', 0, 5, 0.8, 20.0, 1.0005, 0.9995, 6, 30, 52, 20000, 1.813606462761691901),
    ('expected', 1, 12, 30.0, 1000.0, 200.0, 300.0, 50, 300, 310, 70000, 1.7559335427140887831),
    ('new', 1, 2, 0.243, 4.414, 0.793, 2.426, 0, 0, 0, 5000, 8.7133847762786467038),
    ('new', 1, 1, 1e-06, 1.0, 0.793, 2.426, 0, 0, 0, 1000, 6.0319862209812270055e-5),
    ('new', 0, 2, 1e-09, 1.0, 0.793, 2.426, 0, 0, 0, 1000, 4.864658034086228245e-8),
    ('expected', 0, 1, 0.5, 1.0, 1e-06, 1e-06, 0, 0, 0.01, 2000, 4.9553470765349644544e+2),
    ('expected', 0, 2, 1e-06, 1.0, 1e-06, 1e-06, 0, 0, 0.01, 1000, 2.519813554350602565e-4);

CREATE TEMP TABLE scored AS
SELECT r.*,
       CASE what
           WHEN 'expected' THEN clv_expected_purchases(m, horizon, x, t_x, age)
           WHEN 'new' THEN clv_expected_purchases_new(m, horizon)
       END AS got
FROM reference r, LATERAL (SELECT pg_temp.regularity_model(m0, k, r, alpha, a, b) AS m) q;
SELECT is((SELECT count(*) FROM scored), 17::bigint, 'every reference is scored');
SELECT is((SELECT count(*) FROM scored WHERE pg_temp.spread_over_k(k, r, alpha, x, age, horizon) < 40), 0::bigint,
          'every reference case takes the wide route');
SELECT is((SELECT count(*) FROM scored WHERE got IS NULL OR got::numeric <> got::numeric), 0::bigint,
          'every score is a number');
SELECT cmp_ok((SELECT max(abs(got::numeric - value) / value) FROM scored), '<=', 1e-9::numeric,
              'each score within 1e-9 relative of the 30-digit reference');
-- what the integral reaches (1.4e-14 on the development machine), with room
-- for another libm: rounding that grows with 1/r or 1/(a + b) would not pass
SELECT cmp_ok((SELECT max(abs(got::numeric - value) / value) FROM scored), '<=', 1e-12::numeric,
              'and within 1e-12, with r down to 1e-9 and a and b down to 1e-6');

-- both routes over a grid where term by term still finishes quickly:
-- horizons 50 (just past the spread that turns the integral on), 150 and 1,500
-- times k (alpha + T) (150 only for a frequent buyer), a tiny, within 5e-4 of 1 and 2.5
CREATE TEMP TABLE routes AS
SELECT m0, k, r, alpha, a, 3.0::float8 AS b, x, t_x, age, f * k * (alpha + age) AS horizon
FROM unnest(ARRAY[0, 1]) m0, unnest(ARRAY[1, 2, 5]) k,
     (VALUES (0.5::float8, 10::float8), (3, 1)) ra(r, alpha),
     unnest(ARRAY[1e-4, 0.9995, 1.0005, 2.5]::float8[]) a,
     (VALUES (0, 0, 0.01::float8, ARRAY[50, 150, 1500]::float8[]), (4, 20, 30, ARRAY[50, 150, 1500]),
             (200, 290, 300, ARRAY[150])) h(x, t_x, age, fs),
     unnest(fs) f;
ALTER TABLE routes ADD quadrature float8, ADD term_by_term float8;
UPDATE routes SET quadrature = clv_expected_purchases(pg_temp.regularity_model(m0, k, r, alpha, a, b),
                                                      horizon, x, t_x, age);
SET LOCAL clv.expectation_quadrature = off;
UPDATE routes SET term_by_term = clv_expected_purchases(pg_temp.regularity_model(m0, k, r, alpha, a, b),
                                                        horizon, x, t_x, age);
RESET clv.expectation_quadrature;
SELECT is((SELECT count(*) FROM routes WHERE pg_temp.spread_over_k(k, r, alpha, x, age, horizon) >= 40),
          336::bigint, 'the 336 cases of the grid all take the wide route');
SELECT is((SELECT count(*) FROM routes WHERE NOT (quadrature > 0 AND term_by_term > 0)), 0::bigint,
          'both routes give a positive number in every case');
SELECT cmp_ok((SELECT max(abs(quadrature - term_by_term) / term_by_term) FROM routes), '<=', 1e-9::float8,
              'the quadrature is within 1e-9 relative of the sum term by term');
SELECT cmp_ok((SELECT max(abs(quadrature - term_by_term) / term_by_term) FROM routes), '<=', 1e-11::float8,
              'and within 1e-11, the sum''s own rounding over these terms');

-- term by term refuses what the quadrature computes
SET LOCAL clv.expectation_quadrature = off;
SELECT throws_ok($$SELECT clv_expected_purchases(pg_temp.regularity_model(1, 1, 1, 1e-6, 0.999, 1), 3650, 0, 0, 0.01)$$,
                 '54000', 'expected purchases over this horizon need more than 10000000 terms',
                 'with the setting off, a horizon 365,000 times alpha + T is refused as before');
RESET clv.expectation_quadrature;
SELECT cmp_ok(clv_expected_purchases(pg_temp.regularity_model(1, 1, 1, 1e-6, 0.999, 1), 3650, 0, 0, 0.01), '>', 0::float8,
              'and computed with it on');

-- issue 19's grid of extremes: every parameter from 1e-6 to 1e6, a around 1,
-- histories from none at an age of 0.01 to 10,000 purchases in 50 years
CREATE FUNCTION pg_temp.try_score(m clv_model, horizon float8, x float8, t_x float8, age float8,
                                  OUT expected float8, OUT p_alive float8, OUT failure text)
LANGUAGE plpgsql AS $$
BEGIN
    expected := clv_expected_purchases(m, horizon, x, t_x, age);
    p_alive := clv_p_alive(m, x, t_x, age);
EXCEPTION WHEN OTHERS THEN
    failure := SQLERRM;
END
$$;
CREATE TEMP TABLE extremes AS
SELECT m0, k, r, alpha, a, b, x, t_x, age, horizon,
       (pg_temp.try_score(pg_temp.regularity_model(m0, k, r, alpha, a, b), horizon, x, t_x, age)).*
FROM unnest(ARRAY[0, 1]) m0, unnest(ARRAY[1, 2, 5]) k,
     unnest(ARRAY[1e-6, 1e-3, 1, 1e3, 1e6]::float8[]) r,
     unnest(ARRAY[1e-6, 1, 1e3, 1e6]::float8[]) alpha,
     unnest(ARRAY[1e-6, 0.999, 1.001, 10, 1e6]::float8[]) a,
     unnest(ARRAY[1e-6, 1, 1e6]::float8[]) b,
     (VALUES (0, 0, 0.01::float8), (1, 0.01, 0.01), (1, 5, 39), (5, 30, 39), (100, 3000, 3650),
             (10000, 3000, 18250)) h(x, t_x, age),
     unnest(ARRAY[39, 3650]::float8[]) horizon;
SELECT is((SELECT count(*) FROM extremes), 21600::bigint, 'the grid has its 21,600 cases');
SELECT is((SELECT array_agg(DISTINCT failure) FROM extremes WHERE failure IS NOT NULL), NULL,
          'no case fails');
SELECT is((SELECT count(*) FROM extremes
           WHERE NOT (expected >= 0 AND expected < 'infinity' AND p_alive >= 0 AND p_alive <= 1)), 0::bigint,
          'every expected purchases finite and not negative, every P(alive) a probability');

-- counts in the trillions and beyond: a new customer, alpha 1e-6, horizons of 1e6 to 1e20
SELECT is((SELECT count(*)
           FROM unnest(ARRAY[1, 2, 12]) k, unnest(ARRAY[1e-6, 1, 1e6]::float8[]) r,
                unnest(ARRAY[1e6, 1e15, 1e20]::float8[]) horizon
           WHERE clv_expected_purchases_new(pg_temp.regularity_model(1, k, r, 1e-6, 0.5, 1), horizon)
                 BETWEEN 0 AND 'infinity'::float8 - 1),
          27::bigint, 'horizons up to 1e26 times alpha + T: every expectation finite');
SELECT throws_ok($$SELECT clv_expected_purchases_new(pg_temp.regularity_model(1, 2, 1, 1e-6, 0.5, 1), 1e300)$$,
                 '22003', 'expected purchases over this horizon are beyond double precision',
                 'a horizon 1e306 times alpha + T is refused with its own error');

SELECT * FROM finish();
ROLLBACK;
