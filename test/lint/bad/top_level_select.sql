-- expect: unqualified-function 3
-- A top-level SELECT runs at install time.
SELECT pg_extension_config_dump('@extschema@.settings', '');  -- <- planted
