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
 */
#include "model.h"
#include "scores.h"
#include "summary.h"

#include "datatype/timestamp.h"
#include "miscadmin.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_predicted_value);
PG_FUNCTION_INFO_V1(clv_predicted_value_summary);

double
clv_predicted_value_of(const ClvModel *purchases, const ClvModel *spend,
					   double x, double t_x, double T, double m,
					   int32 periods, double discount, double units_per_period, double margin)
{
	double		value_per_purchase;
	double		previous = 0;
	double		total = 0;

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

	value_per_purchase = margin * clv_gammagamma_expected(spend, x, m);
	for (int k = 1; k <= periods; k++)
	{
		double		cumulative;

		CHECK_FOR_INTERRUPTS();	/* periods can be up to INT_MAX */
		cumulative = clv_purchases_expected(purchases, k * units_per_period, x, t_x, T);
		total += value_per_purchase * (cumulative - previous) / pow(1 + discount, k);
		previous = cumulative;
	}
	return clv_check_result(total, "predicted value");
}

/* NULL where the spend model gives this customer no finite expected spend */
static Datum
predicted_value(FunctionCallInfo fcinfo, double x, double t_x, double T, double m,
				int32 periods, double discount, double units_per_period, double margin)
{
	const ClvModel *purchases = clv_purchase_model_arg(fcinfo, 0);
	const ClvModel *spend = clv_model_arg(fcinfo, 1, CLV_MODEL_GAMMAGAMMA);

	clv_model_check(spend);
	if (isfinite(x) && !clv_gammagamma_defined(spend, x))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_predicted_value_of(purchases, spend, x, t_x, T, m, periods, discount,
											units_per_period, margin));
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

/* (purchase_model, spend_model, summary, periods, discount_rate, period interval, margin) */
Datum
clv_predicted_value_summary(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	double		x,
				t_x,
				T;
	Interval   *period = PG_GETARG_INTERVAL_P(5);
	Interval   *unit;
	double		period_usecs;
	double		unit_usecs;

	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(2), &summary);
	if (!clv_summary_history(&summary, &x, &t_x, &T))
		PG_RETURN_NULL();
	if (period->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must not contain months or years"),
				 errdetail("Months and years have no fixed length in days."),
				 errhint("Use a fixed length such as '30 days' or '365 days'.")));
	unit = DatumGetIntervalP(clv_summary_get(&summary, CLV_SUMMARY_TIME_UNIT));
	period_usecs = (double) period->day * USECS_PER_DAY + period->time;
	unit_usecs = (double) unit->day * USECS_PER_DAY + unit->time;
	if (!(period_usecs > 0) || !(unit_usecs > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period and the summary's time_unit must be positive")));
	return predicted_value(fcinfo, x, t_x, T,
						   DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_MONETARY)),
						   PG_GETARG_INT32(3), PG_GETARG_FLOAT8(4),
						   period_usecs / unit_usecs, PG_GETARG_FLOAT8(6));
}
