/*
 * pipeline_capture.c: a pipeline's change capture, the trigger function on
 * the orders table.
 *
 * clv_create_pipeline puts four AFTER ... FOR EACH STATEMENT triggers on the
 * orders table (INSERT, UPDATE, DELETE with their transition tables, and
 * TRUNCATE), each calling clv_capture_order_changes with the pipeline's
 * schema name as argument.  On every statement that writes orders it
 * records which customers' orders changed in <schema>.order_changes, so
 * that an incremental refresh summarises exactly those customers again.
 *
 * The function belongs to the extension, not to the pipeline's owner, so
 * nobody can replace what runs on other roles' writes.  It runs as the
 * pipeline's owner (the owner of its registry, its order_changes and its
 * schema, which must all be the same role) in a security-restricted
 * operation, as the pipeline's refresh does: the writer lends the owner no
 * right, and nothing the owner keeps in its schema (a trigger on
 * order_changes, say) can reach into the writer's session.  It records only
 * what the owner may read (SELECT on the orders table) and only for the
 * pipeline whose registry names this table as its source; otherwise, or
 * when the pipeline is gone (dropped, its schema renamed), it records
 * nothing and never stands in the writer's way.  When the customer column
 * is gone or no longer has the type the pipeline stores, it records that
 * everything changed, so that the next refresh is a full one and says why.
 */
#include "pipeline.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(clv_capture_order_changes);

/*
 * The SQL that records this statement's changes in changes (a qualified
 * name): the customer ids of the transition tables, or, for TRUNCATE or a
 * customer column the pipeline cannot copy, that everything changed.
 */
static char *
capture_sql(TriggerData *trigdata, const char *changes, const char *customer)
{
	Trigger    *trigger = trigdata->tg_trigger;
	TriggerEvent event = trigdata->tg_event;
	StringInfoData sql;

	initStringInfo(&sql);
	if (TRIGGER_FIRED_BY_TRUNCATE(event) || customer == NULL)
		appendStringInfo(&sql, "INSERT INTO %s (everything) VALUES (true)", changes);
	else if (TRIGGER_FIRED_BY_UPDATE(event) && trigger->tgnewtable && trigger->tgoldtable)
		appendStringInfo(&sql,
						 "INSERT INTO %s (customer_id) SELECT n.%s FROM %s n UNION SELECT o.%s FROM %s o",
						 changes, customer, quote_identifier(trigger->tgnewtable),
						 customer, quote_identifier(trigger->tgoldtable));
	else if (TRIGGER_FIRED_BY_INSERT(event) && trigger->tgnewtable)
		appendStringInfo(&sql, "INSERT INTO %s (customer_id) SELECT DISTINCT n.%s FROM %s n",
						 changes, customer, quote_identifier(trigger->tgnewtable));
	else if (TRIGGER_FIRED_BY_DELETE(event) && trigger->tgoldtable)
		appendStringInfo(&sql, "INSERT INTO %s (customer_id) SELECT DISTINCT o.%s FROM %s o",
						 changes, customer, quote_identifier(trigger->tgoldtable));
	else
		/* a trigger made by hand without its transition tables */
		appendStringInfo(&sql, "INSERT INTO %s (everything) VALUES (true)", changes);
	return sql.data;
}

Datum
clv_capture_order_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	orders;
	Oid			schema,
				registry,
				changes,
				owner;
	const char *schema_name;
	ClvOwnerContext context;
	int			ret;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("clv_capture_order_changes can only be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		trigdata->tg_trigger->tgnargs != 1)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("clv_capture_order_changes must be an AFTER ... FOR EACH STATEMENT trigger whose argument is a pipeline's schema"),
				 errhint("clv_create_pipeline makes these triggers; do not make them by hand.")));

	/* the pipeline, found through the catalogs; gone: nothing to record */
	orders = trigdata->tg_relation;
	schema_name = trigdata->tg_trigger->tgargs[0];
	schema = get_namespace_oid(schema_name, true);
	if (!OidIsValid(schema))
		return PointerGetDatum(NULL);
	registry = get_relname_relid("clv_pipeline", schema);
	changes = get_relname_relid("order_changes", schema);
	owner = clv_relation_owner(registry, RELKIND_RELATION, NULL);
	if (!OidIsValid(owner) || clv_relation_owner(changes, RELKIND_RELATION, NULL) != owner ||
		clv_namespace_owner(schema) != owner)
		return PointerGetDatum(NULL);
	/*
	 * The owner learns only what it may read, and only while it still acts
	 * for the table's owner, as it had to in order to add these triggers:
	 * once that right is gone, nothing of the pipeline's runs on the
	 * table's writes.
	 */
	if (pg_class_aclcheck(RelationGetRelid(orders), owner, ACL_SELECT) != ACLCHECK_OK ||
		!has_privs_of_role(owner, orders->rd_rel->relowner))
		return PointerGetDatum(NULL);

	clv_enter_owner_context(owner, &context);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_register_trigger_data(trigdata) != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed");
	{
		const char *qualified_registry = quote_qualified_identifier(schema_name, "clv_pipeline");
		const char *qualified_changes = quote_qualified_identifier(schema_name, "order_changes");
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(RelationGetRelid(orders))};
		const char *customer = NULL;
		StringInfoData sql;

		/* this table must be the pipeline's source, and its customer column copyable */
		initStringInfo(&sql);
		appendStringInfo(&sql, "SELECT r.customer::pg_catalog.text FROM %s r WHERE r.source::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
						 qualified_registry);
		ret = SPI_execute_with_args(sql.data, 1, argtypes, values, NULL, true, 1);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "reading the pipeline's registry failed: %s", SPI_result_code_string(ret));
		if (SPI_processed == 1)
		{
			bool		isnull;
			Datum		name = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			AttrNumber	attnum = isnull ? InvalidAttrNumber
				: get_attnum(RelationGetRelid(orders), TextDatumGetCString(name));
			AttrNumber	changes_attnum = get_attnum(changes, "customer_id");

			/* the column as the pipeline stores it, or nothing copied */
			if (attnum > 0 && changes_attnum > 0 &&
				getBaseType(get_atttype(RelationGetRelid(orders), attnum)) == get_atttype(changes, changes_attnum))
				customer = quote_identifier(TextDatumGetCString(name));
			ret = SPI_execute(capture_sql(trigdata, qualified_changes, customer), false, 0);
			if (ret != SPI_OK_INSERT)
				elog(ERROR, "recording the changed customers failed: %s", SPI_result_code_string(ret));
		}
	}
	SPI_finish();
	clv_leave_owner_context(&context);
	return PointerGetDatum(NULL);
}
