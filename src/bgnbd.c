/*
 * bgnbd.c: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your
 * customers the easy way", Marketing Science 24(2)) and its modification
 * MBG/NBD (Batislam, Denizel & Filiztekin 2007, "Empirical validation and
 * comparison of models for customer base analysis", IJRM 24(3)): their fits
 * by maximum likelihood, as aggregates over customers, and their
 * per-customer scores.
 *
 * Parameters r, alpha (gamma heterogeneity of the purchase rate) and a, b
 * (beta heterogeneity of the drop-out probability).  For a customer with x
 * repeat purchases, the last at t_x, observed for T (the paper's likelihood):
 *   L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
 *     + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))
 * evaluated in log space with a log-sum-exp.  MBG/NBD lets a customer drop
 * out right after the first purchase too, which adds one drop-out chance:
 *   L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
 *     + B(a+1, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))
 * so that a customer who never bought again is not certainly alive.  The
 * scores below follow lifetimes' ModifiedBetaGeoFitter for MBG/NBD.
 *
 * The fit aggregate keeps distinct (x, t_x, T) patterns with their counts
 * (customers with the same history are one term of the likelihood), so its
 * cost grows with distinct patterns, not customers; the state is the
 * pattern set of patterns.h, shared with the other models.
 */
#include "calendar.h"
#include "model.h"
#include "fit.h"
#include "scores.h"
#include "special.h"
#include "summary.h"

#include <float.h>

#include "miscadmin.h"
#include "utils/float.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_fit_bgnbd_transfn);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_summary_transfn);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_final);
PG_FUNCTION_INFO_V1(clv_fit_mbgnbd_final);

/* clv_fit_bgnbd(frequency, recency, age [, penalizer]) */
Datum
clv_fit_bgnbd_transfn(PG_FUNCTION_ARGS)
{
	double		penalizer = clv_penalizer_arg(fcinfo, 4);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_PURCHASES, PG_GETARG_FLOAT8(1),
							PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3), 1, penalizer, 0);
}

/* clv_fit_bgnbd(summary [, penalizer]): customers without purchases are skipped */
Datum
clv_fit_bgnbd_summary_transfn(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	double		penalizer = clv_penalizer_arg(fcinfo, 2);
	double		x,
				t_x,
				T;

	if (!PG_ARGISNULL(1))
		clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	if (PG_ARGISNULL(1) || !clv_summary_history(&summary, &x, &t_x, &T))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_PURCHASES, x, t_x, T, 1, penalizer,
							clv_interval_length_usecs(DatumGetIntervalP(clv_summary_get(&summary, CLV_SUMMARY_TIME_UNIT)), "time_unit"));
}

/* ---- the likelihood ---- */

/*
 * What a pattern's likelihood needs that depends only on its x: ratios of
 * Gamma functions (rising factorials, by clv_lgamma_ratio, so that large
 * parameters, as an optimizer may try, cost no precision) and their
 * digamma counterparts for the gradient.  Patterns come sorted by x, so
 * these are computed once per distinct x.  MBG/NBD's Beta ratios run to
 * x + 1 (`shift`).
 */
typedef struct XTerms
{
	double		x;
	double		lg_r;			/* ln Gamma(r+x) - ln Gamma(r) */
	double		lg_b;			/* ln Gamma(b+x+shift) - ln Gamma(b) */
	double		lg_ab;			/* ln Gamma(a+b+x+shift) - ln Gamma(a+b) */
	double		psi_r,
				psi_b,
				psi_ab;			/* the same for digamma */
	double		log_b_x;		/* ln(b + x - 1 + shift) */
	double		inverse_b_x;	/* 1 / (b + x - 1 + shift) */
	double		log_alpha,
				log_a,
				inverse_a,
				r_over_alpha;	/* not x's, but as cheap to keep here */
} XTerms;

static void
x_terms(const double *theta, double x, int shift, bool with_gradient, XTerms *xt)
{
	double		r = theta[0],
				a = theta[2],
				b = theta[3];

	xt->x = x;
	xt->lg_r = clv_lgamma_ratio(r, x);
	xt->lg_b = clv_lgamma_ratio(b, x + shift);
	xt->lg_ab = clv_lgamma_ratio(a + b, x + shift);
	/* b last: x - 1 + shift is a whole number, exact, and b + 0 is b however small */
	xt->log_b_x = (x + shift > 0) ? log(b + (x - 1 + shift)) : 0;
	xt->inverse_b_x = (x + shift > 0) ? 1 / (b + (x - 1 + shift)) : 0;
	xt->log_alpha = log(theta[1]);
	xt->log_a = log(a);
	xt->inverse_a = 1 / a;
	xt->r_over_alpha = r / theta[1];
	if (with_gradient)
	{
		xt->psi_r = clv_digamma_ratio(r, x);
		xt->psi_b = clv_digamma_ratio(b, x + shift);
		xt->psi_ab = clv_digamma_ratio(a + b, x + shift);
	}
}

/* Log-likelihood of one BG/NBD pattern and its gradient in (r, alpha, a, b). */
static double
bgnbd_pattern_ll(const double *theta, const XTerms *xt, const Pattern *p,
				 const TimeTerms *at_tx, const TimeTerms *at_T, double *grad)
{
	double		r = theta[0];
	double		x = p->x;
	double		log_alpha_T = at_T->log_shifted;
	double		a1 = xt->lg_r + r * xt->log_alpha;
	double		a2 = xt->lg_b - xt->lg_ab;
	double		a3 = -(r + x) * log_alpha_T;
	double		ll,
				w4 = 0,
				log_alpha_tx = 0;

	if (x > 0)
	{
		double		a4,
					e;

		log_alpha_tx = at_tx->log_shifted;
		a4 = xt->log_a - xt->log_b_x - (r + x) * log_alpha_tx;
		/* log(e^a3 + e^a4), and the share of e^a4 in the sum, from one exp */
		e = exp(-fabs(a3 - a4));
		ll = a1 + a2 + Max(a3, a4) + log1p(e);
		w4 = a4 > a3 ? 1 / (1 + e) : e / (1 + e);
	}
	else
		ll = a1 + a2 + a3;

	if (grad != NULL)
	{
		double		w3 = 1 - w4;

		grad[0] = xt->psi_r + xt->log_alpha - w3 * log_alpha_T - w4 * log_alpha_tx;
		grad[1] = xt->r_over_alpha - w3 * (r + x) * at_T->inverse_shifted -
			(x > 0 ? w4 * (r + x) * at_tx->inverse_shifted : 0);
		grad[2] = -xt->psi_ab + w4 * xt->inverse_a;
		grad[3] = xt->psi_b - xt->psi_ab - w4 * xt->inverse_b_x;
	}
	return ll;
}

/* The same for MBG/NBD: one more drop-out chance, at the first purchase. */
static double
mbgnbd_pattern_ll(const double *theta, const XTerms *xt, const Pattern *p,
				  const TimeTerms *at_tx, const TimeTerms *at_T, double *grad)
{
	double		r = theta[0];
	double		x = p->x;
	double		log_alpha_T = at_T->log_shifted;
	double		log_alpha_tx = at_tx->log_shifted;
	double		a1 = xt->lg_r + r * xt->log_alpha;
	double		a2 = xt->lg_b - xt->lg_ab;
	double		a3 = -(r + x) * log_alpha_T;
	double		a4 = xt->log_a - xt->log_b_x + (r + x) * (log_alpha_T - log_alpha_tx);
	/* log(1 + e^a4), and its derivative, the logistic function of a4, from one exp */
	double		e = exp(-fabs(a4));
	double		softplus = Max(a4, 0) + log1p(e);
	double		w = a4 > 0 ? 1 / (1 + e) : e / (1 + e);

	if (grad != NULL)
	{
		grad[0] = xt->psi_r + xt->log_alpha - log_alpha_T + w * (log_alpha_T - log_alpha_tx);
		grad[1] = xt->r_over_alpha - (r + x) * at_T->inverse_shifted +
			w * (r + x) * (at_T->inverse_shifted - at_tx->inverse_shifted);
		grad[2] = -xt->psi_ab + w * xt->inverse_a;
		grad[3] = xt->psi_b - xt->psi_ab - w * xt->inverse_b_x;
	}
	return a1 + a2 + a3 + softplus;
}

typedef double (*pattern_ll) (const double *theta, const XTerms *xt, const Pattern *p,
							  const TimeTerms *at_tx, const TimeTerms *at_T, double *grad);

/* Sum of the weighted log-likelihoods, and its gradient in theta. */
static double
total_ll(pattern_ll ll, int shift, const PatternSet *data, const double *theta, double *grad)
{
	const PatternTimes *times = data->times;
	TimeTerms  *at = clv_time_terms(times, theta[1]);
	double		total = 0;
	XTerms		xt;

	xt.x = -1;
	if (grad != NULL)
		memset(grad, 0, 4 * sizeof(double));
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		g[4];

		if (p->x != xt.x)
			x_terms(theta, p->x, shift, grad != NULL, &xt);
		total += p->count * ll(theta, &xt, p, &at[times->t_x_index[i]], &at[times->T_index[i]],
							   grad ? g : NULL);
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				grad[k] += p->count * g[k];
	}
	pfree(at);
	return total;
}

/* (also the regularity models' at k = 1, which they equal: cnbd.c) */
double
clv_bgnbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	return total_ll(bgnbd_pattern_ll, 0, data, theta, grad);
}

double
clv_mbgnbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	return total_ll(mbgnbd_pattern_ll, 1, data, theta, grad);
}

/*
 * One history's log-likelihood at theta = (r, alpha, a, b) and, when grad
 * is not NULL, its gradient in theta: for fits whose parameters differ from
 * customer to customer (covariates.c), where no terms are shared.
 */
double
clv_bgnbd_history_ll(bool modified, const double *theta, double x, double t_x, double T, double *grad)
{
	/*
	 * The terms of x are those of the last call when its parameters and x
	 * were the same, bit for bit: histories come sorted by covariates, then
	 * x, so customers with the same characteristics share them, and the
	 * Gamma ratios are most of a history's cost.
	 */
	static XTerms last;
	static double last_theta[4];
	static int	last_shift = -1;
	static bool last_with_gradient;
	int			shift = modified ? 1 : 0;
	Pattern		p = {x, t_x, T, 1};
	TimeTerms	at_tx = {log(theta[1] + t_x), 1 / (theta[1] + t_x)};
	TimeTerms	at_T = {log(theta[1] + T), 1 / (theta[1] + T)};

	if (shift != last_shift || last.x != x || (grad != NULL && !last_with_gradient) ||
		memcmp(theta, last_theta, sizeof(last_theta)) != 0)
	{
		x_terms(theta, x, shift, grad != NULL, &last);
		memcpy(last_theta, theta, sizeof(last_theta));
		last_shift = shift;
		last_with_gradient = grad != NULL;
	}
	return (modified ? mbgnbd_pattern_ll : bgnbd_pattern_ll) (theta, &last, &p, &at_tx, &at_T, grad);
}

static ClvModel *
fit_purchases(FunctionCallInfo fcinfo, ClvModelKind kind, clv_loglik loglik)
{
	PatternSet	data,
				coarse;
	double		mean_x,
				mean_T;
	double		log_theta[4];

	if (!clv_purchase_patterns(fcinfo, clv_model_kind_info(kind)->label, &data, &mean_x, &mean_T))
		return NULL;
	/* start where a Poisson rate r/alpha would match the mean repeat rate */
	log_theta[0] = 0;
	log_theta[1] = log(Max(mean_T, 1e-6) / Max(mean_x, 1e-6));
	log_theta[2] = 0;
	log_theta[3] = 0;
	return clv_fit(kind, loglik, &data,
				   clv_coarse_purchase_patterns(&data, &coarse) ? &coarse : NULL, log_theta);
}

Datum
clv_fit_bgnbd_final(PG_FUNCTION_ARGS)
{
	ClvModel   *model = fit_purchases(fcinfo, CLV_MODEL_BGNBD, clv_bgnbd_total_ll);

	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model);
}

Datum
clv_fit_mbgnbd_final(PG_FUNCTION_ARGS)
{
	ClvModel   *model = fit_purchases(fcinfo, CLV_MODEL_MBGNBD, clv_mbgnbd_total_ll);

	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model);
}

/* ---- scoring ---- */

static bool
is_modified(const ClvModel *model)
{
	return model->kind == CLV_MODEL_MBGNBD;
}

/*
 * log of the odds of having dropped out against being alive (-Infinity when
 * the customer cannot have):
 *   BG/NBD  (x > 0): (a / (b+x-1)) ((alpha+T)/(alpha+t_x))^(r+x)
 *   MBG/NBD (all x): (a / (b+x))   ((alpha+T)/(alpha+t_x))^(r+x)
 */
double
clv_bgnbd_log_dropout_odds_of(const ClvModel *model, double x, double t_x, double T)
{
	const double *theta = model->params;

	clv_check_history(x, t_x, T);
	/* a BG/NBD customer without repeat purchases has had no chance to drop out */
	if (x == 0 && !is_modified(model))
		return -get_float8_infinity();
	/* log((alpha+T)/(alpha+t_x)) as log1p: the difference of the logs cancels, and r+x multiplies it */
	/* b last, as in x_terms */
	return log(theta[2]) - log(theta[3] + (x - (is_modified(model) ? 0 : 1))) +
		(theta[0] + x) * log1p((T - t_x) / (theta[1] + t_x));
}

double
clv_bgnbd_p_alive_of(const ClvModel *model, double x, double t_x, double T)
{
	return clv_logistic(-clv_bgnbd_log_dropout_odds_of(model, x, t_x, T));
}

/*
 * The bracket of the expected purchases below, for a customer with x repeat
 * purchases (shift 1 for MBG/NBD, else 0):
 *   c/(a-1) [1 - w^m 2F1(m, B; c; z)],  m = r+x, B = b+x+shift,
 *   c = a+b+x-1+shift, z = t/(alpha+T+t), w = 1 - z, log_w = ln w.
 * Two series give it, each exact where the other is not:
 *
 * - direct: 2F1 summed as it stands (every term positive when c > 0).  It
 *   needs c > 0 and a != 1, and where 1 - w^m 2F1 cancels (a near 1, or a
 *   frequent buyer, whose 2F1 climbs to e^(x z) against a w^m as small)
 *   it loses the digits the cancellation takes.
 * - transformed: Euler's 2F1(m, B; c; z) = w^(c-m-B) 2F1(c-m, a-1; c; z)
 *   (c - B = a - 1) gives
 *     c (1 - w^(a-1))/(a-1) - w^(a-1) sum_{k>=1} (c-m)_k (a)_(k-1) / ((c+1)_(k-1) k!) z^k,
 *   defined for any c > -1 (so for a + b + x <= 1 too), -c ln w at a = 1,
 *   and its parameters c - m = a+b-1+shift-r do not grow with x.  But its
 *   terms alternate and climb to e^(|c-m| z) when r is well above a + b
 *   and x is small, and they fall only past k ~ a z/(1-z) when a is large.
 *
 * Each reports the relative error its rounding can have (from the largest
 * magnitude it summed and the cancellation of the last subtraction); the
 * direct series is tried first (it is the cheap one for typical models),
 * the transformed one where the direct is not exact to 1e-11, and the
 * result is the one with the smaller bound.  Neither within 1e-8, or
 * neither settled in MAX_BRACKET_TERMS terms (a horizon far beyond
 * alpha + T, r in the millions): the integral the bracket stands for
 * (bracket_by_quadrature), which is also what a series that would run
 * longer costs less than (100,000 terms are about a millisecond; a series
 * allowed 2,000,000 terms once settled 2.3e-5 away from the value, with a
 * rounding bound that did not see it).
 */
#define MAX_BRACKET_TERMS 100000
#define DOUBLE_ROUNDING 2.3e-16

typedef struct Bracket
{
	double		value;
	double		error;			/* bound on the relative rounding error */
	bool		settled;
} Bracket;

/*
 * Whether a series past its climb is sure to run past MAX_BRACKET_TERMS,
 * so that it can give up now rather than there (a horizon of 10^5 times
 * alpha + T cost two series of 100,000 terms, over a millisecond, before
 * the quadrature gave the value).  Its term ratio at l is
 *   rho(l) = z f1(l) f2(l),  f(l) = (p + l) / (q + l),
 * each f monotone in l (towards 1).  From k to any j up to the budget K:
 * - the terms' log moves by (j - k) ln z + A1(j) + A2(j), A(j) = ln
 *   Gamma(p+j) Gamma(q+k) / (Gamma(p+k) Gamma(q+j)) monotone in j, so it
 *   is at least low = (K - k) ln z + min(A1(K), 0) + min(A2(K), 0);
 * - a term is at most e^drop times the term at j for any term before it,
 *   drop the least of -low and (K - k) max(0, -ln min rho), where rho is
 *   at least z min(f1(k), f1(K)) min(f2(k), f2(K)).  (-low bounds it even
 *   where the terms rise: from i to j, each A moves in the direction of
 *   A(K), by no more than |A(K)|, and ln z by at most (K - k) |ln z|);
 * - so the sum at j is within |sum| + (K - k) e^drop |term_j|.
 * A series stops only at a term at most `share` of its sum, which needs
 *   |term_j| (1 - share (K - k) e^drop) <= share |sum|;
 * if |term| e^low is above that (by a factor e, for the bounds' own
 * rounding), no term before the budget can stop it.  The loops also stop
 * where a term underflows to 0, and scale their sums down past 1e280 (the
 * term with them), so neither may be possible before the budget: the
 * smallest term stays above DBL_MIN and the largest sum below 1e280.  At
 * z = 1 (a horizon beyond double precision's reach of alpha + T) only an
 * underflow ends them, and `share` is 0: no answer.
 */
static bool
series_outruns_budget(int k, double term, double sum, double share, double z,
					  double p1, double q1, double p2, double q2)
{
	double		K = MAX_BRACKET_TERMS;
	double		left = K - k;
	double		log_term,
				log_sum,
				rise1,
				rise2,
				low,
				least_ratio,
				drop,
				spread;

	if (!(left > 0 && term != 0 && share > 0 && p1 + k > 0 && q1 + k > 0 && p2 + k > 0 && q2 + k > 0))
		return false;
	log_term = log(fabs(term));
	log_sum = sum == 0 ? -INFINITY : log(fabs(sum));
	rise1 = clv_lgamma_ratio(p1 + k, left) - clv_lgamma_ratio(q1 + k, left);
	rise2 = clv_lgamma_ratio(p2 + k, left) - clv_lgamma_ratio(q2 + k, left);
	low = left * log(z) + Min(rise1, 0) + Min(rise2, 0);
	/* no term below DBL_MIN, no sum past 1e280: ln(a + b) <= max(ln a, ln b) + ln 2 */
	if (!(log_term + low > log(DBL_MIN) + 1 &&
		  Max(log_sum, log(left) + log_term + Max(rise1, 0) + Max(rise2, 0)) + M_LN2 < 280 * M_LN10 - 1))
		return false;
	least_ratio = z * Min((p1 + k) / (q1 + k), (p1 + K) / (q1 + K)) * Min((p2 + k) / (q2 + k), (p2 + K) / (q2 + K));
	drop = Min(-low, left * Max(0, -log(least_ratio)));
	/* share (K - k) e^drop: what of a term its own sum may owe to the terms before it */
	spread = log(share) + log(left) + drop;
	if (!(spread < -1))
		return false;
	return log_term + low + log(-expm1(spread)) > log(share) + log_sum + 1;
}

/* how often a series past its climb asks series_outruns_budget */
#define BUDGET_CHECK_MASK 0x3FF

/* past the terms' climb, the tail is below term bound / (1 - bound) */
static inline bool
tail_negligible(double term, double sum, double ratio, double z)
{
	double		bound = Max(fabs(ratio), z);

	return bound < 1 && fabs(term) * bound <= 1e-17 * fabs(sum) * (1 - bound);
}

static Bracket
direct_bracket(double m, double B, double a, double c, double z, double log_w)
{
	Bracket		out = {0, INFINITY, false};
	double		term = 1,
				tail = 0,		/* 2F1 - 1, summed apart so that 1 - w^m 2F1 keeps its digits */
				log_scale = 0,
				minus_bracket;	/* w^m 2F1 - 1 */
	double		m_log_w = m * log_w;
	/* past the climb the terms fall about like z^k: the tail is some term / (1 - z) */
	double		tolerance = 1e-16 * (1 - z);

	for (int k = 0;; k++)
	{
		double		ratio = (m + k) * (B + k) * z / ((c + k) * (k + 1));

		if (k > m + B && fabs(term) <= tolerance * (1 + tail))
			break;
		if (k >= MAX_BRACKET_TERMS)
			return out;
		if (k > m + B && (k & BUDGET_CHECK_MASK) == 0 &&
			series_outruns_budget(k, term, 1 + tail, tolerance, z, m, 1, B, c))
			return out;
		term *= ratio;
		tail += term;
		if (tail > 1e280)
		{
			tail *= 1e-280;
			term *= 1e-280;
			log_scale += 280 * M_LN10;
		}
		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (log_scale == 0 && m_log_w > -M_LN2)
	{
		/*
		 * w^m near 1: w^m 2F1 - 1 = (w^m - 1) 2F1 + (2F1 - 1), which keeps
		 * the digits that 1 - w^m 2F1 would cancel
		 */
		double		head_m1 = expm1(m_log_w);

		minus_bracket = head_m1 * (1 + tail) + tail;
		out.error = DOUBLE_ROUNDING *
			(4 + (fabs(head_m1) * (1 + tail) + tail + (1 + head_m1) * (1 + tail) * fabs(m_log_w)) /
			 fabs(minus_bracket));
	}
	else
	{
		/*
		 * w^m small (or a 2F1 past double range): w^m 2F1 in logs, whose
		 * rounding grows with their size
		 */
		/* 2F1 = 1 + tail, the tail scaled by e^-log_scale and the 1 not */
		double		log_2f1 = log_scale + log(tail + exp(-log_scale));
		double		log_hf = m_log_w + log_2f1;

		minus_bracket = expm1(log_hf);
		out.error = DOUBLE_ROUNDING *
			(4 + Max(1, exp(log_hf)) * (fabs(m_log_w) + fabs(log_2f1) + 1) / fabs(minus_bracket));
	}
	out.value = c / (a - 1) * -minus_bracket;
	out.settled = isfinite(out.value) && isfinite(out.error);
	return out;
}

static Bracket
transformed_bracket(double m, double a, double c, double c_plus_1, double c_minus_m,
					double z, double log_w)
{
	Bracket		out = {0, INFINITY, false};
	double		first = (a == 1) ? -c * log_w : c * -expm1((a - 1) * log_w) / (a - 1);
	double		climb = fabs(c_minus_m) + a;
	double		term = c_minus_m * z;
	double		sum = term;
	double		largest = fabs(term);
	double		log_scale = 0;
	double		log_part;

	for (int k = 1; term != 0; k++)
	{
		double		ratio = (c_minus_m + k) * (a + (k - 1)) * z / ((c_plus_1 + (k - 1)) * (k + 1));

		if (k > climb && tail_negligible(term, sum, ratio, z))
			break;
		if (k >= MAX_BRACKET_TERMS)
			return out;
		/* tail_negligible needs |term| bound <= 1e-17 |sum| (1 - bound), bound >= z */
		if (k > climb && (k & BUDGET_CHECK_MASK) == 0 &&
			series_outruns_budget(k, term, sum, 1e-17 * (1 - z) / z, z, c_minus_m, 1, a - 1, c_plus_1 - 1))
			return out;
		term *= ratio;
		sum += term;
		largest = Max(largest, Max(fabs(term), fabs(sum)));
		if (largest > 1e280)
		{
			sum *= 1e-280;
			term *= 1e-280;
			largest *= 1e-280;
			log_scale += 280 * M_LN10;
		}
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	/* w^(a-1) times the sum, and times the largest magnitude summed */
	log_part = (a - 1) * log_w + log_scale;
	out.value = first - (sum == 0 ? 0 : copysign(exp(log_part + log(fabs(sum))), sum));
	out.error = DOUBLE_ROUNDING * (4 + (fabs(first) + (largest == 0 ? 0 : exp(log_part + log(largest))))
								   / fabs(out.value));
	out.settled = isfinite(out.value);
	return out;
}

/*
 * The bracket once more, where neither series can give it: from what it
 * stands for.  Alive after its history, a customer buys at rate lambda ~
 * Gamma(r+x, alpha+T) and leaves after each purchase with probability p ~
 * Beta(a, beta), beta = b+x+shift; given both, the purchases in the next t
 * number (1 - e^(-lambda p t)) / p on average, and over lambda
 *   g(p) = (1 - (1 + p u)^-(r+x)) / p,  u = t / (alpha+T),
 * so the bracket is the mean of g over Beta(a, beta).  It is taken in
 * y = logit(p), where the weight a log sigma(y) + beta log sigma(-y) is
 * concave with its top at log(a / beta) and tails falling at rates a and
 * beta, by 20-point Gauss-Legendre panels outward from the top: each panel
 * at most 4 / |slope| of the weight wide (the weight moves by e^4 at most),
 * and otherwise a quarter of its distance from the top or from where g
 * turns (p = 1 / ((r+x) u)), whichever is nearer, but at least a standard
 * deviation of the weight or 0.5: widths grow geometrically across the
 * flat tails.  A side ends where what is left, bounded by the weight at the
 * edge over its slope there (the weight is log-concave) times the largest
 * g, g(0) = (r+x) u, is below 1e-18 of the sum.  The weight's integral over
 * the same nodes normalises.
 */
typedef struct BetaMean
{
	double		a,
				beta,
				m,
				u,
				top;			/* the weight's log at its top */
} BetaMean;

/*
 * log sigma(y) = -log(1 + e^-y), without overflow.  log sigma(-y), the log
 * of 1 - p, is taken the same way from -y, not as log sigma(y) - y, which
 * would carry log sigma(y)'s rounding, half an ulp of y, that beta in the
 * hundreds of millions multiplies.
 */
static inline double
log_sigmoid(double y)
{
	return -clv_softplus(-y);
}

/* log of the Beta weight in y, less its top, and its slope */
static double
beta_log_weight(const BetaMean *bm, double y, double *slope)
{
	double		log_p = log_sigmoid(y);
	double		log_q = log_sigmoid(-y);

	if (slope != NULL)
		*slope = bm->a * exp(log_q) - bm->beta * exp(log_p);
	return bm->a * log_p + bm->beta * log_q - bm->top;
}

/* g(p) at p = sigma(y) */
static double
beta_mean_g(const BetaMean *bm, double y)
{
	double		p = exp(log_sigmoid(y));

	if (p * bm->u < 1e-300)
		return bm->m * bm->u;
	return -expm1(-bm->m * log1p(p * bm->u)) / p;
}

static double
bracket_by_quadrature(double r, double a, double b, double x, double shift, double u)
{
	BetaMean	bm = {a, b + x + shift, r + x, u, 0};
	double		y_top = log(a) - log(bm.beta);
	double		sd = sqrt(1 / a + 1 / bm.beta);
	double		y_turn = -log(bm.m * u);
	double		sum = 0,
				weight_sum = 0;

	bm.top = beta_log_weight(&bm, y_top, NULL);
	for (int side = -1; side <= 1; side += 2)
	{
		double		edge = y_top;

		for (int panels = 0; panels < 100000; panels++)
		{
			double		slope,
						at_edge,
						near = Min(fabs(edge - y_top), fabs(edge - y_turn)),
						width = Max(near / 4, Min(sd, 0.5)),
						next,
						mid,
						half;

			(void) beta_log_weight(&bm, edge, &slope);
			if (fabs(slope) > 0)
				width = Min(width, 4 / fabs(slope));
			next = edge + side * width;
			mid = (edge + next) / 2;
			half = width / 2;
			for (int i = 0; i < CLV_GL_HALF; i++)
				for (int sign = -1; sign <= 1; sign += 2)
				{
					double		y = mid + sign * half * clv_gl_nodes[i];
					double		w = clv_gl_weights[i] * half * exp(beta_log_weight(&bm, y, NULL));

					weight_sum += w;
					sum += w * beta_mean_g(&bm, y);
				}
			edge = next;
			at_edge = exp(beta_log_weight(&bm, edge, &slope));
			/* falling outward: the rest of the weight is below at_edge / |slope|, and g <= m u */
			if (side * slope < 0 && at_edge / fabs(slope) <= 1e-18 * weight_sum &&
				at_edge / fabs(slope) * bm.m * u <= 1e-18 * sum)
				break;
			if ((panels & 0xFF) == 0xFF)
				CHECK_FOR_INTERRUPTS();
		}
	}
	return sum / weight_sum;
}

static double
expected_bracket(double r, double a, double b, double x, double shift, double z, double log_w)
{
	double		m = r + x;
	double		c = a + b + (x - 1 + shift);	/* whole part last: a + b may be tiny */
	Bracket		direct = {0, INFINITY, false};
	Bracket		transformed;
	const Bracket *best;

	/* each series stops only past its climb: one that climbs beyond MAX_BRACKET_TERMS is not tried */
	if (c > 0 && a != 1 && m + b + x + shift < MAX_BRACKET_TERMS)
	{
		direct = direct_bracket(m, b + x + shift, a, c, z, log_w);
		if (direct.settled && direct.error <= 1e-11)
			return direct.value;
	}
	/* c + 1 and c - m without the rounding of c's - 1 and + x */
	if (fabs(a + b + shift - 1 - r) + a < MAX_BRACKET_TERMS)
		transformed = transformed_bracket(m, a, c, a + b + x + shift, a + b + shift - 1 - r, z, log_w);
	else
		transformed = (Bracket) {0, INFINITY, false};
	best = !transformed.settled ? &direct :
		!direct.settled ? &transformed :
		(direct.error <= transformed.error ? &direct : &transformed);
	if (best->settled && best->error <= 1e-8)
		return best->value;
	/* neither series exact: the integral the bracket stands for */
	return bracket_by_quadrature(r, a, b, x, shift, expm1(-log_w));
}

/*
 * E[Y(t) | x, t_x, T], the expected purchases in the next t:
 *   BG/NBD:  (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] P(alive)
 *   MBG/NBD: (a+b+x)/(a-1)   [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)] P(alive)
 * with z = t / (alpha+T+t), the bracket evaluated by expected_bracket.
 */
double
clv_bgnbd_expected_of(const ClvModel *model, double t, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		shift = is_modified(model) ? 1 : 0;
	double		result;

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(t, "t");
	if (t == 0)
		return 0;
	/* z and ln(1-z) that agree also where alpha + T + t overflows */
	result = expected_bracket(r, a, b, x, shift, clv_horizon_share(t, alpha, T),
							  -log1p(clv_horizon_ratio(t, alpha, T)));
	return clv_check_result(result * clv_bgnbd_p_alive_of(model, x, t_x, T), "expected purchases");
}

/*
 * The expansions of 1 - 2F1 that customers with the same frequency share,
 * for one model: a direct table for the frequencies up to
 * CACHE_FREQUENCIES (the bulk of any customer base), one more slot for
 * the rest.
 */
#define CACHE_FREQUENCIES 1024

struct ClvPurchasesCache
{
	MemoryContext context;
	int16		kind;
	double		params[CLV_MODEL_MAX_PARAMS];
	ClvHypOneMinus *by_frequency[CACHE_FREQUENCIES];
	double		other_x;
	ClvHypOneMinus *other;
};

/* The cache for this model, emptied if it was made for another. */
static ClvPurchasesCache *
purchases_cache(ClvPurchasesCache **cache, const ClvModel *model, MemoryContext context)
{
	ClvPurchasesCache *pc = *cache;

	if (pc != NULL && pc->kind == model->kind &&
		memcmp(pc->params, model->params, sizeof(pc->params)) == 0)
		return pc;
	if (pc != NULL)
	{
		for (int i = 0; i < CACHE_FREQUENCIES; i++)
			if (pc->by_frequency[i] != NULL)
				clv_hyp_one_minus_free(pc->by_frequency[i]);
		if (pc->other != NULL)
			clv_hyp_one_minus_free(pc->other);
		pfree(pc);
	}
	pc = MemoryContextAllocZero(context, sizeof(ClvPurchasesCache));
	pc->context = context;
	pc->kind = model->kind;
	memcpy(pc->params, model->params, sizeof(pc->params));
	*cache = pc;
	return pc;
}

/* 1 - 2F1(r+x, a-1; c; .) for this frequency, from the cache if there is one */
static ClvHypOneMinus *
frequency_expansion(ClvPurchasesCache *pc, const ClvModel *model, double x, double c)
{
	double		r = model->params[0],
				a = model->params[2];

	if (pc == NULL)
		return clv_hyp_one_minus_new(r + x, a - 1, c, CurrentMemoryContext);
	if (x < CACHE_FREQUENCIES)
	{
		int			i = (int) x;

		if (pc->by_frequency[i] == NULL)
			pc->by_frequency[i] = clv_hyp_one_minus_new(r + x, a - 1, c, pc->context);
		return pc->by_frequency[i];
	}
	if (pc->other == NULL || pc->other_x != x)
	{
		if (pc->other != NULL)
			clv_hyp_one_minus_free(pc->other);
		pc->other = clv_hyp_one_minus_new(r + x, a - 1, c, pc->context);
		pc->other_x = x;
	}
	return pc->other;
}

/*
 * sum_k weight[k] E[Y(k units)].  By Pfaff's transformation the bracket of
 * clv_purchases_expected is 1 - 2F1(r+x, a-1; c; w) with w = -t/(alpha+T)
 * (c - (b+x+shift) = a-1 for both models), and the periods' points
 * w = k h, h = -units/(alpha+T), lie on the negative axis, where
 * clv_hyp_one_minus_sum evaluates it from expansions that every customer
 * with this frequency shares.  P(alive) does not depend on t.
 */
double
clv_bgnbd_expected_sum_of(const ClvModel *model, double x, double t_x, double T,
						  double units, int32 periods, const double *weight,
						  ClvPurchasesCache **cache, MemoryContext context)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				a = theta[2],
				b = theta[3];
	double		c = a + b + (x - 1 + (is_modified(model) ? 1 : 0));
	double		alive,
				sum,
				last;
	ClvHypOneMinus *f;

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(periods * units, "t");
	if (periods == 0 || units == 0)
		return 0;
	alive = clv_bgnbd_p_alive_of(model, x, t_x, T);
	/*
	 * The shared expansions divide by a - 1, need c > 0, and cannot follow
	 * 2F1(r+x, ...) for r + x in the tens of thousands, nor where their sum
	 * cancels (NaN): those rare models take each period's bracket on its own.
	 */
	if (!(a == 1 || c <= 0 || r + x > 1e4))
	{
		f = frequency_expansion(cache ? purchases_cache(cache, model, context) : NULL, model, x, c);
		sum = clv_hyp_one_minus_sum(f, -units / (alpha + T), periods, weight, &last);
		if (cache == NULL)
			clv_hyp_one_minus_free(f);
		if (!isnan(sum))
		{
			/* the expectation grows with t: the last is the largest */
			clv_check_result(c / (a - 1) * last * alive, "expected purchases");
			return c / (a - 1) * alive * sum;
		}
	}
	sum = last = 0;
	for (int k = 1; k <= periods; k++)
	{
		double		t = k * units;

		if (weight[k] == 0 && k < periods)
			continue;
		last = expected_bracket(r, a, b, x, is_modified(model) ? 1 : 0, clv_horizon_share(t, alpha, T),
								-log1p(clv_horizon_ratio(t, alpha, T)));
		sum += weight[k] * last;
	}
	clv_check_result(last * alive, "expected purchases");
	return alive * sum;
}

/*
 * E[X(t)] for a customer just acquired:
 *   BG/NBD:  (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]
 *   MBG/NBD: b/(a-1)       [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]
 */
double
clv_bgnbd_expected_new_of(const ClvModel *model, double t)
{
	double		r = model->params[0],
				alpha = model->params[1],
				a = model->params[2],
				b = model->params[3];
	double		shift = is_modified(model) ? 1 : 0;
	double		c = a + b + (shift - 1);	/* whole part last: a + b may be tiny */

	clv_check_nonnegative(t, "t");
	if (t == 0)
		return 0;
	/* the bracket is c/(a-1) [...]; MBG/NBD's factor is b/(a-1) */
	return clv_check_result((shift ? b / c : 1) *
							expected_bracket(r, a, b, 0, shift, clv_horizon_share(t, alpha, 0),
											 -log1p(clv_horizon_ratio(t, alpha, 0))),
							"expected purchases");
}
