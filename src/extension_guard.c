/*
 * extension_guard.c: the schema clv lives in keeps its name.
 *
 * clv is not relocatable: its SQL and PL/pgSQL bodies name each other with
 * the schema chosen at CREATE EXTENSION (@extschema@), so that no caller's
 * search_path can redirect them.  Renamed, that schema would leave every
 * such name pointing at a schema that no longer exists, which whoever can
 * create schemas could then create, with functions of the same names that
 * clv's bodies would call with their caller's rights: a superuser's call of
 * a clv function in an extension installed by an unprivileged role would
 * run that role's code.  An event trigger of the extension's refuses the
 * rename.  (Dropping the schema drops the extension with it.)
 */
#include "clv.h"

#include "catalog/namespace.h"
#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(clv_guard_extension_schema);

Datum
clv_guard_extension_schema(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	RenameStmt *rename;
	Oid			schema;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("clv_guard_extension_schema can only be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!IsA(trigdata->parsetree, RenameStmt))
		PG_RETURN_VOID();
	rename = (RenameStmt *) trigdata->parsetree;
	if (rename->renameType != OBJECT_SCHEMA || rename->subname == NULL)
		PG_RETURN_VOID();
	/* this function is one of clv's: its schema is clv's */
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	if (get_namespace_oid(rename->subname, true) == schema)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema %s cannot be renamed: the clv extension lives there",
						quote_identifier(rename->subname)),
				 errdetail("clv's functions name each other with this schema's name."),
				 errhint("DROP EXTENSION clv, rename the schema, then CREATE EXTENSION clv SCHEMA with the new name.")));
	PG_RETURN_VOID();
}
