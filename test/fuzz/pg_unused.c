/*
 * pg_unused.c: backend symbols that clv's object files refer to but that
 * no fuzzed path should reach (SPI, the catalog caches, tuplestores, ...).
 * Each aborts with its name, so a harness that wanders into one shows at
 * once that a stand-in is missing rather than fuzzing a fake.
 *
 * No PostgreSQL header is included: the signatures do not matter to a
 * function that never returns, and the headers would insist on them.
 */
#include <stdio.h>
#include <stdlib.h>

#define UNUSED(name) \
	void name(void); \
	void name(void) \
	{ \
		fprintf(stderr, "\n==clv fuzz== FINDING: backend function %s reached; " \
				"it has no stand-in in test/fuzz/pg_stubs.c\n", #name); \
		abort(); \
	}

UNUSED(AllocSetContextCreateInternal)
UNUSED(AtEOXact_GUC)
UNUSED(DecrTupleDescRefCount)
UNUSED(DefineCustomBoolVariable)
UNUSED(DefineCustomEnumVariable)
UNUSED(DirectFunctionCall2Coll)
UNUSED(FreeTupleDesc)
UNUSED(GetCurrentCommandId)
UNUSED(GetUserId)
UNUSED(GetUserIdAndSecContext)
UNUSED(GetUserNameFromId)
UNUSED(InSecurityRestrictedOperation)
UNUSED(InitMaterializedSRF)
UNUSED(IsInParallelMode)
UNUSED(LockRelationOid)
UNUSED(MarkGUCPrefixReserved)
UNUSED(MemoryContextDelete)
UNUSED(NewGUCNestLevel)
UNUSED(ReleaseSysCache)
UNUSED(SPI_connect)
UNUSED(SPI_cursor_close)
UNUSED(SPI_cursor_fetch)
UNUSED(SPI_cursor_open)
UNUSED(SPI_datumTransfer)
UNUSED(SPI_execute)
UNUSED(SPI_execute_with_args)
UNUSED(SPI_finish)
UNUSED(SPI_freetuptable)
UNUSED(SPI_getbinval)
UNUSED(SPI_gettypeid)
UNUSED(SPI_plan_get_plan_sources)
UNUSED(SPI_prepare)
UNUSED(SPI_register_trigger_data)
UNUSED(SPI_result_code_string)
UNUSED(ScanKeyInit)
UNUSED(SearchSysCache1)
UNUSED(SetUserIdAndSecContext)
UNUSED(TransactionIdIsCurrentTransactionId)
UNUSED(construct_empty_array)
UNUSED(deconstruct_array)
UNUSED(errmsg_plural)
UNUSED(float8_numeric)
UNUSED(format_procedure_qualified)
UNUSED(format_type_be)
UNUSED(getBaseType)
UNUSED(getExtensionOfObject)
UNUSED(get_attnum)
UNUSED(get_atttype)
UNUSED(get_element_type)
UNUSED(get_fn_expr_argtype)
UNUSED(get_fn_expr_rettype)
UNUSED(get_func_namespace)
UNUSED(get_namespace_name)
UNUSED(get_namespace_oid)
UNUSED(get_rel_name)
UNUSED(get_rel_namespace)
UNUSED(get_rel_persistence)
UNUSED(get_rel_relkind)
UNUSED(get_relname_relid)
UNUSED(get_typlenbyval)
UNUSED(get_typlenbyvalalign)
UNUSED(has_privs_of_role)
UNUSED(int64_div_fast_to_numeric)
UNUSED(jsonb_in)
UNUSED(lookup_rowtype_tupdesc_copy)
UNUSED(namestrcpy)
UNUSED(numeric)
UNUSED(numeric_out)
UNUSED(pg_class_aclcheck)
UNUSED(pg_re_throw)
UNUSED(pg_tz_acceptable)
UNUSED(pg_tzset)
UNUSED(quote_identifier)
UNUSED(quote_qualified_identifier)
UNUSED(set_config_option)
UNUSED(superuser_arg)
UNUSED(systable_beginscan)
UNUSED(systable_endscan)
UNUSED(systable_getnext)
UNUSED(table_close)
UNUSED(table_open)
UNUSED(timestamp2tm)
UNUSED(tuplestore_begin_heap)
UNUSED(tuplestore_putvalues)

/* variables read on paths that are not fuzzed */
int			work_mem = 4096;
char		creating_extension = 0;	/* bool */
unsigned int CurrentExtensionObject = 0;	/* Oid */
void	   *MyProc = NULL;
unsigned long long SPI_processed = 0;
void	   *SPI_tuptable = NULL;
int			SPI_result = 0;
