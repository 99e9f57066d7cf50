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

#endif							/* CLV_CALENDAR_H */
