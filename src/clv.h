/*
 * clv.h: helpers shared by every part of the clv extension.
 *
 * Argument checks (one wording for every SQL-callable function) and the
 * fixed-point money type that makes every sum exact, so that an aggregate
 * gives the same bits whatever the row order and however parallel query
 * splits the rows.
 */
#ifndef CLV_H
#define CLV_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#if PG_VERSION_NUM >= 160000
#include "varatt.h"				/* VARSIZE_ANY and friends, out of postgres.h since 16 */
#endif

#ifndef HAVE_INT128
#error "clv needs a compiler with a 128-bit integer type (gcc or clang on a 64-bit platform)"
#endif

/*
 * Whether an aggregate's optional argument argno was given: an option left
 * out or given as NULL takes its default (the NULL rule of
 * docs/reference.md#conventions).
 */
#define clv_option_given(fcinfo, argno) \
	(PG_NARGS() > (argno) && !PG_ARGISNULL(argno))

/* int64s in ascending order, for qsort */
static inline int
clv_compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Argument checks: each raises ERRCODE_INVALID_PARAMETER_VALUE naming arg. */
extern void clv_check_finite(double value, const char *arg);
extern void clv_check_nonnegative(double value, const char *arg);
extern void clv_check_fraction(double value, const char *arg);
extern double clv_check_result(double result, const char *what);
/* an argument without a default given as NULL: an error naming it */
extern void clv_require_argument(FunctionCallInfo fcinfo, int argno, const char *arg);

/* Doubles in ascending order, none of them NaN (src/float8_sort.c). */
extern void clv_sort_float8(double *values, size_t n);
/* The values a sort would put at the wanted positions, ascending (src/float8_sort.c). */
extern void clv_select_float8(double *values, size_t n, const size_t *wanted, int nwanted);

/*
 * Memory of megabytes, on transparent huge pages as clv.transparent_huge_pages
 * says (src/large_alloc.c).
 */
typedef enum ClvHugePages
{
	CLV_HUGE_PAGES_AUTO,		/* when the kernel's setting is "madvise" */
	CLV_HUGE_PAGES_ON,
	CLV_HUGE_PAGES_OFF
} ClvHugePages;
extern int	clv_transparent_huge_pages;
extern void *clv_alloc_large(MemoryContext context, Size nbytes);
extern bool clv_large_chunks_marked(void);

/* A date as text, for error messages. */
extern char *clv_date_str(int32 date);

/* units / 10^scale as numeric, exactly. */
extern Datum clv_int128_numeric(int128 units, int scale);

/*
 * Money: an amount held as a signed 128-bit integer count of 2^-64 units.
 *
 * A float8 amount converts to it without loss down to 2^-64 (5.4e-20), far
 * below any currency's smallest unit, and integer addition is associative:
 * a sum does not depend on the order of its terms.  Converting back rounds
 * once, so a single amount comes back bit for bit.  Amounts are limited to
 * +/- CLV_MONEY_MAX_AMOUNT, sums to the same; beyond that is an error.
 */
typedef int128 clv_money;

#define CLV_MONEY_MAX_AMOUNT	4.0e18	/* below 2^62 */
#define CLV_MONEY_LIMIT			(((clv_money) 1) << 126)

#define CLV_MONEY_ONE 18446744073709551616.0	/* 2^64 */

extern void clv_money_range_error(double amount, const char *arg) pg_attribute_noreturn();

/* Multiplying by 2^64 is exact; the cast truncates below 2^-64, always alike. */
static inline clv_money
clv_money_from_float8(double amount, const char *arg)
{
	if (unlikely(!(fabs(amount) <= CLV_MONEY_MAX_AMOUNT)))
		clv_money_range_error(amount, arg);
	return (clv_money) (amount * CLV_MONEY_ONE);
}

/* One rounding to nearest, in the int128 to double conversion. */
static inline double
clv_money_to_float8(clv_money m)
{
	return (double) m / CLV_MONEY_ONE;
}

static inline clv_money
clv_money_add(clv_money a, clv_money b)
{
	clv_money	sum;

	/*
	 * Both below 2^126, so the sum cannot overflow int128; an operand read
	 * from a forged state may be beyond, and is refused before the addition
	 */
	if (a >= CLV_MONEY_LIMIT || a <= -CLV_MONEY_LIMIT || b >= CLV_MONEY_LIMIT || b <= -CLV_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sum of amounts out of range"),
				 errdetail("clv sums amounts exactly up to %g in absolute value.",
						   CLV_MONEY_MAX_AMOUNT)));
	sum = a + b;
	if (sum >= CLV_MONEY_LIMIT || sum <= -CLV_MONEY_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sum of amounts out of range"),
				 errdetail("clv sums amounts exactly up to %g in absolute value.",
						   CLV_MONEY_MAX_AMOUNT)));
	return sum;
}

/* A money value occupies two int64 slots (high, low) of a bigint[] state. */
static inline void
clv_money_store(int64 *slot, clv_money m)
{
	slot[0] = (int64) (m >> 64);
	slot[1] = (int64) (uint64) m;
}

static inline clv_money
clv_money_load(const int64 *slot)
{
	return (clv_money) (((uint128) (uint64) slot[0] << 64) | (uint64) slot[1]);
}

static inline bool
clv_money_valid(clv_money m)
{
	return m < CLV_MONEY_LIMIT && m > -CLV_MONEY_LIMIT;
}

#endif							/* CLV_H */
