/*
 * special.h: special functions the probability models need.
 */
#ifndef CLV_SPECIAL_H
#define CLV_SPECIAL_H

#include "utils/palloc.h"

extern double clv_digamma(double x);
extern double clv_lgamma_ratio(double b, double x);
extern double clv_digamma_ratio(double b, double x);
extern double clv_gamma_q(double a, double x);
extern double clv_beta_inc(double a, double b, double x, double y);

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

#endif							/* CLV_SPECIAL_H */
