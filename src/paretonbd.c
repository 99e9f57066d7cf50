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
 * The gradient is taken by central differences of this likelihood (the
 * derivatives of 2F1 in its parameters have no cheap closed form).
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
 * t z / (1 - z).
 */
static double
log_hyp2f1_next(double a, double b, double z)
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
		if (term * z / (1 - z) <= 1e-16 * sum)
			return (1 - b) * log1p(-z) + log(sum);
		if ((k & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) did not converge", a, b, a + 1, z)));
	return 0;
}

/* log A0 of the likelihood above; -Infinity when A0 = 0 (t_x = T) */
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
	first = log_hyp2f1_next(a, b, (hi - low) / (hi + t_x)) - a * log(hi + t_x);
	second = log_hyp2f1_next(a, b, (hi - low) / (hi + T)) - a * log(hi + T);
	if (!(second < first))
		return -get_float8_infinity();
	/* log(e^first - e^second) */
	return first + log(-expm1(second - first));
}

static double
pattern_ll(const double *theta, const Pattern *p)
{
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		x = p->x;
	double		alive_to_T = -(r + x) * log(alpha + p->T) - s * log(beta + p->T);
	double		died = log(s / (r + s + x)) + log_a0(theta, x, p->t_x, p->T);

	return clv_lgamma_ratio(r, x) + r * log(alpha) + s * log(beta) +
		Max(alive_to_T, died) + log1p(exp(-fabs(alive_to_T - died)));
}

static double
total_ll(const PatternSet *data, const double *theta)
{
	double		total = 0;

	for (int64 i = 0; i < data->npatterns; i++)
		total += data->patterns[i].count * pattern_ll(theta, &data->patterns[i]);
	return total;
}

static double
paretonbd_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	if (grad != NULL)
	{
		for (int k = 0; k < 4; k++)
		{
			double		moved[4];
			double		h = 1e-6 * theta[k];

			memcpy(moved, theta, sizeof(moved));
			moved[k] = theta[k] + h;
			grad[k] = total_ll(data, moved);
			moved[k] = theta[k] - h;
			grad[k] = (grad[k] - total_ll(data, moved)) / (2 * h);
		}
	}
	return total_ll(data, theta);
}

Datum
clv_fit_paretonbd_final(PG_FUNCTION_ARGS)
{
	PatternSet	data;
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
	PG_RETURN_POINTER(clv_fit(CLV_MODEL_PARETONBD, paretonbd_total_ll, &data, log_theta));
}

/* P(alive | x, t_x, T) = 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0) */
double
clv_paretonbd_p_alive(const ClvModel *model, double x, double t_x, double T)
{
	const double *theta = model->params;
	double		r = theta[0],
				alpha = theta[1],
				s = theta[2],
				beta = theta[3];
	double		log_odds;

	clv_check_history(x, t_x, T);
	log_odds = log(s / (r + s + x)) + (r + x) * log(alpha + T) + s * log(beta + T) +
		log_a0(theta, x, t_x, T);
	return log_odds > 0 ? exp(-log_odds) / (1 + exp(-log_odds)) : 1 / (1 + exp(log_odds));
}

/*
 * E[Y(t) | x, t_x, T]
 *   = (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive),
 * whose s -> 1 limit is (r+x)(beta+T)/(alpha+T) ln((beta+T+t)/(beta+T)) P(alive).
 */
static double
lifetime_factor(double s, double base, double t)
{
	double		log_ratio = log(base) - log(base + t);	/* < 0 */

	if (fabs(s - 1) < 1e-9)
		return -log_ratio;
	return -expm1((s - 1) * log_ratio) / (s - 1);
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
