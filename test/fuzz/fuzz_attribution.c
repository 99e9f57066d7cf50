/*
 * fuzz_attribution: the bytea state of clv_attribution, deserialized.
 *
 * Input: one byte of mode, then the bytes.  Mode bit 0 clear: the rest is
 * one state.  Set: two little-endian bytes give the length of a first
 * state, the rest is a second, and both are combined when they
 * deserialize (as a parallel leader combines its workers' states).
 *
 * Oracles, beyond "no crash, no hang, no internal error":
 *   a state that deserializes serializes to bytes that deserialize again
 *   and serialize to the very same bytes (serialize may normalise what
 *   deserialize tolerates, once);
 *   a combined state serializes and deserializes too.
 */
#include "fuzz.h"

extern Datum clv_attribution_serialize(PG_FUNCTION_ARGS);
extern Datum clv_attribution_deserialize(PG_FUNCTION_ARGS);
extern Datum clv_attribution_combine(PG_FUNCTION_ARGS);

/* deserialize(bytea, internal): the second argument is a dummy */
static bool
deserialize(Datum bytes, Datum *state)
{
	Datum		args[2] = {bytes, (Datum) 0};
	bool		isnull;

	if (!fuzz_call(clv_attribution_deserialize, NULL, true, 2, args, NULL, state, &isnull))
		return false;
	if (isnull)
		fuzz_fail("clv_attribution_deserialize returned NULL");
	return true;
}

static bytea *
serialize(Datum state)
{
	Datum		result;
	bool		isnull;

	if (!fuzz_call(clv_attribution_serialize, NULL, true, 1, &state, NULL, &result, &isnull))
		fuzz_fail("clv_attribution_serialize failed on a deserialized state: %s", fuzz_error.message);
	if (isnull)
		fuzz_fail("clv_attribution_serialize returned NULL");
	return DatumGetByteaPP(result);
}

static bool
same_bytes(bytea *a, bytea *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/* serialize a state and check that the bytes are a fixed point */
static void
check_round_trip(Datum state)
{
	bytea	   *once = serialize(state);
	Datum		again;

	if (!deserialize(PointerGetDatum(once), &again))
		fuzz_fail("clv_attribution_deserialize refuses what serialize wrote: %s (%s)",
				  fuzz_error.message, fuzz_error.detail);
	if (!same_bytes(once, serialize(again)))
		fuzz_fail("clv_attribution state changed in a serialize/deserialize round trip");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzInput	in = {data, size, 0};
	uint8_t		mode = fz_u8(&in);
	Datum		left,
				right;

	fuzz_begin();
	if (!(mode & 1))
	{
		if (deserialize(fuzz_bytea((const char *) data + in.pos, size - in.pos), &left))
			check_round_trip(left);
	}
	else
	{
		size_t		first = fz_u64(&in, 2);
		size_t		start = in.pos;

		first = Min(first, size - start);
		if (deserialize(fuzz_bytea((const char *) data + start, first), &left) &&
			deserialize(fuzz_bytea((const char *) data + start + first, size - start - first), &right))
		{
			Datum		args[2] = {left, right};
			bool		nulls[2] = {(mode & 2) != 0, false};
			Datum		combined;
			bool		isnull;

			if (fuzz_call(clv_attribution_combine, NULL, true, 2, args, nulls, &combined, &isnull))
			{
				if (isnull)
					fuzz_fail("clv_attribution_combine returned NULL for two states");
				check_round_trip(combined);
			}
		}
	}
	fuzz_end();
	return 0;
}
