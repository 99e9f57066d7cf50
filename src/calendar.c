/*
 * calendar.c: calendar days of timestamps in a named time zone.
 *
 * Every clv function that turns an order time into a day takes the zone as
 * an argument, so that a result does not depend on the TimeZone of the
 * session or of the node that computes it.
 */
#include "calendar.h"

#include "common/int.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/*
 * Calendar day of a timestamptz: the day that ts::date gives in a time zone,
 * without its per-row calendar conversion.
 *
 * The zone is the one given as the function's time_zone argument or, for
 * the signatures without one, the session's TimeZone.  Only a zone named
 * explicitly makes the day independent of the session and of the node that
 * computes it (Citus workers do not inherit the coordinator's TimeZone), so
 * a pipeline always names its own.
 *
 * A zone's UTC offset is constant between two transitions, so the day is
 * floor((ts + offset) / 1 day) for every ts in such a window.  The windows
 * met so far are kept per query (a handful covers years of orders); a zone
 * with one fixed offset, UTC say, is a single window.  Where the time zone
 * library cannot give a window, timestamp2tm decides, as for ::date.
 */
#define DAY_ZONE_WINDOWS 16

typedef struct OffsetWindow
{
	pg_time_t	from;			/* seconds since 1970, inclusive */
	pg_time_t	until;			/* exclusive */
	int64		offset_usecs;
} OffsetWindow;

struct ClvDayZone
{
	const pg_tz *zone;
	text	   *zone_name;		/* the time_zone argument it was parsed from */
	int			nwindows;
	int			last_hit;
	int			next_replaced;
	OffsetWindow windows[DAY_ZONE_WINDOWS];
};

#define UNIX_EPOCH_OFFSET_SECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

static int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * The window of constant offset around t, walking the zone's transitions
 * forward from a little over a year before t; false if the library has
 * none to give.
 */
static bool
find_offset_window(const pg_tz *zone, pg_time_t t, OffsetWindow *window)
{
	pg_time_t	from = t - 400 * (pg_time_t) SECS_PER_DAY;

	for (int steps = 0; steps < 64; steps++)
	{
		long int	before_gmtoff,
					after_gmtoff;
		int			before_isdst,
					after_isdst;
		pg_time_t	boundary;
		int			found = pg_next_dst_boundary(&from, &before_gmtoff, &before_isdst,
												 &boundary, &after_gmtoff, &after_isdst,
												 zone);

		if (found < 0 || (found == 1 && boundary <= from))
			return false;
		if (found == 0 || boundary > t)
		{
			window->from = from;
			window->until = found == 0 ? PG_INT64_MAX : boundary;
			window->offset_usecs = (int64) before_gmtoff * USECS_PER_SEC;
			return true;
		}
		from = boundary;
	}
	return false;
}

/* A time zone named by the user, as SET TimeZone would take it. */
static const pg_tz *
parse_time_zone(text *name)
{
	char	   *zone_name = text_to_cstring(name);
	pg_tz	   *zone = zone_name[0] != '\0' ? pg_tzset(zone_name) : NULL;

	if (zone == NULL || !pg_tz_acceptable(zone))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", zone_name),
				 errhint("Give a name from the time zone database, such as 'Europe/Paris', 'America/New_York' or 'UTC'.")));
	return zone;
}

PG_FUNCTION_INFO_V1(clv_time_zone_checked);

/* clv_time_zone_checked(time_zone text): the name, if parse_time_zone takes it */
Datum
clv_time_zone_checked(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("time_zone must not be null"),
				 errhint("Name the zone whose calendar days count, such as 'UTC'.")));
	(void) parse_time_zone(PG_GETARG_TEXT_PP(0));
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/*
 * The per-query cache of the day calculation, set to the calendar of this
 * call: the time_zone argument argno, or the session TimeZone when the
 * function has no such argument (argno < 0 or beyond its arguments).  The
 * argument is parsed again only when it changes.
 */
ClvDayZone *
clv_day_zone(FunctionCallInfo fcinfo, int argno, ClvDayZone **cache)
{
	ClvDayZone *dz = *cache;
	const pg_tz *zone;

	if (dz == NULL)
		*cache = dz =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClvDayZone));
	if (argno < 0 || PG_NARGS() <= argno)
		zone = session_timezone;
	else
	{
		text	   *name;

		if (PG_ARGISNULL(argno))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("time_zone must not be null"),
					 errhint("Name the zone whose calendar days count, such as 'UTC'.")));
		name = PG_GETARG_TEXT_PP(argno);
		if (dz->zone_name != NULL &&
			VARSIZE_ANY_EXHDR(dz->zone_name) == VARSIZE_ANY_EXHDR(name) &&
			memcmp(VARDATA_ANY(dz->zone_name), VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name)) == 0)
			zone = dz->zone;
		else
		{
			zone = parse_time_zone(name);
			if (dz->zone_name != NULL)
				pfree(dz->zone_name);
			dz->zone_name = (text *) MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, VARSIZE_ANY(name));
			memcpy(dz->zone_name, name, VARSIZE_ANY(name));
		}
	}
	if (dz->zone != zone)
	{
		dz->zone = zone;
		dz->nwindows = dz->last_hit = dz->next_replaced = 0;
	}
	return dz;
}

int32
clv_timestamptz_day(ClvDayZone *dz, TimestampTz ts)
{
	pg_time_t	t = (pg_time_t) floor_div(ts, USECS_PER_SEC) + UNIX_EPOCH_OFFSET_SECS;
	OffsetWindow *w;
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	w = &dz->windows[dz->last_hit];
	if (dz->nwindows > 0 && w->from <= t && t < w->until)
		return (int32) floor_div(ts + w->offset_usecs, USECS_PER_DAY);
	for (int i = 0; i < dz->nwindows; i++)
	{
		w = &dz->windows[i];
		if (w->from <= t && t < w->until)
		{
			dz->last_hit = i;
			return (int32) floor_div(ts + w->offset_usecs, USECS_PER_DAY);
		}
	}

	/* a window not seen yet: remember it, replacing the oldest when full */
	{
		int			slot = dz->nwindows < DAY_ZONE_WINDOWS ? dz->nwindows++ : dz->next_replaced++ % DAY_ZONE_WINDOWS;

		if (find_offset_window(dz->zone, t, &dz->windows[slot]))
		{
			dz->last_hit = slot;
			return (int32) floor_div(ts + dz->windows[slot].offset_usecs, USECS_PER_DAY);
		}
		/* not cacheable: forget the slot */
		if (slot == dz->nwindows - 1)
			dz->nwindows--;
		else
			dz->windows[slot].until = dz->windows[slot].from;
	}

	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, (pg_tz *) dz->zone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

int64
clv_interval_length_usecs(const Interval *length, const char *what)
{
	/* as EXTRACT(epoch FROM interval) counts them: both whole seconds */
	const int64 usecs_per_year = (int64) (DAYS_PER_YEAR * SECS_PER_DAY) * USECS_PER_SEC;
	const int64 usecs_per_month = (int64) DAYS_PER_MONTH * USECS_PER_DAY;
	int64		usecs;
	int64		part;

	if (pg_mul_s64_overflow((int64) (length->month / MONTHS_PER_YEAR), usecs_per_year, &usecs) ||
		pg_mul_s64_overflow((int64) (length->month % MONTHS_PER_YEAR), usecs_per_month, &part) ||
		pg_add_s64_overflow(usecs, part, &usecs) ||
		pg_mul_s64_overflow((int64) length->day, USECS_PER_DAY, &part) ||
		pg_add_s64_overflow(usecs, part, &usecs) ||
		pg_add_s64_overflow(usecs, length->time, &usecs))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s out of range", what)));
	if (usecs <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a positive interval", what),
				 errdetail("It is %.15g days long (a month counts 30 days, a year 365.25).",
						   (double) usecs / USECS_PER_DAY)));
	return usecs;
}

/*
 * A horizon counted in periods.  When both are whole months (and years)
 * they are divided as months, so that '1 year' holds twelve periods of
 * '1 month' even though EXTRACT(epoch) makes a year 12.175 of its 30-day
 * months; otherwise as lengths.  Either way the horizon must hold a whole
 * number of periods: a fraction of a period has no discounting date.
 */
int32
clv_horizon_periods(const Interval *horizon, const Interval *period)
{
	int64		horizon_usecs = clv_interval_length_usecs(horizon, "horizon");
	int64		period_usecs = clv_interval_length_usecs(period, "period");
	int64		periods;

	if (horizon->day == 0 && horizon->time == 0 && period->day == 0 && period->time == 0)
	{
		horizon_usecs = horizon->month;
		period_usecs = period->month;
	}
	if (horizon_usecs % period_usecs != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon must be a whole number of periods"),
				 errdetail("The horizon holds %.6g periods.", (double) horizon_usecs / period_usecs),
				 errhint("Give the horizon and the period both in months or both in days, weeks or hours, "
						 "or give the number of periods.")));
	periods = horizon_usecs / period_usecs;
	if (periods > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("horizon holds too many periods"),
				 errdetail("It holds %lld periods.", (long long) periods)));
	return (int32) periods;
}

PG_FUNCTION_INFO_V1(clv_horizon_periods_sql);

/* clv_horizon_periods(horizon interval, period interval) */
Datum
clv_horizon_periods_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(clv_horizon_periods(PG_GETARG_INTERVAL_P(0), PG_GETARG_INTERVAL_P(1)));
}
