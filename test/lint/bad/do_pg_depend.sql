-- expect: unqualified-relation 9
-- pg_depend without pg_catalog: for relations pg_temp is searched first, so
-- a temporary table of the installing role would be read instead.
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT pg_catalog.count(*) INTO n
      FROM pg_depend d  -- <- planted
     WHERE d.deptype OPERATOR(pg_catalog.=) 'e';
END
$$;
