-- expect: unqualified-function 7
-- expect: unqualified-function 8
-- expect: unqualified-function 9
-- A column may be named matched: CASE WHEN NOT matched THEN insert(x) END
-- calls a function named insert, in a MERGE's ON clause, its WHEN's
-- condition or its UPDATE SET alike.
MERGE INTO clv.target d USING clv.source f ON d.k OPERATOR(pg_catalog.=) CASE WHEN NOT f.matched THEN insert(f.k) END  -- <- planted
 WHEN MATCHED AND CASE WHEN NOT matched THEN insert(f.k) END THEN UPDATE SET v = 1  -- <- planted
 WHEN MATCHED THEN UPDATE SET v = CASE WHEN NOT matched THEN insert(f.k) END  -- <- planted
 WHEN NOT MATCHED THEN INSERT (k) VALUES (f.k)
