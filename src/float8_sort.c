/*
 * float8_sort.c: ordering arrays of doubles, ascending, with the comparison
 * inlined by PostgreSQL's sort template rather than called through qsort's
 * function pointer (the indirect call was most of the sort's time); and
 * selection, the values a sort would put at a few positions without sorting
 * the rest.  The RFM breakpoints need 8 order statistics of a million
 * values per measure, the value tiers' bounds only the best fifth in order.
 *
 * Callers refuse NaN first: it has no place in this order.  -0 and +0 are
 * equal here, so a caller whose result must not depend on the input's
 * order makes every -0 a +0 first.
 */
#include "clv.h"

#include "port/pg_bitutils.h"

#define ST_SORT clv_sort_float8_template
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

void
clv_sort_float8(double *values, size_t n)
{
	clv_sort_float8_template(values, n);
}

/* ranges this short are sorted rather than partitioned */
#define SELECT_SORTED_BELOW 32

static inline double
median_of_three(double a, double b, double c)
{
	if (a < b)
		return b < c ? b : (a < c ? c : a);
	return a < c ? a : (b < c ? c : b);
}

/*
 * values[lo .. hi) holds the positions wanted[0 .. nwanted-1] (ascending);
 * partition it about a median of three into the values below, equal to and
 * above the pivot (three ways, as frequencies have long runs of equal
 * values), then go on into the parts that hold wanted positions.  After
 * partitions_left partitions a range is sorted instead (introselect's
 * bound): the partitions then cost at most 2 log2 n passes over the values,
 * whatever the input, and the rest is the sort's.
 */
static void
select_range(double *values, size_t lo, size_t hi, const size_t *wanted, int nwanted, int partitions_left)
{
	while (nwanted > 0)
	{
		double		pivot;
		size_t		below = lo,
					next = lo,
					above = hi;
		int			nbelow = 0,
					nequal;

		if (hi - lo < SELECT_SORTED_BELOW || partitions_left-- <= 0)
		{
			clv_sort_float8(values + lo, hi - lo);
			return;
		}
		pivot = median_of_three(values[lo], values[lo + (hi - lo) / 2], values[hi - 1]);
		/* [lo, below) < pivot, [below, next) = pivot, [above, hi) > pivot */
		while (next < above)
		{
			double		v = values[next];

			if (v < pivot)
			{
				values[next++] = values[below];
				values[below++] = v;
			}
			else if (v > pivot)
			{
				values[next] = values[--above];
				values[above] = v;
			}
			else
				next++;
		}
		while (nbelow < nwanted && wanted[nbelow] < below)
			nbelow++;
		nequal = nbelow;
		while (nequal < nwanted && wanted[nequal] < above)
			nequal++;
		if (nbelow > 0)
			select_range(values, lo, below, wanted, nbelow, partitions_left);
		/* the wanted positions among the pivot's equals hold it already */
		wanted += nequal;
		nwanted -= nequal;
		lo = above;
	}
}

/*
 * Reorder values[0 .. n-1] so that each of the positions wanted[0 ..
 * nwanted-1] (ascending, each below n; repeats allowed) holds the value a
 * sort would put there, every value before it at most that and every value
 * after it at least that.  Expected time linear in n for a few wanted
 * positions; at worst that of clv_sort_float8 over the values.
 */
void
clv_select_float8(double *values, size_t n, const size_t *wanted, int nwanted)
{
	for (int i = 0; i < nwanted; i++)
		Assert(wanted[i] < n && (i == 0 || wanted[i - 1] <= wanted[i]));
	if (n < 2)
		return;
	select_range(values, 0, n, wanted, nwanted, 2 * (pg_leftmost_one_pos64((uint64) n) + 1));
}
