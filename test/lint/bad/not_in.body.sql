-- expect: implicit-operator 4
SELECT pg_catalog.count(*)
  FROM pg_catalog.pg_proc p
 WHERE p.proname NOT IN (SELECT o.name FROM clv.objects o)  -- <- planted
