/*
 * gammagamma.c: the Gamma-Gamma model of spend per transaction (Fader,
 * Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer base
 * analysis", JMR 42(4); Fader & Hardie, "The Gamma-Gamma model of monetary
 * value", 2013), fitted on customers with repeat purchases, and the
 * conditional expected spend.
 *
 * A customer's transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma)
 * across customers.  For x repeat transactions of mean m, the likelihood of
 * m (from the note, as lifetimes also evaluates it) is
 *   ln L = lnG(px + q) - lnG(px) - lnG(q) + q ln gamma + (px - 1) ln m
 *          + px ln x - (px + q) ln(gamma + m x),
 * and E[M | x, m] = (gamma + m x) p / (px + q - 1).
 */
#include "fit.h"
#include "scores.h"
#include "special.h"
#include "summary.h"

PG_FUNCTION_INFO_V1(clv_fit_gammagamma_transfn);
PG_FUNCTION_INFO_V1(clv_fit_gammagamma_summary_transfn);
PG_FUNCTION_INFO_V1(clv_fit_gammagamma_final);
PG_FUNCTION_INFO_V1(clv_gammagamma_expected_spend);
PG_FUNCTION_INFO_V1(clv_gammagamma_expected_spend_summary);

/*
 * Customers without repeat purchases say nothing about repeat spend and are
 * skipped, as in the papers; those whose mean repeat spend is not positive
 * (refunds) cannot come from a Gamma and are skipped and counted.
 */
static Datum
spend_add(FunctionCallInfo fcinfo, double x, double m, double penalizer)
{
	if (x == 0)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (isfinite(m) && m <= 0)
		return clv_patterns_skip(fcinfo, CLV_PATTERNS_SPEND, penalizer);
	return clv_patterns_add(fcinfo, CLV_PATTERNS_SPEND, x, m, 0, 1, penalizer, 0);
}

/* clv_fit_gammagamma(frequency, monetary [, penalizer]) */
Datum
clv_fit_gammagamma_transfn(PG_FUNCTION_ARGS)
{
	double		penalizer = clv_penalizer_arg(fcinfo, 3);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return spend_add(fcinfo, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), penalizer);
}

/* clv_fit_gammagamma(summary [, penalizer]) */
Datum
clv_fit_gammagamma_summary_transfn(PG_FUNCTION_ARGS)
{
	double		penalizer = clv_penalizer_arg(fcinfo, 2);
	ClvSummaryRow summary;

	if (!PG_ARGISNULL(1))
		clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	if (PG_ARGISNULL(1) || summary.nulls[CLV_SUMMARY_FREQUENCY])
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return spend_add(fcinfo, DatumGetInt32(clv_summary_get(&summary, CLV_SUMMARY_FREQUENCY)),
					 DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_MONETARY)), penalizer);
}

/* total log-likelihood and its gradient in (p, q, gamma); t_x holds m */
static double
gammagamma_total_ll(const PatternSet *data, const double *theta, double *grad)
{
	double		p = theta[0],
				q = theta[1],
				gamma = theta[2];
	double		lgamma_q = lgamma(q);
	double		psi_q = clv_digamma(q);
	double		log_gamma = log(gamma);
	double		q_log_gamma = q * log_gamma;
	double		total = 0;

	/*
	 * The terms that depend on the frequency alone, kept while the patterns
	 * (sorted by frequency) have the same: a fit sees many mean spends and
	 * few frequencies.  The same values as computed afresh, so the same bits.
	 */
	double		x_seen = -1;
	double		px = 0,
				log_x = 0,
				lgamma_ratio = 0,
				psi_pxq = 0,
				psi_px = 0;

	if (grad != NULL)
		memset(grad, 0, 3 * sizeof(double));
	for (int64 i = 0; i < data->npatterns; i++)
	{
		const Pattern *pat = &data->patterns[i];
		double		x = pat->x;
		double		m = pat->t_x;
		double		log_m = pat->T;	/* log(m), see clv_fit_gammagamma_final */
		double		log_gmx;
		double		ll;

		if (x != x_seen)
		{
			x_seen = x;
			px = p * x;
			log_x = log(x);
			lgamma_ratio = clv_lgamma_ratio(px, q);
			if (grad != NULL)
			{
				psi_pxq = clv_digamma(px + q);
				psi_px = clv_digamma(px);
			}
		}
		log_gmx = log(gamma + m * x);
		ll = lgamma_ratio - lgamma_q + q_log_gamma + (px - 1) * log_m + px * log_x - (px + q) * log_gmx;
		total += pat->count * ll;
		if (grad != NULL)
		{
			grad[0] += pat->count * x * (psi_pxq - psi_px + log_m + log_x - log_gmx);
			grad[1] += pat->count * (psi_pxq - psi_q + log_gamma - log_gmx);
			grad[2] += pat->count * (q / gamma - (px + q) / (gamma + m * x));
		}
	}
	return total;
}

/*
 * One customer's log-likelihood at theta = (p, q, gamma), x repeat
 * transactions of mean m, and its gradient in theta when grad is not NULL:
 * for fits whose parameters differ from customer to customer (covariates.c).
 */
double
clv_gammagamma_history_ll(const double *theta, double x, double m, double *grad)
{
	Pattern		one = {x, m, log(m), 1};
	PatternSet	data = {0};

	data.patterns = &one;
	data.npatterns = 1;
	data.customers = 1;
	return gammagamma_total_ll(&data, theta, grad);
}

Datum
clv_fit_gammagamma_final(PG_FUNCTION_ARGS)
{
	PatternSet	data,
				coarse;
	bool		has_coarse;
	double		sum_m = 0;
	double		log_theta[3];
	ClvModel   *model;

	clv_patterns_load(fcinfo, 0, CLV_PATTERNS_SPEND, &data);
	if (data.skipped > 0)
		ereport(NOTICE,
				(errmsg("%lld customers with a mean repeat spend of 0 or less were left out of the Gamma-Gamma fit",
						(long long) data.skipped)));
	if (data.customers == 0)
		PG_RETURN_NULL();
	for (int64 i = 0; i < data.npatterns; i++)
	{
		sum_m += data.patterns[i].count * data.patterns[i].t_x;
		/* a spend pattern's third value is unused (0): it keeps log(m), once */
		data.patterns[i].T = log(data.patterns[i].t_x);
	}

	has_coarse = clv_coarse_spend_patterns(&data, &coarse);

	/* start from a mean spend gamma p / (q - 1) equal to the observed one */
	log_theta[0] = 0;
	log_theta[1] = log(2);
	log_theta[2] = log(sum_m / data.customers);
	model = clv_fit(CLV_MODEL_GAMMAGAMMA, gammagamma_total_ll, &data, has_coarse ? &coarse : NULL, log_theta);
	if (!clv_gammagamma_defined(model, 0))
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the Gamma-Gamma fit has q = %g, so mean spend is infinite", model->params[1]),
				 errdetail("Expected spend and predicted value are NULL for customers with p x frequency + q <= 1 (p = %g).",
						   model->params[0]),
				 errhint("Spend this heavy-tailed is better capped (winsorised) before the fit.")));
	PG_RETURN_POINTER(model);
}

double
clv_gammagamma_expected(const ClvModel *model, double x, double m)
{
	double		p = model->params[0],
				q = model->params[1],
				gamma = model->params[2];

	clv_model_check(model);
	if (!isfinite(x) || x < 0 || x != floor(x) || !isfinite(m))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("frequency must be a whole number of repeat purchases and monetary a finite number"),
				 errdetail("Found frequency %g and monetary %g.", x, m)));
	if (p * x + q <= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected spend is not defined when p x frequency + q <= 1"),
				 errdetail("The model has p = %g, q = %g.", p, q)));
	/* with x = 0 this is the population mean gamma p / (q - 1) */
	return clv_check_result((gamma + Max(m, 0) * x) * p / (p * x + q - 1), "expected spend");
}

/*
 * With p x + q <= 1 the customer's expected spend is infinite: the fit put
 * so much weight on big spenders (q <= 1: no finite population mean) that a
 * customer with few purchases may be any of them.  The scoring functions
 * return NULL for such a customer rather than fail a whole query over
 * customers; the fit has warned about it.
 */
bool
clv_gammagamma_defined(const ClvModel *model, double x)
{
	return model->params[0] * x + model->params[1] > 1;
}

Datum
clv_gammagamma_expected_spend(PG_FUNCTION_ARGS)
{
	const ClvModel *model = clv_model_arg(fcinfo, 0, CLV_MODEL_GAMMAGAMMA);
	double		x = PG_GETARG_FLOAT8(1);

	if (isfinite(x) && !clv_gammagamma_defined(model, x))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_gammagamma_expected(model, x, PG_GETARG_FLOAT8(2)));
}

Datum
clv_gammagamma_expected_spend_summary(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	const ClvModel *model;
	double		x;

	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	if (summary.nulls[CLV_SUMMARY_FREQUENCY])
		PG_RETURN_NULL();
	model = clv_model_arg(fcinfo, 0, CLV_MODEL_GAMMAGAMMA);
	x = DatumGetInt32(clv_summary_get(&summary, CLV_SUMMARY_FREQUENCY));
	if (!clv_gammagamma_defined(model, x))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_gammagamma_expected(model, x,
											 DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_MONETARY))));
}
