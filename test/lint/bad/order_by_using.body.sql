-- expect: implicit-operator 4
SELECT s.x
  FROM clv.samples s
 ORDER BY s.x USING <  -- <- planted
