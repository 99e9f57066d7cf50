-- demo/report.sql: a short customer lifetime value report on the data set of
-- demo/generate.sql, made with the clv extension's functions.
--
--   psql -X -q -v ON_ERROR_STOP=1 -f demo/report.sql
--
-- Parameters (psql variables, all optional):
--   observation_end   the moment the data ends      (2026-06-30 23:59:59+00)
--   retention_start   retention is measured from it (2025-07-01: one year)
--   margin            gross margin, as a fraction   (0.35)

\if :{?observation_end} \else \set observation_end '2026-06-30 23:59:59+00' \endif
\if :{?retention_start} \else \set retention_start '2025-07-01' \endif
\if :{?margin} \else \set margin 0.35 \endif

\pset footer off
\pset pager off
\pset null '-'
SET client_min_messages = warning;
-- clv_summary takes an order's calendar day in the session time zone.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

-- One clv_summary per customer: the whole order history in one row (orders,
-- refunds, the Buy-Till-You-Die frequency / recency / age / monetary value,
-- the rhythm of the gaps between purchase days).  Every section below starts
-- from these summaries, so compute them once.
CREATE TEMP TABLE summaries AS
SELECT c.customer_id, c.segment, c.signup_channel, c.acquisition_cost,
       clv_summary(o.ordered_at, o.amount::float8, :'observation_end') AS s
FROM customers c
JOIN orders o USING (customer_id)
GROUP BY c.customer_id;

\echo
\echo '== The data set =='
\echo
SELECT count(DISTINCT customer_id) AS customers,
       count(*) FILTER (WHERE amount >= 0) AS orders,
       count(*) FILTER (WHERE amount < 0) AS refunds,
       min(ordered_at)::date AS first_order,
       max(ordered_at)::date AS last_order,
       round(sum(amount) FILTER (WHERE amount >= 0)) AS "sales (EUR)",
       round(-sum(amount) FILTER (WHERE amount < 0)) AS "refunded (EUR)",
       round(sum(amount)) AS "net revenue (EUR)"
FROM orders;

\echo
\echo '== The business''s own CLV: all customers =='
\echo '   clv_business_kpis: average order value x orders per customer per year'
\echo '   x lifespan (1 / (1 - annual retention)) x gross margin'
\echo
\x on
SELECT (k).customers,
       (k).orders,
       round((k).revenue) AS "net revenue (EUR)",
       round((k).avg_order_value::numeric, 2) AS "average order value (EUR)",
       round((k).purchase_frequency_per_year::numeric, 2) AS "orders per customer per year",
       round((k).observed_years::numeric, 2) AS "years observed",
       format('%s to %s', (k).retention_start, (k).retention_end) AS "retention measured",
       (k).customers_at_start AS "customers who had bought before",
       (k).customers_retained AS "... of them bought again since",
       round(100 * (k).retention_rate::numeric, 1) AS "retention (%)",
       round(100 * (k).annual_retention_rate::numeric, 1) AS "annual retention (%)",
       round((k).lifespan_years::numeric, 2) AS "expected lifespan (years)",
       round((k).observed_lifespan_years::numeric, 2) AS "observed lifespan so far (years)",
       round(100 * (k).gross_margin::numeric) AS "gross margin (%)",
       round((k).clv::numeric, 2) AS "CLV (EUR of margin)",
       round(cac::numeric, 2) AS "average acquisition cost (EUR)",
       round(clv_cac_ratio((k).clv, cac)::numeric, 1) AS "CLV : CAC"
FROM (SELECT clv_business_kpis(s, :'retention_start', :margin) AS k,
             avg(acquisition_cost)::float8 AS cac
      FROM summaries) b;
\x off

\echo
\echo '== CLV against acquisition cost, by segment and by signup channel =='
\echo '   (ok: CLV is at least 3 times the average acquisition cost)'
\echo
WITH by_segment AS (
    SELECT segment,
           clv_business_kpis(s, :'retention_start', :margin) AS k,
           avg(acquisition_cost)::float8 AS cac
    FROM summaries
    GROUP BY segment
)
SELECT segment,
       (k).customers,
       round((k).avg_order_value::numeric, 2) AS "avg order",
       round((k).purchase_frequency_per_year::numeric, 2) AS "orders/year",
       round(100 * (k).annual_retention_rate::numeric, 1) AS "retention %",
       round((k).lifespan_years::numeric, 2) AS "lifespan",
       round((k).clv::numeric, 2) AS "CLV",
       round(cac::numeric, 2) AS "CAC",
       round(clv_cac_ratio((k).clv, cac)::numeric, 1) AS "CLV:CAC",
       CASE WHEN clv_cac_ok((k).clv, cac) THEN 'ok' ELSE 'too low' END AS verdict
FROM by_segment
ORDER BY (k).customers DESC;

WITH by_channel AS (
    SELECT signup_channel,
           clv_business_kpis(s, :'retention_start', :margin) AS k,
           avg(acquisition_cost)::float8 AS cac
    FROM summaries
    GROUP BY signup_channel
)
SELECT signup_channel AS "signup channel",
       (k).customers,
       round((k).avg_order_value::numeric, 2) AS "avg order",
       round((k).purchase_frequency_per_year::numeric, 2) AS "orders/year",
       round(100 * (k).annual_retention_rate::numeric, 1) AS "retention %",
       round((k).lifespan_years::numeric, 2) AS "lifespan",
       round((k).clv::numeric, 2) AS "CLV",
       round(cac::numeric, 2) AS "CAC",
       round(clv_cac_ratio((k).clv, cac)::numeric, 1) AS "CLV:CAC",
       CASE WHEN clv_cac_ok((k).clv, cac) THEN 'ok' ELSE 'too low' END AS verdict
FROM by_channel
ORDER BY round(clv_cac_ratio((k).clv, cac)::numeric, 1) DESC;

\echo
\echo '== The textbook formulas, fed with the business''s own numbers =='
\echo
WITH b AS (
    SELECT (clv_business_kpis(s, :'retention_start', :margin)).* FROM summaries
), split AS (
    -- a customer's first purchase day, and what the repeat purchases
    -- (frequency x monetary) bring per customer and year
    SELECT avg((s).total_amount - (s).frequency * (s).monetary) AS first_value,
           sum((s).frequency * (s).monetary) / count(*) AS repeat_value
    FROM summaries
)
SELECT formula, inputs, round(f.value::numeric, 2) AS "CLV (EUR)"
FROM b, split,
LATERAL (VALUES
    ('clv_simple',
     format('AOV %s x %s orders/yr x %s yrs x margin %s',
            round(avg_order_value::numeric, 2), round(purchase_frequency_per_year::numeric, 2),
            round(lifespan_years::numeric, 2), gross_margin),
     clv_simple(avg_order_value, purchase_frequency_per_year, lifespan_years, gross_margin)),
    ('clv_retention',
     format('margin %s/yr, retention %s%%, discount 10%%, forever',
            round((avg_order_value * purchase_frequency_per_year * gross_margin)::numeric, 2),
            round(100 * annual_retention_rate::numeric, 1)),
     clv_retention(avg_order_value * purchase_frequency_per_year * gross_margin,
                   annual_retention_rate, 0.10)),
    ('clv_retention',
     'the same over 5 years only',
     clv_retention(avg_order_value * purchase_frequency_per_year * gross_margin,
                   annual_retention_rate, 0.10, 5)),
    ('clv_one_off_plus_recurring',
     format('(first %s + repeats %s/yr x %s yrs) x margin %s',
            round(first_value::numeric, 2),
            round((repeat_value / observed_years)::numeric, 2),
            round(lifespan_years::numeric, 2), gross_margin),
     clv_one_off_plus_recurring(first_value, repeat_value / observed_years,
                                lifespan_years, gross_margin))
) f(formula, inputs, value);

\echo
\echo '== How historic customer value is spread =='
\echo '   net revenue per customer so far, customers in ten equal groups'
\echo
WITH ranked AS (
    SELECT (s).total_amount AS value,
           ntile(10) OVER (ORDER BY (s).total_amount DESC, customer_id) AS decile
    FROM summaries
)
SELECT decile AS "decile (1 = best)",
       count(*) AS customers,
       round(min(value)::numeric, 2) AS "from (EUR)",
       round(max(value)::numeric, 2) AS "to (EUR)",
       round(avg(value)::numeric, 2) AS "average (EUR)",
       round((100 * sum(value) / sum(sum(value)) OVER ())::numeric, 1) AS "share of revenue %",
       round((100 * sum(sum(value)) OVER (ORDER BY decile) / sum(sum(value)) OVER ())::numeric, 1)
           AS "cumulative %"
FROM ranked
GROUP BY decile
ORDER BY decile;

SELECT round((100 * sum((s).total_amount) FILTER (WHERE top) / sum((s).total_amount))::numeric, 1)
           AS top_share,
       round(100 * avg(((s).frequency = 0)::int), 1) AS once_share
FROM (SELECT s, ntile(5) OVER (ORDER BY (s).total_amount DESC, customer_id) = 1 AS top
      FROM summaries) t \gset
\echo 'The best 20% of customers brought' :top_share'% of net revenue;' :once_share'% of all customers bought only once.'
\echo

\echo
\echo '== Three customers, as clv_summary sees them =='
\echo
WITH examples AS (
    (SELECT 1 AS n, 'one-time buyer' AS example, * FROM summaries
     WHERE (s).frequency = 0 AND (s).refunds = 0 AND (s).age > 365
     ORDER BY customer_id LIMIT 1)
    UNION ALL
    (SELECT 2, 'frequent buyer', * FROM summaries
     WHERE segment = 'consumer'
     ORDER BY (s).frequency DESC, customer_id LIMIT 1)
    UNION ALL
    (SELECT 3, 'returns a lot', * FROM summaries
     WHERE segment = 'consumer' AND (s).refunds >= 3 AND (s).frequency >= 3
     ORDER BY (s).refunded_amount / ((s).total_amount + (s).refunded_amount) DESC, customer_id
     LIMIT 1)
)
-- one column per customer, one row per summary field
SELECT f.field AS " ",
       max(f.value) FILTER (WHERE e.n = 1) AS "one-time buyer",
       max(f.value) FILTER (WHERE e.n = 2) AS "frequent buyer",
       max(f.value) FILTER (WHERE e.n = 3) AS "returns a lot"
FROM examples e,
LATERAL (VALUES
    (1, 'customer', format('%s (%s)', e.customer_id, e.segment)),
    (2, 'first_order .. last_order', format('%s .. %s', (s).first_order, (s).last_order)),
    (3, 'orders, refunds', format('%s, %s', (s).orders, (s).refunds)),
    (4, 'purchase_days', (s).purchase_days::text),
    (5, 'total_amount (net)', round((s).total_amount::numeric, 2)::text),
    (6, 'refunded_amount', round((s).refunded_amount::numeric, 2)::text),
    (7, 'avg_order_value', round((s).avg_order_value::numeric, 2)::text),
    (8, 'frequency (repeat days)', (s).frequency::text),
    (9, 'recency, age (days)', format('%s, %s', (s).recency, (s).age)),
    (10, 'monetary (per repeat day)', round((s).monetary::numeric, 2)::text),
    (11, 'mean_gap, gap_stddev (days)',
         format('%s, %s', coalesce(round((s).mean_gap::numeric, 1)::text, '-'),
                          coalesce(round((s).gap_stddev::numeric, 1)::text, '-')))
) f(i, field, value)
GROUP BY f.i, f.field
ORDER BY f.i;

\echo
\echo '== Predicted CLV: BG/NBD and Gamma-Gamma fitted in the database =='
\echo '   each customer''s next 12 months (periods of 30 days, 1% discount a'
\echo '   month) x expected spend x gross margin; time in days.  BG/NBD gives'
\echo '   P(alive) = 1 to every one-time buyer, by construction; MBG/NBD does not.'
\echo
CREATE TEMP TABLE models AS
SELECT clv_fit_bgnbd(s) AS bg, clv_fit_mbgnbd(s) AS mbg, clv_fit_gammagamma(s) AS gg FROM summaries;

SELECT j ->> 'kind' AS model,
       CASE j ->> 'kind'
           WHEN 'gammagamma' THEN format('p %s, q %s, gamma %s', round((j ->> 'p')::numeric, 3),
                       round((j ->> 'q')::numeric, 3), round((j ->> 'gamma')::numeric, 2))
           ELSE format('r %s, alpha %s, a %s, b %s',
                                    round((j ->> 'r')::numeric, 3), round((j ->> 'alpha')::numeric, 2),
                                    round((j ->> 'a')::numeric, 3), round((j ->> 'b')::numeric, 3))
       END AS parameters,
       round((j ->> 'log_likelihood')::numeric, 1) AS "log-likelihood",
       j ->> 'customers' AS customers, j ->> 'iterations' AS iterations
FROM models, LATERAL (VALUES (clv_model_params(bg)), (clv_model_params(mbg)), (clv_model_params(gg))) v(j);

CREATE TEMP TABLE predicted AS
SELECT customer_id, segment, s,
       clv_p_alive(bg, s) AS p_alive,
       clv_p_alive(mbg, s) AS p_alive_mbg,
       clv_expected_purchases(bg, 365, s) AS next_year_purchases,
       clv_predicted_value(bg, gg, s, 12, 0.01, '30 days', :margin) AS clv
FROM summaries, models;

SELECT segment, count(*) AS customers,
       round(avg(p_alive)::numeric, 2) AS "mean P(alive)",
       round(avg(p_alive_mbg)::numeric, 2) AS "MBG/NBD's",
       round(sum(next_year_purchases)::numeric) AS "purchases next year",
       round(sum(clv)::numeric) AS "predicted margin (EUR)",
       round(avg(clv)::numeric, 2) AS "per customer"
FROM predicted GROUP BY segment ORDER BY sum(clv) DESC;

SELECT customer_id AS customer, segment, (s).purchase_days AS "purchase days",
       (s).last_order AS "last order", round(p_alive::numeric, 2) AS "P(alive)",
       round(next_year_purchases::numeric, 1) AS "purchases next year",
       round(clv::numeric, 2) AS "predicted CLV (EUR)",
       round((s).total_amount::numeric, 2) AS "so far (EUR)"
FROM predicted
ORDER BY clv DESC NULLS LAST, customer_id
LIMIT 8;

\echo
\echo '== Regulars who have gone quiet =='
\echo '   at least 4 repeat purchase days, and no order for longer than their'
\echo '   mean gap + 3 standard deviations'
\echo
CREATE TEMP VIEW quiet AS
SELECT customer_id, segment, s,
       (s).age - (s).recency AS days_quiet
FROM summaries
WHERE (s).frequency >= 4
  AND (s).age - (s).recency > (s).mean_gap + 3 * (s).gap_stddev;

SELECT q.segment,
       count(*) AS customers,
       round(100.0 * count(*) / (SELECT count(*) FROM summaries x
                                 WHERE x.segment = q.segment AND (x.s).frequency >= 4), 1)
           AS "% of the segment's regulars",
       round(sum((s).total_amount / greatest((s).age, 1) * 365.25)::numeric)
           AS "what they spent per year (EUR)"
FROM quiet q
GROUP BY q.segment
ORDER BY customers DESC;

SELECT customer_id AS customer, segment, (s).purchase_days AS "purchase days",
       round((s).total_amount::numeric, 2) AS "net total (EUR)",
       round((s).mean_gap::numeric, 1) AS "usual gap",
       (s).last_order AS "last order",
       days_quiet::int AS "days quiet"
FROM quiet
ORDER BY (s).total_amount DESC, customer_id
LIMIT 8;
