-- expect: unqualified-function 5
-- SUBSTRING(x FROM 2) is turned into pg_catalog.substring by the parser;
-- substring(x, 2) with commas is an ordinary call.
SELECT substring(t FROM 2 FOR 3),
       substring(t, 2, 3)  -- <- planted
  FROM clv.texts
