/*
 * exact_sum.c: clv_exact_sum(float8), a sum of float8 values that does not
 * depend on the order of the rows.
 *
 * sum(float8) rounds after every addition, so the same values in another
 * order (another plan, another refresh, more workers) can give another last
 * bit; sum(x::numeric) is exact but formats every value as text on the way.
 * Here each value is added exactly as a clv_money (a 128-bit count of 2^-64
 * units: every float8 of magnitude up to 4e18 converts without loss to 2^-64)
 * and the total is rounded once, so the sum is the same whatever the order.
 */
#include "state.h"

PG_FUNCTION_INFO_V1(clv_exact_sum_transfn);
PG_FUNCTION_INFO_V1(clv_exact_sum_combine);
PG_FUNCTION_INFO_V1(clv_exact_sum_final);

#define EXACT_SUM_NAME "clv_exact_sum"
#define EXACT_SUM_MAGIC INT64CONST(0x434c564501)	/* "CLVE", layout 1 */

enum
{
	X_MAGIC,
	X_COUNT,					/* values added */
	X_MONEY,					/* 2 slots */
	X_LENGTH = X_MONEY + 2
};

static ArrayType *
exact_sum_checked(FunctionCallInfo fcinfo, int argno)
{
	ArrayType  *state = clv_state_checked(PG_GETARG_DATUM(argno), EXACT_SUM_MAGIC, X_LENGTH, EXACT_SUM_NAME);
	int64	   *s = clv_state_data(state);

	if (clv_state_length(state) != X_LENGTH || s[X_COUNT] < 1 || !clv_money_valid(clv_money_load(s + X_MONEY)))
		clv_state_corrupt(EXACT_SUM_NAME, "The length, the count or the sum is out of range.");
	return state;
}

/* clv_exact_sum_transfn(state, value float8): NULLs are skipped, as sum() skips them */
Datum
clv_exact_sum_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	ArrayType  *state;
	int64	   *s;
	clv_money	value;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("clv_exact_sum_transfn called in non-aggregate context")));
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	value = clv_money_from_float8(PG_GETARG_FLOAT8(1), "value");
	if (PG_ARGISNULL(0))
	{
		state = clv_state_alloc(X_LENGTH, aggcontext);
		s = clv_state_data(state);
		s[X_MAGIC] = EXACT_SUM_MAGIC;
	}
	else
	{
		state = exact_sum_checked(fcinfo, 0);
		s = clv_state_data(state);
	}
	s[X_COUNT] = clv_count_add(s[X_COUNT], 1, "number of values");
	clv_money_store(s + X_MONEY, clv_money_add(clv_money_load(s + X_MONEY), value));
	PG_RETURN_ARRAYTYPE_P(state);
}

Datum
clv_exact_sum_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	Datum		given;
	ArrayType  *combined;
	int64	   *a,
			   *b,
			   *c;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		aggcontext = CurrentMemoryContext;
	if (clv_combine_with_null(fcinfo, exact_sum_checked, &given))
		return given;
	a = clv_state_data(exact_sum_checked(fcinfo, 0));
	b = clv_state_data(exact_sum_checked(fcinfo, 1));
	combined = clv_state_alloc(X_LENGTH, aggcontext);
	c = clv_state_data(combined);
	c[X_MAGIC] = EXACT_SUM_MAGIC;
	c[X_COUNT] = clv_count_add(a[X_COUNT], b[X_COUNT], "number of values");
	clv_money_store(c + X_MONEY, clv_money_add(clv_money_load(a + X_MONEY), clv_money_load(b + X_MONEY)));
	PG_RETURN_ARRAYTYPE_P(combined);
}

/* the sum, rounded once; NULL when no value was added */
Datum
clv_exact_sum_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(clv_money_to_float8(clv_money_load(clv_state_data(exact_sum_checked(fcinfo, 0)) + X_MONEY)));
}
