-- expect: security-definer 5
CREATE FUNCTION @extschema@.owner_only()
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER  -- <- planted
SET search_path = pg_catalog, pg_temp
AS $$ BEGIN PERFORM pg_catalog.pg_sleep(0); END $$;
