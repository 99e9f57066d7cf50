-- expect: unqualified-relation 7
-- The second item of a FROM list is a relation too.
DO $$
BEGIN
    PERFORM 1
       FROM pg_catalog.pg_class c,
            pg_namespace n  -- <- planted
      WHERE n.oid OPERATOR(pg_catalog.=) c.relnamespace;
END
$$;
