-- clv_summary reproduces the published CDNOW calibration summaries
-- (Fader, Hardie & Lee 2005): 2,357 customers, 39 weeks to 1997-09-30,
-- purchases counted by day, time in weeks.  The data live in ../shared/data
-- beside the checkout; without them the tests are skipped.
\ir ../include/prologue.psql
\ir ../include/cdnow.psql
BEGIN;
SELECT plan(8);
\if :have_cdnow
CREATE TEMP TABLE ours AS
SELECT id, clv_summary(day, dollars, date '1997-09-30', '7 days') AS s
FROM cdnow_orders WHERE day <= '1997-09-30' GROUP BY id;

SELECT is((SELECT count(*) FROM cdnow_orders), 6919::bigint, 'CDNOW sample: 6,919 transactions');
SELECT is((SELECT count(*) FROM ours), 2357::bigint, '2,357 customers in the calibration period');
SELECT is((SELECT sum((s).orders) FROM ours), 4960::numeric, '4,960 calibration order rows');
SELECT is((SELECT sum((s).purchase_days) FROM ours), 4814::bigint, '4,814 distinct customer-days');
SELECT is((SELECT sum((s).frequency) FROM ours), 2457::bigint, '2,457 repeat purchases');
SELECT is((SELECT count(*) FROM ours WHERE (s).frequency > 0), 946::bigint, '946 repeat buyers');
SELECT is((SELECT count(*) FROM ours o FULL JOIN cdnow_published p USING (id)
           WHERE p.x IS DISTINCT FROM (o.s).frequency
              OR abs(p.t_x - (o.s).recency) > 0.005 + 1e-9
              OR abs(p.t - (o.s).age) > 0.005 + 1e-9
              OR abs(p.zbar - (o.s).monetary) > 0.005 + 1e-9),
          0::bigint, 'every customer''s x, t_x, T and zbar match the published summary to its 2 decimals');
SELECT is((SELECT round((s).age::numeric, 3) FROM ours WHERE (s).first_order = '1997-01-01' LIMIT 1),
          38.857, 'a customer who first bought on 1997-01-01 has T = 272/7 weeks');
\else
SELECT skip('CDNOW data not found beside the checkout (../shared/data)', 8);
\endif
SELECT * FROM finish();
ROLLBACK;
