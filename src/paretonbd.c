/*
 * paretonbd.c: the Pareto/NBD model (Schmittlein, Morrison & Colombo 1987,
 * "Counting your customers: who are they and what will they do next?",
 * Management Science 33(1)), with the likelihood as Fader & Hardie derive it
 * ("Deriving the Pareto/NBD model and related expressions", 2005 note).
 *
 * Purchases at rate lambda ~ Gamma(r, alpha) while alive, an exponential
 * lifetime with rate mu ~ Gamma(s, beta).  For x repeat purchases, the last
 * at t_x, observed for T:
 *   L = Gamma(r+x) alpha^r beta^s / Gamma(r)
 *       * [ 1 / ((alpha+T)^(r+x) (beta+T)^s) + s/(r+s+x) A0 ]
 * where, with a = r+s+x and for alpha >= beta,
 *   A0 = 2F1(a, s+1; a+1; (alpha-beta)/(alpha+t_x)) / (alpha+t_x)^a
 *      - 2F1(a, s+1; a+1; (alpha-beta)/(alpha+T))   / (alpha+T)^a
 * and for alpha < beta the same with (beta-alpha)/(beta+.), beta+. and
 * second parameter r+x: the choice keeps every argument in [0, 1).
 *
 * The trap is 2F1 itself: for a frequent buyer a is in the hundreds and the
 * argument near 1, where the plain series overflows (scipy's hyp2f1 returns
 * inf or NaN there).  Euler's transformation
 *   2F1(a, b; a+1; z) = (1-z)^(1-b) 2F1(1, a+1-b; a+1; z)
 * gives a series of positive terms each at most z times the one before, so
 * it is summed in log space without overflow; A0 is then a difference of
 * two exponentials, taken as log-diff-exp.
 *
 * The gradient is analytic: the derivatives of 2F1 in a, b and z come out
 * of the same series, term by term (log_hyp2f1_next_grad).
 */
#include "fit.h"
#include "scores.h"
#include "special.h"
#include "summary.h"

#include "miscadmin.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(clv_fit_paretonbd_final);

/*
 * log 2F1(a, b; a+1; z) for 0 <= z < 1, a > 0, 0 < b < a+1, by Euler's
 * transformation: every term of 2F1(1, a+1-b; a+1; z) is positive and at
 * most z times the previous one, so the tail after a term t is below
 * t z / (1 - z).  one_minus_z is 1 - z as the caller has it exactly, (lo +
 * t) / (hi + t): rounded from a z near 1, its error would be multiplied by
 * b - 1 in (1 - b) log(1 - z).
 */
static double
log_hyp2f1_next(double a, double b, double z, double one_minus_z)
{
	double		term = 1;
	double		sum = 1;

	if (z == 0)
		return 0;
	if (!(z < 1))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("Pareto/NBD parameters alpha and beta differ by more than double precision can follow"),
				 errhint("Rescale the time unit, or add a penalizer.")));
	for (int k = 0; k < 100000000; k++)
	{
		term *= z * (a + 1 - b + k) / (a + 1 + k);
		sum += term;
		if (term * z / one_minus_z <= 1e-16 * sum)
			return (1 - b) * log(one_minus_z) + log(sum);
		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) did not converge", a, b, a + 1, z)));
	return 0;
}

static double series_terms(double a, double b, double z);

/*
 * log A0 from what it stands for, (r+s+x) I with
 *   I = integral from t_x to T of (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau
 * (the death term of Fader & Hardie's note before its integral is written
 * as 2F1): for alpha and beta so far apart that the 2F1 series would need
 * millions of terms (z within 1e-5 of 1, such as alpha 1e-6 against beta
 * 1e6).  With m = min(alpha, beta), D = |alpha - beta| and tau = e^w - m
 * the integrand in w, e^w (e^w)^-c1 (D + e^w)^-c2, is smooth; it is summed
 * by 20-point Gauss-Legendre on panels narrow enough for its local steepness, in
 * log space about its largest value, and once it only falls (its log
 * slope 1 - c1 - c2 e^w / (D + e^w) below 0, which it then stays) the
 * panels stop where what is left cannot reach 1e-18 of the sum.
 */
static double
log_a0_by_quadrature(const double *theta, double x, double t_x, double T)
{
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		m = Min(alpha, beta),
				D = fabs(alpha - beta);
	/* c1: the power of the nearer singularity, c2 of the other */
	double		c1 = alpha <= beta ? r + x : s + 1;
	double		c2 = alpha <= beta ? s + 1 : r + x;
	double		w0 = log(m + t_x);
	/* the interval's length as such, not log(m + T) - w0, which cancels when t_x is near T */
	double		length = log1p((T - t_x) / (m + t_x));
	double		y = (1 - c1) / c2;
	double		w_peak = (y > 0 && y < 1) ? log(D) + log(y / (1 - y)) : w0;
	double		log_peak;
	double		sum = 0;

#define LOG_INTEGRAND(w) ((w) * (1 - c1) - c2 * log(D + exp(w)))
/* minus the log slope's second part, c2 e^w / (D + e^w): rises with w */
#define PULL(w) (c2 / (1 + D * exp(-(w))))

	w_peak = Min(Max(w_peak, w0), w0 + length);
	log_peak = LOG_INTEGRAND(w_peak);
	/* lo and hi are offsets from w0, so that each panel's width is exact */
	for (double lo = 0; lo < length;)
	{
		/*
		 * A panel over which the log of the integrand moves by about 4 at
		 * most: its slope 1 - c1 - PULL(w) is largest in size at one end,
		 * and PULL grows at most e^0.5-fold over half a unit.
		 */
		double		width = Min(0.5, 4 / (fabs(1 - c1) + PULL(w0 + lo + 0.5)));
		double		hi = Min(lo + width, length);
		double		half = (hi - lo) / 2,
					mid = w0 + (hi + lo) / 2;
		double		panel = 0;

		for (int i = 0; i < CLV_GL_HALF; i++)
			panel += clv_gl_weights[i] * (exp(LOG_INTEGRAND(mid - half * clv_gl_nodes[i]) - log_peak) +
										  exp(LOG_INTEGRAND(mid + half * clv_gl_nodes[i]) - log_peak));
		panel *= half;
		sum += panel;
		/* falling from here on: the rest is below the panel's start value times what is left */
		if (1 - c1 - PULL(w0 + hi) < 0 &&
			exp(LOG_INTEGRAND(w0 + hi) - log_peak) * (length - hi) < 1e-18 * sum)
			break;
		lo = hi;
		CHECK_FOR_INTERRUPTS();
	}
#undef LOG_INTEGRAND
#undef PULL
	if (!(sum > 0))
		return -get_float8_infinity();
	return log(r + s + x) + log_peak + log(sum);
}

/*
 * log A0 of the likelihood above; -Infinity when A0 = 0 (t_x = T).  From
 * the 2F1 series, or from the integral they sum (log_a0_by_quadrature)
 * where the series would run to millions of terms or the two would cancel
 * (t_x and T close against alpha and beta).
 */
static double
log_a0(const double *theta, double x, double t_x, double T)
{
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		a = r + s + x;
	double		b,
				hi,
				low,
				first,
				second;

	if (!(t_x < T))
		return -get_float8_infinity();
	if (alpha >= beta)
	{
		b = s + 1;
		hi = alpha;
		low = beta;
	}
	else
	{
		b = r + x;
		hi = beta;
		low = alpha;
	}
	if ((hi - low) / (hi + t_x) > 0 && series_terms(a, b, (hi - low) / (hi + t_x)) > 1e5)
		return log_a0_by_quadrature(theta, x, t_x, T);
	first = log_hyp2f1_next(a, b, (hi - low) / (hi + t_x), (low + t_x) / (hi + t_x)) - a * log(hi + t_x);
	second = log_hyp2f1_next(a, b, (hi - low) / (hi + T), (low + T) / (hi + T)) - a * log(hi + T);
	if (!(second < first))
		return -get_float8_infinity();
	/* nearly equal, their difference would keep few digits: the integral keeps them (its length taken as such) */
	if (first - second < 1e-3)
		return log_a0_by_quadrature(theta, x, t_x, T);
	/* log(e^first - e^second) */
	return first + log(-expm1(second - first));
}

/*
 * log 2F1(a, b; a+1; z) as above, and its partial derivatives in a, b and
 * z, from the same series: with c = a+1-b and S = sum_k t_k,
 *   d ln S/dz = sum_k k t_k / (z S),
 *   d ln S/dc = sum_k t_k sum_{j<k} 1/(c+j) / S,
 *   d ln S/da = -sum_k t_k sum_{j<k} 1/(a+1+j) / S  (a also moves c).
 */
typedef struct Hyp
{
	double		value;
	double		d_a;
	double		d_b;
	double		d_z;
} Hyp;

/*
 * About how many terms log_hyp2f1_next_grad sums before its tail bound
 * (term z / (1 - z)) falls below 1e-16 of the sum, i.e. before the terms
 * fall by L = ln(1e16 / (1 - z)).  Term k is at most z (c+k-1)/(a+k) times
 * term k-1: for k below a the factor is under 1 - (1 - z) - b / (2a + 2);
 * beyond, the terms fall like z^k and like (a / (a+k))^b, whichever is
 * faster.  The smallest of the three counts is the estimate.
 */
static double
series_terms(double a, double b, double z)
{
	double		L = 37 - log1p(-z);
	double		first = L / ((1 - z) + b / (2 * a + 2));
	double		geometric = L / (1 - z);
	double		power = (a + 1) * exp(Min(L / b, 700));

	return Min(first <= a ? first : geometric, Min(geometric, power));
}

/*
 * Returns false, instead of raising an error, when the series would take
 * too long or does not converge: that happens where the parameters run off
 * (s and beta huge together put z near 1 and a in the thousands), and the
 * fit must treat such a point as one where the likelihood is undefined and
 * step back, so that a runaway ends in the fit's own "did not converge"
 * error with its hint.
 */
static bool
log_hyp2f1_next_grad(double a, double b, double z, double one_minus_z, Hyp *h)
{
	double		c = a + 1 - b;
	double		term = 1,
				sum = 1,
				sum_k = 0,
				sum_c = 0,
				sum_a = 0;
	double		run_c = 0,
				run_a = 0;

	if (z == 0)
	{
		h->value = h->d_a = h->d_b = 0;
		h->d_z = a * b / (a + 1);	/* the first term's slope */
		return true;
	}
	/*
	 * Give up on a point whose series would be long, rather than sum
	 * millions of terms for it.  Where a is small (a customer without
	 * repeat purchases), a long series means alpha and beta far apart:
	 * 100,000 terms follow them to a ratio of some 2,000.  With a above
	 * 20 and z near 1, s has run off (a frequent buyer's long t_x keeps z
	 * small), and 5,000 terms are enough to say so.
	 */
	if (!(z < 1) || series_terms(a, b, z) > (a > 20 ? 5e3 : 1e5))
		return false;
	for (int k = 1; k < 100000000; k++)
	{
		run_c += 1 / (c + (k - 1));
		run_a += 1 / (a + k);
		term *= z * (c + (k - 1)) / (a + k);
		sum += term;
		sum_k += k * term;
		sum_c += run_c * term;
		sum_a += run_a * term;
		if (term * z / one_minus_z <= 1e-16 * sum && term * k <= 1e-16 * sum_k)
		{
			double		dlns_dc = sum_c / sum;
			double		log_one_minus_z = log(one_minus_z);

			h->value = (1 - b) * log_one_minus_z + log(sum);
			h->d_a = dlns_dc - sum_a / sum;
			h->d_b = -log_one_minus_z - dlns_dc;
			h->d_z = (b - 1) / one_minus_z + sum_k / (z * sum);
			return true;
		}
		if ((k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return false;
}

/*
 * Li = ln 2F1(a, b; a+1; z_i) - a ln(hi + t_i) of the likelihood below and
 * its gradient in (r, alpha, s, beta), for one x and one time t_i: it
 * depends on the pattern only through them, and patterns sharing an x
 * share it for every recency and age they have in common.
 */
typedef struct DeathTerm
{
	int64		x_run;			/* the run of equal x it was computed for */
	bool		defined;		/* false: the series would not end in time */
	double		L;
	double		dL[4];
} DeathTerm;

static void
death_term(const double *theta, double x, double t, DeathTerm *term)
{
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		a = r + s + x;
	bool		alpha_high = alpha >= beta;
	double		hi = alpha_high ? alpha : beta;
	double		lo = alpha_high ? beta : alpha;
	double		b = alpha_high ? s + 1 : r + x;
	double		h = hi + t;
	double		z = (hi - lo) / h;
	/* dz/d(hi) and dz/d(lo) */
	double		dz_hi = (lo + t) / (h * h);
	double		dz_lo = -1 / h;
	Hyp			g;

	term->defined = log_hyp2f1_next_grad(a, b, z, (lo + t) / h, &g);
	if (!term->defined)
		return;
	term->L = g.value - a * log(h);
	/* a = r+s+x moves with r and s; b with s (alpha high) or r (beta high) */
	term->dL[0] = g.d_a - log(h) + (alpha_high ? 0 : g.d_b);
	term->dL[2] = g.d_a - log(h) + (alpha_high ? g.d_b : 0);
	/* hi and lo are alpha and beta, one way or the other */
	term->dL[alpha_high ? 1 : 3] = g.d_z * dz_hi - a / h;
	term->dL[alpha_high ? 3 : 1] = g.d_z * dz_lo;
}

/*
 * What one evaluation of the likelihood keeps: per distinct time v (the
 * patterns' PatternTimes), log(alpha + v), log(beta + v) and the death term
 * of the current x; per x, the Gamma and digamma ratios.
 */
/* 4 million times, 224 MB of death terms */
#define MAX_CACHED_DEATH_TERMS (INT64CONST(4) * 1024 * 1024)

typedef struct ParetoCache
{
	const PatternTimes *times;
	double	   *log_alpha_at;
	double	   *log_beta_at;
	DeathTerm  *death_at;		/* NULL past MAX_CACHED_DEATH_TERMS times */
	DeathTerm	uncached[2];
	int64		x_run;
	double		x;
	double		lg_r;
	double		psi_r;
} ParetoCache;

static const DeathTerm *
cached_death_term(const double *theta, ParetoCache *cache, double x, int32 index, int which)
{
	DeathTerm  *term;

	if (cache->death_at == NULL)
	{
		/* no table (times by the million): t_x's and T's terms each in its own slot */
		term = &cache->uncached[which];
		death_term(theta, x, cache->times->values[index], term);
		return term;
	}
	term = &cache->death_at[index];

	if (term->x_run != cache->x_run)
	{
		death_term(theta, x, cache->times->values[index], term);
		term->x_run = cache->x_run;
	}
	return term;
}

/*
 * Pattern i's log-likelihood and its gradient in (r, alpha, s, beta):
 *   LL = ln Gamma(r+x) - ln Gamma(r) + r ln alpha + s ln beta + log(e^A + e^B)
 *   A = -(r+x) ln(alpha+T) - s ln(beta+T),   B = ln s - ln(r+s+x) + ln A0,
 *   ln A0 = ln(e^L1 - e^L2),  Li = ln 2F1(a, b; a+1; z_i) - a ln(hi + t_i)
 * with t_1 = t_x, t_2 = T and (hi, lo, b) as in log_a0.
 */
static double
pattern_ll_grad(const double *theta, ParetoCache *cache, const Pattern *p, int64 i, double *grad)
{
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		x = p->x;
	double		a = r + s + x;
	int32		tx_index = cache->times->t_x_index[i],
				T_index = cache->times->T_index[i];
	double		log_alpha_T = cache->log_alpha_at[T_index],
				log_beta_T = cache->log_beta_at[T_index];
	double		A = -(r + x) * log_alpha_T - s * log_beta_T;
	const DeathTerm *at_tx,
			   *at_T;
	double		B,
				weight_B,
				ll;

	if (x != cache->x)
	{
		cache->x = x;
		cache->x_run++;
		cache->lg_r = clv_lgamma_ratio(r, x);
		cache->psi_r = clv_digamma_ratio(r, x);
	}
	at_tx = cached_death_term(theta, cache, x, tx_index, 0);
	at_T = cached_death_term(theta, cache, x, T_index, 1);
	if (!at_tx->defined || !at_T->defined)
		return get_float8_nan();

	ll = cache->lg_r + r * log(alpha) + s * log(beta);
	if (at_T->L < at_tx->L)
	{
		double		w = exp(at_T->L - at_tx->L);	/* e^L2 / e^L1 < 1 */

		B = log(s) - log(a) + at_tx->L + log(-expm1(at_T->L - at_tx->L));
		weight_B = 1 / (1 + exp(A - B));
		ll += Max(A, B) + log1p(exp(-fabs(A - B)));
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				grad[k] = weight_B * (at_tx->dL[k] - w * at_T->dL[k]) / (1 - w);
	}
	else
	{
		/* t_x = T: A0 = 0, no death term */
		weight_B = 0;
		ll += A;
		if (grad != NULL)
			memset(grad, 0, 4 * sizeof(double));
	}
	if (grad != NULL)
	{
		double		weight_A = 1 - weight_B;

		grad[0] += cache->psi_r + log(alpha) - weight_A * log_alpha_T - weight_B / a;
		grad[1] += r / alpha - weight_A * (r + x) / (alpha + p->T);
		grad[2] += log(beta) - weight_A * log_beta_T + weight_B * (1 / s - 1 / a);
		grad[3] += s / beta - weight_A * s / (beta + p->T);
	}
	return ll;
}

static double
paretonbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	const PatternTimes *times = data->times;
	ParetoCache cache;
	double		total = 0;

	cache.times = times;
	cache.log_alpha_at = palloc(Max(times->nvalues, 1) * sizeof(double));
	cache.log_beta_at = palloc(Max(times->nvalues, 1) * sizeof(double));
	/* a table of death terms per time only while it stays well within 1 GB */
	cache.death_at = times->nvalues <= MAX_CACHED_DEATH_TERMS ?
		palloc(Max(times->nvalues, 1) * sizeof(DeathTerm)) : NULL;
	for (int64 k = 0; k < times->nvalues; k++)
	{
		cache.log_alpha_at[k] = log(theta[1] + times->values[k]);
		cache.log_beta_at[k] = log(theta[3] + times->values[k]);
		if (cache.death_at != NULL)
			cache.death_at[k].x_run = 0;
	}
	cache.x_run = 0;
	cache.x = -1;				/* no x yet: the first pattern sets what follows */
	cache.lg_r = cache.psi_r = 0;

	if (grad != NULL)
		memset(grad, 0, 4 * sizeof(double));
	for (int64 i = 0; i < data->npatterns; i++)
	{
		double		g[4] = {0};
		double		ll = pattern_ll_grad(theta, &cache, &data->patterns[i], i, grad ? g : NULL);

		/* one pattern the likelihood cannot be computed for makes it undefined */
		if (isnan(ll))
		{
			total = ll;
			break;
		}
		total += data->patterns[i].count * ll;
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				grad[k] += data->patterns[i].count * g[k];
	}
	pfree(cache.log_alpha_at);
	pfree(cache.log_beta_at);
	if (cache.death_at != NULL)
		pfree(cache.death_at);
	return total;
}

/*
 * One history's log-likelihood at theta = (r, alpha, s, beta), and its
 * gradient in theta when grad is not NULL: for fits whose parameters differ
 * from customer to customer (covariates.c).  NaN where the series would not
 * end in time, as for a pattern of a plain fit.
 */
double
clv_paretonbd_history_ll(const double *theta, double x, double t_x, double T, double *grad)
{
	double		values[2] = {t_x, T};
	int32		t_x_index = 0,
				T_index = 1;
	PatternTimes times = {2, values, &t_x_index, &T_index};
	double		log_alpha_at[2] = {log(theta[1] + t_x), log(theta[1] + T)};
	double		log_beta_at[2] = {log(theta[3] + t_x), log(theta[3] + T)};
	Pattern		p = {x, t_x, T, 1};
	ParetoCache cache = {0};

	cache.times = &times;
	cache.log_alpha_at = log_alpha_at;
	cache.log_beta_at = log_beta_at;
	cache.death_at = NULL;		/* each death term in its own slot */
	cache.x = -1;
	return pattern_ll_grad(theta, &cache, &p, 0, grad);
}

Datum
clv_fit_paretonbd_final(PG_FUNCTION_ARGS)
{
	PatternSet	data,
				coarse;
	double		mean_x,
				mean_T;
	double		log_theta[4];

	if (!clv_purchase_patterns(fcinfo, "Pareto/NBD", &data, &mean_x, &mean_T))
		PG_RETURN_NULL();
	/* purchase rate r/alpha at the mean repeat rate, lifetimes about the mean age */
	log_theta[0] = 0;
	log_theta[1] = log(Max(mean_T, 1e-6) / Max(mean_x, 1e-6));
	log_theta[2] = 0;
	log_theta[3] = log(Max(mean_T, 1e-6));
	PG_RETURN_POINTER(clv_fit(CLV_MODEL_PARETONBD, paretonbd_total_ll, &data,
							  clv_coarse_purchase_patterns(&data, &coarse) ? &coarse : NULL, log_theta));
}

/*
 * P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0):
 * the log of the odds of having died against being alive is the log of
 * s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0
 */
double
clv_paretonbd_log_dropout_odds(const ClvModel *model, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];

	clv_check_history(x, t_x, T);
	return log(s / (r + s + x)) + (r + x) * log(alpha + T) + s * log(beta + T) +
		log_a0(theta, x, t_x, T);
}

double
clv_paretonbd_p_alive(const ClvModel *model, double x, double t_x, double T)
{
	return clv_logistic(-clv_paretonbd_log_dropout_odds(model, x, t_x, T));
}

/*
 * E[Y(t) | x, t_x, T]
 *   = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive),
 * whose s -> 1 limit is (r+x)(beta+T)/(alpha+T) ln((beta+T+t)/(beta+T)) P(alive).
 */
static double
lifetime_factor(double s, double base, double t)
{
	double		log_ratio = -log1p(t / base);	/* < 0; not log(base) - log(base + t), which cancels for t << base */
	double		u = (s - 1) * log_ratio;

	/* near s = 1, three terms of the series of expm1(u) / u, not a 0/0 */
	if (fabs(u) < 1e-5)
		return -log_ratio * (1 + u / 2 + u * u / 6);
	return -expm1(u) / (s - 1);
}

double
clv_paretonbd_expected(const ClvModel *model, double t, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				beta = theta[3];

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(t, "t");
	if (t == 0)
		return 0;
	return clv_check_result((r + x) * (beta + T) / (alpha + T) *
							lifetime_factor(theta[2], beta + T, t) *
							clv_paretonbd_p_alive(model, x, t_x, T),
							"expected purchases");
}

/*
 * sum_{k=1..periods} weight[k] E[Y(k units)], each term as
 * clv_paretonbd_expected computes it, with P(alive) (two 2F1 series)
 * computed once.
 */
double
clv_paretonbd_expected_sum(const ClvModel *model, double x, double t_x, double T,
						   double units, int32 periods, const double *weight)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				beta = theta[3];
	double		alive;
	double		total = 0;

	clv_check_history(x, t_x, T);
	clv_check_nonnegative(periods * units, "t");
	if (periods == 0 || units == 0)
		return 0;
	alive = clv_paretonbd_p_alive(model, x, t_x, T);
	for (int k = 1; k <= periods; k++)
	{
		if (weight[k] == 0 && k < periods)
			continue;
		total += weight[k] * clv_check_result((r + x) * (beta + T) / (alpha + T) *
											  lifetime_factor(theta[2], beta + T, k * units) *
											  alive,
											  "expected purchases");
	}
	return total;
}

/* E[X(t)] for a customer just acquired: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] */
double
clv_paretonbd_expected_new(const ClvModel *model, double t)
{
	const double *theta = model->params;

	clv_check_nonnegative(t, "t");
	if (t == 0)
		return 0;
	return clv_check_result(theta[0] * theta[3] / theta[1] * lifetime_factor(theta[2], theta[3], t),
							"expected purchases");
}
