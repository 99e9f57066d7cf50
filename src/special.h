/*
 * special.h: special functions the probability models need.
 */
#ifndef CLV_SPECIAL_H
#define CLV_SPECIAL_H

#include "utils/palloc.h"

extern double clv_digamma(double x);
extern double clv_lgamma_series(double w);
extern double clv_lgamma_ratio(double b, double x);
extern double clv_digamma_ratio(double b, double x);
extern double clv_gamma_q(double a, double x);
extern double clv_beta_inc(double a, double b, double x, double y);
extern double clv_logistic(double z);
extern double clv_softplus(double z);

/*
 * h(y) = exp(c - sum_i p[i] log(1 + e^(side[i] (y - l[i])))), y = log u,
 * log-concave: its integral over u in (0, u_end] (special.c), and the
 * panels laid for it.  Terms with p[i] = 0 are left out.
 */
#define CLV_CONCAVE_TERMS 4

typedef struct ClvLogConcave
{
	double		c;
	double		p[CLV_CONCAVE_TERMS];
	double		side[CLV_CONCAVE_TERMS];
	double		l[CLV_CONCAVE_TERMS];
} ClvLogConcave;

#define CLV_CONCAVE_MAX_PANELS 400

typedef struct ClvLogConcavePanels
{
	int			n;
	double		top;
	double		lo[CLV_CONCAVE_MAX_PANELS];
	double		hi[CLV_CONCAVE_MAX_PANELS];
	double		mass[CLV_CONCAVE_MAX_PANELS];
} ClvLogConcavePanels;

extern double clv_log_concave_integral(const ClvLogConcave *f, double u_end, ClvLogConcavePanels *panels);
extern double clv_log_concave_quantile(const ClvLogConcave *f, const ClvLogConcavePanels *panels, double q);

/*
 * 20-point Gauss-Legendre on [-1, 1]: nodes +clv_gl_nodes[i] and
 * -clv_gl_nodes[i], both with weight clv_gl_weights[i].
 */
#define CLV_GL_HALF 10
extern const double clv_gl_nodes[CLV_GL_HALF];
extern const double clv_gl_weights[CLV_GL_HALF];

/* 1 - 2F1(a, b; c; w) at the points w = k h <= 0, sharing its work across calls */
typedef struct ClvHypOneMinus ClvHypOneMinus;

extern ClvHypOneMinus *clv_hyp_one_minus_new(double a, double b, double c, MemoryContext context);
extern void clv_hyp_one_minus_free(ClvHypOneMinus *f);
extern double clv_hyp_one_minus_sum(ClvHypOneMinus *f, double h, int n, const double *weight,
									double *last);

/*
 * t / (alpha + T), the horizon against a customer's shifted age, also where
 * alpha + T is beyond a double (both near 1e308) and the ratio is not.
 * Inline: the predicted value computes it once per period and customer.
 */
static inline double
clv_horizon_ratio(double t, double alpha, double T)
{
	double		base = alpha + T;

	return isinf(base) ? exp(log(t) - log(alpha) - log1p(T / alpha)) : t / base;
}

/* t / (alpha + T + t), from clv_horizon_ratio where the sum is beyond a double */
static inline double
clv_horizon_share(double t, double alpha, double T)
{
	double		whole = alpha + T + t;
	double		ratio;

	if (!isinf(whole))
		return t / whole;
	ratio = clv_horizon_ratio(t, alpha, T);
	return ratio / (1 + ratio);
}

#endif							/* CLV_SPECIAL_H */
