-- expect: unpinned-search-path 2
CREATE FUNCTION @extschema@.double(x float8)  -- <- planted
RETURNS float8
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, public
AS $$ BEGIN RETURN x OPERATOR(pg_catalog.*) 2; END $$;
