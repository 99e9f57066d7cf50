/*
 * state.c: allocation and shape checks of bigint[] aggregate states.
 */
#include "state.h"

#include "catalog/pg_type.h"
#include "utils/memutils.h"

/* A state of nelems slots whose slots the caller writes. */
static ArrayType *
state_alloc_unfilled(int nelems, MemoryContext context)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) nelems * sizeof(int64);
	ArrayType  *state;

	if (nelems < 0 || !AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv aggregate state would need more than 1 GB")));
	state = (ArrayType *) MemoryContextAlloc(context, nbytes);
	memset(state, 0, ARR_OVERHEAD_NONULLS(1));
	SET_VARSIZE(state, nbytes);
	state->ndim = 1;
	state->dataoffset = 0;
	state->elemtype = INT8OID;
	ARR_DIMS(state)[0] = nelems;
	ARR_LBOUND(state)[0] = 1;
	return state;
}

ArrayType *
clv_state_alloc(int nelems, MemoryContext context)
{
	ArrayType  *state = state_alloc_unfilled(nelems, context);

	memset(clv_state_data(state), 0, (Size) nelems * sizeof(int64));
	return state;
}

/*
 * A state of nelems slots, in the current memory context, that begins with
 * the first used slots of state, every slot after them set to fill.  Each
 * slot is written once: a state that doubles as a million rows come in is
 * copied about twenty times (and the executor copies each new one into the
 * aggregate's memory again), so zeroing it first was a third pass over it.
 */
ArrayType *
clv_state_grow(ArrayType *state, int used, int nelems, int64 fill)
{
	ArrayType  *grown;
	int64	   *g;

	Assert(used >= 0 && used <= clv_state_length(state) && used <= nelems);
	grown = state_alloc_unfilled(nelems, CurrentMemoryContext);
	g = clv_state_data(grown);
	memcpy(g, clv_state_data(state), (Size) used * sizeof(int64));
	if (fill == 0)
		memset(g + used, 0, (Size) (nelems - used) * sizeof(int64));
	else
		for (int i = used; i < nelems; i++)
			g[i] = fill;
	return grown;
}

void
clv_state_corrupt(const char *aggname, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid %s state", aggname),
			 errdetail("%s", detail),
			 errhint("A state must come from the %s aggregate's own transition or combine function.",
					 aggname)));
}

/*
 * A state datum, detoasted, with its shape and magic checked; the caller
 * checks the content it depends on.
 */
ArrayType *
clv_state_checked(Datum datum, int64 magic, int header_len, const char *aggname)
{
	ArrayType  *state = DatumGetArrayTypeP(datum);

	if (ARR_NDIM(state) != 1 || ARR_HASNULL(state) ||
		ARR_ELEMTYPE(state) != INT8OID || ARR_LBOUND(state)[0] != 1)
		clv_state_corrupt(aggname, "The array must be a one-dimensional bigint[] without NULLs, starting at index 1.");
	if (clv_state_length(state) < header_len)
		clv_state_corrupt(aggname, "The array is shorter than the state header.");
	if (clv_state_data(state)[0] != magic)
		clv_state_corrupt(aggname, "The array does not start with the state's layout tag.");
	return state;
}

ArrayType *
clv_state_get(FunctionCallInfo fcinfo, int argno, int64 magic,
			  int header_len, const char *aggname)
{
	return clv_state_checked(PG_GETARG_DATUM(argno), magic, header_len, aggname);
}

/*
 * The NULL cases of a combine function, the same for every state: with both
 * states NULL the result is NULL, with one NULL it is the other, checked by
 * state_arg like any state a combine function merges.  Returns true when
 * that decides the result (*result, and fcinfo->isnull), false when both
 * states are given, for the caller to merge.
 */
bool
clv_combine_with_null(FunctionCallInfo fcinfo, ClvStateArg state_arg, Datum *result)
{
	if (!PG_ARGISNULL(0) && !PG_ARGISNULL(1))
		return false;
	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
	{
		fcinfo->isnull = true;
		*result = (Datum) 0;
	}
	else
		*result = PointerGetDatum(state_arg(fcinfo, PG_ARGISNULL(0) ? 1 : 0));
	return true;
}

