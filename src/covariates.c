/*
 * covariates.c: BG/NBD and MBG/NBD with static covariates, customer
 * characteristics (acquisition channel, region, first order value) that
 * move the purchase rate and the drop-out probability (model.h gives the
 * parameterisation, after PyMC-Marketing's BetaGeoModel).
 *
 * The fit aggregate keeps distinct (x, t_x, T, z) histories with their
 * counts, like patterns.c without covariates: customers with the same
 * history and the same covariates are one term.  Its final function fits
 * the model without covariates first (the likelihood-ratio test's null, and
 * the start), then the whole model: the baseline's log-parameters and one
 * coefficient per covariate for alpha, a and b.  Each history's
 * log-likelihood is the plain model's at its own parameters
 * (clv_bgnbd_history_ll), so the model with every coefficient 0 is the
 * plain model exactly; the coefficients' gradient follows by the chain rule.
 * Scores are the plain model's at a customer's own parameters
 * (clv_model_individual).
 */
#include "fit.h"
#include "model.h"
#include "optim.h"
#include "scores.h"
#include "state.h"

#include "catalog/pg_type.h"
#include "utils/float.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(clv_fit_covariates_transfn);
PG_FUNCTION_INFO_V1(clv_fit_covariates_combine);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_covariates_final);
PG_FUNCTION_INFO_V1(clv_fit_mbgnbd_covariates_final);
PG_FUNCTION_INFO_V1(clv_model_individual);
PG_FUNCTION_INFO_V1(clv_covariates_p_alive);
PG_FUNCTION_INFO_V1(clv_covariates_expected_purchases);
PG_FUNCTION_INFO_V1(clv_covariates_expected_purchases_new);

#define NBASE 4
StaticAssertDecl(NBASE + CLV_COVARIATE_GROUPS * CLV_MAX_COVARIATES <= CLV_OPTIM_MAX_PARAMS,
				 "the optimizer takes too few parameters for every coefficient");

/* as fit.c: an estimate more than a factor e^20 from its start ran off */
#define MAX_ABS_LOG_PARAM 20.0

#define FIT_NAME "covariate model fit"
#define COV_MAGIC	INT64CONST(0x434c56435a01)	/* "CLVZ", layout 1 */
enum
{
	C_MAGIC,
	C_NPATTERNS,
	C_NCOVARIATES,
	C_PENALIZER,				/* float8 bits, and the next two */
	C_PURCHASE_PENALIZER,
	C_DROPOUT_PENALIZER,
	C_HEADER
};

/* an entry: x, t_x and T (float8 bits), the covariates (float8 bits), count */
#define E_COVARIATES 3
#define ENTRY_WIDTH(p) (E_COVARIATES + (p) + 1)
#define E_COUNT(p) (E_COVARIATES + (p))

static int64
state_capacity(ArrayType *state, int p)
{
	return (clv_state_length(state) - C_HEADER) / ENTRY_WIDTH(p);
}

static ArrayType *
state_alloc(int64 capacity, int p)
{
	ArrayType  *state;

	if (capacity > (int64) (MaxAllocSize / sizeof(int64) - C_HEADER) / ENTRY_WIDTH(p))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("covariate model fit state would need more than 1 GB"),
				 errdetail("The input has more distinct (frequency, recency, age, covariates) combinations than fit in memory."),
				 errhint("Round recency and age, for example to whole days or weeks, and use coarser covariates.")));
	state = clv_state_alloc((int) (C_HEADER + capacity * ENTRY_WIDTH(p)), CurrentMemoryContext);
	clv_state_data(state)[C_MAGIC] = COV_MAGIC;
	clv_state_data(state)[C_NCOVARIATES] = p;
	return state;
}

/* entries compare slot by slot as integers: a total order, equal exactly when the values are */
static int
compare_entries(const void *a, const void *b, void *arg)
{
	const int64 *x = a,
			   *y = b;
	int			key = *(const int *) arg;

	for (int i = 0; i < key; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Sort the entries and merge equal ones, adding their counts. */
static void
state_compact(int64 *s)
{
	int			p = (int) s[C_NCOVARIATES];
	int			width = ENTRY_WIDTH(p);
	int			key = E_COUNT(p);
	int64	   *e = s + C_HEADER;
	int64		n = s[C_NPATTERNS],
				kept = 0;

	if (n < 2)
		return;
	qsort_arg(e, n, width * sizeof(int64), compare_entries, &key);
	for (int64 i = 1; i < n; i++)
	{
		int64	   *last = e + kept * width,
				   *next = e + i * width;

		if (compare_entries(last, next, &key) == 0)
			last[key] = clv_count_add(last[key], next[key], "model fit customer count");
		else
			memmove(e + ++kept * width, next, width * sizeof(int64));
	}
	s[C_NPATTERNS] = kept + 1;
}

/* The O(1) checks that keep a transition inside the array (INITCOND can be anything). */
static ArrayType *
state_header_checked(Datum datum)
{
	ArrayType  *state = clv_state_checked(datum, COV_MAGIC, C_HEADER, FIT_NAME);
	int64	   *s = clv_state_data(state);
	int64		p = s[C_NCOVARIATES];

	if (p < 1 || p > CLV_MAX_COVARIATES)
		clv_state_corrupt(FIT_NAME, "The number of covariates is out of range.");
	if ((clv_state_length(state) - C_HEADER) % ENTRY_WIDTH(p) != 0 ||
		s[C_NPATTERNS] < 0 || s[C_NPATTERNS] > state_capacity(state, (int) p))
		clv_state_corrupt(FIT_NAME, "The array length does not match the histories.");
	return state;
}

static bool
valid_penalizer(int64 bits)
{
	double		value = clv_slot_float8(bits);

	return isfinite(value) && value >= 0;
}

/* Every entry checked, as the combine and final functions take a state. */
static ArrayType *
state_get_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = state_header_checked(PG_GETARG_DATUM(argno));
	int64	   *s = clv_state_data(state);
	int			p = (int) s[C_NCOVARIATES];

	if (!valid_penalizer(s[C_PENALIZER]) || !valid_penalizer(s[C_PURCHASE_PENALIZER]) ||
		!valid_penalizer(s[C_DROPOUT_PENALIZER]))
		clv_state_corrupt(FIT_NAME, "A penalizer is out of range.");
	for (int64 i = 0; i < s[C_NPATTERNS]; i++)
	{
		int64	   *e = s + C_HEADER + i * ENTRY_WIDTH(p);
		double		t_x = clv_slot_float8(e[1]),
					T = clv_slot_float8(e[2]);

		if (e[E_COUNT(p)] < 1)
			clv_state_corrupt(FIT_NAME, "A history has no customers.");
		/* entries never hold -0 (clv_fit_covariates_transfn adds 0.0), which equality of bits relies on */
		if (signbit(t_x) || signbit(T))
			clv_state_corrupt(FIT_NAME, "A history holds a negative value.");
		clv_check_history((double) e[0], t_x, T);
		for (int k = 0; k < p; k++)
		{
			double		z = clv_slot_float8(e[E_COVARIATES + k]);

			if (!isfinite(z) || (z == 0 && signbit(z)))
				clv_state_corrupt(FIT_NAME, "A covariate is not finite, or is -0.");
		}
	}
	return state;
}

/* a row's covariates: a one-dimensional float8[] of 1 to CLV_MAX_COVARIATES finite values */
static int
covariates_arg(FunctionCallInfo fcinfo, int argno, double *z)
{
	ArrayType  *array;
	int			n;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("covariates must not be NULL"),
				 errhint("Give every customer a value for every covariate, for example coalesce(x, 0) with an indicator of the missing value as another covariate.")));
	array = PG_GETARG_ARRAYTYPE_P(argno);
	n = ARR_NDIM(array) == 1 ? ARR_DIMS(array)[0] : 0;
	if (ARR_ELEMTYPE(array) != FLOAT8OID || ARR_NDIM(array) != 1 || n < 1 || n > CLV_MAX_COVARIATES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("covariates must be a one-dimensional float8[] of 1 to %d values", CLV_MAX_COVARIATES)));
	if (ARR_HASNULL(array))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("covariates must not contain NULL"),
				 errhint("Give every customer a value for every covariate, for example coalesce(x, 0) with an indicator of the missing value as another covariate.")));
	memcpy(z, ARR_DATA_PTR(array), n * sizeof(double));
	for (int k = 0; k < n; k++)
	{
		if (!isfinite(z[k]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("covariates must be finite"),
					 errdetail("Covariate %d is %g.", k + 1, z[k])));
		z[k] += 0.0;			/* -0 and 0 are one value */
	}
	return n;
}

static double
penalizer_at(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		value;

	if (PG_NARGS() <= argno)
		return 0;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	value = PG_GETARG_FLOAT8(argno);
	clv_check_nonnegative(value, name);
	return value;
}

/*
 * clv_fit_bgnbd(frequency, recency, age, covariates [, penalizer,
 * purchase_penalizer, dropout_penalizer]), and the same for MBG/NBD: a row
 * without a history (a NULL frequency, recency or age) is left out like the
 * plain fits leave it out; its covariates may not be missing.
 */
Datum
clv_fit_covariates_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	double		z[CLV_MAX_COVARIATES];
	double		penalizers[3];
	double		x,
				t_x,
				T;
	int			p;
	ArrayType  *state;
	int64	   *s,
			   *e;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("covariate model fit transition called in non-aggregate context")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	x = PG_GETARG_FLOAT8(1);
	t_x = PG_GETARG_FLOAT8(2);
	T = PG_GETARG_FLOAT8(3);
	clv_check_history(x, t_x, T);
	p = covariates_arg(fcinfo, 4, z);
	penalizers[0] = penalizer_at(fcinfo, 5, "penalizer");
	penalizers[1] = penalizer_at(fcinfo, 6, "purchase_penalizer");
	penalizers[2] = penalizer_at(fcinfo, 7, "dropout_penalizer");

	if (PG_ARGISNULL(0))
	{
		state = state_alloc(64, p);
		s = clv_state_data(state);
		for (int i = 0; i < 3; i++)
			s[C_PENALIZER + i] = clv_float8_slot(penalizers[i]);
	}
	else
	{
		state = state_header_checked(PG_GETARG_DATUM(0));
		s = clv_state_data(state);
		if (s[C_NCOVARIATES] != p)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("every row must have the same number of covariates"),
					 errdetail("Found %d covariates after " INT64_FORMAT ".", p, s[C_NCOVARIATES])));
		for (int i = 0; i < 3; i++)
			if (s[C_PENALIZER + i] != clv_float8_slot(penalizers[i]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("penalizers must be the same for every row")));
	}
	if (s[C_NPATTERNS] == state_capacity(state, p))
	{
		state_compact(s);
		/* keep room to spare, so that compaction stays rare */
		if (s[C_NPATTERNS] > state_capacity(state, p) / 2)
		{
			ArrayType  *grown = state_alloc(Max(2 * state_capacity(state, p), 64), p);

			memcpy(clv_state_data(grown) + C_NPATTERNS, s + C_NPATTERNS,
				   (C_HEADER - C_NPATTERNS + s[C_NPATTERNS] * ENTRY_WIDTH(p)) * sizeof(int64));
			state = grown;
			s = clv_state_data(state);
		}
	}
	e = s + C_HEADER + s[C_NPATTERNS] * ENTRY_WIDTH(p);
	e[0] = (int64) x;
	e[1] = clv_float8_slot(t_x + 0.0);
	e[2] = clv_float8_slot(T + 0.0);
	for (int k = 0; k < p; k++)
		e[E_COVARIATES + k] = clv_float8_slot(z[k]);
	e[E_COUNT(p)] = 1;
	s[C_NPATTERNS]++;
	PG_RETURN_ARRAYTYPE_P(state);
}

Datum
clv_fit_covariates_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ArrayType  *merged;
	int64	   *sa,
			   *sb,
			   *sm;
	int			p;

	if (clv_combine_with_null(fcinfo, state_get_checked, &given))
		return given;
	sa = clv_state_data(state_get_checked(fcinfo, 0));
	sb = clv_state_data(state_get_checked(fcinfo, 1));
	if (sa[C_NCOVARIATES] != sb[C_NCOVARIATES] || sa[C_PENALIZER] != sb[C_PENALIZER] ||
		sa[C_PURCHASE_PENALIZER] != sb[C_PURCHASE_PENALIZER] || sa[C_DROPOUT_PENALIZER] != sb[C_DROPOUT_PENALIZER])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine covariate model fit states with different covariates or penalizers")));
	p = (int) sa[C_NCOVARIATES];
	merged = state_alloc(Max(sa[C_NPATTERNS] + sb[C_NPATTERNS], 64), p);
	sm = clv_state_data(merged);
	memcpy(sm + C_PENALIZER, sa + C_PENALIZER, 3 * sizeof(int64));
	memcpy(sm + C_HEADER, sa + C_HEADER, sa[C_NPATTERNS] * ENTRY_WIDTH(p) * sizeof(int64));
	memcpy(sm + C_HEADER + sa[C_NPATTERNS] * ENTRY_WIDTH(p), sb + C_HEADER,
		   sb[C_NPATTERNS] * ENTRY_WIDTH(p) * sizeof(int64));
	sm[C_NPATTERNS] = sa[C_NPATTERNS] + sb[C_NPATTERNS];
	state_compact(sm);
	PG_RETURN_ARRAYTYPE_P(merged);
}

/* ---- the fit ---- */

typedef struct History
{
	double		x,
				t_x,
				T,
				count;
	const double *z;
} History;

typedef struct CovariateFit
{
	bool		modified;		/* MBG/NBD */
	const History *histories;
	int64		nhistories;
	int			p;
	int			nfree;			/* NBASE (no covariates) or all */
	double		scale;			/* 1 / customers for the mean, 1 for the total */
	bool		penalize;
	double		penalizer,
				purchase_penalizer,
				dropout_penalizer;
} CovariateFit;

/* a coefficient's place in the optimizer's vector */
#define COEF(g, k, p) (NBASE + (g) * (p) + (k))

/*
 * Minus the mean (or total) log-likelihood, plus the penalties, at v: the
 * baseline's log-parameters, then the coefficients (taken as 0 while only
 * the baseline is free).
 */
static double
objective(const double *v, double *grad, void *arg)
{
	const CovariateFit *f = arg;
	int			p = f->p;
	double		total = 0;
	double		value;

	if (grad != NULL)
		memset(grad, 0, f->nfree * sizeof(double));
	for (int64 i = 0; i < f->nhistories; i++)
	{
		const History *h = &f->histories[i];
		double		theta[NBASE];
		double		g4[NBASE];
		double		ll;

		for (int j = 0; j < NBASE; j++)
			theta[j] = v[j];
		if (f->nfree > NBASE)
			for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
				for (int k = 0; k < p; k++)
					theta[clv_covariate_groups[g].param] += clv_covariate_groups[g].sign * v[COEF(g, k, p)] * h->z[k];
		for (int j = 0; j < NBASE; j++)
		{
			theta[j] = exp(theta[j]);
			if (!(theta[j] > 0 && isfinite(theta[j])))
				return get_float8_infinity();
		}
		ll = clv_bgnbd_history_ll(f->modified, theta, h->x, h->t_x, h->T, grad ? g4 : NULL);
		if (!isfinite(ll))
			return get_float8_infinity();
		total += h->count * ll;
		if (grad != NULL)
		{
			/* d ll / d log theta_j, then the coefficients' by the chain rule */
			for (int j = 0; j < NBASE; j++)
			{
				g4[j] *= theta[j] * h->count;
				grad[j] += g4[j];
			}
			if (f->nfree > NBASE)
				for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
					for (int k = 0; k < p; k++)
						grad[COEF(g, k, p)] += clv_covariate_groups[g].sign * g4[clv_covariate_groups[g].param] * h->z[k];
		}
	}
	value = -total * f->scale;
	if (grad != NULL)
		for (int j = 0; j < f->nfree; j++)
			grad[j] *= -f->scale;
	if (f->penalize)
	{
		/* as fit.c on the natural parameters, and plain L2 on the coefficients */
		for (int j = 0; j < NBASE; j++)
		{
			double		theta = exp(v[j]);

			value += f->penalizer * theta * theta;
			if (grad != NULL)
				grad[j] += 2 * f->penalizer * theta * theta;
		}
		for (int j = NBASE; j < f->nfree; j++)
		{
			double		lambda = (j < COEF(1, 0, p)) ? f->purchase_penalizer : f->dropout_penalizer;

			value += lambda * v[j] * v[j];
			if (grad != NULL)
				grad[j] += 2 * lambda * v[j];
		}
	}
	return isfinite(value) ? value : get_float8_infinity();
}

/*
 * An estimate that ran off: a log-parameter e^20 from its start, or a
 * coefficient that moves a parameter by e^20 for some customer.
 */
static bool
ran_off(const CovariateFit *f, const double *v, const double *start, const double *max_abs_z)
{
	for (int j = 0; j < NBASE; j++)
		if (!(fabs(v[j] - start[j]) < MAX_ABS_LOG_PARAM))
			return true;
	for (int j = NBASE; j < f->nfree; j++)
		if (!(fabs(v[j]) * max_abs_z[(j - NBASE) % f->p] < MAX_ABS_LOG_PARAM))
			return true;
	return false;
}

static void
not_converged(const char *label, const char *which, ClvOptimResult result, double customers)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s fit %s did not converge", label, which),
			 errdetail("After %d iterations and %d evaluations of the likelihood, over %.0f customers.",
					   result.iterations, result.evaluations, customers),
			 errhint("A covariate that separates customers completely (one value only among customers who never bought again, say) sends its coefficient to infinity: a purchase_penalizer or dropout_penalizer such as 0.01 keeps it finite. Covariates on very different scales fit better standardised.")));
}

static ClvModel *
fit_with_covariates(FunctionCallInfo fcinfo, ClvModelKind kind)
{
	const ClvModelKindInfo *info = clv_model_kind_info(kind);
	ArrayType  *state = state_get_checked(fcinfo, 0);
	int64	   *s;
	int			p;
	CovariateFit f;
	History    *histories;
	double		customers = 0,
				sum_x = 0,
				sum_T = 0;
	double		max_abs_z[CLV_MAX_COVARIATES] = {0};
	double		v[CLV_OPTIM_MAX_PARAMS] = {0},
				start[CLV_OPTIM_MAX_PARAMS] = {0},
				gradient[CLV_OPTIM_MAX_PARAMS],
				covariance[CLV_OPTIM_MAX_PARAMS * CLV_OPTIM_MAX_PARAMS];
	double		null_ll;
	int			n;
	ClvOptimResult result;
	ClvCovariateModel *model;
	bool		weak = false;

	/* a copy: a final function must not change its state */
	state = (ArrayType *) PG_DETOAST_DATUM_COPY(PointerGetDatum(state));
	s = clv_state_data(state);
	state_compact(s);
	p = (int) s[C_NCOVARIATES];
	histories = palloc(Max(s[C_NPATTERNS], 1) * sizeof(History));
	for (int64 i = 0; i < s[C_NPATTERNS]; i++)
	{
		int64	   *e = s + C_HEADER + i * ENTRY_WIDTH(p);
		History    *h = &histories[i];

		h->x = (double) e[0];
		h->t_x = clv_slot_float8(e[1]);
		h->T = clv_slot_float8(e[2]);
		h->count = (double) e[E_COUNT(p)];
		/* the float8 bits in place, read as the doubles they are */
		h->z = (const double *) (e + E_COVARIATES);
		for (int k = 0; k < p; k++)
			max_abs_z[k] = Max(max_abs_z[k], fabs(h->z[k]));
		customers += h->count;
		sum_x += h->count * h->x;
		sum_T += h->count * h->T;
	}
	if (sum_x == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s cannot be fitted without repeat purchases", info->label),
				 errdetail("None of the %.0f customers bought more than once.", customers)));

	f.modified = (kind == CLV_MODEL_MBGNBD);
	f.histories = histories;
	f.nhistories = s[C_NPATTERNS];
	f.p = p;
	f.penalizer = clv_slot_float8(s[C_PENALIZER]);
	f.purchase_penalizer = clv_slot_float8(s[C_PURCHASE_PENALIZER]);
	f.dropout_penalizer = clv_slot_float8(s[C_DROPOUT_PENALIZER]);

	/* the model without covariates, from where the plain fits start */
	v[1] = log(Max(sum_T / customers, 1e-6) / Max(sum_x / customers, 1e-6));
	memcpy(start, v, sizeof(v));
	f.nfree = NBASE;
	f.scale = 1 / customers;
	f.penalize = true;
	result = clv_minimize(objective, &f, v, NBASE, NULL);
	if (!result.converged || ran_off(&f, v, start, max_abs_z))
		not_converged(info->label, "without covariates", result, customers);
	f.scale = 1;
	f.penalize = false;
	null_ll = -objective(v, NULL, &f);

	/* then everything, from there with every coefficient 0 */
	n = NBASE + CLV_COVARIATE_GROUPS * p;
	f.nfree = n;
	f.scale = 1 / customers;
	f.penalize = true;
	result = clv_minimize(objective, &f, v, n, NULL);
	if (!result.converged || ran_off(&f, v, start, max_abs_z))
		not_converged(info->label, "with covariates", result, customers);

	model = palloc0(sizeof(ClvCovariateModel));
	SET_VARSIZE(model, sizeof(ClvCovariateModel));
	model->base.kind = kind;
	model->base.flags = CLV_MODEL_CONVERGED;
	model->base.iterations = result.iterations;
	model->base.customers = (int64) customers;
	model->base.penalizer = f.penalizer;
	for (int j = 0; j < NBASE; j++)
		model->base.params[j] = exp(v[j]);
	model->ncovariates = p;
	model->ngroups = CLV_COVARIATE_GROUPS;
	model->null_log_likelihood = null_ll;
	model->purchase_penalizer = f.purchase_penalizer;
	model->dropout_penalizer = f.dropout_penalizer;
	for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
		for (int k = 0; k < p; k++)
			model->coef[g][k] = v[COEF(g, k, p)] + 0.0;

	/* the log-likelihood and the observed information, without the penalties */
	f.scale = 1;
	f.penalize = false;
	model->base.log_likelihood = -objective(v, gradient, &f);
	if (clv_inverse_hessian(objective, &f, v, gradient, n, covariance))
	{
		for (int j = 0; j < n; j++)
			if (!(covariance[j * n + j] > 0))
				weak = true;
		if (!weak)
		{
			model->base.flags |= CLV_MODEL_HAS_COVARIANCE;
			for (int i = 0; i < NBASE; i++)
				for (int j = 0; j < NBASE; j++)
					model->base.covariance[i * CLV_MODEL_MAX_PARAMS + j] =
						(covariance[i * n + j] + covariance[j * n + i]) / 2;
			for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
				for (int k = 0; k < p; k++)
				{
					int			j = COEF(g, k, p);

					model->std_error[g][k] = sqrt(covariance[j * n + j]);
				}
			/* as fit.c: the baseline cannot tell theta from e theta */
			for (int j = 0; j < NBASE; j++)
				weak |= model->base.covariance[j * CLV_MODEL_MAX_PARAMS + j] > 1;
		}
	}
	else
		weak = true;
	if (weak)
		model->base.flags |= CLV_MODEL_WEAK;
	clv_covariate_model_check(model);
	clv_fit_warn_weak(&model->base);
	return &model->base;
}

Datum
clv_fit_bgnbd_covariates_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit_with_covariates(fcinfo, CLV_MODEL_BGNBD));
}

Datum
clv_fit_mbgnbd_covariates_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit_with_covariates(fcinfo, CLV_MODEL_MBGNBD));
}

/* ---- scores ---- */

/*
 * The plain model of a customer with covariates z: the baseline with alpha,
 * a and b moved by the coefficients.  Every score of the covariate model is
 * this model's score of the customer's history.  The covariance does not
 * carry over (it is the baseline's), so interval functions refuse the result.
 */
static ClvModel *
individual_model(FunctionCallInfo fcinfo, int model_arg, int covariates_arg_no)
{
	ClvCovariateModel *model = (ClvCovariateModel *) PG_GETARG_CLV_MODEL_P(model_arg);
	ClvModel   *plain;
	double		z[CLV_MAX_COVARIATES];
	int			p;

	if (!clv_model_has_covariates(&model->base))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model has no covariates"),
				 errhint("Call the function without covariates.")));
	clv_covariate_model_check(model);
	p = covariates_arg(fcinfo, covariates_arg_no, z);
	if (p != model->ncovariates)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model has %d covariates, not %d", model->ncovariates, p)));
	plain = clv_model_new(model->base.kind);
	memcpy(VARDATA(plain), VARDATA(&model->base), sizeof(ClvModel) - VARHDRSZ);
	plain->flags &= ~CLV_MODEL_HAS_COVARIANCE;
	memset(plain->covariance, 0, sizeof(plain->covariance));
	for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
	{
		double		eta = 0;

		for (int k = 0; k < p; k++)
			eta += model->coef[g][k] * z[k];
		plain->params[clv_covariate_groups[g].param] *= exp(clv_covariate_groups[g].sign * eta);
	}
	for (int j = 0; j < NBASE; j++)
		if (!(plain->params[j] > 0 && isfinite(plain->params[j])))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("these covariates put the model's %s out of range",
							clv_model_kind_info(plain->kind)->param_names[j]),
					 errhint("The covariates are far outside those the model was fitted on.")));
	clv_model_check(plain);
	return plain;
}

/* clv_model_individual(model, covariates): a customer's own plain model */
Datum
clv_model_individual(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(individual_model(fcinfo, 0, 1));
}

/* clv_p_alive(model, frequency, recency, age, covariates) */
Datum
clv_covariates_p_alive(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_model(fcinfo, 0, 4);

	PG_RETURN_FLOAT8(clv_purchases_p_alive(plain, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
										   PG_GETARG_FLOAT8(3)));
}

/* clv_expected_purchases(model, t, frequency, recency, age, covariates) */
Datum
clv_covariates_expected_purchases(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_model(fcinfo, 0, 5);

	PG_RETURN_FLOAT8(clv_purchases_expected(plain, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
											PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4)));
}

/* clv_expected_purchases_new(model, t, covariates): a new customer with these characteristics */
Datum
clv_covariates_expected_purchases_new(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_model(fcinfo, 0, 2);

	PG_RETURN_FLOAT8(clv_bgnbd_expected_new_of(plain, PG_GETARG_FLOAT8(1)));
}
