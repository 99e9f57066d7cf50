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
extern const ClvModel *clv_model_arg(FunctionCallInfo fcinfo, int argno, ClvModelKind kind);

#define DatumGetClvModelP(X) ((ClvModel *) PG_DETOAST_DATUM(X))
#define PG_GETARG_CLV_MODEL_P(n) DatumGetClvModelP(PG_GETARG_DATUM(n))

#endif							/* CLV_MODEL_H */
