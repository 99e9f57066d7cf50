-- Partial states computed on separate "shards", shipped as text (as Citus
-- ships them) and combined, equal the single-table result exactly.
\ir include/prologue.psql
BEGIN;
SELECT plan(8);
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

-- a state damaged in transit is refused, not trusted
SELECT throws_ok($$SELECT clv_summary_final(array_append(state_text::bigint[], 1)) FROM tap.shard_states LIMIT 1$$,
                 '22023', 'invalid clv_summary state', 'a state with a trailing element is refused');
SELECT throws_ok($$SELECT clv_summary_final(state_text::bigint[] || ARRAY[0,0,0,0]::bigint[]) FROM tap.shard_states LIMIT 1$$,
                 '22023', 'invalid clv_summary state', 'a state with an extra entry is refused');

SELECT * FROM finish();
ROLLBACK;
