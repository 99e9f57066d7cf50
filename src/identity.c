/*
 * identity.c: one customer seen in several systems, linked into one profile
 * (the identifiers are first made comparable by normalize.c).
 *
 * clv_link_identities runs a query giving (record_id, identifier)
 * pairs and joins records that share an identifier, transitively, with a
 * union-find over the distinct records.  Pairs are sorted by a 64-bit hash
 * of the identifier and then by its bytes, so equal identifiers are
 * compared exactly and the hash only makes the sort cheap.  An identifier
 * shared by more than max_records_per_identifier records (a shop's own
 * e-mail typed in at the till, "0000000000") is not used to link: it would
 * glue unrelated customers together.  clv_identity_glue lists those.
 *
 * A profile's id is the smallest record id in it, so adding records changes
 * no existing profile id unless two profiles really merge (or a new record
 * has a smaller id than all of a profile's records).
 *
 * Memory, all in one call: 32 bytes a pair (the pair, and its record id
 * before duplicates are removed) plus the identifier's bytes, and 12 bytes a
 * distinct record; the arrays grow by doubling, so up to twice that.  The
 * pairs are freed before the result is written, which takes up to work_mem
 * before it spills (measured figures in docs/performance.md).
 */
#include "clv.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "nodes/parsenodes.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(clv_link_identities);
PG_FUNCTION_INFO_V1(clv_identity_glue);


typedef struct Pair
{
	uint64		hash;			/* of the identifier's bytes */
	int64		record;			/* the record id */
	uint64		text;			/* offset in the arena (40 bits) and length (24) */
} Pair;

#define TEXT_OFFSET(p)	((p)->text >> 24)
#define TEXT_LENGTH(p)	((int) ((p)->text & 0xFFFFFF))
#define MAX_IDENTIFIER_BYTES 0xFFFFFF
#define DEFAULT_MAX_RECORDS_PER_IDENTIFIER 20	/* the SQL signatures' default */

typedef struct Linking
{
	Pair	   *pairs;
	int64		npairs;
	int64		pairs_capacity;
	char	   *arena;
	uint64		arena_used;
	uint64		arena_capacity;
	int64	   *ids;			/* distinct record ids, ascending */
	int64		nids;
	int64		ids_capacity;
	int32	   *parent;			/* union-find over indexes into ids */
	/* identifiers over the cap: (first pair index, distinct records) */
	int64	   *glue_first;
	int64	   *glue_records;
	int64		nglue;
} Linking;

static void *
grow(void *array, int64 *capacity, Size elem)
{
	int64		wanted = Max(*capacity * 2, 1024);

	if ((Size) wanted * elem > MaxAllocHugeSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many identifier pairs to link in memory")));
	*capacity = wanted;
	if (array == NULL)
		return MemoryContextAllocHuge(CurrentMemoryContext, wanted * elem);
	return repalloc_huge(array, wanted * elem);
}

static void
add_pair(Linking *lk, int64 record, const char *ident, int len)
{
	Pair	   *p;

	if (lk->nids == lk->ids_capacity)
		lk->ids = grow(lk->ids, &lk->ids_capacity, sizeof(int64));
	lk->ids[lk->nids++] = record;
	if (ident == NULL || len == 0)
		return;
	if (len > MAX_IDENTIFIER_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("identifier of record %lld is longer than %d bytes", (long long) record,
						MAX_IDENTIFIER_BYTES)));
	if (lk->npairs == lk->pairs_capacity)
		lk->pairs = grow(lk->pairs, &lk->pairs_capacity, sizeof(Pair));
	while (lk->arena_used + len > lk->arena_capacity)
	{
		int64		cap = (int64) lk->arena_capacity;

		lk->arena = grow(lk->arena, &cap, 1);
		lk->arena_capacity = cap;
	}
	if (lk->arena_used + len >= ((uint64) 1 << 40))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("identifiers take more than 1 TB")));
	memcpy(lk->arena + lk->arena_used, ident, len);
	p = &lk->pairs[lk->npairs++];
	p->hash = hash_bytes_extended((const unsigned char *) ident, len, 0x636c76);
	p->record = record;
	p->text = (lk->arena_used << 24) | (uint64) len;
	lk->arena_used += len;
}

static int
record_type_ok(Oid type)
{
	return type == INT8OID || type == INT4OID || type == INT2OID;
}

static int64
record_value(Datum d, Oid type)
{
	if (type == INT8OID)
		return DatumGetInt64(d);
	if (type == INT4OID)
		return DatumGetInt32(d);
	return DatumGetInt16(d);
}

/* one plain SELECT: no second statement, no row locks, no data-modifying WITH */
static bool
pairs_query_is_select(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	CachedPlanSource *source;
	ListCell   *lc;

	if (list_length(sources) != 1)
		return false;
	source = (CachedPlanSource *) linitial(sources);
	if (source->commandTag != CMDTAG_SELECT)
		return false;
	foreach(lc, source->query_list)
	{
		Query	   *query = lfirst_node(Query, lc);

		if (query->commandType != CMD_SELECT || query->utilityStmt != NULL ||
			query->rowMarks != NIL || query->hasModifyingCTE)
			return false;
	}
	return true;
}

static void
check_pairs_shape(TupleDesc desc)
{
	Oid			ident_type = desc->natts >= 2 ? TupleDescAttr(desc, 1)->atttypid : InvalidOid;

	if (desc->natts != 2 || !record_type_ok(TupleDescAttr(desc, 0)->atttypid) ||
		(ident_type != TEXTOID && ident_type != VARCHAROID && ident_type != BPCHAROID))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the pairs query must return two columns: record_id (smallint, integer or bigint) and identifier (text)"),
				 errhint("Cast the identifier to text, for example SELECT id, email::text FROM ...")));
}

/* Run the pairs query with the caller's privileges and collect its rows. */
static void
load_pairs(Linking *lk, const char *query)
{
	MemoryContext work = CurrentMemoryContext;
	SPIPlanPtr	plan;
	Portal		portal;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "preparing the pairs query failed: %s", SPI_result_code_string(SPI_result));
	if (!pairs_query_is_select(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the pairs query must be a single SELECT returning (record_id, identifier)")));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	check_pairs_shape(portal->tupDesc);
	for (;;)
	{
		TupleDesc	desc;
		Oid			record_type;
		Oid			ident_type;
		MemoryContext spi;

		SPI_cursor_fetch(portal, true, 10000);
		if (SPI_processed == 0)
			break;
		desc = SPI_tuptable->tupdesc;
		record_type = SPI_gettypeid(desc, 1);
		ident_type = SPI_gettypeid(desc, 2);
		spi = MemoryContextSwitchTo(work);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	row = SPI_tuptable->vals[i];
			bool		isnull;
			Datum		rec = SPI_getbinval(row, desc, 1, &isnull);
			Datum		ident;

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("record_id must not be NULL in the pairs query")));
			ident = SPI_getbinval(row, desc, 2, &isnull);
			if (isnull)
				add_pair(lk, record_value(rec, record_type), NULL, 0);
			else
			{
				text	   *t = DatumGetTextPP(ident);
				const char *chars = VARDATA_ANY(t);
				int			len = VARSIZE_ANY_EXHDR(t);

				/* char(n) pads with spaces that are not part of the value */
				if (ident_type == BPCHAROID)
					while (len > 0 && chars[len - 1] == ' ')
						len--;
				add_pair(lk, record_value(rec, record_type), chars, len);
				if ((Pointer) t != DatumGetPointer(ident))
					pfree(t);
			}
		}
		MemoryContextSwitchTo(spi);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	SPI_finish();
}

/* by identifier (hash first, then the bytes), then record; arg: the arena */
static int
compare_pairs(const void *a, const void *b, void *arg)
{
	const char *arena = arg;
	const Pair *x = a;
	const Pair *y = b;
	int			lx,
				ly,
				c;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	lx = TEXT_LENGTH(x);
	ly = TEXT_LENGTH(y);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	c = memcmp(arena + TEXT_OFFSET(x), arena + TEXT_OFFSET(y), lx);
	if (c != 0)
		return c;
	return (x->record > y->record) - (x->record < y->record);
}

static bool
same_identifier(const Linking *lk, const Pair *x, const Pair *y)
{
	return x->hash == y->hash && TEXT_LENGTH(x) == TEXT_LENGTH(y) &&
		memcmp(lk->arena + TEXT_OFFSET(x), lk->arena + TEXT_OFFSET(y), TEXT_LENGTH(x)) == 0;
}

static int32
record_index(const Linking *lk, int64 record)
{
	int64		lo = 0,
				hi = lk->nids - 1;

	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;

		if (lk->ids[mid] < record)
			lo = mid + 1;
		else
			hi = mid;
	}
	Assert(lk->ids[lo] == record);
	return (int32) lo;
}

static int32
find_root(int32 *parent, int32 i)
{
	while (parent[i] != i)
	{
		parent[i] = parent[parent[i]];	/* path halving */
		i = parent[i];
	}
	return i;
}

/* the smaller index (so the smaller record id) becomes the root */
static void
join(int32 *parent, int32 a, int32 b)
{
	a = find_root(parent, a);
	b = find_root(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

static int32
check_cap(FunctionCallInfo fcinfo, int argno)
{
	int32		cap;

	/* an option given as NULL takes its default (the NULL rule) */
	if (!clv_option_given(fcinfo, argno))
		return DEFAULT_MAX_RECORDS_PER_IDENTIFIER;
	cap = PG_GETARG_INT32(argno);
	if (cap < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_records_per_identifier must be at least 2"),
				 errdetail("Found %d.", cap)));
	return cap;
}

/* Collect, sort, and union the records of every identifier within the cap. */
static void
link_records(Linking *lk, const char *query, int32 cap)
{
	int64		kept = 0;
	int64		glue_capacity = 0;

	load_pairs(lk, query);

	/* the distinct records, ascending */
	qsort(lk->ids, lk->nids, sizeof(int64), clv_compare_int64);
	for (int64 i = 0; i < lk->nids; i++)
		if (i == 0 || lk->ids[i] != lk->ids[kept - 1])
			lk->ids[kept++] = lk->ids[i];
	lk->nids = kept;
	if (lk->nids > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %d distinct records to link", PG_INT32_MAX)));
	lk->parent = MemoryContextAllocHuge(CurrentMemoryContext, Max(lk->nids, 1) * sizeof(int32));
	for (int64 i = 0; i < lk->nids; i++)
		lk->parent[i] = (int32) i;

	qsort_arg(lk->pairs, lk->npairs, sizeof(Pair), compare_pairs, lk->arena);

	for (int64 start = 0, end; start < lk->npairs; start = end)
	{
		int64		distinct = 1;

		for (end = start + 1; end < lk->npairs && same_identifier(lk, &lk->pairs[start], &lk->pairs[end]); end++)
			if (lk->pairs[end].record != lk->pairs[end - 1].record)
				distinct++;
		if (distinct > cap)
		{
			if (lk->nglue == glue_capacity)
			{
				int64		cap2 = glue_capacity;

				lk->glue_first = grow(lk->glue_first, &cap2, sizeof(int64));
				lk->glue_records = grow(lk->glue_records, &glue_capacity, sizeof(int64));
			}
			lk->glue_first[lk->nglue] = start;
			lk->glue_records[lk->nglue++] = distinct;
			continue;
		}
		{
			int32		first = record_index(lk, lk->pairs[start].record);

			for (int64 i = start + 1; i < end; i++)
				if (lk->pairs[i].record != lk->pairs[i - 1].record)
					join(lk->parent, first, record_index(lk, lk->pairs[i].record));
		}
		CHECK_FOR_INTERRUPTS();
	}
}

static char *
glue_identifier(const Linking *lk, int64 g)
{
	const Pair *p = &lk->pairs[lk->glue_first[g]];

	return pnstrdup(lk->arena + TEXT_OFFSET(p), TEXT_LENGTH(p));
}

/* the materialized result set of an SRF, in the per-query context */
static Tuplestorestate *
materialized_result(FunctionCallInfo fcinfo, TupleDesc *desc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	Tuplestorestate *store;
	TupleDesc	result_desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, &result_desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*desc = CreateTupleDescCopy(result_desc);
	store = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *desc;
	MemoryContextSwitchTo(old);
	return store;
}

static char *
pairs_query_arg(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the pairs query must not be NULL")));
	return text_to_cstring(PG_GETARG_TEXT_PP(0));
}

/*
 * The pairs of the query argument linked, in a memory context of their own
 * (returned: the caller deletes it when done).
 */
static MemoryContext
linked(FunctionCallInfo fcinfo, Linking *lk, int32 cap)
{
	char	   *query = pairs_query_arg(fcinfo);
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "clv identity linking",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(work);

	link_records(lk, query, cap);
	MemoryContextSwitchTo(old);
	return work;
}

/*
 * clv_link_identities(pairs text, max_records_per_identifier int)
 *   RETURNS TABLE (record_id bigint, profile_id bigint, profile_records bigint)
 */
Datum
clv_link_identities(PG_FUNCTION_ARGS)
{
	int32		cap = check_cap(fcinfo, 1);
	Linking		lk = {0};
	MemoryContext work = linked(fcinfo, &lk, cap);
	TupleDesc	desc;
	Tuplestorestate *store;
	int64	   *size;

	if (lk.nglue > 0)
	{
		int64		largest = 0;

		for (int64 g = 1; g < lk.nglue; g++)
			if (lk.glue_records[g] > lk.glue_records[largest])
				largest = g;
		ereport(NOTICE,
				(errmsg_plural("%lld identifier shared by more than %d records was not used to link records",
							   "%lld identifiers shared by more than %d records were not used to link records",
							   lk.nglue, (long long) lk.nglue, cap),
				 errdetail("The most shared is \"%s\", on %lld records.",
						   glue_identifier(&lk, largest), (long long) lk.glue_records[largest]),
				 errhint("List them with clv_identity_glue() and the same arguments.")));
	}
	/* the result may fill work_mem before spilling: make room for it first */
	if (lk.pairs != NULL)
		pfree(lk.pairs);
	if (lk.arena != NULL)
		pfree(lk.arena);
	lk.pairs = NULL;
	lk.arena = NULL;

	size = MemoryContextAllocHuge(work, Max(lk.nids, 1) * sizeof(int64));
	memset(size, 0, Max(lk.nids, 1) * sizeof(int64));
	for (int64 i = 0; i < lk.nids; i++)
		size[find_root(lk.parent, (int32) i)]++;

	store = materialized_result(fcinfo, &desc);
	for (int64 i = 0; i < lk.nids; i++)
	{
		int32		root = find_root(lk.parent, (int32) i);
		Datum		values[3] = {Int64GetDatum(lk.ids[i]), Int64GetDatum(lk.ids[root]),
		Int64GetDatum(size[root])};
		bool		nulls[3] = {false, false, false};

		tuplestore_putvalues(store, desc, values, nulls);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}

/*
 * clv_identity_glue(pairs text, max_records_per_identifier int)
 *   RETURNS TABLE (identifier text, records bigint)
 */
Datum
clv_identity_glue(PG_FUNCTION_ARGS)
{
	Linking		lk = {0};
	MemoryContext work = linked(fcinfo, &lk, check_cap(fcinfo, 1));
	TupleDesc	desc;
	Tuplestorestate *store = materialized_result(fcinfo, &desc);
	for (int64 g = 0; g < lk.nglue; g++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		char	   *ident = glue_identifier(&lk, g);

		values[0] = CStringGetTextDatum(ident);
		values[1] = Int64GetDatum(lk.glue_records[g]);
		tuplestore_putvalues(store, desc, values, nulls);
	}
	MemoryContextDelete(work);
	return (Datum) 0;
}
