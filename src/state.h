/*
 * state.h: aggregate transition states kept in bigint[] arrays.
 *
 * Citus ships partial aggregate states between nodes as text through the
 * state type's output and input functions and will not do so for
 * `internal`, so every clv aggregate keeps its state in a one-dimensional
 * bigint[] with a header whose first element names the layout.  Such an
 * array can also be passed to a combine or final function by hand, so each
 * function that receives one checks it first (clv_state_checked).  That
 * includes the transition functions: CREATE AGGREGATE ... INITCOND can hand
 * them any array as the first state, so each checks in O(1) at least what
 * keeps its writes inside the array, and the final function checks the rest.
 *
 * A combine function may return either argument as it is when the other is
 * NULL: the executor copies a new pass-by-reference state into the
 * aggregate context itself (ExecAggTransReparent, ExecAggCopyTransValue
 * since PostgreSQL 16).
 */
#ifndef CLV_STATE_H
#define CLV_STATE_H

#include "clv.h"

#include "common/int.h"
#include "utils/array.h"
#include "utils/memutils.h"

extern ArrayType *clv_state_alloc(int nelems, MemoryContext context);
extern ArrayType *clv_state_checked(Datum datum, int64 magic, int header_len,
									const char *aggname);
extern void clv_state_corrupt(const char *aggname, const char *detail);

/*
 * Where a state's entries lie: after header slots, width slots each, their
 * number in the header's slot count_slot.  The modules whose states grow
 * (patterns.c, covariates.c, rfm.c) describe theirs with one, and ask
 * through it how many entries a state has room for.
 */
typedef struct ClvStateLayout
{
	int			header;
	int			count_slot;
	int			width;
} ClvStateLayout;

/*
 * A state as its transition function updates it (or a combine function,
 * its first state): the flat array, the
 * expanded array that holds it in place once it is large (else NULL), and
 * the call, which says where a holder may be made when the state grows
 * (state.c).
 */
typedef struct ClvStateRef
{
	ArrayType  *array;
	ExpandedArrayHeader *holder;
	FunctionCallInfo fcinfo;
} ClvStateRef;

extern int	clv_state_hold_min_bytes;
extern ArrayType *clv_state_checked_to_read(Datum datum, int64 magic, int header_len,
											const char *aggname);
extern ClvStateRef clv_state_ref(FunctionCallInfo fcinfo, Datum datum, int64 magic,
								 int header_len, const char *aggname);
extern ClvStateRef clv_state_ref_new(FunctionCallInfo fcinfo, ArrayType *state);
extern void clv_state_grow_held(ClvStateRef *ref, int used, int nelems, int64 fill);
extern int	clv_state_room(const ClvStateRef *ref);
extern void clv_state_set_used(ClvStateRef *ref, int64 used);
extern int64 clv_state_entry_room(const ClvStateRef *ref, const ClvStateLayout *layout);
extern void clv_state_set_entries_used(ClvStateRef *ref, const ClvStateLayout *layout);
extern Datum clv_state_ref_datum(const ClvStateRef *ref);

/*
 * A module's compaction of a state's entries, in place (sorted, equal ones
 * merged, its count moved), and the slots of its state with room for
 * capacity entries, refusing more than its maximum with its own message.
 */
typedef void (*ClvStateCompact) (int64 *s);
typedef int (*ClvStateSlots) (int64 capacity, const ClvStateLayout *layout);
extern int64 *clv_state_make_room(ClvStateRef *ref, const ClvStateLayout *layout, int64 more,
								  ClvStateCompact compact, ClvStateSlots slots);
extern int64 *clv_state_copy_slots(ArrayType *state, int64 used);
extern int64 clv_state_grown_capacity(int64 capacity, int64 need, int64 max);

/* a state argument, checked through and through by its module */
typedef ArrayType *(*ClvStateArg) (FunctionCallInfo fcinfo, int argno);
extern bool clv_combine_with_null(FunctionCallInfo fcinfo, ClvStateArg state_arg,
								  Datum *result);

/* a module's check of a state's header, or of its every entry; returns the state */
typedef ArrayType *(*ClvStateCheck) (ArrayType *state);
extern ClvStateRef clv_combine_first_state(FunctionCallInfo fcinfo, int64 magic, int header_len,
										   const char *aggname, ClvStateCheck header_check,
										   ClvStateCheck check);

/*
 * Counts in states add up exactly or not at all: a forged state, a typed-in
 * summary or a combine of two such can bring them near 2^63.  Inline: the
 * summary's transition function counts every order row with it.
 */
static inline int64
clv_count_add(int64 a, int64 b, const char *what)
{
	int64		sum;

	if (unlikely(pg_add_s64_overflow(a, b, &sum)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s out of range", what)));
	return sum;
}

static inline int64 *
clv_state_data(ArrayType *state)
{
	return (int64 *) ARR_DATA_PTR(state);
}

static inline int
clv_state_length(ArrayType *state)
{
	return ARR_DIMS(state)[0];
}

/* the entries a state's array has room for */
static inline int64
clv_state_capacity(ArrayType *state, const ClvStateLayout *layout)
{
	return (clv_state_length(state) - layout->header) / layout->width;
}

/*
 * Whether a state's array (its header there, as state_checked makes sure)
 * holds whole entries after the header, and at least the entries its count
 * says: the O(1) check that keeps every reader of the entries inside it.
 */
static inline bool
clv_state_entries_fit(ArrayType *state, const ClvStateLayout *layout)
{
	int64		count = clv_state_data(state)[layout->count_slot];

	return (clv_state_length(state) - layout->header) % layout->width == 0 &&
		count >= 0 && count <= clv_state_capacity(state, layout);
}

/* the most entries a state holds within 1 GB */
static inline int64
clv_state_max_capacity(const ClvStateLayout *layout)
{
	return (int64) (MaxAllocSize / sizeof(int64) - layout->header) / layout->width;
}

/* a state's slots with room for capacity entries (capacity within the maximum) */
static inline int
clv_state_slots_for(int64 capacity, const ClvStateLayout *layout)
{
	Assert(capacity >= 0 && capacity <= clv_state_max_capacity(layout));
	return (int) (layout->header + capacity * layout->width);
}

/* a float8 kept bit for bit in a bigint slot */
static inline int64
clv_float8_slot(double value)
{
	int64		bits;

	memcpy(&bits, &value, sizeof(bits));
	return bits;
}

static inline double
clv_slot_float8(int64 bits)
{
	double		value;

	memcpy(&value, &bits, sizeof(value));
	return value;
}

#endif							/* CLV_STATE_H */
