/*
 * activity.c: order activity by calendar month, exactly.
 *
 * clv_activity_state(ordered_at, amount, time_zone) summarises one
 * customer's orders by calendar month: how many order rows and their
 * amounts summed exactly (clv_money).  clv_activity_total(state, by_cohort)
 * adds customers' states into totals by month, or by cohort (the first month
 * of a customer's) and month, counting the customers too;
 * clv_activity_difference takes customers' states back off a total.  A
 * pipeline keeps each customer's state beside its summary state and the two
 * totals in its registry: when a customer's orders change, its old state
 * comes off the totals and its new one goes on, so its monthly and cohort
 * tables follow without reading every order again, and since every count
 * and sum is an integer they come out the same whatever came and went in
 * which order.
 *
 * Every state is a bigint[]: a header (A_*), then entries sorted by key:
 * the key, customers, order rows, money (2 slots).  The key is the month
 * (months since January 2000), or for a total by cohort the cohort month
 * and the month packed into one (cohort_key).  Refunds are order rows too:
 * what counts here is activity, as in a cohort table, not purchases.
 */
#include "calendar.h"
#include "state.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_activity_transfn);
PG_FUNCTION_INFO_V1(clv_activity_date_transfn);
PG_FUNCTION_INFO_V1(clv_activity_combine);
PG_FUNCTION_INFO_V1(clv_activity_final);
PG_FUNCTION_INFO_V1(clv_activity_total_transfn);
PG_FUNCTION_INFO_V1(clv_activity_difference);
PG_FUNCTION_INFO_V1(clv_activity_months);

#define ACTIVITY_NAME "clv_activity_state"
#define ACTIVITY_MAGIC	INT64CONST(0x434c564101)	/* "CLVA", layout 1 */

enum
{
	A_MAGIC,
	A_KIND,
	A_NENTRIES,
	A_SLOTS,					/* body slots, a multiple of E_WIDTH */
	A_HEADER
};

/* what a state holds */
typedef enum ActivityKind
{
	ONE_CUSTOMER,				/* one customer's months: customers is 1 */
	TOTAL_BY_MONTH,
	TOTAL_BY_COHORT				/* keys are cohort_key(cohort, month) */
} ActivityKind;

enum
{
	E_KEY,
	E_CUSTOMERS,
	E_ORDERS,
	E_MONEY,					/* 2 slots */
	E_WIDTH = E_MONEY + 2
};

/* months since January 2000 of the years PostgreSQL's dates reach */
#define MIN_MONTH ((int64) (-4713 - 2000) * 12)
#define MAX_MONTH ((int64) (5874897 - 2000) * 12 + 11)

static inline int64
cohort_key(int64 cohort, int64 month)
{
	return (cohort - MIN_MONTH) * (MAX_MONTH - MIN_MONTH + 1) + (month - MIN_MONTH);
}

static inline int64
key_cohort(int64 key)
{
	return key / (MAX_MONTH - MIN_MONTH + 1) + MIN_MONTH;
}

static inline int64
key_month(int64 key)
{
	return key % (MAX_MONTH - MIN_MONTH + 1) + MIN_MONTH;
}

static inline int64 *
entries(int64 *s)
{
	return s + A_HEADER;
}

/*
 * A state of `kind` with room for at least n entries, in `context`: a power
 * of two of them, so that a growing state is copied O(log n) times.
 */
static ArrayType *
activity_alloc(ActivityKind kind, int64 n, MemoryContext context)
{
	int64		capacity = 1;
	ArrayType  *state;
	int64	   *s;

	while (capacity < n)
		capacity *= 2;
	if (capacity > (int64) ((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(int64) - A_HEADER) / E_WIDTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv_activity_state state would need more than 1 GB")));
	state = clv_state_alloc((int) (A_HEADER + capacity * E_WIDTH), context);
	s = clv_state_data(state);
	s[A_MAGIC] = ACTIVITY_MAGIC;
	s[A_KIND] = kind;
	s[A_SLOTS] = capacity * E_WIDTH;
	return state;
}

/*
 * What keeps every read and write inside the array, checked on every row
 * (INITCOND can make the first state anything): O(1).
 */
static ArrayType *
activity_header_checked(Datum datum)
{
	ArrayType  *state = clv_state_checked(datum, ACTIVITY_MAGIC, A_HEADER, ACTIVITY_NAME);
	int64	   *s = clv_state_data(state);

	if (s[A_KIND] != ONE_CUSTOMER && s[A_KIND] != TOTAL_BY_MONTH && s[A_KIND] != TOTAL_BY_COHORT)
		clv_state_corrupt(ACTIVITY_NAME, "The kind of state is unknown.");
	/* (length minus header: A_HEADER + a forged slot count could overflow) */
	if (s[A_SLOTS] % E_WIDTH != 0 || s[A_SLOTS] != clv_state_length(state) - A_HEADER)
		clv_state_corrupt(ACTIVITY_NAME, "The array length does not match the number of body slots.");
	if (s[A_NENTRIES] < 0 || s[A_NENTRIES] > s[A_SLOTS] / E_WIDTH)
		clv_state_corrupt(ACTIVITY_NAME, "The number of entries does not fit in the body.");
	return state;
}

/* The whole check, for a state given to any function but a transition. */
static ArrayType *
activity_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = activity_header_checked(PG_GETARG_DATUM(argno));
	int64	   *s = clv_state_data(state);
	const int64 *e = entries(s);

	for (int64 i = 0; i < s[A_NENTRIES]; i++, e += E_WIDTH)
	{
		bool		key_ok;

		if (s[A_KIND] == TOTAL_BY_COHORT)
			key_ok = e[E_KEY] >= 0 && e[E_KEY] <= cohort_key(MAX_MONTH, MAX_MONTH) &&
				key_cohort(e[E_KEY]) <= key_month(e[E_KEY]);
		else
			key_ok = e[E_KEY] >= MIN_MONTH && e[E_KEY] <= MAX_MONTH;
		if (!key_ok || (i > 0 && e[E_KEY] <= e[E_KEY - E_WIDTH]))
			clv_state_corrupt(ACTIVITY_NAME, "The months are not valid and strictly increasing.");
		if (s[A_KIND] == ONE_CUSTOMER ? e[E_CUSTOMERS] != 1 : e[E_CUSTOMERS] < 1)
			clv_state_corrupt(ACTIVITY_NAME, "A month's number of customers is not valid.");
		if (e[E_ORDERS] < e[E_CUSTOMERS])
			clv_state_corrupt(ACTIVITY_NAME, "A month has fewer order rows than customers.");
		if (!clv_money_valid(clv_money_load(e + E_MONEY)))
			clv_state_corrupt(ACTIVITY_NAME, "A month's money is out of range.");
	}
	return state;
}

/* the first day of a month counted from January 2000 */
static DateADT
month_first_day(int64 month)
{
	int64		year = 2000 + (month >= 0 ? month / 12 : -((11 - month) / 12));

	return date2j((int) year, (int) (month - (year - 2000) * 12) + 1, 1) - POSTGRES_EPOCH_JDATE;
}

/*
 * The per-query cache of a transition: the time zone, and the month of the
 * last day seen with the days it spans (a customer's orders mostly fall in
 * few months, so j2date runs rarely).
 */
typedef struct ActivityCache
{
	ClvDayZone *zone;
	bool		valid;
	int32		first_day;		/* inclusive */
	int32		next_first_day; /* exclusive */
	int64		month;
} ActivityCache;

static ActivityCache *
activity_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ActivityCache));
	return (ActivityCache *) fcinfo->flinfo->fn_extra;
}

static int64
month_of_day(FunctionCallInfo fcinfo, int32 day)
{
	ActivityCache *cache = activity_cache(fcinfo);
	int			year,
				month,
				mday;

	if (cache->valid && day >= cache->first_day && day < cache->next_first_day)
		return cache->month;
	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	cache->valid = true;
	cache->first_day = date2j(year, month, 1) - POSTGRES_EPOCH_JDATE;
	cache->next_first_day = (month == 12 ? date2j(year + 1, 1, 1) : date2j(year, month + 1, 1)) - POSTGRES_EPOCH_JDATE;
	cache->month = (int64) (year - 2000) * 12 + (month - 1);
	return cache->month;
}

/*
 * Index of key in the sorted entries, or where it would go.  Rows come
 * mostly in time order, so the last entry is tried first.
 */
static int64
find_key(const int64 *e, int64 n, int64 key, bool *found)
{
	int64		lo = 0,
				hi = n;

	*found = false;
	if (n > 0 && e[(n - 1) * E_WIDTH + E_KEY] <= key)
	{
		*found = e[(n - 1) * E_WIDTH + E_KEY] == key;
		return *found ? n - 1 : n;
	}
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int64		k = e[mid * E_WIDTH + E_KEY];

		if (k == key)
		{
			*found = true;
			return mid;
		}
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Adds customers, orders and money to the entry of key, made if missing (a
 * new customer's month counts one customer: customers is then 1); the state
 * grows into CurrentMemoryContext when full.
 */
static ArrayType *
activity_add(ArrayType *state, int64 key, int64 customers, int64 orders, clv_money money)
{
	int64	   *s = clv_state_data(state);
	bool		found;
	int64		pos = find_key(entries(s), s[A_NENTRIES], key, &found);
	int64	   *e;

	if (!found)
	{
		if ((s[A_NENTRIES] + 1) * E_WIDTH > s[A_SLOTS])
		{
			ArrayType  *grown = activity_alloc((ActivityKind) s[A_KIND], 2 * (s[A_NENTRIES] + 1), CurrentMemoryContext);
			int64	   *g = clv_state_data(grown);
			int64		slots = g[A_SLOTS];

			memcpy(g, s, (A_HEADER + s[A_NENTRIES] * E_WIDTH) * sizeof(int64));
			g[A_SLOTS] = slots;
			state = grown;
			s = g;
		}
		e = entries(s) + pos * E_WIDTH;
		memmove(e + E_WIDTH, e, (s[A_NENTRIES] - pos) * E_WIDTH * sizeof(int64));
		e[E_KEY] = key;
		e[E_CUSTOMERS] = 0;
		e[E_ORDERS] = 0;
		clv_money_store(e + E_MONEY, 0);
		s[A_NENTRIES]++;
	}
	e = entries(s) + pos * E_WIDTH;
	e[E_CUSTOMERS] = s[A_KIND] == ONE_CUSTOMER ? 1 : clv_count_add(e[E_CUSTOMERS], customers, "number of customers");
	e[E_ORDERS] = clv_count_add(e[E_ORDERS], orders, "number of orders");
	clv_money_store(e + E_MONEY, clv_money_add(clv_money_load(e + E_MONEY), money));
	return state;
}

static ArrayType *
transition_state(FunctionCallInfo fcinfo, ActivityKind kind)
{
	MemoryContext aggcontext;
	ArrayType  *state;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("an activity transition function called in non-aggregate context")));
	if (PG_ARGISNULL(0))
		return activity_alloc(kind, 1, CurrentMemoryContext);
	state = activity_header_checked(PG_GETARG_DATUM(0));
	if (clv_state_data(state)[A_KIND] != kind)
		clv_state_corrupt(ACTIVITY_NAME, "The state is of another kind than this aggregate's.");
	return state;
}

/* a row without a time or an amount is skipped, as clv_summary skips it */
#define RETURN_STATE_IF_ROW_SKIPPED() \
	do { \
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) \
		{ \
			if (PG_ARGISNULL(0)) \
				PG_RETURN_NULL(); \
			PG_RETURN_DATUM(PG_GETARG_DATUM(0)); \
		} \
	} while (0)

/*
 * clv_activity_transfn(state, ordered_at timestamptz, amount float8,
 * time_zone text): the month of the order's calendar day in time_zone.
 */
Datum
clv_activity_transfn(PG_FUNCTION_ARGS)
{
	TimestampTz ordered_at;
	int32		day;

	RETURN_STATE_IF_ROW_SKIPPED();
	ordered_at = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(ordered_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order timestamp must be finite")));
	day = clv_timestamptz_day(clv_day_zone(fcinfo, 3, &activity_cache(fcinfo)->zone), ordered_at);
	PG_RETURN_ARRAYTYPE_P(activity_add(transition_state(fcinfo, ONE_CUSTOMER), month_of_day(fcinfo, day), 1, 1,
									   clv_money_from_float8(PG_GETARG_FLOAT8(2), "amount")));
}

/* clv_activity_date_transfn(state, order_date date, amount float8) */
Datum
clv_activity_date_transfn(PG_FUNCTION_ARGS)
{
	DateADT		order_date;

	RETURN_STATE_IF_ROW_SKIPPED();
	order_date = PG_GETARG_DATEADT(1);
	if (DATE_NOT_FINITE(order_date))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order date must be finite")));
	PG_RETURN_ARRAYTYPE_P(activity_add(transition_state(fcinfo, ONE_CUSTOMER), month_of_day(fcinfo, order_date), 1, 1,
									   clv_money_from_float8(PG_GETARG_FLOAT8(2), "amount")));
}

/*
 * A state without the room it kept to grow, as a table stores it: two
 * states of the same months are then equal arrays.
 */
static ArrayType *
activity_compact(const int64 *s)
{
	ArrayType  *compact = clv_state_alloc((int) (A_HEADER + s[A_NENTRIES] * E_WIDTH), CurrentMemoryContext);
	int64	   *c = clv_state_data(compact);

	memcpy(c, s, (A_HEADER + s[A_NENTRIES] * E_WIDTH) * sizeof(int64));
	c[A_SLOTS] = s[A_NENTRIES] * E_WIDTH;
	return compact;
}

/* clv_activity_final(state): the final function of the activity aggregates */
Datum
clv_activity_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_ARRAYTYPE_P(activity_compact(clv_state_data(activity_checked(fcinfo, 0))));
}

/*
 * clv_activity_total_transfn(total, activity, by_cohort): a customer's
 * activity added to a total by month, or by cohort and month.
 */
Datum
clv_activity_total_transfn(PG_FUNCTION_ARGS)
{
	ActivityKind kind;
	ArrayType  *total;
	int64	   *a;
	const int64 *e;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("by_cohort must not be null")));
	kind = PG_GETARG_BOOL(2) ? TOTAL_BY_COHORT : TOTAL_BY_MONTH;
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	total = transition_state(fcinfo, kind);
	a = clv_state_data(activity_checked(fcinfo, 1));
	if (a[A_KIND] != ONE_CUSTOMER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clv_activity_total adds the activity of one customer at a time"),
				 errhint("Combine totals with clv_activity_combine.")));
	e = entries(a);
	for (int64 i = 0; i < a[A_NENTRIES]; i++, e += E_WIDTH)
		total = activity_add(total, kind == TOTAL_BY_COHORT ? cohort_key(entries(a)[E_KEY], e[E_KEY]) : e[E_KEY],
							 1, e[E_ORDERS], clv_money_load(e + E_MONEY));
	PG_RETURN_ARRAYTYPE_P(total);
}

static void
check_same_kind(const int64 *a, const int64 *b)
{
	if (a[A_KIND] != b[A_KIND])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("activity states of different kinds cannot be combined"),
				 errdetail("One customer's activity, a total by month and a total by cohort are three kinds.")));
}

/*
 * Entries of a and b merged by key, combined by `merge` where both have the
 * key; entries of b alone are added with sign (a difference must find each).
 */
static ArrayType *
activity_merge(const int64 *a, const int64 *b, int sign, MemoryContext context)
{
	ArrayType  *merged = activity_alloc((ActivityKind) a[A_KIND], Max(a[A_NENTRIES] + b[A_NENTRIES], 1), context);
	int64	   *m = clv_state_data(merged);
	int64		i = 0,
				j = 0,
				n = 0;

	while (i < a[A_NENTRIES] || j < b[A_NENTRIES])
	{
		const int64 *ea = entries((int64 *) a) + i * E_WIDTH;
		const int64 *eb = entries((int64 *) b) + j * E_WIDTH;
		int64	   *em = entries(m) + n * E_WIDTH;

		if (j >= b[A_NENTRIES] || (i < a[A_NENTRIES] && ea[E_KEY] < eb[E_KEY]))
		{
			memcpy(em, ea, E_WIDTH * sizeof(int64));
			i++;
		}
		else if (sign < 0 && (i >= a[A_NENTRIES] || eb[E_KEY] < ea[E_KEY]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the activity taken off is not part of the total")));
		else if (i >= a[A_NENTRIES] || eb[E_KEY] < ea[E_KEY])
		{
			memcpy(em, eb, E_WIDTH * sizeof(int64));
			j++;
		}
		else
		{
			em[E_KEY] = ea[E_KEY];
			em[E_CUSTOMERS] = a[A_KIND] == ONE_CUSTOMER ? 1
				: clv_count_add(ea[E_CUSTOMERS], sign * eb[E_CUSTOMERS], "number of customers");
			em[E_ORDERS] = clv_count_add(ea[E_ORDERS], sign * eb[E_ORDERS], "number of orders");
			clv_money_store(em + E_MONEY, clv_money_add(clv_money_load(ea + E_MONEY),
														sign * clv_money_load(eb + E_MONEY)));
			i++;
			j++;
			if (em[E_CUSTOMERS] == 0)
			{
				/* all the month's customers taken off: nothing may be left */
				if (em[E_ORDERS] != 0 || clv_money_load(em + E_MONEY) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("the activity taken off is not part of the total")));
				continue;
			}
			if (em[E_CUSTOMERS] < 0 || em[E_ORDERS] < em[E_CUSTOMERS])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the activity taken off is not part of the total")));
		}
		n++;
	}
	m[A_NENTRIES] = n;
	return merged;
}

/*
 * clv_activity_combine(a, b): the combine function of every activity
 * aggregate, and a total plus a total.  Two partial states of one customer
 * (from parallel workers) count that customer once in a month.
 */
Datum
clv_activity_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	Datum		given;
	int64	   *a,
			   *b;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		aggcontext = CurrentMemoryContext;
	if (clv_combine_with_null(fcinfo, activity_checked, &given))
		return given;
	a = clv_state_data(activity_checked(fcinfo, 0));
	b = clv_state_data(activity_checked(fcinfo, 1));
	check_same_kind(a, b);
	if (!AggCheckCallContext(fcinfo, NULL))
		PG_RETURN_ARRAYTYPE_P(activity_compact(clv_state_data(activity_merge(a, b, 1, CurrentMemoryContext))));
	PG_RETURN_ARRAYTYPE_P(activity_merge(a, b, 1, aggcontext));
}

/*
 * clv_activity_difference(total, part): a total without the customers of
 * part (a total of the same kind over some of the same customers' states,
 * as they were added); months left without a customer are dropped.
 */
Datum
clv_activity_difference(PG_FUNCTION_ARGS)
{
	int64	   *a,
			   *b;

	a = clv_state_data(activity_checked(fcinfo, 0));
	b = clv_state_data(activity_checked(fcinfo, 1));
	check_same_kind(a, b);
	if (a[A_KIND] == ONE_CUSTOMER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clv_activity_difference takes totals, not one customer's activity")));
	PG_RETURN_ARRAYTYPE_P(activity_compact(clv_state_data(activity_merge(a, b, -1, CurrentMemoryContext))));
}

/*
 * clv_activity_months(state) RETURNS TABLE (cohort date, month date,
 * customers bigint, orders bigint, amount float8): one row per entry; the
 * cohort only in a total by cohort; the amount summed exactly and rounded
 * once.
 */
Datum
clv_activity_months(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64	   *s;
	const int64 *e;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	s = clv_state_data(activity_checked(fcinfo, 0));
	e = entries(s);
	for (int64 i = 0; i < s[A_NENTRIES]; i++, e += E_WIDTH)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		if (s[A_KIND] == TOTAL_BY_COHORT)
		{
			values[0] = DateADTGetDatum(month_first_day(key_cohort(e[E_KEY])));
			values[1] = DateADTGetDatum(month_first_day(key_month(e[E_KEY])));
		}
		else
		{
			nulls[0] = true;
			values[1] = DateADTGetDatum(month_first_day(e[E_KEY]));
		}
		values[2] = Int64GetDatum(e[E_CUSTOMERS]);
		values[3] = Int64GetDatum(e[E_ORDERS]);
		values[4] = Float8GetDatum(clv_money_to_float8(clv_money_load(e + E_MONEY)));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
