/*
 * nextpurchase.c: when will the customer order next?  The probability that
 * there is a next purchase at all, and the median wait for it given that
 * there is one, in the model's time unit.
 *
 * Given a history (x, t_x, T) and that the customer is alive at T, the
 * purchase rate is Gamma(r+x, alpha+T) (the prior updated by x purchases in
 * T), so the wait W for the next purchase of an alive customer has
 *   P(W > w) = ((alpha+T) / (alpha+T+w))^(r+x).
 * BG/NBD and MBG/NBD: a customer only drops out right after a purchase, so
 * an alive customer does buy again; P(next purchase) = P(alive) and the
 * median wait is (alpha+T)(2^(1/(r+x)) - 1).
 * Pareto/NBD: the customer may die first; with the death rate
 * Gamma(s, beta+T) as well, the density of a next purchase at u, before
 * death, is
 *   f(u) = (r+x)/(alpha+T) (1 + u/(alpha+T))^-(r+x+1) (1 + u/(beta+T))^-s,
 * integrated numerically in log u, where u f(u) is log-concave (special.c).
 *
 * The probability of no purchase in the next t is that of exactly 0 below:
 * a customer who is gone buys nothing, an alive one buys nothing in t with
 * probability ((alpha+T)/(alpha+T+t))^(r+x) (BG/NBD, MBG/NBD), or
 * (Pareto/NBD) survives t without a purchase or dies before the first.
 * P(gone) and P(alive) are each taken from the log-odds of having dropped
 * out, so that neither is 1 minus the other rounded, and every term is a
 * positive one: the probabilities are exact where they are tiny too.
 */
#include "model.h"
#include "scores.h"
#include "special.h"
#include "summary.h"

#include "access/htup_details.h"
#include "miscadmin.h"
#include "funcapi.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(clv_next_purchase);
PG_FUNCTION_INFO_V1(clv_next_purchase_summary);
PG_FUNCTION_INFO_V1(clv_p_no_purchase);
PG_FUNCTION_INFO_V1(clv_p_purchases);

static double p_purchases_if_alive(const ClvModel *model, int32 k, double t, double x, double T);

/*
 * The density of a next purchase at u, before death (Pareto/NBD), times u,
 * as a log-concave function of y = log u (special.c), R = r+x, B = alpha+T,
 * D = beta+T:
 *   log(R/B u (1 + u/B)^-(R+1) (1 + u/D)^-s)
 *     = log R - softplus(log B - y) - R softplus(y - log B) - s softplus(y - log D)
 */
static ClvLogConcave
purchase_before_death(double R, double B, double s, double D)
{
	ClvLogConcave f = {log(R), {1, R, s, 0}, {-1, 1, 1, 1}, {log(B), log(B), log(D), 0}};

	return f;
}

static Datum
next_purchase(FunctionCallInfo fcinfo, const ClvModel *model, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		alive = clv_purchases_p_alive(model, x, t_x, T);
	double		k = theta[0] + x;
	double		p_purchase,
				median;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (model->kind == CLV_MODEL_PARETONBD)
	{
		ClvLogConcave f = purchase_before_death(k, theta[1] + T, theta[2], theta[3] + T);
		ClvLogConcavePanels *panels = palloc(sizeof(ClvLogConcavePanels));
		double		log_mass = clv_log_concave_integral(&f, get_float8_infinity(), panels);

		/*
		 * A probability: the quadrature's rounding must not take it past 1
		 * (NaN stays NaN).  The median of the wait given a purchase is where
		 * the integral reaches half of all of it; none when it failed.
		 */
		p_purchase = alive * Min(1, exp(log_mass));
		median = isnan(log_mass) ? log_mass : clv_log_concave_quantile(&f, panels, 0.5);
		pfree(panels);
	}
	else
	{
		double		scale = theta[1] + T;

		p_purchase = alive;
		/*
		 * alpha + T beyond a double (both near 1e308) with a median that is
		 * not: the product in logs.  Infinity from expm1 (r+x tiny) is the
		 * median's own size, kept below.
		 */
		median = isinf(scale) ?
			exp(log(theta[1]) + log1p(T / theta[1]) + log(expm1(M_LN2 / k))) :
			scale * expm1(M_LN2 / k);
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_next_purchase must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(clv_check_result(p_purchase, "next purchase probability"));
	/*
	 * With r+x and s tiny, half of the chance of a next purchase lies e^(some
	 * 10^5) time units ahead: the median is then Infinity, longer than any
	 * double, while the probability is exact
	 */
	values[1] = Float8GetDatum(isinf(median) && median > 0 ? median : clv_check_result(median, "median wait"));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

Datum
clv_next_purchase(PG_FUNCTION_ARGS)
{
	return next_purchase(fcinfo, clv_poisson_purchase_model_arg(fcinfo, 0), PG_GETARG_FLOAT8(1),
						 PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));
}

Datum
clv_next_purchase_summary(PG_FUNCTION_ARGS)
{
	double		x,
				t_x,
				T;

	if (!clv_summary_history_arg(fcinfo, 1, &x, &t_x, &T))
		PG_RETURN_NULL();
	return next_purchase(fcinfo, clv_poisson_purchase_model_arg(fcinfo, 0), x, t_x, T);
}

/* clv_p_no_purchase(model, t, frequency, recency, age) */
Datum
clv_p_no_purchase(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_poisson_purchase_model_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);
	double		x = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(4);
	double		log_odds = clv_purchases_log_dropout_odds(model, x, PG_GETARG_FLOAT8(3), T);

	clv_check_nonnegative(t, "t");
	/* gone, or alive and quiet: each term from the odds, so that neither is 1 - a rounded P(alive) */
	PG_RETURN_FLOAT8(clv_check_result(clv_logistic(log_odds) +
									  clv_logistic(-log_odds) * p_purchases_if_alive(model, 0, t, x, T),
									  "probability"));
}

/*
 * P(exactly k purchases in the next t | history).
 *
 * A customer gone at T buys nothing.  For an alive one, with the purchase
 * rate lambda ~ Gamma(R, B), R = r+x, B = alpha+T, the count N(u) of
 * purchases in u is negative binomial:
 *   NB_k(u) = Gamma(R+k) / (Gamma(R) k!) (B/(B+u))^R (u/(B+u))^k.
 * BG/NBD and MBG/NBD: after each purchase the customer leaves with
 * probability p, whose distribution given survival is Beta(a, b+x) (BG/NBD)
 * or Beta(a, b+x+1) (MBG/NBD, one drop-out chance more); k purchases happen
 * when the k-th comes in time and the customer then either stays and buys
 * no more in t, or leaves right after it:
 *   P(k) = E[(1-p)^k] NB_k(t) + E[p (1-p)^(k-1)] (1 - sum_{j<k} NB_j(t)),  k >= 1,
 *   P(0) = NB_0(t),
 * with E[(1-p)^k] = B(a, b'+k)/B(a, b') and E[p (1-p)^(k-1)] = B(a+1, b'+k-1)/B(a, b').
 * Pareto/NBD: the customer buys until an exponential death, rate
 * mu ~ Gamma(s, D), D = beta+T:
 *   P(k) = (D/(D+t))^s NB_k(t) + integral_0^t s/D (D/(D+u))^(s+1) NB_k(u) du.
 */
/* log(1 + num/den), also where num/den overflows (alpha + T at 1e-300) */
static double
log1p_ratio(double num, double den)
{
	double		ratio = num / den;

	return isinf(ratio) ? log(num) - log(den) : log1p(ratio);
}

static double
log_nb(double R, double B, int32 k, double u)
{
	if (u == 0)
		return k == 0 ? 0 : -get_float8_infinity();
	/* log(B/(B+u)) and log(u/(B+u)) as log1p: R and k multiply their rounding */
	return clv_lgamma_ratio(R, k) - lgamma(k + 1.0) - R * log1p_ratio(u, B) - (k == 0 ? 0 : k * log1p_ratio(B, u));
}

/*
 * P(N(u) >= k) for an alive customer, k >= 1: not 1 - P(N(u) < k), which
 * keeps no digit where the k-th purchase is unlikely.  Beyond the mean the
 * terms fall, by a factor q (R+j)/(j+1) falling towards q = u/(B+u): when
 * it is 0.999 or less from j = k on, they are summed (at most some 40,000
 * of them, each from the last); otherwise the
 * regularized incomplete beta I_q(k, R) it equals, in O(sqrt max(k, R))
 * steps, whose complement form cancels only where R is tiny as well.
 */
static double
at_least(double R, double B, int32 k, double u)
{
	double		q = u / (B + u);

	/* summed while the terms from k on fall by a factor of 0.999 or less each */
	if (R * u / B < k && q * (R + k) / (k + 1.0) <= 0.999)
	{
		double		term = exp(log_nb(R, B, k, u)),
					total = 0;

		for (double j = k; term > 1e-17 * total || total == 0; j++)
		{
			total += term;
			if (term == 0)
				break;
			term *= (R + j) / (j + 1) * q;
		}
		return total;
	}
	return clv_beta_inc(k, R, q, B / (B + u));
}

static double
p_purchases_if_alive(const ClvModel *model, int32 k, double t, double x, double T)
{
	const double *theta = model->params;
	double		R = theta[0] + x;
	double		B = theta[1] + T;

	if (model->kind == CLV_MODEL_PARETONBD)
	{
		double		s = theta[2],
					D = theta[3] + T;
		/* alive at t: the k-th purchase came and the (k+1)-th did not */
		double		total = exp(-s * log1p_ratio(t, D) + log_nb(R, B, k, t));

		/*
		 * or died at u < t, after exactly k purchases: the death density
		 * s/D (1 + u/D)^-(s+1) times NB_k(u), times u, as a function of
		 * y = log u, is log-concave (special.c):
		 *   log s + log(Gamma(R+k)/(Gamma(R) k!)) - k softplus(log B - y)
		 *   - R softplus(y - log B) - softplus(log D - y) - s softplus(y - log D)
		 */
		if (t > 0)
		{
			ClvLogConcave f = {log(s) + clv_lgamma_ratio(R, k) - lgamma(k + 1.0),
							   {k, R, 1, s}, {-1, 1, -1, 1}, {log(B), log(B), log(D), log(D)}};

			total += exp(clv_log_concave_integral(&f, t, NULL));
		}
		/* (a probability: the quadrature's rounding must not take it past 1; NaN stays NaN) */
		return Min(1, total);
	}
	else
	{
		double		a = theta[2];
		double		b = theta[3] + x + (model->kind == CLV_MODEL_MBGNBD ? 1 : 0);
		double		at_least_k;

		if (k == 0)
			return exp(log_nb(R, B, 0, t));
		at_least_k = at_least(R, B, k, t);
		/* B(a, b+k)/B(a, b) = Gamma(b+k) Gamma(a+b) / (Gamma(b) Gamma(a+b+k)) */
		return exp(clv_lgamma_ratio(b, k) - clv_lgamma_ratio(a + b, k) + log_nb(R, B, k, t)) +
			exp(log(a) + clv_lgamma_ratio(b, k - 1) - clv_lgamma_ratio(a + b, k)) * at_least_k;
	}
}

/* clv_p_purchases(model, k, t, frequency, recency, age) */
Datum
clv_p_purchases(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_poisson_purchase_model_arg(fcinfo, 0);
	int32		k = PG_GETARG_INT32(1);
	double		t = PG_GETARG_FLOAT8(2);
	double		x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(5);
	double		log_odds = clv_purchases_log_dropout_odds(model, x, PG_GETARG_FLOAT8(4), T);

	clv_check_nonnegative(t, "t");
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of purchases must not be negative"),
				 errdetail("The value given was %d.", k)));
	PG_RETURN_FLOAT8(clv_check_result((k == 0 ? clv_logistic(log_odds) : 0) +
									  clv_logistic(-log_odds) * p_purchases_if_alive(model, k, t, x, T),
									  "probability"));
}
