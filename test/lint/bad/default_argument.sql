-- expect: unqualified-function 4
-- Argument defaults are expressions, parsed at CREATE time.
CREATE FUNCTION @extschema@.stamp(
    at timestamptz DEFAULT now())  -- <- planted
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT at $$;
