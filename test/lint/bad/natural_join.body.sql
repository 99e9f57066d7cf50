-- expect: implicit-operator 4
SELECT *
  FROM clv.activity a
  NATURAL JOIN clv.acquired n  -- <- planted
