/*
 * scores.h: per-customer predictions of the fitted models, for the
 * functions that combine them.
 */
#ifndef CLV_SCORES_H
#define CLV_SCORES_H

#include "model.h"

#include "access/htup.h"
#include "datatype/timestamp.h"

/*
 * any purchase model (BG/NBD, MBG/NBD, Pareto/NBD; purchases.c): expected
 * purchases in the next t, and P(alive), given x, t_x, T
 */
extern double clv_purchases_expected(const ClvModel *model, double t, double x, double t_x, double T);
extern double clv_purchases_p_alive(const ClvModel *model, double x, double t_x, double T);
/*
 * log of the odds of having dropped out against being alive, for P(alive)
 * and 1 - P(alive) each without the other's rounding (clv_logistic)
 */
extern double clv_purchases_log_dropout_odds(const ClvModel *model, double x, double t_x, double T);
extern const ClvModel *clv_purchase_model_arg(FunctionCallInfo fcinfo, int argno);
extern const ClvModel *clv_poisson_purchase_model_arg(FunctionCallInfo fcinfo, int argno);

/*
 * sum_{k=1..periods} weight[k] E[Y(k units) | x, t_x, T]: the expected
 * purchases of all of a forecast's periods at once, P(alive) computed once.
 * What customers with the same frequency share (BG/NBD and MBG/NBD) is kept
 * in *cache, allocated in context on the first call (NULL: not kept).
 */
typedef struct ClvPurchasesCache ClvPurchasesCache;

extern double clv_purchases_expected_sum(const ClvModel *model, double x, double t_x, double T,
										 double units, int32 periods, const double *weight,
										 ClvPurchasesCache **cache, MemoryContext context);

/* BG/NBD and MBG/NBD (bgnbd.c); the functions above dispatch to them */
extern double clv_bgnbd_p_alive_of(const ClvModel *model, double x, double t_x, double T);
extern double clv_bgnbd_log_dropout_odds_of(const ClvModel *model, double x, double t_x, double T);
extern double clv_bgnbd_expected_of(const ClvModel *model, double t, double x, double t_x, double T);
extern double clv_bgnbd_expected_new_of(const ClvModel *model, double t);
extern double clv_bgnbd_expected_sum_of(const ClvModel *model, double x, double t_x, double T,
										double units, int32 periods, const double *weight,
										ClvPurchasesCache **cache, MemoryContext context);

/* MBG/CNBD-k and BG/CNBD-k (cnbd.c) */
extern double clv_cnbd_p_alive(const ClvModel *model, double x, double t_x, double T);
extern double clv_cnbd_log_silence(const ClvModel *model, double x, double t_x, double T);
extern double clv_cnbd_log_dropout_odds(const ClvModel *model, double x, double t_x, double T);
extern double clv_cnbd_expected(const ClvModel *model, double t, double x, double t_x, double T);
extern double clv_cnbd_expected_new(const ClvModel *model, double t);
/*
 * the setting clv.expectation_quadrature: expected purchases over a wide
 * spread by quadrature (on), or term by term
 */
extern bool clv_expectation_quadrature;
extern double clv_cnbd_expected_sum(const ClvModel *model, double x, double t_x, double T,
									double units, int32 periods, const double *weight);

/* Pareto/NBD (paretonbd.c) */
extern double clv_paretonbd_p_alive(const ClvModel *model, double x, double t_x, double T);
extern double clv_paretonbd_log_dropout_odds(const ClvModel *model, double x, double t_x, double T);
extern double clv_paretonbd_expected(const ClvModel *model, double t, double x, double t_x, double T);
extern double clv_paretonbd_expected_new(const ClvModel *model, double t);
extern double clv_paretonbd_expected_sum(const ClvModel *model, double x, double t_x, double T,
										 double units, int32 periods, const double *weight);

/*
 * BG/BB (bgbb.c), in discrete time: x transactions in n opportunities, the
 * last at t_x; t opportunities ahead
 */
extern double clv_bgbb_p_alive_of(const ClvModel *model, double x, double t_x, double n);
extern double clv_bgbb_expected_of(const ClvModel *model, double t, double x, double t_x, double n);
extern double clv_bgbb_expected_new_of(const ClvModel *model, double t);

/* Gamma-Gamma: expected spend per transaction, given x and mean spend m */
extern double clv_gammagamma_expected(const ClvModel *model, double x, double m);
extern bool clv_gammagamma_defined(const ClvModel *model, double x);

/* discounted predicted value (value.c), arguments checked */
/*
 * The longest horizon of clv_predicted_value, in periods (each costs a
 * purchase forecast); the pipeline's periods argument has the same bound.
 */
#define CLV_MAX_PERIODS 1200

extern double clv_predicted_value_of(const ClvModel *purchases, const ClvModel *spend,
									 double x, double t_x, double T, double m, int32 periods,
									 double discount, double units_per_period, double margin);

/* a customer's history for a predicted value, read from its summary */
typedef struct ClvValueHistory
{
	double		x;
	double		t_x;
	double		T;
	double		m;
	double		units_per_period;	/* the period in the summary's time units */
} ClvValueHistory;

/* false for a summary with no history (value.c) */
extern bool clv_value_history(HeapTupleHeader summary, const Interval *period,
							  ClvValueHistory *history);

/* the options of the horizon forms of the predicted value (value.c) */
typedef struct ClvHorizonOptions
{
	int32		periods;
	double		discount;
	double		gross_margin;
} ClvHorizonOptions;

/* arguments 3 to 6: horizon, period, discount_rate, gross_margin, checked */
extern void clv_horizon_options(FunctionCallInfo fcinfo, ClvHorizonOptions *options);

#endif							/* CLV_SCORES_H */
