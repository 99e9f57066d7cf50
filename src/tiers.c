/*
 * tiers.c: the bounds of value tiers (top 1%, 5%, 20%), so that a customer's
 * tier is a comparison with a few numbers instead of a rank among all.
 *
 * clv_value_tier(cume_dist() OVER (ORDER BY v DESC NULLS LAST)) puts a
 * customer in the first tier whose cutoff its cume_dist is within; that
 * cume_dist is (the customers whose v is at least its own) / (all
 * customers), NULLs included in the count and last in the order.  It falls
 * as v grows, so each tier holds exactly the customers whose v is at least
 * some bound: the lowest v whose cume_dist is within the cutoff.  The bound
 * is found here with the same float8 division cume_dist uses, from the
 * values sorted once.
 */
#include "clv.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(clv_value_tier_bounds);

/*
 * clv_value_tier_bounds(values float8[], cutoffs float8[]) RETURNS float8[]:
 * for each cutoff, the lowest value whose cume_dist over all the values
 * (best first, NULLs last) is within it; NULL where none is.
 */
Datum
clv_value_tier_bounds(PG_FUNCTION_ARGS)
{
	ArrayType  *values = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *cutoffs = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *value_datums;
	bool	   *value_nulls;
	int			nvalues;
	Datum	   *cutoff_datums;
	bool	   *cutoff_nulls;
	int			ncutoffs;
	double	   *sorted;
	int64		n = 0;
	int64		ranked;
	double		widest = -get_float8_infinity();
	Datum	   *bounds;
	bool	   *bound_nulls;
	int			dims[1];
	int			lbs[1] = {1};

	if (ARR_NDIM(values) > 1 || ARR_NDIM(cutoffs) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("values and cutoffs must be one-dimensional arrays")));
	if (ARR_NDIM(cutoffs) == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(FLOAT8OID));
	deconstruct_array(values, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &value_datums, &value_nulls, &nvalues);
	deconstruct_array(cutoffs, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &cutoff_datums, &cutoff_nulls, &ncutoffs);
	sorted = clv_alloc_large(CurrentMemoryContext, Max(nvalues, 1) * sizeof(double));
	for (int i = 0; i < nvalues; i++)
		if (!value_nulls[i])
		{
			double		v = DatumGetFloat8(value_datums[i]);

			if (isnan(v))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("values must not be NaN")));
			sorted[n++] = v + 0.0;	/* a -0 is a 0, wherever it lands */
		}
	for (int c = 0; c < ncutoffs; c++)
	{
		if (cutoff_nulls[c] || isnan(DatumGetFloat8(cutoff_datums[c])))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cutoffs must be numbers, not NULL or NaN")));
		widest = Max(widest, DatumGetFloat8(cutoff_datums[c]));
	}

	/*
	 * Only the best values a tier can reach need to be in order: the fewest,
	 * ranked, whose count over all is beyond every cutoff (as cume_dist
	 * compares it, in float8), and a run of equal values that reaches them
	 * is beyond it too.  They are selected to the end of the array (about a
	 * fifth of it for the standard tiers) and sorted there.
	 */
	if (!(widest < 1))
		ranked = n;
	else if (widest < 0)
		ranked = Min(n, 1);
	else
	{
		ranked = Min(n, (int64) (widest * (double) nvalues));
		while (ranked > 0 && (double) ranked / (double) nvalues > widest)
			ranked--;
		while (ranked < n && (double) ranked / (double) nvalues <= widest)
			ranked++;
	}
	if (ranked > 0 && ranked < n)
	{
		size_t		first_ranked = n - ranked;

		clv_select_float8(sorted, n, &first_ranked, 1);
	}
	clv_sort_float8(sorted + (n - ranked), ranked);
	/* the k-th best value (from 0), for k < ranked: ascending at the end */
#define BEST(k) sorted[n - 1 - (k)]

	bounds = palloc(Max(ncutoffs, 1) * sizeof(Datum));
	bound_nulls = palloc(Max(ncutoffs, 1) * sizeof(bool));
	for (int c = 0; c < ncutoffs; c++)
	{
		double		cutoff = DatumGetFloat8(cutoff_datums[c]);
		int64		within = 0;

		/*
		 * The customers of the tier: the longest run of the best values,
		 * cut between two different values, whose count over all is within
		 * the cutoff (as cume_dist compares it, in float8).  Its last value
		 * is the bound.  A run that reaches past the ranked values ends the
		 * search: its count is beyond every cutoff.
		 */
		for (int64 k = 0; k < ranked;)
		{
			int64		peers_end = k + 1;

			while (peers_end < ranked && BEST(peers_end) == BEST(k))
				peers_end++;
			if (!((double) peers_end / (double) nvalues <= cutoff))
				break;
			within = peers_end;
			k = peers_end;
		}
		bound_nulls[c] = within == 0;
		bounds[c] = within == 0 ? (Datum) 0 : Float8GetDatum(BEST(within - 1));
	}
#undef BEST
	dims[0] = ncutoffs;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(bounds, bound_nulls, 1, dims, lbs, FLOAT8OID, sizeof(float8),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
