-- expect: unqualified-operator 4
/* a comment /* with a nested one */ that still
   goes on: a = b */
SELECT a < b  -- <- planted
  FROM clv.pairs
