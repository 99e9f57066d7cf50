-- expect: create-or-replace-in-install 11
-- IF NOT EXISTS in a base install keeps whatever was planted.  (An IF NOT
-- EXISTS (...) THEN in a DO block is a condition and is fine.)
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) 'x') THEN
        RAISE NOTICE 'no role x';
    END IF;
END
$$;
CREATE TABLE IF NOT EXISTS @extschema@.settings (id integer PRIMARY KEY);  -- <- planted
