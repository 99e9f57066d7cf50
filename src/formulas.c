/*
 * formulas.c: the CLV formulas businesses compute by hand.
 *
 * Each takes float8, rejects NaN, Infinity and values outside the formula's
 * domain with ERRCODE_INVALID_PARAMETER_VALUE, and reports a result that
 * overflows instead of returning Infinity.  NULL handling is STRICT.
 */
#include "clv.h"

PG_FUNCTION_INFO_V1(clv_simple);
PG_FUNCTION_INFO_V1(clv_one_off_plus_recurring);
PG_FUNCTION_INFO_V1(clv_retention_infinite);
PG_FUNCTION_INFO_V1(clv_retention_finite);
PG_FUNCTION_INFO_V1(clv_cac_ratio);
PG_FUNCTION_INFO_V1(clv_cac_ok);

/* CLV = average order value x purchases per year x lifespan x margin */
Datum
clv_simple(PG_FUNCTION_ARGS)
{
	double		avg_order_value = PG_GETARG_FLOAT8(0);
	double		purchases_per_year = PG_GETARG_FLOAT8(1);
	double		lifespan_years = PG_GETARG_FLOAT8(2);
	double		gross_margin = PG_GETARG_FLOAT8(3);

	clv_check_nonnegative(avg_order_value, "avg_order_value");
	clv_check_nonnegative(purchases_per_year, "purchases_per_year");
	clv_check_nonnegative(lifespan_years, "lifespan_years");
	clv_check_fraction(gross_margin, "gross_margin");

	PG_RETURN_FLOAT8(clv_check_result(avg_order_value * purchases_per_year *
									  lifespan_years * gross_margin,
									  "clv_simple result"));
}

/* A one-off purchase (a car) followed by recurring revenue (its servicing). */
Datum
clv_one_off_plus_recurring(PG_FUNCTION_ARGS)
{
	double		one_off_value = PG_GETARG_FLOAT8(0);
	double		recurring_per_year = PG_GETARG_FLOAT8(1);
	double		years = PG_GETARG_FLOAT8(2);
	double		gross_margin = PG_GETARG_FLOAT8(3);

	clv_check_nonnegative(one_off_value, "one_off_value");
	clv_check_nonnegative(recurring_per_year, "recurring_per_year");
	clv_check_nonnegative(years, "years");
	clv_check_fraction(gross_margin, "gross_margin");

	PG_RETURN_FLOAT8(clv_check_result((one_off_value + recurring_per_year * years) *
									  gross_margin,
									  "clv_one_off_plus_recurring result"));
}

static void
check_retention_args(double margin, double retention, double discount)
{
	clv_check_finite(margin, "margin_per_period");
	clv_check_finite(retention, "retention_rate");
	clv_check_finite(discount, "discount_rate");
	if (retention < 0 || retention > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_rate must be between 0 and 1"),
				 errdetail("The value given was %g.", retention),
				 errhint("Give the rate as a fraction: 80%% is 0.8.")));
	if (discount <= -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be greater than -1"),
				 errdetail("The value given was %g.", discount)));
}

/*
 * Gupta & Lehmann (2003): with margin m earned at the end of every period the
 * customer survives, survival r per period and discount rate d,
 *   CLV = sum_{t>=1} m r^t / (1+d)^t = m r / (1 + d - r).
 * The series converges only for r < 1 + d; r = 1 never converges for d <= 0
 * and is rejected outright, since "never churns" has no finite lifetime value.
 */
Datum
clv_retention_infinite(PG_FUNCTION_ARGS)
{
	double		margin = PG_GETARG_FLOAT8(0);
	double		retention = PG_GETARG_FLOAT8(1);
	double		discount = PG_GETARG_FLOAT8(2);

	check_retention_args(margin, retention, discount);
	if (retention >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_rate must be below 1 for an infinite horizon"),
				 errdetail("The value given was %g.", retention),
				 errhint("Pass a number of periods for a finite horizon.")));
	if (retention >= 1 + discount)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention_rate must be below 1 + discount_rate for an infinite horizon"),
				 errdetail("retention_rate %g and discount_rate %g make the sum diverge.",
						   retention, discount)));

	PG_RETURN_FLOAT8(clv_check_result(margin * retention / (1 + discount - retention),
									  "clv_retention result"));
}

/*
 * The same sum stopped after `periods` periods: with q = r / (1+d),
 *   CLV = m q (1 - q^n) / (1 - q),  or m n when q = 1.
 * 1 - q^n is computed as -expm1(n log q) so that q close to 1 keeps its
 * precision.
 */
Datum
clv_retention_finite(PG_FUNCTION_ARGS)
{
	double		margin = PG_GETARG_FLOAT8(0);
	double		retention = PG_GETARG_FLOAT8(1);
	double		discount = PG_GETARG_FLOAT8(2);
	int32		periods = PG_GETARG_INT32(3);
	double		q;
	double		result;

	check_retention_args(margin, retention, discount);
	if (periods < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must not be negative"),
				 errdetail("The value given was %d.", periods)));

	q = retention / (1 + discount);
	if (periods == 0 || q == 0)
		result = 0;
	else if (q == 1)
		result = margin * periods;
	else
		result = margin * q * -expm1(periods * log(q)) / (1 - q);

	PG_RETURN_FLOAT8(clv_check_result(result, "clv_retention result"));
}

/*
 * A cost of 0 is a real case (a referral, an organic sign-up), so it is not
 * an error: one free channel must not abort a GROUP BY over all channels.
 */
static void
check_acquisition_cost(double clv, double acquisition_cost)
{
	clv_check_finite(clv, "clv");
	clv_check_nonnegative(acquisition_cost, "acquisition_cost");
}

Datum
clv_cac_ratio(PG_FUNCTION_ARGS)
{
	double		clv = PG_GETARG_FLOAT8(0);
	double		acquisition_cost = PG_GETARG_FLOAT8(1);

	check_acquisition_cost(clv, acquisition_cost);
	/* no cost, no ratio: NULL, as NULLIF(cost, 0) would give in plain SQL */
	if (acquisition_cost == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_check_result(clv / acquisition_cost, "clv_cac_ratio result"));
}

Datum
clv_cac_ok(PG_FUNCTION_ARGS)
{
	double		clv = PG_GETARG_FLOAT8(0);
	double		acquisition_cost = PG_GETARG_FLOAT8(1);
	double		min_ratio = PG_GETARG_FLOAT8(2);

	check_acquisition_cost(clv, acquisition_cost);
	clv_check_nonnegative(min_ratio, "min_ratio");
	/* multiply rather than divide: no rounding at the threshold itself */
	PG_RETURN_BOOL(clv >= min_ratio * acquisition_cost);
}
