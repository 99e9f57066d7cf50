/*
 * covariates.c: BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma with static
 * covariates, customer characteristics (acquisition channel, region, first
 * order value) that move the purchase rate, the drop-out process and the
 * spend (model.h gives the parameterisation).
 *
 * The fit aggregate keeps distinct (x, t_x, T, z) histories (or (x, m, z)
 * spend histories) with their counts, like patterns.c without covariates:
 * customers with the same history and the same covariates are one term.
 * Its final function fits the model without covariates first (the
 * likelihood-ratio test's null, and the start), then the whole model: the
 * baseline's log-parameters and one coefficient per covariate for each
 * parameter the covariates move.  Each history's log-likelihood is the
 * plain model's at its own parameters (clv_bgnbd_history_ll and its
 * siblings), so the model with every coefficient 0 is the plain model
 * exactly; the coefficients' gradient follows by the chain rule.  Scores
 * are the plain model's at a customer's own parameters
 * (clv_model_individual).
 */
#include "calendar.h"
#include "fit.h"
#include "model.h"
#include "optim.h"
#include "scores.h"
#include "state.h"
#include "summary.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(clv_fit_covariates_transfn);
PG_FUNCTION_INFO_V1(clv_fit_spend_covariates_transfn);
PG_FUNCTION_INFO_V1(clv_fit_covariates_summary_transfn);
PG_FUNCTION_INFO_V1(clv_fit_spend_covariates_summary_transfn);
PG_FUNCTION_INFO_V1(clv_fit_covariates_combine);
PG_FUNCTION_INFO_V1(clv_fit_bgnbd_covariates_final);
PG_FUNCTION_INFO_V1(clv_fit_mbgnbd_covariates_final);
PG_FUNCTION_INFO_V1(clv_fit_paretonbd_covariates_final);
PG_FUNCTION_INFO_V1(clv_fit_gammagamma_covariates_final);
PG_FUNCTION_INFO_V1(clv_model_individual);
PG_FUNCTION_INFO_V1(clv_covariates_p_alive);
PG_FUNCTION_INFO_V1(clv_covariates_expected_purchases);
PG_FUNCTION_INFO_V1(clv_covariates_expected_purchases_new);
PG_FUNCTION_INFO_V1(clv_covariates_expected_spend);

StaticAssertDecl(CLV_MODEL_MAX_PARAMS + CLV_COVARIATE_GROUPS * CLV_MAX_COVARIATES <= CLV_OPTIM_MAX_PARAMS,
				 "the optimizer takes too few parameters for every coefficient");

#define FIT_NAME "covariate model fit"
#define COV_MAGIC	INT64CONST(0x434c56435a03)	/* "CLVZ", layout 3 */
enum
{
	C_MAGIC,
	C_KIND,						/* CLV_PATTERNS_PURCHASES or CLV_PATTERNS_SPEND */
	C_NPATTERNS,
	C_NCOVARIATES,
	C_SKIPPED,					/* spend: customers without a positive mean spend */
	C_UNIT,						/* time unit of summaries in microseconds, 0 for plain numbers */
	C_PENALIZER,				/* float8 bits: the baseline's, then the coefficients' */
	C_HEADER = C_PENALIZER + 1 + CLV_COVARIATE_PENALIZERS
};
#define NPENALIZERS (1 + CLV_COVARIATE_PENALIZERS)

/*
 * an entry: x, then t_x and T (purchases) or m and 0 (spend), the
 * covariates (all float8 bits), count
 */
#define E_COVARIATES 3
#define ENTRY_WIDTH(p) (E_COVARIATES + (p) + 1)
#define E_COUNT(p) (E_COVARIATES + (p))

/* where a state of p covariates keeps its entries */
static ClvStateLayout
state_layout(int p)
{
	ClvStateLayout layout = {C_HEADER, C_NPATTERNS, ENTRY_WIDTH(p)};

	return layout;
}

/* The slots of a state with room for capacity entries of its layout, within 1 GB. */
static int
state_slots(int64 capacity, const ClvStateLayout *layout)
{
	if (capacity > clv_state_max_capacity(layout))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("covariate model fit state would need more than 1 GB"),
				 errdetail("The input has more distinct (frequency, recency, age, covariates) combinations than fit in memory."),
				 errhint("Round recency and age, for example to whole days or weeks, and use coarser covariates.")));
	return clv_state_slots_for(capacity, layout);
}

static ArrayType *
state_alloc(int64 capacity, int p)
{
	ArrayType  *state;
	ClvStateLayout layout = state_layout(p);

	state = clv_state_alloc(state_slots(capacity, &layout), CurrentMemoryContext);
	clv_state_data(state)[C_MAGIC] = COV_MAGIC;
	clv_state_data(state)[C_NCOVARIATES] = p;
	return state;
}

/*
 * Entries compare slot by slot as integers: a total order, equal exactly
 * when the values are.  The covariates first, then x, t_x and T: customers
 * with the same characteristics come together, and share their
 * parameters and, with the same x, their Gamma terms
 * (clv_bgnbd_history_ll).
 */
static int
compare_entries(const void *a, const void *b, void *arg)
{
	const int64 *x = a,
			   *y = b;
	int			key = *(const int *) arg;

	for (int i = E_COVARIATES; i < key; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	for (int i = 0; i < E_COVARIATES; i++)
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
state_header_check(ArrayType *state)
{
	int64	   *s = clv_state_data(state);
	int64		p = s[C_NCOVARIATES];
	ClvStateLayout layout;

	if (p < 1 || p > CLV_MAX_COVARIATES)
		clv_state_corrupt(FIT_NAME, "The number of covariates is out of range.");
	if (s[C_KIND] != CLV_PATTERNS_PURCHASES && s[C_KIND] != CLV_PATTERNS_SPEND)
		clv_state_corrupt(FIT_NAME, "The kind of histories is unknown.");
	layout = state_layout((int) p);
	if (!clv_state_entries_fit(state, &layout))
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
state_content_check(ArrayType *state)
{
	int64	   *s = clv_state_data(state_header_check(state));
	int			p = (int) s[C_NCOVARIATES];

	for (int i = 0; i < NPENALIZERS; i++)
		if (!valid_penalizer(s[C_PENALIZER + i]))
			clv_state_corrupt(FIT_NAME, "A penalizer is out of range.");
	if (s[C_SKIPPED] < 0 || (s[C_KIND] == CLV_PATTERNS_PURCHASES && s[C_SKIPPED] != 0))
		clv_state_corrupt(FIT_NAME, "The count of customers left out is out of range.");
	if (s[C_UNIT] < 0)
		clv_state_corrupt(FIT_NAME, "The time unit is out of range.");
	for (int64 i = 0, customers = 0; i < s[C_NPATTERNS]; i++)
	{
		int64	   *e = s + C_HEADER + i * ENTRY_WIDTH(p);
		double		t_x = clv_slot_float8(e[1]),
					T = clv_slot_float8(e[2]);

		if (e[E_COUNT(p)] < 1)
			clv_state_corrupt(FIT_NAME, "A history has no customers.");
		/* the customers add up exactly, as the fit's count of them must */
		customers = clv_count_add(customers, e[E_COUNT(p)], "model fit customer count");
		/* entries never hold -0 (clv_fit_covariates_transfn adds 0.0), which equality of bits relies on */
		if (signbit(t_x) || signbit(T))
			clv_state_corrupt(FIT_NAME, "A history holds a negative value.");
		clv_check_pattern((ClvPatternKind) s[C_KIND], (double) e[0], t_x, T);
		if (s[C_KIND] == CLV_PATTERNS_SPEND && T != 0)
			clv_state_corrupt(FIT_NAME, "A spend history has a third value.");
		for (int k = 0; k < p; k++)
		{
			double		z = clv_slot_float8(e[E_COVARIATES + k]);

			if (!isfinite(z) || (z == 0 && signbit(z)))
				clv_state_corrupt(FIT_NAME, "A covariate is not finite, or is -0.");
		}
	}
	return state;
}

/* a state argument that is only read (a final function's, a combine function's second), checked */
static ArrayType *
state_get_checked(FunctionCallInfo fcinfo, int argno)
{
	return state_content_check(clv_state_checked_to_read(PG_GETARG_DATUM(argno), COV_MAGIC, C_HEADER, FIT_NAME));
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
 * The state of this row's group, created on its first row, with room for
 * one more entry; what every row must share (the kind, the number of
 * covariates, the penalizers) checked.
 */
static ClvStateRef
covariate_state(FunctionCallInfo fcinfo, ClvPatternKind kind, int p, const double *penalizers, int64 unit)
{
	ClvStateRef ref;
	ArrayType  *state;
	int64	   *s;
	ClvStateLayout layout;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("covariate model fit transition called in non-aggregate context")));
	if (PG_ARGISNULL(0))
	{
		state = state_alloc(64, p);
		s = clv_state_data(state);
		s[C_KIND] = kind;
		s[C_UNIT] = Max(unit, 0);
		for (int i = 0; i < NPENALIZERS; i++)
			s[C_PENALIZER + i] = clv_float8_slot(penalizers[i]);
		return clv_state_ref_new(fcinfo, state);
	}
	ref = clv_state_ref(fcinfo, PG_GETARG_DATUM(0), COV_MAGIC, C_HEADER, FIT_NAME);
	state = state_header_check(ref.array);
	s = clv_state_data(state);
	if (s[C_KIND] != kind)
		clv_state_corrupt(FIT_NAME, "The state holds another kind of histories.");
	if (s[C_NCOVARIATES] != p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every row must have the same number of covariates"),
				 errdetail("Found %d covariates after " INT64_FORMAT ".", p, s[C_NCOVARIATES])));
	for (int i = 0; i < NPENALIZERS; i++)
		if (s[C_PENALIZER + i] != clv_float8_slot(penalizers[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("penalizers must be the same for every row")));
	/* -1: a row without a time unit to check (a spend history) */
	if (s[C_UNIT] != unit && unit >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all summaries of a fit must use the same time_unit")));
	layout = state_layout(p);
	(void) clv_state_make_room(&ref, &layout, 1, state_compact, state_slots);
	clv_state_set_entries_used(&ref, &layout);
	return ref;
}

/* One history, checked, at the end of a state with room for it. */
static Datum
covariate_state_add(ClvStateRef ref, double x, double a, double b, const double *z)
{
	int64	   *s = clv_state_data(ref.array);
	int			p = (int) s[C_NCOVARIATES];
	ClvStateLayout layout = state_layout(p);
	int64	   *e = s + C_HEADER + s[C_NPATTERNS] * ENTRY_WIDTH(p);

	e[0] = (int64) x;
	e[1] = clv_float8_slot(a + 0.0);	/* + 0.0: -0 and 0 are one value */
	e[2] = clv_float8_slot(b + 0.0);
	for (int k = 0; k < p; k++)
		e[E_COVARIATES + k] = clv_float8_slot(z[k]);
	e[E_COUNT(p)] = 1;
	s[C_NPATTERNS]++;
	clv_state_set_entries_used(&ref, &layout);
	return clv_state_ref_datum(&ref);
}

/* a row's penalizers from argument first on: the baseline's, then npenalizers of the coefficients */
static void
penalizers_at(FunctionCallInfo fcinfo, int first, const char *const *names, int npenalizers,
			  double *penalizers)
{
	penalizers[0] = penalizer_at(fcinfo, first, "penalizer");
	for (int i = 0; i < CLV_COVARIATE_PENALIZERS; i++)
		penalizers[1 + i] = i < npenalizers ? penalizer_at(fcinfo, first + 1 + i, names[i]) : 0;
}

/*
 * clv_fit_bgnbd(frequency, recency, age, covariates [, penalizer,
 * purchase_penalizer, dropout_penalizer]), and the same for MBG/NBD and
 * Pareto/NBD: a row without a history (a NULL frequency, recency or age)
 * is left out like the plain fits leave it out; its covariates may not be
 * missing.
 */
Datum
clv_fit_covariates_transfn(PG_FUNCTION_ARGS)
{
	const ClvCovariateKind *ck = clv_covariate_kind(CLV_MODEL_BGNBD);
	double		z[CLV_MAX_COVARIATES];
	double		penalizers[NPENALIZERS];
	double		x,
				t_x,
				T;
	int			p;

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
	penalizers_at(fcinfo, 5, ck->penalizer_names, ck->npenalizers, penalizers);
	return covariate_state_add(covariate_state(fcinfo, CLV_PATTERNS_PURCHASES, p, penalizers, 0), x, t_x, T, z);
}

/*
 * clv_fit_bgnbd(summary, covariates [, penalizer, purchase_penalizer,
 * dropout_penalizer]), and the same for MBG/NBD and Pareto/NBD: customers
 * without purchases are left out, as the plain fits leave them out; all
 * summaries share one time unit.
 */
Datum
clv_fit_covariates_summary_transfn(PG_FUNCTION_ARGS)
{
	const ClvCovariateKind *ck = clv_covariate_kind(CLV_MODEL_BGNBD);
	ClvSummaryRow summary;
	double		z[CLV_MAX_COVARIATES];
	double		penalizers[NPENALIZERS];
	double		x,
				t_x,
				T;
	int			p;
	int64		unit;

	if (!PG_ARGISNULL(1))
		clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	if (PG_ARGISNULL(1) || !clv_summary_history(&summary, &x, &t_x, &T))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	unit = clv_interval_length_usecs(DatumGetIntervalP(clv_summary_get(&summary, CLV_SUMMARY_TIME_UNIT)), "time_unit");
	clv_check_history(x, t_x, T);
	p = covariates_arg(fcinfo, 2, z);
	penalizers_at(fcinfo, 3, ck->penalizer_names, ck->npenalizers, penalizers);
	return covariate_state_add(covariate_state(fcinfo, CLV_PATTERNS_PURCHASES, p, penalizers, unit), x, t_x, T, z);
}

/*
 * clv_fit_gammagamma(frequency, monetary, covariates [, penalizer,
 * spend_penalizer]): customers without repeat purchases are skipped, and
 * those whose mean repeat spend is not positive skipped and counted, as the
 * plain fit does.
 */
/* a spend history's row, x repeat purchases of mean m, with the covariates from argument first on */
static Datum
spend_covariates_add(FunctionCallInfo fcinfo, double x, double m, int first)
{
	const ClvCovariateKind *ck = clv_covariate_kind(CLV_MODEL_GAMMAGAMMA);
	double		z[CLV_MAX_COVARIATES];
	double		penalizers[NPENALIZERS];
	int			p;
	ClvStateRef ref;

	p = covariates_arg(fcinfo, first, z);
	penalizers_at(fcinfo, first + 1, ck->penalizer_names, ck->npenalizers, penalizers);
	if (isfinite(m) && m <= 0)
	{
		ref = covariate_state(fcinfo, CLV_PATTERNS_SPEND, p, penalizers, -1);
		clv_state_data(ref.array)[C_SKIPPED] = clv_count_add(clv_state_data(ref.array)[C_SKIPPED], 1,
															 "model fit customer count");
		return clv_state_ref_datum(&ref);
	}
	clv_check_pattern(CLV_PATTERNS_SPEND, x, m, 0);
	return covariate_state_add(covariate_state(fcinfo, CLV_PATTERNS_SPEND, p, penalizers, -1), x, m, 0, z);
}

/*
 * clv_fit_gammagamma(frequency, monetary, covariates [, penalizer,
 * spend_penalizer]): customers without repeat purchases are skipped, and
 * those whose mean repeat spend is not positive skipped and counted, as the
 * plain fit does.
 */
Datum
clv_fit_spend_covariates_transfn(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_GETARG_FLOAT8(1) == 0)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return spend_covariates_add(fcinfo, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2), 3);
}

/* clv_fit_gammagamma(summary, covariates [, penalizer, spend_penalizer]) */
Datum
clv_fit_spend_covariates_summary_transfn(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	double		x;

	if (!PG_ARGISNULL(1))
		clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(1), &summary);
	if (PG_ARGISNULL(1) || summary.nulls[CLV_SUMMARY_FREQUENCY] ||
		(x = DatumGetInt32(clv_summary_get(&summary, CLV_SUMMARY_FREQUENCY))) == 0)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	return spend_covariates_add(fcinfo, x, DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_MONETARY)), 2);
}

/*
 * Merge state b into a (clv_combine_first_state), as clv_fit_patterns_combine
 * does: b's entries appended, compacted with a's when the state fills up.
 */
Datum
clv_fit_covariates_combine(PG_FUNCTION_ARGS)
{
	Datum		given;
	ClvStateRef ref;
	int64	   *sa,
			   *sb,
				nb;
	ClvStateLayout layout;

	if (clv_combine_with_null(fcinfo, state_get_checked, &given))
		return given;
	sb = clv_state_data(state_get_checked(fcinfo, 1));
	ref = clv_combine_first_state(fcinfo, COV_MAGIC, C_HEADER, FIT_NAME, state_header_check,
								  state_content_check);
	sa = clv_state_data(ref.array);
	if (sa[C_KIND] != sb[C_KIND] || sa[C_NCOVARIATES] != sb[C_NCOVARIATES] || sa[C_UNIT] != sb[C_UNIT] ||
		memcmp(sa + C_PENALIZER, sb + C_PENALIZER, NPENALIZERS * sizeof(int64)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine covariate model fit states of different kinds, covariates, time units or penalizers")));
	nb = sb[C_NPATTERNS];
	layout = state_layout((int) sa[C_NCOVARIATES]);
	sa = clv_state_make_room(&ref, &layout, nb, state_compact, state_slots);
	sa[C_SKIPPED] = clv_count_add(sa[C_SKIPPED], sb[C_SKIPPED], "model fit customer count");
	memcpy(sa + C_HEADER + sa[C_NPATTERNS] * layout.width, sb + C_HEADER,
		   nb * layout.width * sizeof(int64));
	sa[C_NPATTERNS] += nb;
	clv_state_set_entries_used(&ref, &layout);
	return clv_state_ref_datum(&ref);
}

/* ---- the fit ---- */

typedef struct History
{
	double		x,
				a,				/* t_x, or the mean spend */
				b,				/* T, or 0 */
				count;
	const double *z;
} History;

typedef struct CovariateFit
{
	ClvModelKind kind;
	const ClvCovariateKind *ck;
	int			nbase;			/* the baseline's parameters */
	const History *histories;
	int64		nhistories;
	int			p;
	int			nfree;			/* nbase (no covariates) or all */
	double		scale;			/* 1 / customers for the mean, 1 for the total */
	bool		penalize;
	double		penalizers[NPENALIZERS];
} CovariateFit;

/* a coefficient's place in the optimizer's vector */
#define COEF(f, g, k) ((f)->nbase + (g) * (f)->p + (k))

/* one history's log-likelihood at its own parameters theta, and its gradient in theta */
static double
history_ll(const CovariateFit *f, const double *theta, const History *h, double *grad)
{
	switch (f->kind)
	{
		case CLV_MODEL_BGNBD:
		case CLV_MODEL_MBGNBD:
			return clv_bgnbd_history_ll(f->kind == CLV_MODEL_MBGNBD, theta, h->x, h->a, h->b, grad);
		case CLV_MODEL_PARETONBD:
			return clv_paretonbd_history_ll(theta, h->x, h->a, h->b, grad);
		default:
			return clv_gammagamma_history_ll(theta, h->x, h->a, grad);
	}
}

/*
 * Minus the mean (or total) log-likelihood, plus the penalties, at v: the
 * baseline's log-parameters, then the coefficients (taken as 0 while only
 * the baseline is free).
 */
static double
objective(const double *v, double *grad, void *arg)
{
	const CovariateFit *f = arg;
	const ClvCovariateKind *ck = f->ck;
	double		total = 0;
	double		value;

	if (grad != NULL)
		memset(grad, 0, f->nfree * sizeof(double));
	for (int64 i = 0; i < f->nhistories; i++)
	{
		const History *h = &f->histories[i];
		double		theta[CLV_MODEL_MAX_PARAMS];
		double		dtheta[CLV_MODEL_MAX_PARAMS];
		double		ll;

		/*
		 * one evaluation over many histories takes seconds (a Pareto/NBD
		 * history up to a millisecond): let a cancel in
		 */
		if ((i & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();

		for (int j = 0; j < f->nbase; j++)
			theta[j] = v[j];
		if (f->nfree > f->nbase)
			for (int g = 0; g < ck->ngroups; g++)
				for (int k = 0; k < f->p; k++)
					theta[ck->groups[g].param] += ck->groups[g].sign * v[COEF(f, g, k)] * h->z[k];
		for (int j = 0; j < f->nbase; j++)
		{
			theta[j] = exp(theta[j]);
			if (!(theta[j] > 0 && isfinite(theta[j])))
				return get_float8_infinity();
		}
		ll = history_ll(f, theta, h, grad ? dtheta : NULL);
		if (!isfinite(ll))
			return get_float8_infinity();
		total += h->count * ll;
		if (grad != NULL)
		{
			/* d ll / d log theta_j, then the coefficients' by the chain rule */
			for (int j = 0; j < f->nbase; j++)
			{
				dtheta[j] *= theta[j] * h->count;
				grad[j] += dtheta[j];
			}
			if (f->nfree > f->nbase)
				for (int g = 0; g < ck->ngroups; g++)
					for (int k = 0; k < f->p; k++)
						grad[COEF(f, g, k)] += ck->groups[g].sign * dtheta[ck->groups[g].param] * h->z[k];
		}
	}
	value = -total * f->scale;
	if (grad != NULL)
		for (int j = 0; j < f->nfree; j++)
			grad[j] *= -f->scale;
	if (f->penalize)
	{
		/*
		 * as fit.c on the (average customer's) natural parameters, and L2 on
		 * the standardised coefficients (coefficient x sd of its covariate),
		 * so that a penalty means the same whatever the covariates' units
		 */
		for (int j = 0; j < f->nbase; j++)
		{
			double		theta = exp(v[j]);

			value += f->penalizers[0] * theta * theta;
			if (grad != NULL)
				grad[j] += 2 * f->penalizers[0] * theta * theta;
		}
		for (int j = f->nbase; j < f->nfree; j++)
		{
			double		lambda = f->penalizers[1 + ck->groups[(j - f->nbase) / f->p].penalizer];

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
	for (int j = 0; j < f->nbase; j++)
		if (!(fabs(v[j] - start[j]) < CLV_MAX_ABS_LOG_PARAM))
			return true;
	for (int j = f->nbase; j < f->nfree; j++)
		if (!(fabs(v[j]) * max_abs_z[(j - f->nbase) % f->p] < CLV_MAX_ABS_LOG_PARAM))
			return true;
	return false;
}

static void
not_converged(const char *label, bool with_covariates, ClvOptimResult result, double customers)
{
	if (!with_covariates)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s fit without covariates did not converge", label),
				 errdetail("After %d iterations and %d evaluations of the likelihood, over %.0f customers; the fit with covariates starts from this one.",
						   result.iterations, result.evaluations, customers),
				 errhint("The data may not identify the model (too few customers or too short a history); a penalizer such as 0.001 keeps the parameters finite.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s fit with covariates did not converge", label),
			 errdetail("After %d iterations and %d evaluations of the likelihood, over %.0f customers.",
					   result.iterations, result.evaluations, customers),
			 errhint("A covariate that separates customers completely (one value only among customers who never bought again, say) sends its coefficient to infinity, and so do covariates that are nearly the same: a coefficient penalizer such as 0.0001 keeps them finite. Where the baseline's own parameters run off (Pareto/NBD's s and beta together), the baseline penalizer does.")));
}

/*
 * The largest variance, over the customers fitted (each distinct set of
 * covariates once: the histories come sorted by them), of a customer's own
 * log-parameter, w' C w with C the covariance of the standardised fit and
 * w the parameter's derivative in it: 1 for the baseline's log-parameter,
 * sign z for the coefficients of the group that moves it.
 */
static double
max_customer_log_variance(const CovariateFit *f, const double *covariance)
{
	const ClvCovariateKind *ck = f->ck;
	int			n = f->nfree;
	double		largest = 0;

	for (int64 i = 0; i < f->nhistories; i++)
	{
		const double *z = f->histories[i].z;

		if (i > 0 && memcmp(z, f->histories[i - 1].z, f->p * sizeof(double)) == 0)
			continue;
		for (int j = 0; j < f->nbase; j++)
		{
			double		w[CLV_OPTIM_MAX_PARAMS] = {0};
			double		variance = 0;

			w[j] = 1;
			for (int g = 0; g < ck->ngroups; g++)
				if (ck->groups[g].param == j)
					for (int k = 0; k < f->p; k++)
						w[COEF(f, g, k)] = ck->groups[g].sign * z[k];
			for (int a = 0; a < n; a++)
				if (w[a] != 0)
					for (int b = 0; b < n; b++)
						variance += w[a] * covariance[a * n + b] * w[b];
			largest = Max(largest, variance);
		}
		if ((i & 0xFF) == 0xFF)
			CHECK_FOR_INTERRUPTS();
	}
	return largest;
}

/* covariate k of entry i of a compacted state */
static inline double
covariate_of(const int64 *s, int p, int64 i, int k)
{
	return clv_slot_float8(s[C_HEADER + i * ENTRY_WIDTH(p) + E_COVARIATES + k]);
}

/*
 * The fit of a model of this kind to the state's histories; NULL for a
 * spend model without customers (as the plain fit).
 *
 * The optimizer works on standardised covariates, (z - mean) / sd over the
 * customers: its tolerance is then on the same scale whatever the
 * covariates' units (a covariate in millionths would otherwise stop it
 * early, at a point far from the maximum), and its baseline is the
 * average customer's.  The estimates and their covariance are mapped back
 * to the covariates as given (a linear map), so the model's baseline is
 * the customer with every covariate 0.  The penalties are on what the
 * optimizer sees, the average customer's parameters and the standardised
 * coefficients, so that they mean the same whatever the covariates' units.
 */
static ClvModel *
fit_with_covariates(FunctionCallInfo fcinfo, ClvModelKind kind)
{
	const ClvModelKindInfo *info = clv_model_kind_info(kind);
	ArrayType  *state = state_get_checked(fcinfo, 0);
	int64	   *s;
	int			p;
	CovariateFit f;
	History    *histories;
	double	   *standardised;
	double		customers = 0,
				sum_x = 0,
				sum_a = 0,
				sum_b = 0;
	double		mean_z[CLV_MAX_COVARIATES] = {0},
				sd_z[CLV_MAX_COVARIATES] = {0},
				max_abs_z[CLV_MAX_COVARIATES] = {0};
	double		v[CLV_OPTIM_MAX_PARAMS] = {0},
				u[CLV_OPTIM_MAX_PARAMS],
				start[CLV_OPTIM_MAX_PARAMS] = {0},
				gradient[CLV_OPTIM_MAX_PARAMS],
				covariance[CLV_OPTIM_MAX_PARAMS * CLV_OPTIM_MAX_PARAMS],
				jacobian[CLV_OPTIM_MAX_PARAMS][CLV_OPTIM_MAX_PARAMS] = {{0}};
	double		null_ll;
	int			n;
	ClvOptimResult result;
	ClvCovariateModel *model;
	ClvPatternKind want = (kind == CLV_MODEL_GAMMAGAMMA) ? CLV_PATTERNS_SPEND : CLV_PATTERNS_PURCHASES;
	bool		weak = false;

	s = clv_state_data(state);
	if (s[C_KIND] != want)
		clv_state_corrupt(FIT_NAME, "The histories are of another kind of model.");
	s = clv_state_copy_slots(state, C_HEADER + s[C_NPATTERNS] * ENTRY_WIDTH(s[C_NCOVARIATES]));
	state_compact(s);
	p = (int) s[C_NCOVARIATES];
	histories = palloc(Max(s[C_NPATTERNS], 1) * sizeof(History));
	standardised = palloc(Max(s[C_NPATTERNS] * p, 1) * sizeof(double));
	for (int64 i = 0; i < s[C_NPATTERNS]; i++)
	{
		int64	   *e = s + C_HEADER + i * ENTRY_WIDTH(p);
		History    *h = &histories[i];

		h->x = (double) e[0];
		h->a = clv_slot_float8(e[1]);
		h->b = clv_slot_float8(e[2]);
		h->count = (double) e[E_COUNT(p)];
		h->z = standardised + i * p;
		customers += h->count;
		sum_x += h->count * h->x;
		sum_a += h->count * h->a;
		sum_b += h->count * h->b;
	}
	if (want == CLV_PATTERNS_SPEND)
	{
		if (s[C_SKIPPED] > 0)
			ereport(NOTICE,
					(errmsg("%lld customers with a mean repeat spend of 0 or less were left out of the Gamma-Gamma fit",
							(long long) s[C_SKIPPED])));
		if (customers == 0)
			return NULL;
	}
	else if (sum_x == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s cannot be fitted without repeat purchases", info->label),
				 errdetail("None of the %.0f customers bought more than once.", customers)));

	/*
	 * The covariates' means and standard deviations, then the standardised
	 * values.  Each sum runs over values divided by the largest: covariates
	 * near 1e300 or 1e-300 neither overflow nor vanish in it.
	 */
	for (int k = 0; k < p; k++)
	{
		double		top = 0,
					spread = 0,
					sum = 0;

		for (int64 i = 0; i < s[C_NPATTERNS]; i++)
			top = Max(top, fabs(covariate_of(s, p, i, k)));
		if (top > 0)
			for (int64 i = 0; i < s[C_NPATTERNS]; i++)
				sum += histories[i].count / customers * (covariate_of(s, p, i, k) / top);
		mean_z[k] = sum * top;
		for (int64 i = 0; i < s[C_NPATTERNS]; i++)
			spread = Max(spread, fabs(covariate_of(s, p, i, k) - mean_z[k]));
		sum = 0;
		if (spread > 0)
			for (int64 i = 0; i < s[C_NPATTERNS]; i++)
			{
				double		d = (covariate_of(s, p, i, k) - mean_z[k]) / spread;

				sum += histories[i].count / customers * d * d;
			}
		sd_z[k] = spread * sqrt(sum);
		/* a covariate the same for everyone: centred to 0, its coefficient undetermined (weak) */
		if (!(sd_z[k] > 0 && isfinite(sd_z[k])))
			sd_z[k] = 1;
	}
	for (int64 i = 0; i < s[C_NPATTERNS]; i++)
		for (int k = 0; k < p; k++)
		{
			double		z = (covariate_of(s, p, i, k) - mean_z[k]) / sd_z[k];

			standardised[i * p + k] = z;
			max_abs_z[k] = Max(max_abs_z[k], fabs(z));
		}

	f.kind = kind;
	f.ck = clv_covariate_kind(kind);
	f.nbase = info->nparams;
	f.histories = histories;
	f.nhistories = s[C_NPATTERNS];
	f.p = p;
	for (int i = 0; i < NPENALIZERS; i++)
		f.penalizers[i] = clv_slot_float8(s[C_PENALIZER + i]);

	/* the model without covariates, from where the plain fits start */
	if (kind == CLV_MODEL_GAMMAGAMMA)
	{
		/* a mean spend gamma p / (q - 1) equal to the observed one */
		v[1] = log(2);
		v[2] = log(sum_a / customers);
	}
	else
	{
		/* a Poisson rate r/alpha at the mean repeat rate (Pareto/NBD: lifetimes about the mean age) */
		v[1] = log(Max(sum_b / customers, 1e-6) / Max(sum_x / customers, 1e-6));
		if (kind == CLV_MODEL_PARETONBD)
			v[3] = log(Max(sum_b / customers, 1e-6));
	}
	memcpy(start, v, sizeof(v));
	f.nfree = f.nbase;
	f.scale = 1 / customers;
	f.penalize = true;
	result = clv_minimize(objective, &f, v, f.nbase, NULL, CLV_OPTIM_ANY_EVALUATIONS);
	if (!result.converged || ran_off(&f, v, start, max_abs_z))
		not_converged(info->label, false, result, customers);
	f.scale = 1;
	f.penalize = false;
	null_ll = -objective(v, NULL, &f);

	/* then everything, from there with every coefficient 0 */
	n = f.nbase + f.ck->ngroups * p;
	f.nfree = n;
	f.scale = 1 / customers;
	f.penalize = true;
	result = clv_minimize(objective, &f, v, n, NULL, CLV_OPTIM_ANY_EVALUATIONS);
	if (!result.converged || ran_off(&f, v, start, max_abs_z))
		not_converged(info->label, true, result, customers);

	/*
	 * Back to the covariates as given, u = J v: a coefficient is divided by
	 * its covariate's sd, and the baseline log-parameter it moves shifts by
	 * -sign coefficient mean / sd.
	 */
	for (int j = 0; j < n; j++)
		jacobian[j][j] = 1;
	for (int g = 0; g < f.ck->ngroups; g++)
		for (int k = 0; k < p; k++)
		{
			int			c = COEF(&f, g, k);

			jacobian[c][c] = 1 / sd_z[k];
			jacobian[f.ck->groups[g].param][c] = -f.ck->groups[g].sign * mean_z[k] / sd_z[k];
		}
	for (int i = 0; i < n; i++)
	{
		u[i] = 0;
		for (int j = 0; j < n; j++)
			u[i] += jacobian[i][j] * v[j];
	}

	model = palloc0(sizeof(ClvCovariateModel));
	SET_VARSIZE(model, sizeof(ClvCovariateModel));
	model->base.kind = kind;
	model->base.flags = CLV_MODEL_CONVERGED;
	model->base.iterations = result.iterations;
	model->base.customers = (int64) customers;
	model->base.penalizer = f.penalizers[0];
	for (int j = 0; j < f.nbase; j++)
	{
		model->base.params[j] = exp(u[j]);
		if (!isnormal(model->base.params[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the %s baseline (every covariate 0) has %s out of range", info->label,
							info->param_names[j]),
					 errdetail("The fit converged, but a customer with every covariate 0 lies far outside the customers fitted: %s = e^%g.",
							   info->param_names[j], u[j]),
					 errhint("Centre the covariates (subtract a typical value), so that 0 is a plausible customer.")));
	}
	model->ncovariates = p;
	model->ngroups = f.ck->ngroups;
	model->null_log_likelihood = null_ll;
	for (int i = 0; i < f.ck->npenalizers; i++)
		model->penalizer[i] = f.penalizers[1 + i];
	for (int g = 0; g < f.ck->ngroups; g++)
		for (int k = 0; k < p; k++)
			model->coef[g][k] = u[COEF(&f, g, k)] + 0.0;

	/* the log-likelihood and the observed information, without the penalties */
	f.scale = 1;
	f.penalize = false;
	model->base.log_likelihood = -objective(v, gradient, &f);
	if (clv_inverse_hessian(objective, &f, v, gradient, n, covariance))
	{
		double		mapped[CLV_OPTIM_MAX_PARAMS * CLV_OPTIM_MAX_PARAMS];

		/*
		 * The covariance as given, J C J', for the baseline's block (its rows
		 * of J hold 1 and mean / sd, moderate numbers); a coefficient's
		 * standard error is its standardised one over its covariate's sd,
		 * taken so, without squaring an sd of 1e200 or 1e-200.
		 */
		for (int i = 0; i < f.nbase; i++)
			for (int j = 0; j < f.nbase; j++)
			{
				double		sum = 0;

				for (int a = 0; a < n; a++)
					for (int b = 0; b < n; b++)
						sum += jacobian[i][a] * covariance[a * n + b] * jacobian[j][b];
				mapped[i * n + j] = sum;
			}
		for (int j = 0; j < n; j++)
			if (!(covariance[j * n + j] > 0 && isfinite(covariance[j * n + j])) ||
				(j < f.nbase && !(mapped[j * n + j] > 0 && isfinite(mapped[j * n + j]))))
				weak = true;
		if (!weak)
		{
			bool		beyond_float8 = false;

			model->base.flags |= CLV_MODEL_HAS_COVARIANCE;
			for (int i = 0; i < f.nbase; i++)
				for (int j = 0; j < f.nbase; j++)
					model->base.covariance[i * CLV_MODEL_MAX_PARAMS + j] =
						(mapped[i * n + j] + mapped[j * n + i]) / 2;
			for (int g = 0; g < f.ck->ngroups; g++)
				for (int k = 0; k < p; k++)
				{
					double		standardised = sqrt(covariance[COEF(&f, g, k) * n + COEF(&f, g, k)]);

					model->std_error[g][k] = standardised / sd_z[k];
					if (!(model->std_error[g][k] > 0 && isfinite(model->std_error[g][k])))
						weak = true;
					beyond_float8 |= !isfinite(model->std_error[g][k]);
				}
			/*
			 * As fit.c's rule for the baseline (the data cannot tell theta
			 * from e theta), for every customer's own parameters: a rare
			 * category's customers may be poorly determined where the
			 * average customer is not
			 */
			weak |= max_customer_log_variance(&f, covariance) > 1;
			/* a standard error beyond a float8 (an sd near 1e-308): no covariance after all */
			if (beyond_float8)
			{
				model->base.flags &= ~CLV_MODEL_HAS_COVARIANCE;
				memset(model->base.covariance, 0, sizeof(model->base.covariance));
				memset(model->std_error, 0, sizeof(model->std_error));
			}
		}
	}
	else
		weak = true;
	if (weak)
		model->base.flags |= CLV_MODEL_WEAK;
	clv_covariate_model_check(model);
	if (weak)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s parameters are poorly determined by these " INT64_FORMAT " customers",
						info->label, model->base.customers),
				 errdetail("Some customers' own parameters have a standard error above their size, or the information matrix is singular."),
				 errhint("A covariate that a few customers have, or one the same for everyone, is poorly determined: merge rare categories, drop constant covariates, or add a coefficient penalizer. A baseline far from every customer (covariates not centred) is poorly determined too.")));
	if (kind == CLV_MODEL_GAMMAGAMMA && !clv_gammagamma_defined(&model->base, 0))
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the Gamma-Gamma fit has q = %g, so mean spend is infinite", model->base.params[1]),
				 errdetail("Expected spend is NULL for customers with p x frequency + q <= 1 (p = %g).",
						   model->base.params[0])));
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

Datum
clv_fit_paretonbd_covariates_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(fit_with_covariates(fcinfo, CLV_MODEL_PARETONBD));
}

Datum
clv_fit_gammagamma_covariates_final(PG_FUNCTION_ARGS)
{
	ClvModel   *model = fit_with_covariates(fcinfo, CLV_MODEL_GAMMAGAMMA);

	if (model == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(model);
}

/* ---- scores ---- */

/*
 * The plain model of a customer with covariates z: the baseline with the
 * parameters the covariates move moved by the coefficients.  Every score of
 * the covariate model is this model's score of the customer's history.  The
 * covariance does not carry over (it is the baseline's), so interval
 * functions refuse the result.
 */
static ClvModel *
individual_model(FunctionCallInfo fcinfo, int model_arg, int covariates_arg_no)
{
	ClvCovariateModel *model = (ClvCovariateModel *) PG_GETARG_CLV_MODEL_P(model_arg);
	const ClvCovariateKind *ck;
	ClvModel   *plain;
	double		z[CLV_MAX_COVARIATES];
	int			p;

	if (!clv_model_has_covariates(&model->base))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model has no covariates"),
				 errhint("Call the function without covariates.")));
	clv_covariate_model_check(model);
	ck = clv_covariate_kind(model->base.kind);
	p = covariates_arg(fcinfo, covariates_arg_no, z);
	if (p != model->ncovariates)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model has %d covariates, not %d", model->ncovariates, p)));
	plain = clv_model_new(model->base.kind);
	memcpy(VARDATA(plain), VARDATA(&model->base), sizeof(ClvModel) - VARHDRSZ);
	plain->flags &= ~CLV_MODEL_HAS_COVARIANCE;
	memset(plain->covariance, 0, sizeof(plain->covariance));
	for (int g = 0; g < ck->ngroups; g++)
	{
		double		eta = 0;

		for (int k = 0; k < p; k++)
			eta += model->coef[g][k] * z[k];
		plain->params[ck->groups[g].param] *= exp(ck->groups[g].sign * eta);
	}
	for (int j = 0; j < clv_model_kind_info(plain->kind)->nparams; j++)
		if (!(plain->params[j] > 0 && isfinite(plain->params[j])))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("these covariates put the model's %s out of range",
							clv_model_kind_info(plain->kind)->param_names[j]),
					 errhint("The covariates are far outside those the model was fitted on.")));
	clv_model_check(plain);
	return plain;
}

/* a purchase model's: refuse a spend model by name */
static ClvModel *
individual_purchase_model(FunctionCallInfo fcinfo, int model_arg, int covariates_arg_no)
{
	ClvModel   *plain = individual_model(fcinfo, model_arg, covariates_arg_no);

	if (plain->kind == CLV_MODEL_GAMMAGAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function needs a purchase model (bgnbd, mbgnbd or paretonbd), not gammagamma")));
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
	ClvModel   *plain = individual_purchase_model(fcinfo, 0, 4);

	PG_RETURN_FLOAT8(clv_purchases_p_alive(plain, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
										   PG_GETARG_FLOAT8(3)));
}

/* clv_expected_purchases(model, t, frequency, recency, age, covariates) */
Datum
clv_covariates_expected_purchases(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_purchase_model(fcinfo, 0, 5);

	PG_RETURN_FLOAT8(clv_purchases_expected(plain, PG_GETARG_FLOAT8(1), PG_GETARG_FLOAT8(2),
											PG_GETARG_FLOAT8(3), PG_GETARG_FLOAT8(4)));
}

/* clv_expected_purchases_new(model, t, covariates): a new customer with these characteristics */
Datum
clv_covariates_expected_purchases_new(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_purchase_model(fcinfo, 0, 2);
	double		t = PG_GETARG_FLOAT8(1);

	PG_RETURN_FLOAT8(plain->kind == CLV_MODEL_PARETONBD ? clv_paretonbd_expected_new(plain, t) :
					 clv_bgnbd_expected_new_of(plain, t));
}

/* clv_expected_spend(model, frequency, monetary, covariates): NULL where the mean is infinite */
Datum
clv_covariates_expected_spend(PG_FUNCTION_ARGS)
{
	ClvModel   *plain = individual_model(fcinfo, 0, 3);
	double		x = PG_GETARG_FLOAT8(1);

	if (plain->kind != CLV_MODEL_GAMMAGAMMA)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function needs a gammagamma model, not %s", clv_model_kind_info(plain->kind)->name)));
	if (isfinite(x) && !clv_gammagamma_defined(plain, x))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_gammagamma_expected(plain, x, PG_GETARG_FLOAT8(2)));
}
