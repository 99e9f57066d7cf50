------------------------------------------------------------------------------
-- The schema clv lives in keeps its name, and clv's names there stay clv's
-- (src/extension_guard.c).  First in the script: the second event trigger
-- checks the schema after each function created below.
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

-- The schema may be its installer's, who can add functions to it: one named
-- like clv's, with parameters closer to a call's arguments than clv's, would
-- be called in its place, with the caller's rights.  A function named clv_...
-- there that is not clv's (a member of the extension owned by a superuser)
-- is refused whenever a command creates one or moves one in, and while this
-- script runs, so that one planted beforehand makes it fail.
CREATE FUNCTION @extschema@.clv_guard_extension_functions()
RETURNS event_trigger AS 'MODULE_PATHNAME', 'clv_guard_extension_functions'
LANGUAGE C;

CREATE EVENT TRIGGER clv_guard_extension_functions ON ddl_command_end
    WHEN TAG IN ('CREATE FUNCTION', 'ALTER FUNCTION', 'CREATE AGGREGATE', 'ALTER AGGREGATE',
                 'CREATE PROCEDURE', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'CREATE TYPE', 'ALTER TYPE',
                 'CREATE EXTENSION', 'ALTER EXTENSION')
    EXECUTE FUNCTION @extschema@.clv_guard_extension_functions();

COMMENT ON FUNCTION @extschema@.clv_guard_extension_functions() IS
'internal: refuses a function in clv''s schema named clv_... that is not clv''s (a member of the extension owned by a superuser)';

-- The same check over the whole schema, for a pipeline to make before it
-- reads anything: the event trigger cannot see a function made in a
-- transaction open during the install and committed after.  Both refuse a
-- schema whose name has a % sign, which the SQL clv's bodies build with
-- format() from text naming the schema would read as a format specifier.
CREATE FUNCTION @extschema@.clv_check_extension_functions()
RETURNS void AS 'MODULE_PATHNAME', 'clv_check_extension_functions'
LANGUAGE C VOLATILE;

COMMENT ON FUNCTION @extschema@.clv_check_extension_functions() IS
'internal: refuses, whenever called, a function in clv''s schema named clv_... that is not clv''s, and a schema name with a % sign';
