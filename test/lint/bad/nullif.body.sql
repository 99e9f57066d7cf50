-- expect: implicit-operator 2
SELECT a OPERATOR(pg_catalog./) NULLIF(b, 0)  -- <- planted
