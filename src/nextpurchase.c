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
 * integrated numerically (Gauss-Legendre on u = (alpha+T) v/(1-v)).
 *
 * The probability of no purchase in the next t follows from the same: a
 * customer who is gone buys nothing, an alive one buys nothing in t with
 * probability ((alpha+T)/(alpha+T+t))^(r+x) (BG/NBD, MBG/NBD) or
 * 1 - integral of f from 0 to t (Pareto/NBD).
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

typedef struct Hazards
{
	double		k;				/* r + x */
	double		scale_buy;		/* alpha + T */
	double		s;
	double		scale_die;		/* beta + T */
} Hazards;

/* f(u) above, on v in [0, 1) with u = scale_buy v / (1 - v) and its Jacobian */
static double
density_v(const Hazards *h, double v)
{
	double		u = h->scale_buy * v / (1 - v);
	double		du_dv = h->scale_buy / ((1 - v) * (1 - v));

	return h->k / h->scale_buy *
		exp(-(h->k + 1) * log1p(u / h->scale_buy) - h->s * log1p(u / h->scale_die)) * du_dv;
}

/* integral of f from 0 to u_end (Infinity for all of it), 64 panels of 20 points */
static double
purchase_before_death(const Hazards *h, double u_end)
{
	double		v_end = isinf(u_end) ? 1 : u_end / (h->scale_buy + u_end);
	double		total = 0;
	int			panels = 64;

	for (int i = 0; i < panels; i++)
	{
		double		lo = v_end * i / panels;
		double		hi = v_end * (i + 1) / panels;
		double		mid = (lo + hi) / 2,
					half = (hi - lo) / 2;

		for (int j = 0; j < 10; j++)
			total += half * clv_gl_weights[j] * (density_v(h, mid - half * clv_gl_nodes[j]) +
											 density_v(h, mid + half * clv_gl_nodes[j]));
	}
	return total;
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
		Hazards		h = {k, theta[1] + T, theta[2], theta[3] + T};
		double		total = purchase_before_death(&h, get_float8_infinity());
		double		lo = 0,
					hi = h.scale_buy;

		/* the median of the wait given a purchase: bisection on the cumulative integral */
		while (purchase_before_death(&h, hi) < total / 2)
			hi *= 2;
		for (int i = 0; i < 60; i++)
		{
			double		mid = (lo + hi) / 2;

			if (purchase_before_death(&h, mid) < total / 2)
				lo = mid;
			else
				hi = mid;
		}
		p_purchase = alive * total;
		median = (lo + hi) / 2;
	}
	else
	{
		p_purchase = alive;
		median = (theta[1] + T) * expm1(M_LN2 / k);
	}

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_next_purchase must return a composite type");
	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(clv_check_result(p_purchase, "next purchase probability"));
	values[1] = Float8GetDatum(clv_check_result(median, "median wait"));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

Datum
clv_next_purchase(PG_FUNCTION_ARGS)
{
	return next_purchase(fcinfo, clv_purchase_model_arg(fcinfo, 0), PG_GETARG_FLOAT8(1),
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
	return next_purchase(fcinfo, clv_purchase_model_arg(fcinfo, 0), x, t_x, T);
}

/* clv_p_no_purchase(model, t, frequency, recency, age) */
Datum
clv_p_no_purchase(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_purchase_model_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);
	double		x = PG_GETARG_FLOAT8(2);
	double		T = PG_GETARG_FLOAT8(4);
	const double *theta = model->params;
	double		alive = clv_purchases_p_alive(model, x, PG_GETARG_FLOAT8(3), T);
	double		quiet_if_alive;

	clv_check_nonnegative(t, "t");
	if (model->kind == CLV_MODEL_PARETONBD)
	{
		Hazards		h = {theta[0] + x, theta[1] + T, theta[2], theta[3] + T};

		quiet_if_alive = 1 - purchase_before_death(&h, t);
	}
	else
		quiet_if_alive = exp((theta[0] + x) * (log(theta[1] + T) - log(theta[1] + T + t)));
	PG_RETURN_FLOAT8(clv_check_result(1 - alive + alive * quiet_if_alive, "probability"));
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
static double
log_nb(double R, double B, int32 k, double u)
{
	if (u == 0)
		return k == 0 ? 0 : -get_float8_infinity();
	return clv_lgamma_ratio(R, k) - lgamma(k + 1.0) + R * (log(B) - log(B + u)) +
		k * (log(u) - log(B + u));
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
		double		total = exp(s * (log(D) - log(D + t)) + log_nb(R, B, k, t));
		int			panels = 64;

		for (int i = 0; i < panels; i++)
		{
			double		mid = t * (i + 0.5) / panels,
						half = t / (2 * panels);

			for (int j = 0; j < 10; j++)
				for (int sign = -1; sign <= 1; sign += 2)
				{
					double		u = mid + sign * half * clv_gl_nodes[j];

					total += half * clv_gl_weights[j] *
						exp(log(s) - log(D) + (s + 1) * (log(D) - log(D + u)) + log_nb(R, B, k, u));
				}
		}
		return total;
	}
	else
	{
		double		a = theta[2];
		double		b = theta[3] + x + (model->kind == CLV_MODEL_MBGNBD ? 1 : 0);
		double		below_k = 0;

		if (k == 0)
			return exp(log_nb(R, B, 0, t));
		/*
		 * P(N(t) < k): a sum of k terms, or for large k the regularized
		 * incomplete beta I_{B/(B+t)}(R, k) it equals, in O(sqrt k) steps
		 */
		if (k > 1000)
			below_k = clv_beta_inc(R, k, B / (B + t), t / (B + t));
		else
		{
			for (int j = 0; j < k; j++)
			{
				double		term = exp(log_nb(R, B, j, t));

				below_k += term;
				/* past the mode, once the terms no longer move the sum, the rest cannot */
				if (j > R * t / B && term < 1e-17 * below_k)
					break;
			}
		}
		/* B(a, b+k)/B(a, b) = Gamma(b+k) Gamma(a+b) / (Gamma(b) Gamma(a+b+k)) */
		return exp(clv_lgamma_ratio(b, k) - clv_lgamma_ratio(a + b, k) + log_nb(R, B, k, t)) +
			exp(log(a) + clv_lgamma_ratio(b, k - 1) - clv_lgamma_ratio(a + b, k)) * Max(1 - below_k, 0);
	}
}

/* clv_p_purchases(model, k, t, frequency, recency, age) */
Datum
clv_p_purchases(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_purchase_model_arg(fcinfo, 0);
	int32		k = PG_GETARG_INT32(1);
	double		t = PG_GETARG_FLOAT8(2);
	double		x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(5);
	double		alive = clv_purchases_p_alive(model, x, PG_GETARG_FLOAT8(4), T);

	clv_check_nonnegative(t, "t");
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of purchases must not be negative"),
				 errdetail("The value given was %d.", k)));
	PG_RETURN_FLOAT8(clv_check_result((k == 0 ? 1 - alive : 0) +
									  alive * p_purchases_if_alive(model, k, t, x, T),
									  "probability"));
}
