-- expect: unqualified-function 12
-- lint-test: frozen
-- A frozen file's DO blocks still run at install time and are checked.
CREATE FUNCTION @extschema@.legacy(a integer)
RETURNS integer
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT abs(a) OPERATOR(pg_catalog.+) 1 $$;

DO $$
BEGIN
    PERFORM set_config('clv.legacy', 'on', true);  -- <- planted
END
$$;
