/*
 * fit.c: one way to fit every model.
 *
 * The optimizer works on log-parameters, so every parameter stays positive,
 * and minimises minus the mean log-likelihood plus penalizer x sum(theta^2)
 * (lifetimes' penalizer_coef).  The result is a model only if the optimizer
 * converged and no parameter ran off towards 0 or infinity; otherwise an
 * error says where it stopped.  Standard errors come from the observed
 * information (the Hessian of minus the total log-likelihood in the
 * log-parameters); a fit whose parameters the data barely determine gets a
 * warning.
 */
#include "fit.h"

#include "lib/stringinfo.h"
#include "utils/float.h"

#include "optim.h"

/*
 * CLV_MAX_ABS_LOG_PARAM (fit.h) is measured from the start, not from 1:
 * scale parameters start at the data's own scale (gamma at the mean spend,
 * alpha at the mean gap), so spend in cents or time in seconds fits as well
 * as spend in euros or time in days.
 */

static ClvModel *fit_model(ClvModelKind kind, clv_loglik loglik, const PatternSet *data,
						   const PatternSet *coarse, double *log_theta, bool raise);

typedef struct Objective
{
	clv_loglik	loglik;
	const PatternSet *data;
	int			nparams;
	double		scale;			/* 1 / customers for the mean, 1 for the total */
	double		penalizer;
} Objective;

static double
objective(const double *log_theta, double *grad, void *arg)
{
	const Objective *o = arg;
	double		theta[CLV_MODEL_MAX_PARAMS];
	double		value;

	for (int k = 0; k < o->nparams; k++)
	{
		theta[k] = exp(log_theta[k]);
		if (!(theta[k] > 0 && isfinite(theta[k])))
			return get_float8_infinity();
	}
	value = -o->loglik(o->data, theta, grad) * o->scale;
	for (int k = 0; k < o->nparams; k++)
	{
		value += o->penalizer * theta[k] * theta[k];
		if (grad != NULL)
			grad[k] = -grad[k] * theta[k] * o->scale + 2 * o->penalizer * theta[k] * theta[k];
	}
	return isfinite(value) ? value : get_float8_infinity();
}

/* An estimate that ran off towards 0 or infinity from where it started is no estimate. */
static bool
ran_off(const double *log_theta, const double *start, int n)
{
	for (int k = 0; k < n; k++)
		if (!(fabs(log_theta[k] - start[k]) < CLV_MAX_ABS_LOG_PARAM))
			return true;
	return false;
}

/*
 * The optimum of the data from a coarse copy's (clv_coarse_purchase_patterns):
 * the copy is fitted first, and the fit of the data starts from its
 * estimate and its curvature, so that the many iterations far from the
 * optimum run over a fraction of the patterns.  False, with log_theta as it
 * was, when either fit fails to converge or runs off: data that do not
 * determine the model (a likelihood flat along a ridge) may send the warm
 * fit further along the ridge than the direct one, and the direct fit then
 * decides, as if there had been no copy.  *spent counts the work either way.
 *
 * Each fit has a budget of evaluations, past which the start is not worth
 * it and the direct fit decides: two to three times the most either took
 * where the start works (a copy's fit 17 to 50 evaluations, the data's from
 * its optimum 2 to 12, in test/pgtap and the benchmarks).  Without them, a copy
 * whose optimum was far along a ridge from the data's (Pareto/NBD over
 * customers who leave within days) sent the data's fit through 604
 * evaluations, about 25 direct fits' worth, before it gave up.
 */
#define COARSE_FIT_EVALUATIONS 100
#define WARM_FIT_EVALUATIONS 30

static bool
fit_from_coarse(const Objective *mean, const PatternSet *coarse, double *log_theta, ClvOptimResult *result,
				ClvOptimResult *spent)
{
	int			n = mean->nparams;
	Objective	coarse_mean = {mean->loglik, coarse, n, 1 / coarse->customers, coarse->penalizer};
	double		inverse_hessian[CLV_MODEL_MAX_PARAMS * CLV_MODEL_MAX_PARAMS];
	double		warm[CLV_MODEL_MAX_PARAMS];

	memcpy(warm, log_theta, n * sizeof(double));
	for (int i = 0; i < n * n; i++)
		inverse_hessian[i] = (i % (n + 1) == 0);
	*result = clv_minimize(objective, &coarse_mean, warm, n, inverse_hessian, COARSE_FIT_EVALUATIONS);
	spent->iterations += result->iterations;
	spent->evaluations += result->evaluations;
	if (!result->converged || ran_off(warm, log_theta, n))
		return false;
	*result = clv_minimize(objective, (void *) mean, warm, n, inverse_hessian, WARM_FIT_EVALUATIONS);
	if (!result->converged || ran_off(warm, log_theta, n))
	{
		spent->iterations += result->iterations;
		spent->evaluations += result->evaluations;
		return false;
	}
	memcpy(log_theta, warm, n * sizeof(double));
	return true;
}

/*
 * Fit a model of the given kind to data from log_theta (replaced by the
 * estimate).  coarse, when not NULL, is a coarse copy of the data to start
 * from (fit_from_coarse); the model is the optimum of the data either way,
 * to the same tolerance.  A fit that does not converge is an error; a
 * model whose parameters the data barely determine comes with a warning.
 */
ClvModel *
clv_fit(ClvModelKind kind, clv_loglik loglik, const PatternSet *data, const PatternSet *coarse,
		double *log_theta)
{
	ClvModel   *model = fit_model(kind, loglik, data, coarse, log_theta, true);

	clv_fit_warn_weak(model);
	return model;
}

/*
 * The same fit as one candidate among several (the k of a regularity
 * model), without the warning, which the caller gives for the candidate it
 * keeps; with raise false, NULL instead of an error when it does not
 * converge.
 */
ClvModel *
clv_fit_candidate(ClvModelKind kind, clv_loglik loglik, const PatternSet *data, const PatternSet *coarse,
				  double *log_theta, bool raise)
{
	return fit_model(kind, loglik, data, coarse, log_theta, raise);
}

/* The warning of a model whose parameters the data barely determine. */
void
clv_fit_warn_weak(const ClvModel *model)
{
	if (model->flags & CLV_MODEL_WEAK)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s parameters are poorly determined by these " INT64_FORMAT " customers",
						clv_model_kind_info(model->kind)->label, model->customers),
				 errdetail("A parameter's standard error exceeds its own size, or the information matrix is singular."),
				 errhint("Fit on more customers or a longer history, or add a penalizer.")));
}

static ClvModel *
fit_model(ClvModelKind kind, clv_loglik loglik, const PatternSet *data, const PatternSet *coarse,
		  double *log_theta, bool raise)
{
	const ClvModelKindInfo *info = clv_model_kind_info(kind);
	int			n = info->nparams;
	Objective	mean = {loglik, data, n, 1 / data->customers, data->penalizer};
	Objective	total = {loglik, data, n, 1, 0};
	double		covariance[CLV_MODEL_MAX_PARAMS * CLV_MODEL_MAX_PARAMS];
	double		start[CLV_MODEL_MAX_PARAMS];
	double		gradient[CLV_MODEL_MAX_PARAMS];
	ClvOptimResult result,
				spent = {0};
	ClvModel   *model = clv_model_new(kind);
	bool		weak = false;

	if (clv_model_has_shape(kind))
		model->shape = data->shape;

	memcpy(start, log_theta, n * sizeof(double));
	if (coarse == NULL || !fit_from_coarse(&mean, coarse, log_theta, &result, &spent))
		result = clv_minimize(objective, &mean, log_theta, n, NULL, CLV_OPTIM_ANY_EVALUATIONS);
	result.iterations += spent.iterations;
	result.evaluations += spent.evaluations;
	if (ran_off(log_theta, start, n))
		result.converged = false;
	for (int k = 0; k < n; k++)
		model->params[k] = exp(log_theta[k]);
	/* minus the total objective is the log-likelihood; its gradient starts the Hessian */
	model->log_likelihood = -objective(log_theta, gradient, &total);
	model->customers = (int64) data->customers;
	model->iterations = result.iterations;
	model->penalizer = data->penalizer;
	if ((!isfinite(model->log_likelihood) || !result.converged) && !raise)
		return NULL;
	if (!isfinite(model->log_likelihood) || !result.converged)
	{
		StringInfoData params;

		initStringInfo(&params);
		for (int k = 0; k < n; k++)
			appendStringInfo(&params, "%s %g, ", info->param_names[k], model->params[k]);
		if (result.at_edge)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s fit did not converge", info->label),
					 errdetail("The parameters ran off to where the likelihood cannot be computed, and the fit stopped there after %d iterations and %d evaluations of the likelihood: %slog-likelihood %g, over %.0f customers.",
							   result.iterations, result.evaluations, params.data,
							   model->log_likelihood, data->customers),
					 errhint("The data may not identify the model: for example, when every customer's lifetime has about the same mean, Pareto/NBD's s and beta grow together without end. A penalizer such as 0.001 keeps the parameters finite.")));
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s fit did not converge", info->label),
				 errdetail("After %d iterations and %d evaluations of the likelihood: %slog-likelihood %g, over %.0f customers.",
						   result.iterations, result.evaluations, params.data,
						   model->log_likelihood, data->customers),
				 errhint("The data may not identify the model (too few customers or too short a history); a penalizer such as 0.001 keeps the parameters finite.")));
	}
	model->flags |= CLV_MODEL_CONVERGED;

	if (clv_inverse_hessian(objective, &total, log_theta, gradient, n, covariance))
	{
		model->flags |= CLV_MODEL_HAS_COVARIANCE;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
				model->covariance[i * CLV_MODEL_MAX_PARAMS + j] =
					(covariance[i * n + j] + covariance[j * n + i]) / 2;
		/* a standard error above 1 on a log-parameter: the data cannot tell theta from e theta */
		for (int k = 0; k < n; k++)
			weak |= model->covariance[k * CLV_MODEL_MAX_PARAMS + k] > 1;
	}
	else
		weak = true;
	if (weak)
		model->flags |= CLV_MODEL_WEAK;
	clv_model_check(model);
	return model;
}
