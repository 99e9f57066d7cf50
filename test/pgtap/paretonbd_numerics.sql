-- Pareto/NBD numerics: P(alive) from the closed form with its stabilised
-- Gaussian hypergeometric function agrees with a direct numerical integral
-- of the same quantity, for frequent buyers (x in the hundreds, where the
-- plain series overflows) and for both orderings of alpha and beta.
--
-- With mu's Gamma(s, beta) heterogeneity integrated out,
--   P(alive) = 1 / (1 + s (alpha+T)^(r+x) (beta+T)^s
--                        * integral_{t_x}^{T} (alpha+u)^-(r+x) (beta+u)^-(s+1) du)
-- and the integral is taken here by Simpson's rule on 20,000 intervals.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(8);

CREATE FUNCTION pg_temp.p_alive_by_quadrature(r float8, alpha float8, s float8, beta float8,
                                              x float8, t_x float8, t float8)
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
    WITH grid AS (
        SELECT k, t_x + k * (t - t_x) / 20000.0 AS u FROM generate_series(0, 20000) k
    )
    SELECT 1 / (1 + s * (t - t_x) / 20000.0 / 3 *
                    sum(CASE WHEN k IN (0, 20000) THEN 1 WHEN k % 2 = 1 THEN 4 ELSE 2 END *
                        exp((r + x) * (ln(alpha + t) - ln(alpha + u)) + s * ln(beta + t) - (s + 1) * ln(beta + u))))
    FROM grid
$$;

CREATE TEMP TABLE cases (r float8, alpha float8, s float8, beta float8, x float8, t_x float8, t float8, label text);
INSERT INTO cases VALUES
  (0.55, 10.58, 0.61, 11.67, 2, 30.43, 38.86, 'CDNOW parameters, an ordinary customer'),
  (0.55, 10.58, 0.61, 11.67, 0, 0, 38.86, 'CDNOW parameters, no repeat purchase'),
  (0.55, 10.58, 0.61, 11.67, 300, 70, 78, 'CDNOW parameters, 300 repeat purchases'),
  (0.55, 10.58, 0.61, 11.67, 300, 40, 78, '300 repeat purchases, then silence'),
  (2.0, 3.0, 0.8, 40.0, 500, 75, 78, 'alpha < beta, 500 repeat purchases'),
  (2.0, 300.0, 0.8, 4.0, 200, 60, 78, 'alpha much larger than beta, 200 repeat purchases'),
  (0.3, 0.5, 5.0, 0.2, 50, 10, 78, 'fast purchases, short lifetimes');

SELECT ok(abs(clv_p_alive(format('kind=paretonbd r=%s alpha=%s s=%s beta=%s log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
                                 r, alpha, s, beta)::clv_model, x, t_x, t)
              - pg_temp.p_alive_by_quadrature(r, alpha, s, beta, x, t_x, t))
          <= 1e-7 * greatest(pg_temp.p_alive_by_quadrature(r, alpha, s, beta, x, t_x, t), 1e-3),
          label || ': closed form = quadrature')
FROM cases ORDER BY label;

SELECT ok((SELECT clv_p_alive('kind=paretonbd r=0.55 alpha=10.58 s=0.61 beta=11.67 log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
                              x, 39, 78) FROM (VALUES (5000::float8)) v(x)) BETWEEN 0 AND 1,
          'x = 5000 gives a probability, not NaN or overflow');

SELECT * FROM finish();
ROLLBACK;
