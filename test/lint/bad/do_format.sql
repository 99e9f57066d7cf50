-- expect: unqualified-function 8
-- format() without its schema in an install-time DO block.
DO $$
DECLARE
    f regprocedure := 'pg_catalog.now()'::pg_catalog.regprocedure;
BEGIN
    RAISE NOTICE '%',
        format('ALTER FUNCTION %s COST 100', f);  -- <- planted
END
$$;
