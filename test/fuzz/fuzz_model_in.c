/*
 * fuzz_model_in: clv_model's text input on any string.
 *
 * Oracles, beyond "no crash, no hang, no internal error":
 *   a value clv_model_in accepts prints (clv_model_out) and reads back to
 *   the same bytes, and prints the same text the second time;
 *   it also survives the binary path: send, then receive, gives the same
 *   bytes.
 */
#include "fuzz.h"

#include "lib/stringinfo.h"

extern Datum clv_model_in(PG_FUNCTION_ARGS);
extern Datum clv_model_out(PG_FUNCTION_ARGS);
extern Datum clv_model_send(PG_FUNCTION_ARGS);
extern Datum clv_model_recv(PG_FUNCTION_ARGS);


static void
check_same_model(Datum a, Datum b, const char *how)
{
	struct varlena *x = (struct varlena *) DatumGetPointer(a);
	struct varlena *y = (struct varlena *) DatumGetPointer(b);

	if (VARSIZE(x) != VARSIZE(y) || memcmp(x, y, VARSIZE(x)) != 0)
		fuzz_fail("clv_model changed in a round trip through %s", how);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *input;
	Datum		model;
	bool		isnull;
	Datum		arg;

	fuzz_begin();
	/* a cstring ends at its first NUL, as any text the server passes */
	input = palloc(size + 1);
	memcpy(input, data, size);
	input[size] = '\0';
	arg = CStringGetDatum(input);
	if (fuzz_call(clv_model_in, NULL, false, 1, &arg, NULL, &model, &isnull))
	{
		char	   *text;
		Datum		again;
		StringInfoData buf;
		bytea	   *bytes;

		if (isnull)
			fuzz_fail("clv_model_in returned NULL");
		text = DatumGetCString(fuzz_must_call(clv_model_out, "clv_model_out", model));
		again = fuzz_must_call(clv_model_in, "clv_model_in of clv_model_out", CStringGetDatum(text));
		check_same_model(model, again, "text");
		if (strcmp(text, DatumGetCString(fuzz_must_call(clv_model_out, "clv_model_out", again))) != 0)
			fuzz_fail("clv_model_out printed one model two ways");

		/* the binary path, as COPY BINARY would take it */
		bytes = DatumGetByteaPP(fuzz_must_call(clv_model_send, "clv_model_send", model));
		initStringInfo(&buf);
		appendBinaryStringInfo(&buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));
		again = fuzz_must_call(clv_model_recv, "clv_model_recv of clv_model_send", PointerGetDatum(&buf));
		check_same_model(model, again, "send and receive");
	}
	fuzz_end();
	return 0;
}
