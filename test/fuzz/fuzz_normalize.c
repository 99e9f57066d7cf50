/*
 * fuzz_normalize: clv_normalize_email and clv_normalize_phone on any text.
 *
 * Input: one byte of flags (which function, drop_plus_tag, gmail_dots, a
 * short text header, a default country code and its length), then the
 * country code if any, then the text.
 *
 * Oracles, beyond "no crash, no hang, no internal error":
 *   a result is NULL or a normal form: normalising it again (with the same
 *   options) gives it back unchanged;
 *   an e-mail result has one '@', no white space, no ASCII capital;
 *   a phone result is an optional '+' and 7 to 15 digits.
 */
#include "fuzz.h"

extern Datum clv_normalize_email(PG_FUNCTION_ARGS);
extern Datum clv_normalize_phone(PG_FUNCTION_ARGS);

static bool
normalize(bool phone, Datum text, Datum opt1, Datum opt2, bool opt1_null, Datum *result, bool *isnull)
{
	Datum		args[3] = {text, opt1, opt2};
	bool		nulls[3] = {false, opt1_null, false};

	if (phone)
		return fuzz_call(clv_normalize_phone, NULL, false, 2, args, nulls, result, isnull);
	return fuzz_call(clv_normalize_email, NULL, false, 3, args, nulls, result, isnull);
}

static void
check_form(bool phone, const char *s, int len)
{
	int			ats = 0;

	if (phone)
	{
		int			start = len > 0 && s[0] == '+';

		if (len - start < 7 || len - start > 15)
			fuzz_fail("clv_normalize_phone returned %d digits", len - start);
		for (int i = start; i < len; i++)
			if (s[i] < '0' || s[i] > '9')
				fuzz_fail("clv_normalize_phone returned a non-digit");
		return;
	}
	for (int i = 0; i < len; i++)
	{
		ats += s[i] == '@';
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f' ||
			s[i] == '\v' || s[i] == '\0' || (s[i] >= 'A' && s[i] <= 'Z'))
			fuzz_fail("clv_normalize_email returned white space, a NUL or a capital");
	}
	if (ats != 1)
		fuzz_fail("clv_normalize_email returned %d '@'", ats);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzInput	in = {data, size, 0};
	uint8_t		flags = fz_u8(&in);
	bool		phone = flags & 1;
	bool		short_header = (flags & 8) != 0;
	bool		has_cc = (flags & 16) != 0;
	size_t		cc_len = has_cc ? Min((size_t) (flags >> 5), size - in.pos) : 0;
	Datum		opt1,
				opt2,
				result;
	bool		isnull;

	fuzz_begin();
	if (phone)
	{
		opt1 = fuzz_text((const char *) data + in.pos, cc_len, short_header);
		opt2 = (Datum) 0;
	}
	else
	{
		opt1 = BoolGetDatum((flags & 2) != 0);
		opt2 = BoolGetDatum((flags & 4) != 0);
	}
	in.pos += cc_len;
	if (normalize(phone, fuzz_text((const char *) data + in.pos, size - in.pos, short_header),
				  opt1, opt2, phone && !has_cc, &result, &isnull) && !isnull)
	{
		text	   *t = DatumGetTextPP(result);
		Datum		again;
		bool		again_null;

		check_form(phone, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (!normalize(phone, result, opt1, opt2, phone && !has_cc, &again, &again_null))
			fuzz_fail("normalising a normal form raised: %s", fuzz_error.message);
		if (again_null)
			fuzz_fail("a normal form normalises to NULL: \"%.*s\"",
					  (int) VARSIZE_ANY_EXHDR(t), VARDATA_ANY(t));
		{
			text	   *u = DatumGetTextPP(again);

			if (VARSIZE_ANY_EXHDR(t) != VARSIZE_ANY_EXHDR(u) ||
				memcmp(VARDATA_ANY(t), VARDATA_ANY(u), VARSIZE_ANY_EXHDR(t)) != 0)
				fuzz_fail("normalising is not idempotent: \"%.*s\" becomes \"%.*s\"",
						  (int) VARSIZE_ANY_EXHDR(t), VARDATA_ANY(t),
						  (int) VARSIZE_ANY_EXHDR(u), VARDATA_ANY(u));
		}
	}
	fuzz_end();
	return 0;
}
