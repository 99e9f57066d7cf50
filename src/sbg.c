/*
 * sbg.c: the shifted-beta-geometric model (sBG) of subscriptions, Fader &
 * Hardie (2007), "How to project customer retention", Journal of
 * Interactive Marketing 21(1), 76-90; its discounted expected residual
 * lifetime from Fader & Hardie (2010), "Customer-base valuation in a
 * contractual setting: the perils of ignoring heterogeneity", Marketing
 * Science 29(1), 85-93.
 *
 * A subscriber pays at the start of each period and, at the end of each,
 * leaves with probability theta, theta ~ Beta(alpha, beta) across
 * subscribers.  So a cohort's retention rises with tenure (those likely to
 * leave have left), which a single retention rate misses.  With T the
 * periods a subscriber pays for:
 *
 *   P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),    t = 1, 2, ...
 *   S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
 *   r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)
 *
 * A subscriber who left after t periods contributes ln P(T = t) to the
 * likelihood, one still there after t periods ln S(t); both are ratios of
 * rising factorials (log_survival), so a history costs O(1).
 *
 * The expected discounted number of payments, at discount rate d per
 * period, z = 1 / (1 + d):
 *   a new subscriber (DEL, its first payment included)
 *     sum_{t>=0} S(t) z^t = 2F1(1, beta; alpha + beta; z)
 *   one who has renewed k times, at its next renewal (DERL, that payment
 *   included if it renews)
 *     sum_{j>=0} S(k + 1 + j) / S(k) z^j
 *       = (beta + k) / (alpha + beta + k) 2F1(1, beta + k + 1; alpha + beta + k + 1; z)
 * (Fader & Hardie 2010, equations 4 and 6).  At d = 0 these are the
 * expected lifetime (alpha + beta - 1) / (alpha - 1) and the expected
 * residual lifetime (beta + k) / (alpha - 1), finite only for alpha > 1.
 */
#include "fit.h"
#include "special.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(clv_fit_sbg_transfn);
PG_FUNCTION_INFO_V1(clv_fit_sbg_survivors_transfn);
PG_FUNCTION_INFO_V1(clv_fit_sbg_final);
PG_FUNCTION_INFO_V1(clv_sbg_survival);
PG_FUNCTION_INFO_V1(clv_sbg_retention);
PG_FUNCTION_INFO_V1(clv_sbg_expected_payments);

enum
{
	ALPHA, BETA
};

/*
 * The smallest discount rate per period the discounted sums take (but 0):
 * their series converges like (1 + d)^-j, so its terms grow as 1 / d; at
 * 1e-3 the slowest takes some 50,000 terms.
 */
#define MIN_DISCOUNT_RATE 1e-3

/*
 * ln S(t) = ln G(beta + t) - ln G(beta) - ln G(alpha + beta + t) + ln G(alpha + beta),
 * grouped as the two differences of the smaller size: over t
 * (lgamma ratios of length t) or over alpha (of length alpha).  Grouped the
 * other way, each difference is some t ln t and the cancellation between
 * them costs about t ln t times the unit roundoff: 1e-9 relative at a
 * million periods.
 */
static double
log_survival(double alpha, double beta, double t)
{
	if (t <= alpha)
		return clv_lgamma_ratio(beta, t) - clv_lgamma_ratio(alpha + beta, t);
	return clv_lgamma_ratio(beta, alpha) - clv_lgamma_ratio(beta + t, alpha);
}

static double
sbg_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	double		alpha = theta[ALPHA],
				beta = theta[BETA];
	double		total = 0;

	if (grad != NULL)
		grad[ALPHA] = grad[BETA] = 0;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		bool		churned = p->x == 1;
		double		t = p->t_x;
		double		ll;

		/* churned after t periods: P(T = t) = S(t - 1) alpha / (alpha + beta + t - 1); still there: S(t) */
		if (churned)
			ll = log_survival(alpha, beta, t - 1) + log(alpha / (alpha + beta + t - 1));
		else
			ll = log_survival(alpha, beta, t);
		total += p->count * ll;
		if (grad != NULL)
		{
			double		psi_ab = clv_digamma_ratio(alpha + beta, t);

			if (churned)
			{
				grad[ALPHA] += p->count * (1 / alpha - psi_ab);
				grad[BETA] += p->count * (clv_digamma_ratio(beta, t - 1) - psi_ab);
			}
			else
			{
				grad[ALPHA] += p->count * -psi_ab;
				grad[BETA] += p->count * (clv_digamma_ratio(beta, t) - psi_ab);
			}
		}
	}
	return total;
}

static double
penalizer_at(FunctionCallInfo fcinfo, int argno)
{
	return argno < PG_NARGS() ? clv_penalizer_arg(fcinfo, argno) : 0;
}

static Datum
keep_state(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/*
 * clv_fit_sbg(periods, churned [, customers [, penalizer]]): one row per
 * subscriber, or per group of customers subscribers with that history;
 * rows with a NULL or with 0 customers are left out.
 */
Datum
clv_fit_sbg_transfn(PG_FUNCTION_ARGS)
{
	int64		customers;

	for (int i = 1; i < Min(PG_NARGS(), 4); i++)
		if (PG_ARGISNULL(i))
			return keep_state(fcinfo);
	customers = clv_customers_arg(fcinfo, 3);
	if (customers == 0)
	{
		clv_check_tenure(PG_GETARG_BOOL(2) ? 1 : 0, PG_GETARG_FLOAT8(1));
		return keep_state(fcinfo);
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_TENURE, PG_GETARG_BOOL(2) ? 1 : 0, PG_GETARG_FLOAT8(1), 0,
							customers, penalizer_at(fcinfo, 4), 0);
}

/*
 * clv_fit_sbg(survivors [, penalizer]): one row per cohort, survivors[1]
 * its size at acquisition and survivors[t + 1] how many are still
 * subscribed after t periods: survivors[t] - survivors[t + 1] left after t
 * periods, and the last count is still there.
 */
Datum
clv_fit_sbg_survivors_transfn(PG_FUNCTION_ARGS)
{
	ArrayType  *survivors;
	Datum	   *counts;
	bool	   *nulls;
	int			n;
	Pattern    *entries;

	if (PG_ARGISNULL(1))
		return keep_state(fcinfo);
	survivors = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(survivors) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("survivors must be a one-dimensional array")));
	/* element k counts the cohort after k - 1 periods: the position is the period */
	if (ARR_NDIM(survivors) == 1 && ARR_LBOUND(survivors)[0] != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("survivors must start at subscript 1"),
				 errdetail("The array starts at subscript %d.", ARR_LBOUND(survivors)[0]),
				 errhint("The first element counts the cohort when it was acquired, the next after one period, and so on.")));
	/* before the elements are taken apart: a huge array is refused without copying it */
	if (ARR_NDIM(survivors) == 1 && ARR_DIMS(survivors)[0] > CLV_MAX_TENURE + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("survivors may count at most %d periods", CLV_MAX_TENURE)));
	deconstruct_array(survivors, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &counts, &nulls, &n);
	entries = palloc(Max(n, 1) * sizeof(Pattern));
	for (int t = 0; t < n; t++)
	{
		if (nulls[t] || DatumGetInt64(counts[t]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("survivors must be counts, not NULL or negative"),
					 errdetail("Element %d is %s.", t + 1,
							   nulls[t] ? "NULL" : psprintf(INT64_FORMAT, DatumGetInt64(counts[t])))));
		if (t > 0 && DatumGetInt64(counts[t]) > DatumGetInt64(counts[t - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("survivors must not increase"),
					 errdetail("Element %d is " INT64_FORMAT ", element %d " INT64_FORMAT ".",
							   t, DatumGetInt64(counts[t - 1]), t + 1, DatumGetInt64(counts[t])),
					 errhint("Count a cohort's subscribers from its acquisition on; add later subscribers to their own cohort.")));
	}
	/* entries 0 .. n - 2: left after t + 1 periods; entry n - 1: still there after n - 1 */
	for (int t = 1; t < n; t++)
	{
		entries[t - 1].x = 1;
		entries[t - 1].t_x = t;
		entries[t - 1].T = 0;
		entries[t - 1].count = (double) (DatumGetInt64(counts[t - 1]) - DatumGetInt64(counts[t]));
	}
	if (n > 0)
	{
		entries[n - 1].x = 0;
		entries[n - 1].t_x = n - 1;
		entries[n - 1].T = 0;
		entries[n - 1].count = (double) DatumGetInt64(counts[n - 1]);
	}
	return clv_patterns_add_several(fcinfo, CLV_PATTERNS_TENURE, n, entries, penalizer_at(fcinfo, 2));
}

Datum
clv_fit_sbg_final(PG_FUNCTION_ARGS)
{
	PatternSet	data;
	double		log_theta[2] = {0, 0};
	double		churned = 0;

	clv_patterns_load(fcinfo, 0, CLV_PATTERNS_TENURE, &data);
	if (data.customers == 0)
		PG_RETURN_NULL();
	for (int64 i = 0; i < data.npatterns; i++)
		churned += data.patterns[i].x * data.patterns[i].count;
	if (churned == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("sBG cannot be fitted without churn"),
				 errdetail("None of the %.0f subscribers left.", data.customers)));
	PG_RETURN_POINTER(clv_fit(CLV_MODEL_SBG, sbg_total_ll, &data, NULL, log_theta));
}

/* input takes any finite parameters; their sums must stay in double range */
static void
check_scorable(const ClvModel *model)
{
	if (!isfinite(model->params[ALPHA] + model->params[BETA] + CLV_MAX_TENURE))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sBG parameters too large to score"),
				 errdetail("The sum alpha + beta is beyond the range of double precision.")));
}

static double
whole_periods_arg(FunctionCallInfo fcinfo, int argno, const char *name, double least)
{
	double		t = PG_GETARG_FLOAT8(argno);

	if (!(isfinite(t) && t == floor(t) && t >= least && t <= CLV_MAX_TENURE))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a whole number from %g to %d", name, least, CLV_MAX_TENURE),
				 errdetail("Found %g.", t)));
	return t;
}

/* S(t): the share of a new cohort still subscribed after t periods */
Datum
clv_sbg_survival(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_model_arg(fcinfo, 0, CLV_MODEL_SBG);
	double		t = whole_periods_arg(fcinfo, 1, "periods", 0);

	clv_model_check(model);
	check_scorable(model);
	PG_RETURN_FLOAT8(exp(log_survival(model->params[ALPHA], model->params[BETA], t)));
}

/* r(t): the share of those subscribed after t - 1 periods who renew at t */
Datum
clv_sbg_retention(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_model_arg(fcinfo, 0, CLV_MODEL_SBG);
	double		t = whole_periods_arg(fcinfo, 1, "period", 1);
	double		beta;

	clv_model_check(model);
	check_scorable(model);
	beta = model->params[BETA] + (t - 1);
	PG_RETURN_FLOAT8(beta / (model->params[ALPHA] + beta));
}

/*
 * sum_{j>=0} prod_{i<j} (b + i) / (alpha + b + i) z^j, z = 1 / (1 + d):
 * 2F1(1, b; alpha + b; z).  Every term is below the one before times z,
 * so once a term times z / (1 - z) (a bound on all the rest) is below
 * 1e-17 of the sum, the sum is exact to rounding.  At d = 0, Gauss's
 * (alpha + b - 1) / (alpha - 1).
 */
static double
discounted_payments(double alpha, double b, double d)
{
	double		z,
				tail_factor,
				term = 1,
				sum = 0;

	if (d == 0)
	{
		if (!(alpha > 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the expected lifetime is infinite when alpha is at most 1"),
					 errdetail("The model's alpha is %g: enough subscribers almost never leave that the mean lifetime diverges.", alpha),
					 errhint("Give a discount rate, at least %g per period.", MIN_DISCOUNT_RATE)));
		/* 1 + b / (alpha - 1), not (alpha + b - 1) / (alpha - 1): no cancellation for alpha near 1 */
		return 1 + b / (alpha - 1);
	}
	z = 1 / (1 + d);
	tail_factor = z / (1 - z);
	for (double j = 0;; j++)
	{
		sum += term;
		if (term * tail_factor < 1e-17 * sum)
			break;
		term *= (b + j) / (alpha + b + j) * z;
	}
	return sum;
}

/*
 * clv_sbg_expected_payments(model, discount_rate [, renewals]): the
 * expected discounted number of payments of a new subscriber (DEL), or of
 * one that has renewed `renewals` times, counted from its next renewal
 * (DERL).  Times a margin per payment, the expected CLV or residual value.
 */
Datum
clv_sbg_expected_payments(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_model_arg(fcinfo, 0, CLV_MODEL_SBG);
	double		d = PG_GETARG_FLOAT8(1);
	double		alpha,
				beta;

	clv_model_check(model);
	alpha = model->params[ALPHA];
	beta = model->params[BETA];
	if (!(isfinite(d) && (d == 0 || (d >= MIN_DISCOUNT_RATE && d <= 1e6))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("discount_rate must be 0 or from %g to 1e6 per period", MIN_DISCOUNT_RATE),
				 errdetail("Found %g.", d),
				 errhint("A yearly rate of 10%% is 0.1 with yearly periods, about 0.008 with monthly ones.")));
	check_scorable(model);
	if (PG_NARGS() < 3)
		PG_RETURN_FLOAT8(discounted_payments(alpha, beta, d));
	else
	{
		double		k = whole_periods_arg(fcinfo, 2, "renewals", 0);

		PG_RETURN_FLOAT8((beta + k) / (alpha + beta + k) * discounted_payments(alpha, beta + k + 1, d));
	}
}
