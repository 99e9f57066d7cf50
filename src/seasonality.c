/*
 * seasonality.c: clv_seasonality, a month-of-year index of any measure
 * (revenue, orders, new customers) from its daily values.
 *
 * The values are summed exactly per calendar month over the whole span from
 * the first to the last month seen (a month without rows counts as 0).
 * The index is the classical ratio to moving average (the multiplicative
 * decomposition of R's decompose()): each month's total is divided by the
 * trend at that month, the centred 2x12 moving average, and the ratios of
 * each calendar month are averaged and scaled to average 1.  Near the ends
 * of the span, where the centred average would run past the data, the
 * nearest full 12-month windows stand in for it, so one year of history is
 * enough to give every calendar month an index; with less, or without a
 * positive trend to compare with, the index is NULL and a warning says why.  The first and last months should be whole: a
 * half month reads as a seasonal low.
 *
 * An index of 1.3 for December means December usually brings 30% more than
 * the trend; dividing a month's figure by its index compares like with like.
 */
#include "state.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datetime.h"

PG_FUNCTION_INFO_V1(clv_seasonality_transfn);
PG_FUNCTION_INFO_V1(clv_seasonality_combine);
PG_FUNCTION_INFO_V1(clv_seasonality_final);

#define SEASON_NAME "clv_seasonality"
#define SEASON_MAGIC	INT64CONST(0x434c564d01)	/* "CLVM", layout 1 */
#define MAX_MONTHS		(12 * 200)
#define MONEY_WIDTH		2

/* header, then one exact money sum per month from FIRST_MONTH on */
enum
{
	M_MAGIC,
	M_FIRST_MONTH,				/* year * 12 + month - 1 */
	M_NMONTHS,
	M_HEADER
};

static int64
month_of(DateADT date)
{
	int			year,
				month,
				day;

	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	return (int64) year * 12 + month - 1;
}

static void
check_span(int64 months)
{
	if (months > MAX_MONTHS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv_seasonality covers at most %d years", MAX_MONTHS / 12),
				 errdetail("The rows span %lld months.", (long long) months)));
}

/* a state covering [first, first + nmonths) holding the sums of old, if any */
static ArrayType *
season_alloc(int64 first, int64 nmonths, const int64 *old)
{
	ArrayType  *state;
	int64	   *s;

	check_span(nmonths);
	state = clv_state_alloc((int) (M_HEADER + nmonths * MONEY_WIDTH), CurrentMemoryContext);
	s = clv_state_data(state);
	s[M_MAGIC] = SEASON_MAGIC;
	s[M_FIRST_MONTH] = first;
	s[M_NMONTHS] = nmonths;
	if (old != NULL)
		memcpy(s + M_HEADER + (old[M_FIRST_MONTH] - first) * MONEY_WIDTH, old + M_HEADER,
			   old[M_NMONTHS] * MONEY_WIDTH * sizeof(int64));
	return state;
}

/* the state widened, if need be, to cover [lo, hi] */
static ArrayType *
season_cover(ArrayType *state, int64 lo, int64 hi)
{
	int64	   *s = clv_state_data(state);
	int64		first = Min(lo, s[M_FIRST_MONTH]);
	int64		last = Max(hi, s[M_FIRST_MONTH] + s[M_NMONTHS] - 1);

	if (first == s[M_FIRST_MONTH] && last == s[M_FIRST_MONTH] + s[M_NMONTHS] - 1)
		return state;
	return season_alloc(first, last - first + 1, s);
}

static void
season_add(int64 *s, int64 month, clv_money amount)
{
	int64	   *slot = s + M_HEADER + (month - s[M_FIRST_MONTH]) * MONEY_WIDTH;

	if (!clv_money_valid(clv_money_load(slot)))
		clv_state_corrupt(SEASON_NAME, "A monthly sum is out of range.");
	clv_money_store(slot, clv_money_add(clv_money_load(slot), amount));
}

/* The O(1) checks that keep a transition inside the array (INITCOND can be anything). */
static ArrayType *
season_header_checked(Datum datum)
{
	ArrayType  *state = clv_state_checked(datum, SEASON_MAGIC, M_HEADER, SEASON_NAME);
	int64	   *s = clv_state_data(state);

	if (s[M_NMONTHS] < 1 || s[M_NMONTHS] > MAX_MONTHS ||
		clv_state_length(state) != M_HEADER + s[M_NMONTHS] * MONEY_WIDTH)
		clv_state_corrupt(SEASON_NAME, "The month count does not fit the array.");
	if (s[M_FIRST_MONTH] < -12 * INT64CONST(6000000) || s[M_FIRST_MONTH] > 12 * INT64CONST(6000000))
		clv_state_corrupt(SEASON_NAME, "The first month is out of range.");
	return state;
}

/* (state, day date, value float8): rows with a NULL day or value are skipped */
Datum
clv_seasonality_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *state;
	DateADT		day;
	int64		month;
	clv_money	amount;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_seasonality transition called in non-aggregate context")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	day = PG_GETARG_DATEADT(1);
	if (DATE_NOT_FINITE(day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("day must be finite")));
	amount = clv_money_from_float8(PG_GETARG_FLOAT8(2), "value");
	month = month_of(day);
	if (PG_ARGISNULL(0))
		state = season_alloc(month, 1, NULL);
	else
		state = season_cover(season_header_checked(PG_GETARG_DATUM(0)), month, month);
	season_add(clv_state_data(state), month, amount);
	PG_RETURN_ARRAYTYPE_P(state);
}

static ArrayType *
season_state_arg(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = season_header_checked(PG_GETARG_DATUM(argno));
	int64	   *s = clv_state_data(state);

	for (int64 i = 0; i < s[M_NMONTHS]; i++)
		if (!clv_money_valid(clv_money_load(s + M_HEADER + i * MONEY_WIDTH)))
			clv_state_corrupt(SEASON_NAME, "A monthly sum is out of range.");
	return state;
}

Datum
clv_seasonality_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ArrayType  *left;
	ArrayType  *right;
	int64	   *r;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_seasonality_combine called in non-aggregate context")));
	if (clv_combine_with_null(fcinfo, season_state_arg, &given))
		return given;
	right = season_state_arg(fcinfo, 1);
	r = clv_state_data(right);
	left = season_cover(season_state_arg(fcinfo, 0), r[M_FIRST_MONTH],
						r[M_FIRST_MONTH] + r[M_NMONTHS] - 1);
	for (int64 i = 0; i < r[M_NMONTHS]; i++)
		season_add(clv_state_data(left), r[M_FIRST_MONTH] + i,
				   clv_money_load(r + M_HEADER + i * MONEY_WIDTH));
	PG_RETURN_ARRAYTYPE_P(left);
}

/* mean of the 12 months from start, start clamped to the span */
static double
year_mean(const double *y, int64 n, int64 start)
{
	double		sum = 0;

	start = Max(0, Min(start, n - 12));
	for (int64 i = start; i < start + 12; i++)
		sum += y[i];
	return sum / 12;
}

/* float8[12]: the index of January .. December, averaging 1 */
Datum
clv_seasonality_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = season_state_arg(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	int64		n = s[M_NMONTHS];
	double	   *y;
	double		ratio_sum[12] = {0};
	int			ratio_count[12] = {0};
	double		mean = 0;
	Datum		elems[12];

	if (n < 12)
	{
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("clv_seasonality needs at least 12 months of history, found %lld",
						(long long) n),
				 errdetail("A month-of-year index compares each month with the rest of its year.")));
		PG_RETURN_NULL();
	}
	y = palloc(n * sizeof(double));
	for (int64 i = 0; i < n; i++)
		y[i] = clv_money_to_float8(clv_money_load(s + M_HEADER + i * MONEY_WIDTH));
	for (int64 t = 0; t < n; t++)
	{
		/* centred 2x12 average: the windows starting 6 and 5 months back */
		double		trend = (year_mean(y, n, t - 6) + year_mean(y, n, t - 5)) / 2;
		int			calendar = (int) (((s[M_FIRST_MONTH] + t) % 12 + 12) % 12);	/* BC years are negative */

		if (trend > 0)
		{
			ratio_sum[calendar] += y[t] / trend;
			ratio_count[calendar]++;
		}
	}
	for (int m = 0; m < 12; m++)
	{
		/* a NULL index with a warning, like too short a history: a refresh goes on */
		if (ratio_count[m] == 0)
		{
			ereport(WARNING,
					(errcode(ERRCODE_WARNING),
					 errmsg("clv_seasonality found no positive trend around month %d", m + 1),
					 errdetail("The values must have a positive 12-month total around every calendar month.")));
			PG_RETURN_NULL();
		}
		ratio_sum[m] /= ratio_count[m];
		mean += ratio_sum[m] / 12;
	}
	if (!(mean > 0) || !isfinite(mean))
	{
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("clv_seasonality found no positive average seasonal ratio"),
				 errdetail("Months with large negative values (refunds) outweigh the rest.")));
		PG_RETURN_NULL();
	}
	for (int m = 0; m < 12; m++)
		elems[m] = Float8GetDatum(ratio_sum[m] / mean);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, 12, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
