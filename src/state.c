/*
 * state.c: allocation and shape checks of bigint[] aggregate states.
 */
#include "state.h"

#include "catalog/pg_type.h"
#include "utils/expandeddatum.h"
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
static ArrayType *
state_grow_flat(ArrayType *state, int used, int nelems, int64 fill)
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
 * Large states held in place.  A transition function that returns a new
 * pass-by-reference state has the executor copy it into the aggregate's
 * memory and free the old one (ExecAggTransReparent): each time a state of
 * a million customers doubles, it is written twice and its new pages are
 * faulted in twice.  The executor keeps a read-write expanded object whose
 * memory context is a child of the aggregate's where it is, so a state
 * past clv_state_hold_min_bytes (64 kB; the fuzz harness lowers it) is
 * held by PostgreSQL's expanded array in its flat form (expand_array: the
 * flat array in the object's own context, fvalue, no Datum array), and
 * grown there, the same holder returned every time.  A combine function
 * that merges into its first state (the aggregate's own) holds it the same
 * way: a parallel or partitioned aggregate then merges its partial states
 * into one held state instead of having each merged one copied.
 * Everything else reads such a state as the flat bigint[] it holds: a
 * final function through the read-only pointer it is given, a tuple by
 * flattening it (a copy of fvalue), Citus's text output (array_out) through
 * the expanded array's fields, which describe the same array.
 *
 * A held state's array is as long as the slots it uses, not as its
 * allocation: the room it grows into lies past the array's end, in the
 * same chunk (clv_state_room says how far; its module writes there and
 * then moves the end, clv_state_set_used).  So no reader sees the room,
 * and flattening one, as a parallel worker does to send its partial state
 * to the leader, copies only what it holds: at a million customers each
 * of two workers used to send 17 MB for its BG/NBD state, three fifths of
 * it room.  A small flat state keeps its room inside the array, as the
 * executor copies it whole anyway.
 */
int			clv_state_hold_min_bytes = 64 * 1024;

/*
 * How a held state is flattened: a copy of its array, which a held state's
 * length makes the slots it uses (what PostgreSQL's expanded array does
 * for an array in flat form).  Its own methods also tell clv's held states
 * apart from any other expanded array a function could be handed.  An
 * array without its flat form (which only an assignment to an element
 * through a read-write pointer leaves, and none is ever handed one but
 * clv's own functions) is flattened by the expanded array's own methods.
 */
static const ExpandedObjectMethods *array_methods;

static Size
held_flat_size(ExpandedObjectHeader *eohptr)
{
	ArrayType  *array = ((ExpandedArrayHeader *) eohptr)->fvalue;

	return array != NULL ? ARR_SIZE(array) : array_methods->get_flat_size(eohptr);
}

static void
held_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	ArrayType  *array = ((ExpandedArrayHeader *) eohptr)->fvalue;

	if (array == NULL)
	{
		array_methods->flatten_into(eohptr, result, allocated_size);
		return;
	}
	if (allocated_size != ARR_SIZE(array))
		elog(ERROR, "held state flattened into %zu bytes, not its %zu", allocated_size, (Size) ARR_SIZE(array));
	memcpy(result, array, allocated_size);
}

static const ExpandedObjectMethods held_methods = {held_flat_size, held_flatten_into};

/* an expanded array in the form clv_state_grow_held keeps: clv's, flat, never deconstructed */
static bool
is_held_state(Datum datum)
{
	ExpandedArrayHeader *eah;

	if (!VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(datum)))
		return false;
	eah = (ExpandedArrayHeader *) DatumGetEOHP(datum);
	return eah->hdr.eoh_methods == &held_methods && eah->ea_magic == EA_MAGIC && eah->fvalue != NULL &&
		eah->dvalues == NULL;
}

/*
 * The flat array of a state datum: a held state's own (not a copy) when
 * the caller may have it (a read-write pointer: the transition function
 * the executor hands its state), or only reads it (to_read: a final
 * function, through its read-only pointer); else the datum detoasted,
 * which flattens any other expanded array into a copy of the caller's.
 */
static ArrayType *
state_array(Datum datum, bool to_read)
{
	if (is_held_state(datum) && (to_read || VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(datum))))
		return ((ExpandedArrayHeader *) DatumGetEOHP(datum))->fvalue;
	return DatumGetArrayTypeP(datum);
}

static ArrayType *
state_checked(Datum datum, bool to_read, int64 magic, int header_len, const char *aggname)
{
	ArrayType  *state = state_array(datum, to_read);

	if (ARR_NDIM(state) != 1 || ARR_HASNULL(state) ||
		ARR_ELEMTYPE(state) != INT8OID || ARR_LBOUND(state)[0] != 1)
		clv_state_corrupt(aggname, "The array must be a one-dimensional bigint[] without NULLs, starting at index 1.");
	if (clv_state_length(state) < header_len)
		clv_state_corrupt(aggname, "The array is shorter than the state header.");
	if (clv_state_data(state)[0] != magic)
		clv_state_corrupt(aggname, "The array does not start with the state's layout tag.");
	return state;
}

/*
 * A state datum, detoasted, with its shape and magic checked; the caller
 * checks the content it depends on.  A read-write held state is the
 * caller's own (the executor hands it to the transition function that
 * made it), and comes back as its flat array, not a copy.
 */
ArrayType *
clv_state_checked(Datum datum, int64 magic, int header_len, const char *aggname)
{
	return state_checked(datum, false, magic, header_len, aggname);
}

/*
 * The same for a caller that only reads the state (a final function, a
 * combine function's inputs when it builds a new state): a held state is
 * read where it is even through a read-only pointer.
 */
ArrayType *
clv_state_checked_to_read(Datum datum, int64 magic, int header_len, const char *aggname)
{
	return state_checked(datum, true, magic, header_len, aggname);
}

/*
 * The memory context a transition function may hold its state in: the
 * aggregate's, in a plain aggregate.  None (NULL) in a window aggregate:
 * there a moving frame's inverse transition function, which CREATE
 * AGGREGATE lets a user write in any language, is handed the same
 * read-write state, and PL/pgSQL takes such an argument over and frees it
 * with its call's memory; a flat state is only ever copied.
 */
static MemoryContext
hold_context(FunctionCallInfo fcinfo)
{
	MemoryContext aggcontext;

	if (AggCheckCallContext(fcinfo, &aggcontext) != AGG_CONTEXT_AGGREGATE)
		return NULL;
	return aggcontext;
}

/*
 * The state a transition function was handed, checked as clv_state_checked
 * does, for it to update and grow (clv_state_grow_held).
 */
ClvStateRef
clv_state_ref(FunctionCallInfo fcinfo, Datum datum, int64 magic, int header_len, const char *aggname)
{
	ClvStateRef ref;

	ref.array = clv_state_checked(datum, magic, header_len, aggname);
	ref.holder = VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(datum)) && is_held_state(datum) ?
		(ExpandedArrayHeader *) DatumGetEOHP(datum) : NULL;
	ref.fcinfo = fcinfo;
	return ref;
}

/* A new state, small and flat, for a transition function to fill and grow. */
ClvStateRef
clv_state_ref_new(FunctionCallInfo fcinfo, ArrayType *state)
{
	ClvStateRef ref;

	ref.array = state;
	ref.holder = NULL;
	ref.fcinfo = fcinfo;
	return ref;
}

/*
 * Grow a state as state_grow_flat does: its first used slots kept, every
 * slot after them up to nelems set to fill.  A small state, or any state
 * in a window aggregate (no context to hold it in), becomes a new flat
 * array, which the executor copies; a large one is held in place (see
 * clv_state_hold_min_bytes) and reallocated there, its array ending after
 * its used slots and its room past that end.  Where clv_alloc_large marks
 * chunks for huge pages, its used slots are copied into a new one instead:
 * memory of megabytes is mostly new to the process, and faults in far less
 * often so.  Else repalloc, which for a chunk of that size may move its
 * pages rather than copy them (both measured in docs/performance.md).
 */
void
clv_state_grow_held(ClvStateRef *ref, int used, int nelems, int64 fill)
{
	Size		nbytes = ARR_OVERHEAD_NONULLS(1) + (Size) nelems * sizeof(int64);
	ExpandedArrayHeader *holder = ref->holder;
	MemoryContext context = NULL;
	ArrayType  *grown;

	Assert(used >= 0 && used <= clv_state_length(ref->array) && used <= nelems);
	/* where a holder would be made: looked up here, not on every row */
	if (holder == NULL && nbytes >= (Size) clv_state_hold_min_bytes)
		context = hold_context(ref->fcinfo);
	if (holder == NULL && context == NULL)
	{
		ref->array = state_grow_flat(ref->array, used, nelems, fill);
		return;
	}
	if (nelems < 0 || !AllocSizeIsValid(nbytes))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv aggregate state would need more than 1 GB")));
	if (holder == NULL)
	{
		/* a flat copy in the holder's own context, under the aggregate's */
		holder = (ExpandedArrayHeader *) DatumGetEOHP(expand_array(PointerGetDatum(ref->array),
																	context, NULL));
		array_methods = holder->hdr.eoh_methods;
		holder->hdr.eoh_methods = &held_methods;
		ref->holder = holder;
	}
	/*
	 * The room past the array's end is not filled: nothing reads a slot
	 * there before its module writes it and moves the end over it
	 */
	if (clv_large_chunks_marked())
	{
		grown = (ArrayType *) clv_alloc_large(holder->hdr.eoh_context, nbytes);
		memcpy(grown, holder->fvalue, ARR_OVERHEAD_NONULLS(1) + (Size) used * sizeof(int64));
		pfree(holder->fvalue);
	}
	else
		grown = (ArrayType *) repalloc(holder->fvalue, nbytes);
	/*
	 * What the holder knows of its flat array, which has moved: its room in
	 * dvalueslen, which PostgreSQL reads only once an expanded array has a
	 * Datum array (dvalues), which a held state never has (is_held_state)
	 */
	holder->fvalue = grown;
	holder->fstartptr = ARR_DATA_PTR(grown);
	holder->dims = ARR_DIMS(grown);
	holder->lbound = ARR_LBOUND(grown);
	holder->flat_size = 0;
	holder->dvalueslen = nelems;
	ref->array = grown;
	clv_state_set_used(ref, used);
}

/* The slots a state can take before it must grow: a held state's room, else its length. */
int
clv_state_room(const ClvStateRef *ref)
{
	return ref->holder != NULL ? ref->holder->dvalueslen : clv_state_length(ref->array);
}

/*
 * A held state's new end, once its module has written or merged slots up
 * to used (within clv_state_room); a flat state keeps its room in the
 * array, and its length.
 */
void
clv_state_set_used(ClvStateRef *ref, int64 used)
{
	ExpandedArrayHeader *holder = ref->holder;

	if (holder == NULL)
		return;
	if (used < 1 || used > holder->dvalueslen)
		elog(ERROR, "held state would use " INT64_FORMAT " of its %d slots", used, holder->dvalueslen);
	SET_VARSIZE(ref->array, ARR_OVERHEAD_NONULLS(1) + (Size) used * sizeof(int64));
	ARR_DIMS(ref->array)[0] = (int) used;
	holder->fendptr = (char *) ref->array + ARR_SIZE(ref->array);
}

/* The entries a state being updated can take before it must grow (a held state's room). */
int64
clv_state_entry_room(const ClvStateRef *ref, const ClvStateLayout *layout)
{
	return (clv_state_room(ref) - layout->header) / layout->width;
}

/* A state being updated now holds the entries its header counts (a held state's end moves). */
void
clv_state_set_entries_used(ClvStateRef *ref, const ClvStateLayout *layout)
{
	if (ref->holder != NULL)
		clv_state_set_used(ref, layout->header +
						   clv_state_data(ref->array)[layout->count_slot] * layout->width);
}

/*
 * A copy of a state's first used slots (its header and the entries it
 * holds, not the room after them), for a final function to work on: it
 * must not change the state it is given.
 */
int64 *
clv_state_copy_slots(ArrayType *state, int64 used)
{
	Assert(used >= 0 && used <= clv_state_length(state));
	return memcpy(clv_alloc_large(CurrentMemoryContext, Max(used, 1) * sizeof(int64)),
				  clv_state_data(state), used * sizeof(int64));
}

/*
 * The capacity, in entries, a state grows to when it needs room for need
 * entries: twice what it has (64 at least), so that growing and compacting
 * stay rare, but within max, the most its module fits in 1 GB; need itself
 * when that is more (above max too, for the module's size check to
 * refuse).
 */
int64
clv_state_grown_capacity(int64 capacity, int64 need, int64 max)
{
	return Max(need, Min(Max(2 * capacity, 64), max));
}

/*
 * Room in a state for more entries after those it holds (a transition's
 * row, a combine's second state): when they would not fit, the state is
 * compacted, and grown if it is then more than half full (room to spare,
 * so that compaction stays rare) or still too small.  Returns the state's
 * slots, which growing may have moved; the caller writes the entries and
 * moves the state's end (clv_state_set_entries_used).
 */
int64 *
clv_state_make_room(ClvStateRef *ref, const ClvStateLayout *layout, int64 more,
					ClvStateCompact compact, ClvStateSlots slots)
{
	int64	   *s = clv_state_data(ref->array);
	int64		capacity = clv_state_entry_room(ref, layout);
	int64		grown;

	Assert(more >= 0);
	if (s[layout->count_slot] + more <= capacity)
		return s;
	compact(s);
	if (s[layout->count_slot] + more <= capacity && s[layout->count_slot] <= capacity / 2)
		return s;
	grown = clv_state_grown_capacity(capacity, s[layout->count_slot] + more,
									 clv_state_max_capacity(layout));
	if (grown > capacity)
	{
		clv_state_grow_held(ref, clv_state_slots_for(s[layout->count_slot], layout),
							slots(grown, layout), 0);
		s = clv_state_data(ref->array);
	}
	return s;
}

/* What a transition function returns: the holder, the same every time, or the flat state. */
Datum
clv_state_ref_datum(const ClvStateRef *ref)
{
	if (ref->holder != NULL)
		return EOHPGetRWDatum(&ref->holder->hdr);
	return PointerGetDatum(ref->array);
}

/*
 * The NULL cases of a combine function, the same for every state: with both
 * states NULL the result is NULL, with one NULL it is the other, checked by
 * state_arg like any state a combine function merges, but for the
 * aggregate's own held first state, passed on as it is, which only a
 * combine function made (clv_combine_first_state says why that is enough,
 * and its final function checks every entry).  Returns true when that
 * decides the result (*result, and fcinfo->isnull), false when both states
 * are given, for the caller to merge.
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
	{
		int			argno = PG_ARGISNULL(0) ? 1 : 0;
		Datum		state = PG_GETARG_DATUM(argno);

		if (argno == 1 || !AggCheckCallContext(fcinfo, NULL) ||
			!VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(state)) || !is_held_state(state))
			(void) state_arg(fcinfo, argno);
		/* the argument itself, not a pointer into it: a held state's flat array lives in its holder */
		*result = state;
	}
	return true;
}

/*
 * A combine function's first state, for the second to be merged into: in
 * an aggregate, the aggregate's own (its first partial state copied there,
 * then what the function returned), updated where it is and held once
 * large (clv_state_grow_held); called directly from SQL, a copy, so that
 * the argument stays as it was.  Checked through and through by check,
 * unless held.
 *
 * A held first state gets header_check alone, the O(1) checks that keep a
 * merge (and a compaction, which sorts any bits) inside its array.  It is
 * the aggregate's own, made by this combine function from states each
 * checked through and through as they came in (the first here, the second
 * ones by the caller): a state is held only in an aggregate's memory, not
 * in a window aggregate's (hold_context); the executor hands it
 * read-write only as the transition value of the node that made it, and a
 * node updates its states with its transition function or its combine
 * function, never both; a node's results and its final function's
 * argument are read-only, and the executor copies them flat.  The final
 * function checks every entry again.  With many partial states (a Citus
 * shard's each, a partition's each) a check of every entry at every merge
 * would read the growing state once per partial state.
 */
ClvStateRef
clv_combine_first_state(FunctionCallInfo fcinfo, int64 magic, int header_len, const char *aggname,
						ClvStateCheck header_check, ClvStateCheck check)
{
	ArrayType  *state;
	ArrayType  *copy;

	if (AggCheckCallContext(fcinfo, NULL))
	{
		ClvStateRef ref = clv_state_ref(fcinfo, PG_GETARG_DATUM(0), magic, header_len, aggname);

		if (ref.holder != NULL)
			header_check(ref.array);
		else
			check(ref.array);
		return ref;
	}
	state = check(clv_state_checked_to_read(PG_GETARG_DATUM(0), magic, header_len, aggname));
	copy = palloc(ARR_SIZE(state));
	memcpy(copy, state, ARR_SIZE(state));
	return clv_state_ref_new(fcinfo, copy);
}

