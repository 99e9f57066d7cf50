-- test/load/check.sql: the checks after a refresh, as rows of load.checks.
--   psql -v stage=incremental|full -f test/load/check.sql
-- Every stage compares the pipeline's customer_summary with clv_summary run
-- from scratch over the orders; the full stage also checks the orders table
-- against the ledger, the readers' violations, and a fresh pipeline.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE TABLE IF NOT EXISTS load.checks (
    id     serial,
    stage  text NOT NULL,
    name   text NOT NULL,
    ok     boolean NOT NULL,
    detail text
);

-- customer_summary's columns, from clv_summary over the orders up to the
-- pipeline's observation end
CREATE TEMP VIEW recomputed AS
-- (money to the cent, as the pipeline's views give it)
SELECT customer_id, (s).first_order, (s).last_order, (s).observation_end, (s).orders,
       (s).refunds, (s).purchase_days, (s).total_amount::numeric(1000,2) AS total_amount,
       (s).refunded_amount::numeric(1000,2) AS refunded_amount, (s).avg_order_value::numeric(1000,2) AS avg_order_value,
       (s).frequency, (s).recency, (s).age, (s).monetary::numeric(1000,2) AS monetary, (s).mean_gap, (s).gap_stddev,
       -- the same under 0.3.0's names
       (s).total_amount::numeric(1000,2) AS net_revenue, (s).frequency AS repeat_purchase_days,
       (s).recency AS recency_days, (s).age AS age_days, (s).monetary::numeric(1000,2) AS repeat_order_value,
       (s).mean_gap AS mean_gap_days, (s).gap_stddev AS gap_stddev_days
FROM (SELECT o.customer_id, clv_summary(o.ordered_at, o.amount::float8, p.observed_until, '1 day', p.time_zone) AS s
      FROM orders o CROSS JOIN clv_report.clv_pipeline p
      WHERE o.customer_id IS NOT NULL AND o.ordered_at <= p.observed_until
      GROUP BY o.customer_id
      OFFSET 0) q;

CREATE TEMP TABLE summary_diff AS
SELECT coalesce(pl.customer_id, re.customer_id) AS customer_id,
       pl.orders + pl.refunds AS pipeline_rows, re.orders + re.refunds AS order_rows
FROM clv_report.customer_summary pl
FULL JOIN recomputed re USING (customer_id)
WHERE pl IS DISTINCT FROM re;

INSERT INTO load.checks (stage, name, ok, detail)
SELECT :'stage', 'customer_summary after the ' || :'stage' || ' refresh = clv_summary over the orders',
       count(*) = 0,
       format('%s of %s customers differ: %s count more order rows than exist (%s rows too many), %s fewer (%s rows missing), %s otherwise%s',
              count(*), (SELECT count(*) FROM recomputed),
              count(*) FILTER (WHERE pipeline_rows > order_rows),
              coalesce(sum(pipeline_rows - order_rows) FILTER (WHERE pipeline_rows > order_rows), 0),
              count(*) FILTER (WHERE pipeline_rows < order_rows OR pipeline_rows IS NULL),
              coalesce(sum(coalesce(order_rows, 0) - coalesce(pipeline_rows, 0))
                       FILTER (WHERE pipeline_rows < order_rows OR pipeline_rows IS NULL), 0),
              count(*) FILTER (WHERE pipeline_rows = order_rows),
              coalesce('; e.g. customers ' || string_agg(customer_id::text, ', ' ORDER BY customer_id)
                       FILTER (WHERE customer_id IN (SELECT customer_id FROM summary_diff ORDER BY customer_id LIMIT 5)), ''))
FROM summary_diff;

SELECT :'stage' = 'full' AS full_stage \gset
\if :full_stage

-- the ledger against the orders table
INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'orders rows = rows before the load + ledger', o.n = s.orders + l.n,
       format('%s now, %s before, %s in the ledger', o.n, s.orders, l.n)
FROM load.start s, (SELECT count(*) AS n FROM orders) o, (SELECT count(*) AS n FROM load.ledger) l;

INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'every ledger row in the orders exactly once, as written', count(*) = 0,
       format('%s ledger rows missing, changed or repeated', count(*))
FROM (SELECT l.order_id FROM load.ledger l
      LEFT JOIN orders o ON o.order_id = l.order_id AND o.customer_id = l.customer_id
                        AND o.channel = l.channel AND o.ordered_at = l.ordered_at AND o.amount = l.amount
      GROUP BY l.order_id HAVING count(*) <> 1 OR count(o.order_id) <> 1) bad;

INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'no orders beyond the ledger', count(*) = 0,
       format('%s orders inserted during the load are not in the ledger', count(*))
FROM orders o, load.start s
WHERE o.order_id > s.max_order_id AND NOT EXISTS (SELECT FROM load.ledger l WHERE l.order_id = o.order_id);

INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'every new customer has a first order', count(*) = 0,
       format('%s new customers, %s of them without a first order in the ledger',
              (SELECT count(*) FROM customers, load.start s WHERE customer_id > s.max_customer_id), count(*))
FROM customers c, load.start s
WHERE c.customer_id > s.max_customer_id
  AND NOT EXISTS (SELECT FROM load.ledger l WHERE l.customer_id = c.customer_id AND l.kind = 'first order');

INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'readers saw consistent views', count(*) = 0,
       coalesce(string_agg(DISTINCT what, '; ') || format(' (%s times; first: %s)', count(*), min(detail)), 'no violations')
FROM load.violations;

-- a fresh pipeline observed up to the same moment: every view row for row
SELECT count(*) AS fresh_objects
FROM clv_create_pipeline('public.orders', customer => 'customer_id', ordered_at => 'ordered_at',
                         amount => 'amount', target_schema => 'load_fresh', gross_margin => 0.35,
                         channel => 'channel',
                         as_of => (SELECT observed_until FROM clv_report.clv_pipeline)) \gset
-- Aggregates over float8 (sums of predicted CLV, revenue) depend on the order
-- the rows are read in, and a concurrent refresh leaves the view's rows in
-- another physical order than a fresh one: numbers compare within a relative
-- 1e-9, everything else exactly, rows matched on the view's unique key.
CREATE FUNCTION pg_temp.rel_diff(a jsonb, b jsonb) RETURNS float8
LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE WHEN a IS NULL OR b IS NULL THEN 'Infinity'::float8 ELSE coalesce(max(
               CASE WHEN jsonb_typeof(x.value) = 'number' AND jsonb_typeof(y.value) = 'number'
                    THEN (abs(x.value::text::numeric - y.value::text::numeric)
                          / greatest(abs(x.value::text::numeric), abs(y.value::text::numeric), 1e-300))::float8
                    WHEN x.value IS DISTINCT FROM y.value THEN 'Infinity'::float8
                    ELSE 0 END), 0) END
    FROM jsonb_each(a) x FULL JOIN jsonb_each(b) y USING (key)
$f$;
CREATE TEMP TABLE view_diff (view text, rows bigint, differing bigint, largest float8);
SELECT format($q$
    INSERT INTO view_diff
    SELECT %1$L, count(a.j), count(*) FILTER (WHERE d > 1e-9), max(d) FILTER (WHERE d < 'Infinity')
    FROM (SELECT jsonb_build_array(%2$s) AS k, to_jsonb(v) AS j FROM clv_report.%1$I v) a
    FULL JOIN (SELECT jsonb_build_array(%2$s) AS k, to_jsonb(v) AS j FROM load_fresh.%1$I v) b USING (k),
    LATERAL pg_temp.rel_diff(a.j, b.j) d$q$, v, k)
FROM (VALUES ('customer_summary', 'customer_id'), ('customer_scores', 'customer_id'),
             ('segments', 'rfm_segment'), ('value_tiers', 'value_tier'),
             ('declining_customers', 'customer_id'), ('monthly', 'month'),
             ('cohorts', 'cohort, period_number'), ('channels', 'channel')) AS t(v, k) \gexec
INSERT INTO load.checks (stage, name, ok, detail)
SELECT 'full', 'every view = a fresh pipeline''s (numbers within 1e-9)', sum(differing) = 0,
       string_agg(format('%s %s/%s', view, differing, rows), ', ' ORDER BY view)
       || format(' (differing/rows); largest relative difference %s', max(largest))
FROM view_diff;
SELECT count(*) AS dropped FROM clv_drop_pipeline('load_fresh') \gset
\endif
