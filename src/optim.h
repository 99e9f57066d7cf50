/*
 * optim.h: quasi-Newton minimisation for the model fits.
 */
#ifndef CLV_OPTIM_H
#define CLV_OPTIM_H

#include <stdbool.h>

/* a model's 4 parameters and 3 groups of coefficients for 8 covariates (model.h) */
#define CLV_OPTIM_MAX_PARAMS 28

/* f(x) and, when grad is not NULL, its gradient; returns f (may be Inf) */
typedef double (*clv_objective) (const double *x, double *grad, void *arg);

typedef struct ClvOptimResult
{
	double		value;			/* f at the solution */
	int			iterations;
	int			evaluations;	/* of f, line searches included */
	bool		converged;
	bool		at_edge;		/* stopped against points where f is not finite */
} ClvOptimResult;

/* max_evaluations for a minimisation bounded only by its iterations */
#define CLV_OPTIM_ANY_EVALUATIONS 0

extern ClvOptimResult clv_minimize(clv_objective f, void *arg, double *x, int n,
								   double *inverse_hessian, int max_evaluations);
extern bool clv_inverse_hessian(clv_objective f, void *arg, const double *x, const double *gradient,
								int n, double *covariance);

#endif							/* CLV_OPTIM_H */
