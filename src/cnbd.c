/*
 * cnbd.c: purchase regularity, MBG/CNBD-k and BG/CNBD-k (Platzer &
 * Reutterer 2016, "Ticking away the moments: timing regularity helps to
 * better predict customer activity", Marketing Science 35(5); Reutterer,
 * Platzer & Schröder 2021, "Leveraging purchase regularity for predicting
 * customer behavior the easy way", IJRM 38(1)).
 *
 * MBG/NBD and BG/NBD with Erlang-k times between purchases instead of
 * exponential ones: a customer's purchases are every k-th event of a
 * Poisson process of rate lambda ~ Gamma(r, alpha), so for k > 1 they come
 * at regular intervals, and a customer silent for several of their own
 * intervals is more likely gone than a random buyer as silent.  After each
 * purchase (MBG: and at the first) the customer drops out with probability
 * p ~ Beta(a, b).  k = 1 is MBG/NBD, or BG/NBD.
 *
 * Written from the model's assumptions: with m0 = 1 for MBG, 0 for BG,
 * y = b + x + m0, c = r + k x and u = T - t_x, integrating lambda and p out
 * of a customer's likelihood gives
 *   L = C_k * Gamma(c) alpha^r / Gamma(r) * B(a, y) / B(a, b)
 *       * (alpha+T)^-c [S + R],
 *   S = sum_{i<k} Gamma(c+i) / (Gamma(c) i!) (u / (alpha+T))^i
 *       (alive: no k-th event in the u since the last purchase),
 *   R = [m0 or x > 0] a / (y-1) ((alpha+T) / (alpha+t_x))^c
 *       (gone right after the last purchase),
 *   C_k = prod over the x gaps of gap^(k-1) / (k-1)!,
 * and C_k is where the regularity shows: ln C_k = (k-1) log_gap_sum -
 * x ln((k-1)!), the same for every parameter value, so it is added to the
 * total once (the fit needs each customer's sum of ln(gap) only through
 * the total, which the state keeps).  P(alive) = S / (S + R).
 *
 * The fit's likelihood shares what it can between histories, as BG/NBD's
 * does: ln(alpha + v) once per distinct time v, the Gamma ratios once per
 * x; S is summed as it stands (its terms grow by (c+i-1)/i u/(alpha+T),
 * with u/(alpha+T) < 1), in logs only where that overflows.  At k = 1 it
 * is MBG/NBD's or BG/NBD's likelihood, and theirs is used.
 *
 * Expected purchases in the next t: given lambda, alive, and j Poisson
 * events since the last purchase (posterior weight of each j its term of
 * S), the m-th next purchase comes when N(t) + j >= m k, N(t) ~ Poisson,
 * and is made if the customer stayed after the m-1 before it; so
 *   E = sum_{j<k} s_j / (S + R)  E_N[ W(floor((N + j) / k)) ],
 *   W(M) = sum_{m=1..M} B(a, y+m-1) / B(a, y),
 * N negative binomial of shape c + j and probability t / (alpha+T+t) once
 * lambda is integrated out.  The expectation over N is summed outwards
 * from its mode until the terms are negligible, with W at the mode in
 * closed form (purchases_weight), so it costs about the spread of N, not
 * its size.
 */
#include "model.h"
#include "fit.h"
#include "scores.h"
#include "special.h"

#include "miscadmin.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(clv_fit_cnbd_transfn);
PG_FUNCTION_INFO_V1(clv_fit_mbgcnbd_final);
PG_FUNCTION_INFO_V1(clv_fit_bgcnbd_final);

/*
 * clv_fit_mbgcnbd(frequency, recency, age, log_gap_sum [, k [, penalizer]]),
 * and clv_fit_bgcnbd the same: k NULL or left out is chosen by likelihood.
 */
Datum
clv_fit_cnbd_transfn(PG_FUNCTION_ARGS)
{
	double		penalizer = clv_penalizer_arg(fcinfo, 6);
	int			shape = CLV_SHAPE_CHOSEN;

	if (clv_option_given(fcinfo, 5))
	{
		int32		k = PG_GETARG_INT32(5);

		if (k < 1 || k > CLV_MODEL_MAX_SHAPE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("k must be between 1 and %d", CLV_MODEL_MAX_SHAPE),
					 errhint("Leave k out, or give NULL, to have the fit choose it.")));
		shape = k;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_patterns_add_regular(fcinfo, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
									PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4), shape, penalizer);
}

/* ---- the likelihood ---- */

/* ln(e^p + e^q) */
static inline double
log_add(double p, double q)
{
	if (p == -get_float8_infinity())
		return q;
	if (q == -get_float8_infinity())
		return p;
	return Max(p, q) + log1p(exp(-fabs(p - q)));
}

/*
 * What a history's likelihood and scores share: ln S and ln R above, and
 * each term of S (log_s[i]), for k, m0 and the parameters theta.
 */
typedef struct Regularity
{
	double		log_s[CLV_MODEL_MAX_SHAPE];
	double		log_S;
	double		log_R;			/* -Infinity when the customer cannot have dropped out */
	double		log_total;		/* ln(S + R) */
} Regularity;

static void
regularity(const double *theta, int k, int m0, double x, double t_x, double T, Regularity *g)
{
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		c = r + k * x;
	double		log_rho = log((T - t_x) / (alpha + T));

	g->log_s[0] = 0;
	g->log_S = 0;
	for (int i = 1; i < k; i++)
	{
		/* Gamma(c+i) / (Gamma(c) i!) rho^i, from the term before */
		g->log_s[i] = g->log_s[i - 1] + log((c + (i - 1)) / i) + log_rho;
		g->log_S = log_add(g->log_S, g->log_s[i]);
	}
	if (m0 == 0 && x == 0)
		g->log_R = -get_float8_infinity();
	else
		/* ln((alpha+T)/(alpha+t_x)) as log1p: the difference of the logs cancels, and c multiplies it */
		g->log_R = log(a) - log(b + (x + m0 - 1)) + c * log1p((T - t_x) / (alpha + t_x));
	g->log_total = log_add(g->log_S, g->log_R);
}

/*
 * What a history's likelihood needs that depends only on its x (patterns
 * come sorted by x, so it is computed once per distinct x): the ratios of
 * Gamma functions and their digamma counterparts.
 */
typedef struct XTerms
{
	double		x;
	double		log_gamma;		/* ln Gamma(r+kx)/Gamma(r) + ln B(a, b+x+m0)/B(a, b) */
	double		psi_r,			/* psi(r+kx) - psi(r) */
				psi_b,			/* psi(b+x+m0) - psi(b) */
				psi_ab;			/* psi(a+b+x+m0) - psi(a+b) */
	double		log_b_x,		/* ln(b+x+m0-1), 0 where it is not used */
				inverse_b_x;
	double		log_alpha,
				log_a;			/* not x's, but as cheap to keep here */
} XTerms;

static void
x_terms(const double *theta, int k, int m0, double x, bool with_gradient, XTerms *xt)
{
	double		r = theta[0],
				a = theta[2],
				b = theta[3];

	xt->x = x;
	xt->log_gamma = clv_lgamma_ratio(r, k * x) + clv_lgamma_ratio(b, x + m0) - clv_lgamma_ratio(a + b, x + m0);
	/* b last: x + m0 - 1 is a whole number, exact, and b + 0 is b however small */
	xt->log_b_x = (x + m0 > 0) ? log(b + (x + m0 - 1)) : 0;
	xt->inverse_b_x = (x + m0 > 0) ? 1 / (b + (x + m0 - 1)) : 0;
	xt->log_alpha = log(theta[1]);
	xt->log_a = log(a);
	if (with_gradient)
	{
		xt->psi_r = clv_digamma_ratio(r, k * x);
		xt->psi_b = clv_digamma_ratio(b, x + m0);
		xt->psi_ab = clv_digamma_ratio(a + b, x + m0);
	}
}

/*
 * One history's log-likelihood without ln C_k, and when grad is not NULL
 * its gradient in theta (r, alpha, a, b).
 */
static double
pattern_ll(const double *theta, int k, int m0, const XTerms *xt, const Pattern *p, double *grad)
{
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		x = p->x;
	double		c = r + k * x;
	Regularity	g;
	double		ll;

	regularity(theta, k, m0, x, p->t_x, p->T, &g);
	ll = xt->log_gamma + r * log(alpha) - c * log(alpha + p->T) + g.log_total;
	if (grad != NULL)
	{
		double		w_R = exp(g.log_R - g.log_total),
					w_S = exp(g.log_S - g.log_total);
		double		d_S[2] = {0, 0};	/* d ln S / d r, d ln S / d alpha */
		double		psi = 0;			/* psi(c+i) - psi(c) */
		double		inverse_T = 1 / (alpha + p->T);

		for (int i = 1; i < k; i++)
		{
			double		w = exp(g.log_s[i] - g.log_S);

			psi += 1 / (c + (i - 1));
			d_S[0] += w * psi;
			d_S[1] -= w * i * inverse_T;
		}
		d_S[0] *= w_S;
		d_S[1] *= w_S;
		grad[0] = xt->psi_r + log(alpha) - log(alpha + p->T) + d_S[0];
		grad[1] = r / alpha - c * inverse_T + d_S[1];
		grad[2] = -xt->psi_ab;
		grad[3] = xt->psi_b - xt->psi_ab;
		if (w_R > 0)
		{
			grad[0] += w_R * log1p((p->T - p->t_x) / (alpha + p->t_x));
			grad[1] += w_R * c * (inverse_T - 1 / (alpha + p->t_x));
			grad[2] += w_R / a;
			grad[3] -= w_R / (b + (x + m0 - 1));
		}
	}
	return ll;
}

/*
 * pattern_ll for k >= 2, from the terms of its time and x computed once:
 * S summed as it stands rather than in logs (each term is the one before
 * times (c+i-1)/i rho, with rho = (T - t_x) / (alpha + T) < 1), so that a
 * history costs one logarithm more than an MBG/NBD one; false where S
 * overflows (c rho beyond about 5e27 at k = 12, far more at smaller k), for
 * pattern_ll to take in logs.  (c + (i - 1)), not c + i - 1: exact at i = 1
 * for a tiny c.
 */
static bool
pattern_ll_direct(const double *theta, int k, int m0, const XTerms *xt, const Pattern *p,
				  const TimeTerms *at_tx, const TimeTerms *at_T, double *ll, double *grad)
{
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2];
	double		x = p->x;
	double		c = r + k * x;
	double		rho = (p->T - p->t_x) * at_T->inverse_shifted;
	double		term = 1,
				S = 1,
				S_psi = 0,		/* sum of s_i (psi(c+i) - psi(c)) */
				S_i = 0,		/* sum of s_i i */
				psi = 0;
	double		log_S,
				log_R,
				w_R;

	for (int i = 1; i < k; i++)
	{
		term *= (c + (i - 1)) / i * rho;
		psi += 1 / (c + (i - 1));
		S += term;
		S_psi += term * psi;
		S_i += term * i;
	}
	if (!isfinite(S) || !isfinite(S_psi) || !isfinite(S_i))
		return false;
	log_S = log(S);
	*ll = xt->log_gamma + r * xt->log_alpha - c * at_T->log_shifted;
	if (m0 == 0 && x == 0)
	{
		/* a BG customer without repeat purchases cannot have dropped out */
		*ll += log_S;
		w_R = 0;
	}
	else
	{
		/* ln(S + R), and R's share of the sum, from one exp */
		double		e;

		log_R = xt->log_a - xt->log_b_x + c * (at_T->log_shifted - at_tx->log_shifted);
		e = exp(-fabs(log_S - log_R));
		*ll += Max(log_S, log_R) + log1p(e);
		w_R = log_R > log_S ? 1 / (1 + e) : e / (1 + e);
	}
	if (grad != NULL)
	{
		double		w_S = 1 - w_R;

		grad[0] = xt->psi_r + xt->log_alpha - at_T->log_shifted + w_S * S_psi / S;
		grad[1] = r / alpha - c * at_T->inverse_shifted - w_S * S_i / S * at_T->inverse_shifted;
		grad[2] = -xt->psi_ab;
		grad[3] = xt->psi_b - xt->psi_ab;
		if (w_R > 0)
		{
			grad[0] += w_R * (at_T->log_shifted - at_tx->log_shifted);
			grad[1] += w_R * c * (at_T->inverse_shifted - at_tx->inverse_shifted);
			grad[2] += w_R / a;
			grad[3] -= w_R * xt->inverse_b_x;
		}
	}
	return true;
}

/*
 * The total log-likelihood (without ln C_k) and its gradient.  At k = 1 the
 * model is MBG/NBD (m0 = 1) or BG/NBD (m0 = 0), and their likelihood, which
 * shares more between histories, is this one.
 */
static double
total_ll(int m0, const PatternSet *data, const double *theta, double *grad)
{
	int			k = data->shape;
	const PatternTimes *times = data->times;
	TimeTerms  *at;
	double		total = 0;
	XTerms		xt = {0};

	Assert(k >= 1 && k <= CLV_MODEL_MAX_SHAPE);
	if (k == 1)
		return m0 ? clv_mbgnbd_total_ll(data, theta, grad) : clv_bgnbd_total_ll(data, theta, grad);
	/* set by clv_purchase_patterns and clv_coarse_purchase_patterns, which made data */
	Assert(times != NULL);
	at = clv_time_terms(times, theta[1]);
	if (grad != NULL)
		memset(grad, 0, 4 * sizeof(double));
	xt.x = -1;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		g[4],
					ll;

		if (p->x != xt.x)
			x_terms(theta, k, m0, p->x, grad != NULL, &xt);
		if (!pattern_ll_direct(theta, k, m0, &xt, p, &at[times->t_x_index[i]], &at[times->T_index[i]],
							   &ll, grad ? g : NULL))
			ll = pattern_ll(theta, k, m0, &xt, p, grad ? g : NULL);
		total += p->count * ll;
		if (grad != NULL)
			for (int j = 0; j < 4; j++)
				grad[j] += p->count * g[j];
	}
	pfree(at);
	return total;
}

/*
 * ln C_k of every customer, the regularity of their gaps: the same for
 * every parameter value, so it is left out of what the optimizer sees
 * (its size would swamp the relative changes its stopping rules look at)
 * and added to the fitted model's log-likelihood.
 */
static double
regularity_constant(const PatternSet *data, double repeat_purchases, int k)
{
	return (k - 1) * data->log_gap_sum - lgamma(k) * repeat_purchases;
}

static double
mbgcnbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	return total_ll(1, data, theta, grad);
}

static double
bgcnbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	return total_ll(0, data, theta, grad);
}

/* the k being fitted, for the context of an error */
static void
fit_context(void *arg)
{
	errcontext("fitting k = %d", *(int *) arg);
}

/*
 * The fit: for one k, or for k = 1, 2, ... as long as the likelihood grows
 * (up to CLV_MODEL_MAX_SHAPE), the model with the greatest likelihood.
 * Each k starts where MBG/NBD's start would put a Poisson rate, its
 * scale alpha divided by k (the mean gap is k / lambda).  When k is being
 * chosen, a k past the first whose fit does not converge ends the search
 * (with a notice) rather than the query: the likelihood could not be
 * computed to its maximum there.
 */
static ClvModel *
fit_regular(FunctionCallInfo fcinfo, ClvModelKind kind, clv_loglik loglik)
{
	PatternSet	data,
				coarse;
	bool		have_coarse;
	double		mean_x,
				mean_T,
				repeat_purchases;
	int			first,
				last;
	ClvModel   *best = NULL;
	ErrorContextCallback context;
	int			k;

	if (!clv_purchase_patterns(fcinfo, clv_model_kind_info(kind)->label, &data, &mean_x, &mean_T))
		return NULL;
	if (data.shape == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid model fit state"),
				 errdetail("The state was not made by a regularity fit (it has no k)."),
				 errhint("A state must come from the aggregate's own transition or combine function.")));
	have_coarse = clv_coarse_purchase_patterns(&data, &coarse);
	/* every customer's repeat purchases, for ln C_k, once for all k */
	repeat_purchases = 0;
	for (int64 i = 0; i < data.npatterns; i++)
		repeat_purchases += data.patterns[i].count * data.patterns[i].x;
	first = data.shape == CLV_SHAPE_CHOSEN ? 1 : data.shape;
	last = data.shape == CLV_SHAPE_CHOSEN ? CLV_MODEL_MAX_SHAPE : data.shape;
	context.callback = fit_context;
	context.arg = &k;
	context.previous = error_context_stack;
	error_context_stack = &context;
	for (k = first; k <= last; k++)
	{
		double		log_theta[4] = {0, log(Max(mean_T, 1e-6) / Max(mean_x, 1e-6)) - log(k), 0, 0};
		ClvModel   *model;

		data.shape = k;
		coarse.shape = k;
		/* the first k raises the error that says why, as any fit does */
		model = clv_fit_candidate(kind, loglik, &data, have_coarse ? &coarse : NULL, log_theta, best == NULL);
		if (model == NULL)
		{
			ereport(NOTICE,
					(errmsg("%s: the fit with k = %d did not converge; k = %d is kept",
							clv_model_kind_info(kind)->label, k, best->shape)));
			break;
		}
		model->log_likelihood += regularity_constant(&data, repeat_purchases, k);
		if (best != NULL && !(model->log_likelihood > best->log_likelihood))
			break;
		best = model;
	}
	error_context_stack = context.previous;
	clv_fit_warn_weak(best);
	return best;
}

Datum
clv_fit_mbgcnbd_final(PG_FUNCTION_ARGS)
{
	ClvModel   *model = fit_regular(fcinfo, CLV_MODEL_MBGCNBD, mbgcnbd_total_ll);

	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model);
}

Datum
clv_fit_bgcnbd_final(PG_FUNCTION_ARGS)
{
	ClvModel   *model = fit_regular(fcinfo, CLV_MODEL_BGCNBD, bgcnbd_total_ll);

	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model);
}

/* ---- scoring ---- */

static int
dropout_at_start(const ClvModel *model)
{
	return model->kind == CLV_MODEL_MBGCNBD ? 1 : 0;
}

/* log of the odds of having dropped out against being alive: ln R - ln S */
double
clv_cnbd_log_dropout_odds(const ClvModel *model, double x, double t_x, double T)
{
	Regularity	g;

	clv_check_history(x, t_x, T);
	regularity(model->params, model->shape, dropout_at_start(model), x, t_x, T, &g);
	return g.log_R - g.log_S;
}

double
clv_cnbd_p_alive(const ClvModel *model, double x, double t_x, double T)
{
	return clv_logistic(-clv_cnbd_log_dropout_odds(model, x, t_x, T));
}

/*
 * ln of the chance that a customer still buying would have let the time
 * since the last purchase go by without one: with the rate's posterior
 * after x purchases by t_x, Gamma(c, alpha + t_x), the chance of fewer
 * than k Poisson events in u = T - t_x is
 *   sum_{i<k} Gamma(c+i) / (Gamma(c) i!) (u / (alpha+T))^i ((alpha+t_x) / (alpha+T))^c
 * = S ((alpha+t_x) / (alpha+T))^c.  clv_decline's "gone quiet" reads it for
 * these models: the customer's own rhythm, as the fitted model sees it.
 */
double
clv_cnbd_log_silence(const ClvModel *model, double x, double t_x, double T)
{
	Regularity	g;
	double		c = model->params[0] + model->shape * x;

	clv_check_history(x, t_x, T);
	regularity(model->params, model->shape, dropout_at_start(model), x, t_x, T, &g);
	return g.log_S - c * log1p((T - t_x) / (model->params[1] + t_x));
}

/*
 * The most terms the expectations over N below may sum, all phases
 * together: some tens of milliseconds of work, reached only by a horizon
 * of millions of purchases, or one thousands of times alpha + T with r
 * tiny (most customers all but never buying, a few very often).
 */
#define MAX_EXPECTATION_TERMS 10000000
/* a term of N's distribution this far below its largest is past counting */
#define NEGLIGIBLE_TERM 1e-18

/* one more term of the work a score may do; false past the budget */
static inline bool
count_term(int64 *terms)
{
	if ((++*terms & 0xFFFF) == 0)
		CHECK_FOR_INTERRUPTS();
	return *terms <= MAX_EXPECTATION_TERMS;
}

/*
 * W(M) = sum_{m=1..M} B(a, y+m-1) / B(a, y) and w_M, its last term.  The
 * sum telescopes: with L = ln(Gamma(y+M) / Gamma(y)) - ln(Gamma(a+y-1+M)
 * / Gamma(a+y-1)),
 *   W(M) = (a+y-1) / (a-1) (1 - e^L),  and y (psi(y+M) - psi(y)) at a = 1,
 * so a frequent buyer's W costs a few Gamma ratios, not M terms.  L is
 * formed from ratios whose shift is a - 1 (ln Gamma(z+h) - ln Gamma(z)
 * with h = |a - 1|), not from ratios over M, which would leave L, about
 * (a-1) ln(1 + M/y), to the rounding of numbers M ln y in size.  Those
 * small-shift ratios are exact to rounding for z >= 10 (Stirling's series
 * of the difference) and, below, while h is not tiny.  For M up to
 * W_BY_TERMS_MAX the terms are added up (counted against the budget); past
 * it, the first few are, and the form applies from there, where it is
 * exact (WeightCurve).
 */
#define W_BY_TERMS_MAX 4096

static double
telescoped_weight(double M, double a, double y)
{
	double		h = fabs(a - 1),
				L;

	if (a == 1)
		return y * clv_digamma_ratio(y, M);
	if (a > 1)
		L = clv_lgamma_ratio(y, h) - clv_lgamma_ratio(y + M, h);
	else
		L = clv_lgamma_ratio(y + M - h, h) - clv_lgamma_ratio(y - h, h);
	return (a + y - 1) / (a - 1) * -expm1(L);
}

/*
 * w_m, the m-th purchase's weight B(a, y+m-1) / B(a, y), from w_(m-1):
 * forwards, w_m = w_(m-1) (y+m-2) / (a+y+m-2), factors below 1, so rounding
 * grows only linearly; grouped as (a + y) + (m - 2), exact at m = 2 however
 * small a + y is
 */
static inline double
next_weight(double w, double a, double y, int64 m)
{
	return m == 1 ? 1 : w * ((y + (m - 2)) / ((a + y) + (m - 2)));
}

/*
 * W(M) for real M >= the shift below: the first few terms added up, the
 * rest from the telescoped form,
 *   W(M) = W(shift) + w_(shift+1) T(M - shift; a, y + shift),
 * with the shift the smallest that makes a + y + shift - 1 > 1 (otherwise
 * a + y - 1 and y - |a - 1| cancel: at a = 1e-6 and y = 1 ten digits of
 * them would be rounding), and, for a within 1e-3 of 1 but not 1, y +
 * shift > 10 + |a - 1|, where the small-shift ratios are exact to rounding.
 */
typedef struct WeightCurve
{
	double		a;
	double		y;
	int64		shift;
	double		head;			/* W(shift) */
	double		scale;			/* w_(shift+1) */
} WeightCurve;

static void
weight_curve_init(WeightCurve *curve, double a, double y)
{
	double		h = fabs(a - 1);
	double		need = a == 1 || h > 1e-3 ? 2 - a - y : 10 + h - y;
	double		w = 0;

	curve->a = a;
	curve->y = y;
	curve->shift = need >= 0 ? (int64) floor(need) + 1 : 0;
	/* at most 11 terms */
	curve->head = 0;
	for (int64 m = 1; m <= curve->shift; m++)
	{
		w = next_weight(w, a, y, m);
		curve->head += w;
	}
	curve->scale = exp(clv_lgamma_ratio(y, curve->shift) - clv_lgamma_ratio(a + y, curve->shift));
}

static double
weight_curve_at(const WeightCurve *curve, double M)
{
	Assert(M >= curve->shift);
	if (M == curve->shift)
		return curve->head;
	return curve->head + curve->scale * telescoped_weight(M - curve->shift, curve->a, curve->y + curve->shift);
}

static bool
purchases_weight(int64 M, double a, double y, double *W, double *w, int64 *terms)
{
	double		last = 1;

	if (M == 0)
	{
		*W = 0;
		*w = 0;
		return true;
	}
	*w = exp(clv_lgamma_ratio(y, M - 1) - clv_lgamma_ratio(a + y, M - 1));
	if (M > W_BY_TERMS_MAX)
	{
		WeightCurve curve;

		weight_curve_init(&curve, a, y);
		*W = weight_curve_at(&curve, M);
		return true;
	}
	*W = 0;
	for (int64 m = 1; m <= M; m++)
	{
		last = next_weight(last, a, y, m);
		*W += last;
		if (!count_term(terms))
			return false;
	}
	return true;
}

/*
 * The sums of P(N = i) W(floor((i + j) / k)) and of P(N = i) over
 * 0 <= i < end, for N negative binomial of shape n and probability q =
 * ratio / (1 + ratio) (P(N = i) = Gamma(n+i) / (Gamma(n) i!) q^i (1-q)^n),
 * W as above, each term relative to P(N = start), start < end, with W(M)
 * from known_W[M] if it is given (for every M up to (end + j) / k).  Summed
 * outwards from start, so that no term's size under- or overflows; upwards
 * until the terms, and what they add, are negligible, but not before the
 * first purchase can be made (W is 0 below it, and a value owed to the far
 * tail alone would be lost); *terms counts the work, false past the budget.
 */
static bool
sum_counts(double n, double ratio, int j, int k, double a, double y, int64 start, int64 end,
		   const double *known_W, double *weighted, double *weights, int64 *terms)
{
	double		q = ratio / (1 + ratio);
	double		w = 0,
				W,
				W_start,
				term;

	if (known_W != NULL)
		W = known_W[(start + j) / k];
	else if (!purchases_weight((start + j) / k, a, y, &W, &w, terms))
		return false;
	W_start = W;
	*weighted = W;
	*weights = 1;
	/* upwards: P(N = i+1) / P(N = i) = (n+i) q / (i+1) */
	term = 1;
	for (int64 i = start + 1; i < end; i++)
	{
		term *= (n + (i - 1)) * q / i;
		if ((i + j) % k == 0)
		{
			/* a new purchase: M = (i+j)/k */
			int64		m = (i + j) / k;

			if (known_W != NULL)
				W = known_W[m];
			else
			{
				w = next_weight(w, a, y, m);
				W += w;
			}
		}
		*weighted += term * W;
		*weights += term;
		if (term == 0 ||
			(i + j >= k && term < NEGLIGIBLE_TERM * *weights && term * W <= NEGLIGIBLE_TERM * *weighted))
			break;
		if (!count_term(terms))
			return false;
	}
	/*
	 * downwards: P(N = i-1) / P(N = i) = i / ((n+i-1) q).  Each w_m
	 * leaving W is computed on its own, ln w_m = ln Gamma(y+m-1) - ln
	 * Gamma(y) - (ln Gamma(a+y+m-1) - ln Gamma(a+y)): w_start may have
	 * underflowed, and running the recurrence backwards from it would
	 * multiply its rounding by (a+y+m)/(y+m) at every step.
	 */
	term = 1;
	W = W_start;
	for (int64 i = start; i > 0; i--)
	{
		term *= i / ((n + (i - 1)) * q);
		if ((i + j) % k == 0)
		{
			/* leaving i: purchase (i+j)/k is no longer made */
			int64		m = (i + j) / k;

			if (known_W != NULL)
				W = known_W[m - 1];
			else
				W = m == 1 ? 0 : W - exp(clv_lgamma_ratio(y, m - 1) - clv_lgamma_ratio(a + y, m - 1));
		}
		*weighted += term * W;
		*weights += term;
		if (term < NEGLIGIBLE_TERM * *weights)
			break;
		if (!count_term(terms))
			return false;
	}
	return true;
}

/*
 * Where N's spread is wide in purchases, P(N = i) W(floor((i+j)/k)) is
 * summed by quadrature instead, since the terms cost microseconds each and
 * their number grows with the horizon over alpha + T (times sqrt(n) when n
 * is large): for a horizon 10^5 times alpha + T, about 4 10^6 terms.
 *
 * Split i by its residue rho modulo k: i = rho + k u, and the purchases made
 * are then M = u + delta_rho, delta_rho = 1 if rho + j >= k, else 0.  So
 *   sum_i P(N = i) W(M) = sum_u Phi(u),
 *   Phi(u) = W(u) sum_{delta_rho = 0} P(N = rho + k u)
 *            + W(u+1) sum_{delta_rho = 1} P(N = rho + k u),
 * with P continued to real i through Gamma, and W through its telescoped
 * form (WeightCurve).  Phi's scale is N's spread over k, at least
 * CLV_WIDE_SPREAD, and, below its top, u itself; so below WIDE_HEAD_U
 * purchases the terms are summed one by one, and beyond it
 *   sum_{u >= U} Phi(u) = integral_U^inf Phi(u) du + Phi_0 / 2 - Delta Phi_0 / 12
 *                         + Delta^2 Phi_0 / 24 - 19 Delta^3 Phi_0 / 720
 *                         + 3 Delta^4 Phi_0 / 160 - 863 Delta^5 Phi_0 / 60480,
 * Gregory's end correction from the forward differences of Phi at U,
 * U + 1, ... (Phi's sixth difference is of the order of Phi / U^6 there),
 * and the integral by 20-point Gauss-Legendre on panels as wide as half
 * their distance from 0 and at most twice the spread, from WIDE_LOW_SPREADS
 * spreads below N's top (or U) until a panel adds a negligible part.  The
 * sum of P(N = i), 1 up to rounding, is formed the same way and divides the
 * result, as in sum_counts.
 *
 * The k phases j (N's shape n = c + j) share every point: P_(c+j)(i) /
 * P_(c+j)(m) = P_c(i) / P_c(m) prod_(l<j) (c+i+l) / (c+m+l), so one
 * log-Gamma ratio and two weights serve them all, and the rest is k^2
 * products.  (A phase's P may be scaled by any constant: its mean divides
 * its weighted sum by the sum of its P.)
 */
#define CLV_WIDE_SPREAD 40.0
#define WIDE_HEAD_U 256
#define WIDE_LOW_SPREADS 12
#define WIDE_MAX_PANELS 20000

/* the setting clv.expectation_quadrature: the wide path above, or terms one by one */
bool		clv_expectation_quadrature = true;

/*
 * ln Gamma(x + 1) - ln(sqrt(2 pi x) (x/e)^x) for real x > 0: Stirling's
 * series from 15 on (its next term below 3e-16 there), else from lgamma
 */
static double
stirling_error(double x)
{
	if (x <= 15)
		return lgamma(x + 1) - (x + 0.5) * log(x) + x - 0.5 * log(2 * M_PI);
	return clv_lgamma_series(x);
}

/*
 * x ln(x / mean) + mean - x, the deviance of a count x from its mean, for
 * x, mean > 0: near the mean as a series in v = (x - mean) / (x + mean),
 * whose terms keep their digits where the closed form's cancel
 */
static double
count_deviance(double x, double mean)
{
	double		v,
				sum,
				term;

	if (!(fabs(x - mean) < 0.1 * (x + mean)))
		return x * log(x / mean) + mean - x;
	v = (x - mean) / (x + mean);
	sum = (x - mean) * v;
	term = 2 * x * v;
	for (int j = 1; j < 1000; j++)
	{
		double		next;

		term *= v * v;
		next = sum + term / (2 * j + 1);
		if (next == sum)
			break;
		sum = next;
	}
	return sum;
}

/*
 * ln P(N = i) for real i > 0, as Loader ("Fast and accurate computation of
 * binomial probabilities", 2000) writes a binomial probability, here of n
 * successes in n + i trials times n / (n + i): Stirling errors and
 * deviances, each a few units at most where N lies, instead of log-Gamma
 * values near n ln i
 */
static double
nb_log_pmf(double n, double p, double q, double i)
{
	double		trials = n + i;

	return log(n / trials) + stirling_error(trials) - stirling_error(n) - stirling_error(i)
		- count_deviance(n, trials * p) - count_deviance(i, trials * q)
		- 0.5 * (log(2 * M_PI) + log(n) + log(i) - log(trials));
}

/*
 * ln prod_(l<n) (u + l) / (v + l) for u, v > 0: the product of the ratios,
 * kept in range by taking out its binary exponent at each step, and one
 * logarithm.  clv_lgamma_ratio(u, n) - clv_lgamma_ratio(v, n) would take 2n
 * logarithms for a whole n (half the time of the widest sums, whose every
 * point takes this ratio at a whole shape such as r = 40), and from fewer
 * roundings than their difference has.
 */
static double
log_rising_ratio(double u, double v, int n)
{
	double		product = 1;
	int			exponent = 0;

	for (int l = 0; l < n; l++)
	{
		int			e;

		product = frexp(product * ((u + l) / (v + l)), &e);
		exponent += e;
	}
	return log(product) + exponent * M_LN2;
}

/*
 * ln P(N = i) - ln P(N = m) for real i, m >= 0.  Where both shifts, n - 1
 * and i - m, are large (so that the Gamma ratios below would be
 * differences of numbers near shift ln i: at n = 1e6 and a horizon 1e6
 * times alpha + T, 3e-9 of rounding), from each probability's deviance
 * form; else the ratios of Gamma functions taken by whichever shift is
 * smaller, so that a difference of two large logarithms is not left to
 * rounding.
 */
#define NB_DEVIANCE_SHIFT 50

static double
nb_log_ratio(double n, double log_q, double i, double m)
{
	double		gammas;

	if (i == m)
		return 0;
	if (i > 0 && m > 0 && fabs(n - 1) >= NB_DEVIANCE_SHIFT && fabs(i - m) >= NB_DEVIANCE_SHIFT)
	{
		double		q = exp(log_q),
					p = -expm1(log_q);

		return nb_log_pmf(n, p, q, i) - nb_log_pmf(n, p, q, m);
	}
	if (fabs(i - m) < fabs(n - 1))
	{
		/* [ln Gamma(n+i) - ln Gamma(n+m)] - [ln Gamma(i+1) - ln Gamma(m+1)] */
		if (i > m)
			gammas = clv_lgamma_ratio(n + m, i - m) - clv_lgamma_ratio(m + 1, i - m);
		else
			gammas = clv_lgamma_ratio(i + 1, m - i) - clv_lgamma_ratio(n + i, m - i);
	}
	else if (n >= 1 && n - 1 <= 64 && n == floor(n))
		gammas = log_rising_ratio(i + 1, m + 1, (int) (n - 1));
	else if (n >= 1)
		gammas = clv_lgamma_ratio(i + 1, n - 1) - clv_lgamma_ratio(m + 1, n - 1);
	else
		gammas = clv_lgamma_ratio(m + n, 1 - n) - clv_lgamma_ratio(i + n, 1 - n);
	return gammas + (i - m) * log_q;
}

/* what the points of the wide path share */
typedef struct WideSum
{
	double		c;				/* N's shape in phase 0 */
	double		log_q;
	double		q;
	int			k;
	double		top;			/* phase 0's mode: every P is relative to P(N = top) */
	double		step[CLV_MODEL_MAX_SHAPE];	/* 1 / (c + top + j - 1 + k spread), j >= 1 */
	WeightCurve curve;
} WideSum;

/*
 * Phi_j(u) and Psi_j(u) = sum_rho P_(c+j)(N = rho + k u), for every phase
 * j, each P relative to P_(c+j)(N = top)
 */
static void
wide_at(const WideSum *sum, double u, double *phi, double *psi)
{
	double		c = sum->c;
	int			k = sum->k;
	double		i = k * u;
	double		p = exp(nb_log_ratio(c, sum->log_q, i, sum->top));
	double		q = sum->q;
	double		W_low = weight_curve_at(&sum->curve, u),
				W_high = weight_curve_at(&sum->curve, u + 1);
	double		shape_at[CLV_MODEL_MAX_SHAPE];	/* c + i + rho */
	double		r[CLV_MODEL_MAX_SHAPE]; /* P_(c+j)(N = i + rho), relative */

	for (int rho = 0; rho < k; rho++)
	{
		if (rho > 0)
			p *= (c + i + rho - 1) * q / (i + rho);
		r[rho] = p;
		shape_at[rho] = c + i + rho;
	}

	/*
	 * Phase by phase, each residue's P from the phase before's: the
	 * residues are independent, so the products run side by side (and the
	 * compiler may vectorise them), where a loop over the phases within
	 * each residue would chain them.  The counts i + rho with rho + j >= k
	 * hold one purchase more.
	 */
	for (int j = 0; j < k; j++)
	{
		double		low = 0,
					high = 0;

		if (j > 0)
			for (int rho = 0; rho < k; rho++)
				r[rho] *= (shape_at[rho] + j - 1) * sum->step[j];
		for (int rho = 0; rho < k - j; rho++)
			low += r[rho];
		for (int rho = k - j; rho < k; rho++)
			high += r[rho];
		phi[j] = (low > 0 ? low * W_low : 0) + (high > 0 ? high * W_high : 0);
		psi[j] = low + high;
	}
}

/* N's standard deviation, or for n < 1 its tail's scale, without overflow */
static inline double
count_spread(double n, double ratio)
{
	return sqrt(Max(n, 1)) * sqrt(ratio) * sqrt(1 + ratio);
}

static bool
wide_spread(double n, double ratio, int k)
{
	return clv_expectation_quadrature && count_spread(n, ratio) >= CLV_WIDE_SPREAD * k;
}

static inline double
count_mode(double n, double ratio)
{
	return n > 1 ? floor((n - 1) * ratio) : 0;
}

/*
 * means[j] = E[W(floor((N_j + j) / k))] for every phase j < k, N_j of shape
 * c + j, as above; false if the sums do not settle.
 */
static bool
mean_purchases_wide(double c, double ratio, int k, double a, double y, double *means, int64 *terms)
{
	static const double gregory[6] = {1.0 / 2, -1.0 / 12, 1.0 / 24, -19.0 / 720, 3.0 / 160, -863.0 / 60480};
	WideSum		sum = {.c = c, .log_q = -log1p(1 / ratio), .q = ratio / (1 + ratio), .k = k,
	.top = count_mode(c, ratio)};
	double		spread = count_spread(c, ratio) / k;
	double		last_top = count_mode(c + k - 1, ratio);
	int64		head_end = (int64) k * WIDE_HEAD_U;
	double		weighted[CLV_MODEL_MAX_SHAPE],
				weights[CLV_MODEL_MAX_SHAPE];
	double		phi[6][CLV_MODEL_MAX_SHAPE],
				psi[6][CLV_MODEL_MAX_SHAPE];
	double		log_scale[CLV_MODEL_MAX_SHAPE] = {0};
	double		head_W[WIDE_HEAD_U + 1];
	double		w = 0;
	double		lo;
	int			panels = 0;

	Assert(k <= CLV_MODEL_MAX_SHAPE);
	if (!isfinite(spread))
		return false;

	/*
	 * Phase j's factors are taken over c + top + l - 1 + k spread, not c +
	 * top + l - 1, so that their product stays near 1 where N lies, even
	 * when c and top are near 0 and N in the trillions; log_scale[j] is
	 * what that multiplies P_(c+j)(i) / P_(c+j)(top) by.
	 */
	for (int j = 1; j < k; j++)
	{
		/* c + (top + (j - 1)): (c + top + j) - 1 would cancel for c tiny and top 0 */
		double		base = c + (sum.top + (j - 1));

		sum.step[j] = 1 / (base + k * spread);
		log_scale[j] = log_scale[j - 1] - log1p(k * spread / base);
	}
	weight_curve_init(&sum.curve, a, y);
	Assert(sum.curve.shift < WIDE_HEAD_U);

	/*
	 * the head's purchases are at most WIDE_HEAD_U, so their weights W(M)
	 * are tabled once for all phases, forwards (a w that underflows is
	 * nothing beside W >= 1)
	 */
	head_W[0] = 0;
	for (int m = 1; m <= WIDE_HEAD_U; m++)
	{
		w = next_weight(w, a, y, m);
		head_W[m] = head_W[m - 1] + w;
	}

	/* the head, each phase relative to P(N = its start), then to P(N = top) */
	for (int j = 0; j < k; j++)
	{
		int64		start = (int64) Min(count_mode(c + j, ratio), (double) (head_end - 1));
		double		scale;

		if (!sum_counts(c + j, ratio, j, k, a, y, start, head_end, head_W, &weighted[j], &weights[j], terms))
			return false;
		scale = exp(nb_log_ratio(c + j, sum.log_q, start, sum.top) + log_scale[j]);
		weighted[j] *= scale;
		weights[j] *= scale;
	}

	/* Gregory's correction at U, from Phi(U .. U + 5) and their forward differences */
	for (int d = 0; d < 6; d++)
		wide_at(&sum, WIDE_HEAD_U + d, phi[d], psi[d]);
	for (int order = 0; order < 6; order++)
	{
		for (int j = 0; j < k; j++)
		{
			weighted[j] += gregory[order] * phi[0][j];
			weights[j] += gregory[order] * psi[0][j];
			for (int d = 0; d < 5 - order; d++)
			{
				phi[d][j] = phi[d + 1][j] - phi[d][j];
				psi[d][j] = psi[d + 1][j] - psi[d][j];
			}
		}
	}

	/* the integral from U; far below phase 0's top the terms are nothing */
	lo = Max((double) WIDE_HEAD_U, sum.top / k - WIDE_LOW_SPREADS * spread);
	for (;;)
	{
		double		width = Min(Max(lo / 2, 1.0), 2 * spread);
		double		mid = lo + width / 2;
		double		panel_weighted[CLV_MODEL_MAX_SHAPE] = {0},
					panel_weights[CLV_MODEL_MAX_SHAPE] = {0};
		bool		settled = lo * k > last_top;

		for (int g = 0; g < CLV_GL_HALF; g++)
		{
			for (int side = -1; side <= 1; side += 2)
			{
				wide_at(&sum, mid + side * clv_gl_nodes[g] * width / 2, phi[0], psi[0]);
				for (int j = 0; j < k; j++)
				{
					panel_weighted[j] += clv_gl_weights[g] * phi[0][j];
					panel_weights[j] += clv_gl_weights[g] * psi[0][j];
				}
			}
		}
		for (int j = 0; j < k; j++)
		{
			weighted[j] += panel_weighted[j] * width / 2;
			weights[j] += panel_weights[j] * width / 2;
			settled = settled && panel_weights[j] * width / 2 <= NEGLIGIBLE_TERM * weights[j] &&
				panel_weighted[j] * width / 2 <= NEGLIGIBLE_TERM * weighted[j];
		}
		lo += width;
		if (settled)
			break;
		if (++panels > WIDE_MAX_PANELS)
			return false;
		*terms += CLV_GL_HALF * 2;
		CHECK_FOR_INTERRUPTS();
	}
	for (int j = 0; j < k; j++)
	{
		means[j] = weighted[j] / weights[j];
		if (!(means[j] >= 0 && isfinite(means[j])))
			return false;
	}
	return true;
}

/*
 * E[W(floor((N + j) / k))] for N as above, term by term from N's mode;
 * *terms counts the work.
 */
static double
mean_purchases_made(double n, double ratio, int j, int k, double a, double y, int64 *terms)
{
	double		mode = count_mode(n, ratio);
	double		weighted,
				weights;

	if (!(mode < 1e15))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("expected purchases over this horizon are too many to sum"),
				 errdetail("The horizon is %g times alpha plus the customer's age.", ratio)));
	if (!sum_counts(n, ratio, j, k, a, y, (int64) mode, PG_INT64_MAX, NULL, &weighted, &weights, terms))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("expected purchases over this horizon need more than %d terms", MAX_EXPECTATION_TERMS),
				 errdetail("The purchases the horizon may hold are too many, or too spread out, to sum one by one: the horizon is %g times alpha plus the customer's age.",
						   ratio)));
	return weighted / weights;
}

/*
 * E[X(T, T+t) | x, t_x, T], the history checked by the caller; *terms
 * counts the work against MAX_EXPECTATION_TERMS.
 */
static double
expected_of(const ClvModel *model, double t, double x, double t_x, double T, int64 *terms)
{
	const double *theta = model->params;
	int			k = model->shape;
	int			m0 = dropout_at_start(model);
	double		c = theta[0] + k * x;
	double		ratio = clv_horizon_ratio(t, theta[1], T);
	Regularity	g;
	double		total = 0;

	if (t == 0)
		return 0;
	regularity(theta, k, m0, x, t_x, T, &g);
	if (wide_spread(c, ratio, k))
	{
		double		means[CLV_MODEL_MAX_SHAPE];

		if (!mean_purchases_wide(c, ratio, k, theta[2], theta[3] + x + m0, means, terms))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("expected purchases over this horizon are beyond double precision"),
					 errdetail("The horizon is %g times alpha plus the customer's age: the purchases it may hold cannot be weighed in double precision.",
							   ratio)));
		for (int j = 0; j < k; j++)
			total += exp(g.log_s[j] - g.log_total) * means[j];
		return clv_check_result(total, "expected purchases");
	}
	for (int j = 0; j < k; j++)
	{
		double		weight = exp(g.log_s[j] - g.log_total);

		if (weight == 0)
			continue;
		total += weight * mean_purchases_made(c + j, ratio, j, k, theta[2], theta[3] + x + m0, terms);
	}
	return clv_check_result(total, "expected purchases");
}

double
clv_cnbd_expected(const ClvModel *model, double t, double x, double t_x, double T)
{
	int64		terms = 0;

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(t, "t");
	return expected_of(model, t, x, t_x, T, &terms);
}

/* E[X(t)] for a customer just acquired: the history of one purchase, at 0 */
double
clv_cnbd_expected_new(const ClvModel *model, double t)
{
	int64		terms = 0;

	clv_check_nonnegative(t, "t");
	return expected_of(model, t, 0, 0, 0, &terms);
}

/*
 * sum_{i=1..periods} weight[i] E[X(T, T + i units)]: each period within
 * the budget of one score, all of them within ten (a few seconds)
 */
#define MAX_SUM_TERMS (INT64CONST(10) * MAX_EXPECTATION_TERMS)

double
clv_cnbd_expected_sum(const ClvModel *model, double x, double t_x, double T,
					  double units, int32 periods, const double *weight)
{
	double		total = 0;
	int64		all_terms = 0;

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(periods * units, "t");
	for (int i = 1; i <= periods; i++)
	{
		int64		terms = 0;

		if (weight[i] == 0 && i < periods)
			continue;
		total += weight[i] * expected_of(model, i * units, x, t_x, T, &terms);
		all_terms += terms;
		if (all_terms > MAX_SUM_TERMS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("expected purchases over these %d periods need more than " INT64_FORMAT " terms",
							periods, (int64) MAX_SUM_TERMS),
					 errhint("A shorter horizon, or longer periods, cost less.")));
	}
	return total;
}
