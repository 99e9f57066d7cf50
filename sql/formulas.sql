-- The CLV formulas businesses compute by hand, with the textbook figures.
\set VERBOSITY default

-- clv_simple: average order value x purchases per year x lifespan x margin
SELECT clv_simple(100, 10, 5) AS drinks_shop;          -- 5000
SELECT clv_simple(200, 3, 4) AS two_thousand_four;     -- 2400
SELECT clv_simple(100, 4, 8) AS shoe_store;            -- 3200
SELECT clv_simple(100, 4, 8, 0.4) AS shoe_store_margin; -- 40% of 3200 = 1280
SELECT clv_simple(100, 10, 5, gross_margin => 0.4) AS named_margin;
SELECT clv_simple(0, 10, 5), clv_simple(100, 0, 5), clv_simple(100, 10, 0);

-- a one-off purchase plus recurring revenue: a car and its servicing
SELECT clv_one_off_plus_recurring(25000, 500, 8) AS car;            -- 29000
SELECT clv_one_off_plus_recurring(25000, 500, 8, 0.2) AS car_margin; -- 5800

-- Gupta & Lehmann: m r / (1 + d - r); margin multiple r/(1+d-r) = 2.5 for
-- r = 0.8, d = 0.12
SELECT round(clv_retention(100, 0.8, 0.12)::numeric, 9) AS infinite_horizon;   -- 250
SELECT round(clv_retention(1, 0.9, 0.1)::numeric, 9) AS margin_multiple;      -- 4.5
SELECT clv_retention(100, 0, 0.1) AS nobody_stays;                            -- 0
-- finite horizon: sum_{t=1..n} m (r/(1+d))^t
SELECT round(clv_retention(100, 0.8, 0.1, 3)::numeric, 6) AS three_periods;   -- 72.7273+52.8926+38.4673
SELECT round((100*0.8/1.1 + 100*0.64/1.21 + 100*0.512/1.331)::numeric, 6) AS by_hand;
SELECT round(clv_retention(100, 0.8, 0.12, 1000)::numeric, 6) AS long_horizon_tends_to_infinite;
SELECT clv_retention(100, 0.8, 0.1, 0) AS zero_periods,
       clv_retention(100, 1, 0, 5) AS everyone_stays_no_discount,
       round(clv_retention(100, 1, 0.1, 2)::numeric, 6) AS everyone_stays_discounted;
-- q = r/(1+d) just below 1 keeps its precision
SELECT round(clv_retention(1, 0.999999999, 0, 10)::numeric, 6) AS near_one;

-- CLV against acquisition cost
SELECT clv_cac_ratio(900, 300) AS ratio, clv_cac_ok(900, 300) AS ok,
       clv_cac_ok(899.99, 300) AS just_below, clv_cac_ok(500, 300, 1.5) AS custom;

-- NULL in, NULL out
SELECT clv_simple(NULL, 1, 1) IS NULL AS n1,
       clv_simple(1, 1, 1, NULL) IS NULL AS n2,
       clv_one_off_plus_recurring(1, NULL, 1) IS NULL AS n3,
       clv_retention(1, NULL, 0.1) IS NULL AS n4,
       clv_retention(1, 0.5, 0.1, NULL) IS NULL AS n5,
       clv_cac_ratio(NULL, 1) IS NULL AS n6,
       clv_cac_ok(1, NULL) IS NULL AS n7;

-- Bad input: a clear error naming the argument
SELECT clv_simple(100, 10, -5);
SELECT clv_simple(-100, 10, 5);
SELECT clv_simple(100, -1, 5);
SELECT clv_simple('NaN', 10, 5);
SELECT clv_simple(100, 'Infinity', 5);
SELECT clv_simple(100, 10, '-Infinity');
SELECT clv_simple(100, 10, 5, 40);
SELECT clv_simple(100, 10, 5, -0.1);
SELECT clv_simple(1e200, 1e200, 1);
SELECT clv_one_off_plus_recurring(25000, 500, -8);
SELECT clv_one_off_plus_recurring('NaN', 500, 8);
SELECT clv_retention(100, 1, 0.1);
SELECT clv_retention(100, 1.2, 0.1);
SELECT clv_retention(100, -0.1, 0.1);
SELECT clv_retention(100, 0.8, -1);
SELECT clv_retention(100, 0.8, -0.5);
SELECT clv_retention(100, 'NaN', 0.1);
SELECT clv_retention('Infinity', 0.5, 0.1);
SELECT clv_retention(100, 0.8, 'NaN', 3);
SELECT clv_retention(100, 0.8, 0.1, -1);
SELECT clv_retention(100, 1.5, 0.1, 3);
-- a channel that cost nothing has no ratio (NULL), and one free channel does
-- not stop a report over all of them
SELECT clv_cac_ratio(900, 0) IS NULL AS free_channel, clv_cac_ok(900, 0) AS ok_when_free;
SELECT c, clv_cac_ratio(900, c) FROM unnest(ARRAY[300, 0, 450]::float8[]) c ORDER BY c;
SELECT clv_cac_ratio(900, -10);
SELECT clv_cac_ratio('NaN', 10);
SELECT clv_cac_ok(900, 300, -1);
