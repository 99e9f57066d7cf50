/*
 * model.c: input, output, send and receive of clv_model, and its jsonb view.
 *
 * Text form, one line of key=value pairs in a fixed order:
 *   kind=bgnbd r=0.2426 alpha=4.414 a=0.7929 b=2.426 log_likelihood=-9582.43
 *   customers=2357 iterations=31 converged=true penalizer=0 [weak=true]
 *   [covariance=c11,c12,...]
 * MBG/CNBD-k and BG/CNBD-k write their k first: kind=mbgcnbd k=2 r=...
 * Floats are written in their shortest exact form, so text and binary both
 * round-trip bit for bit.  Input checks as much as a fit guarantees: known
 * kind, every parameter present once, positive and finite, counts not
 * negative, a covariance (optional) that is finite, symmetric and has a
 * positive diagonal; anything else, or anything more, is an error.
 */
#include "model.h"
#include "special.h"

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

/*
 * The stored layout: 0.3.0's values, on disk, have these offsets and this
 * size, and shape where they had padding (always 0: clv_model_new zeroes).
 */
StaticAssertDecl(offsetof(ClvModel, shape) == 12 && offsetof(ClvModel, customers) == 16 &&
				 sizeof(ClvModel) == 200, "clv_model's stored layout changed");

PG_FUNCTION_INFO_V1(clv_model_in);
PG_FUNCTION_INFO_V1(clv_model_out);
PG_FUNCTION_INFO_V1(clv_model_recv);
PG_FUNCTION_INFO_V1(clv_model_send);
PG_FUNCTION_INFO_V1(clv_model_jsonb);

/*
 * The continuous-time purchase models' likelihoods are densities of the
 * purchase times (a customer with x purchases contributes a factor of about
 * lambda^x), so they exceed 1 when purchases are many per time unit: 50
 * purchases in one year, with time in years.  Only the discrete models'
 * likelihoods (BG/BB, sBG) are probabilities.
 */
static const ClvModelKindInfo kinds[] = {
	{CLV_MODEL_BGNBD, "bgnbd", "BG/NBD", false, 4, {"r", "alpha", "a", "b"}},
	{CLV_MODEL_GAMMAGAMMA, "gammagamma", "Gamma-Gamma", false, 3, {"p", "q", "gamma"}},
	{CLV_MODEL_MBGNBD, "mbgnbd", "MBG/NBD", false, 4, {"r", "alpha", "a", "b"}},
	{CLV_MODEL_PARETONBD, "paretonbd", "Pareto/NBD", false, 4, {"r", "alpha", "s", "beta"}},
	{CLV_MODEL_BGBB, "bgbb", "BG/BB", true, 4, {"alpha", "beta", "gamma", "delta"}},
	{CLV_MODEL_SBG, "sbg", "sBG", true, 2, {"alpha", "beta"}},
	{CLV_MODEL_MBGCNBD, "mbgcnbd", "MBG/CNBD-k", false, 4, {"r", "alpha", "a", "b"}},
	{CLV_MODEL_BGCNBD, "bgcnbd", "BG/CNBD-k", false, 4, {"r", "alpha", "a", "b"}},
};

const ClvModelKindInfo *
clv_model_kind_info(int kind)
{
	for (int i = 0; i < lengthof(kinds); i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

/* whether models of this kind carry a k (ClvModel.shape) */
bool
clv_model_has_shape(int kind)
{
	return kind == CLV_MODEL_MBGCNBD || kind == CLV_MODEL_BGCNBD;
}

ClvModel *
clv_model_new(ClvModelKind kind)
{
	ClvModel   *model = palloc0(sizeof(ClvModel));

	SET_VARSIZE(model, sizeof(ClvModel));
	model->kind = kind;
	return model;
}

static void
model_invalid(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid clv_model"),
			 errdetail("%s", detail)));
}

/*
 * An unused slot holds +0: the text form does not carry it, so a -0 that
 * came in binary would not survive a dump and restore.
 */
static bool
is_plus_zero(double value)
{
	return value == 0 && !signbit(value);
}

/*
 * Everything a model must satisfy, however it arrived.  A few models that
 * passed are remembered, bit for bit: scoring a million customers passes the
 * same models a million times, and comparing their bytes costs less than
 * checking every field again.  A few, not one: a customer's predicted value
 * takes a purchase and a spend model, and a pipeline's scores check both for
 * every customer in turn.  The one used least recently makes room for a new
 * one, so that scoring with covariates, which checks a plain model made for
 * each customer, keeps the shared models.
 */
#define VALID_MODELS_KEPT 4

static void
check_fields(const ClvModel *model)
{
	static ClvModel valid_models[VALID_MODELS_KEPT];
	static uint64 valid_model_used[VALID_MODELS_KEPT];	/* 0: the slot is empty */
	static uint64 checks = 0;
	const ClvModelKindInfo *info;
	int			n,
				oldest = 0;

	checks++;
	for (int i = 0; i < VALID_MODELS_KEPT; i++)
	{
		if (valid_model_used[i] != 0 && memcmp(model, &valid_models[i], sizeof(ClvModel)) == 0)
		{
			valid_model_used[i] = checks;
			return;
		}
		if (valid_model_used[i] < valid_model_used[oldest])
			oldest = i;
	}
	info = clv_model_kind_info(model->kind);
	if (info == NULL)
		model_invalid("The model kind is unknown.");
	if ((model->flags & ~CLV_MODEL_ALL_FLAGS) != 0)
		model_invalid("The flags are unknown.");
	if (clv_model_has_shape(model->kind) ?
		!(model->shape >= 1 && model->shape <= CLV_MODEL_MAX_SHAPE) : model->shape != 0)
		model_invalid(psprintf("k must be between 1 and %d for mbgcnbd and bgcnbd, and absent for other kinds.",
							   CLV_MODEL_MAX_SHAPE));
	n = info->nparams;
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS; i++)
		if (i < n ? !(isfinite(model->params[i]) && model->params[i] > 0) : !is_plus_zero(model->params[i]))
			model_invalid("A parameter is missing, not positive or not finite.");
	if (!isfinite(model->log_likelihood) || (info->probability && model->log_likelihood > 0))
		model_invalid("The log-likelihood is not finite, or above 0 for a model of probabilities.");
	if (!isfinite(model->penalizer) || model->penalizer < 0)
		model_invalid("The penalizer is negative or not finite.");
	if (model->customers < 0 || model->iterations < 0)
		model_invalid("A count is negative.");
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS; i++)
		for (int j = 0; j < CLV_MODEL_MAX_PARAMS; j++)
		{
			double		c = model->covariance[i * CLV_MODEL_MAX_PARAMS + j];

			if (!(model->flags & CLV_MODEL_HAS_COVARIANCE) || i >= n || j >= n)
			{
				if (!is_plus_zero(c))
					model_invalid("The covariance has entries it should not have.");
			}
			else if (!isfinite(c) || c != model->covariance[j * CLV_MODEL_MAX_PARAMS + i] ||
					 (i == j && !(c > 0)))
				model_invalid("The covariance is not finite and symmetric with a positive diagonal.");
		}
	memcpy(&valid_models[oldest], model, sizeof(ClvModel));
	valid_model_used[oldest] = checks;
}

static const ClvCovariateKind covariate_kinds[] = {
	{CLV_MODEL_BGNBD, 3, {{"purchase", 1, -1, 0}, {"dropout_a", 2, 1, 1}, {"dropout_b", 3, 1, 1}},
	2, {"purchase_penalizer", "dropout_penalizer"}},
	{CLV_MODEL_MBGNBD, 3, {{"purchase", 1, -1, 0}, {"dropout_a", 2, 1, 1}, {"dropout_b", 3, 1, 1}},
	2, {"purchase_penalizer", "dropout_penalizer"}},
	{CLV_MODEL_PARETONBD, 2, {{"purchase", 1, -1, 0}, {"dropout", 3, -1, 1}},
	2, {"purchase_penalizer", "dropout_penalizer"}},
	{CLV_MODEL_GAMMAGAMMA, 1, {{"spend", 2, 1, 0}}, 1, {"spend_penalizer"}},
};

const ClvCovariateKind *
clv_covariate_kind(int kind)
{
	for (int i = 0; i < lengthof(covariate_kinds); i++)
		if (covariate_kinds[i].kind == kind)
			return &covariate_kinds[i];
	return NULL;
}

/* whether the value is a model with covariates (ClvCovariateModel) */
bool
clv_model_has_covariates(const ClvModel *model)
{
	return VARSIZE_ANY(model) == sizeof(ClvCovariateModel);
}

/*
 * A model without covariates, as every function that scores a customer from
 * the history alone needs: a model with covariates is refused by name.
 */
void
clv_model_check(const ClvModel *model)
{
	if (clv_model_has_covariates(model))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function takes a model without covariates"),
				 errdetail("The %s model was fitted with %d covariates, so its scores depend on each customer's covariates.",
						   clv_model_kind_info(model->kind) ? clv_model_kind_info(model->kind)->label : "given",
						   ((const ClvCovariateModel *) model)->ncovariates),
				 errhint("Pass the customer's covariates: clv_p_alive, clv_expected_purchases and clv_expected_spend take them last, and clv_model_individual(model, covariates) gives the plain model of a customer for any other function.")));
	if (VARSIZE_ANY(model) != sizeof(ClvModel))
		model_invalid("The value has the wrong size.");
	check_fields(model);
}

static bool
all_plus_zero(const double *values, int from, int to)
{
	for (int i = from; i < to; i++)
		if (!is_plus_zero(values[i]))
			return false;
	return true;
}

/* A model with covariates: its base as any model's, then the coefficients. */
void
clv_covariate_model_check(const ClvCovariateModel *model)
{
	const ClvModelKindInfo *info;
	const ClvCovariateKind *ck;
	int			p;

	if (VARSIZE_ANY(model) != sizeof(ClvCovariateModel))
		model_invalid("The value has the wrong size for a model with covariates.");
	check_fields(&model->base);
	info = clv_model_kind_info(model->base.kind);
	ck = clv_covariate_kind(model->base.kind);
	if (ck == NULL)
		model_invalid("Only bgnbd, mbgnbd, paretonbd and gammagamma models take covariates.");
	p = model->ncovariates;
	if (p < 1 || p > CLV_MAX_COVARIATES || model->ngroups != ck->ngroups)
		model_invalid(psprintf("A %s model has 1 to %d covariates in %d groups.", info->name,
							   CLV_MAX_COVARIATES, ck->ngroups));
	if (!isfinite(model->null_log_likelihood) || (info->probability && model->null_log_likelihood > 0) ||
		!isfinite(2 * (model->base.log_likelihood - model->null_log_likelihood)))
		model_invalid("The log-likelihood without covariates is not finite, or above 0, or too far from the model's.");
	for (int i = 0; i < CLV_COVARIATE_PENALIZERS; i++)
		if (i < ck->npenalizers ? !(isfinite(model->penalizer[i]) && model->penalizer[i] >= 0) :
			!is_plus_zero(model->penalizer[i]))
			model_invalid("A coefficient penalizer is negative, not finite, or given where the kind has none.");
	for (int g = 0; g < CLV_COVARIATE_GROUPS; g++)
	{
		int			given = g < ck->ngroups ? p : 0;

		for (int k = 0; k < given; k++)
			if (!isfinite(model->coef[g][k]) || !isfinite(model->std_error[g][k]) ||
				model->std_error[g][k] < 0 ||
				(!(model->base.flags & CLV_MODEL_HAS_COVARIANCE) && !is_plus_zero(model->std_error[g][k])))
				model_invalid("A coefficient or its standard error is not finite, or a standard error is negative or given without a covariance.");
		if (!all_plus_zero(model->coef[g], given, CLV_MAX_COVARIATES) ||
			!all_plus_zero(model->std_error[g], given, CLV_MAX_COVARIATES))
			model_invalid("A coefficient is given beyond the covariates or the groups.");
	}
}

/* Either kind of value, as the type's own functions take it. */
void
clv_model_check_any(const ClvModel *model)
{
	if (clv_model_has_covariates(model))
		clv_covariate_model_check((const ClvCovariateModel *) model);
	else
		clv_model_check(model);
}

/* A model argument, checked, of the kind the caller needs. */
const ClvModel *
clv_model_arg(FunctionCallInfo fcinfo, int argno, ClvModelKind kind)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(argno);

	clv_model_check(model);
	if (model->kind != kind)
	{
		const ClvModelKindInfo *have = clv_model_kind_info(model->kind);

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this function needs a %s model, not %s",
						clv_model_kind_info(kind)->name, have ? have->name : "an unknown kind")));
	}
	return model;
}

static void
append_double(StringInfo buf, double value)
{
	char		digits[DOUBLE_SHORTEST_DECIMAL_LEN];

	double_to_shortest_decimal_buf(value, digits);
	appendStringInfoString(buf, digits);
}

/* a number for jsonb, null where it is not finite (a criterion of a log-likelihood near -1e308) */
static void
append_json_double(StringInfo buf, double value)
{
	if (isfinite(value))
		append_double(buf, value);
	else
		appendStringInfoString(buf, "null");
}

static void
append_list(StringInfo buf, const char *key, const double *values, int n)
{
	appendStringInfo(buf, " %s=", key);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		append_double(buf, values[i]);
	}
}

/*
 * The text form's tail for covariates:
 *   covariates=2 purchase=0.4,-0.1 dropout_a=... dropout_b=...
 *   std_errors=(purchase's, dropout_a's, dropout_b's) null_log_likelihood=...
 *   purchase_penalizer=0 dropout_penalizer=0
 * with the groups and penalizers of the model's kind (clv_covariate_kind).
 */
static void
append_covariates(StringInfo buf, const ClvCovariateModel *model)
{
	const ClvCovariateKind *ck = clv_covariate_kind(model->base.kind);
	int			p = model->ncovariates;
	double		std_errors[CLV_COVARIATE_GROUPS * CLV_MAX_COVARIATES];

	appendStringInfo(buf, " covariates=%d", p);
	for (int g = 0; g < ck->ngroups; g++)
	{
		append_list(buf, ck->groups[g].name, model->coef[g], p);
		memcpy(std_errors + g * p, model->std_error[g], p * sizeof(double));
	}
	if (model->base.flags & CLV_MODEL_HAS_COVARIANCE)
		append_list(buf, "std_errors", std_errors, ck->ngroups * p);
	append_list(buf, "null_log_likelihood", &model->null_log_likelihood, 1);
	for (int i = 0; i < ck->npenalizers; i++)
		append_list(buf, ck->penalizer_names[i], &model->penalizer[i], 1);
}

Datum
clv_model_out(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	const ClvModelKindInfo *info;
	StringInfoData buf;
	int			n;

	clv_model_check_any(model);
	info = clv_model_kind_info(model->kind);
	n = info->nparams;
	initStringInfo(&buf);
	appendStringInfo(&buf, "kind=%s", info->name);
	if (clv_model_has_shape(model->kind))
		appendStringInfo(&buf, " k=%d", model->shape);
	for (int i = 0; i < n; i++)
	{
		appendStringInfo(&buf, " %s=", info->param_names[i]);
		append_double(&buf, model->params[i]);
	}
	appendStringInfoString(&buf, " log_likelihood=");
	append_double(&buf, model->log_likelihood);
	appendStringInfo(&buf, " customers=" INT64_FORMAT " iterations=%d converged=%s penalizer=",
					 model->customers, model->iterations,
					 (model->flags & CLV_MODEL_CONVERGED) ? "true" : "false");
	append_double(&buf, model->penalizer);
	if (model->flags & CLV_MODEL_WEAK)
		appendStringInfoString(&buf, " weak=true");
	if (model->flags & CLV_MODEL_HAS_COVARIANCE)
	{
		appendStringInfoString(&buf, " covariance=");
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++)
			{
				if (i + j > 0)
					appendStringInfoChar(&buf, ',');
				append_double(&buf, model->covariance[i * CLV_MODEL_MAX_PARAMS + j]);
			}
	}
	if (clv_model_has_covariates(model))
		append_covariates(&buf, (const ClvCovariateModel *) model);
	PG_RETURN_CSTRING(buf.data);
}

static void
syntax_error(const char *input, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type clv_model: \"%s\"", input),
			 errdetail("%s", detail)));
}

/* The next "key=" at *p (after blanks); returns the value's start. */
static char *
expect_key(const char *input, char **p, const char *key)
{
	size_t		len = strlen(key);

	while (**p == ' ')
		(*p)++;
	if (strncmp(*p, key, len) != 0 || (*p)[len] != '=')
		syntax_error(input, psprintf("Expected \"%s=\".", key));
	*p += len + 1;
	return *p;
}

/*
 * After strtod: overflow, underflow to 0, or not finite.  A subnormal
 * result also sets ERANGE but is exact, and clv_model_out writes one for a
 * model received in binary (as float8in accepts them).
 */
static bool
float_out_of_range(double value)
{
	return (errno == ERANGE && value == 0) || !isfinite(value);
}

static double
parse_double(const char *input, char **p, const char *key)
{
	char	   *end;
	double		value;

	expect_key(input, p, key);
	errno = 0;
	value = strtod(*p, &end);
	if (end == *p || float_out_of_range(value) || (*end != ' ' && *end != '\0'))
		syntax_error(input, psprintf("The value of \"%s\" is not a finite number.", key));
	*p = end;
	return value;
}

static int64
parse_int(const char *input, char **p, const char *key)
{
	char	   *end;
	long long	value;

	expect_key(input, p, key);
	errno = 0;
	value = strtoll(*p, &end, 10);
	if (end == *p || errno == ERANGE || (*end != ' ' && *end != '\0'))
		syntax_error(input, psprintf("The value of \"%s\" is not a whole number.", key));
	*p = end;
	return (int64) value;
}

/* "key=" and n comma-separated finite numbers */
static void
parse_list(const char *input, char **p, const char *key, double *values, int n)
{
	expect_key(input, p, key);
	for (int i = 0; i < n; i++)
	{
		char	   *end;

		if (i > 0)
		{
			if (**p != ',')
				syntax_error(input, psprintf("\"%s\" needs %d values.", key, n));
			(*p)++;
		}
		errno = 0;
		values[i] = strtod(*p, &end);
		if (end == *p || float_out_of_range(values[i]))
			syntax_error(input, psprintf("A value of \"%s\" is not a finite number.", key));
		*p = end;
	}
	if (**p != ' ' && **p != '\0')
		syntax_error(input, psprintf("\"%s\" needs %d values.", key, n));
}

/* The tail append_covariates writes, after the base model's fields. */
static ClvCovariateModel *
parse_covariates(const char *input, char **p, const ClvModel *base)
{
	const ClvCovariateKind *ck = clv_covariate_kind(base->kind);
	ClvCovariateModel *model = palloc0(sizeof(ClvCovariateModel));
	double		std_errors[CLV_COVARIATE_GROUPS * CLV_MAX_COVARIATES];
	int64		ncovariates = parse_int(input, p, "covariates");
	int			n;

	if (ck == NULL)
		syntax_error(input, "Only bgnbd, mbgnbd, paretonbd and gammagamma models take covariates.");
	if (ncovariates < 1 || ncovariates > CLV_MAX_COVARIATES)
		syntax_error(input, psprintf("A model has 1 to %d covariates.", CLV_MAX_COVARIATES));
	memcpy(&model->base, base, sizeof(ClvModel));
	SET_VARSIZE(model, sizeof(ClvCovariateModel));
	model->ncovariates = (int32) ncovariates;
	model->ngroups = ck->ngroups;
	n = model->ncovariates;
	for (int g = 0; g < ck->ngroups; g++)
		parse_list(input, p, ck->groups[g].name, model->coef[g], n);
	if (base->flags & CLV_MODEL_HAS_COVARIANCE)
	{
		parse_list(input, p, "std_errors", std_errors, ck->ngroups * n);
		for (int g = 0; g < ck->ngroups; g++)
			memcpy(model->std_error[g], std_errors + g * n, n * sizeof(double));
	}
	parse_list(input, p, "null_log_likelihood", &model->null_log_likelihood, 1);
	for (int i = 0; i < ck->npenalizers; i++)
		parse_list(input, p, ck->penalizer_names[i], &model->penalizer[i], 1);
	while (**p == ' ')
		(*p)++;
	if (**p != '\0')
		syntax_error(input, "Unexpected text after the covariates.");
	return model;
}

Datum
clv_model_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	char	   *p = input;
	const ClvModelKindInfo *info = NULL;
	ClvModel   *model;
	int64		iterations;
	int			n;

	expect_key(input, &p, "kind");
	for (int i = 0; i < lengthof(kinds); i++)
	{
		size_t		len = strlen(kinds[i].name);

		if (strncmp(p, kinds[i].name, len) == 0 && (p[len] == ' ' || p[len] == '\0'))
		{
			info = &kinds[i];
			p += len;
		}
	}
	if (info == NULL)
		syntax_error(input, "Unknown model kind; the kinds are: bgbb, bgcnbd, bgnbd, gammagamma, mbgcnbd, mbgnbd, paretonbd, sbg.");
	model = clv_model_new(info->kind);
	if (clv_model_has_shape(info->kind))
	{
		int64		shape = parse_int(input, &p, "k");

		if (shape < 1 || shape > CLV_MODEL_MAX_SHAPE)
			syntax_error(input, psprintf("k must be between 1 and %d.", CLV_MODEL_MAX_SHAPE));
		model->shape = (int32) shape;
	}
	n = info->nparams;
	for (int i = 0; i < n; i++)
		model->params[i] = parse_double(input, &p, info->param_names[i]);
	model->log_likelihood = parse_double(input, &p, "log_likelihood");
	model->customers = parse_int(input, &p, "customers");
	iterations = parse_int(input, &p, "iterations");
	if (iterations < 0 || iterations > PG_INT32_MAX)
		syntax_error(input, "The iteration count is out of range.");
	model->iterations = (int32) iterations;
	expect_key(input, &p, "converged");
	if (strncmp(p, "true", 4) == 0)
	{
		model->flags |= CLV_MODEL_CONVERGED;
		p += 4;
	}
	else if (strncmp(p, "false", 5) == 0)
		p += 5;
	else
		syntax_error(input, "The value of \"converged\" must be true or false.");
	if (*p != ' ')
		syntax_error(input, "Expected \"penalizer=\".");
	model->penalizer = parse_double(input, &p, "penalizer");
	while (*p == ' ')
		p++;
	if (strncmp(p, "weak=true", 9) == 0 && (p[9] == ' ' || p[9] == '\0'))
	{
		model->flags |= CLV_MODEL_WEAK;
		p += 9;
		while (*p == ' ')
			p++;
	}
	if (strncmp(p, "covariance=", 11) == 0)
	{
		expect_key(input, &p, "covariance");
		for (int k = 0; k < n * n; k++)
		{
			char	   *end;
			double		value;

			if (k > 0)
			{
				if (*p != ',')
					syntax_error(input, psprintf("The covariance needs %d values.", n * n));
				p++;
			}
			errno = 0;
			value = strtod(p, &end);
			if (end == p || float_out_of_range(value))
				syntax_error(input, "A covariance entry is not a finite number.");
			model->covariance[(k / n) * CLV_MODEL_MAX_PARAMS + k % n] = value;
			p = end;
		}
		model->flags |= CLV_MODEL_HAS_COVARIANCE;
		while (*p == ' ')
			p++;
	}
	if (*p != '\0')
	{
		ClvCovariateModel *full;

		if (strncmp(p, "covariates=", 11) != 0)
			syntax_error(input, (model->flags & CLV_MODEL_HAS_COVARIANCE) ?
						 "Unexpected text after the covariance." :
						 "Expected \"covariance=\" or \"covariates=\".");
		full = parse_covariates(input, &p, model);

		clv_covariate_model_check(full);
		PG_RETURN_POINTER(full);
	}
	clv_model_check(model);
	PG_RETURN_POINTER(model);
}

Datum
clv_model_send(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	StringInfoData buf;

	clv_model_check_any(model);
	pq_begintypsend(&buf);
	pq_sendint16(&buf, model->kind);
	pq_sendint16(&buf, model->flags);
	pq_sendint32(&buf, model->iterations);
	pq_sendint64(&buf, model->customers);
	pq_sendfloat8(&buf, model->log_likelihood);
	pq_sendfloat8(&buf, model->penalizer);
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS; i++)
		pq_sendfloat8(&buf, model->params[i]);
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS * CLV_MODEL_MAX_PARAMS; i++)
		pq_sendfloat8(&buf, model->covariance[i]);
	/* last, and only for the kinds that have it: 0.3.0's binary form stays valid */
	if (clv_model_has_shape(model->kind))
		pq_sendint32(&buf, model->shape);
	/* and after it a model's covariates, only in models that have them */
	if (clv_model_has_covariates(model))
	{
		const ClvCovariateModel *cm = (const ClvCovariateModel *) model;

		const ClvCovariateKind *ck = clv_covariate_kind(model->kind);

		pq_sendint32(&buf, cm->ncovariates);
		pq_sendfloat8(&buf, cm->null_log_likelihood);
		for (int i = 0; i < ck->npenalizers; i++)
			pq_sendfloat8(&buf, cm->penalizer[i]);
		for (int g = 0; g < ck->ngroups; g++)
			for (int k = 0; k < cm->ncovariates; k++)
			{
				pq_sendfloat8(&buf, cm->coef[g][k]);
				pq_sendfloat8(&buf, cm->std_error[g][k]);
			}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
clv_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	ClvModel   *model = clv_model_new(0);

	model->kind = (int16) pq_getmsgint(buf, 2);
	model->flags = (uint16) pq_getmsgint(buf, 2);
	model->iterations = (int32) pq_getmsgint(buf, 4);
	model->customers = pq_getmsgint64(buf);
	model->log_likelihood = pq_getmsgfloat8(buf);
	model->penalizer = pq_getmsgfloat8(buf);
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS; i++)
		model->params[i] = pq_getmsgfloat8(buf);
	for (int i = 0; i < CLV_MODEL_MAX_PARAMS * CLV_MODEL_MAX_PARAMS; i++)
		model->covariance[i] = pq_getmsgfloat8(buf);
	if (clv_model_has_shape(model->kind))
		model->shape = (int32) pq_getmsgint(buf, 4);
	if (buf->cursor < buf->len)
	{
		const ClvCovariateKind *ck = clv_covariate_kind(model->kind);
		ClvCovariateModel *cm = palloc0(sizeof(ClvCovariateModel));
		int32		p = (int32) pq_getmsgint(buf, 4);

		if (ck == NULL)
			model_invalid("Only bgnbd, mbgnbd, paretonbd and gammagamma models take covariates.");
		if (p < 1 || p > CLV_MAX_COVARIATES)
			model_invalid(psprintf("A model has 1 to %d covariates.", CLV_MAX_COVARIATES));
		memcpy(&cm->base, model, sizeof(ClvModel));
		SET_VARSIZE(cm, sizeof(ClvCovariateModel));
		cm->ncovariates = p;
		cm->ngroups = ck->ngroups;
		cm->null_log_likelihood = pq_getmsgfloat8(buf);
		for (int i = 0; i < ck->npenalizers; i++)
			cm->penalizer[i] = pq_getmsgfloat8(buf);
		for (int g = 0; g < ck->ngroups; g++)
			for (int k = 0; k < p; k++)
			{
				cm->coef[g][k] = pq_getmsgfloat8(buf);
				cm->std_error[g][k] = pq_getmsgfloat8(buf);
			}
		pq_getmsgend(buf);
		clv_covariate_model_check(cm);
		PG_RETURN_POINTER(cm);
	}
	pq_getmsgend(buf);
	clv_model_check(model);
	PG_RETURN_POINTER(model);
}

/*
 * The coefficients as rows a dashboard can read with jsonb_to_recordset,
 * and the likelihood-ratio test against the same fit without covariates
 * (chi-square with as many degrees of freedom as coefficients; its p-value
 * NULL for a penalized fit).  Returns the number of coefficients.
 */
static int
append_covariates_jsonb(StringInfo buf, const ClvCovariateModel *model)
{
	const ClvModelKindInfo *info = clv_model_kind_info(model->base.kind);
	const ClvCovariateKind *ck = clv_covariate_kind(model->base.kind);
	bool		has_se = (model->base.flags & CLV_MODEL_HAS_COVARIANCE) != 0;
	int			df = ck->ngroups * model->ncovariates;
	double		statistic = Max(2 * (model->base.log_likelihood - model->null_log_likelihood), 0);
	bool		penalized = model->base.penalizer > 0;

	for (int i = 0; i < ck->npenalizers; i++)
		penalized |= model->penalizer[i] > 0;
	appendStringInfo(buf, ", \"covariates\": %d, \"coefficients\": [", model->ncovariates);
	for (int g = 0; g < ck->ngroups; g++)
		for (int k = 0; k < model->ncovariates; k++)
		{
			appendStringInfo(buf, "%s{\"group\": \"%s\", \"parameter\": \"%s\", \"covariate\": %d, \"estimate\": ",
							 g + k ? ", " : "", ck->groups[g].name,
							 info->param_names[ck->groups[g].param], k + 1);
			append_double(buf, model->coef[g][k]);
			if (has_se)
			{
				appendStringInfoString(buf, ", \"std_error\": ");
				append_double(buf, model->std_error[g][k]);
			}
			appendStringInfoChar(buf, '}');
		}
	appendStringInfoString(buf, "], \"null_log_likelihood\": ");
	append_double(buf, model->null_log_likelihood);
	appendStringInfoString(buf, ", \"likelihood_ratio\": {\"statistic\": ");
	append_double(buf, statistic);
	appendStringInfo(buf, ", \"df\": %d, \"p_value\": ", df);
	/* a penalized fit's statistic is not chi-square under the null: no p-value */
	if (penalized)
		appendStringInfoString(buf, "null");
	else
		append_double(buf, clv_gamma_q(df / 2.0, statistic / 2));
	appendStringInfoChar(buf, '}');
	for (int i = 0; i < ck->npenalizers; i++)
	{
		appendStringInfo(buf, ", \"%s\": ", ck->penalizer_names[i]);
		append_double(buf, model->penalizer[i]);
	}
	return df;
}

/* The model as jsonb, for dashboards: parameters, standard errors, diagnostics. */
Datum
clv_model_jsonb(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	const ClvModelKindInfo *info;
	StringInfoData buf;
	int			n;

	clv_model_check_any(model);
	info = clv_model_kind_info(model->kind);
	n = info->nparams;
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\": \"%s\"", info->name);
	if (clv_model_has_shape(model->kind))
		appendStringInfo(&buf, ", \"k\": %d", model->shape);
	for (int i = 0; i < n; i++)
	{
		appendStringInfo(&buf, ", \"%s\": ", info->param_names[i]);
		append_double(&buf, model->params[i]);
	}
	if (model->flags & CLV_MODEL_HAS_COVARIANCE)
	{
		/* delta method: se(theta) = theta * se(log theta) */
		appendStringInfoString(&buf, ", \"std_errors\": {");
		for (int i = 0; i < n; i++)
		{
			appendStringInfo(&buf, "%s\"%s\": ", i ? ", " : "", info->param_names[i]);
			append_json_double(&buf, model->params[i] *
							   sqrt(model->covariance[i * CLV_MODEL_MAX_PARAMS + i]));
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, ", \"log_likelihood\": ");
	append_double(&buf, model->log_likelihood);
	if (clv_model_has_covariates(model))
		n += append_covariates_jsonb(&buf, (const ClvCovariateModel *) model);
	/*
	 * information criteria, for comparing models fitted on the same
	 * customers; k counts as a parameter, which a fit may choose
	 */
	if (clv_model_has_shape(model->kind))
		n++;
	appendStringInfoString(&buf, ", \"aic\": ");
	append_json_double(&buf, 2 * n - 2 * model->log_likelihood);
	if (model->customers > 0)
	{
		appendStringInfoString(&buf, ", \"bic\": ");
		append_json_double(&buf, n * log((double) model->customers) - 2 * model->log_likelihood);
	}
	appendStringInfo(&buf, ", \"customers\": " INT64_FORMAT ", \"iterations\": %d, \"converged\": %s, \"weak\": %s, \"penalizer\": ",
					 model->customers, model->iterations,
					 (model->flags & CLV_MODEL_CONVERGED) ? "true" : "false",
					 (model->flags & CLV_MODEL_WEAK) ? "true" : "false");
	append_double(&buf, model->penalizer);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
