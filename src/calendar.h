/*
 * calendar.h: the calendar day of a timestamptz in a named time zone, the
 * same on every session and node (src/calendar.c).
 */
#ifndef CLV_CALENDAR_H
#define CLV_CALENDAR_H

#include "clv.h"

#include "datatype/timestamp.h"

/* a per-query cache of one zone's UTC offsets, kept in fn_extra */
typedef struct ClvDayZone ClvDayZone;

/*
 * The calendar of this call: the time_zone argument argno, or the session's
 * TimeZone when the function has no such argument (argno < 0 or beyond its
 * arguments).  A NULL or unknown zone is an error.  *cache keeps it for the
 * query (NULL at first; allocated in fn_mcxt): fcinfo->flinfo->fn_extra, or
 * a field of what the caller keeps there.
 */
extern ClvDayZone *clv_day_zone(FunctionCallInfo fcinfo, int argno, ClvDayZone **cache);

/* the day (days since 2000-01-01) that ts::date gives in that zone */
extern int32 clv_timestamptz_day(ClvDayZone *dz, TimestampTz ts);

/*
 * The length of an interval in microseconds, by PostgreSQL's own rule for
 * EXTRACT(epoch FROM interval): a year is 365.25 days, a month (of those
 * beyond whole years) 30 days.  what names the argument in the errors: the
 * length must be positive and fit in 64 bits.
 */
extern int64 clv_interval_length_usecs(const Interval *length, const char *what);

/*
 * How many periods a horizon holds: months divided by months when both are
 * whole months (and years), lengths by lengths otherwise; an error unless
 * the horizon holds a whole number of periods.
 */
extern int32 clv_horizon_periods(const Interval *horizon, const Interval *period);

#endif							/* CLV_CALENDAR_H */
