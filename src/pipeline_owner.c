/*
 * pipeline_owner.c: a pipeline's maintenance runs as the pipeline's owner.
 *
 * A pipeline is a schema of tables that its owner can change at will: add a
 * trigger to one, replace another with a view, rewrite the registry row
 * that names the orders table.  Whoever refreshes or drops the pipeline
 * executes what the owner put there.  PostgreSQL's own maintenance commands
 * (REFRESH MATERIALIZED VIEW, VACUUM, REINDEX) meet the same problem and
 * answer it the same way: the caller must be the owner or act for it, and
 * the work runs with the owner's user id in a security-restricted operation
 * (no SET ROLE or RESET ROLE back to the caller, no temporary objects that
 * would outlive the command in the caller's session, GUC changes undone),
 * with a search_path that only holds pg_catalog.  So a superuser, a pg_cron
 * job or any member of the owner's role can refresh someone's pipeline
 * without lending it any right the owner does not have.
 *
 * clv_refresh_pipeline and clv_drop_pipeline are the C entry points; the
 * steps themselves are PL/pgSQL functions (clv_pipeline_refresh_steps,
 * clv_pipeline_drop_steps) that refuse to run anywhere but inside the
 * context set up here for that very pipeline (clv_pipeline_owner_check).
 */
#include "clv.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#define PIPELINE_REGISTRY "clv_pipeline"

/*
 * The pipeline whose steps may run now: set while a refresh or drop runs
 * as its owner, InvalidOid otherwise.  A step started any other way (a
 * direct call, or a nested call for another pipeline from code the owner
 * planted) is refused.
 */
static Oid	active_pipeline_schema = InvalidOid;

typedef struct PipelineIdentity
{
	Oid			schema;
	Oid			registry;
	Oid			owner;
	const char *schema_name;
} PipelineIdentity;

/*
 * The pipeline in target_schema, found through the catalogs only: nothing
 * the owner controls is read or run before the owner's rights are taken.
 */
static PipelineIdentity
pipeline_identity(Name target_schema)
{
	PipelineIdentity id;
	HeapTuple	tuple;
	Form_pg_class registry;
	Oid			schema_owner;

	id.schema_name = NameStr(*target_schema);
	id.schema = get_namespace_oid(id.schema_name, true);
	id.registry = OidIsValid(id.schema) ? get_relname_relid(PIPELINE_REGISTRY, id.schema) : InvalidOid;
	tuple = OidIsValid(id.registry) ? SearchSysCache1(RELOID, ObjectIdGetDatum(id.registry)) : NULL;
	if (!HeapTupleIsValid(tuple) || ((Form_pg_class) GETSTRUCT(tuple))->relkind != RELKIND_RELATION)
	{
		if (HeapTupleIsValid(tuple))
			ReleaseSysCache(tuple);
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("schema %s holds no clv pipeline", quote_identifier(id.schema_name)),
				 errhint("Create one with clv_create_pipeline().")));
	}
	registry = (Form_pg_class) GETSTRUCT(tuple);
	id.owner = registry->relowner;
	ReleaseSysCache(tuple);

	/*
	 * The schema's owner can drop and replace any table in it, so a schema
	 * owned by another role (even one the owner is a member of, or one a
	 * superuser's pipeline sits in) could slip that role's code into the
	 * pipeline owner's refresh.
	 */
	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(id.schema));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for schema %u", id.schema);
	schema_owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	if (schema_owner != id.owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schema %s is owned by role %s, not by the pipeline's owner %s",
						quote_identifier(id.schema_name),
						GetUserNameFromId(schema_owner, false), GetUserNameFromId(id.owner, false)),
				 errdetail("The schema's owner could replace the pipeline's tables with objects of its own."),
				 errhint("Give the schema back to %s, or drop the pipeline and create it in a schema of the owner's.",
						 GetUserNameFromId(id.owner, false))));
	return id;
}

static void
check_may_act_as_owner(const PipelineIdentity *id, const char *action)
{
	if (!has_privs_of_role(GetUserId(), id->owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s pipeline %s", action, quote_identifier(id->schema_name)),
				 errdetail("Only the pipeline's owner %s, a member of that role or a superuser may %s it.",
						   GetUserNameFromId(id->owner, false), action),
				 errhint("Run it as role %s, for example from a pg_cron job that %s scheduled.",
						 GetUserNameFromId(id->owner, false), GetUserNameFromId(id->owner, false))));
}

/*
 * Runs "SELECT * FROM <clv's schema>.<step>(target_schema, args...)" as the
 * pipeline's owner in a security-restricted operation, and returns its text
 * rows through the materialize protocol.  Errors need no cleanup here: the
 * (sub)transaction abort restores the user id, the security context and the
 * GUCs, and the static is put back by PG_FINALLY.
 */
static Datum
run_pipeline_step(FunctionCallInfo fcinfo, const char *action, const char *step,
				  int nextra, Oid *extra_types, Datum *extra_values)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PipelineIdentity id;
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
	Oid			outer_schema = active_pipeline_schema;
	char	   *clv_schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	StringInfoData query;
	Oid			argtypes[4];
	Datum		values[4];

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target_schema must not be null"),
				 errhint("Name the schema that clv_create_pipeline built, such as 'clv_report'.")));
	for (int i = 0; i < nextra; i++)
		if (PG_ARGISNULL(i + 1))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the options of clv_%s_pipeline must not be null", action)));
	Assert(nextra < 4);

	id = pipeline_identity(PG_GETARG_NAME(0));
	check_may_act_as_owner(&id, action);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT * FROM %s.%s($1", quote_identifier(clv_schema), step);
	argtypes[0] = NAMEOID;
	values[0] = PG_GETARG_DATUM(0);
	for (int i = 0; i < nextra; i++)
	{
		appendStringInfo(&query, ", $%d", i + 2);
		argtypes[i + 1] = extra_types[i];
		values[i + 1] = extra_values[i];
	}
	appendStringInfoChar(&query, ')');

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(id.owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	active_pipeline_schema = id.schema;
	PG_TRY();
	{
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute_with_args(query.data, nextra + 1, argtypes, values, NULL, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "running %s failed: %s", step, SPI_result_code_string(ret));
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			bool		isnull;
			Datum		line = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);
			MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

			/* the tuplestore copies the datum into its own memory */
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &line, &isnull);
			MemoryContextSwitchTo(old);
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		active_pipeline_schema = outer_schema;
	}
	PG_END_TRY();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(clv_refresh_pipeline);

/* clv_refresh_pipeline(target_schema name, concurrent boolean, incremental boolean) */
Datum
clv_refresh_pipeline(PG_FUNCTION_ARGS)
{
	Oid			types[2] = {BOOLOID, BOOLOID};
	Datum		values[2] = {PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};

	return run_pipeline_step(fcinfo, "refresh", "clv_pipeline_refresh_steps", 2, types, values);
}

PG_FUNCTION_INFO_V1(clv_drop_pipeline);

/* clv_drop_pipeline(target_schema name) */
Datum
clv_drop_pipeline(PG_FUNCTION_ARGS)
{
	return run_pipeline_step(fcinfo, "drop", "clv_pipeline_drop_steps", 0, NULL, NULL);
}

PG_FUNCTION_INFO_V1(clv_pipeline_owner_check);

/*
 * clv_pipeline_owner_check(target_schema name): the first call of every
 * pipeline step; an error unless the step runs inside run_pipeline_step for
 * this schema, as its owner, in a security-restricted operation.
 */
Datum
clv_pipeline_owner_check(PG_FUNCTION_ARGS)
{
	Oid			schema = PG_ARGISNULL(0) ? InvalidOid : get_namespace_oid(NameStr(*PG_GETARG_NAME(0)), true);

	if (!OidIsValid(schema) || schema != active_pipeline_schema || !InSecurityRestrictedOperation())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("a pipeline's steps run only through clv_refresh_pipeline and clv_drop_pipeline"),
				 errdetail("They run as the pipeline's owner, in a security-restricted operation.")));
	PG_RETURN_VOID();
}
