/*
 * money.c: clv_round_to_cents(float8), a pipeline's money value: exactly
 * float8::numeric(1000,2), without formatting the float as text.
 *
 * The cast formats the value to 15 significant digits (float8_numeric),
 * parses that, and rounds it half away from zero to the cent (the typmod).
 * Writing every predicted CLV and value at risk of a declining list that way
 * cost about 0.4 s a refresh at 590,000 customers.  Here, when the value is
 * below 1e12 in size and a hundred times it is not within the reach of that
 * formatting of a half cent, the cents are the nearest integer to it; every
 * other value (a possible tie, a large or non-finite one) takes the cast.
 * (From 5e11 up the margin below is half a cent or more, so in practice the
 * fast path ends there.)
 */
#include "clv.h"

#include <math.h>

#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

PG_FUNCTION_INFO_V1(clv_round_to_cents);

/* numeric(1000,2): the pipeline's money (clv_pipeline_money()) */
#define CENTS_TYPMOD (((1000 << 16) | 2) + VARHDRSZ)

/*
 * Below this many cents, y = |x| * 100 is an integer plus an exact fraction
 * (y < 2^53), and the cents fit an int64
 */
#define CENTS_FAST_LIMIT 1e14

/*
 * Formatting to 15 significant digits moves x by at most half a unit of its
 * 15th digit, 5e-15 |x|, and the product |x| * 100 is rounded once more
 * (2^-53 relative): together under 1e-14 of y.  A fraction of y farther than
 * that from one half rounds the same way as the formatted value would.
 */
#define CENTS_TIE_MARGIN 1e-14

Datum
clv_round_to_cents(PG_FUNCTION_ARGS)
{
	float8		x = PG_GETARG_FLOAT8(0);
	float8		y = fabs(x) * 100.0;

	if (y < CENTS_FAST_LIMIT)
	{
		float8		whole = floor(y);
		float8		fraction = y - whole;

		if (fabs(fraction - 0.5) > y * CENTS_TIE_MARGIN)
		{
			int64		cents = (int64) whole + (fraction > 0.5 ? 1 : 0);

			PG_RETURN_NUMERIC(int64_div_fast_to_numeric(x < 0 ? -cents : cents, 2));
		}
	}
	/* NaN, infinities, large values and near-ties: the cast itself */
	return DirectFunctionCall2(numeric, DirectFunctionCall1(float8_numeric, Float8GetDatum(x)),
							   Int32GetDatum(CENTS_TYPMOD));
}
