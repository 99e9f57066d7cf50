/*
 * model.h: the clv_model type, a fitted model with its diagnostics.
 */
#ifndef CLV_MODEL_H
#define CLV_MODEL_H

#include "clv.h"

typedef enum ClvModelKind
{
	CLV_MODEL_BGNBD = 1,
	CLV_MODEL_GAMMAGAMMA = 2,
	CLV_MODEL_MBGNBD = 3,
	CLV_MODEL_PARETONBD = 4,
	CLV_MODEL_BGBB = 5,
	CLV_MODEL_SBG = 6,
	CLV_MODEL_MBGCNBD = 7,
	CLV_MODEL_BGCNBD = 8
} ClvModelKind;

/*
 * The largest k (Erlang-k inter-purchase times) of MBG/CNBD-k and
 * BG/CNBD-k: a fit that chooses k tries 1, 2, ... up to it.
 */
#define CLV_MODEL_MAX_SHAPE 12

#define CLV_MODEL_MAX_PARAMS 4

/* flags */
#define CLV_MODEL_CONVERGED		0x0001
#define CLV_MODEL_HAS_COVARIANCE 0x0002
#define CLV_MODEL_WEAK			0x0004	/* parameters poorly determined by the data */
#define CLV_MODEL_ALL_FLAGS		0x0007

/*
 * Stored as a varlena so that later versions can grow it.  covariance is
 * the covariance of the log-parameters (n x n, row major), meaningful only
 * with CLV_MODEL_HAS_COVARIANCE.
 */
typedef struct ClvModel
{
	int32		vl_len_;
	int16		kind;
	uint16		flags;
	int32		iterations;
	int32		shape;			/* k of MBG/CNBD-k and BG/CNBD-k; 0 for the
								 * other kinds (and in 0.3.0's values, where
								 * these bytes were padding set to 0) */
	int64		customers;
	double		log_likelihood;
	double		penalizer;
	double		params[CLV_MODEL_MAX_PARAMS];
	double		covariance[CLV_MODEL_MAX_PARAMS * CLV_MODEL_MAX_PARAMS];
} ClvModel;

/*
 * A model with static covariates (covariates.c): a BG/NBD, MBG/NBD,
 * Pareto/NBD or Gamma-Gamma model whose fields are the baseline, a customer
 * with every covariate 0, followed by one coefficient per covariate for each
 * parameter the covariates move (clv_covariate_kind):
 *   BG/NBD, MBG/NBD: alpha_i = alpha exp(-purchase . z_i),
 *                    a_i = a exp(dropout_a . z_i), b_i = b exp(dropout_b . z_i)
 *                    (as PyMC-Marketing's BetaGeoModel);
 *   Pareto/NBD:      alpha_i = alpha exp(-purchase . z_i),
 *                    beta_i = beta exp(-dropout . z_i) (as CLVTools);
 *   Gamma-Gamma:     gamma_i = gamma exp(spend . z_i).
 * A customer's scores are the plain model's at these parameters
 * (clv_model_individual).  The base's covariance is the baseline
 * log-parameters' block of the whole fit's; std_error holds the
 * coefficients' standard errors (all 0 without a covariance).
 * null_log_likelihood is the same fit without covariates, for the
 * likelihood-ratio test.  A value is one or the other by its size.
 */
#define CLV_MAX_COVARIATES 8
#define CLV_COVARIATE_GROUPS 3
#define CLV_COVARIATE_PENALIZERS 2

typedef struct ClvCovariateModel
{
	ClvModel	base;
	int32		ncovariates;
	int32		ngroups;		/* the kind's (clv_covariate_kind) */
	double		null_log_likelihood;
	double		penalizer[CLV_COVARIATE_PENALIZERS];	/* L2 on each kind's groups of coefficients */
	double		coef[CLV_COVARIATE_GROUPS][CLV_MAX_COVARIATES];
	double		std_error[CLV_COVARIATE_GROUPS][CLV_MAX_COVARIATES];
} ClvCovariateModel;

/* one group of coefficients: the baseline parameter it moves, in which direction, under which penalizer */
typedef struct ClvCovariateGroup
{
	const char *name;			/* in the text form and jsonb */
	int			param;			/* index in params */
	double		sign;
	int			penalizer;		/* index in ClvCovariateModel.penalizer */
} ClvCovariateGroup;

typedef struct ClvCovariateKind
{
	ClvModelKind kind;
	int			ngroups;
	ClvCovariateGroup groups[CLV_COVARIATE_GROUPS];
	int			npenalizers;
	const char *penalizer_names[CLV_COVARIATE_PENALIZERS];
} ClvCovariateKind;

/* the covariates a model kind takes, or NULL */
extern const ClvCovariateKind *clv_covariate_kind(int kind);

typedef struct ClvModelKindInfo
{
	ClvModelKind kind;
	const char *name;			/* in the text form */
	const char *label;			/* in messages */
	bool		probability;	/* its likelihood is a probability: at most 1 */
	int			nparams;
	const char *param_names[CLV_MODEL_MAX_PARAMS];
} ClvModelKindInfo;

extern const ClvModelKindInfo *clv_model_kind_info(int kind);
extern bool clv_model_has_shape(int kind);
extern ClvModel *clv_model_new(ClvModelKind kind);
extern void clv_model_check(const ClvModel *model);
extern bool clv_model_has_covariates(const ClvModel *model);
extern void clv_covariate_model_check(const ClvCovariateModel *model);
extern void clv_model_check_any(const ClvModel *model);
extern const ClvModel *clv_model_arg(FunctionCallInfo fcinfo, int argno, ClvModelKind kind);

#define DatumGetClvModelP(X) ((ClvModel *) PG_DETOAST_DATUM(X))
#define PG_GETARG_CLV_MODEL_P(n) DatumGetClvModelP(PG_GETARG_DATUM(n))

#endif							/* CLV_MODEL_H */
