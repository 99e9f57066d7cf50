-- clv_evaluate: every model fitted on a calibration window and compared with
-- what each customer did in the holdout after it.  Against the same
-- comparison written by hand in SQL on generated BTYD orders; the calendar
-- of the date column (date, timestamp, timestamptz in a named zone or the
-- session's); a model that cannot be fitted; bad input.  CDNOW's published
-- figures are checked in cdnow_models.sql.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(27);

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL client_min_messages = warning;
\ir ../include/btyd_orders.psql

-- by hand: calibration to the end of 2024, holdout the first half of 2025,
-- calendar days in UTC
CREATE TEMP TABLE split AS
SELECT customer,
       clv_summary(day, amount::float8, date '2024-12-31', '1 day') FILTER (WHERE day <= '2024-12-31') AS calibration,
       count(DISTINCT day) FILTER (WHERE day > '2024-12-31' AND amount >= 0) AS holdout_days,
       sum(amount::float8) FILTER (WHERE day > '2024-12-31' AND amount >= 0) AS holdout_amount
FROM (SELECT customer, (at AT TIME ZONE 'UTC')::date AS day, amount FROM orders) o
WHERE day <= '2025-06-30'
GROUP BY customer HAVING min(day) FILTER (WHERE amount >= 0) <= '2024-12-31';
-- the regularity models' log gaps, from the calibration's purchase days
CREATE TEMP TABLE calibration_gaps AS
SELECT customer, coalesce(sum(ln(gap)), 0) AS log_gap_sum
FROM (SELECT customer, day - lag(day) OVER (PARTITION BY customer ORDER BY day) AS gap
      FROM (SELECT DISTINCT customer, (at AT TIME ZONE 'UTC')::date AS day FROM orders
            WHERE amount >= 0 AND (at AT TIME ZONE 'UTC')::date <= '2024-12-31') d) g
GROUP BY customer;
CREATE TEMP TABLE fits (model text, m clv_model);
INSERT INTO fits
SELECT 'bgnbd', clv_fit_bgnbd(calibration) FROM split UNION ALL
SELECT 'mbgnbd', clv_fit_mbgnbd(calibration) FROM split UNION ALL
SELECT 'paretonbd', clv_fit_paretonbd(calibration) FROM split UNION ALL
SELECT 'mbgcnbd', clv_fit_mbgcnbd((calibration).frequency, (calibration).recency, (calibration).age, log_gap_sum)
  FROM split JOIN calibration_gaps USING (customer) UNION ALL
SELECT 'bgcnbd', clv_fit_bgcnbd((calibration).frequency, (calibration).recency, (calibration).age, log_gap_sum)
  FROM split JOIN calibration_gaps USING (customer) UNION ALL
SELECT 'gammagamma', clv_fit_gammagamma(calibration) FROM split;
CREATE TEMP TABLE by_hand AS
WITH scored AS (
    SELECT f.model, f.m, least((s.calibration).frequency, 4) AS x,
           CASE WHEN f.model = 'gammagamma' THEN s.holdout_amount / s.holdout_days ELSE s.holdout_days END AS actual,
           CASE WHEN f.model = 'gammagamma' THEN clv_expected_spend(f.m, s.calibration)
                ELSE clv_expected_purchases(f.m, 181, s.calibration) END AS predicted
    FROM split s, fits f
    WHERE f.model <> 'gammagamma' OR ((s.calibration).frequency > 0 AND s.holdout_days > 0))
SELECT model, x AS calibration_frequency, count(*) AS customers,
       CASE WHEN model <> 'gammagamma' THEN sum(actual) END AS actual_total,
       CASE WHEN model <> 'gammagamma' THEN sum(predicted) END AS predicted_total,
       avg(actual) AS actual_mean, avg(predicted) AS predicted_mean,
       avg(abs(predicted - actual)) AS mean_absolute_error, sqrt(avg((predicted - actual) ^ 2)) AS root_mean_squared_error,
       corr(predicted, actual) AS correlation
FROM scored GROUP BY model, ROLLUP (x);
RESET client_min_messages;

-- two rows alike to 1e-12 relative in every number
CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-12 * greatest(abs(a), abs(b), 1e-300)
$$;
CREATE FUNCTION pg_temp.differing(evaluated regclass, reference regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format($q$
        SELECT count(*) FROM %s e FULL JOIN %s r
            ON e.model = r.model AND e.calibration_frequency IS NOT DISTINCT FROM r.calibration_frequency
         WHERE e.model IS NULL OR r.model IS NULL OR e.customers <> r.customers
            OR NOT pg_temp.close(e.actual_total, r.actual_total) OR NOT pg_temp.close(e.predicted_total, r.predicted_total)
            OR NOT pg_temp.close(e.actual_mean, r.actual_mean) OR NOT pg_temp.close(e.predicted_mean, r.predicted_mean)
            OR NOT pg_temp.close(e.mean_absolute_error, r.mean_absolute_error)
            OR NOT pg_temp.close(e.root_mean_squared_error, r.root_mean_squared_error)
            OR NOT pg_temp.close(e.correlation, r.correlation)$q$, evaluated, reference) INTO n;
    RETURN n;
END $$;

CREATE TEMP TABLE evaluation AS
SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                           time_zone => 'UTC', max_frequency => 4);
SELECT is((SELECT count(*) FROM evaluation), (SELECT count(*) FROM by_hand),
          'one row per model and calibration frequency 0 .. 4+, and one for all customers');
SELECT is(pg_temp.differing('evaluation', 'by_hand'), 0::bigint,
          'the numbers of the comparison written by hand, for the five purchase models and Gamma-Gamma');
SELECT is((SELECT count(*) FROM evaluation e JOIN fits f USING (model)
           WHERE e.calibration_frequency IS NULL
             AND e.log_likelihood = (clv_model_params(f.m) ->> 'log_likelihood')::float8
             AND e.bic = (clv_model_params(f.m) ->> 'bic')::float8 AND e.error IS NULL),
          6::bigint, 'each model''s log-likelihood and BIC on its row for all customers');
SELECT is((SELECT array_agg((clv_model_params(m) ->> 'k')::integer ORDER BY model) FROM fits WHERE model LIKE '%cnbd'),
          ARRAY[1, 1], 'the regularity models choose k = 1 for Poisson purchases');
SELECT is((SELECT count(*) FROM evaluation WHERE calibration_frequency IS NOT NULL
                                             AND (log_likelihood IS NOT NULL OR bic IS NOT NULL OR fitted IS NOT NULL)),
          0::bigint, 'the rows per frequency leave the likelihood and the fitted model to the row for all customers');
SELECT is((SELECT count(*) FROM evaluation e JOIN fits f USING (model)
           WHERE e.calibration_frequency IS NULL AND e.fitted::text = f.m::text),
          6::bigint, 'each model''s row for all customers holds the fit by hand');
SELECT ok((SELECT array_agg(model ORDER BY ord) = ARRAY['bgnbd', 'mbgnbd', 'paretonbd', 'mbgcnbd', 'bgcnbd', 'gammagamma']
           FROM (SELECT model, row_number() OVER () AS ord, calibration_frequency FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30', time_zone => 'UTC')) q
           WHERE calibration_frequency IS NULL),
          'the models in a fixed order, each with its row for all customers first');

-- with covariates (here ln(1 + the first day's amount) - 3, and a 0/1 that
-- means nothing), BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma again, with
-- them: the numbers of the same comparison by hand
CREATE TEMP TABLE traits AS
SELECT customer, ARRAY[ln(1 + sum(amount::float8) FILTER (WHERE day = first_day)) - 3, customer % 2]::float8[] AS z
FROM (SELECT customer, (at AT TIME ZONE 'UTC')::date AS day, amount,
             min((at AT TIME ZONE 'UTC')::date) OVER (PARTITION BY customer) AS first_day
      FROM orders WHERE amount >= 0) o
GROUP BY customer;
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE covariate_fits AS
SELECT f.model || '+covariates' AS model, f.m
FROM (SELECT 'bgnbd' AS model, clv_fit_bgnbd((calibration).frequency, (calibration).recency, (calibration).age, z, 0, 0, 0) AS m
        FROM split JOIN traits USING (customer) UNION ALL
      SELECT 'mbgnbd', clv_fit_mbgnbd((calibration).frequency, (calibration).recency, (calibration).age, z, 0, 0, 0)
        FROM split JOIN traits USING (customer) UNION ALL
      SELECT 'paretonbd', clv_fit_paretonbd((calibration).frequency, (calibration).recency, (calibration).age, z, 0, 0, 0)
        FROM split JOIN traits USING (customer) UNION ALL
      SELECT 'gammagamma', clv_fit_gammagamma((calibration).frequency, (calibration).monetary, z, 0, 0)
        FROM split JOIN traits USING (customer)) f;
CREATE TEMP TABLE covariates_by_hand AS
WITH scored AS (
    SELECT f.model, least((s.calibration).frequency, 4) AS x,
           CASE WHEN f.model = 'gammagamma+covariates' THEN s.holdout_amount / s.holdout_days ELSE s.holdout_days END AS actual,
           CASE WHEN f.model = 'gammagamma+covariates'
                THEN clv_expected_spend(f.m, (s.calibration).frequency, (s.calibration).monetary, t.z)
                ELSE clv_expected_purchases(f.m, 181, (s.calibration).frequency, (s.calibration).recency, (s.calibration).age, t.z)
           END AS predicted
    FROM split s JOIN traits t USING (customer), covariate_fits f
    WHERE f.model <> 'gammagamma+covariates' OR ((s.calibration).frequency > 0 AND s.holdout_days > 0))
SELECT model, x AS calibration_frequency, count(*) AS customers,
       CASE WHEN model <> 'gammagamma+covariates' THEN sum(actual) END AS actual_total,
       CASE WHEN model <> 'gammagamma+covariates' THEN sum(predicted) END AS predicted_total,
       avg(actual) AS actual_mean, avg(predicted) AS predicted_mean,
       avg(abs(predicted - actual)) AS mean_absolute_error, sqrt(avg((predicted - actual) ^ 2)) AS root_mean_squared_error,
       corr(predicted, actual) AS correlation
FROM scored GROUP BY model, ROLLUP (x);
CREATE TEMP TABLE with_covariates AS
SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                           time_zone => 'UTC', max_frequency => 4, covariates => 'traits', covariate_column => 'z');
RESET client_min_messages;
CREATE TEMP TABLE with_covariates_only AS SELECT * FROM with_covariates WHERE model LIKE '%+covariates';
CREATE TEMP TABLE without_covariates AS SELECT * FROM with_covariates WHERE model NOT LIKE '%+covariates';
SELECT is(pg_temp.differing('with_covariates_only', 'covariates_by_hand'), 0::bigint,
          'with covariates: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma again, the numbers of the comparison by hand');
SELECT is(pg_temp.differing('without_covariates', 'evaluation'), 0::bigint,
          'and the models without covariates as before');
SELECT is((SELECT count(*) FROM with_covariates w JOIN covariate_fits f USING (model)
           WHERE w.calibration_frequency IS NULL AND w.fitted::text = f.m::text
             AND w.log_likelihood = (clv_model_params(f.m) ->> 'log_likelihood')::float8),
          4::bigint, 'each model with covariates holds its fit and log-likelihood');
-- a customer without covariates: those fits are rows with the error, the others go on
DELETE FROM traits WHERE customer = (SELECT min(customer) FROM split WHERE (calibration).frequency > 0);
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE missing_covariates AS
SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                           time_zone => 'UTC', max_frequency => 4, covariates => 'traits', covariate_column => 'z');
RESET client_min_messages;
SELECT is((SELECT array_agg(model || ': ' || error ORDER BY model) FROM missing_covariates WHERE error IS NOT NULL),
          ARRAY['bgnbd+covariates: covariates must not be NULL', 'gammagamma+covariates: covariates must not be NULL',
                'mbgnbd+covariates: covariates must not be NULL', 'paretonbd+covariates: covariates must not be NULL'],
          'a customer without covariates: each fit with them is a row with the error');
SELECT throws_ok($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                                             covariates => 'traits')$$,
                 '42703', 'traits has no float8[] column covariates', 'covariates: the column must be there, a float8[]');
INSERT INTO traits SELECT customer, z FROM traits LIMIT 1;
SELECT throws_ok($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                                             covariates => 'traits', covariate_column => 'z')$$,
                 '21000', 'traits has more than one row for a customer', 'covariates: one row per customer');

-- the calendar: a date or timestamp column holding the UTC days and times
-- gives the same rows; a timestamptz column's days are those of time_zone,
-- by default the session's
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE dated AS SELECT customer, (at AT TIME ZONE 'UTC')::date AS day, amount FROM orders;
CREATE TEMP TABLE timed AS SELECT customer, at AT TIME ZONE 'Pacific/Kiritimati' AS at, amount FROM orders;
CREATE TEMP TABLE by_date AS SELECT * FROM clv_evaluate('dated', 'customer', 'day', 'amount', '2024-12-31', '2025-06-30', max_frequency => 4);
CREATE TEMP TABLE kiritimati AS SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30', time_zone => 'Pacific/Kiritimati');
CREATE TEMP TABLE by_timestamp AS SELECT * FROM clv_evaluate('timed', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30', time_zone => 'Pacific/Pago_Pago');
SET LOCAL TimeZone = 'Pacific/Kiritimati';
CREATE TEMP TABLE session_zone AS SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30');
RESET TimeZone;
RESET client_min_messages;
SELECT is(pg_temp.differing('by_date', 'evaluation'), 0::bigint, 'a date column gives the same rows');
SELECT is(pg_temp.differing('by_timestamp', 'kiritimati'), 0::bigint,
          'a timestamp column is read as it is; a timestamptz column''s days are those of time_zone');
SELECT is(pg_temp.differing('session_zone', 'kiritimati'), 0::bigint, 'without time_zone, the session''s TimeZone');

-- the dates mean the same days whatever the session's DateStyle
SET LOCAL client_min_messages = warning;
SET LOCAL DateStyle = 'German, MDY';
CREATE TEMP TABLE german AS SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30',
                                                       time_zone => 'UTC', max_frequency => 4);
RESET DateStyle;
RESET client_min_messages;
SELECT is(pg_temp.differing('german', 'evaluation'), 0::bigint, 'the same rows under DateStyle German, MDY');

-- rows no model can count are left out, and nothing else changes
INSERT INTO dated VALUES (NULL, '2024-06-01', 10), (1, NULL, 10), (1, '2024-06-01', NULL), (1, '-infinity', 10);
-- and a customer whose only calibration row is a refund was not acquired then
INSERT INTO dated VALUES (99999, '2024-03-01', -10), (99999, '2025-01-10', 20), (99999, '2025-02-10', 20);
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE with_bad_rows AS SELECT * FROM clv_evaluate('dated', 'customer', 'day', 'amount', '2024-12-31', '2025-06-30', max_frequency => 4);
RESET client_min_messages;
SELECT is(pg_temp.differing('with_bad_rows', 'evaluation'), 0::bigint, 'rows without a customer, day or amount, or not finite, are left out, and a refund acquires no one');

-- a model that cannot be fitted is a row with its error; the others go on
CREATE TEMP TABLE one_time_buyers AS
SELECT c AS customer, date '2024-01-01' + c % 300 AS day, 20.0 AS amount FROM generate_series(1, 50) c;
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE unfittable AS SELECT * FROM clv_evaluate('one_time_buyers', 'customer', 'day', 'amount', '2024-12-31', '2025-06-30');
RESET client_min_messages;
SELECT is((SELECT count(*) FROM unfittable WHERE error IS NOT NULL AND calibration_frequency IS NULL AND predicted_mean IS NULL),
          (SELECT count(*) FROM unfittable), 'without repeat purchases every fit fails, each in one row with its error');
SELECT is((SELECT count(DISTINCT model) FROM unfittable), 6::bigint, 'and every model has its row');

-- customers who buy on a rhythm (gaps of every third event of a Poisson
-- process, means 20 to 60 days), each leaving after a purchase with a
-- probability of their own between 0.05 and 0.3, in weeks: the regularity models choose k > 1, where
-- their fits and likelihoods depend on the log gaps, and clv_evaluate's
-- (from the calibration's purchase days, in its time unit) must be those
-- computed here by hand
CREATE TEMP TABLE regular_orders AS
WITH customers AS (
    SELECT customer, floor(random() * 300)::int AS start, 3 / (20 + 40 * random()) AS event_rate,
           floor(ln(1 - random()) / ln(0.95 - 0.25 * random()))::int AS repeats
    FROM generate_series(1, 2000) customer),
purchases AS (
    SELECT c.customer, c.start, n,
           sum(CASE WHEN n = 0 THEN 0 ELSE -ln((1 - random()) * (1 - random()) * (1 - random())) / c.event_rate END)
               OVER (PARTITION BY c.customer ORDER BY n) AS since_first
    FROM customers c, generate_series(0, 60) n
    WHERE n <= c.repeats)
SELECT customer, date '2024-01-01' + start + floor(since_first)::int AS day, round((20 + 50 * random())::numeric, 2) AS amount
FROM purchases WHERE date '2024-01-01' + start + floor(since_first)::int <= '2025-06-30';
CREATE TEMP TABLE regular_split AS
SELECT customer,
       clv_summary(day, amount::float8, date '2024-12-31', '7 days') FILTER (WHERE day <= '2024-12-31') AS calibration,
       count(DISTINCT day) FILTER (WHERE day > '2024-12-31') AS holdout_days
FROM regular_orders GROUP BY customer HAVING min(day) <= '2024-12-31';
-- (the fits warn that a and b are loosely determined: not what is tested)
SET LOCAL client_min_messages = error;
CREATE TEMP TABLE regular_fits AS
WITH gaps AS (
    SELECT customer, coalesce(sum(ln(gap / 7.0)), 0) AS log_gap_sum
    FROM (SELECT customer, day - lag(day) OVER (PARTITION BY customer ORDER BY day) AS gap
          FROM (SELECT DISTINCT customer, day FROM regular_orders WHERE day <= '2024-12-31') d) g
    GROUP BY customer),
histories AS (SELECT s.calibration, g.log_gap_sum FROM regular_split s JOIN gaps g USING (customer))
SELECT 'mbgcnbd' AS model, clv_fit_mbgcnbd((calibration).frequency, (calibration).recency, (calibration).age, log_gap_sum) AS m
  FROM histories UNION ALL
SELECT 'bgcnbd', clv_fit_bgcnbd((calibration).frequency, (calibration).recency, (calibration).age, log_gap_sum)
  FROM histories;
CREATE TEMP TABLE regular_by_hand AS
WITH scored AS (
    SELECT f.model, least((s.calibration).frequency, 4) AS x, s.holdout_days AS actual,
           clv_expected_purchases(f.m, 181 / 7.0, s.calibration) AS predicted
    FROM regular_split s, regular_fits f)
SELECT model, x AS calibration_frequency, count(*) AS customers, sum(actual) AS actual_total,
       sum(predicted) AS predicted_total, avg(actual) AS actual_mean, avg(predicted) AS predicted_mean,
       avg(abs(predicted - actual)) AS mean_absolute_error, sqrt(avg((predicted - actual) ^ 2)) AS root_mean_squared_error,
       corr(predicted, actual) AS correlation
FROM scored GROUP BY model, ROLLUP (x);
CREATE TEMP TABLE regular_evaluation AS
SELECT * FROM clv_evaluate('regular_orders', 'customer', 'day', 'amount', '2024-12-31', '2025-06-30', '7 days',
                           max_frequency => 4)
WHERE model LIKE '%cnbd';
RESET client_min_messages;
SELECT is(pg_temp.differing('regular_evaluation', 'regular_by_hand'), 0::bigint,
          'regular buyers, in weeks: the regularity models'' comparison is the one written by hand');
SELECT is((SELECT array_agg(e.model || ' k=' || (clv_model_params(f.m) ->> 'k') ORDER BY e.model)
           FROM regular_evaluation e JOIN regular_fits f USING (model)
           WHERE e.calibration_frequency IS NULL
             AND e.log_likelihood = (clv_model_params(f.m) ->> 'log_likelihood')::float8
             AND e.bic = (clv_model_params(f.m) ->> 'bic')::float8),
          ARRAY['bgcnbd k=3', 'mbgcnbd k=3'],
          'and their log-likelihoods (which hold the log gaps) are those of the fits by hand, which find k = 3');
SELECT is((SELECT array_agg(model || ' k=' || (clv_model_params(fitted) ->> 'k') ORDER BY model)
           FROM regular_evaluation WHERE calibration_frequency IS NULL),
          ARRAY['bgcnbd k=3', 'mbgcnbd k=3'], 'the fitted models say the k chosen');

-- bad input
SELECT throws_ok($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2025-06-30', '2025-06-30')$$,
                 '22023', 'the holdout must end after the calibration: 2025-06-30 is not after 2025-06-30',
                 'a holdout that does not end after the calibration is refused');
SELECT throws_ok($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30', penalizer => -1)$$,
                 '22023', 'penalizer must be a finite number of 0 or more, not -1', 'a negative penalizer is an error, not four failed fits');
CREATE TEMP TABLE clv_evaluation_split (mine text);
SELECT throws_ok($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'amount', '2024-12-31', '2025-06-30')$$,
                 '42P07', 'a temporary relation clv_evaluation_split exists, and clv_evaluate needs the name',
                 'a temporary table of the caller''s of the same name is refused, not dropped');
DROP TABLE clv_evaluation_split;
SELECT throws_like($$SELECT * FROM clv_evaluate('orders', 'customer', 'at', 'no_such_column', '2024-12-31', '2025-06-30')$$,
                   'column no_such_column does not exist in %orders', 'a missing column is named');

SELECT * FROM finish();
ROLLBACK;
