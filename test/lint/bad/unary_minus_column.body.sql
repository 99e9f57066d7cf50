-- expect: unqualified-operator 4
-- "-1" is folded into the constant; "-x" calls a prefix operator.
SELECT -1 AS minus_one,
       -x AS minus_x  -- <- planted
  FROM pg_catalog.generate_series(1, 3) AS g(x)
