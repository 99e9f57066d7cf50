/*
 * pipeline_digest.c: how a pipeline without change capture tells which
 * customers' orders changed.
 *
 * A view, a partitioned, foreign or Citus table, or orders of another role's
 * take no capture triggers.  For such a pipeline every refresh stores, per
 * customer, how many order rows it has and the sum of clv_order_row_hash over
 * them; an incremental refresh computes both again from all the orders and
 * summarises the customers whose pair differs (clv_pipeline_refresh_steps).
 *
 * The hash is of each value's bytes as PostgreSQL holds it: the same bytes
 * are the same value, so a change of value always changes them, whatever the
 * type (money included, which has no hash function, and independently of
 * settings such as lc_monetary that its text depends on).  A change of
 * representation alone, numeric 1.0 to 1.00 or a float's -0 to 0, changes
 * them too, and only costs summarising that customer again.  The values are
 * chained, each hashed with the hash so far as its seed, so a row's hash is
 * not a linear combination of its columns' hashes: summed over rows, such a
 * combination would let two rows of a customer trade one column unseen.
 */
#include "clv.h"

#include "common/hashfn.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(clv_order_row_hash);

/* the seed of a row's hash, and what a NULL contributes: arbitrary constants */
#define ROW_HASH_START UINT64CONST(0x636c7620726f7773)
#define ROW_HASH_NULL 0x4e554c4cU

/* what hashing an argument's bytes needs, looked up once per query */
typedef struct ArgumentType
{
	int16		typlen;
	bool		typbyval;
} ArgumentType;

static const ArgumentType *
argument_types(FunctionCallInfo fcinfo)
{
	ArgumentType *types = (ArgumentType *) fcinfo->flinfo->fn_extra;

	if (types == NULL)
	{
		types = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, Max(PG_NARGS(), 1) * sizeof(ArgumentType));
		for (int i = 0; i < PG_NARGS(); i++)
		{
			Oid			type = get_fn_expr_argtype(fcinfo->flinfo, i);

			if (!OidIsValid(type))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("clv_order_row_hash could not determine the type of argument %d", i + 1)));
			get_typlenbyval(type, &types[i].typlen, &types[i].typbyval);
		}
		fcinfo->flinfo->fn_extra = types;
	}
	return types;
}

/*
 * The value's bytes hashed with seed.  A value passed by value is read at its
 * own width, so that the same value gives the same bytes whichever way its
 * Datum was made.
 */
static uint64
value_hash(Datum value, const ArgumentType *type, uint64 seed)
{
	if (type->typbyval)
	{
		int64		v;

		switch (type->typlen)
		{
			case 1:
				v = (uint8) DatumGetChar(value);
				break;
			case 2:
				v = DatumGetInt16(value);
				break;
			case 4:
				v = DatumGetInt32(value);
				break;
			default:
				v = DatumGetInt64(value);
				break;
		}
		return hash_bytes_extended((const unsigned char *) &v, sizeof(v), seed);
	}
	if (type->typlen > 0)
		return hash_bytes_extended((const unsigned char *) DatumGetPointer(value), type->typlen, seed);
	if (type->typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		return hash_bytes_extended((const unsigned char *) VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), seed);
	}
	/* typlen -2: a cstring, or an unknown literal, NUL-terminated */
	return hash_bytes_extended((const unsigned char *) DatumGetCString(value),
							   strlen(DatumGetCString(value)), seed);
}

/*
 * clv_order_row_hash(VARIADIC "any") -> bigint: a 64-bit hash of the values,
 * in order, NULLs included; the same values (bytes) give the same hash on any
 * server of the same architecture.
 */
Datum
clv_order_row_hash(PG_FUNCTION_ARGS)
{
	const ArgumentType *types = argument_types(fcinfo);
	uint64		h = ROW_HASH_START;

	for (int i = 0; i < PG_NARGS(); i++)
	{
		if (PG_ARGISNULL(i))
			h = hash_bytes_uint32_extended(ROW_HASH_NULL, h);
		else
			h = value_hash(PG_GETARG_DATUM(i), &types[i], h);
	}
	PG_RETURN_INT64((int64) h);
}
