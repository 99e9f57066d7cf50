-- A pipeline's orders turned into a view by their owner after a superuser
-- made the pipeline over them.  PostgreSQL 15 turns an empty table without
-- triggers or indexes into a view by its "_RETURN" rule, keeping its oid, so
-- the pipeline's registry names the view.  A view's query runs as whoever reads it: a superuser's
-- refresh would run the owner's function as superuser.  The refresh checks
-- what it reads each time and refuses.  The output is the same on every
-- server: on 16 and later the rule is refused and the refresh reads a table.
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
CREATE SCHEMA conv AUTHORIZATION regress_clv_converter;
SET ROLE regress_clv_converter;
CREATE TABLE conv.orders (customer int, at date, amount numeric);
INSERT INTO conv.orders
SELECT c, date '2025-01-01' + (c * 37 + k * 41) % 300, 10 + (c * k) % 50
FROM generate_series(1, 60) c, generate_series(0, c % 5) k;
CREATE TABLE conv.kept AS SELECT * FROM conv.orders;
CREATE FUNCTION conv.promote_reader() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        ALTER ROLE regress_clv_converter SUPERUSER;
    END IF;
    RETURN true;
END $$;
SET ROLE regress_clv_super;
SET client_min_messages = error;   -- the few customers' warnings on the fits
SELECT pg_catalog.count(*) > 0 AS made
FROM public.clv_create_pipeline('conv.orders', 'customer', 'at', 'amount', 'admin_report',
                                as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SET client_min_messages = warning;
-- the owner of the orders drops the capture triggers, empties the table and
-- turns it into a view of the same rows that calls its function
SET ROLE regress_clv_converter;
DO $$
DECLARE
    trigger_name name;
BEGIN
    FOR trigger_name IN SELECT t.tgname FROM pg_catalog.pg_trigger t
                         WHERE t.tgrelid OPERATOR(pg_catalog.=) 'conv.orders'::pg_catalog.regclass LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER %I ON conv.orders', trigger_name);
    END LOOP;
END $$;
DELETE FROM conv.orders;
VACUUM conv.orders;
-- (16 and later refuse the rule: the refresh then reads the emptied table)
DO $$
BEGIN
    CREATE RULE "_RETURN" AS ON SELECT TO conv.orders
        DO INSTEAD SELECT k.customer, k.at, k.amount FROM conv.kept k WHERE conv.promote_reader();
EXCEPTION WHEN wrong_object_type OR feature_not_supported OR object_not_in_prerequisite_state THEN
    NULL;
END $$;
SET ROLE regress_clv_super;
CREATE TEMPORARY TABLE outcome (what text);
SET client_min_messages = error;
DO $$
BEGIN
    PERFORM public.clv_refresh_pipeline('admin_report');
    INSERT INTO pg_temp.outcome VALUES ('refreshed');
EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO pg_temp.outcome VALUES (SQLERRM);
END $$;
SET client_min_messages = warning;
-- the same lines whichever the server: a view is refused, a table refreshed
SELECT CASE c.relkind WHEN 'v' THEN o.what OPERATOR(pg_catalog.=) 'reading conv.orders would run code of another role as regress_clv_super'
                      WHEN 'r' THEN o.what OPERATOR(pg_catalog.=) 'refreshed' END AS refused_if_a_view
  FROM pg_catalog.pg_class c, pg_temp.outcome o
 WHERE c.oid OPERATOR(pg_catalog.=) 'conv.orders'::pg_catalog.regclass;
SELECT r.rolsuper AS converter_is_superuser FROM pg_catalog.pg_roles r
 WHERE r.rolname OPERATOR(pg_catalog.=) 'regress_clv_converter';
\c contrib_regression
DROP DATABASE clv_table_to_view;
DROP ROLE regress_clv_converter;
DROP ROLE regress_clv_super;
