-- clv_business_kpis: a business's own CLV inputs from its customer summaries.
\set VERBOSITY default
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

-- Four customers observed to 2025-12-31 (365 days since 2025-01-01):
--   A: first 2025-01-01, last 2025-12-01, 4 orders, 400
--   B: first 2025-02-01, last 2025-03-01, 2 orders, 100
--   C: first 2025-08-01, last 2025-08-01, 1 order,   50
--   D: first 2025-01-01, last 2025-06-01, 3 orders, 150, then a refund of 30
CREATE TABLE orders (customer text, ordered_at date, amount float8);
INSERT INTO orders VALUES
  ('A', '2025-01-01', 100), ('A', '2025-04-01', 100), ('A', '2025-07-01', 100), ('A', '2025-12-01', 100),
  ('B', '2025-02-01', 50), ('B', '2025-03-01', 50),
  ('C', '2025-08-01', 50),
  ('D', '2025-01-01', 50), ('D', '2025-03-01', 50), ('D', '2025-06-01', 50), ('D', '2025-06-05', -30);
CREATE TABLE summaries AS
SELECT customer, clv_summary(ordered_at, amount, date '2025-12-31') AS s
FROM orders GROUP BY customer;

-- Retention from 2025-07-01: A, B and D had bought before it; only A bought
-- again afterwards: 1/3 over a window of 184 days.
SELECT customers, orders, revenue, avg_order_value,
       round(purchase_frequency_per_year::numeric, 6) AS purchase_frequency_per_year,
       round(observed_years::numeric, 6) AS observed_years,
       retention_start, retention_end, customers_at_start, customers_retained,
       round(retention_rate::numeric, 6) AS retention_rate,
       round(annual_retention_rate::numeric, 6) AS annual_retention_rate,
       round(lifespan_years::numeric, 6) AS lifespan_years,
       round(observed_lifespan_years::numeric, 6) AS observed_lifespan_years,
       gross_margin, round(clv::numeric, 4) AS clv
FROM (SELECT (clv_business_kpis(s, '2025-07-01', 0.4)).* FROM summaries) k;

-- the same by hand
SELECT 670.0 / 10 AS avg_order_value,
       round(10.0 / 4 / (365 / 365.25), 6) AS purchase_frequency_per_year,
       round(power(1.0 / 3, 365.25 / 184), 6) AS annual_retention_rate,
       round(1 / (1 - power(1.0 / 3, 365.25 / 184)), 6) AS lifespan_years,
       round((334 + 28 + 0 + 151) / 4.0 / 365.25, 6) AS observed_lifespan_years,
       round(67 * (10.0 / 4 / (365 / 365.25)) * (1 / (1 - power(1.0 / 3, 365.25 / 184))) * 0.4, 4) AS clv;

-- the simple CLV it reports is clv_simple of its own inputs
SELECT round(clv::numeric, 6) = round(clv_simple(avg_order_value, purchase_frequency_per_year,
                                                 lifespan_years, gross_margin)::numeric, 6) AS consistent
FROM (SELECT (clv_business_kpis(s, '2025-07-01', 0.4)).* FROM summaries) k;

-- everyone retained: no churn observed, so no finite lifespan and no CLV
SELECT retention_rate, lifespan_years IS NULL AS no_lifespan, clv IS NULL AS no_clv
FROM (SELECT (clv_business_kpis(s, '2025-01-02')).* FROM summaries WHERE customer = 'A') k;
-- nobody before retention_start: retention unknown
SELECT customers_at_start, retention_rate IS NULL AS unknown
FROM (SELECT (clv_business_kpis(s, '2025-01-01')).* FROM summaries) k;
-- a customer with refunds only moves revenue but is not a customer
SELECT customers, orders, revenue
FROM (SELECT (clv_business_kpis(s, '2025-07-01')).*
      FROM (SELECT clv_summary(d, a, date '2025-12-31') AS s
            FROM (VALUES (1, date '2025-03-01', 80.0::float8), (2, '2025-04-01', -20)) v(c, d, a)
            GROUP BY c) q) k;
-- no summaries, or only NULL ones: NULL
SELECT clv_business_kpis(s, '2025-07-01') IS NULL AS empty FROM summaries WHERE false;
SELECT clv_business_kpis(NULL::clv_summary, '2025-07-01') IS NULL AS all_null;

-- Bad input
SELECT clv_business_kpis(s, NULL) FROM summaries;
SELECT clv_business_kpis(s, '2026-01-01') FROM summaries;
SELECT clv_business_kpis(s, '2025-07-01', 40) FROM summaries;
SELECT clv_business_kpis(s, '2025-07-01', 'NaN') FROM summaries;
-- an option given as NULL takes its default
SELECT clv_business_kpis(s, '2025-07-01', NULL) = clv_business_kpis(s, '2025-07-01') AS null_margin_is_1 FROM summaries;
SELECT clv_business_kpis(s, '2025-07-01')
FROM (SELECT clv_summary(d, 1, e) AS s
      FROM (VALUES (1, date '2025-01-01', date '2025-12-31'), (2, '2025-01-01', '2025-11-30')) v(c, d, e)
      GROUP BY c) q;
SELECT clv_business_kpis(s, d) FROM summaries, (VALUES (date '2025-07-01'), ('2025-08-01')) v(d);
SELECT clv_business_kpis(ROW('2025-05-01', '2025-04-01', '2025-12-31', 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, NULL, NULL, '1 day')::clv_summary, '2025-07-01');
SELECT clv_business_final('{1,2,3}');
SELECT clv_business_final('{289043530241,0,0,0,0,0,0,0,0,0,0,0}');
SELECT clv_business_final('{289043530241,100,0,4607182418800017408,1,1,0,0,100,0,0,0,0}');
SELECT clv_business_final('{289043530241,100,0,4607182418800017408,1,1,0,0,0,0,2,1}');
SELECT clv_business_final('{289043530241,100,200,4607182418800017408,1,1,0,0,0,0,1,1}');
SELECT clv_business_final('{289043530241,100,0,9221120237041090560,1,1,0,0,0,0,1,1}');
SELECT (clv_business_final('{289043530241,100,0,4607182418800017408,1,2,0,100,0,0,0,0}')).customers;
SELECT clv_business_final('{289043530241,100,0,4607182418800017408,0,2,0,100,0,0,0,0}');
SELECT clv_business_kpis(ROW('2025-05-01', '2025-06-01', '2025-12-31', 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, NULL, NULL, '1 day')::clv_summary, '2025-07-01');
SELECT clv_business_kpis(ROW('2025-05-01', '2025-06-01', '2025-12-31', 1, 0, 1, NULL, 0, 1, 0, 0, 0, 0, NULL, NULL, '1 day')::clv_summary, '2025-07-01');
SELECT clv_business_kpis(ROW('2025-05-01', '2025-06-01', 'infinity', 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, NULL, NULL, '1 day')::clv_summary, '2025-07-01');
SELECT clv_business_combine('{289043530241,100,0,4607182418800017408,1,1,0,0,0,0,0,0}',
                            '{289043530241,101,0,4607182418800017408,1,1,0,0,0,0,0,0}');
SELECT clv_business_transfn(NULL, NULL, '2025-01-01');

DROP TABLE orders, summaries;
