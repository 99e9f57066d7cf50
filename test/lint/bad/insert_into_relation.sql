-- expect: unqualified-relation 4
-- A top-level INSERT runs at install time.
WITH rows AS (SELECT 1 AS id)
INSERT INTO clv_settings (id)  -- <- planted
SELECT r.id FROM rows r;
