/*
 * pg_stubs.c: the backend symbols clv's input paths need, for running them
 * outside the server under libFuzzer.
 *
 * Each stand-in does what the backend function promises to the caller
 * (same errors, same SQLSTATEs where clv could tell the difference), no
 * more: memory is a list of malloc'd chunks freed at the end of each
 * iteration, ereport(ERROR) jumps back to fuzz_call, arrays and composites
 * are laid out as the server lays them out.  Backend symbols that the
 * fuzzed paths should never reach are in pg_unused.c and abort loudly.
 * StringInfo, psprintf, snprintf, qsort, pg_strncasecmp and the shortest
 * float8 output come from PostgreSQL's own libpgcommon/libpgport.
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "libpq/pqformat.h"
#include "nodes/memnodes.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/expandeddatum.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "fuzz.h"

/* ---------------------------------------------------------------------
 * Memory: every chunk of an iteration on one list, freed by fuzz_end.
 * Contexts are not told apart: all of an iteration's memory dies with it,
 * which is what every context a clv function sees does by the end of a
 * query.  Chunks are plain malloc blocks, so AddressSanitizer sees every
 * overrun past the size asked for and every use after pfree.
 * --------------------------------------------------------------------- */

typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	Size		size;
	uint64		magic;
} Chunk;						/* 32 bytes: keeps the data MAXALIGNed */

#define CHUNK_MAGIC UINT64CONST(0xC1F0C1F0C1F0C1F0)

static Chunk chunks = {&chunks, &chunks, 0, 0};
static MemoryContextData fuzz_context;
MemoryContext CurrentMemoryContext = NULL;

/*
 * The backend's cache context: what clv keeps for the backend (the summary's
 * descriptor, src/summary.c) is allocated there and outlives an iteration,
 * as in the server it outlives a query.  Such chunks are not in the list
 * fuzz_end frees.
 */
static MemoryContextData fuzz_cache_context;
MemoryContext CacheMemoryContext = &fuzz_cache_context;

static void *
chunk_alloc(Size size, bool zero, bool huge)
{
	Chunk	   *c;

	/* the backend refuses these with an internal error: so do we */
	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	if (CurrentMemoryContext == NULL)
		fuzz_fail("palloc outside an iteration");
	c = malloc(sizeof(Chunk) + size);
	if (c == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (zero)
		memset(c + 1, 0, size);
	c->size = size;
	c->magic = CHUNK_MAGIC;
	if (CurrentMemoryContext == CacheMemoryContext)
	{
		/* kept for the process: a list of its own, so pfree can unlink it */
		c->next = c->prev = c;
		return c + 1;
	}
	c->next = chunks.next;
	c->prev = &chunks;
	chunks.next->prev = c;
	chunks.next = c;
	return c + 1;
}

static Chunk *
chunk_of(void *pointer)
{
	Chunk	   *c = (Chunk *) pointer - 1;

	if (pointer == NULL || c->magic != CHUNK_MAGIC)
		fuzz_fail("pfree or repalloc of a pointer palloc did not return");
	return c;
}

static void
chunk_free(Chunk *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->magic = 0;
	free(c);
}

void *
palloc(Size size)
{
	return chunk_alloc(size, false, false);
}

void *
palloc0(Size size)
{
	return chunk_alloc(size, true, false);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return chunk_alloc(size, false, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return chunk_alloc(size, true, false);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return chunk_alloc(size, false, true);
}

/* the fits' table of per-time terms, which may pass 1 GB */
void *
palloc_extended(Size size, int flags)
{
	return chunk_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0, (flags & MCXT_ALLOC_HUGE) != 0);
}

/* simplehash's allocations (the fits' table of distinct times) */
void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return chunk_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0, (flags & MCXT_ALLOC_HUGE) != 0);
}

void
pfree(void *pointer)
{
	chunk_free(chunk_of(pointer));
}

static void *
chunk_realloc(void *pointer, Size size, bool huge)
{
	Chunk	   *old = chunk_of(pointer);
	void	   *p = chunk_alloc(size, false, huge);

	memcpy(p, pointer, Min(size, old->size));
	chunk_free(old);
	return p;
}

void *
repalloc(void *pointer, Size size)
{
	return chunk_realloc(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return chunk_realloc(pointer, size, true);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	Size		len = strlen(string) + 1;
	char	   *copy = palloc(len);

	memcpy(copy, string, len);
	return copy;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

void
fuzz_begin(void)
{
	memset(&fuzz_context, 0, sizeof(fuzz_context));
	fuzz_context.type = T_AllocSetContext;
	fuzz_context.name = "fuzz iteration";
	CurrentMemoryContext = &fuzz_context;
	fuzz_result_natts = 0;
}

void
fuzz_end(void)
{
	while (chunks.next != &chunks)
		chunk_free(chunks.next);
	CurrentMemoryContext = NULL;
}

/* ---------------------------------------------------------------------
 * ereport: the message is formatted (so a bad format argument shows), an
 * ERROR jumps back to fuzz_call.  An internal error (XX000, elog's
 * default) is a finding: user input should meet a clear error instead.
 * --------------------------------------------------------------------- */

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;
FuzzError	fuzz_error;

/*
 * Internal errors that user input does reach, accepted so that fuzzing can
 * go on past them; each is listed in the findings of the fuzzing report.
 * A transition or combine function of a bigint[] aggregate state can be
 * called directly from SQL, where it is not in an aggregate: it says so
 * with elog(ERROR), which is a clear enough message.
 */
static const char *const known_internal_errors[] = {
	"called in non-aggregate context",
	NULL
};

static bool
errstart_common(int elevel)
{
	if (elevel < WARNING)
		return false;
	memset(&fuzz_error, 0, sizeof(fuzz_error));
	fuzz_error.elevel = elevel;
	fuzz_error.sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR : ERRCODE_WARNING;
	return true;
}

bool
errstart(int elevel, const char *domain)
{
	return errstart_common(elevel);
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart_common(elevel);
}

int
errcode(int sqlerrcode)
{
	fuzz_error.sqlerrcode = sqlerrcode;
	return 0;
}

#define FORMAT_INTO(buf, fmt) \
	do { \
		va_list		args; \
		va_start(args, fmt); \
		vsnprintf(buf, sizeof(buf), fmt, args); \
		va_end(args); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(fuzz_error.message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(fuzz_error.message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(fuzz_error.detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	char		hint[512];

	FORMAT_INTO(hint, fmt);
	return 0;
}

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

int
errcontext_msg(const char *fmt,...)
{
	char		context[512];

	FORMAT_INTO(context, fmt);
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	fuzz_error.file = filename;
	fuzz_error.line = lineno;
	fuzz_error.func = funcname;
	if (fuzz_error.elevel < ERROR)
		return;
	if (fuzz_error.sqlerrcode == ERRCODE_INTERNAL_ERROR)
	{
		bool		known = false;

		for (int i = 0; known_internal_errors[i] != NULL; i++)
			known |= strstr(fuzz_error.message, known_internal_errors[i]) != NULL;
		if (!known)
			fuzz_fail("internal error (XX000) from input at %s:%d (%s): %s",
					  filename, lineno, funcname, fuzz_error.message);
	}
	if (PG_exception_stack == NULL)
		fuzz_fail("ERROR outside fuzz_call: %s", fuzz_error.message);
	siglongjmp(*PG_exception_stack, 1);
}

/* the five characters of a SQLSTATE, from its packed form */
char *
unpack_sql_state(int sql_state)
{
	static char buf[6];

	for (int i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

void
fuzz_fail(const char *fmt,...)
{
	va_list		args;

	fprintf(stderr, "\n==clv fuzz== FINDING: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\n");
	abort();
}

/* ---------------------------------------------------------------------
 * statement_timeout: a long computation that checks for interrupts is
 * cancelled after FUZZ_CANCEL_SECONDS, as a server would cancel it; one
 * that does not check stays a hang, which libFuzzer's -timeout reports.
 * --------------------------------------------------------------------- */

#define FUZZ_CANCEL_SECONDS 0.1

volatile sig_atomic_t InterruptPending = true;	/* every check comes here */
static struct timespec call_start;
static bool verbose = false;

void
ProcessInterrupts(void)
{
	struct timespec now;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
	if ((now.tv_sec - call_start.tv_sec) + (now.tv_nsec - call_start.tv_nsec) / 1e9 > FUZZ_CANCEL_SECONDS)
	{
		if (verbose)
			fprintf(stderr, "clv fuzz: statement timeout: cancelled after %.1f s\n", FUZZ_CANCEL_SECONDS);
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling statement due to statement timeout")));
	}
}

/* ---------------------------------------------------------------------
 * Calling functions
 * --------------------------------------------------------------------- */

#define FUZZ_MAX_ARGS 8

static bool fuzz_in_agg = false;

/* libFuzzer calls this once, before the first input */
int			LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	verbose = getenv("CLV_FUZZ_VERBOSE") != NULL;
	return 0;
}

FmgrInfo *
fuzz_flinfo(void)
{
	FmgrInfo   *flinfo = palloc0(sizeof(FmgrInfo));

	flinfo->fn_mcxt = CurrentMemoryContext;
	flinfo->fn_oid = InvalidOid;
	return flinfo;
}

bool
fuzz_call(PGFunction fn, FmgrInfo *flinfo, bool in_agg, int nargs,
		  const Datum *args, const bool *nulls, Datum *result, bool *isnull)
{
	union
	{
		FunctionCallInfoBaseData fcinfo;
		char		space[SizeForFunctionCallInfo(FUZZ_MAX_ARGS)];
	}			call;
	FunctionCallInfo fcinfo = &call.fcinfo;
	sigjmp_buf	jump;
	sigjmp_buf *saved = PG_exception_stack;
	ErrorContextCallback *saved_context = error_context_stack;
	MemoryContext context = CurrentMemoryContext;

	if (nargs > FUZZ_MAX_ARGS)
		fuzz_fail("too many arguments");
	if (flinfo == NULL)
		flinfo = fuzz_flinfo();
	flinfo->fn_addr = fn;
	flinfo->fn_nargs = nargs;
	InitFunctionCallInfoData(*fcinfo, flinfo, nargs, InvalidOid, NULL, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls != NULL && nulls[i];
	}
	fuzz_in_agg = in_agg;
	if (sigsetjmp(jump, 0) != 0)
	{
		PG_exception_stack = saved;
		/* as PG_TRY restores it: the callbacks pushed were on the stack jumped off */
		error_context_stack = saved_context;
		CurrentMemoryContext = context;
		/* CLV_FUZZ_VERBOSE=1 shows each error, to see how far a reproducer gets */
		if (verbose)
			fprintf(stderr, "clv fuzz: ERROR %s: %s (%s) at %s:%d\n",
					unpack_sql_state(fuzz_error.sqlerrcode), fuzz_error.message,
					fuzz_error.detail, fuzz_error.file, fuzz_error.line);
		return false;
	}
	PG_exception_stack = &jump;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &call_start);
	*result = fn(fcinfo);
	*isnull = fcinfo->isnull;
	PG_exception_stack = saved;
	CurrentMemoryContext = context;
	return true;
}

Datum
fuzz_must_call(PGFunction fn, const char *what, Datum arg)
{
	Datum		result;
	bool		isnull;

	if (!fuzz_call(fn, NULL, false, 1, &arg, NULL, &result, &isnull))
		fuzz_fail("%s failed on an accepted value: %s (%s)", what,
				  fuzz_error.message, fuzz_error.detail);
	if (isnull)
		fuzz_fail("%s returned NULL", what);
	return result;
}

int
AggCheckCallContext(FunctionCallInfo fcinfo, MemoryContext *aggcontext)
{
	if (!fuzz_in_agg)
	{
		if (aggcontext)
			*aggcontext = NULL;
		return 0;
	}
	if (aggcontext)
		*aggcontext = CurrentMemoryContext;
	return AGG_CONTEXT_AGGREGATE;
}

static Datum
direct_call(PGFunction func, int nargs, Datum a1, Datum a2, Datum a3)
{
	LOCAL_FCINFO(fcinfo, 3);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = a1;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = a2;
	fcinfo->args[1].isnull = false;
	fcinfo->args[2].value = a3;
	fcinfo->args[2].isnull = false;
	result = func(fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	return direct_call(func, 1, arg1, 0, 0);
}

Datum
DirectFunctionCall3Coll(PGFunction func, Oid collation, Datum arg1, Datum arg2, Datum arg3)
{
	return direct_call(func, 3, arg1, arg2, arg3);
}

/* ---------------------------------------------------------------------
 * Varlenas.  The harness builds only plain values (4-byte or 1-byte
 * headers, never compressed or external), as a function's arguments are
 * after the executor's detoasting at worst.
 * --------------------------------------------------------------------- */

static struct varlena *
detoast(struct varlena *datum, bool copy)
{
	if (VARATT_IS_EXTENDED(datum) && !VARATT_IS_SHORT(datum))
		fuzz_fail("compressed or external datum");
	if (VARATT_IS_SHORT(datum) || copy)
	{
		Size		len = VARSIZE_ANY_EXHDR(datum);
		struct varlena *result = palloc(len + VARHDRSZ);

		SET_VARSIZE(result, len + VARHDRSZ);
		memcpy(VARDATA(result), VARDATA_ANY(datum), len);
		return result;
	}
	return datum;
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	return detoast(datum, false);
}

struct varlena *
pg_detoast_datum_copy(struct varlena *datum)
{
	return detoast(datum, true);
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_EXTENDED(datum) && !VARATT_IS_SHORT(datum))
		fuzz_fail("compressed or external datum");
	return datum;
}

text *
cstring_to_text_with_len(const char *s, int len)
{
	text	   *result = palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), s, len);
	return result;
}

text *
cstring_to_text(const char *s)
{
	return cstring_to_text_with_len(s, strlen(s));
}

char *
text_to_cstring(const text *t)
{
	text	   *tunpacked = pg_detoast_datum_packed(unconstify(text *, t));
	int			len = VARSIZE_ANY_EXHDR(tunpacked);
	char	   *result = palloc(len + 1);

	memcpy(result, VARDATA_ANY(tunpacked), len);
	result[len] = '\0';
	return result;
}

Datum
fuzz_text(const char *bytes, int len, bool short_header)
{
	char	   *t;

	if (short_header && len + VARHDRSZ_SHORT <= VARATT_SHORT_MAX)
	{
		t = palloc(len + VARHDRSZ_SHORT);
		SET_VARSIZE_SHORT(t, len + VARHDRSZ_SHORT);
		memcpy(t + VARHDRSZ_SHORT, bytes, len);
		return PointerGetDatum(t);
	}
	return PointerGetDatum(cstring_to_text_with_len(bytes, len));
}

Datum
fuzz_bytea(const char *bytes, int len)
{
	return PointerGetDatum(cstring_to_text_with_len(bytes, len));
}

/* ---------------------------------------------------------------------
 * Expanded arrays, in the one form clv makes (src/state.c holds a large
 * state in one): flat, its fvalue a copy of the array, never deconstructed.
 * The object is a chunk like any other; its context is not told apart.
 * --------------------------------------------------------------------- */

static Size
held_flat_size(ExpandedObjectHeader *eohptr)
{
	return ARR_SIZE(((ExpandedArrayHeader *) eohptr)->fvalue);
}

static void
held_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	memcpy(result, ((ExpandedArrayHeader *) eohptr)->fvalue, allocated_size);
}

static const ExpandedObjectMethods held_methods = {held_flat_size, held_flatten_into};

/* the header, and the read-write and read-only pointers that name it */
void
EOH_init_header(ExpandedObjectHeader *eohptr, const ExpandedObjectMethods *methods,
				MemoryContext obj_context)
{
	varatt_expanded pointer;

	SET_VARSIZE(eohptr, EOH_HEADER_MAGIC);
	eohptr->eoh_methods = methods;
	eohptr->eoh_context = obj_context;
	pointer.eohptr = eohptr;
	SET_VARTAG_EXTERNAL(eohptr->eoh_rw_ptr, VARTAG_EXPANDED_RW);
	memcpy(VARDATA_EXTERNAL(eohptr->eoh_rw_ptr), &pointer, sizeof(pointer));
	SET_VARTAG_EXTERNAL(eohptr->eoh_ro_ptr, VARTAG_EXPANDED_RO);
	memcpy(VARDATA_EXTERNAL(eohptr->eoh_ro_ptr), &pointer, sizeof(pointer));
}

ExpandedObjectHeader *
DatumGetEOHP(Datum d)
{
	struct varlena *datum = (struct varlena *) DatumGetPointer(d);
	varatt_expanded pointer;

	if (!VARATT_IS_EXTERNAL_EXPANDED(datum))
		fuzz_fail("DatumGetEOHP of a datum that is not an expanded object");
	memcpy(&pointer, VARDATA_EXTERNAL(datum), sizeof(pointer));
	return pointer.eohptr;
}

Datum
expand_array(Datum arraydatum, MemoryContext parentcontext, ArrayMetaState *metacache)
{
	ArrayType  *array = (ArrayType *) pg_detoast_datum_copy((struct varlena *) DatumGetPointer(arraydatum));
	ExpandedArrayHeader *eah = palloc0(sizeof(ExpandedArrayHeader));

	if (ARR_ELEMTYPE(array) != INT8OID && ARR_ELEMTYPE(array) != FLOAT8OID)
		fuzz_fail("expand_array of an element type the stubs do not know");
	EOH_init_header(&eah->hdr, &held_methods, parentcontext);
	eah->ea_magic = EA_MAGIC;
	eah->ndims = ARR_NDIM(array);
	eah->dims = ARR_DIMS(array);
	eah->lbound = ARR_LBOUND(array);
	eah->element_type = ARR_ELEMTYPE(array);
	eah->typlen = 8;
	eah->typbyval = true;
	eah->typalign = TYPALIGN_DOUBLE;
	eah->fvalue = array;
	eah->fstartptr = ARR_DATA_PTR(array);
	eah->fendptr = (char *) array + ARR_SIZE(array);
	return EOHPGetRWDatum(&eah->hdr);
}

/* ---------------------------------------------------------------------
 * Arrays: only the pass-by-value 8-byte element types clv builds
 * (bigint, float8).
 * --------------------------------------------------------------------- */

ArrayType *
construct_md_array(Datum *elems, bool *nulls, int ndims, int *dims, int *lbs,
				   Oid elmtype, int elmlen, bool elmbyval, char elmalign)
{
	int			nelems = 1;
	Size		nbytes;
	ArrayType  *array;

	if (elmlen != 8 || !elmbyval || nulls != NULL || ndims < 1 || ndims > MAXDIM)
		fuzz_fail("construct_md_array: only 8-byte by-value elements without NULLs are stood in for");
	for (int i = 0; i < ndims; i++)
	{
		if (dims[i] < 0)
			fuzz_fail("construct_md_array: negative dimension");
		nelems *= dims[i];
	}
	if (nelems == 0)
		fuzz_fail("construct_md_array: an empty array needs no dimensions");
	nbytes = ARR_OVERHEAD_NONULLS(ndims) + (Size) nelems * 8;
	array = palloc0(nbytes);
	SET_VARSIZE(array, nbytes);
	array->ndim = ndims;
	array->dataoffset = 0;
	array->elemtype = elmtype;
	memcpy(ARR_DIMS(array), dims, ndims * sizeof(int));
	memcpy(ARR_LBOUND(array), lbs, ndims * sizeof(int));
	for (int i = 0; i < nelems; i++)
		memcpy(ARR_DATA_PTR(array) + i * 8, &elems[i], 8);
	return array;
}

ArrayType *
construct_array(Datum *elems, int nelems, Oid elmtype, int elmlen, bool elmbyval, char elmalign)
{
	int			dims[1] = {nelems};
	int			lbs[1] = {1};

	return construct_md_array(elems, NULL, 1, dims, lbs, elmtype, elmlen, elmbyval, elmalign);
}

Datum
fuzz_int8_array(const int64 *values, int n, int shape)
{
	ArrayType  *array;
	Size		nbytes;

	if (shape == 1 || n == 0)
	{
		/* '{}': no dimensions at all */
		array = palloc0(ARR_OVERHEAD_NONULLS(0));
		SET_VARSIZE(array, ARR_OVERHEAD_NONULLS(0));
		array->elemtype = INT8OID;
		return PointerGetDatum(array);
	}
	if (shape == 4)
	{
		/* element 0 NULL: a bitmap, and only the other elements stored */
		int			offset = ARR_OVERHEAD_WITHNULLS(1, n);

		nbytes = offset + (Size) (n - 1) * sizeof(int64);
		array = palloc0(nbytes);
		SET_VARSIZE(array, nbytes);
		array->ndim = 1;
		array->dataoffset = offset;
		array->elemtype = INT8OID;
		ARR_DIMS(array)[0] = n;
		ARR_LBOUND(array)[0] = 1;
		for (int i = 1; i < n; i++)
			ARR_NULLBITMAP(array)[i / 8] |= 1 << (i % 8);
		memcpy(ARR_DATA_PTR(array), values + 1, (n - 1) * sizeof(int64));
		return PointerGetDatum(array);
	}
	{
		int			ndim = shape == 2 ? 2 : 1;

		nbytes = ARR_OVERHEAD_NONULLS(ndim) + (Size) n * sizeof(int64);
		array = palloc0(nbytes);
		SET_VARSIZE(array, nbytes);
		array->ndim = ndim;
		array->dataoffset = 0;
		array->elemtype = INT8OID;
		if (ndim == 2)
		{
			ARR_DIMS(array)[0] = 1;
			ARR_DIMS(array)[1] = n;
			ARR_LBOUND(array)[0] = ARR_LBOUND(array)[1] = 1;
		}
		else
		{
			ARR_DIMS(array)[0] = n;
			ARR_LBOUND(array)[0] = shape == 3 ? 0 : 1;
		}
		memcpy(ARR_DATA_PTR(array), values, n * sizeof(int64));
	}
	return PointerGetDatum(array);
}

/* ---------------------------------------------------------------------
 * Rows.  A result row's descriptor has fuzz_result_natts attributes and
 * heap_form_tuple keeps its values for the harness.  A clv_summary
 * argument is a tuple header whose data is the values and nulls as given.
 * --------------------------------------------------------------------- */

int			fuzz_result_natts = 0;
Datum		fuzz_row_values[FUZZ_MAX_ATTS];
bool		fuzz_row_nulls[FUZZ_MAX_ATTS];

#define FUZZ_SUMMARY_TYPEID ((Oid) 999001)

static TupleDesc
fake_desc(int natts)
{
	TupleDesc	desc = palloc0(offsetof(struct TupleDescData, attrs));

	desc->natts = natts;
	desc->tdtypeid = RECORDOID;
	desc->tdtypmod = -1;
	desc->tdrefcount = -1;
	return desc;
}

/* a harness sends no invalidations: what is cached stays valid */
void
CacheRegisterSyscacheCallback(int cacheid, SyscacheCallbackFunction func, Datum arg)
{
}

TypeFuncClass
get_call_result_type(FunctionCallInfo fcinfo, Oid *resultTypeId, TupleDesc *resultTupleDesc)
{
	if (fuzz_result_natts <= 0 || fuzz_result_natts > FUZZ_MAX_ATTS)
		fuzz_fail("get_call_result_type: the harness did not say what row this function returns");
	if (resultTypeId)
		*resultTypeId = RECORDOID;
	if (resultTupleDesc)
		*resultTupleDesc = fake_desc(fuzz_result_natts);
	return TYPEFUNC_COMPOSITE;
}

TupleDesc
CreateTupleDescCopy(TupleDesc tupdesc)
{
	return fake_desc(tupdesc->natts);
}

TupleDesc
BlessTupleDesc(TupleDesc tupdesc)
{
	return tupdesc;
}

/* PostgreSQL 16 made the arrays const */
#if PG_VERSION_NUM >= 160000
HeapTuple
heap_form_tuple(TupleDesc tupleDescriptor, const Datum *values, const bool *isnull)
#else
HeapTuple
heap_form_tuple(TupleDesc tupleDescriptor, Datum *values, bool *isnull)
#endif
{
	HeapTuple	tuple = palloc0(HEAPTUPLESIZE + SizeofHeapTupleHeader);
	int			natts = tupleDescriptor->natts;

	if (natts > FUZZ_MAX_ATTS)
		fuzz_fail("heap_form_tuple: too many attributes");
	tuple->t_data = (HeapTupleHeader) ((char *) tuple + HEAPTUPLESIZE);
	tuple->t_len = SizeofHeapTupleHeader;
	HeapTupleHeaderSetDatumLength(tuple->t_data, SizeofHeapTupleHeader);
	HeapTupleHeaderSetNatts(tuple->t_data, natts);
	for (int i = 0; i < natts; i++)
	{
		fuzz_row_values[i] = values[i];
		fuzz_row_nulls[i] = isnull[i];
	}
	return tuple;
}

Datum
HeapTupleHeaderGetDatum(HeapTupleHeader tuple)
{
	return PointerGetDatum(tuple);
}

/* the data of a typed-in clv_summary: its fields, as given */
typedef struct FakeRow
{
	int			natts;
	Datum		values[FUZZ_MAX_ATTS];
	bool		nulls[FUZZ_MAX_ATTS];
} FakeRow;

#define FAKE_HOFF MAXALIGN(SizeofHeapTupleHeader)

Datum
fuzz_make_summary(const Datum *values, const bool *nulls, int natts)
{
	Size		len = FAKE_HOFF + sizeof(FakeRow);
	HeapTupleHeader header = palloc0(len);
	FakeRow    *row = (FakeRow *) ((char *) header + FAKE_HOFF);

	HeapTupleHeaderSetDatumLength(header, len);
	HeapTupleHeaderSetTypeId(header, FUZZ_SUMMARY_TYPEID);
	HeapTupleHeaderSetTypMod(header, -1);
	header->t_hoff = FAKE_HOFF;
	row->natts = natts;
	memcpy(row->values, values, natts * sizeof(Datum));
	memcpy(row->nulls, nulls, natts * sizeof(bool));
	return PointerGetDatum(header);
}

HeapTupleHeader
DatumGetHeapTupleHeader(Datum d)
{
	return (HeapTupleHeader) pg_detoast_datum((struct varlena *) DatumGetPointer(d));
}

TupleDesc
lookup_rowtype_tupdesc(Oid type_id, int32 typmod)
{
	if (type_id != FUZZ_SUMMARY_TYPEID)
		fuzz_fail("lookup_rowtype_tupdesc: a row type the harness did not make");
	return fake_desc(16);
}

void
heap_deform_tuple(HeapTuple tuple, TupleDesc tupleDesc, Datum *values, bool *isnull)
{
	FakeRow    *row = (FakeRow *) ((char *) tuple->t_data + tuple->t_data->t_hoff);

	if (HeapTupleHeaderGetTypeId(tuple->t_data) != FUZZ_SUMMARY_TYPEID)
		fuzz_fail("heap_deform_tuple: a tuple the harness did not make");
	for (int i = 0; i < tupleDesc->natts; i++)
	{
		bool		missing = i >= row->natts;

		values[i] = missing ? (Datum) 0 : row->values[i];
		isnull[i] = missing || row->nulls[i];
	}
}

/* ---------------------------------------------------------------------
 * pq_* : the message-buffer routines of libpq/pqformat.c, with the same
 * errors for a short or overlong message.
 * --------------------------------------------------------------------- */

static void
insufficient_data(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("insufficient data left in message")));
}

int
pq_getmsgbyte(StringInfo msg)
{
	if (msg->cursor >= msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("no data left in message")));
	return (unsigned char) msg->data[msg->cursor++];
}

const char *
pq_getmsgbytes(StringInfo msg, int datalen)
{
	const char *result;

	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		insufficient_data();
	result = &msg->data[msg->cursor];
	msg->cursor += datalen;
	return result;
}

static uint64
getmsg_bigendian(StringInfo msg, int bytes)
{
	const unsigned char *p = (const unsigned char *) pq_getmsgbytes(msg, bytes);
	uint64		v = 0;

	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	if (b != 1 && b != 2 && b != 4)
		elog(ERROR, "unsupported integer size %d", b);
	return (unsigned int) getmsg_bigendian(msg, b);
}

int64
pq_getmsgint64(StringInfo msg)
{
	return (int64) getmsg_bigendian(msg, 8);
}

float8
pq_getmsgfloat8(StringInfo msg)
{
	uint64		bits = getmsg_bigendian(msg, 8);
	float8		value;

	memcpy(&value, &bits, sizeof(value));
	return value;
}

void
pq_getmsgend(StringInfo msg)
{
	if (msg->cursor != msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid message format")));
}

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoSpaces(buf, VARHDRSZ);
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

/* PostgreSQL 16 made the data a const void * */
#if PG_VERSION_NUM >= 160000
void
pq_sendbytes(StringInfo buf, const void *data, int datalen)
#else
void
pq_sendbytes(StringInfo buf, const char *data, int datalen)
#endif
{
	appendBinaryStringInfo(buf, data, datalen);
}

void
pq_sendfloat8(StringInfo buf, float8 f)
{
	uint64		bits;

	memcpy(&bits, &f, sizeof(bits));
	pq_sendint64(buf, bits);
}

/* ---------------------------------------------------------------------
 * Dates and times.  The calendar conversion is the proleptic Gregorian
 * day count of Fliegel and Van Flandern, in 64 bits for the whole range
 * of date.  The session time zone is UTC with a summer hour every other
 * 10^7 seconds, so that the summary's zone-window cache sees many windows.
 * --------------------------------------------------------------------- */

int
date2j(int year, int month, int day)
{
	int64		a = (14 - month) / 12;
	int64		y = (int64) year + 4800 - a;
	int64		m = month + 12 * a - 3;

	return (int) (day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045);
}

void
j2date(int jd, int *year, int *month, int *day)
{
	int64		a = (int64) (unsigned int) jd + 32044;
	int64		b = (4 * a + 3) / 146097;
	int64		c = a - 146097 * b / 4;
	int64		d = (4 * c + 3) / 1461;
	int64		e = c - 1461 * d / 4;
	int64		m = (5 * e + 2) / 153;

	*day = (int) (e - (153 * m + 2) / 5 + 1);
	*month = (int) (m + 3 - 12 * (m / 10));
	*year = (int) (100 * b + d - 4800 + m / 10);
}

Datum
date_out(PG_FUNCTION_ARGS)
{
	DateADT		date = PG_GETARG_DATEADT(0);
	int			year,
				month,
				day;

	if (DATE_IS_NOBEGIN(date))
		PG_RETURN_CSTRING(pstrdup("-infinity"));
	if (DATE_IS_NOEND(date))
		PG_RETURN_CSTRING(pstrdup("infinity"));
	j2date(date + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	if (year > 0)
		PG_RETURN_CSTRING(psprintf("%04d-%02d-%02d", year, month, day));
	PG_RETURN_CSTRING(psprintf("%04d-%02d-%02d BC", 1 - year, month, day));
}

const char *
timestamptz_to_str(TimestampTz t)
{
	return psprintf("timestamptz " INT64_FORMAT, t);
}

static char fake_zone;
pg_tz	   *session_timezone = (pg_tz *) &fake_zone;

#define ZONE_PERIOD INT64CONST(10000000)

int
pg_next_dst_boundary(const pg_time_t *timep, long int *before_gmtoff, int *before_isdst,
					 pg_time_t *boundary, long int *after_gmtoff, int *after_isdst,
					 const pg_tz *tz)
{
	pg_time_t	t = *timep;
	int64		period = t >= 0 ? t / ZONE_PERIOD : -((-t - 1) / ZONE_PERIOD) - 1;

	*before_gmtoff = (period & 1) ? 3600 : 0;
	*before_isdst = (period & 1) != 0;
	*boundary = (period + 1) * ZONE_PERIOD;
	*after_gmtoff = (period & 1) ? 0 : 3600;
	*after_isdst = (period & 1) == 0;
	return 1;
}

/* ---------------------------------------------------------------------
 * numeric_in: only whether the text is a valid numeric matters to clv
 * (attribution keeps the value as text), so this checks the syntax that
 * PostgreSQL 15's numeric_in accepts and returns no real numeric.
 * --------------------------------------------------------------------- */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
numeric_syntax_ok(const char *s, bool *out_of_range)
{
	const char *special[] = {"NaN", "Infinity", "+Infinity", "-Infinity", "inf", "+inf", "-inf"};
	int			digits = 0;
	bool		point = false;

	*out_of_range = false;
	while (is_blank(*s))
		s++;
	for (int i = 0; i < lengthof(special); i++)
	{
		size_t		len = strlen(special[i]);

		if (pg_strncasecmp(s, special[i], len) == 0)
		{
			s += len;
			while (is_blank(*s))
				s++;
			return *s == '\0';
		}
	}
	if (*s == '+' || *s == '-')
		s++;
	for (; (*s >= '0' && *s <= '9') || *s == '.'; s++)
	{
		if (*s == '.')
		{
			if (point)
				return false;
			point = true;
		}
		else
			digits++;
	}
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		int64		exponent = 0;
		bool		negative = false;

		s++;
		if (*s == '+' || *s == '-')
			negative = *s++ == '-';
		if (!(*s >= '0' && *s <= '9'))
			return false;
		for (; *s >= '0' && *s <= '9'; s++)
		{
			exponent = exponent * 10 + (*s - '0');
			if (exponent > 1000)
				return false;	/* numeric_in: invalid input syntax */
		}
		(void) negative;
	}
	while (is_blank(*s))
		s++;
	return *s == '\0';
}

Datum
numeric_in(PG_FUNCTION_ARGS)
{
	const char *s = PG_GETARG_CSTRING(0);
	bool		out_of_range;

	if (!numeric_syntax_ok(s, &out_of_range))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "numeric", s)));
	/* no caller looks at the value */
	PG_RETURN_POINTER(cstring_to_text(s));
}
