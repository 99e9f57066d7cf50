/*
 * clv.c: module magic and the helpers declared in clv.h.
 */
#include "clv.h"

#include "patterns.h"
#include "scores.h"

#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

/* clv.transparent_huge_pages, with the spellings of a boolean too, hidden */
static const struct config_enum_entry clv_huge_pages_options[] = {
	{"auto", CLV_HUGE_PAGES_AUTO, false},
	{"on", CLV_HUGE_PAGES_ON, false},
	{"off", CLV_HUGE_PAGES_OFF, false},
	{"true", CLV_HUGE_PAGES_ON, true},
	{"false", CLV_HUGE_PAGES_OFF, true},
	{"yes", CLV_HUGE_PAGES_ON, true},
	{"no", CLV_HUGE_PAGES_OFF, true},
	{"1", CLV_HUGE_PAGES_ON, true},
	{"0", CLV_HUGE_PAGES_OFF, true},
	{NULL, 0, false}
};

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("clv.coarse_start",
							 "Fits of many distinct histories start from a fit of a coarse copy of them.",
							 "Off fits the histories directly from the usual start, as clv 0.3 did: slower, "
							 "and the same optimum to the fit's tolerance.",
							 &clv_fit_coarse_start, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("clv.expectation_quadrature",
							 "The regularity models' expected purchases over a wide spread of purchases to come are "
							 "integrated, not summed term by term.",
							 "Off sums every term, as clv 0.4.0 did at first: slower, and refused past ten million terms.",
							 &clv_expectation_quadrature, true, PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomEnumVariable("clv.transparent_huge_pages",
							 "When chunks of megabytes (a fit's state, its copies) ask the kernel for transparent huge pages.",
							 "auto: where the kernel's setting is madvise (fewer page faults); on: whatever the "
							 "kernel's setting; off: never, as clv 0.4.0 did at first.",
							 &clv_transparent_huge_pages, CLV_HUGE_PAGES_AUTO, clv_huge_pages_options,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	MarkGUCPrefixReserved("clv");
}

void
clv_check_finite(double value, const char *arg)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number", arg),
				 errdetail("The value given was %g.", value)));
}

void
clv_check_nonnegative(double value, const char *arg)
{
	clv_check_finite(value, arg);
	if (value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", arg),
				 errdetail("The value given was %g.", value)));
}

void
clv_check_fraction(double value, const char *arg)
{
	clv_check_finite(value, arg);
	if (value < 0 || value > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 0 and 1", arg),
				 errdetail("The value given was %g.", value),
				 errhint("Give a rate or margin as a fraction: 40%% is 0.4.")));
}

void
clv_require_argument(FunctionCallInfo fcinfo, int argno, const char *arg)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", arg)));
}

/* Finite inputs whose product or sum overflows are an error, as in float.c. */
double
clv_check_result(double result, const char *what)
{
	if (isinf(result) || isnan(result))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what)));
	return result;
}

/* NaN, Infinity or beyond CLV_MONEY_MAX_AMOUNT */
void
clv_money_range_error(double amount, const char *arg)
{
	clv_check_finite(amount, arg);
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s %g is out of range", arg, amount),
			 errdetail("clv accepts amounts up to %g in absolute value.",
					   CLV_MONEY_MAX_AMOUNT)));
}

char *
clv_date_str(int32 date)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum((DateADT) date)));
}

/* units / 10^scale as numeric, exactly */
Datum
clv_int128_numeric(int128 units, int scale)
{
	char		digits[64];
	char		text[72];
	int			n = 0;
	char	   *out = text;
	bool		negative = units < 0;
	uint128		u = negative ? -(uint128) units : (uint128) units;

	do
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u > 0);
	while (n <= scale)
		digits[n++] = '0';
	if (negative)
		*out++ = '-';
	for (int i = n - 1; i >= 0; i--)
	{
		*out++ = digits[i];
		if (i == scale && scale > 0)
			*out++ = '.';
	}
	*out = '\0';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(text), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}
