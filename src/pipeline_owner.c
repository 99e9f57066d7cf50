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
 * clv_refresh_pipeline, clv_drop_pipeline and clv_report_html are the C
 * entry points; the steps themselves are PL/pgSQL functions
 * (clv_pipeline_refresh_steps, clv_pipeline_drop_steps,
 * clv_pipeline_report_steps) that refuse to run anywhere but inside the
 * context set up here for that very pipeline (clv_pipeline_owner_check).
 * The report is for readers too: whoever may SELECT the tables it reads
 * gets it, read as the owner (running the owner's code, if any, in the
 * owner's sandbox rather than the reader's session).
 */
#include "pipeline.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
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
 * Enter the owner's sandbox: the owner's user id, no SET ROLE or temporary
 * objects (a security-restricted operation), GUC changes undone on leaving,
 * and a search_path that only holds pg_catalog.  Errors need no cleanup:
 * the (sub)transaction abort restores the user id, the security context
 * and the GUCs.
 */
void
clv_enter_owner_context(Oid owner, ClvOwnerContext *context)
{
	GetUserIdAndSecContext(&context->save_userid, &context->save_sec_context);
	SetUserIdAndSecContext(owner, context->save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	context->save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
clv_leave_owner_context(const ClvOwnerContext *context)
{
	AtEOXact_GUC(false, context->save_nestlevel);
	SetUserIdAndSecContext(context->save_userid, context->save_sec_context);
}

/*
 * The owner of relid if it is of relkind (a plain table: a view, a
 * partitioned or a foreign table in its place is not), else InvalidOid;
 * whether it has row security, when asked.
 */
Oid
clv_relation_owner(Oid relid, char relkind, bool *row_security)
{
	HeapTuple	tuple;
	Form_pg_class rel;
	Oid			owner = InvalidOid;

	if (!OidIsValid(relid))
		return InvalidOid;
	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	rel = (Form_pg_class) GETSTRUCT(tuple);
	if (rel->relkind == relkind)
		owner = rel->relowner;
	if (row_security)
		*row_security = rel->relrowsecurity;
	ReleaseSysCache(tuple);
	return owner;
}

/* the owner of a schema, InvalidOid if it is gone */
Oid
clv_namespace_owner(Oid nspid)
{
	HeapTuple	tuple = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		return InvalidOid;
	owner = ((Form_pg_namespace) GETSTRUCT(tuple))->nspowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * The pipeline in target_schema, found through the catalogs only: nothing
 * the owner controls is read or run before the owner's rights are taken.
 */
static PipelineIdentity
pipeline_identity(Name target_schema)
{
	PipelineIdentity id;
	Oid			schema_owner;

	id.schema_name = NameStr(*target_schema);
	id.schema = get_namespace_oid(id.schema_name, true);
	id.registry = OidIsValid(id.schema) ? get_relname_relid(PIPELINE_REGISTRY, id.schema) : InvalidOid;
	id.owner = clv_relation_owner(id.registry, RELKIND_RELATION, NULL);
	if (!OidIsValid(id.owner))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("schema %s holds no clv pipeline", quote_identifier(id.schema_name)),
				 errhint("Create one with clv_create_pipeline().")));

	/*
	 * The schema's owner can drop and replace any table in it, so a schema
	 * owned by another role (even one the owner is a member of, or one a
	 * superuser's pipeline sits in) could slip that role's code into the
	 * pipeline owner's refresh.
	 */
	schema_owner = clv_namespace_owner(id.schema);
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
 * The pipeline is named, not an option: a NULL target_schema is an error
 * (taking the default schema instead could refresh or drop another
 * pipeline).  The options given as NULL take their defaults in the steps.
 */
static void
check_target_schema_given(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("target_schema must not be null"),
				 errhint("Name the schema that clv_create_pipeline built, such as 'clv_report'.")));
}

/*
 * What the report reads of a pipeline: the tables and views that
 * clv_create_pipeline made, and whether the caller must be allowed to read
 * each (the views read the working tables with their owner's rights, as
 * they do for every reader).
 */
typedef struct ReadRelation
{
	const char *name;
	char		relkind;
	bool		caller_reads;
	bool		optional;		/* made only for some pipelines (channels, model_evaluation) */
} ReadRelation;

/*
 * The report reads the pipeline as its owner, for a caller who may read
 * what it reads: each relation must be of the kind the pipeline made and
 * its owner's, a table without row security, and the caller must have
 * SELECT on what it reads.  They are locked first, so that none can be
 * swapped for something else between this check and the reading.
 */
static void
check_may_read(const PipelineIdentity *id, const ReadRelation *relations, int nrelations)
{
	for (int i = 0; i < nrelations; i++)
	{
		const char *name = relations[i].name;
		Oid			relid = get_relname_relid(name, id->schema);
		bool		row_security = false;

		if (!OidIsValid(relid) && relations[i].optional)
			continue;
		if (!OidIsValid(relid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("pipeline %s has no %s %s", quote_identifier(id->schema_name),
							relations[i].relkind == RELKIND_VIEW ? "view" : "table", quote_identifier(name)),
					 errhint("Drop the pipeline and create it again.")));
		LockRelationOid(relid, AccessShareLock);
		if (clv_relation_owner(relid, relations[i].relkind, &row_security) != id->owner || row_security)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("pipeline %s cannot be read safely: %s", quote_identifier(id->schema_name),
							quote_identifier(name)),
					 errdetail("What a report reads must be the pipeline owner's, tables without row security and views, as clv_create_pipeline made them."),
					 errhint("Drop the pipeline and create it again.")));
		if (relations[i].caller_reads && pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for %s %s", relations[i].relkind == RELKIND_VIEW ? "view" : "table",
							quote_qualified_identifier(id->schema_name, name)),
					 errhint("The pipeline's owner can GRANT SELECT ON ALL TABLES IN SCHEMA %s TO the reader.",
							 quote_identifier(id->schema_name))));
	}
}

typedef enum StepResult
{
	STEP_ROWS,					/* a set of text, returned as such */
	STEP_TEXT					/* one text value */
} StepResult;

/*
 * Runs "SELECT * FROM <clv's schema>.<step>(args...)" (the function's own
 * arguments) as the pipeline's owner in a security-restricted operation,
 * and returns its text rows through the materialize protocol, or its one
 * text value.  Errors need no cleanup here: the (sub)transaction abort
 * restores the user id, the security context and the GUCs, and the static
 * is put back by PG_FINALLY.
 */
static Datum
run_pipeline_step(FunctionCallInfo fcinfo, const PipelineIdentity *id, const char *step,
				  StepResult result)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ClvOwnerContext context;
	Oid			outer_schema = active_pipeline_schema;
	char	   *clv_schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	StringInfoData query;
	Oid			argtypes[FUNC_MAX_ARGS];
	Datum		values[FUNC_MAX_ARGS];
	char		nulls[FUNC_MAX_ARGS];
	Datum		value = (Datum) 0;
	bool		isnull = true;

	if (result == STEP_ROWS)
		InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	initStringInfo(&query);
	appendStringInfo(&query, "SELECT * FROM %s.%s(", quote_identifier(clv_schema), step);
	for (int i = 0; i < PG_NARGS(); i++)
	{
		appendStringInfo(&query, "%s$%d", i > 0 ? ", " : "", i + 1);
		argtypes[i] = get_fn_expr_argtype(fcinfo->flinfo, i);
		values[i] = PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	appendStringInfoChar(&query, ')');

	clv_enter_owner_context(id->owner, &context);
	active_pipeline_schema = id->schema;
	PG_TRY();
	{
		int			ret;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		ret = SPI_execute_with_args(query.data, PG_NARGS(), argtypes, values, nulls, false, 0);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "running %s failed: %s", step, SPI_result_code_string(ret));
		for (uint64 row = 0; row < SPI_processed; row++)
		{
			Datum		line = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1, &isnull);

			if (result == STEP_ROWS)
			{
				MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

				/* the tuplestore copies the datum into its own memory */
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &line, &isnull);
				MemoryContextSwitchTo(old);
			}
			else if (row == 0 && !isnull)
				value = SPI_datumTransfer(line, false, -1);
		}
		if (result == STEP_TEXT && SPI_processed == 0)
			isnull = true;
		SPI_finish();
	}
	PG_FINALLY();
	{
		active_pipeline_schema = outer_schema;
	}
	PG_END_TRY();
	clv_leave_owner_context(&context);
	if (result == STEP_ROWS)
		return (Datum) 0;
	if (isnull)
		PG_RETURN_NULL();
	return value;
}

/*
 * What refresh and drop share: the pipeline named by the first argument,
 * the caller allowed to act (as action) for its owner, and the step run as
 * the owner with the arguments passed through, one row per line it reports.
 */
static Datum
run_owner_step(FunctionCallInfo fcinfo, const char *action, const char *step_function)
{
	PipelineIdentity id;

	check_target_schema_given(fcinfo);
	id = pipeline_identity(PG_GETARG_NAME(0));
	check_may_act_as_owner(&id, action);
	return run_pipeline_step(fcinfo, &id, step_function, STEP_ROWS);
}

PG_FUNCTION_INFO_V1(clv_refresh_pipeline);

/* clv_refresh_pipeline(target_schema name, concurrent boolean, incremental boolean) */
Datum
clv_refresh_pipeline(PG_FUNCTION_ARGS)
{
	return run_owner_step(fcinfo, "refresh", "clv_pipeline_refresh_steps");
}

PG_FUNCTION_INFO_V1(clv_drop_pipeline);

/* clv_drop_pipeline(target_schema name) */
Datum
clv_drop_pipeline(PG_FUNCTION_ARGS)
{
	return run_owner_step(fcinfo, "drop", "clv_pipeline_drop_steps");
}

PG_FUNCTION_INFO_V1(clv_report_html);

/* clv_report_html(target_schema name, title text, currency text) */
Datum
clv_report_html(PG_FUNCTION_ARGS)
{
	static const ReadRelation relations[] = {
		{"clv_pipeline", RELKIND_RELATION, true, false},
		{"summary_state", RELKIND_RELATION, false, false},
		{"customer_scores", RELKIND_VIEW, true, false},
		{"segments", RELKIND_RELATION, true, false},
		{"cohorts", RELKIND_RELATION, true, false},
		{"monthly", RELKIND_RELATION, true, false},
		{"value_tiers", RELKIND_RELATION, true, false},
		{"channels", RELKIND_RELATION, true, true},
		{"declining_customers", RELKIND_RELATION, true, false},
		{"model_evaluation", RELKIND_RELATION, true, true},
	};
	PipelineIdentity id;

	check_target_schema_given(fcinfo);
	id = pipeline_identity(PG_GETARG_NAME(0));
	check_may_read(&id, relations, lengthof(relations));
	return run_pipeline_step(fcinfo, &id, "clv_pipeline_report_steps", STEP_TEXT);
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
				 errmsg("a pipeline's steps run only through clv_refresh_pipeline, clv_drop_pipeline and clv_report_html"),
				 errdetail("They run as the pipeline's owner, in a security-restricted operation."),
				 errhint("Call clv_refresh_pipeline, clv_drop_pipeline or clv_report_html with the pipeline's schema.")));
	PG_RETURN_VOID();
}
