/*
 * decline.c: clv_decline, a per-customer verdict on whether a customer is
 * slipping away, with the reasons a CRM user acts on.
 *
 * Each signal is switched off by passing NULL for its threshold, and a
 * signal whose inputs are missing simply does not fire:
 *
 * gone_quiet: the time since the last order is long for this customer's own
 *   rhythm.  Gaps between purchase days are taken as gamma distributed with
 *   the customer's mean gap and coefficient of variation; the verdict is the
 *   probability P(gap >= days silent).  Few gaps estimate the spread badly,
 *   so the squared CV is pulled toward 1 (exponential gaps) as if two more
 *   gaps of exponential spread had been seen: cv2 = ((g-1) cv2_obs + 2) / (g+1)
 *   for g gaps.  With a regularity model (MBG/CNBD-k, BG/CNBD-k), the
 *   probability is the model's instead: that a customer still buying at
 *   their posterior rate would have made no purchase in the silence
 *   (clv_cnbd_log_silence).  Fires below quiet_probability, for customers
 *   with at least min_gaps gaps.
 * p_alive_low / p_alive_dropped: P(alive) from a purchase model below
 *   p_alive_threshold, or fallen by more than p_alive_drop since the
 *   previous scoring.
 * ordering_less / spending_less: the recent window's orders (spend) below
 *   (1 - drop) times the previous window's, and, when the same window a
 *   year earlier is given, below (1 - drop) times that too, so a seasonal
 *   low that also happened last year does not fire.  Orders need at least
 *   two in the previous window; spend a positive previous spend.
 *
 * severity is the number of reasons; value_at_risk = value x (1 - P(alive))
 * ranks the list so the most valuable slipping customers come first.
 */
#include "calendar.h"
#include "scores.h"
#include "special.h"
#include "summary.h"
#include "patterns.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(clv_decline);

/* arguments, in the order of CREATE FUNCTION clv_decline */
enum
{
	A_SUMMARY,
	A_MODEL,
	A_VALUE,
	A_PREVIOUS_P_ALIVE,
	A_RECENT_ORDERS,
	A_PREVIOUS_ORDERS,
	A_YEAR_AGO_ORDERS,
	A_RECENT_SPEND,
	A_PREVIOUS_SPEND,
	A_YEAR_AGO_SPEND,
	A_QUIET_PROBABILITY,
	A_MIN_GAPS,
	A_P_ALIVE_THRESHOLD,
	A_P_ALIVE_DROP,
	A_ORDERS_DROP,
	A_SPEND_DROP,
	A_NARGS
};

/* the clv_decline composite */
enum
{
	F_DECLINING,
	F_SEVERITY,
	F_REASONS,
	F_ALERT,
	F_DAYS_SILENT,
	F_TYPICAL_GAP_DAYS,
	F_P_GAP,
	F_P_ALIVE,
	F_P_ALIVE_CHANGE,
	F_ORDERS_CHANGE,
	F_SPEND_CHANGE,
	F_VALUE_AT_RISK,
	F_NFIELDS
};

#define MAX_REASONS 5
#define DEFAULT_MIN_GAPS 3		/* the SQL signature's default */
#define GAMMA_SHAPE_MIN 0.05
#define GAMMA_SHAPE_MAX 400.0

static bool
optional_float8(FunctionCallInfo fcinfo, int argno, double *value)
{
	if (PG_ARGISNULL(argno))
		return false;
	*value = PG_GETARG_FLOAT8(argno);
	return true;
}

static bool
optional_count(FunctionCallInfo fcinfo, int argno, double *value)
{
	if (PG_ARGISNULL(argno))
		return false;
	*value = (double) PG_GETARG_INT64(argno);
	if (*value < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order counts must not be negative")));
	return true;
}

/* a threshold that switches its signal off when NULL */
static bool
optional_fraction(FunctionCallInfo fcinfo, int argno, const char *name, double *value)
{
	if (!optional_float8(fcinfo, argno, value))
		return false;
	clv_check_fraction(*value, name);
	return true;
}

/* P(gap >= silent) for gamma gaps with this mean and squared CV */
static double
gap_survival(double silent, double mean, double cv2)
{
	double		shape = 1.0 / cv2;

	shape = Min(Max(shape, GAMMA_SHAPE_MIN), GAMMA_SHAPE_MAX);
	return clv_gamma_q(shape, silent * shape / mean);
}

/* "down 60%" / "up 20%" against a baseline */
static double
relative_change(double recent, double before)
{
	return clv_check_result(recent / before - 1, "relative change");
}

static bool
dropped(double recent, double previous, bool have_year_ago, double year_ago, double drop)
{
	if (!(recent < (1 - drop) * previous))
		return false;
	return !have_year_ago || recent < (1 - drop) * year_ago;
}

/*
 * value with decimals (0 to 2) decimals, as "%.*f" writes it: the exact
 * binary value rounded to nearest, a tie to even (glibc's printf, which
 * PostgreSQL's snprintf calls for floats).  Every customer's alert has a few
 * such numbers and printf was most of clv_decline's time, so they are made
 * here in integers: |value| = m 2^(e-53) with a 53-bit m, and m 10^d fits
 * in 64 bits (read from the bits, as frexp and ldexp cost as much again).
 * Returns the length, or -1 for |value| >= 2^52 (or NaN), left
 * to printf.
 */
static int
format_fixed(char *buf, double value, int decimals)
{
	static const uint64 scale[] = {1, 10, 100};
	uint64		bits;
	int			biased;
	uint64		scaled;
	int			shift;
	uint64		units;
	char		digits[32];
	int			ndigits = 0,
				len = 0;

	Assert(decimals >= 0 && decimals <= 2);
	if (!(fabs(value) < 4503599627370496.0))
		return -1;
	memcpy(&bits, &value, sizeof(bits));
	biased = (int) ((bits >> 52) & 0x7FF);
	scaled = bits & ((UINT64CONST(1) << 52) - 1);
	if (biased > 0)
		scaled |= UINT64CONST(1) << 52;
	scaled *= scale[decimals];	/* below 2^60 */
	shift = biased > 0 ? 1075 - biased : 1074;	/* |value| 10^d = scaled / 2^shift, shift > 0 */
	if (shift >= 64)
		units = 0;				/* under a half */
	else
	{
		uint64		rest = scaled & ((UINT64CONST(1) << shift) - 1);
		uint64		half = UINT64CONST(1) << (shift - 1);

		units = scaled >> shift;
		if (rest > half || (rest == half && (units & 1)))
			units++;
	}
	if (signbit(value))
		buf[len++] = '-';
	/* 32-bit divisions where they do (they are cheaper) */
	while (units > PG_UINT32_MAX)
	{
		digits[ndigits++] = '0' + units % 10;
		units /= 10;
	}
	{
		uint32		small = (uint32) units;

		do
		{
			digits[ndigits++] = '0' + small % 10;
			small /= 10;
		} while (small > 0 || ndigits <= decimals);
	}
	while (ndigits > 0)
	{
		if (ndigits == decimals)
			buf[len++] = '.';
		buf[len++] = digits[--ndigits];
	}
	buf[len] = '\0';
	return len;
}

/*
 * appendBinaryStringInfo, inline where the buffer has room (it mostly has:
 * the alert's buffer is kept from row to row), for the dozen short pieces
 * of every alert.
 */
static inline void
append_bytes(StringInfo out, const char *bytes, int len)
{
	if (likely(out->len + len < out->maxlen))
	{
		memcpy(out->data + out->len, bytes, len);
		out->len += len;
		out->data[out->len] = '\0';
	}
	else
		appendBinaryStringInfo(out, bytes, len);
}

/* a string constant, its length known */
#define append_literal(out, literal) append_bytes(out, literal, sizeof(literal) - 1)

/* appendStringInfo(out, "%.*f", decimals, value), without printf */
static void
append_fixed(StringInfo out, double value, int decimals)
{
	char		buf[64];
	int			len = format_fixed(buf, value, decimals);

	if (len < 0)
		appendStringInfo(out, "%.*f", decimals, value);
	else
		append_bytes(out, buf, len);
}

/* a whole amount with thousands separators: -1,234,567 */
static void
append_amount(StringInfo out, double amount)
{
	char		buf[64];
	char	   *digits = buf;
	char		grouped[64];
	int			len;
	int			n = 0;

	if (format_fixed(buf, fabs(amount), 0) < 0)
		digits = psprintf("%.0f", fabs(amount));
	len = strlen(digits);
	if (amount < 0 && digits[0] != '0')
		appendStringInfoChar(out, '-');
	if (digits != buf)
	{
		/* beyond 2^52: rare, a character at a time */
		for (int i = 0; i < len; i++)
		{
			if (i > 0 && (len - i) % 3 == 0)
				appendStringInfoChar(out, ',');
			appendStringInfoChar(out, digits[i]);
		}
		return;
	}
	for (int i = 0; i < len; i++)
	{
		if (i > 0 && (len - i) % 3 == 0)
			grouped[n++] = ',';
		grouped[n++] = digits[i];
	}
	append_bytes(out, grouped, n);
}

static void
append_span(StringInfo out, double days)
{
	if (days >= 365.25)
	{
		append_fixed(out, days / 365.25, 1);
		append_literal(out, " years");
	}
	else if (days >= 61)
	{
		append_fixed(out, days / 30.44, 0);
		append_literal(out, " months");
	}
	else
	{
		append_fixed(out, days, 0);
		/* "1 day", not "1 days": rint rounds a tie to even, as "%.0f" does */
		if (rint(days) == 1)
			append_literal(out, " day");
		else
			append_literal(out, " days");
	}
}

/*
 * What the rows of one query share, in fn_extra: the result's blessed
 * descriptor, an empty reasons array, the alert's buffer and the purchase
 * model last checked (a row with the same model, bit for bit, is not checked
 * again).
 */
typedef struct DeclineCache
{
	TupleDesc	desc;
	Datum		no_reasons;
	ClvModel	model;
	StringInfoData alert;		/* the alert's buffer, reset for each row */
} DeclineCache;

static DeclineCache *
decline_cache(FunctionCallInfo fcinfo)
{
	DeclineCache *cache = (DeclineCache *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	desc;

		if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "clv_decline must return a composite type");
		cache = palloc0(sizeof(DeclineCache));
		cache->desc = BlessTupleDesc(CreateTupleDescCopy(desc));
		cache->no_reasons = PointerGetDatum(construct_empty_array(TEXTOID));
		initStringInfo(&cache->alert);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache;
}

static const ClvModel *
decline_model(FunctionCallInfo fcinfo, DeclineCache *cache)
{
	const ClvModel *model = PG_GETARG_CLV_MODEL_P(A_MODEL);

	if (VARSIZE_ANY(model) == sizeof(ClvModel) && memcmp(model, &cache->model, sizeof(ClvModel)) == 0)
		return model;
	model = clv_purchase_model_arg(fcinfo, A_MODEL);
	memcpy(&cache->model, model, sizeof(ClvModel));
	return model;
}

/*
 * The verdict being built: the composite's fields, the signals that fired
 * and the alert in words.  Each step below adds what its arguments allow.
 */
typedef struct Verdict
{
	Datum		values[F_NFIELDS];
	bool		nulls[F_NFIELDS];
	Datum		reasons[MAX_REASONS];
	int			nreasons;
	StringInfo	alert;
} Verdict;

static void
set_field(Verdict *v, int field, Datum value)
{
	v->values[field] = value;
	v->nulls[field] = false;
}

static void
add_reason(Verdict *v, const char *reason)
{
	v->reasons[v->nreasons++] = CStringGetTextDatum(reason);
}

/*
 * The customer's own rhythm: the mean gap between purchase days and its
 * spread, and the chance of a silence this long under them ("gone_quiet"
 * below quiet_probability, once there are min_gaps gaps to judge by).
 */
static void
rhythm_signal(FunctionCallInfo fcinfo, ClvSummaryRow *summary, const ClvModel *model,
			  double x, double t_x, double T, DateADT first, DateADT last, double silent, Verdict *v)
{
	double		mean_gap,
				cv2 = 1,
				p_gap,
				threshold;
	int32		min_gaps;

	/* an option given as NULL takes its default (the NULL rule) */
	min_gaps = clv_option_given(fcinfo, A_MIN_GAPS) ? PG_GETARG_INT32(A_MIN_GAPS) : DEFAULT_MIN_GAPS;
	if (min_gaps < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_gaps must be at least 1"),
				 errdetail("Found %d.", min_gaps)));

	if (x < 1)
	{
		append_literal(v->alert, "one purchase day, ");
		if (rint(silent) == 0)
			append_literal(v->alert, "today");
		else
		{
			append_span(v->alert, silent);
			append_literal(v->alert, " ago");
		}
		return;
	}
	mean_gap = ((double) last - first) / x;
	if (x >= 2)
	{
		Interval   *unit = DatumGetIntervalP(clv_summary_get(summary, CLV_SUMMARY_TIME_UNIT));
		double		unit_days = (double) clv_interval_length_usecs(unit, "time_unit") / USECS_PER_DAY;
		double		sd = DatumGetFloat8(clv_summary_get(summary, CLV_SUMMARY_GAP_STDDEV)) * unit_days;

		if (!(sd >= 0) || !isfinite(sd))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("summary has an invalid gap_stddev")));

		cv2 = ((x - 1) * (sd * sd) / (mean_gap * mean_gap) + 2) / (x + 1);
	}
	/* a regularity model knows the customer's rhythm better than their few gaps */
	if (model != NULL && (model->kind == CLV_MODEL_MBGCNBD || model->kind == CLV_MODEL_BGCNBD))
		p_gap = exp(clv_cnbd_log_silence(model, x, t_x, T));
	else
		p_gap = gap_survival(silent, mean_gap, cv2);
	set_field(v, F_TYPICAL_GAP_DAYS, Float8GetDatum(mean_gap));
	set_field(v, F_P_GAP, Float8GetDatum(p_gap));
	append_literal(v->alert, "ordered every ~");
	append_span(v->alert, mean_gap);
	append_literal(v->alert, " for ");
	append_span(v->alert, (double) last - first);
	append_literal(v->alert, ", silent for ");
	append_span(v->alert, silent);
	if (optional_fraction(fcinfo, A_QUIET_PROBABILITY, "quiet_probability", &threshold) &&
		x >= min_gaps && p_gap < threshold)
	{
		add_reason(v, "gone_quiet");
		appendStringInfo(v->alert, " (chance %.2g under their rhythm)", p_gap);
	}
}

/*
 * P(alive) under the purchase model: low ("p_alive_low" below
 * p_alive_threshold) or fallen since previous_p_alive ("p_alive_dropped" by
 * more than p_alive_drop).
 */
static double
p_alive_signal(FunctionCallInfo fcinfo, DeclineCache *cache, double x, double t_x, double T, Verdict *v)
{
	double		p_alive = clv_purchases_p_alive(decline_model(fcinfo, cache), x, t_x, T);
	double		previous,
				threshold,
				drop;

	set_field(v, F_P_ALIVE, Float8GetDatum(p_alive));
	append_literal(v->alert, "; P(alive) ");
	append_fixed(v->alert, p_alive, 2);
	if (optional_float8(fcinfo, A_PREVIOUS_P_ALIVE, &previous))
	{
		clv_check_fraction(previous, "previous_p_alive");
		set_field(v, F_P_ALIVE_CHANGE, Float8GetDatum(p_alive - previous));
		append_literal(v->alert, " (was ");
		append_fixed(v->alert, previous, 2);
		appendStringInfoChar(v->alert, ')');
		if (optional_fraction(fcinfo, A_P_ALIVE_DROP, "p_alive_drop", &drop) &&
			previous - p_alive > drop)
			add_reason(v, "p_alive_dropped");
	}
	if (optional_fraction(fcinfo, A_P_ALIVE_THRESHOLD, "p_alive_threshold", &threshold) &&
		p_alive < threshold)
		add_reason(v, "p_alive_low");
	return p_alive;
}

/*
 * A recent window against the previous one: the relative change into field,
 * and whether it is a drop by more than the drop_arg threshold (when the
 * previous window had at least min_previous, and, given, a year ago too).
 */
static bool
window_dropped(FunctionCallInfo fcinfo, Verdict *v, int field, int drop_arg, const char *drop_name,
			   double recent, double previous, double min_previous, bool have_year_ago, double year_ago)
{
	double		drop;

	set_field(v, field, Float8GetDatum(relative_change(recent, previous)));
	return optional_fraction(fcinfo, drop_arg, drop_name, &drop) && previous >= min_previous &&
		dropped(recent, previous, have_year_ago, year_ago, drop);
}

/* orders in the recent window against the previous one ("ordering_less") */
static void
orders_signal(FunctionCallInfo fcinfo, Verdict *v)
{
	double		recent,
				previous,
				year_ago = 0;
	bool		have_year_ago = optional_count(fcinfo, A_YEAR_AGO_ORDERS, &year_ago);

	if (!optional_count(fcinfo, A_RECENT_ORDERS, &recent) ||
		!optional_count(fcinfo, A_PREVIOUS_ORDERS, &previous) || previous <= 0)
		return;
	if (window_dropped(fcinfo, v, F_ORDERS_CHANGE, A_ORDERS_DROP, "orders_drop", recent, previous, 2,
					   have_year_ago, year_ago))
	{
		add_reason(v, "ordering_less");
		appendStringInfo(v->alert, "; %.0f order%s against %.0f in the previous window",
						 recent, recent == 1 ? "" : "s", previous);
		if (have_year_ago)
			appendStringInfo(v->alert, " and %.0f a year earlier", year_ago);
	}
}

/* spend in the recent window against the previous one ("spending_less") */
static void
spend_signal(FunctionCallInfo fcinfo, Verdict *v)
{
	double		recent,
				previous,
				year_ago = 0;
	bool		have_year_ago = optional_float8(fcinfo, A_YEAR_AGO_SPEND, &year_ago);

	if (have_year_ago)
		clv_check_finite(year_ago, "year_ago_spend");
	if (!optional_float8(fcinfo, A_RECENT_SPEND, &recent) ||
		!optional_float8(fcinfo, A_PREVIOUS_SPEND, &previous))
		return;
	clv_check_finite(recent, "recent_spend");
	clv_check_finite(previous, "previous_spend");
	if (previous <= 0)
		return;
	if (window_dropped(fcinfo, v, F_SPEND_CHANGE, A_SPEND_DROP, "spend_drop", recent, previous, 0,
					   have_year_ago, year_ago))
	{
		add_reason(v, "spending_less");
		appendStringInfo(v->alert, "; spend down %.0f%% on the previous window",
						 -100 * relative_change(recent, previous));
	}
}

Datum
clv_decline(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	DeclineCache *cache;
	Verdict		v;
	double		x,
				t_x,
				T,
				value,
				silent,
				p_alive = 0;
	bool		have_p_alive = false;
	DateADT		first,
				last,
				end;

	if (PG_ARGISNULL(A_SUMMARY))
		PG_RETURN_NULL();
	cache = decline_cache(fcinfo);
	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(A_SUMMARY), &summary);
	if (!clv_summary_history(&summary, &x, &t_x, &T))
		PG_RETURN_NULL();

	memset(v.nulls, true, sizeof(v.nulls));
	v.nreasons = 0;
	v.alert = &cache->alert;
	resetStringInfo(v.alert);
	first = clv_summary_get_date(&summary, CLV_SUMMARY_FIRST_ORDER);
	last = clv_summary_get_date(&summary, CLV_SUMMARY_LAST_ORDER);
	end = clv_summary_get_date(&summary, CLV_SUMMARY_OBSERVATION_END);
	/* a summary can be typed in: the dates must tell a possible story */
	if (first > last || last > end || (x >= 1) != (last > first))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summary has inconsistent first_order, last_order, observation_end and frequency")));
	silent = (double) end - last;
	set_field(&v, F_DAYS_SILENT, Int32GetDatum((int32) silent));

	rhythm_signal(fcinfo, &summary, PG_ARGISNULL(A_MODEL) ? NULL : decline_model(fcinfo, cache),
				  x, t_x, T, first, last, silent, &v);
	if (!PG_ARGISNULL(A_MODEL))
	{
		p_alive = p_alive_signal(fcinfo, cache, x, t_x, T, &v);
		have_p_alive = true;
	}
	orders_signal(fcinfo, &v);
	spend_signal(fcinfo, &v);
	if (optional_float8(fcinfo, A_VALUE, &value))
	{
		clv_check_finite(value, "value");
		if (have_p_alive)
		{
			set_field(&v, F_VALUE_AT_RISK, Float8GetDatum(value * (1 - p_alive)));
			append_literal(v.alert, "; value at risk ");
			append_amount(v.alert, value * (1 - p_alive));
		}
	}

	set_field(&v, F_DECLINING, BoolGetDatum(v.nreasons > 0));
	set_field(&v, F_SEVERITY, Int32GetDatum(v.nreasons));
	set_field(&v, F_REASONS, v.nreasons == 0 ? cache->no_reasons :
			  PointerGetDatum(construct_array(v.reasons, v.nreasons, TEXTOID, -1, false, TYPALIGN_INT)));
	set_field(&v, F_ALERT, PointerGetDatum(cstring_to_text_with_len(v.alert->data, v.alert->len)));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(cache->desc, v.values, v.nulls)));
}
