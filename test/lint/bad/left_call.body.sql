-- expect: unqualified-function 3
-- left() is an ordinary function (LEFT JOIN is syntax).
SELECT left(t.name, 3)  -- <- planted
  FROM clv.texts t LEFT JOIN clv.more m ON m.id OPERATOR(pg_catalog.=) t.id
