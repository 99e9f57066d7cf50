/*
 * fuzz.h: what the libFuzzer harnesses share with the backend stand-ins in
 * pg_stubs.c.
 *
 * The harnesses call clv's real fmgr V1 functions (the src .c files, compiled
 * unchanged) outside the server.  pg_stubs.c supplies the few backend
 * symbols they reach: memory, ereport, arrays, pq_* and a handful of
 * type helpers.  Every allocation of one fuzz iteration is freed at its
 * end, so LeakSanitizer stays on and reports only real leaks of the
 * harness itself.
 */
#ifndef CLV_FUZZ_H
#define CLV_FUZZ_H

#include "postgres.h"

#include <stdint.h>

#include "fmgr.h"
#include "utils/array.h"

/* ---- one iteration ---- */

/* start an iteration: CurrentMemoryContext gets a fresh arena */
extern void fuzz_begin(void);
/* end it: every chunk still allocated is freed */
extern void fuzz_end(void);

/* the last error raised (valid after fuzz_call returns false) */
typedef struct FuzzError
{
	int			elevel;
	int			sqlerrcode;
	const char *file;
	int			line;
	const char *func;
	char		message[512];
	char		detail[512];
} FuzzError;

extern FuzzError fuzz_error;

/*
 * Call a V1 function with the given arguments.  Returns true with *result
 * and *isnull set when it returned, false when it raised an ERROR (a pass:
 * a clear error).  An ERROR with ERRCODE_INTERNAL_ERROR aborts in
 * errfinish (a finding), unless its message is one of the known ones
 * listed in pg_stubs.c.
 *
 * flinfo: an FmgrInfo kept by the caller across calls of one iteration, so
 * that fn_extra caches live as long as in a query; NULL for a fresh one.
 * in_agg: whether AggCheckCallContext says the call comes from an aggregate.
 */
extern bool fuzz_call(PGFunction fn, FmgrInfo *flinfo, bool in_agg, int nargs,
					  const Datum *args, const bool *nulls, Datum *result, bool *isnull);

/*
 * A one-argument call that must succeed and return a value, because what it
 * is given was accepted once already (a round trip); anything else is a
 * finding, named after what.
 */
extern Datum fuzz_must_call(PGFunction fn, const char *what, Datum arg);

/* an FmgrInfo for fuzz_call, in the iteration's arena */
extern FmgrInfo *fuzz_flinfo(void);

/* ---- composite results ---- */

/*
 * A function that returns a row (get_call_result_type) gets a descriptor
 * with fuzz_result_natts attributes; heap_form_tuple keeps the row's
 * values here for the harness's checks.
 */
#define FUZZ_MAX_ATTS 32
extern int	fuzz_result_natts;
extern Datum fuzz_row_values[FUZZ_MAX_ATTS];
extern bool fuzz_row_nulls[FUZZ_MAX_ATTS];

/*
 * A composite argument of the clv_summary type as a user can type it in:
 * any field values, any NULLs.  clv_summary_read deforms it through the
 * stand-ins for lookup_rowtype_tupdesc and heap_deform_tuple.
 */
extern Datum fuzz_make_summary(const Datum *values, const bool *nulls, int natts);

/* ---- values ---- */

/*
 * A bigint[] as array_in could build it.  shape: 0 one-dimensional from 1,
 * 1 empty (no dimensions), 2 two-dimensional {1,n}, 3 lower bound 0,
 * 4 with a NULL bitmap (element 0 NULL).
 */
extern Datum fuzz_int8_array(const int64 *values, int n, int shape);
/* a text datum, with a 1-byte header when short is true and it fits */
extern Datum fuzz_text(const char *bytes, int len, bool short_header);
/* a bytea datum */
extern Datum fuzz_bytea(const char *bytes, int len);

/* ---- reading the fuzzer's bytes ---- */

typedef struct FuzzInput
{
	const uint8_t *data;
	size_t		len;
	size_t		pos;
} FuzzInput;

/* each reader gives 0 once the input is used up */
static inline uint8_t
fz_u8(FuzzInput *in)
{
	return in->pos < in->len ? in->data[in->pos++] : 0;
}

static inline uint64_t
fz_u64(FuzzInput *in, int bytes)
{
	uint64_t	v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t) fz_u8(in) << (8 * i);
	return v;
}

static inline int64
fz_i64(FuzzInput *in)
{
	return (int64) fz_u64(in, 8);
}

static inline double
fz_f64(FuzzInput *in)
{
	uint64_t	bits = fz_u64(in, 8);
	double		d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static inline bool
fz_done(FuzzInput *in)
{
	return in->pos >= in->len;
}

/* a finding: print why and abort, so libFuzzer saves the reproducer */
extern void fuzz_fail(const char *fmt,...) pg_attribute_printf(1, 2) pg_attribute_noreturn();

#endif							/* CLV_FUZZ_H */
