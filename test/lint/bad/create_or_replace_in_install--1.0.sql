-- expect: create-or-replace-in-install 4
-- A base install script (name--version.sql): an object planted in the
-- schema beforehand would be adopted and replaced, owner and all.
CREATE OR REPLACE FUNCTION @extschema@.double(x float8)  -- <- planted
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT x OPERATOR(pg_catalog.*) 2 $$;
