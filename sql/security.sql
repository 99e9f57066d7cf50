-- clv is trusted: its install and update scripts run as the bootstrap
-- superuser for whoever installs or updates it, and a pipeline is refreshed
-- by whoever is scheduled to.  Roles that can plant objects try to use that:
--   regress_clv_attacker: CREATE on the database, nothing else; plants
--     exact-match overloads of every function and operator name that clv's
--     scripts use, in the schema it installs clv into and in pg_temp, then
--     installs clv fresh; the older versions, which only a superuser may
--     install, a superuser installs there and updates step by step; and it
--     tries functions named like clv's in that schema, which are refused;
--   regress_clv_planter: CREATE on public only; plants the same in public
--     before the database's owner (a superuser here) installs clv there.
-- Every planted function counts its calls in a sequence (not rolled back
-- with a failed statement) and says who ran it.  Nothing may call them, and
-- nobody may end up superuser.  Then the pipeline: a superuser refreshes an
-- attacker's pipeline whose tables carry the attacker's trigger, or whose
-- registry names a table the attacker may not read; and a schema created by
-- another role is refused as a pipeline's target.
\set VERBOSITY terse
SET client_min_messages = warning;
DROP DATABASE IF EXISTS clv_security;
DROP ROLE IF EXISTS regress_clv_attacker;
DROP ROLE IF EXISTS regress_clv_planter;
DROP ROLE IF EXISTS regress_clv_admin;
CREATE ROLE regress_clv_attacker;
CREATE ROLE regress_clv_planter;
CREATE ROLE regress_clv_admin SUPERUSER;   -- stands for the database's owner, pg_cron, an administrator
CREATE DATABASE clv_security;
GRANT CREATE ON DATABASE clv_security TO regress_clv_attacker;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
GRANT CREATE ON SCHEMA public TO regress_clv_planter;

-- what the planted code records
CREATE SEQUENCE public.planted_calls;
GRANT USAGE, SELECT ON SEQUENCE public.planted_calls TO PUBLIC;
CREATE FUNCTION public.planted_calls() RETURNS bigint LANGUAGE sql
AS $$ SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.planted_calls $$;

-- every name followed by "(" and every operator in clv's scripts, all
-- versions: functions, keywords and type names alike (more plants, no harm),
-- but for clv's own names (tried on their own below: refused in clv's
-- schema, and one planted beforehand makes CREATE EXTENSION fail)
CREATE TABLE public.plant_names AS
SELECT DISTINCT lower(m[1]) AS name
FROM (SELECT pg_read_file(d.dir || '/' || f) AS script
      FROM (SELECT setting || '/extension' AS dir FROM pg_config WHERE name = 'SHAREDIR') d,
           pg_ls_dir(d.dir) f WHERE f ~ '^clv--.*\.sql$') s,
     regexp_matches(s.script, '([A-Za-z_][A-Za-z_0-9]*)\s*\(', 'g') m
WHERE lower(m[1]) !~ '^clv_'   -- clv's own names: tried below
  AND lower(m[1]) !~ '^(as|in|on|and|or|not|from|where|select|values|exists|array|any|all|over|filter|returns|table|using|with|into|by|when|then|else|case|if|for|loop|end|begin|create|function|aggregate|type|cast|row|rows|lateral|join|key|primary|unique|index|grouping|coalesce|greatest|least|extract|trim|substring|position|overlay|operator)$';
CREATE TABLE public.plant_operators AS
SELECT DISTINCT op FROM (
    SELECT m[1] AS op
    FROM (SELECT pg_read_file(d.dir || '/' || f) AS script
          FROM (SELECT setting || '/extension' AS dir FROM pg_config WHERE name = 'SHAREDIR') d,
               pg_ls_dir(d.dir) f WHERE f ~ '^clv--.*\.sql$') s,
         regexp_matches(s.script, 'OPERATOR\(pg_catalog\.([^ )]+)\)', 'g') m
    UNION ALL
    SELECT unnest(ARRAY['=', '<>', '<', '>', '<=', '>=', '+', '-', '*', '/', '||', '~~', '->', '->>'])) o;
GRANT SELECT ON public.plant_names, public.plant_operators TO PUBLIC;
SELECT count(*) > 100 AS many_names, bool_or(name = 'format') AS format_is_one,
       (SELECT count(*) FROM public.plant_operators) >= 14 AS operators
FROM public.plant_names;

-- the planter: exact-match overloads for the types clv's scripts handle,
-- each counting its calls
CREATE FUNCTION public.plant(target name) RETURNS bigint LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp   -- or it would run its own plants
AS $plant$
DECLARE
    types text[] := ARRAY['oid', 'regclass', 'regtype', 'regprocedure', 'regnamespace', 'regrole', 'name', 'text',
                          '"char"', 'integer', 'bigint', 'smallint', 'numeric', 'double precision', 'real',
                          'boolean', 'date', 'timestamp', 'timestamptz', 'interval', 'jsonb', 'bigint[]',
                          'double precision[]', 'numeric[]', 'text[]', 'name[]'];
    pair_types text[] := ARRAY['oid', 'regclass', 'regtype', 'regprocedure', 'name', 'text', 'integer', 'bigint',
                               'numeric', 'double precision', 'timestamptz', 'interval', 'text[]'];
    spy text := $spy$ LANGUAGE plpgsql AS $b$ BEGIN
        PERFORM nextval('public.planted_calls');
        RAISE WARNING 'planted %% ran as %% (superuser: %%)', %L, current_user,
              (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user);
        RETURN NULL; END $b$ $spy$;
    n text;
    t1 text;
    t2 text;
    k bigint := 0;
BEGIN
    FOR n IN SELECT name FROM public.plant_names LOOP
        FOREACH t1 IN ARRAY types LOOP
            EXECUTE format('CREATE FUNCTION %s.%I(%s) RETURNS text', target, n, t1)
                    || format(spy, format('%s(%s)', n, t1));
            k := k + 1;
        END LOOP;
        FOREACH t1 IN ARRAY pair_types LOOP
            FOREACH t2 IN ARRAY pair_types LOOP
                EXECUTE format('CREATE FUNCTION %s.%I(%s, %s) RETURNS text', target, n, t1, t2)
                        || format(spy, format('%s(%s, %s)', n, t1, t2));
                k := k + 1;
            END LOOP;
        END LOOP;
    END LOOP;
    FOREACH t1 IN ARRAY pair_types LOOP
        FOREACH t2 IN ARRAY pair_types LOOP
            EXECUTE format('CREATE FUNCTION %s.planted_operator(%s, %s) RETURNS boolean', target, t1, t2)
                    || format(spy, format('an operator on (%s, %s)', t1, t2));
            FOR n IN SELECT op FROM public.plant_operators LOOP
                EXECUTE format('CREATE OPERATOR %s.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %s.planted_operator)',
                               target, n, t1, t2, target);
                k := k + 1;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN k;
END
$plant$;

-- pg_temp is searched first for relations and types (never for functions
-- or operators): there, the catalog tables and the type names clv's scripts
-- name, as views and domains that count their use, and a few functions and
-- operators for good measure.  (Thousands of temporary objects would make the
-- session's exit run out of lock slots.)
CREATE FUNCTION public.plant_temp() RETURNS bigint LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $plant$
DECLARE
    spy text := $spy$ LANGUAGE plpgsql AS $b$ BEGIN
        PERFORM nextval('public.planted_calls');
        RAISE WARNING 'planted %% ran as %% (superuser: %%)', %L, current_user,
              (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user);
        RETURN NULL; END $b$ $spy$;
    n text;
    k bigint := 0;
BEGIN
    EXECUTE 'CREATE FUNCTION pg_temp.planted_relation(text) RETURNS boolean' || format(spy, 'a relation in pg_temp');
    EXECUTE 'CREATE FUNCTION pg_temp.planted_type() RETURNS boolean' || format(spy, 'a type in pg_temp');
    FOR n IN SELECT DISTINCT name FROM public.plant_names
              WHERE to_regclass('pg_catalog.' || quote_ident(name)) IS NOT NULL
             UNION SELECT unnest(ARRAY['pg_depend', 'pg_proc', 'pg_extension', 'pg_namespace', 'pg_class',
                                       'pg_type', 'pg_attribute', 'pg_roles', 'pg_trigger', 'pg_opclass', 'pg_am',
                                       'pg_amop', 'pg_operator', 'pg_cast', 'pg_index', 'pg_language', 'pg_aggregate',
                                       'pg_locks', 'pg_stat_activity', 'pg_database', 'pg_config']) LOOP
        -- every column a view can show (not pg_attribute's anyarray)
        EXECUTE format('CREATE VIEW pg_temp.%I AS SELECT %s FROM pg_catalog.%I WHERE pg_temp.planted_relation(%L) IS NULL',
                       n, (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                            WHERE a.attrelid = ('pg_catalog.' || quote_ident(n))::regclass AND a.attnum > 0
                              AND NOT a.attisdropped AND a.atttypid <> 'anyarray'::regtype),
                       n, n);
        k := k + 1;
    END LOOP;
    FOREACH n IN ARRAY ARRAY['text', 'float8', 'float4', 'int2', 'int4', 'int8', 'numeric', 'name', 'regclass', 'regtype',
                             'regprocedure', 'oid', 'bool', 'date', 'timestamp', 'timestamptz', 'interval', 'jsonb',
                             'bytea', 'char'] LOOP
        EXECUTE format('CREATE DOMAIN pg_temp.%I AS pg_catalog.%I CHECK (pg_temp.planted_type() IS NULL)', n, n);
        k := k + 1;
    END LOOP;
    FOREACH n IN ARRAY ARRAY['format', 'array_position', 'unnest', 'current_setting', 'set_config', 'to_regclass'] LOOP
        EXECUTE format('CREATE FUNCTION pg_temp.%I(text, regprocedure) RETURNS text', n) || format(spy, n || ' in pg_temp');
        EXECUTE format('CREATE FUNCTION pg_temp.%I(text) RETURNS text', n) || format(spy, n || ' in pg_temp');
        k := k + 2;
    END LOOP;
    EXECUTE 'CREATE FUNCTION pg_temp.planted_operator(oid, regclass) RETURNS boolean' || format(spy, 'an operator in pg_temp');
    EXECUTE 'CREATE OPERATOR pg_temp.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = pg_temp.planted_operator)';
    RETURN k + 1;
END
$plant$;

-- the planter, in public, before the database's owner installs clv there
SET ROLE regress_clv_planter;
SELECT public.plant('public') > 10000 AS planted_in_public;
SET ROLE regress_clv_admin;
CREATE EXTENSION clv;
SELECT public.planted_calls() AS calls_after_fresh_install_in_public;
DROP EXTENSION clv;
CREATE EXTENSION clv VERSION '0.1.0';
ALTER EXTENSION clv UPDATE TO '0.2.0';
ALTER EXTENSION clv UPDATE TO '0.3.0';
ALTER EXTENSION clv UPDATE TO '0.4.0';
SELECT public.planted_calls() AS calls_after_updates_in_public;
DROP EXTENSION clv;

-- the attacker, in a schema of its own and in pg_temp, installing itself
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
CREATE SCHEMA m;
SELECT public.plant('m') > 10000 AS planted_in_m, public.plant_temp() > 40 AS planted_in_pg_temp;
CREATE EXTENSION clv SCHEMA m;
SELECT public.planted_calls() AS calls_after_fresh_install_in_m;
DROP EXTENSION clv;
-- nor in a schema whose name has a % sign: clv's bodies build SQL with
-- format() from text naming their schema, where "m%%" would be read as
-- "m%", a schema anyone with CREATE on the database could make (made here,
-- and planted); refused on install, and on an update from 0.3.0, which a
-- superuser put there
CREATE SCHEMA "m%%";
CREATE SCHEMA "m%";
SELECT public.plant('"m%"') > 10000 AS planted_in_m_percent;
CREATE EXTENSION clv SCHEMA "m%%";
SET ROLE regress_clv_admin;
CREATE EXTENSION clv SCHEMA "m%%" VERSION '0.3.0';
ALTER EXTENSION clv UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'clv';
DROP EXTENSION clv;
-- and should clv be there all the same (installed with event triggers off,
-- which only a superuser can do), neither a pipeline nor an evaluation runs
-- any SQL of its own making
SET session_replication_role = replica;
CREATE EXTENSION clv SCHEMA "m%%";
RESET session_replication_role;
CREATE TABLE public.orders_by_a_superuser (customer_id integer, ordered_at timestamptz, amount numeric);
SELECT pg_catalog.count(*)
FROM "m%%".clv_create_pipeline('public.orders_by_a_superuser', 'customer_id', 'ordered_at', 'amount', 'superusers_report');
SELECT pg_catalog.count(*)
FROM "m%%".clv_evaluate('public.orders_by_a_superuser', 'customer_id', 'ordered_at', 'amount', '2026-01-01', '2026-06-01');
SELECT public.planted_calls() AS calls_after_percent_schema;
DROP TABLE public.orders_by_a_superuser;
DROP EXTENSION clv;
SET ROLE regress_clv_attacker;
DROP SCHEMA "m%%";
-- Older versions are not trusted: only a superuser installs them or
-- updates to them.  A superuser does, into the attacker's schema, among the
-- plants (the attacker's pg_temp ones too: the same session), and updates
-- step by step.
CREATE EXTENSION clv SCHEMA m VERSION '0.1.0';
SET ROLE regress_clv_admin;
CREATE EXTENSION clv SCHEMA m VERSION '0.1.0';
ALTER EXTENSION clv UPDATE TO '0.2.0';
ALTER EXTENSION clv UPDATE TO '0.3.0';
ALTER EXTENSION clv UPDATE TO '0.4.0';
SELECT public.planted_calls() AS calls_after_updates_from_0_1_0;
DROP EXTENSION clv;
CREATE EXTENSION clv SCHEMA m VERSION '0.2.0';
ALTER EXTENSION clv UPDATE;
DROP EXTENSION clv;
CREATE EXTENSION clv SCHEMA m VERSION '0.3.0';
ALTER EXTENSION clv UPDATE;
SELECT public.planted_calls() AS calls_after_updates_from_0_2_0_and_0_3_0;
-- A role that installed 0.1.0 when it was current (made its owner here by
-- hand) updates in one step, by the update scripts joined, and cannot
-- update to a version between
DROP EXTENSION clv;
CREATE EXTENSION clv SCHEMA m VERSION '0.1.0';
UPDATE pg_catalog.pg_extension SET extowner = 'regress_clv_attacker'::pg_catalog.regrole
WHERE extname OPERATOR(pg_catalog.=) 'clv';
SET ROLE regress_clv_attacker;
ALTER EXTENSION clv UPDATE TO '0.2.0';
ALTER EXTENSION clv UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'clv';
SELECT public.planted_calls() AS calls_after_update_from_0_1_0_in_one_step;
SELECT rolsuper AS attacker_is_superuser FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user;

-- The schema is the attacker's, so it may add functions to it, but none
-- named like clv's: one whose parameters matched a call of clv's more closely
-- than clv's own (oid where clv_base_type takes regtype) would be called in
-- its place.  Refused when made, renamed, moved in (a member of the
-- extension or not), and when planted before the install or an update.
DROP EXTENSION clv;
CREATE EXTENSION clv SCHEMA m;
CREATE FUNCTION m.clv_base_type(pg_catalog.oid) RETURNS pg_catalog.regtype LANGUAGE sql AS $$SELECT CASE WHEN pg_catalog.nextval('public.planted_calls'::pg_catalog.regclass) OPERATOR(pg_catalog.>) 0 THEN NULL::pg_catalog.regtype END$$;
CREATE FUNCTION m.not_clv(pg_catalog.oid) RETURNS pg_catalog.regtype LANGUAGE sql AS $$SELECT CASE WHEN pg_catalog.nextval('public.planted_calls'::pg_catalog.regclass) OPERATOR(pg_catalog.>) 0 THEN NULL::pg_catalog.regtype END$$;
ALTER FUNCTION m.not_clv(pg_catalog.oid) RENAME TO clv_base_type;
CREATE SCHEMA elsewhere;
CREATE FUNCTION elsewhere.clv_base_type(pg_catalog.oid) RETURNS pg_catalog.regtype LANGUAGE sql AS $$SELECT CASE WHEN pg_catalog.nextval('public.planted_calls'::pg_catalog.regclass) OPERATOR(pg_catalog.>) 0 THEN NULL::pg_catalog.regtype END$$;
ALTER FUNCTION elsewhere.clv_base_type(pg_catalog.oid) SET SCHEMA m;
ALTER EXTENSION clv ADD FUNCTION elsewhere.clv_base_type(pg_catalog.oid);
ALTER FUNCTION elsewhere.clv_base_type(pg_catalog.oid) SET SCHEMA m;
ALTER EXTENSION clv DROP FUNCTION elsewhere.clv_base_type(pg_catalog.oid);
CREATE AGGREGATE m.clv_exact_sum(pg_catalog.numeric) (SFUNC = pg_catalog.numeric_add, STYPE = pg_catalog.numeric);
CREATE PROCEDURE m.clv_refresh_pipeline(pg_catalog.oid) LANGUAGE sql AS '';
-- a range type's constructors, which belong to the bootstrap superuser
CREATE TYPE m.clv_range AS RANGE (subtype = pg_catalog.numeric);
-- none of them is left there: every function named clv_... in m is a
-- member of clv owned by a superuser
SELECT pg_catalog.count(*) AS not_clv_named_clv
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) p.proowner
WHERE p.pronamespace OPERATOR(pg_catalog.=) 'm'::pg_catalog.regnamespace
  AND p.proname OPERATOR(pg_catalog.~~) 'clv\_%'
  AND (NOT r.rolsuper
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_extension e
                                  ON e.oid OPERATOR(pg_catalog.=) d.refobjid
                      WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
                        AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.deptype OPERATOR(pg_catalog.=) 'e'
                        AND e.extname OPERATOR(pg_catalog.=) 'clv'));
-- planted before CREATE EXTENSION, which then fails; gone, it works
DROP EXTENSION clv;
ALTER FUNCTION elsewhere.clv_base_type(pg_catalog.oid) SET SCHEMA m;
CREATE EXTENSION clv SCHEMA m;
ALTER FUNCTION m.clv_base_type(pg_catalog.oid) SET SCHEMA elsewhere;
CREATE EXTENSION clv SCHEMA m;
-- planted under 0.3.0, which had no such guard: updating fails
DROP EXTENSION clv;
SET ROLE regress_clv_admin;
CREATE EXTENSION clv SCHEMA m VERSION '0.3.0';
UPDATE pg_catalog.pg_extension SET extowner = 'regress_clv_attacker'::pg_catalog.regrole
WHERE extname OPERATOR(pg_catalog.=) 'clv';
SET ROLE regress_clv_attacker;
ALTER FUNCTION elsewhere.clv_base_type(pg_catalog.oid) SET SCHEMA m;
ALTER EXTENSION clv UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'clv';
ALTER FUNCTION m.clv_base_type(pg_catalog.oid) SET SCHEMA elsewhere;
ALTER EXTENSION clv UPDATE;
SELECT extversion FROM pg_catalog.pg_extension WHERE extname OPERATOR(pg_catalog.=) 'clv';
SELECT public.planted_calls() AS calls_after_clv_names_planted;

-- clv in the attacker's schema, every planted overload beside its functions:
-- a superuser whose search_path starts there uses clv, and runs none of them
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
SET search_path = pg_catalog, pg_temp;   -- the planter's public is no place for the test's own SQL
CREATE TABLE public.orders (customer int, at timestamptz, amount numeric, channel text);
INSERT INTO public.orders
SELECT c, '2023-01-01'::timestamptz + ((c * 7919) % 600 + k * (7 + (c * 31) % 60)) * interval '1 day',
       10 + (c * k) % 90, (ARRAY['web', 'store'])[1 + (c + k) % 2]
FROM generate_series(1, 200) c, generate_series(0, c % 7) k;
-- (the test's own expressions are qualified: only clv's are on trial)
SET search_path = m, public;
SELECT pg_catalog.count(*) AS lines
FROM clv_create_pipeline('public.orders', 'customer', 'at', 'amount', 'admin_report',
                         channel => 'channel', as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT pg_catalog.count(*) AS lines FROM clv_refresh_pipeline('admin_report', incremental => true);
SELECT pg_catalog.length(clv_report_html('admin_report')) OPERATOR(pg_catalog.>) 1000 AS report;
SELECT pg_catalog.count(*) AS cohort_rows FROM clv_cohort_retention('public.orders', 'customer', 'at', 'quarter', 'UTC');
SELECT clv_value_tier(0.03) AS tier, (clv_credible_mean(0, 10, 5, 0, 1)).estimate AS prior_for_no_customers,
       (SELECT (clv_credibility_prior(n, mu, v)).groups FROM (VALUES (10::bigint, 5::float8, 1::float8), (20, 7, 2)) g(n, mu, v)) AS groups,
       (SELECT pg_catalog.sum(contribution) FROM clv_change_drivers(
            ROW(1,1,1,50,4,1,NULL,NULL,1,1,1,1,2,2,0.4,160)::clv_business_kpis,
            ROW(1,1,1,45,3,1,NULL,NULL,1,1,1,1,2,2,0.4,108)::clv_business_kpis)) AS change;
SELECT pg_catalog.count(*) AS dropped FROM clv_drop_pipeline('admin_report');
SELECT public.planted_calls() AS calls_after_use;
RESET search_path;

-- the attacker's own pipeline, refreshed by a superuser (a scheduled job, an
-- administrator): every step runs as the attacker, in a security-restricted
-- operation, so what the attacker planted gains nothing
GRANT SELECT ON public.orders TO regress_clv_attacker;
CREATE TABLE public.payroll (customer int, at timestamptz, amount numeric);
INSERT INTO public.payroll VALUES (1, '2025-01-01', 100000);
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
CREATE TABLE m.my_orders AS SELECT * FROM public.orders;
SELECT count(*) AS lines FROM m.clv_create_pipeline('m.my_orders', 'customer', 'at', 'amount', 'mine',
                                                    as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
CREATE FUNCTION m.take_over() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RESET ROLE;
    ALTER ROLE regress_clv_attacker SUPERUSER;
    RETURN NULL;
END $$;
CREATE TRIGGER take_over AFTER INSERT ON mine.summary_state FOR EACH STATEMENT EXECUTE FUNCTION m.take_over();
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
SELECT count(*) FROM m.clv_refresh_pipeline('mine');
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_clv_attacker';
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
CREATE OR REPLACE FUNCTION m.take_over() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    ALTER ROLE regress_clv_attacker SUPERUSER;
    RETURN NULL;
END $$;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
-- refused by PostgreSQL itself, whose words differ by version (15: "must be
-- superuser to alter superuser roles ...", 16 on: "permission denied to
-- alter role"); its code, insufficient_privilege, does not
\set VERBOSITY sqlstate
SELECT count(*) FROM m.clv_refresh_pipeline('mine');
\set VERBOSITY terse
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_clv_attacker';
-- the registry rewritten to name a table only the superuser may read
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
DROP TRIGGER take_over ON mine.summary_state;
UPDATE mine.clv_pipeline SET source = 'public.payroll'::regclass;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
SELECT count(*) FROM m.clv_refresh_pipeline('mine');
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
SELECT count(*) AS payroll_rows_copied FROM mine.customer_summary WHERE total_amount OPERATOR(pg_catalog.=) 100000;
-- the attacker may refresh and drop its own pipeline, not another's, and
-- steps called directly are refused
UPDATE mine.clv_pipeline SET source = 'm.my_orders'::regclass;
SELECT count(*) AS refreshed FROM m.clv_refresh_pipeline('mine');
SELECT * FROM m.clv_pipeline_refresh_steps('mine', true, false);
-- a superuser drops it, as its owner: the capture triggers on the owner's
-- orders go with it
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
SELECT regexp_replace(r, 'clv_[0-9]+_', 'clv_N_') AS dropped FROM m.clv_drop_pipeline('mine') r;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'm.my_orders'::regclass;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;

-- a target schema made by another role beforehand: refused, never written into
CREATE SCHEMA trap;
GRANT USAGE, CREATE ON SCHEMA trap TO PUBLIC;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
SELECT count(*) FROM m.clv_create_pipeline('public.orders', 'customer', 'at', 'amount', 'trap');
SELECT count(*) AS objects_in_trap FROM pg_class WHERE relnamespace = 'trap'::regnamespace;
-- a pipeline whose schema was handed to another role is not refreshed
CREATE SCHEMA handed;
SELECT count(*) > 0 AS made FROM m.clv_create_pipeline('public.orders', 'customer', 'at', 'amount', 'handed',
                                                       as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
ALTER SCHEMA handed OWNER TO regress_clv_attacker;
SELECT count(*) FROM m.clv_refresh_pipeline('handed');
ALTER SCHEMA handed OWNER TO CURRENT_USER;
SELECT count(*) > 0 AS dropped FROM m.clv_drop_pipeline('handed');
DROP SCHEMA handed;

-- the report: for readers of the pipeline's tables, read as the owner
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
CREATE ROLE regress_clv_reader;
SET ROLE regress_clv_attacker;
GRANT USAGE ON SCHEMA m TO regress_clv_reader;
SELECT count(*) > 0 AS made FROM m.clv_create_pipeline('m.my_orders', 'customer', 'at', 'amount', 'mine',
                                                       as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT length(m.clv_report_html('mine')) > 1000 AS owner_reads_its_report;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_reader;
SELECT length(m.clv_report_html('mine'));
RESET ROLE;
SET ROLE regress_clv_attacker;
GRANT USAGE ON SCHEMA mine TO regress_clv_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA mine TO regress_clv_reader;
SET ROLE regress_clv_reader;
SELECT length(m.clv_report_html('mine')) > 1000 AS reader_with_select_reads_it;
-- a column of the owner's type, with the owner's cast, in a table the report
-- reads: the cast runs as the owner, sandboxed, not as the superuser who
-- asked for the report
RESET ROLE;
SET ROLE regress_clv_attacker;
CREATE TYPE m.count_of AS (v bigint);
CREATE FUNCTION m.take_over_by_cast(m.count_of) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    ALTER ROLE regress_clv_attacker SUPERUSER;
    RETURN ($1).v;
END $$;
CREATE CAST (m.count_of AS bigint) WITH FUNCTION m.take_over_by_cast(m.count_of);
ALTER TABLE mine.segments ALTER customers TYPE m.count_of USING ROW(customers)::m.count_of;
RESET ROLE;
SET ROLE regress_clv_admin;
\set VERBOSITY sqlstate
SELECT length(m.clv_report_html('mine'));
\set VERBOSITY terse
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'regress_clv_attacker';
-- row security on a table the report reads: refused, not read past
RESET ROLE;
SET ROLE regress_clv_attacker;
ALTER TABLE mine.segments ALTER customers TYPE bigint USING (customers).v;
ALTER TABLE mine.cohorts ENABLE ROW LEVEL SECURITY;
SET ROLE regress_clv_reader;
SELECT length(m.clv_report_html('mine'));
RESET ROLE;
SET ROLE regress_clv_attacker;
ALTER TABLE mine.cohorts DISABLE ROW LEVEL SECURITY;
-- the schema clv lives in keeps its name: renamed, another schema of the old
-- name could hold functions that clv's bodies would call
ALTER SCHEMA m RENAME TO m_renamed;
SELECT pg_catalog.count(*) FROM m.clv_drop_pipeline('mine');
REVOKE USAGE ON SCHEMA m FROM regress_clv_reader;

-- another role's orders: refused to a superuser and to a member of that
-- role (neither can the orders' owner act as), since reading them would run
-- whatever that role puts in their way (clv_foreign_code); the orders'
-- owner's own pipeline, refreshed by a superuser, after the owner changes
-- the customer column to a type of its own with an assignment cast: the
-- refresh refuses the changed column rather than read it through the cast
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_admin;
CREATE ROLE regress_clv_shop;
GRANT CREATE ON DATABASE clv_security TO regress_clv_shop;
GRANT regress_clv_shop TO regress_clv_attacker;
GRANT SELECT ON public.orders TO regress_clv_shop;
SET ROLE regress_clv_shop;
CREATE SCHEMA shop;
CREATE TABLE shop.orders AS SELECT customer, at, amount FROM public.orders;
GRANT USAGE ON SCHEMA shop TO regress_clv_admin, regress_clv_attacker;
GRANT SELECT ON shop.orders TO regress_clv_attacker;
SET ROLE regress_clv_admin;
SELECT count(*) FROM m.clv_create_pipeline('shop.orders', 'customer', 'at', 'amount', 'admin_over_shop');
SET ROLE regress_clv_attacker;
SELECT count(*) FROM m.clv_create_pipeline('shop.orders', 'customer', 'at', 'amount', 'attacker_over_shop');
SET ROLE regress_clv_attacker;
GRANT USAGE ON SCHEMA m TO regress_clv_shop;
SET ROLE regress_clv_shop;
SELECT count(*) > 0 AS made FROM m.clv_create_pipeline('shop.orders', 'customer', 'at', 'amount', 'shop_own',
                                                       as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT change_capture FROM shop_own.clv_pipeline;
CREATE TYPE shop.customer_no AS (v int);
CREATE FUNCTION shop.customer_int(shop.customer_no) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    ALTER ROLE regress_clv_shop SUPERUSER;
    RETURN ($1).v;
END $$;
CREATE CAST (shop.customer_no AS int) WITH FUNCTION shop.customer_int(shop.customer_no) AS ASSIGNMENT;
ALTER TABLE shop.orders ALTER customer TYPE shop.customer_no USING ROW(customer)::shop.customer_no;
INSERT INTO shop.orders VALUES (ROW(7), '2025-10-01', 10);
SELECT pg_catalog.count(*) FILTER (WHERE everything) AS recorded_as_everything,
       pg_catalog.count(customer_id) AS customers_recorded
FROM shop_own.order_changes;
SET ROLE regress_clv_admin;
SELECT pg_catalog.count(*) FROM m.clv_refresh_pipeline('shop_own', incremental => true);
SELECT rolsuper AS shop_is_superuser FROM pg_roles WHERE rolname = 'regress_clv_shop';
SELECT regexp_replace(r, 'clv_[0-9]+_', 'clv_N_') AS dropped FROM m.clv_drop_pipeline('shop_own') r;
SET ROLE regress_clv_shop;
SELECT pg_catalog.count(*) AS triggers_left_to_the_orders_owner
FROM pg_catalog.pg_trigger WHERE tgrelid OPERATOR(pg_catalog.=) 'shop.orders'::pg_catalog.regclass;
RESET ROLE;
SET ROLE regress_clv_admin;
DROP SCHEMA shop CASCADE;
REVOKE CREATE ON DATABASE clv_security FROM regress_clv_shop;
REVOKE SELECT ON public.orders FROM regress_clv_shop;
REVOKE USAGE ON SCHEMA m FROM regress_clv_shop;
DROP ROLE regress_clv_shop;
DROP ROLE regress_clv_reader;

-- orders that are or read relations of a role the reader cannot act as, or
-- whose views, policies, indexes or casts call such a role's code: refused
-- when a pipeline is made and at each refresh (a view handed to the
-- attacker, who replaces its query; the table turned into a view under
-- PostgreSQL 15 is security_table_to_view).  The errors name the object
-- (without their context, whose line numbers are not on trial).
\c clv_security
\set SHOW_CONTEXT never
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
CREATE FUNCTION m.promote_reader() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        ALTER ROLE regress_clv_attacker SUPERUSER;
    END IF;
    RETURN true;
END $$;
-- immutable, so that the planner would evaluate it on constants: in an
-- index (harmless here, since building the index runs it too; its owner
-- could make it otherwise once the index is there)
CREATE FUNCTION m.folded(integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE VIEW m.orders_view AS SELECT o.customer, o.at, o.amount FROM m.my_orders o WHERE m.promote_reader();
-- its own view runs its own code as itself
SELECT pg_catalog.count(*) > 0 AS made FROM m.clv_create_pipeline('m.orders_view', 'customer', 'at', 'amount', 'own_view',
                                                                  as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT pg_catalog.count(*) > 0 AS dropped FROM m.clv_drop_pipeline('own_view');
-- and a materialized view of its own refreshes
CREATE MATERIALIZED VIEW m.orders_kept AS SELECT o.customer, o.at, o.amount FROM m.my_orders o WHERE m.promote_reader();
SELECT pg_catalog.count(*) > 0 AS made FROM m.clv_create_pipeline('m.orders_kept', 'customer', 'at', 'amount', 'over_kept',
                                                                  as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT pg_catalog.count(*) > 0 AS refreshed FROM m.clv_refresh_pipeline('over_kept');
SELECT pg_catalog.count(*) > 0 AS dropped FROM m.clv_drop_pipeline('over_kept');
CREATE TABLE m.guarded AS SELECT o.customer, o.at, o.amount FROM m.my_orders o;
ALTER TABLE m.guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY promote ON m.guarded USING (m.promote_reader());
GRANT SELECT ON m.guarded, m.orders_kept TO regress_clv_planter;
GRANT USAGE ON SCHEMA m TO regress_clv_planter;
CREATE TYPE m.channel AS ENUM ('web', 'store');
CREATE FUNCTION m.channel_text(m.channel) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM m.promote_reader();
    RETURN pg_catalog.format('%s', $1);
END $$;
CREATE CAST (m.channel AS text) WITH FUNCTION m.channel_text(m.channel);
CREATE TYPE m.channel_pair AS (customer integer, at timestamptz, amount numeric);
SET ROLE regress_clv_admin;
\set VERBOSITY default
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('m.orders_view', 'customer', 'at', 'amount', 'through_view');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('m.orders_kept', 'customer', 'at', 'amount', 'through_kept');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('m.guarded', 'customer', 'at', 'amount', 'through_policy');
\set VERBOSITY terse
CREATE VIEW public.admin_view AS SELECT o.customer, o.at, o.amount FROM public.orders o WHERE m.promote_reader();
CREATE TABLE public.indexed AS SELECT o.customer, o.at, o.amount FROM public.orders o;
CREATE INDEX ON public.indexed ((customer OPERATOR(pg_catalog.+) m.folded(0)));
\set VERBOSITY default
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.admin_view', 'customer', 'at', 'amount', 'through_call');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.indexed', 'customer', 'at', 'amount', 'through_index');
\set VERBOSITY terse
-- what a SQL-standard body calls and reads, a domain's check, followed
CREATE TABLE public.plain AS SELECT o.customer, o.at, o.amount FROM public.orders o;
CREATE FUNCTION public.calls_out() RETURNS boolean LANGUAGE sql BEGIN ATOMIC SELECT m.promote_reader(); END;
CREATE FUNCTION public.reads_out(integer) RETURNS boolean LANGUAGE sql
BEGIN ATOMIC SELECT NOT EXISTS (SELECT FROM m.my_orders o WHERE o.customer OPERATOR(pg_catalog.=) $1); END;
CREATE DOMAIN public.checked AS integer CHECK (m.promote_reader());
CREATE VIEW public.via_body AS SELECT o.customer, o.at, o.amount FROM public.plain o WHERE public.calls_out();
CREATE VIEW public.via_read AS SELECT o.customer, o.at, o.amount FROM public.plain o WHERE public.reads_out(o.customer);
CREATE VIEW public.via_domain AS SELECT o.customer::public.checked AS customer, o.at, o.amount FROM public.plain o;
SELECT v.v AS orders, f.object, f.owner
  FROM (VALUES ('public.via_body'), ('public.via_read'), ('public.via_domain')) v(v)
  CROSS JOIN LATERAL m.clv_foreign_code(v.v::pg_catalog.regclass, 'regress_clv_admin'::pg_catalog.regrole) f
 ORDER BY 1;
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.via_body', 'customer', 'at', 'amount', 'through_body');
-- not a composite type
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('m.channel_pair', 'customer', 'at', 'amount', 'through_type');
-- a partition of the attacker's, a check calling its function (constraint
-- exclusion evaluates it); a foreign key runs nothing as rows are read
CREATE TABLE public.parted (customer integer, at timestamptz, amount numeric) PARTITION BY RANGE (customer);
CREATE TABLE public.part_mine PARTITION OF public.parted FOR VALUES FROM (0) TO (100);
SET ROLE regress_clv_attacker;
CREATE TABLE m.part_theirs (customer integer, at timestamptz, amount numeric);
SET ROLE regress_clv_admin;
ALTER TABLE public.parted ATTACH PARTITION m.part_theirs FOR VALUES FROM (100) TO (1000);
CREATE TABLE public.checked_orders (customer integer CHECK (customer OPERATOR(pg_catalog.<>) m.folded(-1)), at timestamptz, amount numeric);
SET ROLE regress_clv_attacker;
CREATE TABLE m.customers (customer integer PRIMARY KEY);
GRANT REFERENCES ON m.customers TO regress_clv_admin;
SET ROLE regress_clv_admin;
CREATE TABLE public.keyed_orders (customer integer REFERENCES m.customers, at timestamptz, amount numeric);
SELECT v.v AS orders, f.object, f.owner
  FROM (VALUES ('public.parted'), ('public.checked_orders'), ('public.keyed_orders')) v(v)
  LEFT JOIN LATERAL m.clv_foreign_code(v.v::pg_catalog.regclass, 'regress_clv_admin'::pg_catalog.regrole) f ON true
 ORDER BY 1;
-- statistics on an expression, a partition key and the key of a table a
-- partition is part of, two levels up (its partition constraint), an
-- operator class (made by a superuser) of a partition key and of an index
-- with the attacker's comparison function, an operator, a policy's
-- subquery, the attacker's foreign table and the administrator's on the
-- attacker's server (whose owner says where the rows and the reader's user
-- mapping go); a partition of a table keyed by a column reaches nothing of
-- its siblings'
SET ROLE regress_clv_attacker;
CREATE FUNCTION m.same(integer, integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1 OPERATOR(pg_catalog.=) $2';
CREATE OPERATOR m.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = m.same);
CREATE FUNCTION m.compared(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT pg_catalog.btint4cmp($1, $2)';
SET ROLE regress_clv_admin;
CREATE OPERATOR CLASS public.compared_ops FOR TYPE integer USING btree AS
    OPERATOR 1 pg_catalog.<, OPERATOR 2 pg_catalog.<=, OPERATOR 3 pg_catalog.=, OPERATOR 4 pg_catalog.>=,
    OPERATOR 5 pg_catalog.>, FUNCTION 1 m.compared(integer, integer);
CREATE TABLE public.with_statistics AS SELECT o.customer, o.at, o.amount FROM public.orders o;
CREATE STATISTICS public.folded_customers ON (m.folded(customer)), amount FROM public.with_statistics;
CREATE TABLE public.keyed_by_call (customer integer, at timestamptz, amount numeric) PARTITION BY RANGE ((m.folded(customer)));
CREATE TABLE public.part_of_keyed PARTITION OF public.keyed_by_call FOR VALUES FROM (0) TO (1000) PARTITION BY RANGE (customer);
CREATE TABLE public.leaf_of_keyed PARTITION OF public.part_of_keyed FOR VALUES FROM (0) TO (1000);
CREATE TABLE public.keyed_by_class (customer integer, at timestamptz, amount numeric)
    PARTITION BY RANGE (customer public.compared_ops);
CREATE TABLE public.part_of_class PARTITION OF public.keyed_by_class FOR VALUES FROM (0) TO (1000);
CREATE TABLE public.indexed_by_class AS SELECT o.customer, o.at, o.amount FROM public.orders o;
CREATE INDEX ON public.indexed_by_class (customer public.compared_ops);
CREATE VIEW public.via_operator AS
SELECT o.customer, o.at, o.amount FROM public.orders o WHERE o.customer OPERATOR(m.===) o.customer;
CREATE TABLE public.looked_up AS SELECT o.customer, o.at, o.amount FROM public.orders o;
ALTER TABLE public.looked_up ENABLE ROW LEVEL SECURITY;
CREATE POLICY looks_up ON public.looked_up
 USING (EXISTS (SELECT FROM m.my_orders s WHERE s.customer OPERATOR(pg_catalog.=) looked_up.customer));
-- (a wrapper without a handler: these foreign tables are never read)
CREATE FOREIGN DATA WRAPPER regress_clv_wrapper;
GRANT USAGE ON FOREIGN DATA WRAPPER regress_clv_wrapper TO regress_clv_attacker;
CREATE SERVER regress_clv_mine FOREIGN DATA WRAPPER regress_clv_wrapper;
CREATE FOREIGN TABLE public.far_mine (customer integer, at timestamptz, amount numeric) SERVER regress_clv_mine;
CREATE FOREIGN TABLE public.far_given (customer integer, at timestamptz, amount numeric) SERVER regress_clv_mine;
ALTER FOREIGN TABLE public.far_given OWNER TO regress_clv_attacker;
SET ROLE regress_clv_attacker;
CREATE SERVER regress_clv_theirs FOREIGN DATA WRAPPER regress_clv_wrapper;
GRANT USAGE ON FOREIGN SERVER regress_clv_theirs TO regress_clv_admin;
SET ROLE regress_clv_admin;
CREATE FOREIGN TABLE public.far_theirs (customer integer, at timestamptz, amount numeric) SERVER regress_clv_theirs;
SELECT v.v AS orders, f.object, f.owner
  FROM (VALUES ('public.with_statistics'), ('public.keyed_by_call'), ('public.part_of_keyed'), ('public.leaf_of_keyed'),
               ('public.part_mine'), ('public.keyed_by_class'), ('public.part_of_class'), ('public.indexed_by_class'),
               ('public.via_operator'), ('public.looked_up'), ('public.far_mine'), ('public.far_given'),
               ('public.far_theirs')) v(v)
  LEFT JOIN LATERAL m.clv_foreign_code(v.v::pg_catalog.regclass, 'regress_clv_admin'::pg_catalog.regrole) f ON true
 ORDER BY 1;
\set VERBOSITY default
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.leaf_of_keyed', 'customer', 'at', 'amount', 'through_key');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.part_of_class', 'customer', 'at', 'amount', 'through_class');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.far_theirs', 'customer', 'at', 'amount', 'through_server');
\set VERBOSITY terse
DROP FOREIGN TABLE public.far_mine, public.far_given, public.far_theirs;
DROP SERVER regress_clv_mine, regress_clv_theirs;
DROP FOREIGN DATA WRAPPER regress_clv_wrapper;
DROP TABLE public.with_statistics, public.keyed_by_call, public.keyed_by_class, public.indexed_by_class, public.looked_up;
DROP VIEW public.via_operator;
DROP OPERATOR CLASS public.compared_ops USING btree;
DROP OPERATOR FAMILY public.compared_ops USING btree;
DROP OPERATOR m.=== (integer, integer);
DROP FUNCTION m.same(integer, integer), m.compared(integer, integer);
DROP TABLE public.parted, public.checked_orders, public.keyed_orders, m.customers;
DROP VIEW public.via_body, public.via_read, public.via_domain;
DROP FUNCTION public.calls_out(), public.reads_out(integer);
DROP DOMAIN public.checked;
DROP TABLE public.plain;
-- a clv_ function in clv's schema that the schema guard did not see (as one
-- committed after clv's install from a transaction open during it, stood
-- for by the guard disabled): a pipeline refuses to run
ALTER EVENT TRIGGER clv_guard_extension_functions DISABLE;
SET ROLE regress_clv_attacker;
CREATE FUNCTION m.clv_base_type(pg_catalog.oid) RETURNS pg_catalog.regtype LANGUAGE sql AS 'SELECT NULL::pg_catalog.regtype';
SET ROLE regress_clv_admin;
ALTER EVENT TRIGGER clv_guard_extension_functions ENABLE;
\set VERBOSITY default
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.orders', 'customer', 'at', 'amount', 'beside_a_plant');
\set VERBOSITY terse
DROP FUNCTION m.clv_base_type(pg_catalog.oid);
-- a channel of the attacker's enum, whose cast to text is the attacker's:
-- read by the enum's output function
CREATE TABLE public.by_channel AS
SELECT o.customer, o.at, o.amount, (CASE WHEN o.channel OPERATOR(pg_catalog.=) 'web' THEN 'web' ELSE 'store' END)::m.channel AS channel
  FROM public.orders o;
INSERT INTO public.by_channel VALUES (1, '2025-06-01', 5, NULL);
SELECT pg_catalog.count(*) > 0 AS made FROM m.clv_create_pipeline('public.by_channel', 'customer', 'at', 'amount', 'by_channel',
                                                                  channel => 'channel', as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
SELECT c.channel, c.customers FROM by_channel.channels c ORDER BY c.channel;
SELECT rolsuper AS attacker_is_superuser FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'regress_clv_attacker';
SELECT pg_catalog.count(*) > 0 AS dropped FROM m.clv_drop_pipeline('by_channel');
-- the planter's own table, whose policy calls the attacker's function, and
-- the attacker's table under row security
SET ROLE regress_clv_planter;
CREATE TABLE public.forced AS SELECT o.customer, o.at, o.amount FROM m.orders_kept o WHERE false;
ALTER TABLE public.forced ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.forced FORCE ROW LEVEL SECURITY;
CREATE POLICY calls_out ON public.forced FOR SELECT USING (m.promote_reader());
\set VERBOSITY default
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('public.forced', 'customer', 'at', 'amount', 'through_own_policy');
SELECT pg_catalog.count(*) FROM m.clv_create_pipeline('m.guarded', 'customer', 'at', 'amount', 'through_policy');
\set VERBOSITY terse
DROP TABLE public.forced;
-- a view of the administrator's, a pipeline's orders, handed over
SET ROLE regress_clv_admin;
CREATE SCHEMA handed_over;
GRANT USAGE, CREATE ON SCHEMA handed_over TO regress_clv_attacker;
CREATE VIEW handed_over.orders AS SELECT o.customer, o.at, o.amount FROM public.orders o;
SELECT pg_catalog.count(*) > 0 AS made FROM m.clv_create_pipeline('handed_over.orders', 'customer', 'at', 'amount', 'handed_view',
                                                                  as_of => '2025-11-01 00:00+00', time_zone => 'UTC');
ALTER VIEW handed_over.orders OWNER TO regress_clv_attacker;
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY terse
SET ROLE regress_clv_attacker;
CREATE OR REPLACE VIEW handed_over.orders AS SELECT o.customer, o.at, o.amount FROM m.my_orders o WHERE m.promote_reader();
\c clv_security
SET client_min_messages = warning;
\set VERBOSITY default
SET ROLE regress_clv_admin;
SELECT pg_catalog.count(*) FROM m.clv_refresh_pipeline('handed_view');
\set VERBOSITY terse
SELECT rolsuper AS attacker_is_superuser FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'regress_clv_attacker';
SELECT pg_catalog.count(*) > 0 AS dropped FROM m.clv_drop_pipeline('handed_view');
DROP SCHEMA handed_over CASCADE;
DROP VIEW m.orders_view, public.admin_view;
DROP MATERIALIZED VIEW m.orders_kept;
DROP TABLE m.guarded, public.indexed, public.by_channel;
DROP CAST (m.channel AS text);
DROP FUNCTION m.folded(integer), m.promote_reader(), m.channel_text(m.channel);
DROP TYPE m.channel, m.channel_pair;
SELECT rolsuper AS attacker_is_superuser FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'regress_clv_attacker';

SELECT public.planted_calls() AS planted_calls_in_all;
\c contrib_regression
DROP DATABASE clv_security;
DROP ROLE regress_clv_attacker;
DROP ROLE regress_clv_planter;
DROP ROLE regress_clv_admin;
