-- expect: unqualified-operator 2
SELECT 'top ' || pg_catalog.format('%s%%', c)  -- <- planted
  FROM pg_catalog.unnest(cutoffs) AS c
