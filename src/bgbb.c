/*
 * bgbb.c: the beta-geometric/beta-binomial model (BG/BB) of Fader, Hardie &
 * Shang (2010), "Customer-base analysis in a discrete-time noncontractual
 * setting", Marketing Science 29(6), 1086-1108: purchases that can only
 * happen at discrete opportunities (a yearly donation drive, a weekly
 * show), not at any moment.
 *
 * While alive, a customer transacts at each opportunity with probability p;
 * before each opportunity after the first it becomes inactive for good with
 * probability theta; across customers p ~ Beta(alpha, beta) and
 * theta ~ Beta(gamma, delta).  A history is (x, t_x, n): x transactions in
 * the n opportunities after the first, the last at opportunity t_x.  Its
 * likelihood is (the paper's equation 5)
 *
 *   L = B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
 *     + sum_{i=0}^{n-t_x-1} B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
 *                           * B(gamma + 1, delta + t_x + i) / B(gamma, delta),
 *
 * the first term for a customer alive at opportunity n, the others for one
 * who became inactive just after opportunity t_x + i.  Each Beta ratio is a
 * ratio of rising factorials (clv_lgamma_ratio), and consecutive terms of
 * the sum differ by one factor each, below 1, so a history costs at most
 * O(n - t_x) (history_ll; less only where the terms fall fast).
 *
 * The scores follow from the share of the likelihood in the first term,
 * P(alive at n) = A_0 / L: P(alive at n + 1) multiplies it by
 * (delta + n) / (gamma + delta + n), and the expected transactions in the
 * next m opportunities are P(alive at n) (alpha + x) / (alpha + beta + n)
 * times sum_{j=1}^m B(gamma, delta + n + j) / B(gamma, delta + n) (the
 * paper's equations 11 and 13, written as the sum they come from).
 */
#include "fit.h"
#include "scores.h"
#include "special.h"

#include "miscadmin.h"
#include "utils/float.h"

PG_FUNCTION_INFO_V1(clv_fit_bgbb_transfn);
PG_FUNCTION_INFO_V1(clv_fit_bgbb_final);
PG_FUNCTION_INFO_V1(clv_bgbb_pmf);

enum
{
	ALPHA, BETA, GAMMA, DELTA
};

/*
 * Log-sum-exp of terms that arrive one by one, each with the gradient of
 * its logarithm: the running maximum keeps every exp() at most 1.
 */
typedef struct LogSum
{
	double		max;
	double		sum;			/* of exp(term - max) */
	double		grad[4];		/* of exp(term - max) * d term */
} LogSum;

static void
log_sum_add(LogSum *acc, double log_term, const double *d)
{
	double		w;

	if (log_term > acc->max)
	{
		double		scale = exp(acc->max - log_term);

		acc->sum *= scale;
		if (d != NULL)
			for (int k = 0; k < 4; k++)
				acc->grad[k] *= scale;
		acc->max = log_term;
	}
	w = exp(log_term - acc->max);
	acc->sum += w;
	if (d != NULL)
		for (int k = 0; k < 4; k++)
			acc->grad[k] += w * d[k];
}

/*
 * The Gamma-function ratios a history needs, ln G(b + k) - ln G(b) and
 * psi(b + k) - psi(b), for the five bases below.  Scoring one history calls
 * clv_lgamma_ratio for each; a fit looks them up in tables built once per
 * evaluation of the likelihood for k up to the longest history, with the
 * very same values (the same function, or for k <= 64 the same sum of logs
 * in the same order), so a fit's likelihood is its scores' likelihood.
 */
enum
{
	BASE_ALPHA, BASE_BETA, BASE_ALPHA_BETA, BASE_DELTA, BASE_GAMMA_DELTA, NBASES
};

typedef struct RatioTables
{
	int64		len;			/* k = 0 .. len - 1 */
	double	   *lg[NBASES];
	double	   *psi[NBASES];	/* NULL when no gradient is wanted */
} RatioTables;

typedef struct Bases
{
	double		b[NBASES];
	const RatioTables *tables;	/* NULL: compute each ratio */
} Bases;

static void
bases_of(const double *theta, Bases *bases)
{
	bases->b[BASE_ALPHA] = theta[ALPHA];
	bases->b[BASE_BETA] = theta[BETA];
	bases->b[BASE_ALPHA_BETA] = theta[ALPHA] + theta[BETA];
	bases->b[BASE_DELTA] = theta[DELTA];
	bases->b[BASE_GAMMA_DELTA] = theta[GAMMA] + theta[DELTA];
	bases->tables = NULL;
}

static inline double
lg_ratio(const Bases *bases, int base, double k)
{
	return bases->tables ? bases->tables->lg[base][(int64) k] : clv_lgamma_ratio(bases->b[base], k);
}

static inline double
psi_ratio(const Bases *bases, int base, double k)
{
	return bases->tables ? bases->tables->psi[base][(int64) k] : clv_digamma_ratio(bases->b[base], k);
}

static void
ratio_tables_build(RatioTables *tables, const Bases *bases, int64 len, bool with_gradient)
{
	tables->len = len;
	for (int j = 0; j < NBASES; j++)
	{
		double		b = bases->b[j];
		double	   *lg = palloc(len * sizeof(double));
		double	   *psi = with_gradient ? palloc(len * sizeof(double)) : NULL;

		lg[0] = 0;
		if (psi)
			psi[0] = 0;
		for (int64 k = 1; k < len; k++)
		{
			/* clv_lgamma_ratio's own sum below 65, each partial sum once */
			lg[k] = k <= 64 ? lg[k - 1] + log(b + (k - 1)) : clv_lgamma_ratio(b, k);
			if (psi)
				psi[k] = k <= 64 ? psi[k - 1] + 1 / (b + (k - 1)) : clv_digamma_ratio(b, k);
		}
		tables->lg[j] = lg;
		tables->psi[j] = psi;
	}
}

static void
ratio_tables_free(RatioTables *tables)
{
	for (int j = 0; j < NBASES; j++)
	{
		pfree(tables->lg[j]);
		if (tables->psi[j])
			pfree(tables->psi[j]);
	}
}

/*
 * ln L of one history, its gradient in (alpha, beta, gamma, delta) when grad
 * is not NULL, and ln P(alive at opportunity n) when log_alive is not NULL.
 */
static double
history_ll(const double *theta, const Bases *bases, double x, double t_x, double n,
		   double *grad, double *log_alive)
{
	double		alpha = theta[ALPHA],
				beta = theta[BETA],
				gamma = theta[GAMMA],
				delta = theta[DELTA];
	double		lg_x = lg_ratio(bases, BASE_ALPHA, x);
	double		log_alive_term;
	double		d[4];
	LogSum		acc = {-get_float8_infinity(), 0, {0, 0, 0, 0}};
	double		ll;

	/* alive at every one of the n opportunities */
	log_alive_term = lg_x + lg_ratio(bases, BASE_BETA, n - x) - lg_ratio(bases, BASE_ALPHA_BETA, n) +
		lg_ratio(bases, BASE_DELTA, n) - lg_ratio(bases, BASE_GAMMA_DELTA, n);
	if (grad != NULL)
	{
		double		psi_ab = psi_ratio(bases, BASE_ALPHA_BETA, n);
		double		psi_gd = psi_ratio(bases, BASE_GAMMA_DELTA, n);

		d[ALPHA] = psi_ratio(bases, BASE_ALPHA, x) - psi_ab;
		d[BETA] = psi_ratio(bases, BASE_BETA, n - x) - psi_ab;
		d[GAMMA] = -psi_gd;
		d[DELTA] = psi_ratio(bases, BASE_DELTA, n) - psi_gd;
	}
	log_sum_add(&acc, log_alive_term, grad ? d : NULL);

	/*
	 * inactive from opportunity t + 1, for t = t_x, ..., n - 1.  Each term
	 * is the one before times a factor below 1, so the terms are summed
	 * relative to the first, and once the rest together (at most the
	 * current term times the terms left) fall below 1e-18 of the sum they
	 * are left out.  The terms fall like t^-(alpha + gamma + 1), so that
	 * happens early only for large alpha + gamma.
	 */
	if (n > t_x)
	{
		double		t = t_x;
		double		log_first = lg_x + lg_ratio(bases, BASE_BETA, t - x) - lg_ratio(bases, BASE_ALPHA_BETA, t) +
			log(gamma) + lg_ratio(bases, BASE_DELTA, t) - lg_ratio(bases, BASE_GAMMA_DELTA, t + 1);
		double		others = exp(Min(log_alive_term - log_first, 700));
		double		term = 1,
					sum = 0;
		double		dsum[4] = {0, 0, 0, 0};

		if (grad != NULL)
		{
			double		psi_ab = psi_ratio(bases, BASE_ALPHA_BETA, t);
			double		psi_gd = psi_ratio(bases, BASE_GAMMA_DELTA, t + 1);

			d[ALPHA] = psi_ratio(bases, BASE_ALPHA, x) - psi_ab;
			d[BETA] = psi_ratio(bases, BASE_BETA, t - x) - psi_ab;
			d[GAMMA] = 1 / gamma - psi_gd;
			d[DELTA] = psi_ratio(bases, BASE_DELTA, t) - psi_gd;
		}
		for (;;)
		{
			sum += term;
			if (grad != NULL)
				for (int k = 0; k < 4; k++)
					dsum[k] += term * d[k];
			if (t + 1 >= n || term * (n - t) < 1e-18 * (sum + others))
				break;
			/* each Gamma ratio gains one factor */
			term *= ((beta + t - x) / (alpha + beta + t)) * ((delta + t) / (gamma + delta + t + 1));
			if (grad != NULL)
			{
				d[ALPHA] -= 1 / (alpha + beta + t);
				d[BETA] += 1 / (beta + t - x) - 1 / (alpha + beta + t);
				d[GAMMA] -= 1 / (gamma + delta + t + 1);
				d[DELTA] += 1 / (delta + t) - 1 / (gamma + delta + t + 1);
			}
			t += 1;
		}
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				d[k] = dsum[k] / sum;
		log_sum_add(&acc, log_first + log(sum), grad ? d : NULL);
	}

	ll = acc.max + log(acc.sum);
	if (grad != NULL)
		for (int k = 0; k < 4; k++)
			grad[k] = acc.grad[k] / acc.sum;
	if (log_alive != NULL)
		*log_alive = log_alive_term - ll > 0 ? 0 : log_alive_term - ll;	/* NaN stays NaN */
	return ll;
}

static double
bgbb_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	double		total = 0;
	double		longest = 0;
	Bases		bases;
	RatioTables tables;

	if (grad != NULL)
		memset(grad, 0, 4 * sizeof(double));
	for (int64 i = 0; i < data->npatterns; i++)
		longest = Max(longest, data->patterns[i].T);
	bases_of(theta, &bases);
	/* ratios up to k = n + 1 (the last term's gamma + delta + t + 1) */
	ratio_tables_build(&tables, &bases, (int64) longest + 2, grad != NULL);
	bases.tables = &tables;
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *p = &data->patterns[i];
		double		g[4];
		double		ll;

		/* a long history costs up to its periods: let a cancel in */
		CHECK_FOR_INTERRUPTS();
		ll = history_ll(theta, &bases, p->x, p->t_x, p->T, grad ? g : NULL, NULL);

		/* the optimizer backs off from a point it cannot evaluate */
		if (!isfinite(ll))
		{
			total = ll;
			break;
		}
		total += p->count * ll;
		if (grad != NULL)
			for (int k = 0; k < 4; k++)
				grad[k] += p->count * g[k];
	}
	ratio_tables_free(&tables);
	return total;
}

/*
 * clv_fit_bgbb(frequency, recency, periods [, customers [, penalizer]]):
 * customers counts the customers with this history (a table of patterns, as
 * the paper's data set is published); rows with 0 customers or a NULL are
 * left out.
 */
Datum
clv_fit_bgbb_transfn(PG_FUNCTION_ARGS)
{
	int64		customers;
	double		penalizer = clv_penalizer_arg(fcinfo, 5);

	for (int i = 1; i < Min(PG_NARGS(), 5); i++)
		if (PG_ARGISNULL(i))
			goto skip;
	customers = clv_customers_arg(fcinfo, 4);
	if (customers == 0)
	{
		clv_check_period_history(PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3));
		goto skip;
	}
	return clv_patterns_add(fcinfo, CLV_PATTERNS_PERIODS, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
							PG_GETARG_FLOAT8(3), customers, penalizer, 0);

skip:
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

Datum
clv_fit_bgbb_final(PG_FUNCTION_ARGS)
{
	PatternSet	data;
	double		log_theta[4] = {0, 0, 0, 0};
	bool		any_transaction = false;

	clv_patterns_load(fcinfo, 0, CLV_PATTERNS_PERIODS, &data);
	if (data.customers == 0)
		PG_RETURN_NULL();
	for (int64 i = 0; i < data.npatterns; i++)
		any_transaction |= data.patterns[i].x > 0;
	if (!any_transaction)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("BG/BB cannot be fitted without repeat transactions"),
				 errdetail("None of the %.0f customers transacted after the first opportunity.",
						   data.customers)));
	PG_RETURN_POINTER(clv_fit(CLV_MODEL_BGBB, bgbb_total_ll, &data, NULL, log_theta));
}

/* log1p(u) / u, with its limit 1 at u = 0 */
static double
log1p_over(double u)
{
	if (fabs(u) < 1e-4)
		return 1 - u * (1.0 / 2 - u * (1.0 / 3 - u / 4));
	return log1p(u) / u;
}

/*
 * (L(u1) - L(u2)) / (u1 - u2) for L(u) = log1p(u) / u, from L's series
 * sum_k (-u)^k / (k + 1): (u1^k - u2^k) / (u1 - u2) = q_k with
 * q_{k+1} = u1 q_k + u2^k, so no difference of nearly equal numbers is
 * formed.  For |u1|, |u2| <= 0.1 (45 terms reach 1e-45).
 */
static double
log1p_over_slope(double u1, double u2)
{
	double		sum = 0,
				q = 0,
				u2_k = 1;

	for (int k = 1; k <= 45; k++)
	{
		double		term;

		q = u1 * q + u2_k;
		u2_k *= u2;
		term = (k % 2 ? -q : q) / (k + 1);
		sum += term;
		if (fabs(term) < 1e-18 * fabs(sum))
			break;
	}
	return sum;
}

/* (1 - e^-D) / D, with its limit 1 at D = 0 */
static double
one_minus_exp_over(double D)
{
	return D == 0 ? 1 : -expm1(-D) / D;
}

/*
 * Terms of survival_sum summed one by one before the closed form takes the
 * rest; beyond them every Gamma function argument is large enough for
 * Stirling's series to be exact in double precision.
 */
#define DIRECT_TERMS 16384

/*
 * sum_{j=1}^m B(gamma, d + j) / B(gamma, d) = sum_j prod_{k<j} (d + k) / (gamma + d + k):
 * the expected number of the next m opportunities a customer alive now is
 * still alive at.  The first DIRECT_TERMS terms are summed as they are
 * (positive, each to a few ulps); the rest, if any, from the closed form
 *   sum_{j=1}^m B(gamma, d + j) / B(gamma, d) = d / (gamma - 1) (1 - e^-D),
 *   D = [ln G(z1 + h) - ln G(z1)] - [ln G(z2 + h) - ln G(z2)],
 *   h = gamma - 1, z1 = 1 + d + m, z2 = 1 + d,
 * with D / h from Stirling's series written so that every term carries its
 * factor h: no cancellation when gamma is near 1, and the limit at gamma = 1.
 * Its first two terms, (z + h - 1/2) / z * L(h / z) at z1 and at z2 with
 * L(u) = log1p(u) / u, are each about 1 and differ by about h m / z^2: taken
 * apart, that difference lost up to 1e-4 relative for delta + n around
 * 1e16, so it is formed from 1/z1 - 1/z2 = -m / (z1 z2) and L's slope
 * instead.  The tail is reached only while the terms have not underflowed,
 * which keeps |h / z| below 0.05 (gamma over d below about 709 / 16384).
 */
static double
survival_sum(double gamma, double d, double m)
{
	double		sum = 0,
				term = 1,
				j;
	double		h = gamma - 1,
				z1,
				z2,
				D_over_h;

	for (j = 0; j < m && j < DIRECT_TERMS; j++)
	{
		term *= (d + j) / (gamma + d + j);
		if (term == 0)
			return sum;
		sum += term;
	}
	if (j >= m)
		return sum;
	/* the remaining m - j terms, relative to the last: a sum from d + j */
	d += j;
	m -= j;
	z2 = 1 + d;
	z1 = z2 + m;
	{
		double		u1 = h / z1,
					u2 = h / z2;
		double		inverse_step = -(m / z2) / z1;	/* 1/z1 - 1/z2 */
		double		slope = (fabs(u1) <= 0.1 && fabs(u2) <= 0.1) ? log1p_over_slope(u1, u2) :
			(log1p_over(u1) - log1p_over(u2)) / (u1 - u2);

		D_over_h = (h - 0.5) * inverse_step * log1p_over(u1) +
			(1 + (h - 0.5) / z2) * (h * inverse_step) * slope +
			log1p(m / z2) +
			(m / z2) * (z1 + z2 + h) / (z1 * (z1 + h) * (z2 + h)) / 12;
	}
	return sum + term * d * D_over_h * one_minus_exp_over(h * D_over_h);
}

/*
 * A model clv_model_check passed can still hold parameters whose sums
 * overflow (input takes any finite positive numbers; a fit never ends
 * there), and then nothing can be scored.
 */
static void
check_scorable(const ClvModel *model, double n)
{
	const double *theta = model->params;

	if (!isfinite(theta[ALPHA] + theta[BETA] + n + 1) || !isfinite(theta[GAMMA] + theta[DELTA] + n + 2))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("BG/BB parameters too large to score"),
				 errdetail("The sum alpha + beta or gamma + delta is beyond double precision.")));
}

/* a score, which must be a number: NaN would mean an unforeseen overflow */
static double
checked_score(double value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("BG/BB score cannot be computed for these parameters")));
	return value;
}

/* ln P(alive at opportunity n | x, t_x, n), the arguments checked */
static double
log_alive_at_end(const ClvModel *model, double x, double t_x, double n)
{
	Bases		bases;
	double		log_alive;

	clv_check_period_history(x, t_x, n);
	check_scorable(model, n);
	bases_of(model->params, &bases);
	(void) history_ll(model->params, &bases, x, t_x, n, NULL, &log_alive);
	return log_alive;
}

/* P(alive at opportunity n + 1 | x, t_x, n), the paper's equation 11 */
double
clv_bgbb_p_alive_of(const ClvModel *model, double x, double t_x, double n)
{
	double		gamma = model->params[GAMMA],
				delta = model->params[DELTA];

	return checked_score(exp(log_alive_at_end(model, x, t_x, n)) * ((delta + n) / (gamma + delta + n)));
}

/*
 * The longest forecast: beyond it delta + n + t could leave double range
 * (and no business plans 10^15 opportunities ahead).
 */
#define MAX_HORIZON 1e15

static void
check_opportunities(double t)
{
	if (!(isfinite(t) && t >= 0 && t == floor(t) && t <= MAX_HORIZON))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must be a whole number of opportunities from 0 to 1e15"),
				 errdetail("Found t = %g.", t),
				 errhint("BG/BB forecasts the transaction opportunities to come, not time.")));
}

/* E[transactions at opportunities n + 1 .. n + t | x, t_x, n], equation 13 */
double
clv_bgbb_expected_of(const ClvModel *model, double t, double x, double t_x, double n)
{
	const double *theta = model->params;
	double		alive;

	check_opportunities(t);
	alive = exp(log_alive_at_end(model, x, t_x, n));
	return checked_score(alive * ((theta[ALPHA] + x) / (theta[ALPHA] + theta[BETA] + n)) *
						 survival_sum(theta[GAMMA], theta[DELTA] + n, t));
}

/* E[X(t)] for a new customer: transactions in its first t opportunities, equation 7 */
double
clv_bgbb_expected_new_of(const ClvModel *model, double t)
{
	const double *theta = model->params;

	check_opportunities(t);
	check_scorable(model, 0);
	return checked_score(theta[ALPHA] / (theta[ALPHA] + theta[BETA]) * survival_sum(theta[GAMMA], theta[DELTA], t));
}

/*
 * P(X(n) = x): the chance that a new customer transacts at exactly x of its
 * first n opportunities (the paper's equation 8), each term from the one
 * before.
 */
Datum
clv_bgbb_pmf(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_model_arg(fcinfo, 0, CLV_MODEL_BGBB);
	double		x = PG_GETARG_FLOAT8(1);
	double		n = PG_GETARG_FLOAT8(2);
	double		alpha,
				beta,
				gamma,
				delta;
	double		lg_x;
	LogSum		acc = {-get_float8_infinity(), 0, {0, 0, 0, 0}};

	clv_model_check(model);
	alpha = model->params[ALPHA];
	beta = model->params[BETA];
	gamma = model->params[GAMMA];
	delta = model->params[DELTA];
	if (!(isfinite(x) && isfinite(n) && x >= 0 && n >= 0 && x == floor(x) && n == floor(n)) ||
		n > CLV_MAX_OPPORTUNITIES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency and periods must be whole numbers, not negative, periods at most %d",
						CLV_MAX_OPPORTUNITIES),
				 errdetail("Found frequency %g, periods %g.", x, n)));
	if (x > n)
		PG_RETURN_FLOAT8(0);
	check_scorable(model, n);
	lg_x = clv_lgamma_ratio(alpha, x);
	/* alive throughout: C(n, x) B(alpha + x, beta + n - x) / B(alpha, beta) B(gamma, delta + n) / B(gamma, delta) */
	log_sum_add(&acc, lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1) + lg_x +
				clv_lgamma_ratio(beta, n - x) - clv_lgamma_ratio(alpha + beta, n) +
				clv_lgamma_ratio(delta, n) - clv_lgamma_ratio(gamma + delta, n), NULL);
	/*
	 * inactive from opportunity i + 1, i = x .. n - 1:
	 * C(i, x) B(alpha + x, beta + i - x) / B(alpha, beta) B(gamma + 1, delta + i) / B(gamma, delta).
	 * These terms may rise before they fall, so each is kept as a number
	 * times e^term_log and the sum as a number times e^sum_log, the scales
	 * moved only when a number leaves 1e+-200: a log and an exp per 400
	 * orders of magnitude, not per term.
	 */
	if (n > x)
	{
		double		i = x;
		double		term_log = lg_x - clv_lgamma_ratio(alpha + beta, i) + log(gamma) +
			clv_lgamma_ratio(delta, i) - clv_lgamma_ratio(gamma + delta, i + 1);
		double		sum_log = term_log;
		double		term = 1,
					sum = 0,
					term_to_sum = 1;	/* e^(term_log - sum_log) */

		for (;;)
		{
			sum += term * term_to_sum;
			if (i + 1 >= n)
				break;
			/* each factor near 1 on its own: their product in another order may overflow */
			term *= ((i + 1) / (i + 1 - x)) * ((beta + i - x) / (alpha + beta + i)) *
				((delta + i) / (gamma + delta + i + 1));
			if (term > 1e200 || term < 1e-200)
			{
				term_log += log(term);
				term = 1;
				if (term_log > sum_log)
				{
					sum *= exp(sum_log - term_log);
					sum_log = term_log;
				}
				term_to_sum = exp(term_log - sum_log);
			}
			i += 1;
		}
		log_sum_add(&acc, sum_log + log(sum), NULL);
	}
	PG_RETURN_FLOAT8(Min(checked_score(exp(acc.max + log(acc.sum))), 1));
}
