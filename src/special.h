/*
 * special.h: special functions the probability models need.
 */
#ifndef CLV_SPECIAL_H
#define CLV_SPECIAL_H

extern double clv_digamma(double x);
extern double clv_hyp2f1(double a, double b, double c, double z);
extern double clv_lgamma_ratio(double b, double x);
extern double clv_digamma_ratio(double b, double x);
extern double clv_gamma_q(double a, double x);
extern double clv_beta_inc(double a, double b, double x, double y);

#endif							/* CLV_SPECIAL_H */
