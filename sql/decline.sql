-- clv_decline signals, each with a customer built to fire it and one built
-- not to; why CLV moved (Shapley); month-of-year seasonality.
\set VERBOSITY default
SET DateStyle = 'ISO, YMD';
SET extra_float_digits = 0;

CREATE TABLE orders (customer text, order_date date, amount float8);
-- steady: every 30 days for two years, last order 20 days ago
INSERT INTO orders SELECT 'steady', d, 40 FROM generate_series('2023-05-01'::date, '2025-06-10', '30 days') d;
-- quiet: the same rhythm, then silent for over 3 months
INSERT INTO orders SELECT 'quiet', d, 40 FROM generate_series('2023-01-01'::date, '2025-03-15', '30 days') d;
-- irregular: gaps of 5 and 115 days alternate; 100 days of silence is normal for them
INSERT INTO orders SELECT 'irregular', '2023-01-01'::date + (k / 2) * 120 + (k % 2) * 5, 40
FROM generate_series(0, 11) k;
-- too few: two orders, long ago (too few gaps to judge a rhythm)
INSERT INTO orders VALUES ('few', '2024-01-01', 10), ('few', '2024-02-01', 10);
INSERT INTO orders VALUES ('once', '2025-01-01', 99);
CREATE TABLE summaries AS
SELECT customer, clv_summary(order_date, amount, '2025-06-30'::date) AS s
FROM orders GROUP BY customer;

SELECT customer, (s).last_order, d.declining, d.severity, d.reasons, d.days_silent,
       round(d.typical_gap_days::numeric, 1) AS typical_gap_days,
       round(d.p_gap::numeric, 6) AS p_gap, d.alert
FROM summaries, LATERAL clv_decline(s) d ORDER BY customer;
-- the threshold and min_gaps tune it; a NULL threshold switches it off
SELECT customer, (clv_decline(s, quiet_probability => 0.2)).reasons AS at_0_2,
       (clv_decline(s, quiet_probability => NULL)).reasons AS switched_off,
       (clv_decline(s, min_gaps => 1, quiet_probability => 0.5)).reasons AS min_gaps_1
FROM summaries ORDER BY customer;

-- P(alive) from a purchase model (days as the time unit), low and dropped
CREATE TABLE m AS SELECT clv_fit_bgnbd(s) AS model FROM summaries;
SELECT customer, round(d.p_alive::numeric, 3) = round(clv_p_alive(model, s)::numeric, 3) AS same_p_alive,
       d.reasons
FROM summaries, m, LATERAL clv_decline(s, model, quiet_probability => NULL, p_alive_threshold => 0.5) d
ORDER BY customer;
-- with the published CDNOW parameters (read as days) the quiet customer's
-- P(alive) is 0.38: a fall from 0.95 fires, a fall from 0.5 does not
CREATE TABLE published AS SELECT 'kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=-9582.4 customers=2357 iterations=0 converged=true penalizer=0'::clv_model AS model;
SELECT customer, round(clv_p_alive(model, s)::numeric, 3) AS p_alive,
       (clv_decline(s, model, previous_p_alive => 0.95, quiet_probability => NULL,
                    p_alive_threshold => NULL)).reasons AS from_0_95,
       (clv_decline(s, model, previous_p_alive => 0.5, quiet_probability => NULL,
                    p_alive_threshold => NULL)).reasons AS from_0_5,
       (clv_decline(s, model, previous_p_alive => 0.95, quiet_probability => NULL,
                    p_alive_threshold => NULL, p_alive_drop => NULL)).reasons AS drop_off,
       round((clv_decline(s, model, previous_p_alive => 0.95)).p_alive_change::numeric, 3) AS change
FROM summaries, published WHERE customer IN ('quiet', 'steady') ORDER BY customer;
-- value at risk = value x (1 - P(alive)); no model, no value at risk
SELECT customer, round(d.value_at_risk::numeric, 2) = round((1000 * (1 - d.p_alive))::numeric, 2) AS formula
FROM summaries, m, LATERAL clv_decline(s, model, value => 1000) d ORDER BY customer;
SELECT (clv_decline(s, value => 1000)).value_at_risk IS NULL AS needs_a_model FROM summaries WHERE customer = 'steady';
SELECT (clv_decline(s, 'kind=gammagamma p=6 q=4 gamma=15 log_likelihood=-1 customers=10 iterations=1 converged=true penalizer=0')).*
FROM summaries WHERE customer = 'steady';

-- ordering less and spending less: recent window against the previous one
SELECT w.label, d.reasons, round(d.orders_change::numeric, 2) AS orders_change,
       round(d.spend_change::numeric, 2) AS spend_change, d.alert
FROM summaries,
     (VALUES ('halved',          1::bigint, 4::bigint, NULL::bigint, 50::float8, 200::float8, NULL::float8),
             ('steady',          4, 4, NULL, 200, 200, NULL),
             ('small dip',       3, 4, NULL, 150, 200, NULL),
             -- seasonal: last year's same window was just as low, so no alarm
             ('seasonal low',    1, 4, 1, 50, 200, 40),
             -- below last year too: a real drop
             ('below last year', 1, 4, 4, 50, 200, 220),
             -- one previous order is too little to call a trend in orders
             ('thin baseline',   0, 1, NULL, 0, 10, NULL)) AS w(label, ro, po, yo, rs, ps, ys),
     LATERAL clv_decline(s, recent_orders => ro, previous_orders => po, year_ago_orders => yo,
                         recent_spend => rs, previous_spend => ps, year_ago_spend => ys,
                         quiet_probability => NULL) d
WHERE customer = 'steady' ORDER BY w.label;

-- several signals: severity counts them, and the alert reads like one
SELECT d.declining, d.severity, d.reasons, d.alert
FROM summaries, LATERAL clv_decline(s, 'kind=bgnbd r=0.243 alpha=4.414 a=0.793 b=2.426 log_likelihood=-9582.4 customers=2357 iterations=0 converged=true penalizer=0',
                                     value => 1240, previous_p_alive => 0.95,
                                     recent_orders => 0, previous_orders => 3, year_ago_orders => 3,
                                     recent_spend => 0, previous_spend => 120, year_ago_spend => 130) d
WHERE customer = 'quiet';

-- a span that rounds to one day is "1 day", any other number of days plural
SELECT v.label, (clv_decline(q.s)).alert
FROM (VALUES ('a day apart, a day ago', '{2025-06-28,2025-06-29}'::date[]),
             ('once, a day ago', '{2025-06-29}'),
             ('two days apart, two days ago', '{2025-06-26,2025-06-28}'),
             ('once, today', '{2025-06-30}')) v(label, days),
     LATERAL (SELECT clv_summary(d, 10, '2025-06-30'::date) AS s FROM unnest(v.days) d) q
ORDER BY v.label;

-- NULLs and bad parameters
SELECT clv_decline(NULL) IS NULL AS null_summary;
SELECT clv_decline(clv_summary(d, -5, '2025-01-01'::date)) IS NULL AS refunds_only
FROM (VALUES ('2024-01-01'::date)) v(d);
SELECT clv_decline(s, quiet_probability => 1.5) FROM summaries WHERE customer = 'steady';
SELECT clv_decline(s, min_gaps => 0) FROM summaries WHERE customer = 'steady';
-- an option given as NULL takes its default
SELECT clv_decline(s, min_gaps => NULL) = clv_decline(s) AS null_min_gaps_is_default FROM summaries WHERE customer = 'steady';
SELECT clv_decline(s, previous_orders => -1, recent_orders => 1) FROM summaries WHERE customer = 'steady';
SELECT clv_decline(s, recent_spend => 'Infinity', previous_spend => 1) FROM summaries WHERE customer = 'steady';
SELECT clv_decline(s, value => 'NaN') FROM summaries WHERE customer = 'steady';
SELECT clv_decline(s, m.model, previous_p_alive => 2) FROM summaries, m WHERE customer = 'steady';

-- Why CLV moved: Shapley contributions add up to the change
SELECT clv_shapley_change('{2,3}', '{4,5}') AS contributions, 4 * 5 - 2 * 3 AS change;
SELECT c, round((c[1] + c[2] + c[3])::numeric, 12) AS total, 4 * 5 * 2 - 0 * 3 * 1 AS change
FROM (SELECT clv_shapley_change('{0,3,1}', '{4,5,2}') AS c) q;
-- a driver that did not move contributes nothing
SELECT clv_shapley_change('{50,4,2,0.4}', '{50,3,2,0.4}');
SELECT clv_shapley_change('{1,2}', '{1}');
SELECT clv_shapley_change('{1,NULL}', '{1,2}');
SELECT clv_shapley_change('{}', '{}');
SELECT clv_shapley_change('{1,Infinity}', '{1,2}');

-- the business view: KPIs of two years, and the drivers of the change
CREATE TABLE biz (customer int, order_date date, amount float8);
-- 2023: 100 customers order every 80 days at 50; 10 stop after April
INSERT INTO biz SELECT c, '2023-01-15'::date + k * 80, 50
FROM generate_series(1, 100) c, generate_series(0, 3) k WHERE c > 10 OR k < 2;
-- 2024: 80 of them order every 100 days at 45; 20 stop after January
INSERT INTO biz SELECT c, '2024-01-15'::date + k * 100, 45
FROM generate_series(1, 80) c, generate_series(0, 2) k WHERE c > 20 OR k = 0;
CREATE TABLE kpis AS
SELECT 2023 AS year, clv_business_kpis(s, '2023-07-01', 0.4) AS k
FROM (SELECT clv_summary(order_date, amount, '2023-12-31'::date) s FROM biz
      WHERE order_date <= '2023-12-31' GROUP BY customer) q
UNION ALL
SELECT 2024, clv_business_kpis(s, '2024-07-01', 0.4)
FROM (SELECT clv_summary(order_date, amount, '2024-12-31'::date) s FROM biz
      WHERE order_date >= '2024-01-01' GROUP BY customer) q;
SELECT year, (k).customers, round((k).avg_order_value::numeric, 2) AS aov,
       round((k).purchase_frequency_per_year::numeric, 3) AS per_year,
       round((k).lifespan_years::numeric, 3) AS lifespan, (k).gross_margin, round((k).clv::numeric, 2) AS clv
FROM kpis ORDER BY year;
SELECT d.driver, round(d.before_value::numeric, 3) AS before, round(d.after_value::numeric, 3) AS after,
       round(d.contribution::numeric, 2) AS contribution, round(d.share_of_change::numeric, 3) AS share
FROM (SELECT k FROM kpis WHERE year = 2023) a, (SELECT k FROM kpis WHERE year = 2024) b,
     LATERAL clv_change_drivers(a.k, b.k) d;
SELECT round(sum(d.contribution)::numeric, 9) = round(((b.k).clv - (a.k).clv)::numeric, 9) AS adds_up
FROM (SELECT k FROM kpis WHERE year = 2023) a, (SELECT k FROM kpis WHERE year = 2024) b,
     LATERAL clv_change_drivers(a.k, b.k) d GROUP BY a.k, b.k;
-- a period without observed churn has no lifespan: a clear error
SELECT * FROM clv_change_drivers(
    ROW(1,1,1,50,4,1,NULL,NULL,1,1,1,1,NULL,2,0.4,NULL)::clv_business_kpis,
    ROW(1,1,1,45,3,1,NULL,NULL,1,1,1,1,1.8,2,0.4,97.2)::clv_business_kpis);

-- Seasonality: December doubles on a growing trend; the index finds it
SELECT array_agg(round(i::numeric, 2)) AS index
FROM unnest((SELECT clv_seasonality(d::date, CASE WHEN extract(month FROM d) = 12 THEN 2 ELSE 1 END
                                             * pow(1.01, (d::date - date '2021-01-01') / 30.44))
             FROM generate_series('2021-01-01'::date, '2023-12-31', '1 day') d)) i;
-- a flat business has an index of 1 everywhere; daily rows sum per month
SELECT clv_seasonality(d::date, 10) = array_fill(1::float8, ARRAY[12]) AS flat
FROM generate_series('2022-01-01'::date, '2023-12-31', '1 day') d
WHERE extract(day FROM d) <= 28;
-- the row order does not change the result
SELECT (SELECT clv_seasonality(d::date, (d::date - date '2020-01-01') % 17) FROM generate_series('2020-01-01'::date, '2022-06-30', '1 day') d)
     = (SELECT clv_seasonality(d::date, (d::date - date '2020-01-01') % 17 ORDER BY md5(d::text)) FROM generate_series('2020-01-01'::date, '2022-06-30', '1 day') d)
       AS order_independent;
-- under a year: NULL and a warning; a year with no revenue: an error
SELECT clv_seasonality(d::date, 1) FROM generate_series('2021-01-01'::date, '2021-11-30', '1 day') d;
SELECT clv_seasonality(d::date, 0) FROM generate_series('2021-01-01'::date, '2022-12-31', '1 month') d;
SELECT clv_seasonality(d, v) FROM (VALUES ('2021-01-01'::date, NULL::float8), (NULL, 1)) x(d, v);
SELECT clv_seasonality('infinity'::date, 1);
SELECT clv_seasonality('2021-01-01'::date, 'NaN');

DROP TABLE orders, summaries, m, published, biz, kpis;
