-- clv is a trusted extension: a role without superuser, with CREATE on a
-- database, installs it and uses all of it there; it cannot use clv to read
-- a table it may not read, nor to run SQL through hostile identifiers.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP DATABASE IF EXISTS clv_privileges;
DROP ROLE IF EXISTS regress_clv_owner;
DROP ROLE IF EXISTS regress_clv_analyst;
CREATE ROLE regress_clv_owner LOGIN;      -- not superuser, no CREATEROLE, no CREATEDB
CREATE ROLE regress_clv_analyst LOGIN;
CREATE DATABASE clv_privileges OWNER regress_clv_owner;
\c clv_privileges
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_owner;
SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user;
CREATE EXTENSION clv;
SELECT e.extversion, pg_get_userbyid(e.extowner) AS extension_owner
FROM pg_extension e WHERE e.extname = 'clv';
-- every function runs with the caller's rights
SELECT count(*) AS security_definer_functions
FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid AND d.classid = 'pg_proc'::regclass
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clv') AND d.deptype = 'e'
  AND p.prosecdef;

-- the whole path as the plain role: summaries, fits, scores, a pipeline
\set ECHO none
\i test/include/btyd_orders.psql
\set ECHO all
SELECT count(*) AS customers, sum((s).orders) AS orders
FROM (SELECT clv_summary(at, amount::float8, '2025-07-01 00:00+00') AS s FROM orders GROUP BY customer) q;
SELECT count(*) > 0 AS pipeline_made
FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'report', as_of => '2025-07-01 00:00+00');
SELECT count(*) AS customers FROM report.customer_scores;
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('report', incremental => true);
SELECT count(*) AS linked FROM clv_link_identities($$SELECT customer::bigint, customer::text FROM orders$$);

-- what the analyst may not read, clv does not read for them either
CREATE TABLE secret_orders (customer int, at timestamptz, amount numeric);
INSERT INTO secret_orders VALUES (1, '2024-03-01', 100), (1, '2024-05-01', 50);
CREATE TABLE secret_segments AS SELECT * FROM clv_rfm_standard_segments;
GRANT USAGE, CREATE ON SCHEMA public TO regress_clv_analyst;
GRANT CREATE ON DATABASE clv_privileges TO regress_clv_analyst;
SET ROLE regress_clv_analyst;
SELECT count(*) FROM clv_create_pipeline('secret_orders', 'customer', 'at', 'amount', 'analyst_report');
SELECT count(*) AS nothing_left FROM pg_namespace WHERE nspname = 'analyst_report';
-- nor builds in a schema of someone else's, whatever its privileges
SELECT count(*) FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'public');
SELECT count(*) FROM clv_create_pipeline('orders', 'customer', 'at', 'amount', 'report');
SELECT count(*) FROM clv_link_identities($$SELECT customer::bigint, amount::text FROM secret_orders$$);
SELECT count(*) FROM clv_cohort_retention('secret_orders', 'customer', 'at');
-- nor refreshes, nor drops, the owner's pipeline
SELECT count(*) FROM clv_refresh_pipeline('report');
SELECT count(*) FROM clv_drop_pipeline('report');
-- a segment map it may not read is refused, not read with the owner's rights
SELECT clv_rfm_segment(5, 5, 5, 'secret_segments');
-- the extension's own table is read-only to everybody but its owner
INSERT INTO clv_rfm_standard_segments VALUES (99, 'Mine', NULL, NULL, NULL, NULL, NULL, NULL);
SET ROLE regress_clv_owner;

-- hostile identifiers are identifiers, never SQL
CREATE TABLE "orders""; DROP TABLE orders; --" (
    "cust""omer" int, "at; SELECT 1" timestamptz, "amount)--" numeric);
INSERT INTO "orders""; DROP TABLE orders; --"
SELECT customer, at, amount FROM orders;
SELECT count(*) > 0 AS pipeline_made
FROM clv_create_pipeline('"orders""; DROP TABLE orders; --"', 'cust"omer', 'at; SELECT 1', 'amount)--',
                         'x"; DROP TABLE orders; --', as_of => '2025-07-01 00:00+00');
SELECT count(*) AS same_customers
FROM "x""; DROP TABLE orders; --".customer_summary h JOIN report.customer_summary r USING (customer_id)
WHERE h.total_amount = r.total_amount AND h.orders = r.orders;
SELECT count(*) > 0 AS refreshed FROM clv_refresh_pipeline('x"; DROP TABLE orders; --');
SELECT count(*) FROM clv_cohort_retention('"orders""; DROP TABLE orders; --"', 'cust"omer', 'at; SELECT 1');
SELECT to_regclass('public.orders') IS NOT NULL AS orders_still_there;
SELECT count(*) > 0 AS dropped FROM clv_drop_pipeline('x"; DROP TABLE orders; --');
SELECT count(*) > 0 AS dropped FROM clv_drop_pipeline('report');

\c contrib_regression
DROP DATABASE clv_privileges;
DROP ROLE regress_clv_owner;
DROP ROLE regress_clv_analyst;
