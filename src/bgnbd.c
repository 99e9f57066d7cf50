/*
 * bgnbd.c: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your
 * customers the easy way", Marketing Science 24(2)): its fit by maximum
 * likelihood, as an aggregate over customers, and its per-customer scores.
 *
 * Parameters r, alpha (gamma heterogeneity of the purchase rate) and a, b
 * (beta heterogeneity of the drop-out probability).  For a customer with x
 * repeat purchases, the last at t_x, observed for T (the paper's likelihood):
 *   L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
 *     + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))
 * evaluated in log space with a log-sum-exp.
 *
 * The fit aggregate keeps distinct (x, t_x, T) patterns with their counts
 * (customers with the same history are one term of the likelihood), so its
 * cost grows with distinct patterns, not customers.  Its state is a bigint[]
 * (see state.h) of entries (x, t_x bits, T bits, count).
 */
#include "state.h"
#include "model.h"
#include "fit.h"
#include "scores.h"
#include "special.h"
#include "summary.h"

#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_fit_bgnbd_transfn);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_summary_transfn);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_final);
PG_FUNCTION_INFO_V1(clv_bgnbd_p_alive);
PG_FUNCTION_INFO_V1(clv_bgnbd_p_alive_summary);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases_summary);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases_new);

/* clv_fit_bgnbd(frequency, recency, age [, penalizer]) */
Datum
clv_fit_bgnbd_transfn(PG_FUNCTION_ARGS)
{
	double		penalizer = 0;

	if (PG_NARGS() > 4)
	{
		if (PG_ARGISNULL(4))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be null")));
		penalizer = PG_GETARG_FLOAT8(4);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_PURCHASES, PG_GETARG_FLOAT8(1),
							PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3), penalizer, 0);
}

/* clv_fit_bgnbd(summary [, penalizer]): customers without purchases are skipped */
Datum
clv_fit_bgnbd_summary_transfn(PG_FUNCTION_ARGS)
{
	HeapTupleHeader summary;
	double		penalizer = 0;

	if (PG_NARGS() > 2)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("penalizer must not be null")));
		penalizer = PG_GETARG_FLOAT8(2);
	}
	if (PG_ARGISNULL(1) ||
		clv_summary_field_is_null(summary = PG_GETARG_HEAPTUPLEHEADER(1), CLV_SUMMARY_FREQUENCY))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_PURCHASES,
						DatumGetInt32(clv_summary_field(summary, CLV_SUMMARY_FREQUENCY)),
						DatumGetFloat8(clv_summary_field(summary, CLV_SUMMARY_RECENCY)),
						DatumGetFloat8(clv_summary_field(summary, CLV_SUMMARY_AGE)),
						penalizer,
						clv_interval_usecs(DatumGetIntervalP(clv_summary_field(summary, CLV_SUMMARY_TIME_UNIT))));
}

/* ---- the likelihood ---- */

/*
 * Log-likelihood of one pattern and its gradient with respect to
 * (r, alpha, a, b).  The Gamma and Beta function ratios are rising
 * factorials in x, taken by clv_lgamma_ratio so that large parameters, as
 * an optimizer may try, cost no precision.
 */
static double
bgnbd_pattern_ll(const double *theta, const Pattern *p, double *grad)
{
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		x = p->x;
	double		log_alpha_T = log(alpha + p->T);
	double		a1 = clv_lgamma_ratio(r, x) + r * log(alpha);
	double		a2 = clv_lgamma_ratio(b, x) - clv_lgamma_ratio(a + b, x);
	double		a3 = -(r + x) * log_alpha_T;
	double		ll,
				w4 = 0,
				log_alpha_tx = 0;

	if (x > 0)
	{
		double		a4;

		log_alpha_tx = log(alpha + p->t_x);
		a4 = log(a) - log(b + x - 1) - (r + x) * log_alpha_tx;
		ll = a1 + a2 + Max(a3, a4) + log1p(exp(-fabs(a3 - a4)));
		w4 = 1 / (1 + exp(a3 - a4));
	}
	else
		ll = a1 + a2 + a3;

	if (grad != NULL)
	{
		double		w3 = 1 - w4;
		double		psi_ab = clv_digamma_ratio(a + b, x);

		grad[0] = clv_digamma_ratio(r, x) + log(alpha) - w3 * log_alpha_T - w4 * log_alpha_tx;
		grad[1] = r / alpha - w3 * (r + x) / (alpha + p->T) -
			(x > 0 ? w4 * (r + x) / (alpha + p->t_x) : 0);
		grad[2] = -psi_ab + (x > 0 ? w4 / a : 0);
		grad[3] = clv_digamma_ratio(b, x) - psi_ab - (x > 0 ? w4 / (b + x - 1) : 0);
	}
	return ll;
}

/* Sum of the weighted log-likelihoods, and its gradient in theta. */
static double
bgnbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	double		total = 0;

	if (grad != NULL)
		memset(grad, 0, 4 * sizeof(double));
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		g[4];

		total += p->count * bgnbd_pattern_ll(theta, p, grad ? g : NULL);
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				grad[k] += p->count * g[k];
	}
	return total;
}

Datum
clv_fit_bgnbd_final(PG_FUNCTION_ARGS)
{
	PatternSet	data;
	double		sum_x = 0,
				sum_T = 0;
	double		log_theta[4];

	clv_patterns_load(fcinfo, 0, CLV_PATTERNS_PURCHASES, &data);
	if (data.customers == 0)
		PG_RETURN_NULL();
	for (int64 i = 0; i < data.npatterns; i++)
	{
		sum_x += data.patterns[i].count * data.patterns[i].x;
		sum_T += data.patterns[i].count * data.patterns[i].T;
	}
	if (sum_x == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("BG/NBD cannot be fitted without repeat purchases"),
				 errdetail("None of the %.0f customers bought more than once.", data.customers)));

	/* start where a Poisson rate r/alpha would match the mean repeat rate */
	log_theta[0] = 0;
	log_theta[1] = log(Max(sum_T, 1e-6) / Max(sum_x, 1e-6));
	log_theta[2] = 0;
	log_theta[3] = 0;
	PG_RETURN_POINTER(clv_fit(CLV_MODEL_BGNBD, bgnbd_total_ll, &data, log_theta));
}

/* ---- scoring ---- */

static void
check_score_args(double x, double t_x, double T)
{
	clv_check_history(x, t_x, T);
}

/* log of (a / (b+x-1)) ((alpha+T)/(alpha+t_x))^(r+x), for x > 0 */
static double
log_dropout_odds(const double *theta, double x, double t_x, double T)
{
	return log(theta[2]) - log(theta[3] + x - 1) +
		(theta[0] + x) * (log(theta[1] + T) - log(theta[1] + t_x));
}

static double
bgnbd_p_alive(const ClvModel *model, double x, double t_x, double T)
{
	double		odds;

	check_score_args(x, t_x, T);
	if (x == 0)
		return 1;
	odds = log_dropout_odds(model->params, x, t_x, T);
	return odds > 0 ? exp(-odds) / (1 + exp(-odds)) : 1 / (1 + exp(odds));
}

/* E[Y(t) | x, t_x, T], the conditional expectation of the paper */
double
clv_bgnbd_expected(const ClvModel *model, double t, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		c = a + b + x - 1;
	double		z,
				head,
				result;

	check_score_args(x, t_x, T);
	clv_check_nonnegative(t, "t");
	if (t == 0)
		return 0;
	if (a == 1 || c <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are not defined for a = 1 or a + b + frequency <= 1"),
				 errdetail("The model has a = %g, b = %g.", a, b)));
	z = t / (alpha + T + t);
	head = exp((r + x) * (log(alpha + T) - log(alpha + T + t)));
	result = (a + b + x - 1) / (a - 1) * (1 - head * clv_hyp2f1(r + x, b + x, c, z));
	if (x > 0)
		result *= bgnbd_p_alive(model, x, t_x, T);
	return clv_check_result(result, "expected purchases");
}

static const ClvModel *
bgnbd_arg(FunctionCallInfo fcinfo, int argno)
{
	const ClvModel *model = clv_model_arg(fcinfo, argno, CLV_MODEL_BGNBD);

	clv_model_check(model);
	return model;
}

Datum
clv_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(bgnbd_p_alive(bgnbd_arg(fcinfo, 0), PG_GETARG_FLOAT8(1),
								   PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3)));
}

Datum
clv_bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(clv_bgnbd_expected(bgnbd_arg(fcinfo, 0), PG_GETARG_FLOAT8(1),
									PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3),
									PG_GETARG_FLOAT8(4)));
}

/* A summary without purchases (refunds only) has no BTYD history: NULL. */
static bool
summary_history(FunctionCallInfo fcinfo, int argno, double *x, double *t_x, double *T)
{
	HeapTupleHeader summary = PG_GETARG_HEAPTUPLEHEADER(argno);

	if (clv_summary_field_is_null(summary, CLV_SUMMARY_FREQUENCY))
		return false;
	*x = DatumGetInt32(clv_summary_field(summary, CLV_SUMMARY_FREQUENCY));
	*t_x = DatumGetFloat8(clv_summary_field(summary, CLV_SUMMARY_RECENCY));
	*T = DatumGetFloat8(clv_summary_field(summary, CLV_SUMMARY_AGE));
	return true;
}

Datum
clv_bgnbd_p_alive_summary(PG_FUNCTION_ARGS)
{
	double		x,
				t_x,
				T;

	if (!summary_history(fcinfo, 1, &x, &t_x, &T))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(bgnbd_p_alive(bgnbd_arg(fcinfo, 0), x, t_x, T));
}

Datum
clv_bgnbd_expected_purchases_summary(PG_FUNCTION_ARGS)
{
	double		x,
				t_x,
				T;

	if (!summary_history(fcinfo, 2, &x, &t_x, &T))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_bgnbd_expected(bgnbd_arg(fcinfo, 0), PG_GETARG_FLOAT8(1), x, t_x, T));
}

/* E[X(t)] for a customer just acquired */
Datum
clv_bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	const ClvModel *model = bgnbd_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);
	double		r = model->params[0],
				alpha = model->params[1],
				a = model->params[2],
				b = model->params[3];

	clv_check_nonnegative(t, "t");
	if (t == 0)
		PG_RETURN_FLOAT8(0);
	if (a == 1 || a + b <= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected purchases are not defined for a = 1 or a + b <= 1"),
				 errdetail("The model has a = %g, b = %g.", a, b)));
	PG_RETURN_FLOAT8(clv_check_result((a + b - 1) / (a - 1) *
									  (1 - exp(r * (log(alpha) - log(alpha + t))) *
									   clv_hyp2f1(r, b, a + b - 1, t / (alpha + t))),
									  "expected purchases"));
}
