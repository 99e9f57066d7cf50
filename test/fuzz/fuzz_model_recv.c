/*
 * fuzz_model_recv: clv_model's binary input on any bytes.
 *
 * Oracles, beyond "no crash, no hang, no internal error":
 *   bytes clv_model_recv accepts are sent back (clv_model_send) exactly as
 *   they came, since receive must consume every byte;
 *   an accepted value also has a text form that reads back to the same
 *   bytes: COPY BINARY and COPY TEXT (pg_dump) must agree on what a model
 *   is.
 */
#include "fuzz.h"

#include "lib/stringinfo.h"

extern Datum clv_model_in(PG_FUNCTION_ARGS);
extern Datum clv_model_out(PG_FUNCTION_ARGS);
extern Datum clv_model_send(PG_FUNCTION_ARGS);
extern Datum clv_model_recv(PG_FUNCTION_ARGS);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	StringInfoData buf;
	Datum		model;
	bool		isnull;
	Datum		arg;

	fuzz_begin();
	/* the server hands receive functions a buffer with a NUL after the data */
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (const char *) data, size);
	arg = PointerGetDatum(&buf);
	if (fuzz_call(clv_model_recv, NULL, false, 1, &arg, NULL, &model, &isnull))
	{
		bytea	   *sent;
		struct varlena *m = (struct varlena *) DatumGetPointer(model);
		struct varlena *again;
		char	   *text;

		if (isnull)
			fuzz_fail("clv_model_recv returned NULL");
		sent = DatumGetByteaPP(fuzz_must_call(clv_model_send, "clv_model_send", model));
		if (VARSIZE_ANY_EXHDR(sent) != size || memcmp(VARDATA_ANY(sent), data, size) != 0)
			fuzz_fail("clv_model_send does not give back the bytes clv_model_recv accepted");

		text = DatumGetCString(fuzz_must_call(clv_model_out, "clv_model_out", model));
		again = (struct varlena *) DatumGetPointer(fuzz_must_call(clv_model_in, "clv_model_in of clv_model_out",
															 CStringGetDatum(text)));
		if (VARSIZE(m) != VARSIZE(again) || memcmp(m, again, VARSIZE(m)) != 0)
			fuzz_fail("a received clv_model changed in a round trip through its text form: %s", text);
	}
	fuzz_end();
	return 0;
}
