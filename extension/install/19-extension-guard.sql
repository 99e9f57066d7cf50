------------------------------------------------------------------------------
-- The schema clv lives in keeps its name (src/extension_guard.c)
------------------------------------------------------------------------------

-- clv's bodies name each other with this schema's name: renamed, it could be
-- replaced by a schema of someone else's holding functions of the same
-- names, which clv's bodies would call with their callers' rights.
CREATE FUNCTION @extschema@.clv_guard_extension_schema()
RETURNS event_trigger AS 'MODULE_PATHNAME', 'clv_guard_extension_schema'
LANGUAGE C;

CREATE EVENT TRIGGER clv_guard_extension_schema ON ddl_command_start
    WHEN TAG IN ('ALTER SCHEMA')
    EXECUTE FUNCTION @extschema@.clv_guard_extension_schema();

COMMENT ON FUNCTION @extschema@.clv_guard_extension_schema() IS
'internal: refuses to rename the schema that holds clv, whose functions name each other with it';
