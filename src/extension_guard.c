/*
 * extension_guard.c: the schema clv lives in keeps its name, and clv's names
 * there stay clv's.
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
 *
 * The schema itself may belong to that role (a trusted extension is
 * installed into a schema of the installer's choosing), which can then add
 * functions to it.  A call that names the schema considers only its
 * functions, but takes the best match among them: a function named like one
 * of clv's whose parameters match a call's arguments more closely than
 * clv's (oid where clv's takes regtype, numeric where it takes float8, any
 * concrete type where it takes "any") would be the one called.  So a second
 * event trigger, created before any other function of the install script
 * and of the update to 0.4.0 (in the joined updates from older versions,
 * after their older parts, whose functions the first created after it
 * checks with the rest), refuses a function in the schema whose name begins with
 * clv_ unless it is clv's: a member of the extension owned by a superuser.
 * Both, since the extension's owner (that role) may add its own functions to
 * the extension, and a type's constructors (CREATE TYPE ... AS RANGE) belong
 * to the bootstrap superuser under a name of their creator's choosing.
 * clv's own functions belong to the superuser who ran its scripts (the
 * bootstrap superuser when a role without superuser ran them; one superuser
 * may install and another update).
 *
 * It runs after each command that can create a function or move one in
 * (CREATE and ALTER FUNCTION, PROCEDURE, AGGREGATE, ROUTINE, TYPE,
 * EXTENSION), and checks the functions that command wrote: their pg_proc
 * rows are the current transaction's.  While clv's own install or update
 * script runs it checks every function there, so that one planted before
 * CREATE EXTENSION or ALTER EXTENSION UPDATE makes it fail.  What it cannot
 * see is a function created in a transaction still open while clv is
 * installed, and committed after: its check rests on the catalog as the
 * command sees it.  So a pipeline, which a superuser may run, checks the
 * whole schema again before it reads anything (clv_check_extension_functions,
 * the same check).  Calls whose arguments match clv's parameters exactly
 * leave nothing to choose; this guard is for those that do not.  Both
 * checks also refuse a schema whose name has a '%' sign
 * (refuse_format_specifier_in_schema says why).
 */
#include "clv.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"

PG_FUNCTION_INFO_V1(clv_guard_extension_schema);
PG_FUNCTION_INFO_V1(clv_guard_extension_functions);
PG_FUNCTION_INFO_V1(clv_check_extension_functions);

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

/*
 * The first function in clv's schema named clv_... that is not clv's (a
 * member of the extension, owned by a superuser): among every one there, or
 * among those the current transaction wrote.  InvalidOid when there is none.
 */
static Oid
find_foreign_function(Oid schema, Oid extension, bool written_by_this_transaction)
{
	NameData	first;
	NameData	past;
	Relation	procs;
	SysScanDesc scan;
	ScanKeyData keys[2];
	HeapTuple	tuple;
	Oid			foreign_function = InvalidOid;

	/*
	 * The functions named clv_..., in every schema (a few hundred per
	 * install of clv): the range of names from "clv_" up to "clv`", the
	 * character after '_', in the index on (proname, proargtypes,
	 * pronamespace), whose names compare bytewise (C collation).
	 */
	namestrcpy(&first, "clv_");
	namestrcpy(&past, "clv`");
	ScanKeyInit(&keys[0], Anum_pg_proc_proname, BTGreaterEqualStrategyNumber, F_NAMEGE, NameGetDatum(&first));
	ScanKeyInit(&keys[1], Anum_pg_proc_proname, BTLessStrategyNumber, F_NAMELT, NameGetDatum(&past));
	procs = table_open(ProcedureRelationId, AccessShareLock);
	scan = systable_beginscan(procs, ProcedureNameArgsNspIndexId, true, NULL, 2, keys);
	while ((tuple = systable_getnext(scan)) != NULL)
	{
		Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tuple);

		if (proc->pronamespace != schema)
			continue;
		if (written_by_this_transaction && !TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tuple->t_data)))
			continue;
		if (!superuser_arg(proc->proowner) || getExtensionOfObject(ProcedureRelationId, proc->oid) != extension)
		{
			foreign_function = proc->oid;
			break;
		}
	}
	systable_endscan(scan);
	table_close(procs, AccessShareLock);
	return foreign_function;
}

/*
 * Refuses the command or call when find_foreign_function finds a function.
 */
static void
refuse_foreign_function(Oid schema, Oid extension, bool written_by_this_transaction)
{
	Oid			foreign_function = find_foreign_function(schema, extension, written_by_this_transaction);

	if (OidIsValid(foreign_function))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("function %s cannot be in the schema of extension \"clv\"",
						format_procedure_qualified(foreign_function)),
				 errdetail("Names beginning with clv_ there are kept for clv's own functions, which call each other by "
						   "name: another function of the same name, matching a call's arguments more closely, would "
						   "be called in their place."),
				 errhint("Give the function another name, or put it in another schema.")));
}

/*
 * clv's bodies build SQL with pg_catalog.format() from text naming their
 * schema (@extschema@, written into the text when the script runs), often
 * as part of the format string itself: a '%' in that name would be read as
 * a format specifier, so that "clv%%".clv_x in a body became "clv%".clv_x in
 * the SQL it runs, a schema that any role with CREATE on the database can
 * make and fill with functions clv would then call with its callers'
 * rights.  PostgreSQL refuses quotes, '$', '\', line breaks and comment
 * markers in the name it writes for @extschema@ (the list depends on the
 * minor release); clv refuses '%' as well, while its own install or update
 * script runs (the name is fixed then: the schema cannot be renamed after,
 * above), and again whenever a pipeline, its report or an evaluation
 * checks the schema before it runs SQL of its own making.
 */
static void
refuse_format_specifier_in_schema(Oid schema)
{
	char	   *name = get_namespace_name(schema);

	if (name != NULL && strchr(name, '%') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the clv extension cannot be in schema %s", quote_identifier(name)),
				 errdetail("clv's functions build SQL with format() from text naming their schema, where a %% sign "
						   "would be read as a format specifier and name another schema."),
				 errhint("Install clv in a schema whose name has no %% sign; an installed clv moves by DROP EXTENSION "
						 "clv, then CREATE EXTENSION clv SCHEMA with another schema.")));
}

/*
 * clv_guard_extension_functions(): an event trigger at ddl_command_end.
 * Refuses the command when clv's schema holds a function named clv_...
 * that is not clv's: among the functions the command wrote, or among all
 * while clv's own script runs.
 */
Datum
clv_guard_extension_functions(PG_FUNCTION_ARGS)
{
	Oid			schema;
	Oid			extension;
	bool		own_script_runs;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("clv_guard_extension_functions can only be called as an event trigger")));
	/* this function is one of clv's: its schema and extension are clv's */
	schema = get_func_namespace(fcinfo->flinfo->fn_oid);
	extension = getExtensionOfObject(ProcedureRelationId, fcinfo->flinfo->fn_oid);
	own_script_runs = creating_extension && CurrentExtensionObject == extension;
	if (own_script_runs)
		refuse_format_specifier_in_schema(schema);
	refuse_foreign_function(schema, extension, !own_script_runs);
	PG_RETURN_VOID();
}

/*
 * clv_check_extension_functions(): the same check over every function in
 * clv's schema, whenever called.  A pipeline makes it before it reads
 * anything, since the event trigger cannot see a function made in a
 * transaction open while clv was installed and committed after.
 */
Datum
clv_check_extension_functions(PG_FUNCTION_ARGS)
{
	Oid			schema = get_func_namespace(fcinfo->flinfo->fn_oid);

	refuse_format_specifier_in_schema(schema);
	refuse_foreign_function(schema, getExtensionOfObject(ProcedureRelationId, fcinfo->flinfo->fn_oid), false);
	PG_RETURN_VOID();
}
