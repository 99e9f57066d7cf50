-- Partial states computed on separate "shards", shipped as text (as Citus
-- ships them) and combined, equal the single-table result exactly.
\ir ../include/prologue.psql
BEGIN;
SELECT plan(15);
SET LOCAL TimeZone = 'Europe/Paris';

CREATE SCHEMA tap;
-- state-only aggregates built from clv's own support functions
CREATE AGGREGATE tap.summary_state(timestamptz, float8, timestamptz) (
    SFUNC = clv_summary_transfn, STYPE = bigint[], COMBINEFUNC = clv_summary_combine);
CREATE AGGREGATE tap.summary_merge(bigint[]) (
    SFUNC = clv_summary_combine, STYPE = bigint[], FINALFUNC = clv_summary_final);
CREATE AGGREGATE tap.business_state(clv_summary, date) (
    SFUNC = clv_business_transfn, STYPE = bigint[], COMBINEFUNC = clv_business_combine);
CREATE AGGREGATE tap.business_merge(bigint[]) (
    SFUNC = clv_business_combine, STYPE = bigint[], FINALFUNC = clv_business_final);
CREATE AGGREGATE tap.rfm_state(clv_summary) (
    SFUNC = clv_rfm_breakpoints_transfn, STYPE = bigint[], COMBINEFUNC = clv_rfm_breakpoints_combine);
CREATE AGGREGATE tap.rfm_merge(bigint[]) (
    SFUNC = clv_rfm_breakpoints_combine, STYPE = bigint[], FINALFUNC = clv_rfm_breakpoints_final);
CREATE AGGREGATE tap.season_state(date, float8) (
    SFUNC = clv_seasonality_transfn, STYPE = bigint[], COMBINEFUNC = clv_seasonality_combine);
CREATE AGGREGATE tap.season_merge(bigint[]) (
    SFUNC = clv_seasonality_combine, STYPE = bigint[], FINALFUNC = clv_seasonality_final);
CREATE AGGREGATE tap.credibility_state(bigint, float8, float8) (
    SFUNC = clv_credibility_transfn, STYPE = numeric[], COMBINEFUNC = clv_credibility_combine);
CREATE AGGREGATE tap.credibility_merge(numeric[]) (
    SFUNC = clv_credibility_combine, STYPE = numeric[], FINALFUNC = clv_credibility_final);

CREATE TABLE tap.orders AS
SELECT i, (i * 7919) % 3000 AS customer_id,
       '2022-03-01'::timestamptz + ((i * 104729) % 1200) * interval '1 day'
                                 + ((i * 7) % 86400) * interval '1 second' AS ordered_at,
       ((i * 37) % 300 - 15) / 3.0::float8 AS amount
FROM generate_series(1::bigint, 60000) i;

CREATE TABLE tap.whole AS
SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01') AS s
FROM tap.orders GROUP BY customer_id;

-- three shards split by row, not by customer: every customer spans shards
CREATE TABLE tap.shard_states AS
SELECT (i / 7) % 3 AS shard, customer_id,
       (tap.summary_state(ordered_at, amount, '2026-01-01'))::text AS state_text
FROM tap.orders GROUP BY (i / 7) % 3, customer_id;

SELECT is((SELECT count(*) FROM (SELECT customer_id FROM tap.shard_states GROUP BY customer_id
                                 HAVING count(*) = 3) q), 3000::bigint,
          'every customer has a partial state on each of the three shards');

SELECT is((SELECT count(*)
           FROM (SELECT customer_id, tap.summary_merge(state_text::bigint[]) AS s
                 FROM tap.shard_states GROUP BY customer_id) m
           FULL JOIN tap.whole w USING (customer_id)
           WHERE m.s IS DISTINCT FROM w.s),
          0::bigint, 'text-shipped shard states combine to the single-table summary for every customer');

SELECT is((SELECT count(*)
           FROM (SELECT customer_id, tap.summary_merge(state_text::bigint[] ORDER BY shard DESC) AS s
                 FROM tap.shard_states GROUP BY customer_id) m
           JOIN tap.whole w USING (customer_id)
           WHERE m.s IS DISTINCT FROM w.s),
          0::bigint, 'combining in the other order gives the same bits');

SELECT is((SELECT count(*)
           FROM (SELECT customer_id, clv_summary(ordered_at, amount, '2026-01-01' ORDER BY md5(i::text)) AS s
                 FROM tap.orders GROUP BY customer_id) m
           JOIN tap.whole w USING (customer_id)
           WHERE m.s IS DISTINCT FROM w.s),
          0::bigint, 'a shuffled row order gives the same bits');

SELECT is((SELECT clv_summary_combine(a.state_text::bigint[], b.state_text::bigint[])::text
           FROM tap.shard_states a, tap.shard_states b
           WHERE a.customer_id = 7 AND b.customer_id = 7 AND a.shard = 0 AND b.shard = 1),
          (SELECT clv_summary_combine(b.state_text::bigint[], a.state_text::bigint[])::text
           FROM tap.shard_states a, tap.shard_states b
           WHERE a.customer_id = 7 AND b.customer_id = 7 AND a.shard = 0 AND b.shard = 1),
          'clv_summary_combine is commutative');

-- the business aggregate over summaries, sharded by customer
SELECT is((SELECT tap.business_merge(state_text::bigint[])
           FROM (SELECT (tap.business_state(s, '2025-01-01'))::text AS state_text
                 FROM tap.whole GROUP BY customer_id % 4) q),
          (SELECT clv_business_kpis(s, '2025-01-01') FROM tap.whole),
          'clv_business_kpis shard states combine to the single-table result');

-- RFM breakpoints: exact quantiles, so shards must give the same breakpoints
SELECT is((SELECT tap.rfm_merge(state_text::bigint[] ORDER BY shard DESC)
           FROM (SELECT customer_id % 3 AS shard, (tap.rfm_state(s))::text AS state_text
                 FROM tap.whole GROUP BY customer_id % 3) q),
          (SELECT clv_rfm_breakpoints(s) FROM tap.whole),
          'clv_rfm_breakpoints shard states combine to the single-table breakpoints');

-- seasonality: shards by row cover different month ranges; sums are exact
SELECT is((SELECT tap.season_merge(state_text::bigint[] ORDER BY shard DESC)
           FROM (SELECT i % 3 AS shard, (tap.season_state(ordered_at::date, amount))::text AS state_text
                 FROM tap.orders WHERE i % 3 <> 0 OR ordered_at < '2023-01-01'
                 GROUP BY i % 3) q),
          (SELECT clv_seasonality(ordered_at::date, amount) FROM tap.orders
           WHERE i % 3 <> 0 OR ordered_at < '2023-01-01'),
          'clv_seasonality shard states with different month spans combine to the single-table index');

-- credibility: exact sums, so the shards give the single-table prior bit for bit
SELECT is((SELECT (tap.credibility_merge(state_text::numeric[] ORDER BY shard DESC))::text
           FROM (SELECT g % 2 AS shard, (tap.credibility_state(n, m, v))::text AS state_text
                 FROM (SELECT customer_id % 5 AS g, count(*) AS n, avg((s).total_amount) AS m,
                              var_samp((s).total_amount) AS v FROM tap.whole GROUP BY 1) x
                 GROUP BY g % 2) q),
          (SELECT (clv_credibility_prior(n, m, v))::text
           FROM (SELECT customer_id % 5 AS g, count(*) AS n, avg((s).total_amount) AS m,
                        var_samp((s).total_amount) AS v FROM tap.whole GROUP BY 1) x),
          'clv_credibility_prior shard states combine to the single-table prior exactly');
SELECT throws_ok($$SELECT clv_credibility_final('{2,10,5,8,100,90,60}'::numeric[])$$,
                 '22023', 'invalid clv_credibility_prior state',
                 'a credibility state whose sum of squares is below the square of its sum is refused');

SELECT throws_ok($$SELECT clv_rfm_breakpoints_final(ARRAY[289043534337, 5, 2, 1, 1, 1]::bigint[])$$,
                 '22023', 'invalid clv_rfm_breakpoints state', 'an RFM state claiming more customers than it holds is refused');
SELECT throws_ok($$SELECT clv_seasonality_final(ARRAY[289043533057, 24000, 3, 0, 0]::bigint[])$$,
                 '22023', 'invalid clv_seasonality state', 'a seasonality state shorter than its month count is refused');
SELECT throws_ok($$SELECT clv_rfm_breakpoints_final(ARRAY[289043534337, 5, 1, 0, 9218868437227405312, 0]::bigint[])$$,
                 '22023', 'invalid clv_rfm_breakpoints state', 'an RFM state holding infinity is refused');

-- a state damaged in transit is refused, not trusted
SELECT throws_ok($$SELECT clv_summary_final(array_append(state_text::bigint[], 1)) FROM tap.shard_states LIMIT 1$$,
                 '22023', 'invalid clv_summary state', 'a state with a trailing element is refused');
SELECT throws_ok($$SELECT clv_summary_final(state_text::bigint[] || ARRAY[0,0,0,0]::bigint[]) FROM tap.shard_states LIMIT 1$$,
                 '22023', 'invalid clv_summary state', 'a state with an extra entry is refused');

SELECT * FROM finish();
ROLLBACK;
