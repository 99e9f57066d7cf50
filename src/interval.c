/*
 * interval.c: prediction intervals from the parameters' uncertainty.
 *
 * A fitted model keeps the covariance of its log-parameters.  For a score
 * f (expected purchases, predicted value) the delta method gives
 *   Var f ~ g' Sigma g,   g = d f / d log(theta),
 * with g by central differences of the score itself; two models fitted
 * separately (purchases and spend) add their variances.  The interval is
 * taken on the log scale, f exp(+/- z se / f), so that it stays positive,
 * as the score does.  It covers the uncertainty of the parameters, not the
 * randomness of the customer's own purchases.
 */
#include "model.h"
#include "scores.h"

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_expected_purchases_interval);
PG_FUNCTION_INFO_V1(clv_predicted_value_interval);
PG_FUNCTION_INFO_V1(clv_predicted_value_interval_horizon);

#define LOG_STEP 1e-4

typedef double (*score_fn) (const ClvModel *purchases, const ClvModel *spend, const double *args);

/* z with Phi(z) = (1 + level) / 2, by bisection on erfc */
static double
two_sided_z(double level)
{
	double		lo = 0,
				hi = 40;

	clv_check_finite(level, "level");
	if (level <= 0 || level >= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("level must be between 0 and 1, exclusive"),
				 errdetail("The value given was %g.", level)));
	for (int i = 0; i < 200; i++)
	{
		double		mid = (lo + hi) / 2;

		/* two-sided tail beyond mid: erfc(mid / sqrt 2) */
		if (erfc(mid / M_SQRT2) > 1 - level)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* the variance contribution of one model's parameters */
static double
model_variance(score_fn f, const ClvModel *purchases, const ClvModel *spend,
			   const double *args, bool vary_spend)
{
	const ClvModel *model = vary_spend ? spend : purchases;
	int			n = clv_model_kind_info(model->kind)->nparams;
	double		g[CLV_MODEL_MAX_PARAMS];
	double		variance = 0;
	ClvModel	moved;

	if (!(model->flags & CLV_MODEL_HAS_COVARIANCE))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the %s model has no covariance of its parameters", clv_model_kind_info(model->kind)->label),
				 errhint("Intervals need a model fitted by clv, or typed in with its covariance.")));
	for (int k = 0; k < n; k++)
	{
		double		up,
					down;

		memcpy(&moved, model, sizeof(ClvModel));
		moved.params[k] = model->params[k] * exp(LOG_STEP);
		up = vary_spend ? f(purchases, &moved, args) : f(&moved, spend, args);
		moved.params[k] = model->params[k] * exp(-LOG_STEP);
		down = vary_spend ? f(purchases, &moved, args) : f(&moved, spend, args);
		g[k] = (up - down) / (2 * LOG_STEP);
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			variance += g[i] * g[j] * model->covariance[i * CLV_MODEL_MAX_PARAMS + j];
	return Max(variance, 0);
}

static Datum
interval_result(FunctionCallInfo fcinfo, double estimate, double variance, double level)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	double		se = sqrt(variance);
	double		z = two_sided_z(level);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "interval function must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(estimate);
	values[1] = Float8GetDatum(se);
	if (estimate > 0)
	{
		values[2] = Float8GetDatum(estimate * exp(-z * se / estimate));
		values[3] = Float8GetDatum(clv_check_result(estimate * exp(z * se / estimate), "interval"));
	}
	else
		values[2] = values[3] = Float8GetDatum(estimate);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* args: t, x, t_x, T */
static double
expected_purchases_score(const ClvModel *purchases, const ClvModel *spend, const double *args)
{
	return clv_purchases_expected(purchases, args[0], args[1], args[2], args[3]);
}

/* clv_expected_purchases_interval(model, t, frequency, recency, age, level) */
Datum
clv_expected_purchases_interval(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_purchase_model_arg(fcinfo, 0);
	double		args[4] = {PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
	PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4)};
	double		estimate = expected_purchases_score(model, NULL, args);

	return interval_result(fcinfo, estimate,
						   model_variance(expected_purchases_score, model, NULL, args, false),
						   PG_GETARG_FLOAT8(5));
}

/* args: x, t_x, T, m, periods, discount, units per period, margin */
static double
predicted_value_score(const ClvModel *purchases, const ClvModel *spend, const double *args)
{
	return clv_predicted_value_of(purchases, spend, args[0], args[1], args[2], args[3],
								  (int32) args[4], args[5], args[6], args[7]);
}

/* args as predicted_value_score; NULL where there is no finite expected spend */
static Datum
predicted_value_interval(FunctionCallInfo fcinfo, double *args, double level)
{
	const ClvModel *purchases = clv_purchase_model_arg(fcinfo, 0);
	const ClvModel *spend = clv_model_arg(fcinfo, 1, CLV_MODEL_GAMMAGAMMA);
	double		estimate;

	clv_model_check(spend);
	/* as clv_predicted_value: no finite expected spend, no value */
	if (isfinite(args[0]) && !clv_gammagamma_defined(spend, args[0]))
		PG_RETURN_NULL();
	estimate = predicted_value_score(purchases, spend, args);
	return interval_result(fcinfo, estimate,
						   model_variance(predicted_value_score, purchases, spend, args, false) +
						   model_variance(predicted_value_score, purchases, spend, args, true),
						   level);
}

/* clv_predicted_value_interval(purchase_model, spend_model, x, t_x, T, m, periods, discount, units, margin, level) */
Datum
clv_predicted_value_interval(PG_FUNCTION_ARGS)
{
	double		args[8] = {PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4),
		PG_GETARG_FLOAT8(5), PG_GETARG_INT32(6), PG_GETARG_FLOAT8(7),
	PG_GETARG_FLOAT8(8), PG_GETARG_FLOAT8(9)};

	return predicted_value_interval(fcinfo, args, PG_GETARG_FLOAT8(10));
}

/*
 * clv_predicted_value_interval(purchase_model, spend_model, summary, horizon,
 * period, discount_rate, gross_margin, level): the convention's form, as
 * clv_predicted_value's (value.c); level 0.95 when left out or NULL.
 */
Datum
clv_predicted_value_interval_horizon(PG_FUNCTION_ARGS)
{
	ClvValueHistory h;
	ClvHorizonOptions options;
	double		args[8];
	double		level;

	clv_horizon_options(fcinfo, &options);
	level = clv_option_given(fcinfo, 7) ? PG_GETARG_FLOAT8(7) : 0.95;
	(void) two_sided_z(level);	/* checks it, whatever the data */
	args[4] = options.periods;
	args[5] = options.discount;
	args[7] = options.gross_margin;
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	if (!clv_value_history(PG_GETARG_HEAPTUPLEHEADER(2), PG_GETARG_INTERVAL_P(4), &h))
		PG_RETURN_NULL();
	args[0] = h.x;
	args[1] = h.t_x;
	args[2] = h.T;
	args[3] = h.m;
	args[6] = h.units_per_period;
	return predicted_value_interval(fcinfo, args, level);
}
