/*
 * rfm.c: RFM scores (recency, frequency, monetary) and named segments.
 *
 * clv_rfm_breakpoints is an aggregate over the customer base that returns,
 * for each of the three measures, the quantiles that cut it into `bins`
 * equally populated bins (quantile definition 7 of Hyndman & Fan 1996, R's
 * default).  clv_rfm then scores one customer against those breakpoints
 * without looking at anyone else, so a materialized view scores every
 * customer in one pass after computing the breakpoints once.
 *
 * Scores run from 1 to bins, higher is better: fewer days since the last
 * order, more orders, more money.  A value equal to a breakpoint falls in
 * the bin of the smaller values (for recency the better score), so
 * customers with the same value always share a score; with heavy ties (most
 * customers ordered once) some scores are then simply not used.
 *
 * Named segments come from a table (the segment map) read once per query:
 * the first row in priority order whose score ranges contain the
 * customer's scores names the segment.
 */
#include "state.h"
#include "summary.h"

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "storage/proc.h"

PG_FUNCTION_INFO_V1(clv_rfm_breakpoints_transfn);
PG_FUNCTION_INFO_V1(clv_rfm_breakpoints_summary_transfn);
PG_FUNCTION_INFO_V1(clv_rfm_breakpoints_combine);
PG_FUNCTION_INFO_V1(clv_rfm_breakpoints_final);
PG_FUNCTION_INFO_V1(clv_rfm_score);
PG_FUNCTION_INFO_V1(clv_rfm_score_summary);
PG_FUNCTION_INFO_V1(clv_rfm_segment);

#define RFM_NAME "clv_rfm_breakpoints"
#define RFM_MAGIC	INT64CONST(0x434c565201)	/* "CLVR", layout 1 */
#define RFM_MIN_BINS 2
#define RFM_MAX_BINS 9			/* the rfm_cell 100 r + 10 f + m needs one digit each */
#define RFM_MEASURES 3
#define RFM_MAX_CUSTOMERS ((int64) (MaxAllocSize / sizeof(int64) - 64) / RFM_MEASURES)

/*
 * state: header, then one (recency, frequency, monetary) triple per customer,
 * then the room left, every slot of it RFM_UNUSED: a NaN, which no measure
 * can be, so that a state shipped between nodes with its count raised, or
 * cut short, is refused rather than read as extra customers.
 */
#define RFM_UNUSED	INT64CONST(0x7FF8434C56520000)
enum
{
	R_MAGIC,
	R_BINS,
	R_COUNT,
	R_HEADER
};

static const char *const measure_names[RFM_MEASURES] = {"recency_days", "frequency", "monetary"};

static const ClvStateLayout rfm_layout = {R_HEADER, R_COUNT, RFM_MEASURES};

/* The slots of a state with room for capacity customers, within 1 GB. */
static int
rfm_slots(int64 capacity)
{
	if (capacity > RFM_MAX_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv_rfm_breakpoints state would need more than 1 GB"),
				 errdetail("The breakpoints are exact quantiles: the state keeps 24 bytes per customer."),
				 errhint("Compute the breakpoints on a random sample of customers, for example with TABLESAMPLE.")));
	return clv_state_slots_for(capacity, &rfm_layout);
}

static ArrayType *
rfm_alloc(int64 capacity, int32 bins)
{
	ArrayType  *state;
	int64	   *s;

	state = clv_state_alloc(rfm_slots(capacity), CurrentMemoryContext);
	s = clv_state_data(state);
	s[R_MAGIC] = RFM_MAGIC;
	s[R_BINS] = bins;
	for (int64 i = R_HEADER; i < clv_state_length(state); i++)
		s[i] = RFM_UNUSED;
	return state;
}

static void
check_bins(int32 bins)
{
	if (bins < RFM_MIN_BINS || bins > RFM_MAX_BINS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bins must be between %d and %d", RFM_MIN_BINS, RFM_MAX_BINS),
				 errdetail("Found %d.", bins)));
}

static void
check_measures(const double *v)
{
	for (int i = 0; i < RFM_MEASURES; i++)
		clv_check_finite(v[i], measure_names[i]);
	if (v[0] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recency_days must not be negative"),
				 errdetail("Found %g.", v[0])));
	if (v[1] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must not be negative"),
				 errdetail("Found %g.", v[1])));
}

/* The O(1) checks that keep a transition inside the array (INITCOND can be anything). */
static ArrayType *
rfm_header_check(ArrayType *state)
{
	int64	   *s = clv_state_data(state);

	if (s[R_BINS] < RFM_MIN_BINS || s[R_BINS] > RFM_MAX_BINS)
		clv_state_corrupt(RFM_NAME, "The number of bins is out of range.");
	if (!clv_state_entries_fit(state, &rfm_layout))
		clv_state_corrupt(RFM_NAME, "The array does not hold whole triples of measures, one for each customer it counts.");
	return state;
}


/* Append one customer's measures; the state is created on the first row. */
static Datum
rfm_add(FunctionCallInfo fcinfo, const double *v, int32 bins)
{
	ClvStateRef ref;
	int64	   *s;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_rfm_breakpoints transition called in non-aggregate context")));
	check_measures(v);
	if (PG_ARGISNULL(0))
	{
		check_bins(bins);
		ref = clv_state_ref_new(fcinfo, rfm_alloc(64, bins));
	}
	else
	{
		int64		capacity;

		ref = clv_state_ref(fcinfo, PG_GETARG_DATUM(0), RFM_MAGIC, R_HEADER, RFM_NAME);
		rfm_header_check(ref.array);
		if (clv_state_data(ref.array)[R_BINS] != bins)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("bins must be the same for every row")));
		capacity = clv_state_entry_room(&ref, &rfm_layout);
		if (clv_state_data(ref.array)[R_COUNT] == capacity)
		{
			/* past the limit rfm_slots says so */
			clv_state_grow_held(&ref, clv_state_slots_for(capacity, &rfm_layout),
								rfm_slots(clv_state_grown_capacity(capacity, capacity + 1, RFM_MAX_CUSTOMERS)),
								RFM_UNUSED);
		}
	}
	s = clv_state_data(ref.array);
	for (int i = 0; i < RFM_MEASURES; i++)
		s[R_HEADER + s[R_COUNT] * RFM_MEASURES + i] = clv_float8_slot(v[i]);
	s[R_COUNT]++;
	clv_state_set_entries_used(&ref, &rfm_layout);
	return clv_state_ref_datum(&ref);
}

static int32
bins_arg(FunctionCallInfo fcinfo, int argno)
{
	if (!clv_option_given(fcinfo, argno))
		return 5;
	return PG_GETARG_INT32(argno);
}

/* (state, recency_days, frequency, monetary [, bins]): rows with a NULL measure are skipped */
Datum
clv_rfm_breakpoints_transfn(PG_FUNCTION_ARGS)
{
	double		v[RFM_MEASURES];
	int32		bins = bins_arg(fcinfo, 4);

	for (int i = 0; i < RFM_MEASURES; i++)
	{
		if (PG_ARGISNULL(i + 1))
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
		v[i] = PG_GETARG_FLOAT8(i + 1);
	}
	return rfm_add(fcinfo, v, bins);
}

/*
 * The RFM measures of a summary: days from the last order to the end of
 * observation, orders, and net revenue.  False for a summary without
 * purchases.
 */
static bool
summary_measures(HeapTupleHeader header, double *v)
{
	ClvSummaryRow summary;

	clv_summary_read(header, &summary);
	if (summary.nulls[CLV_SUMMARY_LAST_ORDER])
		return false;
	v[0] = (double) clv_summary_get_date(&summary, CLV_SUMMARY_OBSERVATION_END) -
		clv_summary_get_date(&summary, CLV_SUMMARY_LAST_ORDER);
	v[1] = (double) DatumGetInt64(clv_summary_get(&summary, CLV_SUMMARY_ORDERS));
	v[2] = DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_TOTAL_AMOUNT));
	return true;
}

/* (state, summary [, bins]): summaries without purchases are skipped */
Datum
clv_rfm_breakpoints_summary_transfn(PG_FUNCTION_ARGS)
{
	double		v[RFM_MEASURES];
	int32		bins = bins_arg(fcinfo, 2);

	if (PG_ARGISNULL(1) || !summary_measures(PG_GETARG_HEAPTUPLEHEADER(1), v))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return rfm_add(fcinfo, v, bins);
}

/* A state's content checked through and through: the measures, and the room after them empty. */
static ArrayType *
rfm_content_check(ArrayType *state)
{
	int64	   *s = clv_state_data(rfm_header_check(state));

	for (int64 i = 0; i < s[R_COUNT] * RFM_MEASURES; i++)
	{
		double		v = clv_slot_float8(s[R_HEADER + i]);

		if (!isfinite(v) || (i % RFM_MEASURES < 2 && v < 0))
			clv_state_corrupt(RFM_NAME, "A measure is not finite or is negative where it must not be.");
	}
	for (int64 i = R_HEADER + s[R_COUNT] * RFM_MEASURES; i < clv_state_length(state); i++)
		if (s[i] != RFM_UNUSED)
			clv_state_corrupt(RFM_NAME, "The room after the customers holds a value.");
	return state;
}

/* a state argument that is only read, checked */
static ArrayType *
rfm_state_arg(FunctionCallInfo fcinfo, int argno)
{
	return rfm_content_check(clv_state_checked_to_read(PG_GETARG_DATUM(argno), RFM_MAGIC, R_HEADER, RFM_NAME));
}

/*
 * Append state b's customers to a, the aggregate's own (the executor's copy
 * of its first partial state, then what this function returned): where it
 * is when it has room, else grown and held in place as a transition holds
 * a large state, so that the executor does not copy each merged state.
 */
Datum
clv_rfm_breakpoints_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ClvStateRef ref;
	ArrayType  *right;
	int64	   *l;
	int64	   *r;
	int64		capacity;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_rfm_breakpoints_combine called in non-aggregate context")));
	if (clv_combine_with_null(fcinfo, rfm_state_arg, &given))
		return given;
	right = rfm_state_arg(fcinfo, 1);
	ref = clv_combine_first_state(fcinfo, RFM_MAGIC, R_HEADER, RFM_NAME, rfm_header_check, rfm_content_check);
	l = clv_state_data(ref.array);
	r = clv_state_data(right);
	if (l[R_BINS] != r[R_BINS])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine clv_rfm_breakpoints states with different bins")));
	capacity = clv_state_entry_room(&ref, &rfm_layout);
	if (l[R_COUNT] + r[R_COUNT] > capacity)
	{
		/* room to spare for the states still to come; past the limit rfm_slots says so */
		clv_state_grow_held(&ref, clv_state_slots_for(l[R_COUNT], &rfm_layout),
							rfm_slots(clv_state_grown_capacity(capacity, l[R_COUNT] + r[R_COUNT],
															   RFM_MAX_CUSTOMERS)),
							RFM_UNUSED);
		l = clv_state_data(ref.array);
	}
	memcpy(l + R_HEADER + l[R_COUNT] * RFM_MEASURES, r + R_HEADER,
		   r[R_COUNT] * RFM_MEASURES * sizeof(int64));
	l[R_COUNT] += r[R_COUNT];
	clv_state_set_entries_used(&ref, &rfm_layout);
	return clv_state_ref_datum(&ref);
}

/*
 * Quantile type 7: linear interpolation between the order statistics at
 * quantile_position and the one after it (if any), which are where a sort
 * would put them.
 */
static int64
quantile_position(int64 n, double p)
{
	return (int64) floor((n - 1) * p);
}

static double
selected_quantile(const double *selected, int64 n, double p)
{
	double		h = (n - 1) * p;
	int64		lo = quantile_position(n, p);

	if (lo >= n - 1)
		return selected[n - 1];
	return selected[lo] + (h - lo) * (selected[lo + 1] - selected[lo]);
}

/* float8[3][bins - 1]: rows recency_days, frequency, monetary */
Datum
clv_rfm_breakpoints_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = rfm_state_arg(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int64		n = s[R_COUNT];
	int			bins = (int) s[R_BINS];
	double	   *column;
	Datum	   *elems;
	size_t		wanted[2 * (RFM_MAX_BINS - 1)];
	int			nwanted = 0;
	int			dims[2] = {RFM_MEASURES, bins - 1};
	int			lbs[2] = {1, 1};

	if (n == 0)
		PG_RETURN_NULL();
	/*
	 * the order statistics the quantiles interpolate between, ascending and
	 * each once (with fewer values than bins, quantiles share them)
	 */
	for (int k = 1; k < bins; k++)
	{
		int64		lo = quantile_position(n, (double) k / bins);

		for (int64 position = lo; position <= Min(lo + 1, n - 1); position++)
			if (nwanted == 0 || (int64) wanted[nwanted - 1] < position)
				wanted[nwanted++] = position;
	}
	column = clv_alloc_large(CurrentMemoryContext, n * sizeof(double));
	elems = palloc(RFM_MEASURES * (bins - 1) * sizeof(Datum));
	for (int m = 0; m < RFM_MEASURES; m++)
	{
		/* + 0.0: a -0 is a 0, whichever of the equal values lands there */
		for (int64 i = 0; i < n; i++)
			column[i] = clv_slot_float8(s[R_HEADER + i * RFM_MEASURES + m]) + 0.0;
		clv_select_float8(column, n, wanted, nwanted);
		for (int k = 1; k < bins; k++)
			elems[m * (bins - 1) + k - 1] = Float8GetDatum(selected_quantile(column, n, (double) k / bins));
	}
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, NULL, 2, dims, lbs, FLOAT8OID,
											 sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * Breakpoints given by the caller: float8[3][bins - 1], each row finite and
 * ascending.  Returns the number of bins.
 */
static int
breakpoints_arg(ArrayType *breakpoints, const double **values)
{
	int			per_measure;

	if (ARR_ELEMTYPE(breakpoints) != FLOAT8OID || ARR_NDIM(breakpoints) != 2 ||
		ARR_DIMS(breakpoints)[0] != RFM_MEASURES || ARR_HASNULL(breakpoints))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breakpoints must be a float8[3][n] array without NULLs"),
				 errdetail("Row 1 holds the recency_days breakpoints, row 2 frequency, row 3 monetary."),
				 errhint("Compute them with clv_rfm_breakpoints, or write them as '{{7,30,90,180},{1,2,3,5},{50,100,250,500}}'.")));
	per_measure = ARR_DIMS(breakpoints)[1];
	if (per_measure < RFM_MIN_BINS - 1 || per_measure > RFM_MAX_BINS - 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("breakpoints must have between %d and %d values per measure",
						RFM_MIN_BINS - 1, RFM_MAX_BINS - 1),
				 errdetail("Found %d.", per_measure)));
	*values = (const double *) ARR_DATA_PTR(breakpoints);
	for (int m = 0; m < RFM_MEASURES; m++)
		for (int k = 0; k < per_measure; k++)
		{
			double		v = (*values)[m * per_measure + k];

			if (!isfinite(v) || (k > 0 && v < (*values)[m * per_measure + k - 1]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s breakpoints must be finite and ascending", measure_names[m])));
		}
	return per_measure + 1;
}

/* 1 + the number of breakpoints strictly below the value: ties go to the lower bin */
static int
bin_of(double value, const double *breaks, int nbreaks)
{
	int			bin = 1;

	while (bin <= nbreaks && breaks[bin - 1] < value)
		bin++;
	return bin;
}

/* ---- the segment map ---- */

typedef struct SegmentRule
{
	char	   *segment;
	int32		min[RFM_MEASURES];	/* INT32_MIN / INT32_MAX where NULL: no bound */
	int32		max[RFM_MEASURES];
} SegmentRule;

typedef struct SegmentMap
{
	MemoryContext context;		/* holds this map and nothing else */
	Oid			relid;
	LocalTransactionId lxid;	/* the map as seen by this transaction */
	CommandId	cid;			/* and command */
	int			nrules;
	SegmentRule *rules;
	TupleDesc	result_desc;	/* clv_rfm's, once clv_rfm has used the map */
} SegmentMap;

#if PG_VERSION_NUM >= 170000
#define CURRENT_LXID (MyProc->vxid.lxid)
#else
#define CURRENT_LXID (MyProc->lxid)
#endif

#define MAX_SEGMENT_RULES 1000

/*
 * A map's columns must have types whose casts to text and int4 are
 * PostgreSQL's own: reading a map runs no code of the map's owner with the
 * caller's rights (a type of someone else's could carry a cast function).
 * The query names nothing else that search_path could resolve.
 */
static void
check_segment_map_columns(Oid relid, const char *relname)
{
	static const char *const columns[] = {"priority", "segment", "recency_min", "recency_max",
	"frequency_min", "frequency_max", "monetary_min", "monetary_max"};

	for (int i = 0; i < lengthof(columns); i++)
	{
		AttrNumber	attnum = get_attnum(relid, columns[i]);
		Oid			type;
		bool		ok;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("segment map \"%s\" has no column %s", relname, columns[i]),
					 errhint("A segment map has the columns of clv_rfm_standard_segments.")));
		type = getBaseType(get_atttype(relid, attnum));
		if (i == 1)
			ok = type == TEXTOID || type == VARCHAROID || type == BPCHAROID || type == NAMEOID;
		else
			ok = type == INT2OID || type == INT4OID || type == INT8OID || type == NUMERICOID;
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %s of segment map \"%s\" must be %s, not %s", columns[i], relname,
							i == 1 ? "text" : "an integer", format_type_be(type))));
	}
}

/*
 * Read the map with the caller's privileges, once per call site and
 * command: the result is kept in fn_extra, which PL/pgSQL keeps across
 * statements, so the transaction and command it was read in are part of
 * the key and a map updated by an earlier statement is read again.
 * Columns are cast to int so that any numeric type works.
 */
static SegmentMap *
segment_map(FunctionCallInfo fcinfo, Oid relid)
{
	SegmentMap *map = (SegmentMap *) fcinfo->flinfo->fn_extra;
	StringInfoData query;
	char	   *relname;
	MemoryContext cache;
	CommandId	cid = GetCurrentCommandId(false);
	int			ret;

	if (map != NULL && map->relid == relid && map->lxid == CURRENT_LXID && map->cid == cid)
		return map;
	if (map != NULL)
	{
		fcinfo->flinfo->fn_extra = NULL;
		MemoryContextDelete(map->context);
	}
	relname = get_rel_name(relid);
	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("segment map with OID %u does not exist", relid)));
	if (get_rel_persistence(relid) == RELPERSISTENCE_TEMP && IsInParallelMode())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("segment map \"%s\" is a temporary table, which a parallel query cannot read", relname),
				 errhint("Use a permanent or unlogged table, or SET max_parallel_workers_per_gather = 0.")));
	check_segment_map_columns(relid, relname);
	initStringInfo(&query);
	appendStringInfo(&query,
					 "SELECT segment::pg_catalog.text, recency_min::pg_catalog.int4, recency_max::pg_catalog.int4, "
					 "frequency_min::pg_catalog.int4, frequency_max::pg_catalog.int4, "
					 "monetary_min::pg_catalog.int4, monetary_max::pg_catalog.int4 "
					 "FROM %s ORDER BY priority LIMIT %d",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), relname),
					 MAX_SEGMENT_RULES + 1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute(query.data, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading the segment map failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > MAX_SEGMENT_RULES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("segment map \"%s\" has more than %d rows", relname, MAX_SEGMENT_RULES)));

	cache = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "clv segment map", ALLOCSET_SMALL_SIZES);
	map = MemoryContextAllocZero(cache, sizeof(SegmentMap));
	map->context = cache;
	map->relid = relid;
	map->lxid = CURRENT_LXID;
	map->cid = cid;
	map->nrules = (int) SPI_processed;
	map->rules = MemoryContextAllocZero(cache, Max(map->nrules, 1) * sizeof(SegmentRule));
	for (int i = 0; i < map->nrules; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		SegmentRule *rule = &map->rules[i];
		bool		isnull;
		Datum		name = SPI_getbinval(row, desc, 1, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("segment map \"%s\" has a row without a segment name", relname)));
		rule->segment = MemoryContextStrdup(cache, TextDatumGetCString(name));
		for (int m = 0; m < RFM_MEASURES; m++)
		{
			Datum		lo = SPI_getbinval(row, desc, 2 + 2 * m, &isnull);

			rule->min[m] = isnull ? PG_INT32_MIN : DatumGetInt32(lo);
			lo = SPI_getbinval(row, desc, 3 + 2 * m, &isnull);
			rule->max[m] = isnull ? PG_INT32_MAX : DatumGetInt32(lo);
		}
	}
	SPI_finish();
	fcinfo->flinfo->fn_extra = map;
	return map;
}

/* the first rule containing the scores, or NULL */
static const char *
segment_of(const SegmentMap *map, const int *scores)
{
	for (int i = 0; i < map->nrules; i++)
	{
		const SegmentRule *rule = &map->rules[i];
		bool		match = true;

		for (int m = 0; m < RFM_MEASURES && match; m++)
			match = scores[m] >= rule->min[m] && scores[m] <= rule->max[m];
		if (match)
			return rule->segment;
	}
	return NULL;
}

/* the clv_rfm composite, in the order of CREATE TYPE clv_rfm */
enum
{
	F_RECENCY_DAYS,
	F_FREQUENCY,
	F_MONETARY,
	F_RECENCY_SCORE,
	F_FREQUENCY_SCORE,
	F_MONETARY_SCORE,
	F_RFM_CELL,
	F_SEGMENT,
	F_NFIELDS
};

static Datum
rfm_result(FunctionCallInfo fcinfo, const double *v, ArrayType *breakpoints, Oid map_relid)
{
	const double *breaks;
	int			bins = breakpoints_arg(breakpoints, &breaks);
	int			scores[RFM_MEASURES];
	SegmentMap *map;
	const char *segment;
	Datum		values[F_NFIELDS];
	bool		nulls[F_NFIELDS] = {false};

	check_measures(v);
	/* recency: fewer days is better, so the bins count down */
	scores[0] = bins + 1 - bin_of(v[0], breaks, bins - 1);
	scores[1] = bin_of(v[1], breaks + (bins - 1), bins - 1);
	scores[2] = bin_of(v[2], breaks + 2 * (bins - 1), bins - 1);
	map = segment_map(fcinfo, map_relid);
	segment = segment_of(map, scores);

	/* looked up once per map: a look-up per customer cost a tenth of scoring */
	if (map->result_desc == NULL)
	{
		TupleDesc	desc;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "clv_rfm must return a composite type");
		old = MemoryContextSwitchTo(map->context);
		map->result_desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		MemoryContextSwitchTo(old);
	}
	for (int m = 0; m < RFM_MEASURES; m++)
	{
		values[F_RECENCY_DAYS + m] = Float8GetDatum(v[m]);
		values[F_RECENCY_SCORE + m] = Int32GetDatum(scores[m]);
	}
	values[F_RFM_CELL] = Int32GetDatum(100 * scores[0] + 10 * scores[1] + scores[2]);
	if (segment != NULL)
		values[F_SEGMENT] = CStringGetTextDatum(segment);
	nulls[F_SEGMENT] = segment == NULL;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(map->result_desc, values, nulls)));
}

/* clv_rfm(recency_days, frequency, monetary, breakpoints, segment_map) */
Datum
clv_rfm_score(PG_FUNCTION_ARGS)
{
	double		v[RFM_MEASURES] = {PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2)};

	return rfm_result(fcinfo, v, PG_GETARG_ARRAYTYPE_P(3), PG_GETARG_OID(4));
}

/* clv_rfm(summary, breakpoints, segment_map): NULL for a summary without purchases */
Datum
clv_rfm_score_summary(PG_FUNCTION_ARGS)
{
	double		v[RFM_MEASURES];

	if (!summary_measures(PG_GETARG_HEAPTUPLEHEADER(0), v))
		PG_RETURN_NULL();
	return rfm_result(fcinfo, v, PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_OID(2));
}

/* clv_rfm_segment(recency_score, frequency_score, monetary_score, segment_map) */
Datum
clv_rfm_segment(PG_FUNCTION_ARGS)
{
	int			scores[RFM_MEASURES] = {PG_GETARG_INT32(0), PG_GETARG_INT32(1), PG_GETARG_INT32(2)};
	const char *segment = segment_of(segment_map(fcinfo, PG_GETARG_OID(3)), scores);

	if (segment == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(segment));
}
