/*
 * fit.h: maximum-likelihood fitting of a model over a pattern set.
 */
#ifndef CLV_FIT_H
#define CLV_FIT_H

#include "model.h"
#include "patterns.h"

/*
 * The total log-likelihood of the patterns at theta (natural parameters),
 * and when grad is not NULL its gradient in theta.
 */
/*
 * A parameter that ends more than a factor e^20 (5e8) away from its start is
 * taken as a fit gone astray (fit.c says why it is measured from the start).
 */
#define CLV_MAX_ABS_LOG_PARAM 20.0

typedef double (*clv_loglik) (const PatternSet *data, const double *theta, double *grad);

extern ClvModel *clv_fit(ClvModelKind kind, clv_loglik loglik, const PatternSet *data,
						 const PatternSet *coarse, double *log_theta);
extern ClvModel *clv_fit_candidate(ClvModelKind kind, clv_loglik loglik, const PatternSet *data,
								   const PatternSet *coarse, double *log_theta, bool raise);
extern void clv_fit_warn_weak(const ClvModel *model);

/* BG/NBD's and MBG/NBD's likelihoods (bgnbd.c), which cnbd.c's equal at k = 1 */
extern double clv_bgnbd_total_ll(const PatternSet *data, const double *theta, double *grad);
extern double clv_mbgnbd_total_ll(const PatternSet *data, const double *theta, double *grad);
/* one history's log-likelihood at its own parameters, with its gradient (covariates.c) */
extern double clv_bgnbd_history_ll(bool modified, const double *theta, double x, double t_x, double T,
								   double *grad);
extern double clv_paretonbd_history_ll(const double *theta, double x, double t_x, double T, double *grad);
extern double clv_gammagamma_history_ll(const double *theta, double x, double m, double *grad);

#endif							/* CLV_FIT_H */
