-- expect: implicit-operator 2
SELECT pg_catalog.count(*) FILTER (WHERE r.period_number BETWEEN 1 AND 12)  -- <- planted
  FROM clv.cohorts r
