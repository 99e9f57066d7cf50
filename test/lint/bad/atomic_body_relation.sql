-- expect: unqualified-relation 9
-- A BEGIN ATOMIC body is bound when the function is created, so its
-- relations are looked up through the script's search_path.
CREATE FUNCTION @extschema@.setting_count() RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT CASE WHEN true THEN 1 END;
    SELECT pg_catalog.count(*) FROM settings;  -- <- planted
END;
