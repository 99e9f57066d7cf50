-- expect: unqualified-operator 11
-- An install-time DO block comparing an oid column with a regclass through
-- the = that search_path finds (an oid = regclass overload planted in the
-- target schema would win).
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT pg_catalog.count(*) INTO n
      FROM pg_catalog.pg_depend d
     WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass  -- <- planted
       AND d.deptype OPERATOR(pg_catalog.=) 'e';
END
$$;
