-- expect: implicit-operator 4
SELECT n.nspname
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname LIKE 'clv%'  -- <- planted
