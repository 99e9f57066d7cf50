/*
 * decompose.c: why did CLV move?  The change of a product of drivers
 * (CLV = order value x orders per year x lifespan x margin) split into one
 * contribution per driver by the Shapley value: each driver's contribution
 * is its marginal effect on the product averaged over every order in which
 * the drivers could have moved from their old to their new value.  The
 * contributions add up to the whole change by construction (the efficiency
 * property), have no residual term, treat the drivers symmetrically and,
 * unlike a log (LMDI) split, cope with a driver that is zero.
 */
#include "clv.h"

#include "catalog/pg_type.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(clv_shapley_change);

#define MAX_DRIVERS 10

static int
drivers_arg(ArrayType *a, const char *name, double *out)
{
	int			n;

	if (ARR_ELEMTYPE(a) != FLOAT8OID || ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional float8[] without NULLs", name)));
	n = ARR_DIMS(a)[0];
	if (n < 1 || n > MAX_DRIVERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must have between 1 and %d drivers", name, MAX_DRIVERS),
				 errdetail("Found %d.", n)));
	memcpy(out, ARR_DATA_PTR(a), n * sizeof(double));
	for (int i = 0; i < n; i++)
		clv_check_finite(out[i], name);
	return n;
}

/*
 * clv_shapley_change(before float8[], after float8[]) returns float8[]: the
 * contribution of each driver to prod(after) - prod(before).
 */
Datum
clv_shapley_change(PG_FUNCTION_ARGS)
{
	double		before[MAX_DRIVERS];
	double		after[MAX_DRIVERS];
	double		contribution[MAX_DRIVERS] = {0};
	double		product[1 << MAX_DRIVERS];
	double		weight[MAX_DRIVERS];
	Datum		elems[MAX_DRIVERS];
	int			n = drivers_arg(PG_GETARG_ARRAYTYPE_P(0), "before", before);

	if (drivers_arg(PG_GETARG_ARRAYTYPE_P(1), "after", after) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("before and after must have the same number of drivers")));

	/* product of the drivers, those in mask at their new value */
	for (int mask = 0; mask < (1 << n); mask++)
	{
		product[mask] = 1;
		for (int i = 0; i < n; i++)
			product[mask] *= (mask & (1 << i)) ? after[i] : before[i];
	}
	/* weight of a coalition of s other drivers: s! (n - s - 1)! / n! */
	for (int s = 0; s < n; s++)
	{
		weight[s] = 1.0 / n;
		for (int k = 1; k <= s; k++)
			weight[s] *= (double) k / (n - k);
	}
	for (int mask = 0; mask < (1 << n); mask++)
	{
		int			size = __builtin_popcount(mask);

		for (int i = 0; i < n; i++)
			if (!(mask & (1 << i)))
				contribution[i] += weight[size] * (product[mask | (1 << i)] - product[mask]);
	}
	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(clv_check_result(contribution[i], "contribution"));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
