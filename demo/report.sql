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
\echo '== RFM segments =='
\echo '   clv_rfm_breakpoints: quintiles of days since the last order, orders and'
\echo '   net revenue; clv_rfm scores each customer 1-5 and names the segment'
\echo '   from clv_rfm_standard_segments (first matching row wins)'
\echo
CREATE TEMP TABLE rfm_breakpoints AS SELECT clv_rfm_breakpoints(s) AS b FROM summaries;
SELECT measure, round(b[i][1]::numeric, 2) AS "1|2", round(b[i][2]::numeric, 2) AS "2|3",
       round(b[i][3]::numeric, 2) AS "3|4", round(b[i][4]::numeric, 2) AS "4|5"
FROM rfm_breakpoints,
     (VALUES (1, 'days since last order'), (2, 'orders'), (3, 'net revenue (EUR)')) m(i, measure);

CREATE TEMP TABLE rfm AS
SELECT p.customer_id, p.clv, r.*
FROM predicted p, rfm_breakpoints, LATERAL clv_rfm(p.s, b) r;

SELECT segment, count(*) AS customers,
       round(avg(recency_days)) AS "days since last order",
       round(avg(frequency)::numeric, 1) AS orders,
       round(avg(monetary)::numeric, 2) AS "net revenue (EUR)",
       round(avg(clv)::numeric, 2) AS "predicted CLV (EUR)",
       round((100 * sum(clv) / sum(sum(clv)) OVER ())::numeric, 1) AS "% of predicted value"
FROM rfm
GROUP BY segment
ORDER BY sum(clv) DESC;

\echo
\echo '== Value tiers by predicted CLV (the 80/20 view) =='
\echo
SELECT tier, count(*) AS customers,
       round(min(clv)::numeric, 2) AS "from (EUR)",
       round(sum(clv)::numeric) AS "predicted value (EUR)",
       round((100 * sum(clv) / sum(sum(clv)) OVER ())::numeric, 1) AS "% of value"
FROM (SELECT clv, clv_value_tier(cume_dist() OVER (ORDER BY clv DESC)) AS tier
      FROM predicted WHERE clv IS NOT NULL) t
GROUP BY tier
ORDER BY min(clv) DESC;

\echo
\echo '== The expected CLV of a new customer, by segment and signup channel =='
\echo '   predicted CLV of past customers with the same profile: each segment shrunk'
\echo '   toward the whole base, each channel toward its segment, by credibility'
\echo '   weight n / (n + k) (Buhlmann-Straub)'
\echo
CREATE TEMP TABLE profiles AS
SELECT p.segment, c.signup_channel, count(*) AS n, avg(p.clv) AS mean, var_samp(p.clv) AS variance
FROM predicted p JOIN customers c USING (customer_id)
WHERE p.clv IS NOT NULL
GROUP BY p.segment, c.signup_channel;

-- level 1: each segment shrunk toward the whole base
CREATE TEMP TABLE segment_estimates AS
SELECT s.segment, e.estimate
FROM (SELECT segment, sum(n) AS n, sum(n * mean) / sum(n) AS mean,
             -- pooled variance of the segment's customers
             (sum((n - 1) * coalesce(variance, 0)) + sum(n * mean * mean)
              - sum(n * mean) ^ 2 / sum(n)) / (sum(n) - 1) AS variance
      FROM profiles GROUP BY segment) s,
     (SELECT (clv_credibility_prior(n::bigint, mean, variance)).*
      FROM (SELECT segment, sum(n) AS n, sum(n * mean) / sum(n) AS mean,
                   (sum((n - 1) * coalesce(variance, 0)) + sum(n * mean * mean)
                    - sum(n * mean) ^ 2 / sum(n)) / (sum(n) - 1) AS variance
            FROM profiles GROUP BY segment) q) k,
     LATERAL clv_credible_mean(s.n::bigint, s.mean, k.grand_mean, k.within_variance, k.between_variance) e;

-- level 2: each signup channel within a segment shrunk toward its segment
SELECT pr.segment, pr.signup_channel AS "signup channel", pr.n AS customers,
       round(pr.mean::numeric, 2) AS "raw mean",
       round(se.estimate::numeric, 2) AS "segment estimate",
       round(e.estimate::numeric, 2) AS "expected CLV",
       round(e.weight::numeric, 3) AS weight,
       format('%s .. %s', round(e.lower_95::numeric, 2), round(e.upper_95::numeric, 2)) AS "95% interval"
FROM profiles pr
JOIN segment_estimates se USING (segment)
JOIN (SELECT segment, (clv_credibility_prior(n, mean, variance)).* FROM profiles GROUP BY segment) k
     USING (segment),
LATERAL clv_credible_mean(pr.n, pr.mean, se.estimate, k.within_variance, k.between_variance) e
WHERE pr.segment = 'enterprise'
ORDER BY e.estimate DESC;

\echo
\echo '== Declining customers, most value at risk first =='
\echo '   clv_decline: gone quiet for their own rhythm, P(alive) low, fewer'
\echo '   orders or less spend in the last 90 days than in the 90 days before'
\echo '   and than in the same 90 days a year earlier'
\echo
CREATE TEMP TABLE windows AS
SELECT customer_id,
       count(*) FILTER (WHERE ordered_at > t - interval '90 days' AND amount >= 0) AS recent_orders,
       count(*) FILTER (WHERE ordered_at <= t - interval '90 days' AND ordered_at > t - interval '180 days'
                          AND amount >= 0) AS previous_orders,
       count(*) FILTER (WHERE ordered_at <= t - interval '365 days' AND ordered_at > t - interval '455 days'
                          AND amount >= 0) AS year_ago_orders,
       coalesce(sum(amount) FILTER (WHERE ordered_at > t - interval '90 days'), 0)::float8 AS recent_spend,
       coalesce(sum(amount) FILTER (WHERE ordered_at <= t - interval '90 days'
                                      AND ordered_at > t - interval '180 days'), 0)::float8 AS previous_spend,
       coalesce(sum(amount) FILTER (WHERE ordered_at <= t - interval '365 days'
                                      AND ordered_at > t - interval '455 days'), 0)::float8 AS year_ago_spend
FROM orders, (SELECT :'observation_end'::timestamptz AS t) e
GROUP BY customer_id;

CREATE TEMP TABLE decline AS
SELECT p.customer_id, p.segment, p.s, d.*
FROM predicted p JOIN windows w USING (customer_id), models,
LATERAL clv_decline(p.s, models.bg, value => p.clv,
                    recent_orders => w.recent_orders, previous_orders => w.previous_orders,
                    year_ago_orders => w.year_ago_orders, recent_spend => w.recent_spend,
                    previous_spend => w.previous_spend, year_ago_spend => w.year_ago_spend) d;

SELECT reason, count(*) AS customers
FROM decline, unnest(reasons) AS reason
GROUP BY reason ORDER BY customers DESC;

SELECT customer_id AS customer, segment, severity, round(value_at_risk::numeric) AS "at risk (EUR)",
       alert
FROM decline
WHERE declining
ORDER BY value_at_risk DESC NULLS LAST, customer_id
LIMIT 8;

\echo
\echo '== CLV over time: the trailing 12 months at each quarter end =='
\echo
SELECT q.quarter_end AS "12 months to", (k).customers, round((k).avg_order_value::numeric, 2) AS "avg order",
       round((k).purchase_frequency_per_year::numeric, 2) AS "orders/year",
       round(100 * (k).annual_retention_rate::numeric, 1) AS "retention %",
       round((k).lifespan_years::numeric, 2) AS lifespan, round((k).clv::numeric, 2) AS "CLV"
FROM (SELECT (q_start + interval '3 months' - interval '1 day')::date AS quarter_end
      FROM generate_series(date_trunc('quarter', :'observation_end'::timestamptz) - interval '21 months',
                           date_trunc('quarter', :'observation_end'::timestamptz), interval '3 months') q_start) q,
LATERAL (SELECT clv_business_kpis(s, q.quarter_end - 182, :margin) AS k
         FROM (SELECT clv_summary(o.ordered_at::date, o.amount::float8, q.quarter_end) AS s
               FROM orders o
               WHERE o.ordered_at::date > q.quarter_end - 365 AND o.ordered_at::date <= q.quarter_end
               GROUP BY o.customer_id) c) kp
ORDER BY q.quarter_end;

\echo
\echo '== Why CLV moved: the last 12 months against the 12 before =='
\echo '   clv_business_kpis per year of orders; clv_change_drivers splits the'
\echo '   change into order value, order frequency, lifespan and margin (Shapley:'
\echo '   the parts add up to the change)'
\echo
CREATE TEMP TABLE yearly AS
SELECT y.label, clv_business_kpis(q.s, y.retention_start, :margin) AS k
FROM (VALUES ('previous year', :'observation_end'::timestamptz - interval '2 years',
              :'observation_end'::timestamptz - interval '1 year',
              (:'observation_end'::timestamptz - interval '6 months')::date - 365),
             ('last year', :'observation_end'::timestamptz - interval '1 year',
              :'observation_end'::timestamptz,
              (:'observation_end'::timestamptz - interval '6 months')::date)) y(label, since, till, retention_start),
LATERAL (SELECT clv_summary(o.ordered_at, o.amount::float8, y.till) AS s
         FROM orders o WHERE o.ordered_at > y.since AND o.ordered_at <= y.till
         GROUP BY o.customer_id) q
GROUP BY y.label, y.retention_start;

SELECT label AS period, (k).customers, round((k).avg_order_value::numeric, 2) AS "avg order",
       round((k).purchase_frequency_per_year::numeric, 2) AS "orders/year",
       round((k).lifespan_years::numeric, 2) AS lifespan, round((k).clv::numeric, 2) AS "CLV"
FROM yearly ORDER BY label DESC;

SELECT d.driver, round(d.before_value::numeric, 3) AS before, round(d.after_value::numeric, 3) AS after,
       round(d.contribution::numeric, 2) AS "CLV change (EUR)",
       round((100 * d.share_of_change)::numeric, 1) AS "% of the change"
FROM (SELECT k FROM yearly WHERE label = 'previous year') a,
     (SELECT k FROM yearly WHERE label = 'last year') b,
     LATERAL clv_change_drivers(a.k, b.k) d;

\echo
\echo '== Seasonality: month-of-year index of net revenue =='
\echo '   clv_seasonality: ratio to the centred 12-month moving average; 1.20'
\echo '   means the month brings 20% more than the trend'
\echo
SELECT to_char(make_date(2000, m, 1), 'Mon') AS month, round(idx[m]::numeric, 2) AS index,
       repeat('#', round(idx[m] * 20)::int) AS " "
FROM (SELECT clv_seasonality(ordered_at::date, amount::float8) AS idx
      FROM orders WHERE ordered_at <= :'observation_end') q,
     generate_series(1, 12) m;

\echo '   the last 12 months: revenue as booked, divided by the month''s index,'
\echo '   and against the same month a year earlier'
\echo
SELECT to_char(m.month, 'YYYY-MM') AS month, round(m.revenue) AS "revenue (EUR)",
       round(m.revenue / idx[extract(month FROM m.month)::int]) AS "seasonally adjusted",
       round((100 * (m.revenue / y.revenue - 1))::numeric, 1) AS "vs a year earlier %"
FROM (SELECT clv_seasonality(ordered_at::date, amount::float8) AS idx
      FROM orders WHERE ordered_at <= :'observation_end') si,
     (SELECT date_trunc('month', ordered_at)::date AS month, sum(amount)::float8 AS revenue
      FROM orders GROUP BY 1) m
     JOIN (SELECT date_trunc('month', ordered_at)::date AS month, sum(amount)::float8 AS revenue
           FROM orders GROUP BY 1) y ON y.month = (m.month - interval '1 year')::date
WHERE m.month > (:'observation_end'::timestamptz - interval '1 year')::date
ORDER BY m.month;

\echo
\echo '== Cohort retention: share of each quarter''s new customers buying N quarters later =='
\echo
SELECT to_char(cohort, 'YYYY-"Q"Q') AS cohort, max(cohort_customers) AS customers,
       round(100 * max(retention) FILTER (WHERE period_number = 1)) AS "+1",
       round(100 * max(retention) FILTER (WHERE period_number = 2)) AS "+2",
       round(100 * max(retention) FILTER (WHERE period_number = 3)) AS "+3",
       round(100 * max(retention) FILTER (WHERE period_number = 4)) AS "+4",
       round(100 * max(retention) FILTER (WHERE period_number = 6)) AS "+6",
       round(100 * max(retention) FILTER (WHERE period_number = 8)) AS "+8"
FROM clv_cohort_retention('orders', 'customer_id', 'ordered_at', 'quarter')
GROUP BY cohort ORDER BY cohort;

\echo
\echo '== One customer across the web shop, the store and the service desk =='
\echo '   clv_link_identities over normalised e-mails, phone numbers and loyalty'
\echo '   cards; an identifier on more than 20 records is not used'
\echo
CREATE TEMP VIEW contact_pairs AS
    SELECT record_id, 'email:' || clv_normalize_email(email, drop_plus_tag => true) AS identifier FROM contacts
    UNION ALL
    SELECT record_id, 'phone:' || clv_normalize_phone(phone, '49') FROM contacts
    UNION ALL
    SELECT record_id, 'card:' || loyalty_card FROM contacts;

SET client_min_messages = notice;
CREATE TEMP TABLE profiles_linked AS
SELECT * FROM clv_link_identities('SELECT record_id, identifier FROM contact_pairs');
SET client_min_messages = warning;

SELECT identifier AS "left out (glue)", records
FROM clv_identity_glue('SELECT record_id, identifier FROM contact_pairs')
ORDER BY records DESC;

-- the generator knows who is who: how well did the linking do?
WITH p AS (
    SELECT l.profile_id, c.customer_id, c.source
    FROM profiles_linked l JOIN contacts c ON c.record_id = l.record_id
)
SELECT (SELECT count(*) FROM contacts) AS records,
       (SELECT count(DISTINCT customer_id) FROM contacts) AS "true customers",
       (SELECT count(DISTINCT profile_id) FROM p) AS profiles,
       (SELECT count(*) FROM (SELECT profile_id FROM p GROUP BY profile_id
                              HAVING count(DISTINCT customer_id) > 1) x) AS "profiles mixing customers",
       (SELECT count(*) FROM (SELECT customer_id FROM p GROUP BY customer_id
                              HAVING count(DISTINCT profile_id) > 1) x) AS "customers split",
       -- a split is a miss only if two of the customer's records in different
       -- profiles share a usable identifier
       (SELECT count(DISTINCT c1.customer_id)
        FROM contact_pairs a JOIN contact_pairs b ON a.identifier = b.identifier AND a.record_id < b.record_id
        JOIN profiles_linked l1 ON l1.record_id = a.record_id
        JOIN profiles_linked l2 ON l2.record_id = b.record_id
        JOIN contacts c1 ON c1.record_id = a.record_id
        JOIN contacts c2 ON c2.record_id = b.record_id
        WHERE c1.customer_id = c2.customer_id AND l1.profile_id <> l2.profile_id
          AND a.identifier NOT IN (SELECT identifier FROM clv_identity_glue('SELECT record_id, identifier FROM contact_pairs')))
           AS "... though sharing an identifier";

SELECT systems AS "systems a profile is seen in", count(*) AS profiles,
       round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS "%"
FROM (SELECT l.profile_id, count(DISTINCT c.source) AS systems
      FROM profiles_linked l JOIN contacts c USING (record_id)
      GROUP BY l.profile_id) x
GROUP BY systems ORDER BY systems;

\echo
\echo '== Predicted CLV by order channel, under five attribution models =='
\echo '   clv_attribution over each customer''s orders (the touchpoints), with the'
\echo '   customer''s predicted CLV as the value; credits add up exactly'
\echo
CREATE TEMP TABLE channel_credit AS
SELECT m.model, c.channel, sum(c.credit) AS credit
FROM (VALUES ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('time_decay')) m(model),
LATERAL (SELECT o.customer_id,
                clv_attribution(o.channel, o.ordered_at, round(p.clv::numeric, 2), m.model,
                                NULL, interval '90 days') AS credits
         FROM orders o JOIN predicted p USING (customer_id)
         WHERE o.amount > 0 AND p.clv IS NOT NULL
         GROUP BY o.customer_id, p.clv) a,
LATERAL unnest(a.credits) c
GROUP BY m.model, c.channel;

SELECT channel,
       round(max(credit) FILTER (WHERE model = 'first_touch')) AS "first touch",
       round(max(credit) FILTER (WHERE model = 'last_touch')) AS "last touch",
       round(max(credit) FILTER (WHERE model = 'linear')) AS linear,
       round(max(credit) FILTER (WHERE model = 'position_based')) AS "40/20/40",
       round(max(credit) FILTER (WHERE model = 'time_decay')) AS "time decay (90 d)"
FROM channel_credit GROUP BY channel ORDER BY max(credit) FILTER (WHERE model = 'linear') DESC;

SELECT model, sum(credit) AS "all credits (EUR)",
       (SELECT sum(round(clv::numeric, 2)) FROM predicted WHERE clv IS NOT NULL
          AND customer_id IN (SELECT customer_id FROM orders WHERE amount > 0)) AS "all predicted CLV (EUR)"
FROM channel_credit GROUP BY model ORDER BY model;

\echo
\echo '== Single-channel and omnichannel customers =='
\echo
SELECT CASE WHEN n = 1 THEN 'single: ' || first_channel ELSE n || ' channels' END AS customers_who_order,
       count(*) AS customers,
       round(avg(revenue)::numeric, 2) AS "net revenue so far (EUR)",
       round(avg(clv)::numeric, 2) AS "predicted CLV (EUR)",
       round(avg(p_alive)::numeric, 2) AS "mean P(alive)"
FROM (SELECT o.customer_id, count(DISTINCT o.channel) AS n, min(o.channel) AS first_channel,
             max(p.clv) AS clv, max(p.p_alive) AS p_alive, max((p.s).total_amount) AS revenue
      FROM orders o JOIN predicted p USING (customer_id)
      WHERE o.amount > 0
      GROUP BY o.customer_id) x
GROUP BY 1 ORDER BY min(n), 2 DESC;

\echo
\echo '== Predicted CLV against acquisition cost, by acquisition channel (first touch) =='
\echo
SELECT c.signup_channel AS "acquisition channel", count(*) AS customers,
       round(avg(p.clv)::numeric, 2) AS "predicted CLV (EUR)",
       round(avg(c.acquisition_cost), 2) AS "CAC (EUR)",
       round(clv_cac_ratio(avg(p.clv), avg(c.acquisition_cost)::float8)::numeric, 2) AS "CLV:CAC",
       CASE WHEN clv_cac_ok(avg(p.clv), avg(c.acquisition_cost)::float8) THEN 'ok' ELSE 'too low' END AS verdict
FROM predicted p JOIN customers c USING (customer_id)
WHERE p.clv IS NOT NULL
GROUP BY c.signup_channel
ORDER BY 5 DESC;
