/*
 * purchases.c: any purchase model (BG/NBD, MBG/NBD, Pareto/NBD, MBG/CNBD-k
 * or BG/CNBD-k).  The model argument is checked here and each score is
 * sent to its model's own file, bgnbd.c, paretonbd.c or cnbd.c, which are
 * siblings; the SQL-callable scores that take any purchase model
 * (clv_p_alive, clv_expected_purchases, clv_expected_purchases_new) are
 * here too.  Those three also take BG/BB (bgbb.c), whose history counts
 * opportunities instead of time; the rest of clv (summaries, predicted
 * value, the pipeline) works in continuous time and refuses it
 * (clv_purchase_model_arg).
 */
#include "model.h"
#include "scores.h"
#include "summary.h"

PG_FUNCTION_INFO_V1(clv_bgnbd_p_alive);
PG_FUNCTION_INFO_V1(clv_bgnbd_p_alive_summary);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases_summary);
PG_FUNCTION_INFO_V1(clv_bgnbd_expected_purchases_new);

static bool
is_paretonbd(const ClvModel *model)
{
	return model->kind == CLV_MODEL_PARETONBD;
}

double
clv_purchases_p_alive(const ClvModel *model, double x, double t_x, double T)
{
	if (clv_model_has_shape(model->kind))
		return clv_cnbd_p_alive(model, x, t_x, T);
	return is_paretonbd(model) ? clv_paretonbd_p_alive(model, x, t_x, T) :
		clv_bgnbd_p_alive_of(model, x, t_x, T);
}

double
clv_purchases_log_dropout_odds(const ClvModel *model, double x, double t_x, double T)
{
	if (clv_model_has_shape(model->kind))
		return clv_cnbd_log_dropout_odds(model, x, t_x, T);
	return is_paretonbd(model) ? clv_paretonbd_log_dropout_odds(model, x, t_x, T) :
		clv_bgnbd_log_dropout_odds_of(model, x, t_x, T);
}

double
clv_purchases_expected(const ClvModel *model, double t, double x, double t_x, double T)
{
	if (clv_model_has_shape(model->kind))
		return clv_cnbd_expected(model, t, x, t_x, T);
	return is_paretonbd(model) ? clv_paretonbd_expected(model, t, x, t_x, T) :
		clv_bgnbd_expected_of(model, t, x, t_x, T);
}

double
clv_purchases_expected_sum(const ClvModel *model, double x, double t_x, double T,
						   double units, int32 periods, const double *weight,
						   ClvPurchasesCache **cache, MemoryContext context)
{
	if (clv_model_has_shape(model->kind))
		return clv_cnbd_expected_sum(model, x, t_x, T, units, periods, weight);
	return is_paretonbd(model) ? clv_paretonbd_expected_sum(model, x, t_x, T, units, periods, weight) :
		clv_bgnbd_expected_sum_of(model, x, t_x, T, units, periods, weight, cache, context);
}

/*
 * A continuous-time purchase model argument (BG/NBD, MBG/NBD, Pareto/NBD,
 * MBG/CNBD-k or BG/CNBD-k), checked.
 */
const ClvModel *
clv_purchase_model_arg(FunctionCallInfo fcinfo, int argno)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(argno);

	clv_model_check(model);
	if (model->kind == CLV_MODEL_BGBB)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function needs a continuous-time purchase model (bgnbd, mbgnbd, paretonbd, mbgcnbd or bgcnbd), not bgbb"),
				 errdetail("BG/BB counts transaction opportunities, not time since the first purchase."),
				 errhint("Score BG/BB with clv_p_alive(model, frequency, recency, periods) and clv_expected_purchases(model, t, frequency, recency, periods).")));
	if (model->kind != CLV_MODEL_BGNBD && model->kind != CLV_MODEL_MBGNBD &&
		model->kind != CLV_MODEL_PARETONBD && !clv_model_has_shape(model->kind))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function needs a purchase model (bgnbd, mbgnbd, paretonbd, mbgcnbd or bgcnbd), not %s",
						clv_model_kind_info(model->kind)->name)));
	return model;
}

/*
 * A purchase model whose purchases, given the rate, are a Poisson process
 * (BG/NBD, MBG/NBD, Pareto/NBD), checked: the distribution of the next
 * purchases (nextpurchase.c) is written for those.
 */
const ClvModel *
clv_poisson_purchase_model_arg(FunctionCallInfo fcinfo, int argno)
{
	const ClvModel *model = clv_purchase_model_arg(fcinfo, argno);

	if (clv_model_has_shape(model->kind))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this function needs a bgnbd, mbgnbd or paretonbd model, not %s",
						clv_model_kind_info(model->kind)->name),
				 errdetail("The distribution of the next purchases is computed for Poisson purchases, not for regular (Erlang-k) ones."),
				 errhint("clv_p_alive and clv_expected_purchases take this model.")));
	return model;
}

/* a purchase model in continuous or in discrete time (BG/BB), checked */
static const ClvModel *
any_purchase_model_arg(FunctionCallInfo fcinfo, int argno)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(argno);

	clv_model_check(model);
	if (model->kind == CLV_MODEL_BGBB)
		return model;
	return clv_purchase_model_arg(fcinfo, argno);
}

Datum
clv_bgnbd_p_alive(PG_FUNCTION_ARGS)
{
	const ClvModel *model = any_purchase_model_arg(fcinfo, 0);
	double		x = PG_GETARG_FLOAT8(1),
				t_x = PG_GETARG_FLOAT8(2),
				T = PG_GETARG_FLOAT8(3);

	PG_RETURN_FLOAT8(model->kind == CLV_MODEL_BGBB ? clv_bgbb_p_alive_of(model, x, t_x, T) :
					 clv_purchases_p_alive(model, x, t_x, T));
}

Datum
clv_bgnbd_expected_purchases(PG_FUNCTION_ARGS)
{
	const ClvModel *model = any_purchase_model_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1),
				x = PG_GETARG_FLOAT8(2),
				t_x = PG_GETARG_FLOAT8(3),
				T = PG_GETARG_FLOAT8(4);

	PG_RETURN_FLOAT8(model->kind == CLV_MODEL_BGBB ? clv_bgbb_expected_of(model, t, x, t_x, T) :
					 clv_purchases_expected(model, t, x, t_x, T));
}

Datum
clv_bgnbd_p_alive_summary(PG_FUNCTION_ARGS)
{
	double		x,
				t_x,
				T;

	if (!clv_summary_history_arg(fcinfo, 1, &x, &t_x, &T))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_purchases_p_alive(clv_purchase_model_arg(fcinfo, 0), x, t_x, T));
}

Datum
clv_bgnbd_expected_purchases_summary(PG_FUNCTION_ARGS)
{
	double		x,
				t_x,
				T;

	if (!clv_summary_history_arg(fcinfo, 2, &x, &t_x, &T))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_purchases_expected(clv_purchase_model_arg(fcinfo, 0), PG_GETARG_FLOAT8(1), x, t_x, T));
}

/* E[X(t)] for a customer just acquired */
Datum
clv_bgnbd_expected_purchases_new(PG_FUNCTION_ARGS)
{
	const ClvModel *model = any_purchase_model_arg(fcinfo, 0);
	double		t = PG_GETARG_FLOAT8(1);

	if (model->kind == CLV_MODEL_BGBB)
		PG_RETURN_FLOAT8(clv_bgbb_expected_new_of(model, t));
	if (clv_model_has_shape(model->kind))
		PG_RETURN_FLOAT8(clv_cnbd_expected_new(model, t));
	PG_RETURN_FLOAT8(is_paretonbd(model) ? clv_paretonbd_expected_new(model, t) :
					 clv_bgnbd_expected_new_of(model, t));
}
