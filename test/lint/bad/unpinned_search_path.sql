-- expect: unpinned-search-path 2
CREATE FUNCTION @extschema@.double(x float8)  -- <- planted
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT x OPERATOR(pg_catalog.*) 2 $$;
