/*
 * special.c: digamma, the Gauss hypergeometric function and the incomplete
 * gamma and beta functions.
 */
#include "clv.h"

#include "special.h"

#include "miscadmin.h"

/*
 * psi(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x lifts x to 10
 * or more, where the asymptotic series
 *   psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
 * is accurate to double precision with the terms below (Abramowitz &
 * Stegun 6.3.18).
 */
double
clv_digamma(double x)
{
	double		shift = 0;
	double		inv2;

	Assert(x > 0);
	while (x < 10)
	{
		shift -= 1 / x;
		x += 1;
	}
	inv2 = 1 / (x * x);
	return shift + log(x) - 0.5 / x -
		inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
}

/*
 * 2F1(a, b; c; z) for 0 <= z < 1 and c > 0 by its power series, the only
 * case the BG/NBD expressions need (a, b, c > 0, so every term is
 * positive and there is no cancellation).  The terms shrink geometrically
 * once k exceeds the parameters; a sum that has not settled after a
 * million terms is reported rather than returned.
 */
double
clv_hyp2f1(double a, double b, double c, double z)
{
	double		term = 1;
	double		sum = 1;

	Assert(z >= 0 && z < 1 && c > 0);
	for (int k = 0; k < 1000000; k++)
	{
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z;
		sum += term;
		if (!isfinite(sum))
			break;
		if (fabs(term) <= 1e-16 * fabs(sum) && k + 1 > fabs(a) + fabs(b))
			return sum;
	}
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) did not converge", a, b, c, z),
			 errhint("The prediction horizon is very long compared with the customer's age.")));
	return 0;					/* keep the compiler quiet */
}

/*
 * ln Gamma(b + x) - ln Gamma(b) for b > 0, x >= 0, without the cancellation
 * of subtracting two large lgamma values when b is large: a sum of logs
 * for small whole x, Stirling's series of the difference for large b, the
 * plain difference otherwise (where both terms are moderate).
 */
double
clv_lgamma_ratio(double b, double x)
{
	if (x == 0)
		return 0;
	if (x <= 64 && x == floor(x))
	{
		double		sum = 0;

		for (int i = 0; i < (int) x; i++)
			sum += log(b + i);
		return sum;
	}
	if (b >= 10)
	{
		double		z = b + x;

		return (z - 0.5) * log1p(x / b) + x * log(b) - x +
			(1 / z - 1 / b) / 12 - (1 / (z * z * z) - 1 / (b * b * b)) / 360 +
			(1 / pow(z, 5) - 1 / pow(b, 5)) / 1260;
	}
	return lgamma(b + x) - lgamma(b);
}

/* psi(b + x) - psi(b), in the same three ways */
double
clv_digamma_ratio(double b, double x)
{
	if (x == 0)
		return 0;
	if (x <= 64 && x == floor(x))
	{
		double		sum = 0;

		for (int i = 0; i < (int) x; i++)
			sum += 1 / (b + i);
		return sum;
	}
	if (b >= 10)
	{
		double		z = b + x;

		return log1p(x / b) - (1 / z - 1 / b) / 2 - (1 / (z * z) - 1 / (b * b)) / 12 +
			(1 / pow(z, 4) - 1 / pow(b, 4)) / 120 - (1 / pow(z, 6) - 1 / pow(b, 6)) / 252;
	}
	return clv_digamma(b + x) - clv_digamma(b);
}

/*
 * Regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a):
 * the probability that a gamma(shape a, scale 1) variable exceeds x.  Below
 * x = a + 1 the power series of P = 1 - Q converges fast; above, the
 * continued fraction for Q does (Abramowitz & Stegun 6.5.29 and 6.5.31),
 * evaluated by the modified Lentz method.  The common factor
 * x^a e^-x / Gamma(a) is formed in log space so large a and x do not
 * overflow.
 */
double
clv_gamma_q(double a, double x)
{
	double		log_prefix;

	if (!(a > 0) || !(x >= 0))
		return NAN;				/* NaN in, or outside the domain */
	if (x == 0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	log_prefix = a * log(x) - x - lgamma(a);
	if (x < a + 1)
	{
		double		term = 1.0 / a;
		double		sum = term;

		for (int n = 1; n < 10000; n++)
		{
			term *= x / (a + n);
			sum += term;
			if (fabs(term) < fabs(sum) * 1e-16)
				break;
		}
		return Max(0.0, 1.0 - exp(log_prefix) * sum);
	}
	else
	{
		const double tiny = 1e-300;
		double		b = x + 1 - a;
		double		c = 1 / tiny;
		double		d = 1 / b;
		double		f = d;

		for (int n = 1; n < 10000; n++)
		{
			double		an = -n * (n - a);
			double		delta;

			b += 2;
			d = an * d + b;
			if (fabs(d) < tiny)
				d = tiny;
			c = b + an / c;
			if (fabs(c) < tiny)
				c = tiny;
			d = 1 / d;
			delta = d * c;
			f *= delta;
			if (fabs(delta - 1) < 1e-16)
				break;
		}
		return exp(log_prefix) * f;
	}
}

/*
 * The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8), by the
 * modified Lentz method: 1 / (1 + d1 / (1 + d2 / (1 + ...))) with
 *   d(2m+1) = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),
 *   d(2m)   = m (b-m) x / ((a+2m-1)(a+2m)).
 * It converges fast for x < (a+1)/(a+b+2), in some sqrt(max(a, b)) steps.
 */
static double
beta_fraction(double a, double b, double x)
{
	const double tiny = 1e-300;
	double		c = 1,
				d = 0,
				f = 1;

	for (int i = 1; i < 10000000; i++)
	{
		int			m = i / 2;
		double		di = (i % 2 == 1)
			? -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
			: m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
		double		delta;

		d = 1 + di * d;
		if (fabs(d) < tiny)
			d = tiny;
		c = 1 + di / c;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1 / d;
		delta = c * d;
		f *= delta;
		if (fabs(delta - 1) < 1e-16)
			return 1 / f;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return NAN;
}

/*
 * The regularized incomplete beta function I_x(a, b), a, b > 0, with
 * y = 1 - x given by the caller, who can often form it without the rounding
 * of 1 - x (which a huge b would multiply).  The fraction above is summed
 * for I_x(a, b) or, where it would converge slowly, for I_y(b, a), and
 * I_x(a, b) = 1 - I_y(b, a); the choice is made once, so rounding at the
 * switch cannot send it back and forth.  The prefix x^a y^b / (a B(a, b))
 * is formed in log space, ln B(a, b) through clv_lgamma_ratio so that a huge
 * b does not cancel.
 */
double
clv_beta_inc(double a, double b, double x, double y)
{
	bool		swap;
	double		log_prefix;

	if (!(a > 0) || !(b > 0) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1))
		return NAN;
	if (x == 0 || y == 0)
		return x == 0 ? 0 : 1;
	swap = x > (a + 1) / (a + b + 2);
	if (swap)
	{
		double		t = a;

		a = b;
		b = t;
		t = x;
		x = y;
		y = t;
	}
	/* ln B(a, b), the Stirling-series difference taken on the larger one */
	log_prefix = a * log(x) + b * log(y) - log(a) -
		(a >= b ? lgamma(b) - clv_lgamma_ratio(a, b) : lgamma(a) - clv_lgamma_ratio(b, a));
	if (swap)
		return 1 - exp(log_prefix) * beta_fraction(a, b, x);
	return exp(log_prefix) * beta_fraction(a, b, x);
}
