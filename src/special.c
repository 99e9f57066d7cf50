/*
 * special.c: digamma, the Gauss hypergeometric function and the incomplete
 * gamma and beta functions.
 */
#include "clv.h"

#include "special.h"

#include "miscadmin.h"
#include "utils/float.h"

/*
 * The terms of Stirling's series after the logarithms, for w >= 10:
 * ln Gamma(w) - ((w - 1/2) ln w - w + ln(2 pi) / 2) and psi(w) - ln w, each
 * to its w^-10 term (Abramowitz & Stegun 6.1.41 and 6.3.18; the next term
 * is below 3e-14 at w = 10).  The powers by products: pow() was most of
 * the regularity models' wide sums.
 */
double
clv_lgamma_series(double w)
{
	double		inv = 1 / w,
				inv2 = inv * inv;

	return inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680 - inv2 * (1.0 / 1188)))));
}

static inline double
digamma_series(double w)
{
	double		inv = 1 / w,
				inv2 = inv * inv;

	return -0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (1.0 / 252 - inv2 * (1.0 / 240 - inv2 * (1.0 / 132)))));
}

/*
 * psi(x) for x > 0: the recurrence psi(x) = psi(x + 1) - 1/x lifts x to 10
 * or more, where the asymptotic series
 *   psi(x) ~ ln x - 1/(2x) - sum_k B_2k / (2k x^2k)
 * is accurate to double precision with the terms of digamma_series.
 */
double
clv_digamma(double x)
{
	double		shift = 0;

	Assert(x > 0);
	while (x < 10)
	{
		shift -= 1 / x;
		x += 1;
	}
	return shift + log(x) + digamma_series(x);
}

const double clv_gl_nodes[CLV_GL_HALF] = {
	0.0765265211334973, 0.2277858511416451, 0.3737060887154195, 0.5108670019508271,
	0.6360536807265150, 0.7463319064601508, 0.8391169718222188, 0.9122344282513259,
	0.9639719272779138, 0.9931285991850949
};
const double clv_gl_weights[CLV_GL_HALF] = {
	0.1527533871307258, 0.1491729864726037, 0.1420961093183820, 0.1316886384491766,
	0.1181945319615184, 0.1019301198172404, 0.0832767415767048, 0.0626720483341091,
	0.0406014298003869, 0.0176140071391521
};

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

		return (z - 0.5) * log1p(x / b) + x * log(b) - x + (clv_lgamma_series(z) - clv_lgamma_series(b));
	}
	return lgamma(b + x) - lgamma(b);
}

/* psi(b + x) - psi(b), in the same three ways (the sum for any b: it takes no logarithms) */
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

		return log1p(x / b) + (digamma_series(z) - digamma_series(b));
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
	/* callers score customer after customer, often with the same a */
	static double last_a = -1;
	static double last_lgamma;
	double		log_prefix;

	if (!(a > 0) || !(x >= 0))
		return NAN;				/* NaN in, or outside the domain */
	if (x == 0)
		return 1.0;
	if (isinf(x))
		return 0.0;
	if (a != last_a)
	{
		last_lgamma = lgamma(a);
		last_a = a;
	}
	log_prefix = a * log(x) - x - last_lgamma;
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

/*
 * The logistic function 1 / (1 + e^-z), from whichever exponential cannot
 * overflow: P(alive) from the log-odds of having dropped out is
 * clv_logistic(-odds), and 1 - P(alive) is clv_logistic(odds), exact to
 * the last bits where 1 - P(alive) would keep none of them.
 */
double
clv_logistic(double z)
{
	return z < 0 ? exp(z) / (1 + exp(z)) : 1 / (1 + exp(-z));
}

/* log(1 + e^z), without overflow for large z nor loss for very negative z */
double
clv_softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/*
 * ---- Integrals of log-concave functions of log u ----
 *
 * The Pareto/NBD probabilities of purchases before death are integrals over
 * u in (0, u_end] of densities that, as functions of y = log u (with the
 * Jacobian u), are
 *   h(y) = exp(c - sum_i p_i softplus(side_i (y - l_i))),
 * softplus(z) = log(1 + e^z), p_i >= 0, side_i = +1 or -1: log(1 + u/q)
 * is softplus(y - log q), and log(u/q) - log(1 + u/q) is -softplus(log q - y),
 * so no power of u is ever formed apart from its scale (a shape of 1e-20
 * is not lost beside 1, as in u^(r+x+1) / u).  Each term is concave, so h
 * is log-concave with one mode.  Its log bends only near the l_i, where the
 * poles of softplus at l_i +- i pi are close; elsewhere it is nearly linear.
 * Gauss-Legendre panels (20 points) are laid from the mode outwards: the
 * first as wide as the curvature there allows, each next at most twice the
 * last, so wide that L changes by at most about 16 across it (judged by the
 * slope at both ends), ending at every l_i, and within 4 + half its
 * distance of an l_i (so that the poles stay outside the ellipse of
 * convergence), until h is e^-46 of its top or the range ends.  The error
 * is then near the rounding of L itself; a side that needs more than
 * CLV_CONCAVE_MAX_PANELS / 2 panels gives NaN rather than a short sum.
 */

static double
concave_slope(const ClvLogConcave *f, double y)
{
	double		slope = 0;

	for (int i = 0; i < CLV_CONCAVE_TERMS; i++)
		if (f->p[i] != 0)
			slope -= f->p[i] * f->side[i] * clv_logistic(f->side[i] * (y - f->l[i]));
	return slope;
}

static double
concave_curvature(const ClvLogConcave *f, double y)
{
	double		curvature = 0;

	for (int i = 0; i < CLV_CONCAVE_TERMS; i++)
		if (f->p[i] != 0)
			curvature += f->p[i] * clv_logistic(y - f->l[i]) * clv_logistic(f->l[i] - y);
	return curvature;
}

static double
concave_log(const ClvLogConcave *f, double y)
{
	double		log_h = f->c;

	for (int i = 0; i < CLV_CONCAVE_TERMS; i++)
		if (f->p[i] != 0)
			log_h -= f->p[i] * clv_softplus(f->side[i] * (y - f->l[i]));
	return log_h;
}

/* the integral of h over one panel [lo, hi], in units of e^top */
static double
concave_panel(const ClvLogConcave *f, double lo, double hi, double top)
{
	double		mid = (lo + hi) / 2,
				half = (hi - lo) / 2,
				total = 0;

	for (int j = 0; j < CLV_GL_HALF; j++)
		total += clv_gl_weights[j] * (exp(concave_log(f, mid - half * clv_gl_nodes[j]) - top) +
									  exp(concave_log(f, mid + half * clv_gl_nodes[j]) - top));
	return half * total;
}

/*
 * The panels of one side, from y0 in direction dir (-1 or 1), up to y_end
 * on the right; their integrals added to *total (in units of e^top).  When
 * cut is not NULL, each panel is recorded (lo, hi, integral) for
 * clv_log_concave_quantile.  False when the panels ran out first.
 */
static bool
concave_side(const ClvLogConcave *f, double y0, int dir, double y_end, double width, double top,
			 double *total, ClvLogConcavePanels *cut)
{
	double		y = y0;

	for (int n = 0; n < CLV_CONCAVE_MAX_PANELS / 2; n++)
	{
		double		slope = fabs(concave_slope(f, y));
		double		w = Min(2 * width, slope > 0 ? 8 / slope : 2 * width);
		double		next,
					part;

		/* near a bend, a width its poles allow; and no panel across one */
		for (int i = 0; i < CLV_CONCAVE_TERMS; i++)
		{
			double		ahead = dir * (f->l[i] - y);

			if (f->p[i] == 0)
				continue;
			if (ahead > 1e-9 * (1 + fabs(y)))
				w = Min(w, Min(ahead, (4 + ahead / 2) / 1.5));
			else
				w = Min(w, 4 - ahead / 2);
		}
		/* the slope steepens away from the mode: judge the width by the far end's slope too */
		while (w * Max(slope, fabs(concave_slope(f, y + dir * w))) > 16 && w > 1e-12 * (1 + fabs(y)))
			w /= 2;
		next = dir > 0 ? Min(y + w, y_end) : y - w;
		part = dir > 0 ? concave_panel(f, y, next, top) : concave_panel(f, next, y, top);
		*total += part;
		if (cut != NULL && cut->n < CLV_CONCAVE_MAX_PANELS)
		{
			cut->lo[cut->n] = dir > 0 ? y : next;
			cut->hi[cut->n] = dir > 0 ? next : y;
			cut->mass[cut->n] = part;
			cut->n++;
		}
		width = fabs(next - y);
		y = next;
		if ((dir > 0 && y >= y_end) || concave_log(f, y) - top < -46)
			return true;
	}
	return false;
}

/*
 * log of the integral of h over y in (-Infinity, log u_end] (u_end may be
 * Infinity); panels, when not NULL, receives the panels laid, left to
 * right.  NaN if the panels could not reach where h is negligible.
 */
double
clv_log_concave_integral(const ClvLogConcave *f, double u_end, ClvLogConcavePanels *panels)
{
	double		y_end = isinf(u_end) ? get_float8_infinity() : log(u_end);
	double		lo = get_float8_infinity(),
				hi = -get_float8_infinity(),
				mode,
				top,
				curvature,
				width,
				total = 0;
	bool		complete;

	for (int i = 0; i < CLV_CONCAVE_TERMS; i++)
		if (f->p[i] != 0)
		{
			lo = Min(lo, f->l[i]);
			hi = Max(hi, f->l[i]);
		}
	/* bracket the mode: L' falls from the left's sum to minus the right's (each step doubles) */
	for (int i = 0; i < 2000 && concave_slope(f, lo) < 0; i++)
		lo -= Max(1, hi - lo);
	for (int i = 0; i < 2000 && concave_slope(f, hi) > 0; i++)
		hi += Max(1, hi - lo);
	for (int i = 0; i < 200 && hi - lo > 1e-12 * (1 + fabs(lo)); i++)
	{
		double		mid = (lo + hi) / 2;

		if (concave_slope(f, mid) > 0)
			lo = mid;
		else
			hi = mid;
	}
	mode = Min((lo + hi) / 2, y_end);
	top = concave_log(f, mode);
	curvature = concave_curvature(f, mode);
	width = curvature > 0 ? 1 / sqrt(curvature) : 1;
	if (panels != NULL)
		panels->n = 0;
	complete = concave_side(f, mode, -1, y_end, width / 2, top, &total, panels);
	if (panels != NULL)
	{
		/* the left side was laid right to left */
		for (int i = 0, j = panels->n - 1; i < j; i++, j--)
		{
			double		t;

			t = panels->lo[i], panels->lo[i] = panels->lo[j], panels->lo[j] = t;
			t = panels->hi[i], panels->hi[i] = panels->hi[j], panels->hi[j] = t;
			t = panels->mass[i], panels->mass[i] = panels->mass[j], panels->mass[j] = t;
		}
	}
	if (mode < y_end)
		complete = concave_side(f, mode, 1, y_end, width / 2, top, &total, panels) && complete;
	if (panels != NULL)
		panels->top = top;
	return complete ? top + log(total) : get_float8_nan();
}

/*
 * The u at which the integral from 0 reaches the share q (0 < q < 1) of
 * the whole laid out in panels: the panel it falls in, then bisection
 * within it, each step one panel's quadrature.
 */
double
clv_log_concave_quantile(const ClvLogConcave *f, const ClvLogConcavePanels *panels, double q)
{
	double		whole = 0,
				before = 0,
				lo,
				hi;
	int			i;

	for (i = 0; i < panels->n; i++)
		whole += panels->mass[i];
	for (i = 0; i < panels->n - 1 && before + panels->mass[i] < q * whole; i++)
		before += panels->mass[i];
	lo = panels->lo[i];
	hi = panels->hi[i];
	for (int step = 0; step < 100 && hi - lo > 1e-13 * (1 + fabs(lo)); step++)
	{
		double		mid = (lo + hi) / 2;

		if (before + concave_panel(f, panels->lo[i], mid, panels->top) < q * whole)
			lo = mid;
		else
			hi = mid;
	}
	return exp((lo + hi) / 2);
}

/*
 * ---- 1 - 2F1(a, b; c; w) at many points w <= 0 ----
 *
 * BG/NBD's expected purchases need E(w) = 1 - F(w), F = 2F1(a, b; c; .), at
 * the points w = k h (k = 1, 2, ..., h < 0) of a forecast's periods, for
 * every customer with the same frequency (a, b, c depend on nothing else).
 * F is analytic except on [1, oo), so its Taylor series about a centre
 * w0 <= 0 converges within 1 - w0 of it.  The axis is cut into pieces: piece
 * j is centred at w0 = 1 - D with D = Q^j and serves the points within
 * RHO D of it, where its series, in tau = (w - w0) / (RHO D), has terms
 * falling like RHO^n: some 22 terms give double precision, whatever the
 * point.  With Q = (1 + RHO) / (1 - RHO) the pieces meet, and 80 pieces
 * reach |w| = 3e11.  They are made as the points need them and kept by the
 * caller, so that customers with the same frequency share them.
 *
 * Piece 0 is the hypergeometric series itself.  About w0 < 0, F's Taylor
 * coefficients F_n satisfy, from the differential equation
 *   w(1-w) F'' + [c - (a+b+1) w] F' - a b F = 0,
 * with p0 = w0 (1 - w0), p1 = 1 - 2 w0, q0 = c - (a+b+1) w0,
 *   p0 (n+1)(n+2) F_{n+2} + (n+1)(p1 n + q0) F_{n+1} - (n+a)(n+b) F_n = 0.
 * F's are the recurrence's minimal solution (falling like (1 - w0)^-n); the
 * other, the equation's solution that is singular at w = 0, falls only like
 * |w0|^-n, and grows like n^(c-2) besides.  So the coefficients are run
 * forward from F(w0) and F'(w0) only where that other solution cannot
 * amplify rounding errors over the distances used (forward_amplification);
 * elsewhere they come from Miller's backward recurrence, as ratios (no
 * overflow), normalised by F(w0), and checked by doubling its start.  F and
 * F' at the next centre come from the previous piece's series, at
 * tau = -(Q - 1) / RHO = -2.4 where its terms fall like 0.4^n.
 *
 * E is carried apart from F (the centre's value e0 = 1 - F(w0); F's other
 * coefficients are all proportional to b), so that E keeps its relative
 * precision where it is small: near w = 0, and for b near 0.
 */
#define HYP_RHO (1.0 / 6)
#define HYP_Q (7.0 / 5)			/* (1 + RHO) / (1 - RHO) */
#define HYP_SEED_TAU (-2.4)		/* (1 - Q) / RHO: the next centre, in tau */
#define HYP_TOL 1e-17
#define HYP_MAX_TERMS 4096
#define HYP_MAX_MILLER (1 << 20)
#define HYP_MAX_PIECES 80
#define HYP_FORWARD_AMPLIFICATION 64.0
#define HYP_MAX_CANCELLATION 1e3	/* piece 0 may lose 3 of its 16 digits */

typedef struct HypPiece
{
	double		center;			/* w0 */
	double		inv_radius;		/* 1 / (RHO (1 - w0)) */
	double		reach;			/* serves the points with 1 - w up to (1 - w0)(1 + RHO) */
	double		e0;				/* 1 - F(w0) */
	int			nterms;
	double	   *coef;			/* coef[n] = F^(n)(w0) / n! (RHO (1 - w0))^n, n = 1..nterms */
} HypPiece;

struct ClvHypOneMinus
{
	double		a,
				b,
				c;
	MemoryContext context;
	int			npieces;
	HypPiece	pieces[HYP_MAX_PIECES];
	double		next_e;			/* 1 - F and F' at the next piece's centre */
	double		next_d;
	bool		ill_conditioned;	/* piece 0's sum cancels: see hyp_piece_zero */
};

static void
hyp_out_of_reach(const ClvHypOneMinus *f, double w)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("hypergeometric series 2F1(%g, %g; %g; %g) did not converge", f->a, f->b, f->c, w),
			 errhint("The prediction horizon is very long compared with the customer's age.")));
}

/*
 * How many terms (1..n) a piece needs to reach tau: the first n past which
 * three terms in a row are below HYP_TOL of the largest (a coefficient can
 * pass near 0 where it changes sign).  0 if none such.
 */
static int
hyp_settled(const double *terms, int n, double e0, double tau)
{
	double		scale = fabs(e0);
	double		power = 1;
	int			quiet = 0;
	int			peak = 0;

	for (int i = 1; i <= n; i++)
	{
		power *= fabs(tau);
		if (fabs(terms[i]) * power > scale)
		{
			scale = fabs(terms[i]) * power;
			peak = i;
		}
	}
	/* the quiet run must come after the largest term, not before it rises */
	power = 1;
	for (int i = 1; i <= n; i++)
	{
		power *= fabs(tau);
		quiet = i > peak && fabs(terms[i]) * power <= HYP_TOL * scale ? quiet + 1 : 0;
		if (quiet == 3)
			return i;
	}
	return 0;
}

/* Keep terms 1..n of a piece's series, as many as |tau| <= 1 needs. */
static void
hyp_keep_piece(ClvHypOneMinus *f, double center, double e0, const double *terms, int n)
{
	HypPiece   *piece = &f->pieces[f->npieces];
	int			keep = hyp_settled(terms, n, e0, 1);

	piece->center = center;
	piece->inv_radius = 1 / (HYP_RHO * (1 - center));
	piece->reach = (1 - center) * (1 + HYP_RHO);
	piece->e0 = e0;
	piece->nterms = keep > 0 ? keep : n;
	piece->coef = MemoryContextAlloc(f->context, (piece->nterms + 1) * sizeof(double));
	memcpy(piece->coef, terms, (piece->nterms + 1) * sizeof(double));
	f->npieces++;
}

/*
 * 1 - F and F' at the next piece's centre from this piece's series:
 * terms[1..n] are F's coefficients in tau, e0 = 1 - F at tau = 0.
 */
static void
hyp_seed_next(ClvHypOneMinus *f, double center, double e0, const double *terms, int n)
{
	double		next = 1 - (1 - center) * HYP_Q;
	double		radius = HYP_RHO * (1 - center);
	double		tau = (next - center) / radius;
	double		value = 0,
				slope = 0;

	/* Horner, from the smallest terms */
	for (int i = n; i >= 1; i--)
	{
		value = value * tau + terms[i];
		slope = slope * tau + i * terms[i];
	}
	f->next_e = e0 - value * tau;
	f->next_d = slope / radius;
}

/*
 * Whether piece 0's terms fall from term n on, evaluated as far as the next
 * centre: the ratio of term m+1 to m there is g(m) RHO |HYP_SEED_TAU|, with
 * g(m) = (a+m)(b+m) / ((c+m)(m+1)).  Each factor of g is monotone in m and
 * tends to 1, so the larger of 1 and each factor now bounds g from n on; and
 * since g(m) - 1 = (ab - c + m (a+b-c-1)) / ((c+m)(m+1)), g stays at most 1
 * when that numerator is at most 0 at n and does not grow.  The second bound
 * is the one that holds for b in the millions beside a larger c (a BG/NBD
 * fit whose dropout probability hardly varies), where the first would wait
 * for n near b.
 */
static bool
hyp_terms_fall_for_good(const ClvHypOneMinus *f, int n)
{
	double		slope = f->a + f->b - f->c - 1;
	double		bound;

	if (slope <= 0 && f->a * f->b - f->c + n * slope <= 0)
		bound = 1;
	else
		bound = Max(1, (f->a + n) / (f->c + n)) * Max(1, (f->b + n) / (n + 1));
	return bound * HYP_RHO * fabs(HYP_SEED_TAU) < 1;
}

/* Piece 0: the series sum_n (a)_n (b)_n / ((c)_n n!) w^n, in tau = w / RHO. */
static void
hyp_piece_zero(ClvHypOneMinus *f, double *terms)
{
	int			n,
				settled = 0;

	terms[0] = 1;
	for (n = 1; n < HYP_MAX_TERMS - 1; n++)
	{
		terms[n] = terms[n - 1] * (f->a + (n - 1)) * (f->b + (n - 1)) / ((f->c + (n - 1)) * n) * HYP_RHO;
		if (!isfinite(terms[n]))
			break;
		/* check now and then, once the terms fall for good */
		if (n % 8 == 0 && hyp_terms_fall_for_good(f, n) &&
			(settled = hyp_settled(terms, n, 0, HYP_SEED_TAU)) > 0)
			break;
	}
	if (settled == 0)
		hyp_out_of_reach(f, 0);
	hyp_seed_next(f, 0, 0, terms, settled);
	hyp_keep_piece(f, 0, 0, terms, settled);

	/*
	 * Where the terms at the next centre rise far above the value they sum
	 * to, that value and every piece seeded from it keep only what the
	 * cancellation leaves (a and b in the hundreds or more with c not much
	 * larger, a BG/NBD fit with b large and many purchases): the caller
	 * must evaluate such points otherwise.
	 */
	{
		double		power = 1,
					largest = 0;

		for (int i = 1; i <= settled; i++)
		{
			power *= fabs(HYP_SEED_TAU);
			largest = Max(largest, fabs(terms[i]) * power);
		}
		f->ill_conditioned = largest > HYP_MAX_CANCELLATION * fabs(1 - f->next_e);
	}
}

/*
 * The largest factor by which the recurrence's other solution, against F's,
 * can grow from one term to a later one over distance ratio x |w0|:
 * max_n C(n+c-2, n) ratio^n (its coefficients go like those of w^(1-c)).
 */
static double
forward_amplification(double c, double ratio)
{
	double		term = 1,
				worst = 1;

	if (!(ratio < 1))
		return INFINITY;
	for (int n = 1; n < HYP_MAX_TERMS; n++)
	{
		double		step = fabs(n + c - 2) / n * ratio;

		term *= step;
		worst = Max(worst, term);
		if ((step < 1 && term < 1e-3 * worst) || worst > HYP_FORWARD_AMPLIFICATION)
			break;
	}
	return worst;
}

/* The recurrence about w0 (see above), scaled to tau: what F_n's need. */
typedef struct HypRecurrence
{
	double		radius;			/* RHO (1 - w0) */
	double		p0,
				p1,
				q0;
} HypRecurrence;

/* terms[2..n] from terms[0] = F(w0) and terms[1] = F'(w0) radius, forward */
static void
hyp_forward(const ClvHypOneMinus *f, const HypRecurrence *rec, double *terms, int n)
{
	double		R = rec->radius;

	for (int i = 2; i <= n; i++)
	{
		double		k = i - 2;

		terms[i] = ((k + f->a) * (k + f->b) * R * R * terms[i - 2] -
					(k + 1) * (rec->p1 * k + rec->q0) * R * terms[i - 1]) /
			(rec->p0 * (k + 1) * (k + 2));
	}
}

/*
 * terms[1..n] from terms[0] = F(w0) by Miller's backward recurrence, from
 * F_{start} = 0, on the ratios F_{k+1} / F_k.
 */
static void
hyp_backward(const ClvHypOneMinus *f, const HypRecurrence *rec, double *terms, int n, int start)
{
	double		R = rec->radius;
	double		ratio = 0;		/* F_{k+1} / F_k, from F_start = 0 */

	for (int k = start - 1; k >= 0; k--)
	{
		ratio = (k + f->a) * (k + f->b) * R * R /
			((k + 1) * (rec->p1 * k + rec->q0) * R + rec->p0 * (k + 1) * (k + 2) * ratio);
		if (k < n)
			terms[k + 1] = ratio;
	}
	for (int k = 1; k <= n; k++)
		terms[k] *= terms[k - 1];
}

/*
 * Miller's coefficients, n of them, started further out until two starts
 * agree at the next centre's tau to HYP_TOL of the largest term: false if
 * they never do.
 */
static bool
hyp_backward_converged(const ClvHypOneMinus *f, const HypRecurrence *rec, double e0,
					   double *terms, int n)
{
	double	   *trial = palloc((n + 1) * sizeof(double));
	bool		agreed = false;

	trial[0] = terms[0];
	hyp_backward(f, rec, terms, n, n + 32);
	for (int start = 2 * (n + 32); start <= HYP_MAX_MILLER && !agreed; start *= 2)
	{
		double		scale = fabs(e0),
					gap = 0,
					power = 1;

		hyp_backward(f, rec, trial, n, start);
		for (int k = 1; k <= n; k++)
		{
			power *= fabs(HYP_SEED_TAU);
			scale = Max(scale, fabs(trial[k]) * power);
			gap = Max(gap, fabs(trial[k] - terms[k]) * power);
		}
		agreed = gap <= HYP_TOL * scale;
		memcpy(terms, trial, (n + 1) * sizeof(double));
		CHECK_FOR_INTERRUPTS();
	}
	pfree(trial);
	return agreed;
}

/* The next piece, about 1 - D, from 1 - F and F' there (next_e, next_d). */
static void
hyp_piece_next(ClvHypOneMinus *f, double *terms)
{
	const HypPiece *previous = &f->pieces[f->npieces - 1];
	double		D = (1 - previous->center) * HYP_Q;
	double		center = 1 - D;
	double		e0 = f->next_e;
	HypRecurrence rec;
	bool		forward;
	int			settled = 0;

	if (f->npieces == HYP_MAX_PIECES)
		hyp_out_of_reach(f, center);
	rec.radius = HYP_RHO * D;
	rec.p0 = center * D;
	rec.p1 = 1 - 2 * center;
	rec.q0 = f->c - (f->a + f->b + 1) * center;
	/* the farthest the series is taken from w0: the next centre */
	forward = forward_amplification(f->c, (HYP_Q - 1) * D / (D - 1)) <= HYP_FORWARD_AMPLIFICATION;
	terms[0] = 1 - e0;
	terms[1] = f->next_d * rec.radius;
	for (int n = 64; n < HYP_MAX_TERMS && settled == 0; n *= 2)
	{
		if (forward)
			hyp_forward(f, &rec, terms, n);
		else if (!hyp_backward_converged(f, &rec, e0, terms, n))
			break;
		settled = hyp_settled(terms, n, e0, HYP_SEED_TAU);
	}
	if (settled == 0)
		hyp_out_of_reach(f, center);
	hyp_seed_next(f, center, e0, terms, settled);
	hyp_keep_piece(f, center, e0, terms, settled);
}

/*
 * For 2F1(a, b; c; w) with c > 0, b != 0: the pieces are made when first
 * needed, in context (which must live as long as the result).
 */
ClvHypOneMinus *
clv_hyp_one_minus_new(double a, double b, double c, MemoryContext context)
{
	ClvHypOneMinus *f = MemoryContextAlloc(context, sizeof(ClvHypOneMinus));

	f->a = a;
	f->b = b;
	f->c = c;
	f->context = context;
	f->npieces = 0;
	f->ill_conditioned = false;
	return f;
}

void
clv_hyp_one_minus_free(ClvHypOneMinus *f)
{
	for (int j = 0; j < f->npieces; j++)
		pfree(f->pieces[j].coef);
	pfree(f);
}

static void
hyp_add_piece(ClvHypOneMinus *f)
{
	double	   *terms = palloc(HYP_MAX_TERMS * sizeof(double));

	if (f->npieces == 0)
		hyp_piece_zero(f, terms);
	else
		hyp_piece_next(f, terms);
	pfree(terms);
}

/* 1 - F at tau on a piece */
static inline double
hyp_piece_eval(const HypPiece *piece, double tau)
{
	const double *coef = piece->coef;
	double		sum = coef[piece->nterms];

	for (int n = piece->nterms - 1; n >= 1; n--)
		sum = sum * tau + coef[n];
	return piece->e0 - sum * tau;
}

/*
 * sum_{k=1..n} weight[k] (1 - F(k h)) for h <= 0, and 1 - F(n h) in *last.
 * Points whose weight is 0 are skipped (but for the last).  NaN (in both)
 * when the expansions cannot give F to the precision the rest of clv keeps
 * (hyp_piece_zero): the caller evaluates each point on its own instead.
 */
double
clv_hyp_one_minus_sum(ClvHypOneMinus *f, double h, int n, const double *weight, double *last)
{
	double		total = 0;
	double		value = 0;
	int			j = 0;

	Assert(h <= 0);
	if (f->npieces == 0)
		hyp_add_piece(f);
	if (f->ill_conditioned)
		return *last = get_float8_nan();
	for (int k = 1; k <= n; k++)
	{
		double		w = k * h;
		const HypPiece *piece;

		if (weight[k] == 0 && k < n)
			continue;
		/* the points move away from 0: so do their pieces */
		while (1 - w > f->pieces[j].reach)
		{
			if (++j == f->npieces)
			{
				if (!isfinite(w))
					hyp_out_of_reach(f, w);
				hyp_add_piece(f);
			}
		}
		piece = &f->pieces[j];
		value = hyp_piece_eval(piece, (w - piece->center) * piece->inv_radius);
		total += weight[k] * value;
	}
	*last = value;
	return total;
}
