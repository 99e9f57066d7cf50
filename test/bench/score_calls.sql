-- How long one call of a purchase model's scores takes at the extremes
-- (issue 19: every score finite, each call bounded to a millisecond).
--
--   psql -X -v repeats=3 -f test/bench/score_calls.sql    (or test/bench/score_calls.sh)
--
-- Two grids, each case a model and a customer's history:
--   * extremes: issue 19's grid, for BG/NBD, MBG/NBD, Pareto/NBD and the
--     regularity models MBG/CNBD-k and BG/CNBD-k at k = 1, 2, 5 and 12:
--     r, alpha, a (s) and b (beta) from 1e-6 to 1e6, a near 1 (0.999 and
--     1.001), histories from a new customer at an age of 0.01 to 10,000
--     purchases in 50 years, horizons 39 and 3,650 (3,600 cases a model
--     and k; the grid of test/pgtap/regularity_wide.sql's last tests);
--   * wide: the regularity models where the count of events to come is
--     widely spread, which src/cnbd.c integrates: k = 1, 2, 5 and 12, r
--     from 1e-3 to 40, alpha 1e-3 and 1, a tiny, within 5e-4 of 1 and
--     1e3, b from 1e-6 to 1e3, a new customer at an age of 0.01, one with a
--     purchase in 10 days and one with 50 in 1,000, horizons 2e4 and 2e5
--     (1,152 cases a k).
-- Each case's clv_expected_purchases and clv_p_alive are called `repeats`
-- times (default 3), each call timed alone with clock_timestamp() in
-- PL/pgSQL (which adds some microseconds).  A call's time on a shared
-- machine includes whatever else the core did meanwhile, so for each case
-- the fastest of its calls is its cost; the table gives, per model and k,
-- the median, 99th percentile and largest of those costs, the slowest
-- single call beside them, and how many cases failed or were not finite.
-- Not a test: the times vary with the machine and its load.

\set ON_ERROR_STOP on
\if :{?repeats}
\else
\set repeats 3
\endif
SET client_min_messages = warning;

CREATE TEMP TABLE score_cases (grid text, kind text, k int, p1 float8, p2 float8, p3 float8, p4 float8,
                               x float8, t_x float8, age float8, horizon float8);
INSERT INTO score_cases
SELECT 'extremes', kind, k, r, alpha, a, b, x, t_x, age, horizon
  FROM (VALUES ('bgnbd', 1), ('mbgnbd', 1), ('paretonbd', 1), ('mbgcnbd', 1), ('mbgcnbd', 2), ('mbgcnbd', 5),
               ('mbgcnbd', 12), ('bgcnbd', 1), ('bgcnbd', 2), ('bgcnbd', 5), ('bgcnbd', 12)) m(kind, k),
       unnest(ARRAY[1e-6, 1e-3, 1, 1e3, 1e6]::float8[]) r,
       unnest(ARRAY[1e-6, 1, 1e3, 1e6]::float8[]) alpha,
       unnest(ARRAY[1e-6, 0.999, 1.001, 10, 1e6]::float8[]) a,
       unnest(ARRAY[1e-6, 1, 1e6]::float8[]) b,
       (VALUES (0, 0, 0.01::float8), (1, 0.01, 0.01), (1, 5, 39), (5, 30, 39), (100, 3000, 3650),
               (10000, 3000, 18250)) h(x, t_x, age),
       unnest(ARRAY[39, 3650]::float8[]) horizon;
INSERT INTO score_cases
SELECT 'wide', kind, k, r, alpha, a, b, x, t_x, age, horizon
  FROM unnest(ARRAY['mbgcnbd', 'bgcnbd']) kind, unnest(ARRAY[1, 2, 5, 12]) k,
       unnest(ARRAY[1e-3, 0.1, 1, 40]::float8[]) r,
       unnest(ARRAY[1e-3, 1]::float8[]) alpha,
       unnest(ARRAY[1e-6, 0.9995, 1.0005, 1e3]::float8[]) a,
       unnest(ARRAY[1e-6, 1, 1e3]::float8[]) b,
       (VALUES (0::float8, 0::float8, 0.01::float8), (1, 10, 10), (50, 900, 1000)) h(x, t_x, age),
       unnest(ARRAY[2e4, 2e5]::float8[]) horizon;

CREATE FUNCTION pg_temp.case_model(kind text, k int, p1 float8, p2 float8, p3 float8, p4 float8)
RETURNS clv_model LANGUAGE sql IMMUTABLE AS $$
    SELECT format(CASE WHEN kind = 'paretonbd' THEN 'kind=%s r=%s alpha=%s s=%s beta=%s'
                       WHEN kind IN ('mbgcnbd', 'bgcnbd') THEN 'kind=%s k=' || k || ' r=%s alpha=%s a=%s b=%s'
                       ELSE 'kind=%s r=%s alpha=%s a=%s b=%s' END
                  || ' log_likelihood=-1 customers=1 iterations=0 converged=true penalizer=0',
                  kind, p1, p2, p3, p4)::clv_model
$$;

-- per case: the fastest and the slowest of its calls (ms), or why it failed
CREATE FUNCTION pg_temp.time_case(m clv_model, c score_cases, repeats int,
                                  OUT fastest float8, OUT slowest float8, OUT finite boolean, OUT failure text)
LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    took float8;
    expected float8;
    p_alive float8;
BEGIN
    finite := true;
    FOR i IN 1 .. repeats LOOP
        BEGIN
            started := clock_timestamp();
            expected := clv_expected_purchases(m, c.horizon, c.x, c.t_x, c.age);
            p_alive := clv_p_alive(m, c.x, c.t_x, c.age);
            took := extract(epoch FROM clock_timestamp() - started) * 1000;
        EXCEPTION WHEN OTHERS THEN
            failure := SQLERRM;
            RETURN;
        END;
        fastest := least(fastest, took);
        slowest := greatest(slowest, took);
        finite := finite AND expected >= 0 AND expected < 'infinity' AND p_alive BETWEEN 0 AND 1;
    END LOOP;
END
$$;

CREATE TEMP TABLE score_times AS
SELECT c.grid, c.kind, c.k, (pg_temp.time_case(pg_temp.case_model(c.kind, c.k, c.p1, c.p2, c.p3, c.p4), c,
                                               :repeats)).*
  FROM score_cases c;

\echo == clv_expected_purchases and clv_p_alive of each case, called :repeats times, in ms
SELECT grid, kind, k, count(*) AS cases,
       count(failure) AS failed, count(*) FILTER (WHERE NOT finite) AS not_finite,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY fastest)::numeric, 3) AS median,
       round(percentile_cont(0.99) WITHIN GROUP (ORDER BY fastest)::numeric, 3) AS p99,
       round(max(fastest)::numeric, 3) AS slowest_case,
       round(max(slowest)::numeric, 3) AS slowest_call
  FROM score_times
 GROUP BY grid, kind, k
 ORDER BY grid, kind, k;
