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

static const ClvModelKindInfo kinds[] = {
	{CLV_MODEL_BGNBD, "bgnbd", "BG/NBD", true, 4, {"r", "alpha", "a", "b"}},
	{CLV_MODEL_GAMMAGAMMA, "gammagamma", "Gamma-Gamma", false, 3, {"p", "q", "gamma"}},
	{CLV_MODEL_MBGNBD, "mbgnbd", "MBG/NBD", true, 4, {"r", "alpha", "a", "b"}},
	{CLV_MODEL_PARETONBD, "paretonbd", "Pareto/NBD", false, 4, {"r", "alpha", "s", "beta"}},
	{CLV_MODEL_BGBB, "bgbb", "BG/BB", true, 4, {"alpha", "beta", "gamma", "delta"}},
	{CLV_MODEL_SBG, "sbg", "sBG", true, 2, {"alpha", "beta"}},
	/* densities of inter-purchase times, not probabilities */
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
 * Everything a model must satisfy, however it arrived.  The last model that
 * passed is remembered, bit for bit: scoring a million customers passes the
 * same model a million times, and comparing its bytes costs less than
 * checking every field again.
 */
void
clv_model_check(const ClvModel *model)
{
	static ClvModel last_valid;
	static bool have_last_valid = false;
	const ClvModelKindInfo *info;
	int			n;

	if (VARSIZE_ANY(model) != sizeof(ClvModel))
		model_invalid("The value has the wrong size.");
	if (have_last_valid && memcmp(model, &last_valid, sizeof(ClvModel)) == 0)
		return;
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
	memcpy(&last_valid, model, sizeof(ClvModel));
	have_last_valid = true;
}

/* A model argument, checked, of the kind the caller needs. */
const ClvModel *
clv_model_arg(FunctionCallInfo fcinfo, int argno, ClvModelKind kind)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(argno);

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

Datum
clv_model_out(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	const ClvModelKindInfo *info;
	StringInfoData buf;
	int			n;

	clv_model_check(model);
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
	if (*p != '\0')
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
		if (*p != '\0')
			syntax_error(input, "Unexpected text after the covariance.");
	}
	clv_model_check(model);
	PG_RETURN_POINTER(model);
}

Datum
clv_model_send(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	StringInfoData buf;

	clv_model_check(model);
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
	pq_getmsgend(buf);
	clv_model_check(model);
	PG_RETURN_POINTER(model);
}

/* The model as jsonb, for dashboards: parameters, standard errors, diagnostics. */
Datum
clv_model_jsonb(PG_FUNCTION_ARGS)
{
	ClvModel   *model = PG_GETARG_CLV_MODEL_P(0);
	const ClvModelKindInfo *info;
	StringInfoData buf;
	int			n;

	clv_model_check(model);
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
			append_double(&buf, model->params[i] *
						  sqrt(model->covariance[i * CLV_MODEL_MAX_PARAMS + i]));
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, ", \"log_likelihood\": ");
	append_double(&buf, model->log_likelihood);
	/*
	 * information criteria, for comparing models fitted on the same
	 * customers; k counts as a parameter, which a fit may choose
	 */
	if (clv_model_has_shape(model->kind))
		n++;
	appendStringInfoString(&buf, ", \"aic\": ");
	append_double(&buf, 2 * n - 2 * model->log_likelihood);
	if (model->customers > 0)
	{
		appendStringInfoString(&buf, ", \"bic\": ");
		append_double(&buf, n * log((double) model->customers) - 2 * model->log_likelihood);
	}
	appendStringInfo(&buf, ", \"customers\": " INT64_FORMAT ", \"iterations\": %d, \"converged\": %s, \"weak\": %s, \"penalizer\": ",
					 model->customers, model->iterations,
					 (model->flags & CLV_MODEL_CONVERGED) ? "true" : "false",
					 (model->flags & CLV_MODEL_WEAK) ? "true" : "false");
	append_double(&buf, model->penalizer);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
