/*
 * float8_sort.c: sorting arrays of doubles in ascending order, with the
 * comparison inlined by PostgreSQL's sort template rather than called
 * through qsort's function pointer: the RFM breakpoints and the value tiers'
 * bounds each sort a value per customer, a million of them in a pipeline's
 * refresh, where the indirect call was most of the sort's time.
 *
 * Callers refuse NaN first: it has no place in this order.
 */
#include "clv.h"

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
