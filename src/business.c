/*
 * business.c: clv_business_kpis, a business's own CLV inputs computed from
 * its per-customer summaries.
 *
 * Definitions (see docs/summaries.md, "Business KPIs"):
 *   avg_order_value = net revenue / orders;
 *   purchase_frequency_per_year = orders / customers / observed_years, where
 *     observed_years runs from the first customer's first order to the
 *     observation end;
 *   retention_rate = share of the customers who had bought before
 *     retention_start that bought again between retention_start and the
 *     observation end; annualised over the length of that window;
 *   lifespan_years = 1 / (1 - annual retention);
 *   clv = avg_order_value x purchase_frequency_per_year x lifespan_years
 *     x gross_margin.
 */
#include "state.h"
#include "summary.h"

#include "access/htup_details.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "utils/date.h"

PG_FUNCTION_INFO_V1(clv_business_transfn);
PG_FUNCTION_INFO_V1(clv_business_combine);
PG_FUNCTION_INFO_V1(clv_business_final);

#define BUSINESS_NAME "clv_business_kpis"
#define BUSINESS_MAGIC	INT64CONST(0x434c564201)	/* "CLVB", layout 1 */
#define DAYS_PER_YEAR_F 365.25

enum
{
	B_MAGIC,
	B_END_DAY,
	B_RETENTION_START,
	B_MARGIN,					/* float8 bits */
	B_CUSTOMERS,
	B_ORDERS,
	B_REVENUE,					/* 2 slots */
	B_MIN_FIRST_DAY = B_REVENUE + 2,
	B_LIFESPAN_DAYS,
	B_AT_START,
	B_RETAINED,
	B_LENGTH
};


/* The O(1) checks that keep a transition inside the array (INITCOND can be anything). */
static ArrayType *
business_header_checked(Datum datum)
{
	ArrayType  *state = clv_state_checked(datum, BUSINESS_MAGIC, B_LENGTH, BUSINESS_NAME);

	if (clv_state_length(state) != B_LENGTH)
		clv_state_corrupt(BUSINESS_NAME, "The array has the wrong length.");
	return state;
}

Datum
clv_business_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	int64	   *s;
	ClvSummaryRow summary;
	DateADT		retention_start;
	double		margin = 1.0;
	DateADT		end_day;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_business_transfn called in non-aggregate context")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("retention_start must not be null")));
	retention_start = PG_GETARG_DATEADT(2);
	if (clv_option_given(fcinfo, 3))
	{
		margin = PG_GETARG_FLOAT8(3);
		clv_check_fraction(margin, "gross_margin");
	}

	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	end_day = clv_summary_get_date(&summary, CLV_SUMMARY_OBSERVATION_END);
	if (DATE_NOT_FINITE(retention_start) || retention_start > end_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_start must be a date on or before the summaries' observation_end")));

	if (PG_ARGISNULL(0))
	{
		/* the executor copies a new state into the aggregate context */
		state = clv_state_alloc(B_LENGTH, CurrentMemoryContext);
		s = clv_state_data(state);
		s[B_MAGIC] = BUSINESS_MAGIC;
		s[B_END_DAY] = end_day;
		s[B_RETENTION_START] = retention_start;
		s[B_MARGIN] = clv_float8_slot(margin);
		s[B_MIN_FIRST_DAY] = end_day;
	}
	else
	{
		state = business_header_checked(PG_GETARG_DATUM(0));
		s = clv_state_data(state);
		if (s[B_END_DAY] != end_day)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("all summaries must share one observation_end"),
					 errdetail("Found both %s and %s.",
							   clv_date_str((int32) s[B_END_DAY]),
							   clv_date_str(end_day))));
		if (s[B_RETENTION_START] != retention_start || s[B_MARGIN] != clv_float8_slot(margin))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention_start and gross_margin must be the same for every row")));
	}

	/* a customer with refunds only still moves revenue */
	clv_money_store(s + B_REVENUE,
					clv_money_add(clv_money_load(s + B_REVENUE),
								  clv_money_from_float8(DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_TOTAL_AMOUNT)),
														"total_amount")));
	if (!summary.nulls[CLV_SUMMARY_FIRST_ORDER])
	{
		DateADT		first_day = clv_summary_get_date(&summary, CLV_SUMMARY_FIRST_ORDER);
		DateADT		last_day = clv_summary_get_date(&summary, CLV_SUMMARY_LAST_ORDER);
		int64		orders = DatumGetInt64(clv_summary_get(&summary, CLV_SUMMARY_ORDERS));

		if (last_day < first_day || last_day > end_day || orders < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("summary has inconsistent first_order, last_order, observation_end and orders")));
		s[B_CUSTOMERS] = clv_count_add(s[B_CUSTOMERS], 1, "clv_business_kpis counts");
		s[B_ORDERS] = clv_count_add(s[B_ORDERS], orders, "clv_business_kpis counts");
		s[B_MIN_FIRST_DAY] = Min(s[B_MIN_FIRST_DAY], first_day);
		s[B_LIFESPAN_DAYS] = clv_count_add(s[B_LIFESPAN_DAYS], last_day - first_day, "clv_business_kpis counts");
		if (first_day < retention_start)
		{
			s[B_AT_START] = clv_count_add(s[B_AT_START], 1, "clv_business_kpis counts");
			if (last_day >= retention_start)
				s[B_RETAINED] = clv_count_add(s[B_RETAINED], 1, "clv_business_kpis counts");
		}
	}
	PG_RETURN_ARRAYTYPE_P(state);
}

static ArrayType *
business_get_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = business_header_checked(PG_GETARG_DATUM(argno));
	int64	   *s = clv_state_data(state);
	double		margin = clv_slot_float8(s[B_MARGIN]);

	if (!IS_VALID_DATE(s[B_END_DAY]) || !IS_VALID_DATE(s[B_RETENTION_START]) ||
		s[B_RETENTION_START] > s[B_END_DAY] ||
		!IS_VALID_DATE(s[B_MIN_FIRST_DAY]) || s[B_MIN_FIRST_DAY] > s[B_END_DAY])
		clv_state_corrupt(BUSINESS_NAME, "A date is out of range.");
	if (!(margin >= 0 && margin <= 1))
		clv_state_corrupt(BUSINESS_NAME, "The gross margin is not a fraction.");
	if (s[B_CUSTOMERS] < 0 || s[B_ORDERS] < 0 || s[B_LIFESPAN_DAYS] < 0 ||
		s[B_AT_START] < 0 || s[B_RETAINED] < 0 || s[B_RETAINED] > s[B_AT_START] ||
		s[B_AT_START] > s[B_CUSTOMERS] || s[B_ORDERS] < s[B_CUSTOMERS] ||
		(s[B_CUSTOMERS] == 0 && (s[B_ORDERS] != 0 || s[B_LIFESPAN_DAYS] != 0)) ||
		!clv_money_valid(clv_money_load(s + B_REVENUE)))
		clv_state_corrupt(BUSINESS_NAME, "A count or sum is out of range.");
	return state;
}

Datum
clv_business_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ArrayType  *a;
	ArrayType  *b;
	ArrayType  *result;
	int64	   *sa,
			   *sb,
			   *sr;

	if (clv_combine_with_null(fcinfo, business_get_checked, &given))
		return given;
	a = business_get_checked(fcinfo, 0);
	b = business_get_checked(fcinfo, 1);
	sa = clv_state_data(a);
	sb = clv_state_data(b);
	if (sa[B_END_DAY] != sb[B_END_DAY] || sa[B_RETENTION_START] != sb[B_RETENTION_START] ||
		sa[B_MARGIN] != sb[B_MARGIN])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine clv_business_kpis states with different observation_end, retention_start or gross_margin")));

	result = clv_state_alloc(B_LENGTH, CurrentMemoryContext);
	sr = clv_state_data(result);
	memcpy(sr, sa, B_LENGTH * sizeof(int64));
	sr[B_CUSTOMERS] = clv_count_add(sa[B_CUSTOMERS], sb[B_CUSTOMERS], "clv_business_kpis counts");
	sr[B_ORDERS] = clv_count_add(sa[B_ORDERS], sb[B_ORDERS], "clv_business_kpis counts");
	clv_money_store(sr + B_REVENUE, clv_money_add(clv_money_load(sa + B_REVENUE),
												  clv_money_load(sb + B_REVENUE)));
	sr[B_MIN_FIRST_DAY] = Min(sa[B_MIN_FIRST_DAY], sb[B_MIN_FIRST_DAY]);
	sr[B_LIFESPAN_DAYS] = clv_count_add(sa[B_LIFESPAN_DAYS], sb[B_LIFESPAN_DAYS], "clv_business_kpis counts");
	sr[B_AT_START] = clv_count_add(sa[B_AT_START], sb[B_AT_START], "clv_business_kpis counts");
	sr[B_RETAINED] = clv_count_add(sa[B_RETAINED], sb[B_RETAINED], "clv_business_kpis counts");
	PG_RETURN_ARRAYTYPE_P(result);
}

enum
{
	K_CUSTOMERS, K_ORDERS, K_REVENUE, K_AVG_ORDER_VALUE, K_FREQUENCY,
	K_OBSERVED_YEARS, K_RETENTION_START, K_RETENTION_END, K_AT_START,
	K_RETAINED, K_RETENTION_RATE, K_ANNUAL_RETENTION, K_LIFESPAN,
	K_OBSERVED_LIFESPAN, K_MARGIN, K_CLV, K_NFIELDS
};

Datum
clv_business_final(PG_FUNCTION_ARGS)
{
	ArrayType  *state = business_get_checked(fcinfo, 0);
	int64	   *s = clv_state_data(state);
	TupleDesc	tupdesc;
	Datum		values[K_NFIELDS];
	bool		nulls[K_NFIELDS];
	double		revenue = clv_money_to_float8(clv_money_load(s + B_REVENUE));
	double		margin = clv_slot_float8(s[B_MARGIN]);
	double		aov = 0,
				frequency = 0,
				lifespan = 0;
	bool		have_lifespan = false;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_business_final must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	if (tupdesc->natts != K_NFIELDS)
		elog(ERROR, "clv_business_kpis type has %d attributes, expected %d",
			 tupdesc->natts, K_NFIELDS);

	memset(nulls, false, sizeof(nulls));
	values[K_CUSTOMERS] = Int64GetDatum(s[B_CUSTOMERS]);
	values[K_ORDERS] = Int64GetDatum(s[B_ORDERS]);
	values[K_REVENUE] = Float8GetDatum(revenue);
	values[K_RETENTION_START] = DateADTGetDatum((DateADT) s[B_RETENTION_START]);
	values[K_RETENTION_END] = DateADTGetDatum((DateADT) s[B_END_DAY]);
	values[K_AT_START] = Int64GetDatum(s[B_AT_START]);
	values[K_RETAINED] = Int64GetDatum(s[B_RETAINED]);
	values[K_MARGIN] = Float8GetDatum(margin);

	if (s[B_ORDERS] > 0)
	{
		double		observed_years = (s[B_END_DAY] - s[B_MIN_FIRST_DAY] + 1) / DAYS_PER_YEAR_F;

		aov = revenue / s[B_ORDERS];
		frequency = (double) s[B_ORDERS] / s[B_CUSTOMERS] / observed_years;
		values[K_AVG_ORDER_VALUE] = Float8GetDatum(aov);
		values[K_FREQUENCY] = Float8GetDatum(frequency);
		values[K_OBSERVED_YEARS] = Float8GetDatum(observed_years);
		values[K_OBSERVED_LIFESPAN] = Float8GetDatum((double) s[B_LIFESPAN_DAYS] /
													 s[B_CUSTOMERS] / DAYS_PER_YEAR_F);
	}
	else
		nulls[K_AVG_ORDER_VALUE] = nulls[K_FREQUENCY] = nulls[K_OBSERVED_YEARS] =
			nulls[K_OBSERVED_LIFESPAN] = true;

	if (s[B_AT_START] > 0)
	{
		double		rate = (double) s[B_RETAINED] / s[B_AT_START];
		double		window_years = (s[B_END_DAY] - s[B_RETENTION_START] + 1) / DAYS_PER_YEAR_F;
		double		annual = pow(rate, 1.0 / window_years);

		values[K_RETENTION_RATE] = Float8GetDatum(rate);
		values[K_ANNUAL_RETENTION] = Float8GetDatum(annual);
		/* everyone retained: no churn observed, no finite lifespan */
		if (annual < 1)
		{
			lifespan = 1 / (1 - annual);
			have_lifespan = true;
		}
	}
	else
		nulls[K_RETENTION_RATE] = nulls[K_ANNUAL_RETENTION] = true;

	values[K_LIFESPAN] = Float8GetDatum(lifespan);
	nulls[K_LIFESPAN] = !have_lifespan;
	values[K_CLV] = Float8GetDatum(aov * frequency * lifespan * margin);
	nulls[K_CLV] = !have_lifespan || s[B_ORDERS] == 0;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
