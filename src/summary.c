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
#include "state.h"

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_summary_transfn);
PG_FUNCTION_INFO_V1(clv_summary_date_transfn);
PG_FUNCTION_INFO_V1(clv_summary_combine);
PG_FUNCTION_INFO_V1(clv_summary_final);

#define SUMMARY_NAME "clv_summary"

/*
 * State layout (bigint[]):
 *   header: layout tag, days used, days allocated, observation_end as given
 *   (timestamptz microseconds or date), its calendar day, time unit in
 *   microseconds, refund rows, refunded money (2 slots);
 *   then `allocated` entries of (day, order rows, net money (2 slots)).
 * Days are PostgreSQL date values (days since 2000-01-01).  A day whose
 * order count is 0 saw only refunds and is not a purchase.
 */
#define SUMMARY_MAGIC	INT64CONST(0x434c565301)	/* "CLVS", layout 1 */
enum
{
	S_MAGIC,
	S_NDAYS,
	S_ALLOCATED,
	S_END,
	S_END_DAY,
	S_UNIT,
	S_REFUNDS,
	S_REFUNDED,					/* 2 slots */
	S_HEADER = S_REFUNDED + 2
};
enum
{
	D_DAY,
	D_ORDERS,
	D_AMOUNT,					/* 2 slots */
	D_WIDTH = D_AMOUNT + 2
};
#define SUMMARY_INITIAL_DAYS 4

#define summary_entry(s, i) ((s) + S_HEADER + (Size) (i) * D_WIDTH)

static ArrayType *
summary_alloc(int ndays_allocated, MemoryContext context)
{
	ArrayType  *state = clv_state_alloc(S_HEADER + ndays_allocated * D_WIDTH, context);

	clv_state_data(state)[S_MAGIC] = SUMMARY_MAGIC;
	clv_state_data(state)[S_ALLOCATED] = ndays_allocated;
	return state;
}

static int64
time_unit_usecs(FunctionCallInfo fcinfo, int argno)
{
	Interval   *unit;
	int64		usecs;

	if (PG_NARGS() <= argno)
		return USECS_PER_DAY;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("time_unit must not be null")));
	unit = PG_GETARG_INTERVAL_P(argno);
	if (unit->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_unit must not contain months or years"),
				 errdetail("Months and years have no fixed length in days."),
				 errhint("Use a fixed length such as '7 days' or '30 days'.")));
	if (pg_mul_s64_overflow((int64) unit->day, USECS_PER_DAY, &usecs) ||
		pg_add_s64_overflow(usecs, unit->time, &usecs) || usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_unit must be a positive interval"),
				 errhint("The CDNOW papers count in weeks: '7 days'.")));
	return usecs;
}

/*
 * Calendar day of a timestamptz in the session time zone, the same day that
 * ts::date gives.  A zone with a fixed offset (UTC, say) needs no calendar
 * arithmetic.
 */
static int32
timestamptz_day(TimestampTz ts)
{
	long int	gmtoff;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (pg_get_timezone_offset(session_timezone, &gmtoff))
	{
		int64		local = ts + (int64) gmtoff * USECS_PER_SEC;
		int64		day = local / USECS_PER_DAY;

		if (local < 0 && day * USECS_PER_DAY != local)
			day--;
		return (int32) day;
	}
	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

/*
 * Entry index of `day`, or where it would be inserted.  Orders mostly arrive
 * in date order, so the last entry is tried before a binary search.
 */
static int
summary_find_day(const int64 *s, int32 day, bool *found)
{
	int			lo = 0,
				hi = (int) s[S_NDAYS];

	*found = false;
	if (hi == 0 || summary_entry(s, hi - 1)[D_DAY] < day)
		return hi;
	if (summary_entry(s, hi - 1)[D_DAY] == day)
	{
		*found = true;
		return hi - 1;
	}
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int64		mid_day = summary_entry(s, mid)[D_DAY];

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
 * Add one row to the state, in place.  When the state is full a larger one
 * is returned, allocated in the per-row context: the executor copies a new
 * state into the aggregate context and frees the old one.
 */
static ArrayType *
summary_add(ArrayType *state, int32 day, double amount)
{
	clv_money	money = clv_money_from_float8(amount, "amount");
	int64	   *s = clv_state_data(state);
	bool		found;
	int			pos = summary_find_day(s, day, &found);
	int64	   *entry;

	if (!found)
	{
		int			ndays = (int) s[S_NDAYS];

		if (ndays == s[S_ALLOCATED])
		{
			ArrayType  *grown = summary_alloc(ndays * 2, CurrentMemoryContext);
			int64	   *g = clv_state_data(grown);

			memcpy(g + S_NDAYS, s + S_NDAYS, (S_ALLOCATED - S_NDAYS) * sizeof(int64));
			memcpy(g + S_ALLOCATED + 1, s + S_ALLOCATED + 1,
				   ((S_HEADER - S_ALLOCATED - 1) + (Size) ndays * D_WIDTH) * sizeof(int64));
			state = grown;
			s = g;
		}
		entry = summary_entry(s, pos);
		memmove(entry + D_WIDTH, entry, (Size) (ndays - pos) * D_WIDTH * sizeof(int64));
		memset(entry, 0, D_WIDTH * sizeof(int64));
		entry[D_DAY] = day;
		s[S_NDAYS] = ndays + 1;
	}
	entry = summary_entry(s, pos);

	if (amount < 0)
	{
		s[S_REFUNDS]++;
		clv_money_store(s + S_REFUNDED,
						clv_money_add(clv_money_load(s + S_REFUNDED), money));
	}
	else
		entry[D_ORDERS]++;
	clv_money_store(entry + D_AMOUNT,
					clv_money_add(clv_money_load(entry + D_AMOUNT), money));
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
		elog(ERROR, "clv_summary_transfn called in non-aggregate context");

	if (PG_ARGISNULL(0))
	{
		state = summary_alloc(SUMMARY_INITIAL_DAYS, CurrentMemoryContext);
		s = clv_state_data(state);
		s[S_END] = end;
		s[S_END_DAY] = end_day;
		s[S_UNIT] = unit;
		return state;
	}
	state = PG_GETARG_ARRAYTYPE_P(0);
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

static void
check_observation_end_not_null(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("observation_end must not be null"),
				 errhint("clv never assumes now(): give the end of the observation period explicitly.")));
}

/* clv_summary_transfn(state, ordered_at timestamptz, amount, observation_end [, time_unit]) */
Datum
clv_summary_transfn(PG_FUNCTION_ARGS)
{
	TimestampTz ordered_at;
	TimestampTz end;
	double		amount;
	ArrayType  *state;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	check_observation_end_not_null(fcinfo);
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

	state = summary_transition_state(fcinfo, end,
									 PG_ARGISNULL(0) ? timestamptz_day(end) : 0);
	PG_RETURN_ARRAYTYPE_P(summary_add(state, timestamptz_day(ordered_at), amount));
}

/* clv_summary_transfn(state, order_date date, amount, observation_end date [, time_unit]) */
Datum
clv_summary_date_transfn(PG_FUNCTION_ARGS)
{
	DateADT		order_date;
	DateADT		end;
	double		amount;
	ArrayType  *state;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	check_observation_end_not_null(fcinfo);
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
static ArrayType *
summary_get_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = clv_state_get(fcinfo, argno, SUMMARY_MAGIC, S_HEADER, SUMMARY_NAME);
	int64	   *s = clv_state_data(state);
	int64		allocated = s[S_ALLOCATED];
	int64		ndays = s[S_NDAYS];
	int64		prev_day = PG_INT64_MIN;

	if (allocated < 0 || clv_state_length(state) != S_HEADER + allocated * D_WIDTH)
		clv_state_corrupt(SUMMARY_NAME, "The array length does not match the number of days allocated.");
	if (ndays < 0 || ndays > allocated)
		clv_state_corrupt(SUMMARY_NAME, "The number of days is out of range.");
	if (!IS_VALID_DATE(s[S_END_DAY]) || s[S_UNIT] <= 0)
		clv_state_corrupt(SUMMARY_NAME, "The observation end or the time unit is out of range.");
	if (s[S_REFUNDS] < 0 || !clv_money_valid(clv_money_load(s + S_REFUNDED)) ||
		clv_money_load(s + S_REFUNDED) > 0)
		clv_state_corrupt(SUMMARY_NAME, "The refund totals are out of range.");
	for (int i = 0; i < ndays; i++)
	{
		const int64 *entry = summary_entry(s, i);
		clv_money	amount = clv_money_load(entry + D_AMOUNT);

		if (entry[D_DAY] <= prev_day || !IS_VALID_DATE(entry[D_DAY]) ||
			entry[D_DAY] > s[S_END_DAY])
			clv_state_corrupt(SUMMARY_NAME, "The days are not strictly increasing valid dates up to the observation end.");
		if (entry[D_ORDERS] < 0 || !clv_money_valid(amount) ||
			(entry[D_ORDERS] == 0 && amount > 0))
			clv_state_corrupt(SUMMARY_NAME, "A day has a negative order count, an amount out of range, or a positive amount without orders.");
		prev_day = entry[D_DAY];
	}
	return state;
}

/* Merge two sorted day lists; days present in both add up. */
Datum
clv_summary_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *a;
	ArrayType  *b;
	ArrayType  *merged;
	int64	   *sa,
			   *sb,
			   *sm;
	int			na,
				nb,
				i = 0,
				j = 0,
				k = 0;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		PG_RETURN_ARRAYTYPE_P(summary_get_checked(fcinfo, 0));
	if (PG_ARGISNULL(0))
	{
		b = summary_get_checked(fcinfo, 1);
		/* the executor keeps a state only if it lives in the aggregate context */
		if (AggCheckCallContext(fcinfo, &aggcontext))
		{
			ArrayType  *copy = MemoryContextAlloc(aggcontext, VARSIZE(b));

			memcpy(copy, b, VARSIZE(b));
			b = copy;
		}
		PG_RETURN_ARRAYTYPE_P(b);
	}

	a = summary_get_checked(fcinfo, 0);
	b = summary_get_checked(fcinfo, 1);
	sa = clv_state_data(a);
	sb = clv_state_data(b);
	if (sa[S_END] != sb[S_END] || sa[S_UNIT] != sb[S_UNIT])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine clv_summary states with different observation_end or time_unit")));

	na = (int) sa[S_NDAYS];
	nb = (int) sb[S_NDAYS];
	merged = summary_alloc(Max(na + nb, SUMMARY_INITIAL_DAYS), CurrentMemoryContext);
	sm = clv_state_data(merged);
	sm[S_END] = sa[S_END];
	sm[S_END_DAY] = sa[S_END_DAY];
	sm[S_UNIT] = sa[S_UNIT];
	sm[S_REFUNDS] = sa[S_REFUNDS] + sb[S_REFUNDS];
	clv_money_store(sm + S_REFUNDED, clv_money_add(clv_money_load(sa + S_REFUNDED),
												   clv_money_load(sb + S_REFUNDED)));
	while (i < na || j < nb)
	{
		const int64 *ea = i < na ? summary_entry(sa, i) : NULL;
		const int64 *eb = j < nb ? summary_entry(sb, j) : NULL;
		int64	   *em = summary_entry(sm, k++);

		if (eb == NULL || (ea != NULL && ea[D_DAY] < eb[D_DAY]))
		{
			memcpy(em, ea, D_WIDTH * sizeof(int64));
			i++;
		}
		else if (ea == NULL || eb[D_DAY] < ea[D_DAY])
		{
			memcpy(em, eb, D_WIDTH * sizeof(int64));
			j++;
		}
		else
		{
			em[D_DAY] = ea[D_DAY];
			em[D_ORDERS] = ea[D_ORDERS] + eb[D_ORDERS];
			clv_money_store(em + D_AMOUNT, clv_money_add(clv_money_load(ea + D_AMOUNT),
														 clv_money_load(eb + D_AMOUNT)));
			i++;
			j++;
		}
	}
	sm[S_NDAYS] = k;
	PG_RETURN_ARRAYTYPE_P(merged);
}

/* Days to the summary's time unit; exact for any span under 285 years. */
static inline double
days_in_units(int64 days, int64 unit_usecs)
{
	return (double) days * (double) USECS_PER_DAY / (double) unit_usecs;
}

enum
{
	F_FIRST_ORDER, F_LAST_ORDER, F_OBSERVATION_END, F_ORDERS, F_REFUNDS,
	F_PURCHASE_DAYS, F_TOTAL_AMOUNT, F_REFUNDED_AMOUNT, F_AVG_ORDER_VALUE,
	F_FREQUENCY, F_RECENCY, F_AGE, F_MONETARY, F_MEAN_GAP, F_GAP_STDDEV,
	F_TIME_UNIT, F_NFIELDS
};

Datum
clv_summary_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = summary_get_checked(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int			ndays = (int) s[S_NDAYS];
	int64		unit = s[S_UNIT];
	TupleDesc	tupdesc;
	Datum		values[F_NFIELDS];
	bool		nulls[F_NFIELDS];
	clv_money	total = 0;
	clv_money	repeat_total = 0;
	int64		orders = 0;
	int			purchase_days = 0;
	int64		first_day = 0,
				last_day = 0,
				prev_day = 0;
	Interval   *time_unit;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_summary_final must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != F_NFIELDS)
		elog(ERROR, "clv_summary type has %d attributes, expected %d",
			 tupdesc->natts, F_NFIELDS);

	for (int i = 0; i < ndays; i++)
	{
		const int64 *entry = summary_entry(s, i);
		clv_money	amount = clv_money_load(entry + D_AMOUNT);

		total = clv_money_add(total, amount);
		if (entry[D_ORDERS] == 0)
			continue;
		orders += entry[D_ORDERS];
		if (purchase_days == 0)
			first_day = entry[D_DAY];
		else
			repeat_total = clv_money_add(repeat_total, amount);
		last_day = entry[D_DAY];
		purchase_days++;
	}

	memset(nulls, true, sizeof(nulls));
	values[F_OBSERVATION_END] = DateADTGetDatum((DateADT) s[S_END_DAY]);
	values[F_ORDERS] = Int64GetDatum(orders);
	values[F_REFUNDS] = Int64GetDatum(s[S_REFUNDS]);
	values[F_PURCHASE_DAYS] = Int32GetDatum(purchase_days);
	values[F_TOTAL_AMOUNT] = Float8GetDatum(clv_money_to_float8(total));
	values[F_REFUNDED_AMOUNT] = Float8GetDatum(clv_money_to_float8(-clv_money_load(s + S_REFUNDED)));
	time_unit = palloc0(sizeof(Interval));
	if (unit % USECS_PER_DAY == 0)
		time_unit->day = (int32) (unit / USECS_PER_DAY);
	else
		time_unit->time = unit;
	values[F_TIME_UNIT] = IntervalPGetDatum(time_unit);
	nulls[F_OBSERVATION_END] = nulls[F_ORDERS] = nulls[F_REFUNDS] = false;
	nulls[F_PURCHASE_DAYS] = nulls[F_TOTAL_AMOUNT] = nulls[F_REFUNDED_AMOUNT] = false;
	nulls[F_TIME_UNIT] = false;

	if (purchase_days > 0)
	{
		int			frequency = purchase_days - 1;
		double		recency = days_in_units(last_day - first_day, unit);

		values[F_FIRST_ORDER] = DateADTGetDatum((DateADT) first_day);
		values[F_LAST_ORDER] = DateADTGetDatum((DateADT) last_day);
		values[F_AVG_ORDER_VALUE] = Float8GetDatum(clv_money_to_float8(total) / orders);
		values[F_FREQUENCY] = Int32GetDatum(frequency);
		values[F_RECENCY] = Float8GetDatum(recency);
		values[F_AGE] = Float8GetDatum(days_in_units(s[S_END_DAY] - first_day, unit));
		values[F_MONETARY] = Float8GetDatum(frequency > 0 ?
											clv_money_to_float8(repeat_total) / frequency : 0.0);
		nulls[F_FIRST_ORDER] = nulls[F_LAST_ORDER] = nulls[F_AVG_ORDER_VALUE] = false;
		nulls[F_FREQUENCY] = nulls[F_RECENCY] = nulls[F_AGE] = nulls[F_MONETARY] = false;

		if (frequency > 0)
		{
			values[F_MEAN_GAP] = Float8GetDatum(recency / frequency);
			nulls[F_MEAN_GAP] = false;
		}
		if (frequency > 1)
		{
			/* two passes over integer gaps: exact mean, no cancellation */
			double		mean_days = (double) (last_day - first_day) / frequency;
			double		sum_sq = 0;
			bool		first = true;

			for (int i = 0; i < ndays; i++)
			{
				const int64 *entry = summary_entry(s, i);

				if (entry[D_ORDERS] == 0)
					continue;
				if (!first)
				{
					double		d = (double) (entry[D_DAY] - prev_day) - mean_days;

					sum_sq += d * d;
				}
				first = false;
				prev_day = entry[D_DAY];
			}
			values[F_GAP_STDDEV] = Float8GetDatum(days_in_units(1, unit) *
												  sqrt(sum_sq / (frequency - 1)));
			nulls[F_GAP_STDDEV] = false;
		}
	}

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
