-- Aggregate states are bounded by what the data can hold, not by how many
-- rows arrive: a customer with millions of orders needs no more state than
-- one order on each of the same days.  The raw transition states are read
-- through state-only aggregates (clv's transition functions, no final
-- function), so their size is what sits in memory while the query runs.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(14);

CREATE SCHEMA tap;
CREATE AGGREGATE tap.summary_raw(timestamptz, float8, timestamptz) (
    SFUNC = clv_summary_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.patterns_raw(clv_summary) (
    SFUNC = clv_fit_bgnbd_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.business_raw(clv_summary, date) (
    SFUNC = clv_business_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.season_raw(date, float8) (
    SFUNC = clv_seasonality_transfn, STYPE = bigint[]);
CREATE AGGREGATE tap.rfm_raw(clv_summary) (
    SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[]);

-- One customer, 3,000,000 orders over the 3,653 days of 2016-2025, every
-- 20th a refund: about 821 orders a day.
CREATE TABLE tap.heavy AS
SELECT timestamptz '2016-01-01 00:00+00' + (i % 3653) * interval '1 day' + (i % 86400) * interval '1 second' AS at,
       CASE WHEN i % 20 = 0 THEN -1.25 ELSE 10 + (i % 97) END::float8 AS amount
FROM generate_series(1, 3000000) i;
-- the same days, one order each (and the same refund days)
CREATE TABLE tap.light AS
SELECT DISTINCT ON (at::date, amount < 0) at, amount FROM tap.heavy ORDER BY at::date, amount < 0, at;

SET LOCAL TimeZone = 'UTC';
CREATE TABLE tap.sizes AS
SELECT (SELECT pg_column_size(tap.summary_raw(at, amount, '2026-01-01')) FROM tap.heavy) AS heavy_raw,
       (SELECT pg_column_size(clv_summary_state(at, amount, '2026-01-01')) FROM tap.heavy) AS heavy_stored,
       (SELECT pg_column_size(clv_summary_state(at, amount, '2026-01-01')) FROM tap.light) AS light_stored,
       (SELECT (clv_summary(at, amount, '2026-01-01')).purchase_days FROM tap.heavy) AS purchase_days,
       (SELECT count(DISTINCT at::date) FILTER (WHERE amount < 0) FROM tap.heavy) AS refund_days;

SELECT is((SELECT (purchase_days, refund_days)::text FROM tap.sizes), '(3653,3653)',
          'the heavy customer bought and got refunds on each of 3,653 days');
-- 24-byte array header, a 14-slot (112-byte) state header, 8 bytes a purchase day, 24 a refund day
SELECT cmp_ok((SELECT heavy_stored FROM tap.sizes), '<=', 24 + 112 + 8 * 3653 + 24 * 3653,
              'the stored state of 3,000,000 orders is 8 bytes a purchase day and 24 a refund day, plus headers (117 kB)');
SELECT is((SELECT heavy_stored FROM tap.sizes), (SELECT light_stored FROM tap.sizes),
          'the stored state of 3,000,000 orders is the size of one order a day on the same days');
SELECT cmp_ok((SELECT heavy_raw FROM tap.sizes), '<=', 2 * (24 + 112 + 8 * 3653 + 24 * 3653),
              'while it is built the state is at most twice that (it grows by doubling)');
SELECT is((SELECT clv_summary(at, amount, '2026-01-01')::text FROM tap.heavy),
          (SELECT clv_summary(at, amount, '2026-01-01')::text FROM tap.heavy WHERE at < '2030-01-01'),
          'and the summary of the heavy customer is computed (orders, refunds and sums all counted)');
SELECT is((SELECT (clv_summary(at, amount, '2026-01-01')).orders FROM tap.heavy), 2850000::bigint,
          'every one of the 2,850,000 orders counted');

-- Fits keep one entry per distinct history: 200,000 customers with 33
-- distinct (x, t_x, T) take the state of 33.
CREATE TABLE tap.many AS
SELECT c, ROW('2024-01-01'::date, '2024-01-01'::date + t_x, '2025-12-31'::date, 1 + x, 0, 1 + x,
              100, 0, 100.0 / (1 + x), x, t_x, 730, 20, NULL, NULL, '1 day')::clv_summary AS s
FROM generate_series(1, 200000) c,
     LATERAL (SELECT c % 5 AS x) f,
     LATERAL (SELECT CASE WHEN x = 0 THEN 0 ELSE 10 * (1 + c % 8) END AS t_x) r;
-- (room for 4 entries of 32 bytes per distinct history at most, as the
-- state doubles when more than half full after merging equal histories)
SELECT cmp_ok((SELECT pg_column_size(tap.patterns_raw(s)) FROM tap.many), '<=', 24 + 8 * 6 + 4 * 32 * 33,
              'a fit''s state holds distinct histories: 200,000 customers with 33 histories fit in 4.3 kB');

-- Business KPIs: a fixed-size state, whatever the number of customers.
SELECT is((SELECT pg_column_size(tap.business_raw(s, '2025-01-01')) FROM tap.many),
          (SELECT pg_column_size(tap.business_raw(s, '2025-01-01')) FROM tap.many WHERE c <= 10),
          'clv_business_kpis: the same state size for 200,000 customers as for 10');

-- Seasonality: one exact sum (16 bytes) per calendar month spanned.
SELECT is((SELECT pg_column_size(tap.season_raw(at::date, amount)) FROM tap.heavy),
          (SELECT pg_column_size(tap.season_raw(at::date, amount)) FROM tap.light),
          'clv_seasonality: 3,000,000 rows over 120 months take the state of 3,653 rows over the same months');
SELECT cmp_ok((SELECT pg_column_size(tap.season_raw(at::date, amount)) FROM tap.heavy), '<=', 24 + 8 * 8 + 2 * 16 * 120,
              'clv_seasonality: about 16 bytes a month');

-- RFM breakpoints are exact quantiles: 24 bytes a customer, by design.
SELECT cmp_ok((SELECT pg_column_size(tap.rfm_raw(s)) FROM tap.many), '<=', 2 * (64 + 24 * 200000),
              'clv_rfm_breakpoints: at most 24 bytes a customer (doubling included)');

-- Attribution: a hash aggregate reports the memory its groups' states
-- take.  Every model but time decay keeps counts per channel and the first
-- and last touch: a million touches take what a thousand take.  Time decay
-- keeps the touches, 16 bytes each.
CREATE FUNCTION tap.hash_memory_kb(query text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    SET LOCAL enable_sort = off;
    SET LOCAL max_parallel_workers_per_gather = 0;
    EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || query INTO plan;
    RETURN (SELECT max(m::bigint) FROM jsonb_path_query(plan, 'strict $.**."Peak Memory Usage"') m);
END $$;
CREATE TABLE tap.touches AS
SELECT i, i % 2 AS conversion, (ARRAY['web', 'store', 'email', 'ads'])[1 + (i / 2) % 4] AS channel,
       timestamptz '2025-01-01' + i * interval '1 second' AS at
FROM generate_series(1, 2000000) i;
CREATE TEMP TABLE attribution_memory AS
SELECT model, n, tap.hash_memory_kb(format(
           'SELECT conversion, clv_attribution(channel, at, 1000.00, %L, NULL::timestamptz, ''7 days'') FROM tap.touches WHERE i <= %s GROUP BY conversion',
           model, n)) AS kb
FROM unnest(ARRAY['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay']) model,
     unnest(ARRAY[2000, 2000000]) n;
SELECT is((SELECT count(*) FROM attribution_memory a JOIN attribution_memory b USING (model)
           WHERE a.n = 2000 AND b.n = 2000000 AND model <> 'time_decay' AND b.kb <= a.kb AND a.kb > 0),
          4::bigint, 'clv_attribution: 1,000,000 touches a conversion take no more memory than 1,000 (all models but time decay)');
SELECT ok((SELECT kb BETWEEN 16 * 1000000 / 1024 AND 2 * 2 * 16 * 1000000 / 1024 + 1024
           FROM attribution_memory WHERE model = 'time_decay' AND n = 2000000),
              'clv_attribution: time decay keeps 16 bytes a touch (at most twice that reserved)');
SELECT diag(string_agg(format('%s %s touches: %s kB', model, n, kb), ', ' ORDER BY model, n)) FROM attribution_memory;
SELECT is((SELECT array_agg((c).credit ORDER BY (c).channel)
           FROM (SELECT unnest(clv_attribution(channel, at, 1000.00, 'linear')) AS c
                 FROM tap.touches WHERE conversion = 0) q),
          ARRAY[250.00, 250.00, 250.00, 250.00]::numeric[],
          'and the credits of a million touches are still exact');

SELECT * FROM finish();
ROLLBACK;
