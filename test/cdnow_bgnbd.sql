-- BG/NBD fitted in the database reproduces Fader, Hardie & Lee (2005) on the
-- CDNOW sample: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
-- LL = -9582.4, and 1.226 expected purchases in 39 weeks for x = 2,
-- t_x = 30.43, T = 38.86.  Skipped without ../shared/data.
\ir include/prologue.psql
\if :{?shared_data}
\else
\set shared_data ''
\endif
SELECT :'shared_data' || '/CDNOW_sample.txt' AS cdnow_sample,
       :'shared_data' <> ''
       AND (pg_stat_file(:'shared_data' || '/CDNOW_sample.txt', true)).size IS NOT NULL AS have_cdnow \gset
BEGIN;
SELECT plan(9);
\if :have_cdnow
CREATE TEMP TABLE cdnow_lines (line text);
COPY cdnow_lines FROM :'cdnow_sample';
CREATE TEMP TABLE summaries AS
SELECT f[2]::int AS id, clv_summary(to_date(f[3], 'YYYYMMDD'), f[5]::float8, date '1997-09-30', '7 days') AS s
FROM (SELECT regexp_split_to_array(btrim(line, E' \r'), '\s+') AS f FROM cdnow_lines) l
WHERE to_date(f[3], 'YYYYMMDD') <= '1997-09-30'
GROUP BY 1;
CREATE TEMP TABLE fit AS SELECT clv_fit_bgnbd(s) AS m FROM summaries;
CREATE TEMP TABLE p AS SELECT clv_model_params(m) AS j, m FROM fit;

SELECT is(round((j ->> 'r')::numeric, 3), 0.243, 'r = 0.243') FROM p;
SELECT is(round((j ->> 'alpha')::numeric, 3), 4.414, 'alpha = 4.414') FROM p;
SELECT is(round((j ->> 'a')::numeric, 3), 0.793, 'a = 0.793') FROM p;
SELECT is(round((j ->> 'b')::numeric, 3), 2.426, 'b = 2.426') FROM p;
SELECT is(round((j ->> 'log_likelihood')::numeric, 1), -9582.4, 'log-likelihood = -9582.4') FROM p;
SELECT is(round(clv_expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 3), 1.226,
          'x = 2, t_x = 30.43, T = 38.86: 1.226 purchases expected in the next 39 weeks') FROM p;
SELECT ok((j ->> 'converged')::boolean AND (j ->> 'customers')::int = 2357, 'converged, over 2,357 customers') FROM p;
-- the same fit from the three numbers, rounded as the published summary file is
SELECT is(round((clv_model_params(clv_fit_bgnbd((s).frequency, round((s).recency::numeric, 2)::float8,
                                                  round((s).age::numeric, 2)::float8)) ->> 'r')::numeric, 3),
          0.243, 'the same r from (frequency, recency, age) rounded to 2 decimals') FROM summaries;
SELECT ok((j -> 'std_errors' ->> 'r')::float8 BETWEEN 0.01 AND 0.015
          AND (j -> 'std_errors' ->> 'alpha')::float8 BETWEEN 0.3 AND 0.45,
          'standard errors of r and alpha about 0.0126 and 0.378') FROM p;
\else
SELECT skip('CDNOW data not found beside the checkout (../shared/data)', 9);
\endif
SELECT * FROM finish();
ROLLBACK;
