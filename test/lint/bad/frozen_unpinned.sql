-- expect: unpinned-search-path 4
-- lint-test: frozen
-- A frozen file's bodies are not checked, but search_path must be pinned.
CREATE FUNCTION @extschema@.legacy(a integer)  -- <- planted
RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$ BEGIN RETURN abs(a) + 1; END $$;
