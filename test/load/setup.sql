-- test/load/setup.sql: run once by scripts/load.sh after demo/generate.sql,
-- before the load.  The ledger and the figures at the start are what the
-- checks afterwards compare the orders table with.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

CREATE SCHEMA load;

-- every order a writer inserted, in the writer's own transaction (a CTE over
-- the INSERT's RETURNING), so the ledger holds exactly the committed writes;
-- no unique key, so a duplicate shows up in the checks instead of as an error
CREATE TABLE load.ledger (
    id          bigserial,
    kind        text NOT NULL,
    order_id    bigint NOT NULL,
    customer_id bigint NOT NULL,
    channel     text NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12,2) NOT NULL,
    logged_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE load.start AS
SELECT (SELECT count(*) FROM orders) AS orders,
       (SELECT max(order_id) FROM orders) AS max_order_id,
       (SELECT count(*) FROM customers) AS customers,
       (SELECT max(customer_id) FROM customers) AS max_customer_id,
       clock_timestamp() AS at;

-- customers the writers create; ids above the generated ones
SELECT format('CREATE SEQUENCE load.new_customer_id START %s', max_customer_id + 1) FROM load.start \gexec

-- what each refresh reported about itself, one row per step
CREATE TABLE load.refresh_log (
    refresh     bigint NOT NULL,      -- the refreshing transaction
    kind        text NOT NULL,        -- incremental or full
    phase       text NOT NULL DEFAULT 'load',
    step        text NOT NULL,
    ms          bigint NOT NULL,
    line        text NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- what the readers saw that cannot be right; a reader records it rather than
-- raising, because pgbench ends a client at its first error and the other
-- readers should go on looking
CREATE TABLE load.violations (
    what   text NOT NULL,
    detail text,
    seen_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- the pipeline under load: observation up to each refresh's now() (no as_of),
-- so that the incremental refresh has something to add
SELECT count(*) AS pipeline_objects
FROM clv_create_pipeline('public.orders', customer => 'customer_id', ordered_at => 'ordered_at',
                         amount => 'amount', target_schema => 'clv_report', gross_margin => 0.35,
                         channel => 'channel');

-- the readers' live check counts order rows against the summaries' orders and
-- refunds; that only means something if the two agree before the load
SELECT CASE WHEN s.n = o.n THEN 'baseline: the pipeline counts all ' || s.n || ' order rows'
            ELSE 'baseline MISMATCH: pipeline ' || s.n || ', orders ' || o.n END AS baseline
FROM (SELECT sum(orders + refunds) AS n FROM clv_report.customer_summary) s,
     (SELECT count(*) AS n FROM orders o, clv_report.clv_pipeline p WHERE o.ordered_at <= p.observed_until) o;

ANALYZE;
