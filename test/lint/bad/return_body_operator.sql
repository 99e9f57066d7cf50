-- expect: unqualified-operator 7
-- A RETURN body is parsed when the function is created, under the script's
-- search_path.
CREATE FUNCTION @extschema@.half(x float8) RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN x / 2;  -- <- planted
