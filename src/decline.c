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
 *   for g gaps.  Fires below quiet_probability, for customers with at least
 *   min_gaps gaps.
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

static void
append_amount(StringInfo out, double amount)
{
	char	   *digits = psprintf("%.0f", fabs(amount));
	int			len;
	int			start = 0;

	len = strlen(digits);
	if (amount < 0 && digits[0] != '0')
		appendStringInfoChar(out, '-');
	for (int i = 0; i < len; i++)
	{
		if (i > start && (len - i) % 3 == 0)
			appendStringInfoChar(out, ',');
		appendStringInfoChar(out, digits[i]);
	}
}

static void
append_span(StringInfo out, double days)
{
	if (days >= 365.25)
		appendStringInfo(out, "%.1f years", days / 365.25);
	else if (days >= 61)
		appendStringInfo(out, "%.0f months", days / 30.44);
	else
		appendStringInfo(out, "%.0f days", days);
}

Datum
clv_decline(PG_FUNCTION_ARGS)
{
	ClvSummaryRow summary;
	TupleDesc	desc;
	Datum		values[F_NFIELDS];
	bool		nulls[F_NFIELDS];
	Datum		reasons[MAX_REASONS];
	int			nreasons = 0;
	StringInfoData alert;
	const char *sep = "";
	double		threshold,
				drop,
				value;
	int32		min_gaps;
	double		x,
				t_x,
				T;
	DateADT		first,
				last,
				end;
	double		silent,
				mean_gap = 0;
	bool		have_rhythm;
	double		p_alive = 0;
	bool		have_p_alive = false;

	if (PG_ARGISNULL(A_SUMMARY))
		PG_RETURN_NULL();
	clv_summary_read(PG_GETARG_HEAPTUPLEHEADER(A_SUMMARY), &summary);
	if (!clv_summary_history(&summary, &x, &t_x, &T))
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "clv_decline must return a composite type");

	memset(nulls, true, sizeof(nulls));
	initStringInfo(&alert);
	first = clv_summary_get_date(&summary, CLV_SUMMARY_FIRST_ORDER);
	last = clv_summary_get_date(&summary, CLV_SUMMARY_LAST_ORDER);
	end = clv_summary_get_date(&summary, CLV_SUMMARY_OBSERVATION_END);
	/* a summary can be typed in: the dates must tell a possible story */
	if (first > last || last > end || (x >= 1) != (last > first))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summary has inconsistent first_order, last_order, observation_end and frequency")));
	silent = (double) end - last;
	values[F_DAYS_SILENT] = Int32GetDatum((int32) silent);
	nulls[F_DAYS_SILENT] = false;

	if (PG_ARGISNULL(A_MIN_GAPS))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("min_gaps must not be NULL")));
	min_gaps = PG_GETARG_INT32(A_MIN_GAPS);
	if (min_gaps < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_gaps must be at least 1"),
				 errdetail("Found %d.", min_gaps)));

	/* the customer's own rhythm: mean gap and its spread */
	have_rhythm = x >= 1;
	if (have_rhythm)
	{
		double		cv2 = 1;

		mean_gap = ((double) last - first) / x;
		if (x >= 2)
		{
			Interval   *unit = DatumGetIntervalP(clv_summary_get(&summary, CLV_SUMMARY_TIME_UNIT));
			double		unit_days = (double) clv_interval_usecs(unit) / USECS_PER_DAY;
			double		sd = DatumGetFloat8(clv_summary_get(&summary, CLV_SUMMARY_GAP_STDDEV)) * unit_days;

			if (!(sd >= 0) || !isfinite(sd))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("summary has an invalid gap_stddev")));

			cv2 = ((x - 1) * (sd * sd) / (mean_gap * mean_gap) + 2) / (x + 1);
		}
		values[F_TYPICAL_GAP_DAYS] = Float8GetDatum(mean_gap);
		values[F_P_GAP] = Float8GetDatum(gap_survival(silent, mean_gap, cv2));
		nulls[F_TYPICAL_GAP_DAYS] = nulls[F_P_GAP] = false;
		appendStringInfoString(&alert, "ordered every ~");
		append_span(&alert, mean_gap);
		appendStringInfoString(&alert, " for ");
		append_span(&alert, (double) last - first);
		appendStringInfoString(&alert, ", silent for ");
		append_span(&alert, silent);
		if (optional_fraction(fcinfo, A_QUIET_PROBABILITY, "quiet_probability", &threshold) &&
			x >= min_gaps && DatumGetFloat8(values[F_P_GAP]) < threshold)
		{
			reasons[nreasons++] = CStringGetTextDatum("gone_quiet");
			appendStringInfo(&alert, " (chance %.2g under their rhythm)", DatumGetFloat8(values[F_P_GAP]));
		}
	}
	else
	{
		appendStringInfoString(&alert, "one purchase day, ");
		append_span(&alert, silent);
		appendStringInfoString(&alert, " ago");
	}
	sep = "; ";

	if (!PG_ARGISNULL(A_MODEL))
	{
		p_alive = clv_purchases_p_alive(clv_purchase_model_arg(fcinfo, A_MODEL), x, t_x, T);
		have_p_alive = true;
		values[F_P_ALIVE] = Float8GetDatum(p_alive);
		nulls[F_P_ALIVE] = false;
		appendStringInfo(&alert, "%sP(alive) %.2f", sep, p_alive);
		if (optional_float8(fcinfo, A_PREVIOUS_P_ALIVE, &value))
		{
			clv_check_fraction(value, "previous_p_alive");
			values[F_P_ALIVE_CHANGE] = Float8GetDatum(p_alive - value);
			nulls[F_P_ALIVE_CHANGE] = false;
			appendStringInfo(&alert, " (was %.2f)", value);
			if (optional_fraction(fcinfo, A_P_ALIVE_DROP, "p_alive_drop", &drop) &&
				value - p_alive > drop)
				reasons[nreasons++] = CStringGetTextDatum("p_alive_dropped");
		}
		if (optional_fraction(fcinfo, A_P_ALIVE_THRESHOLD, "p_alive_threshold", &threshold) &&
			p_alive < threshold)
			reasons[nreasons++] = CStringGetTextDatum("p_alive_low");
	}

	{
		double		recent,
					previous,
					year_ago = 0;
		bool		have_year_ago = optional_count(fcinfo, A_YEAR_AGO_ORDERS, &year_ago);

		if (optional_count(fcinfo, A_RECENT_ORDERS, &recent) &&
			optional_count(fcinfo, A_PREVIOUS_ORDERS, &previous) && previous > 0)
		{
			values[F_ORDERS_CHANGE] = Float8GetDatum(relative_change(recent, previous));
			nulls[F_ORDERS_CHANGE] = false;
			if (optional_fraction(fcinfo, A_ORDERS_DROP, "orders_drop", &drop) && previous >= 2 &&
				dropped(recent, previous, have_year_ago, year_ago, drop))
			{
				reasons[nreasons++] = CStringGetTextDatum("ordering_less");
				appendStringInfo(&alert, "%s%.0f order%s against %.0f in the previous window",
								 sep, recent, recent == 1 ? "" : "s", previous);
				if (have_year_ago)
					appendStringInfo(&alert, " and %.0f a year earlier", year_ago);
			}
		}
	}

	{
		double		recent,
					previous,
					year_ago = 0;
		bool		have_year_ago = optional_float8(fcinfo, A_YEAR_AGO_SPEND, &year_ago);

		if (have_year_ago)
			clv_check_finite(year_ago, "year_ago_spend");
		if (optional_float8(fcinfo, A_RECENT_SPEND, &recent) &&
			optional_float8(fcinfo, A_PREVIOUS_SPEND, &previous))
		{
			clv_check_finite(recent, "recent_spend");
			clv_check_finite(previous, "previous_spend");
			if (previous > 0)
			{
				values[F_SPEND_CHANGE] = Float8GetDatum(relative_change(recent, previous));
				nulls[F_SPEND_CHANGE] = false;
				if (optional_fraction(fcinfo, A_SPEND_DROP, "spend_drop", &drop) &&
					dropped(recent, previous, have_year_ago, year_ago, drop))
				{
					reasons[nreasons++] = CStringGetTextDatum("spending_less");
					appendStringInfo(&alert, "%sspend down %.0f%% on the previous window",
									 sep, -100 * relative_change(recent, previous));
				}
			}
		}
	}

	if (optional_float8(fcinfo, A_VALUE, &value))
	{
		clv_check_finite(value, "value");
		if (have_p_alive)
		{
			values[F_VALUE_AT_RISK] = Float8GetDatum(value * (1 - p_alive));
			nulls[F_VALUE_AT_RISK] = false;
			appendStringInfo(&alert, "%svalue at risk ", sep);
			append_amount(&alert, value * (1 - p_alive));
		}
	}

	values[F_DECLINING] = BoolGetDatum(nreasons > 0);
	values[F_SEVERITY] = Int32GetDatum(nreasons);
	values[F_REASONS] = PointerGetDatum(construct_array(reasons, nreasons, TEXTOID, -1, false, TYPALIGN_INT));
	values[F_ALERT] = CStringGetTextDatum(alert.data);
	nulls[F_DECLINING] = nulls[F_SEVERITY] = nulls[F_REASONS] = nulls[F_ALERT] = false;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
