/*
 * value.c: predicted customer lifetime value from a purchase model and a
 * spend model, computed as lifetimes' customer_lifetime_value does so that
 * the numbers compare:
 *
 *   CLV = sum_{k=1..periods} margin x E[spend] x (E[Y(k u)] - E[Y((k-1) u)]) / (1+d)^k
 *
 * where Y(t) is the number of purchases in the next t time units (purchase
 * model), E[spend] the expected spend per purchase (spend model), u the
 * number of time units in one period and d the discount rate per period.
 * lifetimes fixes u by a `freq` letter and quietly assumes the data's unit
 * (30 units a "month" for daily data, and so for weekly data too); here u
 * is explicit, or derived from the summary's own time unit.
 *
 * The sum is taken by parts (discount_weights), as one weighted sum of the
 * cumulative E[Y(k u)], which the purchase model computes for all periods
 * at once (clv_purchases_expected_sum): P(alive) once, and for BG/NBD and
 * MBG/NBD the hypergeometric function from expansions shared by every
 * customer with the same frequency, kept in fn_extra for the query.
 */
#include "calendar.h"
#include "model.h"
#include "scores.h"
#include "summary.h"

#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_predicted_value);
PG_FUNCTION_INFO_V1(clv_predicted_value_summary);
PG_FUNCTION_INFO_V1(clv_predicted_value_horizon);

/*
 * What the rows of one query share, kept in fn_extra: the models last
 * checked (a row with the same model, bit for bit, is not checked again),
 * the discount weights of the last (periods, discount) and the purchase
 * model's per-frequency expansions.
 */
typedef struct ValueCache
{
	ClvModel	purchases;
	ClvModel	spend;
	int32		periods;
	double		discount;
	double		weight[CLV_MAX_PERIODS + 1];
	ClvPurchasesCache *expected;
} ValueCache;

/*
 * The sum over periods, summed by parts with E_0 = 0 and v = 1/(1+d):
 *   sum_k v^k (E_k - E_{k-1}) = v^P E_P + sum_{k<P} (v^k - v^{k+1}) E_k
 * and v^k - v^{k+1} = d v^{k+1}, so that weight[k] = d / (1+d)^(k+1) for
 * k < P and 1 / (1+d)^P for P.  Every term then has the sign of E (for
 * d >= 0): no period's increment is a difference of two large cumulative
 * numbers, and without discount only E_P counts.
 */
static void
discount_weights(int32 periods, double discount, double *weight)
{
	for (int k = 1; k < periods; k++)
		weight[k] = discount / pow(1 + discount, k + 1);
	weight[periods] = 1 / pow(1 + discount, periods);
}

static void
check_arguments(int32 periods, double discount, double units_per_period, double margin)
{
	if (periods < 0 || periods > CLV_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be between 0 and %d", CLV_MAX_PERIODS),
				 errdetail("The value given was %d.", periods),
				 errhint("Use longer periods for a longer horizon: 1200 months is a century.")));
	clv_check_finite(discount, "discount_rate");
	if (discount <= -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1"),
				 errdetail("The value given was %g.", discount)));
	clv_check_finite(units_per_period, "units_per_period");
	if (units_per_period <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("units_per_period must be positive"),
				 errdetail("The value given was %g.", units_per_period)));
	clv_check_fraction(margin, "margin");
}

/* with cache NULL, nothing is kept */
static double
predicted_value_of(const ClvModel *purchases, const ClvModel *spend,
				   double x, double t_x, double T, double m,
				   int32 periods, double discount, double units_per_period, double margin,
				   ValueCache *cache, MemoryContext context)
{
	double		value_per_purchase;
	double	   *weight;
	double		total;

	check_arguments(periods, discount, units_per_period, margin);
	value_per_purchase = margin * clv_gammagamma_expected(spend, x, m);
	if (periods == 0)
		return 0;
	if (cache == NULL)
	{
		weight = palloc((periods + 1) * sizeof(double));
		discount_weights(periods, discount, weight);
	}
	else
	{
		weight = cache->weight;
		if (cache->periods != periods || cache->discount != discount)
		{
			discount_weights(periods, discount, weight);
			cache->periods = periods;
			cache->discount = discount;
		}
	}
	CHECK_FOR_INTERRUPTS();
	total = value_per_purchase *
		clv_purchases_expected_sum(purchases, x, t_x, T, units_per_period, periods, weight,
								   cache ? &cache->expected : NULL, context);
	if (cache == NULL)
		pfree(weight);
	return clv_check_result(total, "predicted value");
}

double
clv_predicted_value_of(const ClvModel *purchases, const ClvModel *spend,
					   double x, double t_x, double T, double m,
					   int32 periods, double discount, double units_per_period, double margin)
{
	return predicted_value_of(purchases, spend, x, t_x, T, m, periods, discount, units_per_period,
							  margin, NULL, NULL);
}

/* whether this model is, bit for bit, the one checked before */
static bool
same_model(const ClvModel *model, const ClvModel *known)
{
	return VARSIZE_ANY(model) == sizeof(ClvModel) && memcmp(model, known, sizeof(ClvModel)) == 0;
}

static ValueCache *
value_cache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
	{
		ValueCache *cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ValueCache));

		cache->periods = -1;
		fcinfo->flinfo->fn_extra = cache;
	}
	return (ValueCache *) fcinfo->flinfo->fn_extra;
}

/* NULL where the spend model gives this customer no finite expected spend */
static Datum
predicted_value(FunctionCallInfo fcinfo, double x, double t_x, double T, double m,
				int32 periods, double discount, double units_per_period, double margin)
{
	ValueCache *cache = value_cache(fcinfo);
	const ClvModel *purchases = PG_GETARG_CLV_MODEL_P(0);
	const ClvModel *spend;

	if (!same_model(purchases, &cache->purchases))
	{
		purchases = clv_purchase_model_arg(fcinfo, 0);
		memcpy(&cache->purchases, purchases, sizeof(ClvModel));
	}
	spend = PG_GETARG_CLV_MODEL_P(1);
	if (!same_model(spend, &cache->spend))
	{
		spend = clv_model_arg(fcinfo, 1, CLV_MODEL_GAMMAGAMMA);
		clv_model_check(spend);
		memcpy(&cache->spend, spend, sizeof(ClvModel));
	}
	if (isfinite(x) && !clv_gammagamma_defined(spend, x))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(predicted_value_of(purchases, spend, x, t_x, T, m, periods, discount,
										units_per_period, margin, cache, fcinfo->flinfo->fn_mcxt));
}

/* (purchase_model, spend_model, frequency, recency, age, monetary, periods, discount_rate, units_per_period, margin) */
Datum
clv_predicted_value(PG_FUNCTION_ARGS)
{
	return predicted_value(fcinfo, PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3),
						   PG_GETARG_FLOAT8(4), PG_GETARG_FLOAT8(5),
						   PG_GETARG_INT32(6), PG_GETARG_FLOAT8(7),
						   PG_GETARG_FLOAT8(8), PG_GETARG_FLOAT8(9));
}

/*
 * What a predicted value needs from a summary, with the period in the
 * summary's time units; false for a summary with no history.
 */
bool
clv_value_history(HeapTupleHeader summary_tuple, const Interval *period, ClvValueHistory *history)
{
	ClvSummaryRow summary;
	Interval   *unit;

	clv_summary_read(summary_tuple, &summary);
	if (!clv_summary_history(&summary, &history->x, &history->t_x, &history->T))
		return false;
	history->m = DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_MONETARY));
	unit = DatumGetIntervalP(clv_summary_get(&summary, CLV_SUMMARY_TIME_UNIT));
	history->units_per_period = (double) clv_interval_length_usecs(period, "period") /
		(double) clv_interval_length_usecs(unit, "the summary's time_unit");
	return true;
}

/* (purchase_model, spend_model, summary, periods, discount_rate, period interval, margin) */
Datum
clv_predicted_value_summary(PG_FUNCTION_ARGS)
{
	ClvValueHistory h;

	if (!clv_value_history(PG_GETARG_HEAPTUPLEHEADER(2), PG_GETARG_INTERVAL_P(5), &h))
		PG_RETURN_NULL();
	return predicted_value(fcinfo, h.x, h.t_x, h.T, h.m, PG_GETARG_INT32(3), PG_GETARG_FLOAT8(4),
						   h.units_per_period, PG_GETARG_FLOAT8(6));
}

/*
 * The options of the horizon forms, arguments 3 to 6 (horizon, period,
 * discount_rate, gross_margin), read and checked before anything else, so
 * that a bad option is an error whatever the customer's data: the horizon
 * in periods, at most CLV_MAX_PERIODS of them; gross_margin 1 when left out
 * or NULL.
 */
void
clv_horizon_options(FunctionCallInfo fcinfo, ClvHorizonOptions *options)
{
	clv_require_argument(fcinfo, 3, "horizon");
	clv_require_argument(fcinfo, 4, "period");
	clv_require_argument(fcinfo, 5, "discount_rate");
	options->periods = clv_horizon_periods(PG_GETARG_INTERVAL_P(3), PG_GETARG_INTERVAL_P(4));
	if (options->periods > CLV_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the horizon holds %d periods, more than %d", options->periods, CLV_MAX_PERIODS),
				 errhint("Use longer periods for a longer horizon: 1200 months is a century.")));
	options->discount = PG_GETARG_FLOAT8(5);
	options->gross_margin = clv_option_given(fcinfo, 6) ? PG_GETARG_FLOAT8(6) : 1;
	clv_check_fraction(options->gross_margin, "gross_margin");
	/* the period's own length is checked with the summary's time unit */
	check_arguments(options->periods, options->discount, 1, options->gross_margin);
}

/*
 * (purchase_model, spend_model, summary, horizon interval, period interval,
 * discount_rate, gross_margin): the convention's form, the horizon an
 * interval (clv_horizon_periods) and the margin named as everywhere else.
 */
Datum
clv_predicted_value_horizon(PG_FUNCTION_ARGS)
{
	ClvValueHistory h;
	ClvHorizonOptions options;

	clv_horizon_options(fcinfo, &options);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (!clv_value_history(PG_GETARG_HEAPTUPLEHEADER(2), PG_GETARG_INTERVAL_P(4), &h))
		PG_RETURN_NULL();
	return predicted_value(fcinfo, h.x, h.t_x, h.T, h.m, options.periods, options.discount,
						   h.units_per_period, options.gross_margin);
}
