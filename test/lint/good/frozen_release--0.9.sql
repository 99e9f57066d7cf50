-- lint-test: frozen
-- A released script: its function bodies are historical (the installed
-- bodies are linted separately), but its headers, top-level statements and
-- DO blocks still are, and every routine pins search_path.
\echo Use "CREATE EXTENSION frozen_release" to load this file. \quit

CREATE FUNCTION @extschema@.legacy(a integer, b integer DEFAULT -1)
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF a IN (1, 2) AND b BETWEEN 1 AND 3 THEN
        RETURN format('%s', a || b)::integer;
    END IF;
    RETURN nullif(a, b) - b;
END
$$;

CREATE FUNCTION @extschema@.legacy_sql(t text)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT replace(t, '&', '&amp;') || CASE t WHEN '' THEN 'empty' END $$;

DO $$
BEGIN
    PERFORM pg_catalog.set_config('clv.frozen', 'yes', true);
END
$$;
