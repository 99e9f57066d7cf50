-- expect: unqualified-function 6
-- In a MERGE, THEN INSERT (columns) after WHEN NOT MATCHED is grammar; a
-- function named insert called after THEN elsewhere is a call.
MERGE INTO clv.target d
USING (SELECT 1 AS k) f ON d.k OPERATOR(pg_catalog.=) f.k
 WHEN MATCHED THEN UPDATE SET v = CASE WHEN f.k OPERATOR(pg_catalog.>) 0 THEN insert(f.k) END  -- <- planted
 WHEN NOT MATCHED THEN INSERT (k) VALUES (f.k)
