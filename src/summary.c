/*
 * summary.c: the clv_summary aggregate, one customer's orders summarised.
 *
 * The state keeps one entry per calendar day that saw an order or a refund,
 * sorted by day, with the day's order count and its net amount.  That is
 * what the Buy-Till-You-Die summary needs (same-day orders are one purchase,
 * a refund never makes a purchase on its own) and it is bounded by the
 * number of days in the observation window, not by the number of orders.
 * Amounts are summed exactly (clv_money), so the result does not depend on
 * the order of the rows or on how parallel workers split them.
 */
#include "calendar.h"
#include "state.h"
#include "summary.h"

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "common/int.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(clv_summary_transfn);
PG_FUNCTION_INFO_V1(clv_summary_date_transfn);
PG_FUNCTION_INFO_V1(clv_summary_combine);
PG_FUNCTION_INFO_V1(clv_summary_final);

#define SUMMARY_NAME "clv_summary"

/*
 * State layout (bigint[]): a header, then a body of `slots` slots shared by
 * two sorted lists that grow towards each other, so that either can use
 * the free space between them:
 *   purchase days from the front, one slot each;
 *   refund days from the back, (day, money (2 slots)) each, the earliest
 *   nearest the middle.
 * The header (S_*): layout tag; purchase days and refund days held; body
 * slots; observation_end as given (timestamptz microseconds or date); the
 * time unit in microseconds; the calendar day of observation_end; order
 * rows and refund rows; the money of all orders and of the orders on the
 * first purchase day (2 slots each).  What a row touches first comes first:
 * a 64-byte cache line holds the array header and S_MAGIC .. S_UNIT.
 * Days are PostgreSQL date values (days since 2000-01-01).
 *
 * Only refunds keep a per-day amount, because only they can change the
 * value of a purchase day after the fact: a refund on a purchase day
 * lowers that purchase, a refund on any other day lowers the total alone.
 * Orders are rows with amount >= 0; same-day orders are one purchase.
 */
#define SUMMARY_MAGIC	INT64CONST(0x434c565303)	/* "CLVS", layout 3 */
enum
{
	S_MAGIC,
	S_NDAYS,
	S_NREFUND_DAYS,
	S_SLOTS,
	S_END,
	S_UNIT,
	S_END_DAY,
	S_ORDERS,
	S_REFUNDS,
	S_ORDER_MONEY,				/* 2 slots */
	S_FIRST_DAY_MONEY = S_ORDER_MONEY + 2,	/* 2 slots */
	S_HEADER = S_FIRST_DAY_MONEY + 2
};
enum
{
	R_DAY,
	R_MONEY,					/* 2 slots */
	R_WIDTH = R_MONEY + 2
};

static inline int64 *
summary_days(int64 *s)
{
	return s + S_HEADER;
}

/* the refund list starts where its earliest entry is */
static inline int64 *
summary_refund_days(int64 *s)
{
	return s + S_HEADER + s[S_SLOTS] - s[S_NREFUND_DAYS] * R_WIDTH;
}

static inline int64
summary_free_slots(const int64 *s)
{
	return s[S_SLOTS] - s[S_NDAYS] - s[S_NREFUND_DAYS] * R_WIDTH;
}

/*
 * A state with a body of at least min_slots, allocated in `context`.
 * palloc rounds small requests up to a power of two and the body takes that
 * slack: a new customer's 256 bytes hold 16 purchase days, or fewer days
 * and some refund days, before the state must grow.
 */
static ArrayType *
summary_alloc(int64 min_slots, MemoryContext context)
{
	Size		overhead = ARR_OVERHEAD_NONULLS(1) + S_HEADER * sizeof(int64);
	Size		nbytes;
	ArrayType  *state;
	int64	   *s;

	if (min_slots > (int64) ((MaxAllocSize - overhead) / sizeof(int64)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv_summary state would need more than 1 GB")));
	nbytes = overhead + min_slots * sizeof(int64);
	if (nbytes <= 8192)
		nbytes = pg_nextpower2_32((uint32) nbytes);
	state = clv_state_alloc((int) ((nbytes - ARR_OVERHEAD_NONULLS(1)) / sizeof(int64)), context);
	s = clv_state_data(state);
	s[S_MAGIC] = SUMMARY_MAGIC;
	s[S_SLOTS] = clv_state_length(state) - S_HEADER;
	return state;
}

/* A copy of the state with twice the body, in the current context. */
static ArrayType *
summary_grow(int64 *s)
{
	ArrayType  *grown = summary_alloc(Max(2 * s[S_SLOTS], S_HEADER), CurrentMemoryContext);
	int64	   *g = clv_state_data(grown);
	int64		slots = g[S_SLOTS];

	memcpy(g, s, S_HEADER * sizeof(int64));
	g[S_SLOTS] = slots;
	memcpy(summary_days(g), summary_days(s), s[S_NDAYS] * sizeof(int64));
	memcpy(summary_refund_days(g), summary_refund_days(s),
		   s[S_NREFUND_DAYS] * R_WIDTH * sizeof(int64));
	return grown;
}

static int64
time_unit_usecs(FunctionCallInfo fcinfo, int argno)
{
	if (!clv_option_given(fcinfo, argno))
		return USECS_PER_DAY;
	return clv_interval_length_usecs(PG_GETARG_INTERVAL_P(argno), "time_unit");
}

/*
 * Index of `day` in a sorted list of n entries of `width` slots whose first
 * slot is the day, or where it would be inserted.  Orders mostly arrive in
 * date order, so the last entry is tried before a binary search.
 */
static int64
find_day(const int64 *list, int64 n, int width, int64 day, bool *found)
{
	int64		lo = 0,
				hi = n;

	*found = false;
	if (n == 0 || list[(n - 1) * width] < day)
		return n;
	while (lo < hi)
	{
		int64		mid = lo + (hi - lo) / 2;
		int64		mid_day = list[mid * width];

		if (mid_day == day)
		{
			*found = true;
			return mid;
		}
		if (mid_day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}


/*
 * Add one row to the state, in place.  When the body is full a larger state
 * is returned, allocated in the per-row context: the executor copies a new
 * state into the aggregate context and frees the old one.
 */
static ArrayType *
summary_add(ArrayType *state, int32 day, double amount)
{
	clv_money	money = clv_money_from_float8(amount, "amount");
	int64	   *s = clv_state_data(state);
	bool		found;

	if (amount < 0)
	{
		int64		n = s[S_NREFUND_DAYS];
		int64		pos = find_day(summary_refund_days(s), n, R_WIDTH, day, &found);
		int64	   *entry;

		if (!found)
		{
			int64	   *list;

			if (summary_free_slots(s) < R_WIDTH)
			{
				state = summary_grow(s);
				s = clv_state_data(state);
			}
			/* the list grows towards the front: move the earlier entries */
			list = summary_refund_days(s);
			memmove(list - R_WIDTH, list, pos * R_WIDTH * sizeof(int64));
			s[S_NREFUND_DAYS] = n + 1;
			entry = summary_refund_days(s) + pos * R_WIDTH;
			entry[R_DAY] = day;
			clv_money_store(entry + R_MONEY, 0);
		}
		entry = summary_refund_days(s) + pos * R_WIDTH;
		clv_money_store(entry + R_MONEY, clv_money_add(clv_money_load(entry + R_MONEY), money));
		s[S_REFUNDS] = clv_count_add(s[S_REFUNDS], 1, "clv_summary row count");
	}
	else
	{
		int64		n = s[S_NDAYS];
		int64		pos = find_day(summary_days(s), n, 1, day, &found);

		if (!found)
		{
			int64	   *days;

			if (summary_free_slots(s) < 1)
			{
				state = summary_grow(s);
				s = clv_state_data(state);
			}
			days = summary_days(s);
			memmove(days + pos + 1, days + pos, (n - pos) * sizeof(int64));
			days[pos] = day;
			s[S_NDAYS] = n + 1;
			if (pos == 0)
				clv_money_store(s + S_FIRST_DAY_MONEY, 0);
		}
		if (pos == 0)
			clv_money_store(s + S_FIRST_DAY_MONEY,
							clv_money_add(clv_money_load(s + S_FIRST_DAY_MONEY), money));
		clv_money_store(s + S_ORDER_MONEY, clv_money_add(clv_money_load(s + S_ORDER_MONEY), money));
		s[S_ORDERS] = clv_count_add(s[S_ORDERS], 1, "clv_summary row count");
	}
	return state;
}

/*
 * The O(1) part of a state's checks: what keeps every read and write of a
 * transition inside the array.  The transition functions run it on every
 * row, since INITCOND can make the first state anything.
 */
static ArrayType *
summary_header_checked(Datum datum)
{
	ArrayType  *state = clv_state_checked(datum, SUMMARY_MAGIC, S_HEADER, SUMMARY_NAME);
	int64	   *s = clv_state_data(state);

	/* (length minus header: S_HEADER + a forged slot count could overflow) */
	if (clv_state_length(state) - S_HEADER != s[S_SLOTS])
		clv_state_corrupt(SUMMARY_NAME, "The array length does not match the number of body slots.");
	if (s[S_NDAYS] < 0 || s[S_NREFUND_DAYS] < 0 || s[S_NDAYS] > s[S_SLOTS] ||
		s[S_NREFUND_DAYS] > s[S_SLOTS] || summary_free_slots(s) < 0)
		clv_state_corrupt(SUMMARY_NAME, "The numbers of days do not fit in the body.");
	return state;
}

/*
 * The part of a transition common to both input types: fetch the state,
 * start it on the first row, check that observation_end and time_unit stay
 * the same within the group.
 */
static ArrayType *
summary_transition_state(FunctionCallInfo fcinfo, int64 end, int32 end_day)
{
	MemoryContext aggcontext;
	int64		unit = time_unit_usecs(fcinfo, 4);
	ArrayType  *state;
	int64	   *s;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_summary_transfn called in non-aggregate context")));

	if (PG_ARGISNULL(0))
	{
		state = summary_alloc(1, CurrentMemoryContext);
		s = clv_state_data(state);
		s[S_END] = end;
		s[S_END_DAY] = end_day;
		s[S_UNIT] = unit;
		return state;
	}
	state = summary_header_checked(PG_GETARG_DATUM(0));
	s = clv_state_data(state);
	if (s[S_END] != end)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must be the same for every row of a group")));
	if (s[S_UNIT] != unit)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_unit must be the same for every row of a group")));
	return state;
}

/*
 * A row with a NULL order time or amount is skipped, as sum() skips NULLs;
 * a NULL observation_end is an error.
 */
static bool
summary_row_skipped(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return true;
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("observation_end must not be null"),
				 errhint("clv never assumes now(): give the end of the observation period explicitly.")));
	return false;
}

/*
 * clv_summary_transfn(state, ordered_at timestamptz, amount, observation_end
 * [, time_unit [, time_zone]]): days in time_zone, or in the session's
 * TimeZone without it.
 */
Datum
clv_summary_transfn(PG_FUNCTION_ARGS)
{
	TimestampTz ordered_at;
	TimestampTz end;
	double		amount;
	ArrayType  *state;
	ClvDayZone *dz;

	if (summary_row_skipped(fcinfo))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ordered_at = PG_GETARG_TIMESTAMPTZ(1);
	amount = PG_GETARG_FLOAT8(2);
	end = PG_GETARG_TIMESTAMPTZ(3);

	if (TIMESTAMP_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must be finite")));
	if (TIMESTAMP_NOT_FINITE(ordered_at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order timestamp must be finite")));
	if (ordered_at > end)
	{
		char	   *when = pstrdup(timestamptz_to_str(ordered_at));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order at %s is after observation_end %s",
						when, timestamptz_to_str(end)),
				 errhint("Filter the orders with WHERE ordered_at <= observation_end.")));
	}

	dz = clv_day_zone(fcinfo, 5, (ClvDayZone **) &fcinfo->flinfo->fn_extra);
	state = summary_transition_state(fcinfo, end, PG_ARGISNULL(0) ? clv_timestamptz_day(dz, end) : 0);
	PG_RETURN_ARRAYTYPE_P(summary_add(state, clv_timestamptz_day(dz, ordered_at), amount));
}

/* clv_summary_transfn(state, order_date date, amount, observation_end date [, time_unit]) */
Datum
clv_summary_date_transfn(PG_FUNCTION_ARGS)
{
	DateADT		order_date;
	DateADT		end;
	double		amount;
	ArrayType  *state;

	if (summary_row_skipped(fcinfo))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	order_date = PG_GETARG_DATEADT(1);
	amount = PG_GETARG_FLOAT8(2);
	end = PG_GETARG_DATEADT(3);

	if (DATE_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must be finite")));
	if (DATE_NOT_FINITE(order_date))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order date must be finite")));
	if (order_date > end)
	{
		char	   *when = clv_date_str(order_date);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order on %s is after observation_end %s", when,
						clv_date_str(end)),
				 errhint("Filter the orders with WHERE order_date <= observation_end.")));
	}

	state = summary_transition_state(fcinfo, end, end);
	PG_RETURN_ARRAYTYPE_P(summary_add(state, order_date, amount));
}

/*
 * Everything the combine and final functions rely on, checked on a state
 * that may have been typed in by hand or have crossed a network as text.
 */
static bool
sorted_valid_days(const int64 *list, int64 n, int width, int64 end_day)
{
	for (int64 i = 0; i < n; i++)
	{
		int64		day = list[i * width];

		if (!IS_VALID_DATE(day) || day > end_day || (i > 0 && day <= list[(i - 1) * width]))
			return false;
	}
	return true;
}

static ArrayType *
summary_get_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = summary_header_checked(PG_GETARG_DATUM(argno));
	int64	   *s = clv_state_data(state);
	int64		ndays = s[S_NDAYS];
	int64		nrefund_days = s[S_NREFUND_DAYS];
	clv_money	order_money = clv_money_load(s + S_ORDER_MONEY);
	clv_money	first_day_money = clv_money_load(s + S_FIRST_DAY_MONEY);
	int64	   *refund_days;

	if (!IS_VALID_DATE(s[S_END_DAY]) || s[S_UNIT] <= 0)
		clv_state_corrupt(SUMMARY_NAME, "The observation end or the time unit is out of range.");
	if (s[S_ORDERS] < ndays || (ndays == 0) != (s[S_ORDERS] == 0) ||
		s[S_REFUNDS] < nrefund_days || (nrefund_days == 0) != (s[S_REFUNDS] == 0))
		clv_state_corrupt(SUMMARY_NAME, "The row counts do not match the days.");
	if (!clv_money_valid(order_money) || first_day_money < 0 || first_day_money > order_money ||
		(ndays == 0 && order_money != 0))
		clv_state_corrupt(SUMMARY_NAME, "The order amounts are out of range.");
	if (!sorted_valid_days(summary_days(s), ndays, 1, s[S_END_DAY]))
		clv_state_corrupt(SUMMARY_NAME, "The purchase days are not strictly increasing valid dates up to the observation end.");
	refund_days = summary_refund_days(s);
	if (!sorted_valid_days(refund_days, nrefund_days, R_WIDTH, s[S_END_DAY]))
		clv_state_corrupt(SUMMARY_NAME, "The refund days are not strictly increasing valid dates up to the observation end.");
	for (int64 i = 0; i < nrefund_days; i++)
	{
		clv_money	refund = clv_money_load(refund_days + i * R_WIDTH + R_MONEY);

		if (!clv_money_valid(refund) || refund > 0)
			clv_state_corrupt(SUMMARY_NAME, "A refund amount is positive or out of range.");
	}
	return state;
}

/*
 * Merge two sorted lists of `width`-slot entries into out; entries of the
 * same day appear once, their money (slot 1, 2 slots) added when width > 1.
 * Returns the number of entries written.
 */
static int64
merge_days(const int64 *a, int64 na, const int64 *b, int64 nb, int width, int64 *out)
{
	int64		i = 0,
				j = 0,
				k = 0;

	while (i < na || j < nb)
	{
		const int64 *ea = i < na ? a + i * width : NULL;
		const int64 *eb = j < nb ? b + j * width : NULL;
		int64	   *eo = out + (k++) * width;

		if (eb == NULL || (ea != NULL && ea[0] < eb[0]))
		{
			memcpy(eo, ea, width * sizeof(int64));
			i++;
		}
		else if (ea == NULL || eb[0] < ea[0])
		{
			memcpy(eo, eb, width * sizeof(int64));
			j++;
		}
		else
		{
			eo[0] = ea[0];
			if (width > 1)
				clv_money_store(eo + 1, clv_money_add(clv_money_load(ea + 1), clv_money_load(eb + 1)));
			i++;
			j++;
		}
	}
	return k;
}

Datum
clv_summary_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ArrayType  *a;
	ArrayType  *b;
	ArrayType  *merged;
	int64	   *sa,
			   *sb,
			   *sm;
	clv_money	first_a,
				first_b;
	int64		nrefund_max,
				nrefund;
	int64	   *refunds_out;

	if (clv_combine_with_null(fcinfo, summary_get_checked, &given))
		return given;

	a = summary_get_checked(fcinfo, 0);
	b = summary_get_checked(fcinfo, 1);
	sa = clv_state_data(a);
	sb = clv_state_data(b);
	if (sa[S_END] != sb[S_END] || sa[S_UNIT] != sb[S_UNIT])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine clv_summary states with different observation_end or time_unit")));

	nrefund_max = sa[S_NREFUND_DAYS] + sb[S_NREFUND_DAYS];
	merged = summary_alloc(sa[S_NDAYS] + sb[S_NDAYS] + nrefund_max * R_WIDTH, CurrentMemoryContext);
	sm = clv_state_data(merged);
	sm[S_END] = sa[S_END];
	sm[S_END_DAY] = sa[S_END_DAY];
	sm[S_UNIT] = sa[S_UNIT];
	sm[S_ORDERS] = clv_count_add(sa[S_ORDERS], sb[S_ORDERS], "clv_summary row count");
	sm[S_REFUNDS] = clv_count_add(sa[S_REFUNDS], sb[S_REFUNDS], "clv_summary row count");
	clv_money_store(sm + S_ORDER_MONEY, clv_money_add(clv_money_load(sa + S_ORDER_MONEY),
													  clv_money_load(sb + S_ORDER_MONEY)));
	/* the first purchase day is the earlier one; on a tie both count */
	first_a = clv_money_load(sa + S_FIRST_DAY_MONEY);
	first_b = clv_money_load(sb + S_FIRST_DAY_MONEY);
	if (sb[S_NDAYS] == 0 || (sa[S_NDAYS] > 0 && summary_days(sa)[0] < summary_days(sb)[0]))
		clv_money_store(sm + S_FIRST_DAY_MONEY, first_a);
	else if (sa[S_NDAYS] == 0 || summary_days(sb)[0] < summary_days(sa)[0])
		clv_money_store(sm + S_FIRST_DAY_MONEY, first_b);
	else
		clv_money_store(sm + S_FIRST_DAY_MONEY, clv_money_add(first_a, first_b));

	sm[S_NDAYS] = merge_days(summary_days(sa), sa[S_NDAYS], summary_days(sb), sb[S_NDAYS],
							 1, summary_days(sm));
	/* merge the refunds as far back as they could reach, then close the gap */
	refunds_out = summary_days(sm) + sm[S_SLOTS] - nrefund_max * R_WIDTH;
	nrefund = merge_days(summary_refund_days(sa), sa[S_NREFUND_DAYS],
						 summary_refund_days(sb), sb[S_NREFUND_DAYS], R_WIDTH, refunds_out);
	sm[S_NREFUND_DAYS] = nrefund;
	memmove(summary_refund_days(sm), refunds_out, nrefund * R_WIDTH * sizeof(int64));
	PG_RETURN_ARRAYTYPE_P(merged);
}

/* Days to the summary's time unit; exact for any span under 285 years. */
static inline double
days_in_units(int64 days, int64 unit_usecs)
{
	return (double) days * (double) USECS_PER_DAY / (double) unit_usecs;
}

/* The result row's descriptor, looked up once per query. */
static TupleDesc
summary_result_desc(FunctionCallInfo fcinfo)
{
	TupleDesc	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "clv_summary_final must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		if (tupdesc->natts != CLV_SUMMARY_NFIELDS)
			elog(ERROR, "clv_summary type has %d attributes, expected %d",
				 tupdesc->natts, CLV_SUMMARY_NFIELDS);
		fcinfo->flinfo->fn_extra = tupdesc;
	}
	return tupdesc;
}

Datum
clv_summary_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int64	   *days = summary_days(s);
	int64	   *refund_days = summary_refund_days(s);
	int64		ndays = s[S_NDAYS];
	int64		unit = s[S_UNIT];
	Datum		values[CLV_SUMMARY_NFIELDS];
	bool		nulls[CLV_SUMMARY_NFIELDS];
	clv_money	refunded = 0;
	clv_money	repeat_money;
	Interval   *time_unit;

	/* refunds lower the total; those on a repeat purchase day lower it too */
	repeat_money = clv_money_load(s + S_ORDER_MONEY) - clv_money_load(s + S_FIRST_DAY_MONEY);
	for (int64 i = 0, d = 0; i < s[S_NREFUND_DAYS]; i++)
	{
		int64		day = refund_days[i * R_WIDTH + R_DAY];
		clv_money	refund = clv_money_load(refund_days + i * R_WIDTH + R_MONEY);

		refunded = clv_money_add(refunded, refund);
		while (d < ndays && days[d] < day)
			d++;
		if (d > 0 && d < ndays && days[d] == day)
			repeat_money = clv_money_add(repeat_money, refund);
	}

	memset(nulls, true, sizeof(nulls));
	values[CLV_SUMMARY_OBSERVATION_END] = DateADTGetDatum((DateADT) s[S_END_DAY]);
	values[CLV_SUMMARY_ORDERS] = Int64GetDatum(s[S_ORDERS]);
	values[CLV_SUMMARY_REFUNDS] = Int64GetDatum(s[S_REFUNDS]);
	values[CLV_SUMMARY_PURCHASE_DAYS] = Int32GetDatum((int32) ndays);
	values[CLV_SUMMARY_TOTAL_AMOUNT] = Float8GetDatum(clv_money_to_float8(clv_money_add(clv_money_load(s + S_ORDER_MONEY),
																			  refunded)));
	values[CLV_SUMMARY_REFUNDED_AMOUNT] = Float8GetDatum(clv_money_to_float8(-refunded));
	time_unit = palloc0(sizeof(Interval));
	if (unit % USECS_PER_DAY == 0)
		time_unit->day = (int32) (unit / USECS_PER_DAY);
	else
		time_unit->time = unit;
	values[CLV_SUMMARY_TIME_UNIT] = IntervalPGetDatum(time_unit);
	nulls[CLV_SUMMARY_OBSERVATION_END] = nulls[CLV_SUMMARY_ORDERS] = nulls[CLV_SUMMARY_REFUNDS] = false;
	nulls[CLV_SUMMARY_PURCHASE_DAYS] = nulls[CLV_SUMMARY_TOTAL_AMOUNT] = nulls[CLV_SUMMARY_REFUNDED_AMOUNT] = false;
	nulls[CLV_SUMMARY_TIME_UNIT] = false;

	if (ndays > 0)
	{
		int64		frequency = ndays - 1;
		int64		first_day = days[0];
		int64		last_day = days[ndays - 1];
		double		recency = days_in_units(last_day - first_day, unit);

		values[CLV_SUMMARY_FIRST_ORDER] = DateADTGetDatum((DateADT) first_day);
		values[CLV_SUMMARY_LAST_ORDER] = DateADTGetDatum((DateADT) last_day);
		values[CLV_SUMMARY_AVG_ORDER_VALUE] = Float8GetDatum(DatumGetFloat8(values[CLV_SUMMARY_TOTAL_AMOUNT]) / s[S_ORDERS]);
		values[CLV_SUMMARY_FREQUENCY] = Int32GetDatum((int32) frequency);
		values[CLV_SUMMARY_RECENCY] = Float8GetDatum(recency);
		values[CLV_SUMMARY_AGE] = Float8GetDatum(days_in_units(s[S_END_DAY] - first_day, unit));
		values[CLV_SUMMARY_MONETARY] = Float8GetDatum(frequency > 0 ?
											clv_money_to_float8(repeat_money) / frequency : 0.0);
		nulls[CLV_SUMMARY_FIRST_ORDER] = nulls[CLV_SUMMARY_LAST_ORDER] = nulls[CLV_SUMMARY_AVG_ORDER_VALUE] = false;
		nulls[CLV_SUMMARY_FREQUENCY] = nulls[CLV_SUMMARY_RECENCY] = nulls[CLV_SUMMARY_AGE] = nulls[CLV_SUMMARY_MONETARY] = false;

		if (frequency > 0)
		{
			values[CLV_SUMMARY_MEAN_GAP] = Float8GetDatum(recency / frequency);
			nulls[CLV_SUMMARY_MEAN_GAP] = false;
		}
		if (frequency > 1)
		{
			/* two passes over integer gaps: exact mean, no cancellation */
			double		mean_days = (double) (last_day - first_day) / frequency;
			double		sum_sq = 0;

			for (int64 i = 1; i < ndays; i++)
			{
				double		d = (double) (days[i] - days[i - 1]) - mean_days;

				sum_sq += d * d;
			}
			values[CLV_SUMMARY_GAP_STDDEV] = Float8GetDatum(days_in_units(1, unit) *
												  sqrt(sum_sq / (frequency - 1)));
			nulls[CLV_SUMMARY_GAP_STDDEV] = false;
		}
	}

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(summary_result_desc(fcinfo), values, nulls)));
}

/*
 * The descriptor summaries are read with, kept for the backend: every score
 * of every customer reads a summary, and looking the descriptor up in the
 * type cache each time (a hash lookup, and a pin in the resource owner) was
 * a tenth of a cheap score such as P(alive).  A copy is kept per type and
 * typmod, and is looked up again after any change to pg_attribute seen by
 * this backend: a composite type's fields are its relation's attributes, so
 * ALTER TYPE adds, drops or changes one.  (A pg_attribute syscache callback
 * rather than a relcache one: a backend has 64 slots for the first and 10
 * for the second, shared with other extensions, and running out is FATAL.)
 */
static TupleDesc summary_desc = NULL;
static Oid	summary_desc_type = InvalidOid;
static int32 summary_desc_typmod = -1;
static bool summary_desc_valid = false;

static void
summary_desc_invalidate(Datum arg, int cache_id, uint32 hash_value)
{
	/* freed at the next read, never while a caller may be deforming with it */
	summary_desc_valid = false;
}

static TupleDesc
summary_desc_for(Oid type, int32 typmod)
{
	static bool callback_registered = false;

	if (!summary_desc_valid || type != summary_desc_type || typmod != summary_desc_typmod)
	{
		TupleDesc	cached = lookup_rowtype_tupdesc(type, typmod);
		TupleDesc	copy;
		MemoryContext old_context;

		if (!callback_registered)
		{
			CacheRegisterSyscacheCallback(ATTNUM, summary_desc_invalidate, (Datum) 0);
			callback_registered = true;
		}
		old_context = MemoryContextSwitchTo(CacheMemoryContext);
		copy = CreateTupleDescCopy(cached);
		MemoryContextSwitchTo(old_context);
		ReleaseTupleDesc(cached);
		/*
		 * The old copy is freed only once the new one is made: an error in
		 * between leaves the old one, not a dangling pointer.
		 */
		if (summary_desc != NULL)
			FreeTupleDesc(summary_desc);
		summary_desc = copy;
		summary_desc_type = type;
		summary_desc_typmod = typmod;
		summary_desc_valid = true;
	}
	return summary_desc;
}

/*
 * Reading a summary given as input.  The composite is deformed once (looking
 * its fields up one by one costs a type-cache lookup each); a summary can be
 * typed in, so the getters check what they return.
 */
void
clv_summary_read(HeapTupleHeader summary, ClvSummaryRow *row)
{
	TupleDesc	tupdesc = summary_desc_for(HeapTupleHeaderGetTypeId(summary), HeapTupleHeaderGetTypMod(summary));
	HeapTupleData tuple;

	if (tupdesc->natts != CLV_SUMMARY_NFIELDS)
		elog(ERROR, "clv_summary has %d fields, expected %d", tupdesc->natts, CLV_SUMMARY_NFIELDS);
	tuple.t_len = HeapTupleHeaderGetDatumLength(summary);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = summary;
	heap_deform_tuple(&tuple, tupdesc, row->values, row->nulls);
}

/* in the order of ClvSummaryField, for messages */
static const char *const summary_field_names[CLV_SUMMARY_NFIELDS] = {
	"first_order", "last_order", "observation_end", "orders", "refunds", "purchase_days",
	"total_amount", "refunded_amount", "avg_order_value", "frequency", "recency", "age",
	"monetary", "mean_gap", "gap_stddev", "time_unit"
};

Datum
clv_summary_get(const ClvSummaryRow *row, ClvSummaryField field)
{
	if (row->nulls[field])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summary has no %s", summary_field_names[field])));
	return row->values[field];
}

DateADT
clv_summary_get_date(const ClvSummaryRow *row, ClvSummaryField field)
{
	DateADT		value = DatumGetDateADT(clv_summary_get(row, field));

	if (DATE_NOT_FINITE(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summary dates must be finite")));
	return value;
}

/* A summary without purchases (refunds only) has no BTYD history: false. */
bool
clv_summary_history(const ClvSummaryRow *row, double *x, double *t_x, double *T)
{
	if (row->nulls[CLV_SUMMARY_FREQUENCY])
		return false;
	*x = DatumGetInt32(clv_summary_get(row, CLV_SUMMARY_FREQUENCY));
	*t_x = DatumGetFloat8(clv_summary_get(row, CLV_SUMMARY_RECENCY));
	*T = DatumGetFloat8(clv_summary_get(row, CLV_SUMMARY_AGE));
	return true;
}

/*
 * clv_summary_advance(state, observation_end timestamptz [, time_zone]): the
 * state of the same orders observed up to a later moment.  The orders do
 * not change, only the end of observation (and with it every customer's
 * age), so an incremental refresh can keep each customer's state and
 * combine it with the state of the new orders alone.  For states of the
 * timestamptz clv_summary_state aggregate; the day of the new end is taken
 * in time_zone (the zone the state was made in) or the session TimeZone.
 * clv_summary_advance(state, observation_end date) does the same for the
 * states of the date aggregate.  end_is_date says which end is, for the
 * error's text only: it is formatted when the error is raised, not for
 * every customer a refresh scores.
 */
static Datum
summary_advanced(ArrayType *state, int64 end, int64 end_day, bool end_is_date)
{
	ArrayType  *result;
	int64	   *s = clv_state_data(state);

	/* the day too: a state from another calendar, or forged */
	if (end < s[S_END] || end_day < s[S_END_DAY])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a summary state can only be advanced to a later observation_end"),
				 errdetail("The state is observed up to the day %s; the new end %s falls on %s.",
						   clv_date_str((int32) s[S_END_DAY]),
						   end_is_date ? clv_date_str((int32) end) : timestamptz_to_str(end),
						   clv_date_str((int32) end_day))));
	result = (ArrayType *) palloc(VARSIZE(state));
	memcpy(result, state, VARSIZE(state));
	s = clv_state_data(result);
	s[S_END] = end;
	s[S_END_DAY] = end_day;
	PG_RETURN_ARRAYTYPE_P(result);
}

PG_FUNCTION_INFO_V1(clv_summary_advance);

Datum
clv_summary_advance(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	TimestampTz end = PG_GETARG_TIMESTAMPTZ(1);

	if (TIMESTAMP_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must be finite")));
	return summary_advanced(state, end, clv_timestamptz_day(clv_day_zone(fcinfo, 2, (ClvDayZone **) &fcinfo->flinfo->fn_extra), end),
							false);
}

PG_FUNCTION_INFO_V1(clv_summary_advance_date);

Datum
clv_summary_advance_date(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	DateADT		end = PG_GETARG_DATEADT(1);

	if (DATE_NOT_FINITE(end))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("observation_end must be finite")));
	return summary_advanced(state, end, end, true);
}

/*
 * clv_summary_advances_to(state, later): whether state, moved on to the
 * observation end of later (clv_summary_advance), is later.  A full pipeline
 * refresh keeps a stored state for which it is, rather than write the state
 * it has just made again (stored states are moved on when read), so that the
 * table does not grow by a copy of itself every full refresh.  later is
 * checked as any state argument.  state is the stored one: anything that
 * does not advance to later, a state corrupted in the table included, is
 * false and not an error, so that a full refresh replaces it.  Only the end
 * and its day may differ, no later than later's; with every other slot
 * equal to later's, state is then as valid as later is once its own end day
 * is a date no earlier than its last purchase or refund.
 */
PG_FUNCTION_INFO_V1(clv_summary_advances_to);

Datum
clv_summary_advances_to(PG_FUNCTION_ARGS)
{
	ArrayType  *later = summary_get_checked(fcinfo, 1);
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(0);
	int64	   *l = clv_state_data(later);
	int64	   *s;

	/* the same array header (dimensions, element type, no nulls) */
	if (VARSIZE(state) != VARSIZE(later) ||
		memcmp(state, later, ARR_DATA_OFFSET(later)) != 0)
		PG_RETURN_BOOL(false);
	s = clv_state_data(state);
	for (int i = 0; i < clv_state_length(later); i++)
	{
		if (i != S_END && i != S_END_DAY && s[i] != l[i])
			PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(s[S_END] <= l[S_END] && s[S_END_DAY] <= l[S_END_DAY] &&
				   IS_VALID_DATE(s[S_END_DAY]) &&
				   sorted_valid_days(summary_days(l), l[S_NDAYS], 1, s[S_END_DAY]) &&
				   sorted_valid_days(summary_refund_days(l), l[S_NREFUND_DAYS], R_WIDTH, s[S_END_DAY]));
}

/*
 * The final function of clv_summary_state: the state without the free room
 * between the purchase days and the refund days, for storing in a table.
 */
PG_FUNCTION_INFO_V1(clv_summary_state_final);

Datum
clv_summary_state_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int64		used = s[S_NDAYS] + s[S_NREFUND_DAYS] * R_WIDTH;
	ArrayType  *result = clv_state_alloc((int) (S_HEADER + used), CurrentMemoryContext);
	int64	   *r = clv_state_data(result);

	memcpy(r, s, S_HEADER * sizeof(int64));
	r[S_SLOTS] = used;
	memcpy(summary_days(r), summary_days(s), s[S_NDAYS] * sizeof(int64));
	memcpy(summary_refund_days(r), summary_refund_days(s), s[S_NREFUND_DAYS] * R_WIDTH * sizeof(int64));
	PG_RETURN_ARRAYTYPE_P(result);
}

/* The history of the summary in argument argno, for the scores that need no other field. */
bool
clv_summary_history_arg(FunctionCallInfo fcinfo, int argno, double *x, double *t_x, double *T)
{
	ClvSummaryRow summary;

	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(argno), &summary);
	return clv_summary_history(&summary, x, t_x, T);
}

/*
 * The sum of ln(gap) over the gaps between consecutive purchase days of a
 * state, in its time unit: what the regularity models (clv_fit_mbgcnbd,
 * clv_fit_bgcnbd) take beside the summary.  0 for one purchase day, NULL
 * for none (a summary without purchases has no frequency either).
 */
PG_FUNCTION_INFO_V1(clv_summary_log_gap_sum);

Datum
clv_summary_log_gap_sum(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int64	   *days = summary_days(s);
	double		sum = 0;

	if (s[S_NDAYS] == 0)
		PG_RETURN_NULL();
	/* the days are sorted and distinct (summary_get_checked), so each gap is a whole day or more */
	for (int64 i = 1; i < s[S_NDAYS]; i++)
		sum += log(days_in_units(days[i] - days[i - 1], s[S_UNIT]));
	PG_RETURN_FLOAT8(sum);
}
