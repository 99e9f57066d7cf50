-- A pipeline's orders turned into a view after a superuser made the pipeline
-- over them.  PostgreSQL 15 turns an empty table without triggers or
-- indexes into a view by its "_RETURN" rule, keeping its oid, so the
-- pipeline's registry names the view, whose query runs as whoever reads it:
-- a superuser's refresh would run the view owner's function as superuser.
-- Such a pipeline can only be made over a table of a role that can act as
-- its creator; here the table is handed to another role afterwards, who
-- turns it into a view.  The refresh checks what it reads every time and
-- refuses: the same lines on every server (16 and later refuse the rule,
-- and the refresh refuses the table of a role that cannot act as the
-- superuser).
\set VERBOSITY terse
SET client_min_messages = warning;
DROP DATABASE IF EXISTS clv_table_to_view;
DROP ROLE IF EXISTS regress_clv_converter;
DROP ROLE IF EXISTS regress_clv_super;
CREATE ROLE regress_clv_converter;
CREATE ROLE regress_clv_super SUPERUSER;   -- an administrator, a scheduled job
CREATE DATABASE clv_table_to_view;
\c clv_table_to_view
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_super;
CREATE EXTENSION clv;
GRANT CREATE ON DATABASE clv_table_to_view TO regress_clv_converter;
CREATE SCHEMA shop;
GRANT USAGE ON SCHEMA shop TO regress_clv_converter;
CREATE TABLE shop.orders (customer int, at date, amount numeric);
INSERT INTO shop.orders
SELECT c, date '2025-01-01' + (c * 37 + k * 41) % 300, 10 + (c * k) % 50
FROM generate_series(1, 60) c, generate_series(0, c % 5) k;
SET client_min_messages = error;   -- the few customers' warnings on the fits
SELECT pg_catalog.count(*) > 0 AS made
FROM public.clv_create_pipeline('shop.orders', 'customer', 'at', 'amount', 'admin_report',
                                as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SET client_min_messages = warning;
ALTER TABLE shop.orders OWNER TO regress_clv_converter;
-- the new owner drops the capture triggers, empties the table and turns it
-- into a view of the same rows that calls its function
SET ROLE regress_clv_converter;
CREATE SCHEMA conv;
CREATE TABLE conv.kept AS SELECT * FROM shop.orders;
CREATE FUNCTION conv.promote_reader() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        ALTER ROLE regress_clv_converter SUPERUSER;
    END IF;
    RETURN true;
END $$;
DO $$
DECLARE
    trigger_name name;
BEGIN
    FOR trigger_name IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                         WHERE t.tgrelid OPERATOR(pg_catalog.=) 'shop.orders'::pg_catalog.regclass LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON shop.orders', trigger_name);
    END LOOP;
END $$;
DELETE FROM shop.orders;
VACUUM shop.orders;
-- (16 and later refuse the rule)
DO $$
BEGIN
    CREATE RULE "_RETURN" AS ON SELECT TO shop.orders
        DO INSTEAD SELECT k.customer, k.at, k.amount FROM conv.kept k WHERE conv.promote_reader();
EXCEPTION WHEN wrong_object_type OR feature_not_supported OR object_not_in_prerequisite_state THEN
    NULL;
END $$;
SET ROLE regress_clv_super;
SELECT pg_catalog.count(*) FROM public.clv_refresh_pipeline('admin_report');
SELECT r.rolsuper AS converter_is_superuser FROM pg_catalog.pg_roles r
 WHERE r.rolname OPERATOR(pg_catalog.=) 'regress_clv_converter';
\c contrib_regression
DROP DATABASE clv_table_to_view;
DROP ROLE regress_clv_converter;
DROP ROLE regress_clv_super;
