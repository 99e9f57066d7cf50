/*
 * normalize.c: e-mail addresses and phone numbers as people type them, in a
 * form two systems agree on, so that identity linking (identity.c) can join
 * records on them.  The rules are in docs/cross-channel.md, "Identity
 * resolution"; what cannot be an address or a number becomes NULL, so that
 * it links nothing.
 */
#include "clv.h"

#include "lib/stringinfo.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(clv_normalize_email);
PG_FUNCTION_INFO_V1(clv_normalize_phone);

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* the text without surrounding ASCII white space, as (start, length) */
static void
trimmed(text *t, const char **start, int *len)
{
	const char *s = VARDATA_ANY(t);
	int			n = VARSIZE_ANY_EXHDR(t);

	while (n > 0 && is_space(*s))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	*start = s;
	*len = n;
}

/*
 * clv_normalize_email(email, drop_plus_tag, gmail_dots): trimmed, ASCII
 * letters lower-cased; NULL unless exactly one '@' with text on both sides,
 * a dot in the domain and no white space inside.  Optionally a "+tag" is
 * cut from the local part, and Gmail's ignored dots are removed (with
 * googlemail.com read as gmail.com).
 */
Datum
clv_normalize_email(PG_FUNCTION_ARGS)
{
	const char *s;
	int			n;
	bool		drop_plus_tag = PG_GETARG_BOOL(1);
	bool		gmail_dots = PG_GETARG_BOOL(2);
	char	   *lower;
	char	   *at;
	char	   *domain;
	StringInfoData out;

	trimmed(PG_GETARG_TEXT_PP(0), &s, &n);
	lower = palloc(n + 1);
	for (int i = 0; i < n; i++)
	{
		if (is_space(s[i]) || s[i] == '\0')
			PG_RETURN_NULL();
		lower[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] + ('a' - 'A') : s[i];
	}
	lower[n] = '\0';
	at = strchr(lower, '@');
	if (at == NULL || at == lower || strchr(at + 1, '@') != NULL)
		PG_RETURN_NULL();
	*at = '\0';
	domain = at + 1;
	if (domain[0] == '\0' || domain[0] == '.' || strchr(domain, '.') == NULL ||
		domain[strlen(domain) - 1] == '.')
		PG_RETURN_NULL();
	if (drop_plus_tag)
	{
		char	   *plus = strchr(lower, '+');

		if (plus != NULL)
			*plus = '\0';
		if (lower[0] == '\0')
			PG_RETURN_NULL();
	}
	initStringInfo(&out);
	if (gmail_dots && (strcmp(domain, "gmail.com") == 0 || strcmp(domain, "googlemail.com") == 0))
	{
		for (const char *c = lower; *c; c++)
			if (*c != '.')
				appendStringInfoChar(&out, *c);
		if (out.len == 0)
			PG_RETURN_NULL();
		domain = "gmail.com";
	}
	else
		appendStringInfoString(&out, lower);
	appendStringInfo(&out, "@%s", domain);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

#define PHONE_MIN_DIGITS 7
#define PHONE_MAX_DIGITS 15		/* E.164 */

/*
 * clv_normalize_phone(phone, default_country_code): "+" and the digits of
 * an international number (written with a leading "+" or "00"); a national
 * number gets default_country_code with one leading trunk 0 dropped (kept
 * for Italy, +39, where it belongs to the number); without a default
 * country it stays national, digits only.  Anything from an extension
 * marker ("x", "ext", "#") on is dropped.  NULL unless 7 to 15 digits
 * remain.
 */
Datum
clv_normalize_phone(PG_FUNCTION_ARGS)
{
	const char *s;
	int			n;
	char		digits[PHONE_MAX_DIGITS + 3];
	int			ndigits = 0;
	bool		international = false;
	const char *cc = NULL;
	char		cc_digits[4];
	int			cc_len = 0;
	StringInfoData out;
	int			start = 0;

	if (!PG_ARGISNULL(1))
	{
		const char *c;
		int			len;

		trimmed(PG_GETARG_TEXT_PP(1), &c, &len);
		if (len > 0 && c[0] == '+')
			c++, len--;
		if (len < 1 || len > 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("default_country_code must be 1 to 3 digits, such as '49' or '+1'")));
		/* the same message covers a leading 0: no country code has one */
		for (int i = 0; i < len; i++)
		{
			if (c[i] < '0' || c[i] > '9' || (i == 0 && c[i] == '0'))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("default_country_code must be 1 to 3 digits, such as '49' or '+1'")));
			cc_digits[cc_len++] = c[i];
		}
		cc_digits[cc_len] = '\0';
		cc = cc_digits;
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();

	trimmed(PG_GETARG_TEXT_PP(0), &s, &n);
	for (int i = 0; i < n; i++)
	{
		char		c = s[i];

		/* an extension marker only counts after some digits ("Fax +49 ...") */
		if (ndigits > 0 && (c == 'x' || c == 'X' || c == '#' ||
							(i + 2 < n && pg_strncasecmp(s + i, "ext", 3) == 0)))
			break;
		if (c == '+' && ndigits == 0)
			international = true;
		/* "+44 (0)20 ...": a trunk 0 written in brackets is not dialled */
		if (c == '(' && i + 2 < n && s[i + 1] == '0' && s[i + 2] == ')')
		{
			i += 2;
			continue;
		}
		if (c >= '0' && c <= '9')
		{
			/* 15 digits, and room for a "00" prefix */
			if (ndigits == PHONE_MAX_DIGITS + 2)
				PG_RETURN_NULL();
			digits[ndigits++] = c;
		}
	}
	digits[ndigits] = '\0';
	if (!international && ndigits >= 2 && digits[0] == '0' && digits[1] == '0')
	{
		international = true;
		start = 2;
	}
	initStringInfo(&out);
	if (international)
		appendStringInfoChar(&out, '+');
	else if (cc != NULL)
	{
		appendStringInfo(&out, "+%s", cc);
		if (digits[0] == '0' && strcmp(cc, "39") != 0)
			start = 1;
	}
	appendBinaryStringInfo(&out, digits + start, ndigits - start);
	{
		bool		plus = out.data[0] == '+';
		int			kept = out.len - (plus ? 1 : 0);

		/* no country code starts with 0 */
		if (kept < PHONE_MIN_DIGITS || kept > PHONE_MAX_DIGITS || (plus && out.data[1] == '0'))
			PG_RETURN_NULL();
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
