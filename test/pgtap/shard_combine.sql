-- Every aggregate of the extension, found in the catalog, gives exactly the
-- single-table answer when its rows are spread over three "shards" whose
-- partial states travel as text and are combined -- the way Citus runs an
-- aggregate that it cannot push down whole (worker_partial_agg on each
-- worker: the transition function, then the state type's output function;
-- coord_combine_agg on the coordinator: the state type's input function, the
-- aggregate's combine function, NULL partial states skipped or handed to a
-- non-strict combine function, and the final function at the end).  Citus is
-- not in Debian, so this file builds the same two halves from the catalog:
-- for each aggregate a "partial" aggregate (its transition function, state
-- type and initial value, no final function) and a "merge" aggregate (its
-- combine function over the state type, its final function), and compares,
-- as text and bit for bit (the result type's send function), the merge of
-- the text-shipped partial states with the aggregate over the whole table:
-- shards merged in order, in reverse order with a NULL partial from each
-- shard that lacks a group, and with one empty shard merged first and last.
--
-- Per-customer aggregates (clv_summary, clv_summary_state, clv_attribution
-- per conversion) get their rows dealt out so that every customer or
-- conversion spans all three shards -- harder than Citus, which would push a
-- query grouped by the distribution column down whole -- and are grouped by
-- it; cross-customer aggregates (the fits, breakpoints, KPIs, seasonality,
-- the credibility prior) get their rows split by customer (the credibility
-- prior: by group, one row each) as a table distributed by it would be.
--
-- clv_attribution keeps an internal state, which cannot be a value in SQL:
-- an aggregate can end with its serialize function (the bytea is visible),
-- but nothing in SQL can hand that bytea to its deserialize function, whose
-- signature (bytea, internal) no transition function has.  It is tested
-- through PostgreSQL's own partial aggregation instead: partitionwise
-- aggregation over a table partitioned by shard runs one partial aggregate
-- per partition, serializes each state to bytea and deserializes and
-- combines them in the finalize step (AGGSPLIT_INITIAL_SERIAL and
-- AGGSPLIT_FINAL_DESERIAL, the only split modes there are), in partition
-- order: shard order, reverse order, an empty partition, and conversions
-- one at a time (ungrouped, with FILTER) so that the empty partition sends
-- a NULL state.  The plans are asserted.  Citus would push it down whole:
-- it groups by conversion or customer.
--
-- Last, a partial state damaged in transit (one element cut off, a count
-- raised past what it holds, one element too many) is refused by the merge
-- with SQLSTATE 22023, for every family of text-shippable states.
\ir ../include/prologue.psql
BEGIN;
SET LOCAL TimeZone = 'Europe/Paris';
CREATE SCHEMA shard;
SET LOCAL search_path = shard, public;

-------------------------------------------------------------------------------
-- The catalog: every aggregate of the extension, every overload
-------------------------------------------------------------------------------
CREATE FUNCTION shard.qualified(f oid) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT quote_ident(n.nspname) || '.' || quote_ident(p.proname)
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE p.oid = f
$$;

CREATE TABLE shard.aggs AS
SELECT row_number() OVER (ORDER BY a.aggfnoid::regprocedure::text)::int AS n,
       a.aggfnoid::regprocedure::text AS agg,
       p.proname::text AS name,
       shard.qualified(a.aggfnoid) AS qname,
       (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i)
        FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i)) AS argtypes,
       (SELECT string_agg(format('a%s::%s', i, format_type(t, NULL)), ', ' ORDER BY i)
        FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i)) AS call_args,
       a.aggkind, a.aggtransfn::oid AS transfn, a.aggtranstype AS stype, a.agginitval,
       a.aggfinalfn::oid AS finalfn, a.aggcombinefn::oid AS combinefn,
       a.aggserialfn::oid AS serialfn, a.aggdeserialfn::oid AS deserialfn,
       a.aggfinalextra, a.aggfinalmodify, p.proparallel, p.prorettype
FROM pg_catalog.pg_aggregate a
JOIN pg_catalog.pg_proc p ON p.oid = a.aggfnoid
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = a.aggfnoid
                           AND d.refclassid = 'pg_catalog.pg_extension'::regclass AND d.deptype = 'e'
JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'clv';

-------------------------------------------------------------------------------
-- The data
-------------------------------------------------------------------------------
-- shard.orders(customer, at, amount): 1,000 BTYD customers, 2024 - mid 2025
\ir ../include/btyd_orders.psql

-- an older cohort, customers 1001-1500, first orders over 2021 - 2023:
-- the same process as include/btyd_orders.psql, up to 2025-06-30
INSERT INTO shard.orders
WITH customers AS (
    SELECT 1000 + c AS customer, random() * 1000 AS start,
           exp(ln(1.0 / 40) + 0.9 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS rate,
           -ln(1 - random()) / exp(ln(1.0 / 250) + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS lifetime,
           15 + random() * 80 AS spend
    FROM generate_series(1, 500) c),
gaps AS (
    SELECT c.*, k, sum(CASE WHEN k = 0 THEN 0 ELSE -ln(1 - random()) / c.rate END)
                     OVER (PARTITION BY c.customer ORDER BY k) AS since_first
    FROM customers c, generate_series(0, 120) k)
SELECT customer, timestamptz '2021-01-01 00:00+00' + (start + since_first) * interval '1 day',
       round((spend * (0.6 + 0.8 * random()))::numeric, 2)
FROM gaps
WHERE since_first <= lifetime AND start + since_first < 1641;

-- order rows: both cohorts, second orders hours later (mostly the same
-- purchase day), free orders, full and partial refunds on the purchase day
-- or days later, rows without an amount or a time (every customer has both,
-- so every customer has at least three rows), three customers with refunds
-- only and one with nothing but NULLs.
CREATE TABLE shard.order_rows AS
WITH numbered AS (SELECT row_number() OVER (ORDER BY customer, at) AS id, customer, at, amount::float8 AS amount
                  FROM shard.orders)
SELECT id, customer, at, amount FROM numbered
UNION ALL
SELECT id + 100000, customer, at + interval '5 hours', round(amount::numeric * 0.3, 2)::float8
FROM numbered WHERE id % 9 = 4
UNION ALL
SELECT id + 200000, customer, at + interval '2 days', 0
FROM numbered WHERE id % 23 = 7 AND at < '2025-06-28 00:00+00'
UNION ALL
SELECT id + 300000, customer, least(at + (id % 4) * interval '6 days', timestamptz '2025-06-30 12:00+00'),
       CASE WHEN id % 3 = 0 THEN -amount ELSE -round(amount::numeric / 2, 2)::float8 END
FROM numbered WHERE id % 7 = 2 AND amount > 0
UNION ALL
SELECT 400000 + customer, customer, NULL, 25 FROM (SELECT DISTINCT customer FROM numbered) c
UNION ALL
SELECT 500000 + customer, customer, timestamptz '2024-03-31 02:30+02' + customer * interval '1 hour', NULL
FROM (SELECT DISTINCT customer FROM numbered) c
UNION ALL
SELECT 600000 + 10 * c + k, c, timestamptz '2023-05-01 23:30+02' + ((c - 2000) * 40 + k * 9) * interval '1 day', -12.5 * k
FROM generate_series(2001, 2003) c, generate_series(1, 3) k
UNION ALL
SELECT 700000 + k, 2004, CASE WHEN k % 2 = 0 THEN timestamptz '2024-06-01 10:00+02' END,
       CASE WHEN k % 2 = 1 THEN 10 END
FROM generate_series(1, 3) k;

-- per-customer split: each customer's rows dealt out over the three shards
-- in a scrambled order, so every customer is on all three
ALTER TABLE shard.order_rows ADD COLUMN shard_row int;
UPDATE shard.order_rows o SET shard_row = d.shard
FROM (SELECT id, ((row_number() OVER (PARTITION BY customer ORDER BY md5(id::text)) + customer) % 3)::int AS shard
      FROM shard.order_rows) d
WHERE d.id = o.id;

-- whole-table summaries in days and in weeks, one row per customer, and a
-- NULL summary; the input of the cross-customer aggregates
CREATE TABLE shard.summaries AS
SELECT customer, clv_summary(at, amount, timestamptz '2025-07-01 00:00 Europe/Paris') AS s,
       clv_summary(at, amount, timestamptz '2025-07-01 00:00 Europe/Paris', '7 days') AS sw,
       clv_activity_state(at, amount, 'Europe/Paris') AS activity
FROM shard.order_rows GROUP BY customer
UNION ALL
SELECT 2005, NULL, NULL, NULL;

-- credibility groups: quarterly cohort x region, customers, mean and sample
-- variance of their revenue; a group of one, a group without a mean, an
-- empty group
CREATE TABLE shard.cred_groups AS
SELECT row_number() OVER (ORDER BY cohort, region)::int AS group_id, count(*) AS n,
       avg((s).total_amount) AS mean, var_samp((s).total_amount) AS var
FROM (SELECT s, date_trunc('quarter', (s).first_order) AS cohort, customer % 4 AS region
      FROM shard.summaries WHERE (s).first_order IS NOT NULL) x
GROUP BY cohort, region
UNION ALL SELECT 901, 1, 212.5, NULL
UNION ALL SELECT 902, 12, NULL, 40
UNION ALL SELECT 903, 0, 10, 0;

-- attribution: a conversion for every tenth order from 2024-06 on, with
-- 3 to 11 touches on 8 channels before it (same-time touches on different
-- channels, touches after the conversion, touches without a channel or a
-- time); values with 0 to 3 decimals; each conversion's touches dealt out
-- over the three shards
CREATE TABLE shard.touches AS
WITH conv AS (
    SELECT row_number() OVER (ORDER BY id)::int AS conversion, customer, at AS conversion_at,
           round(amount::numeric * 3, (id % 4)::int) AS value, id
    FROM shard.order_rows
    WHERE id < 100000 AND id % 10 = 3 AND amount > 0 AND at >= '2024-06-01 00:00+00'),
t AS (
    SELECT c.*, k,
           (ARRAY['search', 'email', 'social', 'display', 'affiliate', 'direct', 'referral', 'partner'])
               [1 + (conversion * 7 + k * k * 3) % 8] AS channel,
           CASE WHEN k = 2 AND conversion % 4 = 0 THEN conversion_at + interval '1 day'
                ELSE conversion_at - ((conversion * 37 + (k / 2) * 101) % 2000) * interval '13 minutes' END AS touched_at
    FROM conv c, generate_series(1, 6 + (c.conversion * 7) % 25) k)
SELECT conversion, customer, conversion_at, value, k,
       CASE WHEN k = 1 AND conversion % 5 = 0 THEN NULL ELSE channel END AS channel,
       CASE WHEN k = 3 AND conversion % 7 = 0 THEN NULL ELSE touched_at END AS touched_at,
       (ARRAY['first_touch', 'last_touch', 'linear', 'position_based'])[1 + conversion % 4] AS model4,
       (ARRAY['first_touch', 'last_touch', 'linear', 'position_based', 'time_decay'])[1 + conversion % 5] AS model6,
       (ARRAY['7 days', '36 hours', '3 days']::interval[])[1 + conversion % 3] AS half_life,
       (k + conversion) % 3 AS shard
FROM t;

-------------------------------------------------------------------------------
-- The test cases, one per aggregate, keyed by its regprocedure text.  Each
-- source gives grp (the GROUP BY key; 0 for one group), cust (the customer,
-- conversion or credibility group: the distribution key), shard (0-2) and
-- a1 .. an, the aggregate's arguments.
-------------------------------------------------------------------------------
CREATE TABLE shard.cases (agg text PRIMARY KEY, per_customer boolean NOT NULL, source text NOT NULL);
INSERT INTO shard.cases VALUES
-- per customer, rows of every customer on all three shards
('clv_summary(timestamp with time zone,double precision,timestamp with time zone)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          timestamptz '2025-07-01 00:00 Europe/Paris' AS a3 FROM shard.order_rows$$),
('clv_summary(timestamp with time zone,double precision,timestamp with time zone,interval)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          timestamptz '2025-07-01 00:00 Europe/Paris' AS a3,
          (ARRAY['1 day', '7 days', '30 days', '36 hours']::interval[])[1 + customer % 4] AS a4
   FROM shard.order_rows$$),
('clv_summary(date,double precision,date)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at::date AS a1, amount AS a2,
          date '2025-07-01' AS a3 FROM shard.order_rows$$),
('clv_summary(date,double precision,date,interval)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at::date AS a1, amount AS a2,
          date '2025-07-01' AS a3, (ARRAY['7 days', '1 day', '14 days']::interval[])[1 + customer % 3] AS a4
   FROM shard.order_rows$$),
('clv_summary_state(timestamp with time zone,double precision,timestamp with time zone)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          timestamptz '2025-07-01 00:00 Europe/Paris' AS a3 FROM shard.order_rows$$),
('clv_summary(timestamp with time zone,double precision,timestamp with time zone,interval,text)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          timestamptz '2025-07-01 00:00 Europe/Paris' AS a3,
          (ARRAY['1 day', '7 days', '36 hours']::interval[])[1 + customer % 3] AS a4,
          (ARRAY['Pacific/Kiritimati', 'UTC', 'America/Los_Angeles', 'Pacific/Pago_Pago'])[1 + customer % 4] AS a5
   FROM shard.order_rows$$),
('clv_summary_state(timestamp with time zone,double precision,timestamp with time zone,interval,text)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          timestamptz '2025-07-01 00:00 Europe/Paris' AS a3, interval '1 day' AS a4,
          (ARRAY['Pacific/Kiritimati', 'UTC', 'America/Los_Angeles', 'Pacific/Pago_Pago'])[1 + customer % 4] AS a5
   FROM shard.order_rows$$),
('clv_summary_state(date,double precision,date)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at::date AS a1, amount AS a2,
          date '2025-07-01' AS a3 FROM shard.order_rows$$),
('clv_summary_state(date,double precision,date,interval)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at::date AS a1, amount AS a2,
          date '2025-07-01' AS a3, (ARRAY['7 days', '1 day', '14 days']::interval[])[1 + customer % 3] AS a4
   FROM shard.order_rows$$),
('clv_activity_state(timestamp with time zone,double precision,text)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at AS a1, amount AS a2,
          (ARRAY['Pacific/Kiritimati', 'UTC', 'America/Los_Angeles', 'Pacific/Pago_Pago'])[1 + customer % 4] AS a3
   FROM shard.order_rows$$),
('clv_activity_state(date,double precision)', true,
 $$SELECT customer AS grp, customer AS cust, shard_row AS shard, at::date AS a1, amount AS a2 FROM shard.order_rows$$),
-- per conversion, touches of every conversion on all three shards
('clv_channel_state(text,timestamp with time zone,double precision)', true,
 $$SELECT conversion AS grp, conversion AS cust, shard, channel AS a1, touched_at AS a2, value::float8 AS a3
   FROM shard.touches$$),
('clv_attribution(text,timestamp with time zone,numeric,text)', true,
 $$SELECT conversion AS grp, conversion AS cust, shard, channel AS a1, touched_at AS a2, value AS a3,
          model4 AS a4 FROM shard.touches$$),
('clv_attribution(text,timestamp with time zone,numeric,text,timestamp with time zone,interval)', true,
 $$SELECT conversion AS grp, conversion AS cust, shard, channel AS a1, touched_at AS a2, value AS a3,
          model6 AS a4, conversion_at AS a5, half_life AS a6 FROM shard.touches$$),
-- across customers, split by customer
('clv_business_kpis(clv_summary,date)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1, date '2025-01-01' AS a2
   FROM shard.summaries$$),
('clv_business_kpis(clv_summary,date,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, date '2024-07-01' AS a2, 0.35 AS a3
   FROM shard.summaries$$),
('clv_fit_bgnbd(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3 FROM shard.summaries$$),
('clv_fit_bgnbd(double precision,double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, 0.01 AS a4 FROM shard.summaries$$),
('clv_fit_bgnbd(clv_summary)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1 FROM shard.summaries$$),
('clv_fit_bgnbd(clv_summary,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, 0.05 AS a2 FROM shard.summaries$$),
('clv_fit_mbgnbd(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3 FROM shard.summaries$$),
('clv_fit_mbgnbd(double precision,double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, 0.01 AS a4 FROM shard.summaries$$),
('clv_fit_bgnbd(double precision,double precision,double precision,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, ARRAY[(customer % 2)::float8] AS a4 FROM shard.summaries$$),
('clv_fit_bgnbd(double precision,double precision,double precision,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, ARRAY[(customer % 2)::float8, ln(1 + customer % 7)] AS a4, 0.01 AS a5, 0.1 AS a6, 0.1 AS a7
   FROM shard.summaries$$),
('clv_fit_mbgnbd(double precision,double precision,double precision,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, ARRAY[(customer % 2)::float8] AS a4 FROM shard.summaries$$),
('clv_fit_mbgnbd(double precision,double precision,double precision,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, ARRAY[(customer % 2)::float8, ln(1 + customer % 7)] AS a4, 0.01 AS a5, 0.1 AS a6, 0.1 AS a7
   FROM shard.summaries$$),
('clv_fit_mbgnbd(clv_summary)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1 FROM shard.summaries$$),
('clv_fit_mbgnbd(clv_summary,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, 0.05 AS a2 FROM shard.summaries$$),
('clv_fit_mbgcnbd(double precision,double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4 FROM shard.summaries$$),
('clv_fit_mbgcnbd(double precision,double precision,double precision,double precision,integer)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4, 2 AS a5 FROM shard.summaries$$),
('clv_fit_mbgcnbd(double precision,double precision,double precision,double precision,integer,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4, NULL::integer AS a5, 0.01 AS a6 FROM shard.summaries$$),
('clv_fit_bgcnbd(double precision,double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4 FROM shard.summaries$$),
('clv_fit_bgcnbd(double precision,double precision,double precision,double precision,integer)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4, 2 AS a5 FROM shard.summaries$$),
('clv_fit_bgcnbd(double precision,double precision,double precision,double precision,integer,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, CASE WHEN (s).frequency > 0 THEN (s).frequency * (ln((s).recency / (s).frequency) - 0.1) ELSE 0 END AS a4, NULL::integer AS a5, 0.01 AS a6 FROM shard.summaries$$),
('clv_fit_paretonbd(double precision,double precision,double precision,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3, ARRAY[(customer % 2)::float8] AS a4 FROM shard.summaries$$),
('clv_fit_paretonbd(double precision,double precision,double precision,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, ARRAY[(customer % 2)::float8, ln(1 + customer % 7)] AS a4, 0.01 AS a5, 0.1 AS a6, 0.1 AS a7
   FROM shard.summaries$$),
('clv_fit_gammagamma(double precision,double precision,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).monetary AS a2,
          ARRAY[(customer % 2)::float8] AS a3 FROM shard.summaries$$),
('clv_fit_gammagamma(double precision,double precision,double precision[],double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).monetary AS a2,
          ARRAY[(customer % 2)::float8, ln(1 + customer % 7)] AS a3, 0.01 AS a4, 0.1 AS a5 FROM shard.summaries$$),
('clv_fit_bgnbd(clv_summary,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1, ARRAY[(customer % 2)::float8] AS a2 FROM shard.summaries$$),
('clv_fit_bgnbd(clv_summary,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, ARRAY[(customer % 2)::float8] AS a2,
          0.01 AS a3, 0.1 AS a4, 0.1 AS a5 FROM shard.summaries$$),
('clv_fit_mbgnbd(clv_summary,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1, ARRAY[(customer % 2)::float8] AS a2 FROM shard.summaries$$),
('clv_fit_mbgnbd(clv_summary,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, ARRAY[(customer % 2)::float8] AS a2,
          0.01 AS a3, 0.1 AS a4, 0.1 AS a5 FROM shard.summaries$$),
('clv_fit_paretonbd(clv_summary,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1, ARRAY[(customer % 2)::float8] AS a2 FROM shard.summaries$$),
('clv_fit_paretonbd(clv_summary,double precision[],double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, ARRAY[(customer % 2)::float8] AS a2,
          0.01 AS a3, 0.1 AS a4, 0.1 AS a5 FROM shard.summaries$$),
('clv_fit_gammagamma(clv_summary,double precision[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1, ARRAY[(customer % 2)::float8] AS a2 FROM shard.summaries$$),
('clv_fit_gammagamma(clv_summary,double precision[],double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, ARRAY[(customer % 2)::float8] AS a2,
          0.01 AS a3, 0.1 AS a4 FROM shard.summaries$$),
('clv_fit_paretonbd(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).recency AS a2,
          (s).age AS a3 FROM shard.summaries$$),
('clv_fit_paretonbd(double precision,double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (sw).frequency AS a1, (sw).recency AS a2,
          (sw).age AS a3, 0.01 AS a4 FROM shard.summaries$$),
('clv_fit_paretonbd(clv_summary)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1 FROM shard.summaries$$),
('clv_fit_paretonbd(clv_summary,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, 0.05 AS a2 FROM shard.summaries$$),
-- sBG: the weekly summaries as subscriptions of whole weeks, churned when
-- the last order is over 4 weeks old; and cohorts' survival counts
('clv_fit_sbg(double precision,boolean)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, 1 + ceil((sw).recency) AS a1,
          (sw).age - (sw).recency > 4 AS a2 FROM shard.summaries$$),
('clv_fit_sbg(double precision,boolean,bigint)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, 1 + ceil((sw).recency) AS a1,
          (sw).age - (sw).recency > 4 AS a2, customer % 3 AS a3 FROM shard.summaries$$),
('clv_fit_sbg(double precision,boolean,bigint,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, 1 + ceil((sw).recency) AS a1,
          (sw).age - (sw).recency > 4 AS a2, 1 + customer % 2 AS a3, 0.01 AS a4 FROM shard.summaries$$),
('clv_fit_sbg(bigint[])', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard,
          ARRAY[100 + customer % 50, 80 + customer % 20, 60 + customer % 20, 50 + customer % 10]::bigint[] AS a1
   FROM shard.summaries$$),
('clv_fit_sbg(bigint[],double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard,
          ARRAY[100 + customer % 50, 80 + customer % 20, 60 + customer % 20]::bigint[] AS a1, 0.01 AS a2
   FROM shard.summaries$$),
-- BG/BB on the weekly summaries read as whole weeks
('clv_fit_bgbb(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, least((sw).frequency, ceil((sw).recency)) AS a1,
          ceil((sw).recency) AS a2, ceil((sw).age) AS a3 FROM shard.summaries$$),
('clv_fit_bgbb(double precision,double precision,double precision,bigint)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, least((sw).frequency, ceil((sw).recency)) AS a1,
          ceil((sw).recency) AS a2, ceil((sw).age) AS a3, 1 + customer % 4 AS a4 FROM shard.summaries$$),
('clv_fit_bgbb(double precision,double precision,double precision,bigint,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, least((sw).frequency, ceil((sw).recency)) AS a1,
          ceil((sw).recency) AS a2, ceil((sw).age) AS a3, customer % 3 AS a4, 0.01 AS a5 FROM shard.summaries$$),
('clv_fit_gammagamma(double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).monetary AS a2
   FROM shard.summaries$$),
('clv_fit_gammagamma(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).frequency AS a1, (s).monetary AS a2,
          0.001 AS a3 FROM shard.summaries$$),
('clv_fit_gammagamma(clv_summary)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1 FROM shard.summaries$$),
('clv_fit_gammagamma(clv_summary,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, 0.001 AS a2 FROM shard.summaries$$),
('clv_rfm_breakpoints(double precision,double precision,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).observation_end - (s).last_order AS a1,
          (s).orders AS a2, (s).total_amount AS a3 FROM shard.summaries$$),
('clv_rfm_breakpoints(double precision,double precision,double precision,integer)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).observation_end - (s).last_order AS a1,
          (s).purchase_days AS a2, (s).total_amount - (s).refunded_amount AS a3, 4 AS a4
   FROM shard.summaries$$),
('clv_rfm_breakpoints(clv_summary)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, s AS a1 FROM shard.summaries$$),
('clv_rfm_breakpoints(clv_summary,integer)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, sw AS a1, 7 AS a2 FROM shard.summaries$$),
('clv_activity_total(bigint[],boolean)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, activity AS a1, true AS a2 FROM shard.summaries$$),
('clv_exact_sum(double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, (s).total_amount * (1 + customer % 7) / 3 AS a1
   FROM shard.summaries$$),
('clv_seasonality(date,double precision)', false,
 $$SELECT 0 AS grp, customer AS cust, customer % 3 AS shard, at::date AS a1, amount AS a2
   FROM shard.order_rows$$),
('clv_credibility_prior(bigint,double precision,double precision)', false,
 $$SELECT 0 AS grp, group_id AS cust, group_id % 3 AS shard, n AS a1, mean AS a2, var AS a3
   FROM shard.cred_groups$$);

-- State damaged in transit, per family of text-shippable states (keyed by
-- the name of the combine function): an aggregate of the family whose real
-- partial states are damaged, and the element (1-based) that counts what
-- the state holds, with the forged value.  The layouts are those of
-- src/summary.c, business.c, patterns.c, covariates.c, rfm.c, seasonality.c, activity.c,
-- exact_sum.c and of clv_credibility_transfn.
CREATE TABLE shard.damages (combine text PRIMARY KEY, agg text NOT NULL, element int NOT NULL,
                            forged text NOT NULL, what text NOT NULL);
INSERT INTO shard.damages VALUES
('clv_summary_combine', 'clv_summary(timestamp with time zone,double precision,timestamp with time zone)',
 2, 's[2] + 1', 'one purchase day more than it holds'),
('clv_business_combine', 'clv_business_kpis(clv_summary,date)',
 11, 's[5] + 1', 'more customers at the retention start than customers'),
('clv_fit_patterns_combine', 'clv_fit_bgnbd(clv_summary)',
 3, 's[3] + 1', 'one pattern more than it holds'),
('clv_fit_covariates_combine', 'clv_fit_bgnbd(double precision,double precision,double precision,double precision[])',
 2, 's[2] + 1', 'one history more than it holds'),
('clv_rfm_breakpoints_combine', 'clv_rfm_breakpoints(clv_summary)',
 3, 's[3] + 1', 'one customer more than it holds'),
('clv_seasonality_combine', 'clv_seasonality(date,double precision)',
 3, 's[3] + 1', 'one month more than it holds'),
('clv_credibility_combine', 'clv_credibility_prior(bigint,double precision,double precision)',
 2, 's[2] + 1', 'one customer more than it holds'),
('clv_activity_combine', 'clv_activity_state(timestamp with time zone,double precision,text)',
 3, 's[3] + 1', 'one month more than it holds'),
('clv_exact_sum_combine', 'clv_exact_sum(double precision)',
 3, '4611686018427387904', 'a sum beyond what clv adds up');

-------------------------------------------------------------------------------
-- The machinery
-------------------------------------------------------------------------------
\ir ../include/plan_of.psql

-- the result of a query, or the error it raises
CREATE FUNCTION shard.outcome(query text, undamaged text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    EXECUTE query INTO result;
    RETURN CASE WHEN result IS NOT DISTINCT FROM undamaged THEN 'accepted, the same result as undamaged'
                ELSE 'accepted, a WRONG result: ' || coalesce(left(result, 300), 'NULL')
                     || ' instead of ' || coalesce(left(undamaged, 300), 'NULL') END;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END
$$;

-- Two assertions: the rows (grp, r) of `merged` equal shard.whole_N, group
-- for group (only the groups of `merged` when some_groups), as text (output
-- function) and bit for bit (send function).
CREATE FUNCTION shard.compare(a shard.aggs, label text, merged text, some_groups boolean DEFAULT false)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    send oid := (SELECT typsend FROM pg_catalog.pg_type WHERE oid = a.prorettype);
    -- the binary form; a type without a send function falls back to text
    bits text := coalesce(shard.qualified(send) || '(%s)', 'pg_catalog.textsend((%s)::text)');
    groups bigint;
    bad_text bigint;
    bad_bits bigint;
    example text;
BEGIN
    EXECUTE format($q$
        SELECT count(*),
               count(*) FILTER (WHERE w.grp IS NULL OR m.grp IS NULL OR w.r::text IS DISTINCT FROM m.r::text),
               count(*) FILTER (WHERE w.grp IS NULL OR m.grp IS NULL OR %1$s IS DISTINCT FROM %5$s),
               min(format('group %%s: whole %%s, merged %%s', coalesce(w.grp, m.grp),
                          coalesce(left(w.r::text, 400), 'NULL'), coalesce(left(m.r::text, 400), 'NULL')))
                   FILTER (WHERE w.grp IS NULL OR m.grp IS NULL OR %1$s IS DISTINCT FROM %5$s
                                 OR w.r::text IS DISTINCT FROM m.r::text)
        FROM shard.%2$I w %4$s JOIN (%3$s) m ON m.grp = w.grp$q$,
        format(bits, 'w.r'), 'whole_' || a.n, merged, CASE WHEN some_groups THEN 'RIGHT' ELSE 'FULL' END,
        format(bits, 'm.r'))
    INTO groups, bad_text, bad_bits, example;
    RETURN NEXT is(bad_text, 0::bigint,
                   format('%s: %s: the single-table result, as text (%s groups)', a.agg, label, groups));
    RETURN NEXT is(bad_bits, 0::bigint,
                   format('%s: %s: the single-table result, bit for bit (%s)', a.agg, label,
                          CASE WHEN send <> 0 THEN send::regproc::text ELSE 'no send function: text' END));
    IF example IS NOT NULL THEN
        RETURN NEXT diag(example);
    END IF;
END
$$;

-- The 16 assertions of one aggregate.
CREATE FUNCTION shard.check(a shard.aggs) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    c shard.cases;
    stype text := format_type(a.stype, NULL);
    internal boolean := a.stype = 'internal'::regtype;
    initcond text := CASE WHEN a.agginitval IS NOT NULL THEN ', INITCOND = ' || quote_literal(a.agginitval) ELSE '' END;
    src text := 'src_' || a.n;
    call text := format('%s(%s)', a.qname, a.call_args);
    built pg_catalog.pg_aggregate;
    groups bigint;
    spread bigint;
    shards bigint;
    results bigint;
    q text[];
    p text;
    key text;
BEGIN
    RETURN NEXT ok(a.combinefn <> 0, a.agg || ': has a combine function');
    RETURN NEXT ok(a.proparallel = 's', a.agg || ': is PARALLEL SAFE');
    RETURN NEXT ok(NOT internal OR (a.name IN ('clv_attribution', 'clv_channel_state') AND a.serialfn <> 0 AND a.deserialfn <> 0),
                   a.agg || CASE WHEN internal
                                 THEN ': internal state, allowed for clv_attribution and clv_channel_state only (grouped by '
                                      'conversion or customer, which Citus pushes down whole), with serialize and deserialize functions'
                                 ELSE format(': its state, %s, is not internal, so it can travel as text', stype) END);
    RETURN NEXT ok(a.aggkind = 'n' AND NOT a.aggfinalextra AND a.aggfinalmodify IN ('r', 's', 'w'),
                   a.agg || ': a plain aggregate without FINALFUNC_EXTRA, so its final function takes the state alone');
    IF a.combinefn = 0 OR a.aggkind <> 'n' OR a.aggfinalextra OR (internal AND (a.serialfn = 0 OR a.deserialfn = 0)) THEN
        RETURN NEXT skip(a.agg || ' cannot be split into partial and merge aggregates', 12);
        RETURN;
    END IF;

    -- the partial aggregate: the transition function, state type and initial
    -- value; an internal state ends with its serialize function (bytea)
    EXECUTE format('CREATE AGGREGATE shard.%I(%s) (SFUNC = %s, STYPE = %s%s%s)',
                   'partial_' || a.n, a.argtypes, shard.qualified(a.transfn), stype, initcond,
                   CASE WHEN internal THEN ', FINALFUNC = ' || shard.qualified(a.serialfn) ELSE '' END);
    SELECT * INTO built FROM pg_catalog.pg_aggregate WHERE aggfnoid = format('shard.%I', 'partial_' || a.n)::regproc;
    RETURN NEXT ok(built.aggtransfn = a.transfn AND built.aggtranstype = a.stype
                   AND built.agginitval IS NOT DISTINCT FROM a.agginitval
                   AND built.aggfinalfn = CASE WHEN internal THEN a.serialfn ELSE 0 END,
                   a.agg || ': partial aggregate built from its transition function, state type and initial value'
                   || CASE WHEN internal THEN ', ending with its serialize function' ELSE '' END);

    SELECT * INTO c FROM shard.cases WHERE cases.agg = a.agg;
    IF NOT FOUND THEN
        RETURN NEXT skip('no test case for ' || a.agg, 11);
        RETURN;
    END IF;

    EXECUTE format('CREATE TABLE shard.%I AS %s', src, c.source);
    EXECUTE format('CREATE TABLE shard.%I AS SELECT grp, %s AS r FROM shard.%I GROUP BY grp',
                   'whole_' || a.n, call, src);
    EXECUTE format('SELECT count(DISTINCT grp), count(DISTINCT shard), (SELECT count(r) FROM shard.%I),
                           CASE WHEN %L THEN (SELECT count(*) FROM (SELECT grp FROM shard.%I GROUP BY grp
                                                                   HAVING count(DISTINCT shard) = 3) g)
                                ELSE (SELECT count(*) FROM (SELECT cust FROM shard.%I GROUP BY cust
                                                            HAVING count(DISTINCT shard) = 1) k) END
                    FROM shard.%I', 'whole_' || a.n, c.per_customer, src, src, src)
    INTO groups, shards, results, spread;
    IF c.per_customer THEN
        RETURN NEXT ok(shards = 3 AND spread = groups AND results >= 100,
                       format('%s: %s groups, every one on all three shards; %s non-NULL results',
                              a.agg, groups, results));
    ELSE
        EXECUTE format('SELECT count(DISTINCT cust) FROM shard.%I', src) INTO groups;
        RETURN NEXT ok(shards = 3 AND spread = groups AND results = 1,
                       format('%s: rows of %s customers (or groups), each on one of the three shards',
                              a.agg, groups));
    END IF;

    EXECUTE format('SELECT shard.%I(%s) IS NULL FROM shard.%I WHERE false', 'partial_' || a.n, a.call_args, src)
    INTO STRICT p;
    RETURN NEXT ok(p::boolean, a.agg || ': the partial state of an empty shard is NULL');

    IF NOT internal THEN
        -- the merge aggregate: the combine function over the state type, then
        -- the final function, as coord_combine_agg calls them
        EXECUTE format('CREATE AGGREGATE shard.%I(%s) (SFUNC = %s, STYPE = %s%s%s)',
                       'merge_' || a.n, stype, shard.qualified(a.combinefn), stype, initcond,
                       CASE WHEN a.finalfn <> 0
                            THEN format(', FINALFUNC = %s, FINALFUNC_MODIFY = %s', shard.qualified(a.finalfn),
                                        CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY'
                                                              WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END)
                            ELSE '' END);
        SELECT * INTO built FROM pg_catalog.pg_aggregate WHERE aggfnoid = format('shard.%I', 'merge_' || a.n)::regproc;
        RETURN NEXT ok(built.aggtransfn = a.combinefn AND built.aggtranstype = a.stype
                       AND built.agginitval IS NOT DISTINCT FROM a.agginitval
                       AND built.aggfinalfn = a.finalfn AND built.aggfinalmodify = a.aggfinalmodify,
                       a.agg || ': merge aggregate built from its combine and final functions');

        -- partial states, as text: per shard that holds rows of the group (as
        -- Citus would send them); padded with a NULL partial state for each
        -- shard without rows of the group; and with shard 2 emptied into shard 0
        EXECUTE format('CREATE TABLE shard.%I AS SELECT grp, shard, (shard.%I(%s))::text AS state
                        FROM shard.%I GROUP BY grp, shard',
                       'parts_' || a.n, 'partial_' || a.n, a.call_args, src);
        EXECUTE format('CREATE TABLE shard.%I AS SELECT grp, s.shard, p.state
                        FROM (SELECT DISTINCT grp FROM shard.%I) g CROSS JOIN generate_series(0, 2) s(shard)
                        LEFT JOIN shard.%I p USING (grp, shard)',
                       'padded_' || a.n, src, 'parts_' || a.n);
        EXECUTE format('CREATE TABLE shard.%I AS SELECT grp, s.shard, p.state
                        FROM (SELECT DISTINCT grp FROM shard.%I) g CROSS JOIN generate_series(0, 2) s(shard)
                        LEFT JOIN (SELECT grp, CASE WHEN shard = 2 THEN 0 ELSE shard END AS shard,
                                          (shard.%I(%s))::text AS state
                                   FROM shard.%I GROUP BY 1, 2) p USING (grp, shard)',
                       'emptied_' || a.n, src, 'partial_' || a.n, a.call_args, src);

        RETURN QUERY SELECT * FROM shard.compare(a, 'text partial states merged in shard order',
            format('SELECT grp, shard.%I(state::%s ORDER BY shard) AS r FROM shard.%I GROUP BY grp',
                   'merge_' || a.n, stype, 'parts_' || a.n));
        RETURN QUERY SELECT * FROM shard.compare(a, 'merged in reverse order, NULL for shards without the group',
            format('SELECT grp, shard.%I(state::%s ORDER BY shard DESC) AS r FROM shard.%I GROUP BY grp',
                   'merge_' || a.n, stype, 'padded_' || a.n));
        RETURN QUERY SELECT * FROM shard.compare(a, 'shard 2 empty, its NULL partial state merged first',
            format('SELECT grp, shard.%I(state::%s ORDER BY shard DESC) AS r FROM shard.%I GROUP BY grp',
                   'merge_' || a.n, stype, 'emptied_' || a.n));
        RETURN QUERY SELECT * FROM shard.compare(a, 'shard 2 empty, its NULL partial state merged last',
            format('SELECT grp, shard.%I(state::%s ORDER BY shard) AS r FROM shard.%I GROUP BY grp',
                   'merge_' || a.n, stype, 'emptied_' || a.n));
    ELSE
        -- internal state: tables partitioned by shard, so that partitionwise
        -- aggregation serializes a partial state per partition and the
        -- finalize step deserializes and combines them in partition order:
        -- shard order; reverse order; an empty partition first, its rows
        -- moved to the others
        FOR p, key IN VALUES ('pw_fwd_', 'shard'), ('pw_rev_', '2 - shard'),
                             ('pw_emp_', 'CASE shard WHEN 1 THEN 2 ELSE 1 END') LOOP
            EXECUTE format('CREATE TABLE shard.%I (LIKE shard.%I, pkey int) PARTITION BY LIST (pkey)', p || a.n, src);
            FOR k IN 0 .. 2 LOOP
                EXECUTE format('CREATE TABLE shard.%I PARTITION OF shard.%I FOR VALUES IN (%s)',
                               p || a.n || '_' || k, p || a.n, k);
            END LOOP;
            EXECUTE format('INSERT INTO shard.%I SELECT s.*, %s FROM shard.%I s', p || a.n, key, src);
            EXECUTE format('ANALYZE shard.%I', p || a.n);
        END LOOP;
        -- partitionwise partial aggregation, finalized over a plain Append
        -- (so in partition order), without parallel workers; a higher
        -- cpu_tuple_cost makes the planner prefer it (fewer rows through
        -- the Append)
        SET LOCAL enable_partitionwise_aggregate = on;
        SET LOCAL max_parallel_workers_per_gather = 0;
        SET LOCAL enable_sort = off;
        SET LOCAL cpu_tuple_cost = 1;
        -- a few conversions one at a time, ungrouped, with FILTER: each
        -- partition sends one state, NULL from the empty one (first)
        EXECUTE format('SELECT string_agg(format(''%%s FILTER (WHERE grp = %%s) AS r%%s'', %L, grp, i), '', ''),
                               string_agg(format(''(%%s, x.r%%s)'', grp, i), '', '')
                        FROM (SELECT grp, row_number() OVER (ORDER BY grp) AS i
                              FROM (SELECT DISTINCT grp FROM shard.%I WHERE grp %% 29 = 1) d) g', call, src)
        INTO p, key;
        q := ARRAY[format('SELECT grp, %s AS r FROM shard.%I GROUP BY grp', call, 'pw_fwd_' || a.n),
                   format('SELECT grp, %s AS r FROM shard.%I GROUP BY grp', call, 'pw_rev_' || a.n),
                   format('SELECT grp, %s AS r FROM shard.%I GROUP BY grp', call, 'pw_emp_' || a.n),
                   format('SELECT v.grp, v.r FROM (SELECT %s FROM shard.%I) x, LATERAL (VALUES %s) v(grp, r)',
                          p, 'pw_emp_' || a.n, key)];
        SELECT string_agg(plan, E'\n') INTO p
        FROM (SELECT pg_temp.plan_of(x, 'COSTS OFF') AS plan FROM unnest(q) x) pl
        WHERE NOT (plan ~ 'Finalize (Hash)?Aggregate' AND plan ~ '->  Append' AND plan !~ 'Merge Append|Gather'
                   AND (SELECT count(*) FROM regexp_matches(plan, 'Partial (Hash)?Aggregate', 'g')) = 3);
        RETURN NEXT ok(p IS NULL, a.agg || ': partitionwise plans: a partial aggregate per partition, finalized over an Append');
        IF p IS NOT NULL THEN
            RETURN NEXT diag(p);
        END IF;
        RETURN QUERY SELECT * FROM shard.compare(a, 'serialized partial states combined in shard order', q[1]);
        RETURN QUERY SELECT * FROM shard.compare(a, 'combined in reverse order', q[2]);
        RETURN QUERY SELECT * FROM shard.compare(a, 'one partition empty', q[3]);
        RETURN QUERY SELECT * FROM shard.compare(a, 'ungrouped, one conversion per FILTER, the empty partition''s NULL state first',
                                                 q[4], true);
        RESET enable_partitionwise_aggregate;
        RESET max_parallel_workers_per_gather;
        RESET enable_sort;
        RESET cpu_tuple_cost;
    END IF;
END
$$;

-- The 3 assertions of one family of states: a real partial state, damaged,
-- merged with the other shards' states.
CREATE FUNCTION shard.check_damage(d shard.damages) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    a shard.aggs;
    stype text;
    elem text;
    states text[];
    merge text;
    undamaged text;
    forged text;
BEGIN
    SELECT * INTO a FROM shard.aggs WHERE aggs.agg = d.agg;
    IF to_regclass(format('shard.%I', 'parts_' || a.n)) IS NULL THEN
        RETURN NEXT skip(format('no text partial states of %s', d.agg), 3);
        RETURN;
    END IF;
    stype := format_type(a.stype, NULL);
    elem := format_type((SELECT typelem FROM pg_catalog.pg_type WHERE oid = a.stype), NULL);
    -- the group whose three states are all there, with the longest first state
    EXECUTE format('SELECT array_agg(state ORDER BY shard) FROM shard.%1$I
                    WHERE grp = (SELECT grp FROM shard.%1$I GROUP BY grp HAVING count(state) = 3
                                 ORDER BY max(length(state)) DESC, grp LIMIT 1)', 'parts_' || a.n)
    INTO STRICT states;
    merge := format('SELECT (shard.%I(st::%s ORDER BY o))::text FROM (VALUES (1, %%L), (2, %%L), (3, %%L)) v(o, st)',
                    'merge_' || a.n, stype);
    EXECUTE format(merge, states[1], states[2], states[3]) INTO undamaged;
    EXECUTE format('SELECT (s[:%1$s] || (%2$s)::%3$s || s[%4$s:])::text FROM (SELECT $1::%5$s AS s) x',
                   d.element - 1, d.forged, elem, d.element + 1, stype)
    INTO forged USING states[1];

    RETURN NEXT matches(shard.outcome(format(merge, regexp_replace(states[1], ',[^,]*\}$', '}'), states[2], states[3]),
                                      undamaged),
                        '^22023 ', format('%s states: a partial state cut short by one element is refused', d.combine));
    RETURN NEXT matches(shard.outcome(format(merge, forged, states[2], states[3]), undamaged),
                        '^22023 ', format('%s states: a partial state claiming %s is refused', d.combine, d.what));
    RETURN NEXT matches(shard.outcome(format(merge, regexp_replace(states[1], '\}$', ',0}'), states[2], states[3]),
                                      undamaged),
                        '^22023 ', format('%s states: a partial state with one element too many is refused', d.combine));
END
$$;

-- every aggregate in turn, then every family of states
CREATE FUNCTION shard.run() RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    a shard.aggs;
    d shard.damages;
BEGIN
    FOR a IN SELECT * FROM shard.aggs ORDER BY n LOOP
        RETURN QUERY SELECT * FROM shard.check(a);
    END LOOP;
    FOR d IN SELECT * FROM shard.damages ORDER BY combine LOOP
        RETURN QUERY SELECT * FROM shard.check_damage(d);
    END LOOP;
END
$$;

-------------------------------------------------------------------------------
-- The tests
-------------------------------------------------------------------------------
SELECT plan((SELECT 16 * count(*) FROM shard.aggs)::int + 3 + (SELECT 3 * count(*) FROM shard.damages)::int);

SELECT ok((SELECT count(*) FROM shard.aggs) > 0, 'the catalog lists the aggregates of the extension');
SELECT set_eq('SELECT agg FROM shard.aggs', 'SELECT agg FROM shard.cases',
              'every aggregate of the extension, every overload, has a test case, and every case an aggregate');
SELECT set_eq($$SELECT DISTINCT p.proname::text FROM shard.aggs a JOIN pg_catalog.pg_proc p ON p.oid = a.combinefn
                WHERE a.stype <> 'internal'::regtype$$,
              'SELECT combine FROM shard.damages',
              'every family of text-shippable states (by combine function) has damaged-state checks');

SET LOCAL client_min_messages = warning;   -- the fits' notes on customers left out
SELECT * FROM shard.run();

SELECT * FROM finish();
ROLLBACK;
