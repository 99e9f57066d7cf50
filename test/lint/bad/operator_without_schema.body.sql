-- expect: unqualified-operator 2
SELECT a OPERATOR(=) b  -- <- planted
  FROM clv.pairs
