/*
 * attribution.c: clv_attribution, the credit each channel earns for a
 * conversion (or a customer's value) under the standard attribution models.
 *
 * The rows of a group are its touchpoints (channel, time); the value is
 * the same on every row.  Touches after the conversion time are not
 * counted.  In time order (ties by channel name, so the result does not
 * depend on row order), each touch gets a weight:
 *   first_touch      1 for the first touch;
 *   last_touch       1 for the last touch;
 *   linear           1/n each;
 *   time_decay       2^(-(conversion - time) / half_life), scaled to sum to 1;
 *   position_based   0.4 for the first and the last touch and 0.2 shared by
 *                    the ones between (0.5 each for two touches, 1 for one).
 * A channel's weight is the sum of its touches' weights.  The value is then
 * split in whole units of its last decimal place (cents for 10.00) by the
 * largest-remainder method, so the credits are numeric and add up to the
 * value exactly.
 *
 * Every model but time decay needs only each channel's number of touches
 * and the first and the last touch, so the state keeps just those: its size
 * grows with the channels, not with the touches (a customer's millions of
 * orders as touchpoints take a few hundred bytes).  Time decay weighs every
 * touch by its distance from the last one, which moves as touches arrive,
 * and summing rescaled weights in arrival order would make the credits
 * depend on the row order; so under time decay the state also keeps the
 * touches (16 bytes each) and weighs them in time order at the end.
 *
 * The state is internal with serialize, deserialize and combine functions
 * for parallel query.  Attribution groups by conversion or customer, which
 * Citus pushes down whole when the table is distributed by customer.
 *
 * A pipeline keeps each customer's touches instead (clv_channel_state: the
 * same state, serialized, with each channel's money) and splits the
 * customer's predicted value afresh at each refresh (clv_channel_credits),
 * exactly as clv_attribution would, without reading the orders again.
 */
#include "calendar.h"
#include "clv.h"
#include "state.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

PG_FUNCTION_INFO_V1(clv_attribution_transfn);
PG_FUNCTION_INFO_V1(clv_attribution_combine);
PG_FUNCTION_INFO_V1(clv_attribution_serialize);
PG_FUNCTION_INFO_V1(clv_attribution_deserialize);
PG_FUNCTION_INFO_V1(clv_attribution_final);
PG_FUNCTION_INFO_V1(clv_channel_state_transfn);
PG_FUNCTION_INFO_V1(clv_channel_state_final);
PG_FUNCTION_INFO_V1(clv_channel_credits);

typedef enum AttributionModel
{
	FIRST_TOUCH,
	LAST_TOUCH,
	LINEAR,
	TIME_DECAY,
	POSITION_BASED,
	NMODELS
} AttributionModel;

static const char *const model_names[NMODELS] = {
	"first_touch", "last_touch", "linear", "time_decay", "position_based"
};

#define MAX_CHANNELS 10000
#define MAX_CHANNEL_BYTES 1000

typedef struct Touch
{
	TimestampTz at;
	int32		channel;		/* index into channels */
} Touch;

typedef struct AttributionState
{
	int32		model;
	bool		has_conversion;
	TimestampTz conversion;
	int64		half_life;		/* microseconds; 0 when not given */
	char	   *value;			/* the value as numeric text */
	int32		nchannels;
	int32		channels_capacity;
	char	  **channels;
	int64	   *counts;			/* touches per channel, parallel to channels */
	clv_money  *money;			/* clv_channel_state: their amounts; else 0 */
	int64		ncounted;		/* their sum */
	Touch		first;			/* earliest touch (ties: first channel name), */
	Touch		last;			/* and latest (last name); set when ncounted > 0 */
	int64		ntouches;		/* time_decay only: every touch */
	int64		capacity;
	Touch	   *touches;
} AttributionState;

static AttributionModel
model_arg(FunctionCallInfo fcinfo, int argno)
{
	char	   *name;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attribution model must not be NULL")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	for (int m = 0; m < NMODELS; m++)
		if (strcmp(name, model_names[m]) == 0)
			return (AttributionModel) m;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown attribution model \"%s\"", name),
			 errhint("Use first_touch, last_touch, linear, time_decay or position_based.")));
	pg_unreachable();
}

static int32
channel_index(AttributionState *st, const char *name, MemoryContext context)
{
	for (int32 i = 0; i < st->nchannels; i++)
		if (strcmp(st->channels[i], name) == 0)
			return i;
	if (st->nchannels == MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("clv_attribution handles at most %d channels in one group", MAX_CHANNELS)));
	if (strlen(name) > MAX_CHANNEL_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("channel names are limited to %d bytes", MAX_CHANNEL_BYTES)));
	if (st->nchannels == st->channels_capacity)
	{
		/* most groups see a handful of channels: start small */
		st->channels_capacity = st->channels_capacity == 0 ? 8 :
			Min(2 * st->channels_capacity, MAX_CHANNELS);
		st->channels = st->channels == NULL ?
			MemoryContextAlloc(context, st->channels_capacity * sizeof(char *)) :
			repalloc(st->channels, st->channels_capacity * sizeof(char *));
		st->counts = st->counts == NULL ?
			MemoryContextAlloc(context, st->channels_capacity * sizeof(int64)) :
			repalloc(st->counts, st->channels_capacity * sizeof(int64));
		st->money = st->money == NULL ?
			MemoryContextAlloc(context, st->channels_capacity * sizeof(clv_money)) :
			repalloc(st->money, st->channels_capacity * sizeof(clv_money));
	}
	st->channels[st->nchannels] = MemoryContextStrdup(context, name);
	st->counts[st->nchannels] = 0;
	st->money[st->nchannels] = 0;
	return st->nchannels++;
}

/* time order, ties by channel name: the order every model reads touches in */
static int
compare_touches(const void *a, const void *b, void *arg)
{
	const Touch *x = a;
	const Touch *y = b;
	char	  **channels = arg;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return strcmp(channels[x->channel], channels[y->channel]);
}

static void
keep_touch(AttributionState *st, int32 channel, TimestampTz at, MemoryContext context)
{
	if (st->ntouches == st->capacity)
	{
		st->capacity = Max(16, 2 * st->capacity);
		if ((Size) st->capacity * sizeof(Touch) > MaxAllocHugeSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many touches in one clv_attribution group")));
		st->touches = st->touches == NULL ?
			MemoryContextAllocHuge(context, st->capacity * sizeof(Touch)) :
			repalloc_huge(st->touches, st->capacity * sizeof(Touch));
	}
	st->touches[st->ntouches].at = at;
	st->touches[st->ntouches].channel = channel;
	st->ntouches++;
}

/* the state's first and last touch, widened to include earliest and latest */
static void
widen_extremes(AttributionState *st, Touch earliest, Touch latest)
{
	if (st->ncounted == 0 || compare_touches(&earliest, &st->first, st->channels) < 0)
		st->first = earliest;
	if (st->ncounted == 0 || compare_touches(&latest, &st->last, st->channels) > 0)
		st->last = latest;
}

/*
 * (state, channel, touched_at, value numeric, model [, conversion_at,
 * half_life]): a row with a NULL channel or time is skipped.
 */
Datum
clv_attribution_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	AttributionState *st;
	AttributionModel model = model_arg(fcinfo, 4);
	bool		has_conversion = PG_NARGS() > 5 && !PG_ARGISNULL(5);
	TimestampTz conversion = has_conversion ? PG_GETARG_TIMESTAMPTZ(5) : 0;
	int64		half_life = 0;
	char	   *value;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "clv_attribution_transfn called in non-aggregate context");
	if (PG_NARGS() > 6 && !PG_ARGISNULL(6))
		half_life = clv_interval_length_usecs(PG_GETARG_INTERVAL_P(6), "half_life");
	if (model == TIME_DECAY && half_life == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time_decay needs a half_life"),
				 errhint("Use clv_attribution(channel, touched_at, value, 'time_decay', conversion_at, '7 days').")));
	if (has_conversion && TIMESTAMP_NOT_FINITE(conversion))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("conversion_at must be finite")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("value must not be NULL")));
	value = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(3)));
	if (strcmp(value, "NaN") == 0 || strstr(value, "Infinity") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value must be a finite number")));

	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAllocZero(aggcontext, sizeof(AttributionState));
		st->model = model;
		st->has_conversion = has_conversion;
		st->conversion = conversion;
		st->half_life = half_life;
		st->value = MemoryContextStrdup(aggcontext, value);
	}
	else
	{
		st = (AttributionState *) PG_GETARG_POINTER(0);
		if (st->model != (int32) model || st->has_conversion != has_conversion ||
			st->conversion != conversion || st->half_life != half_life)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model, conversion_at and half_life must be the same for every row of a group")));
		if (strcmp(st->value, value) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value must be the same for every row of a group"),
					 errdetail("Found %s and %s.", st->value, value)));
	}
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
	{
		TimestampTz at = PG_GETARG_TIMESTAMPTZ(2);
		char	   *channel = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (TIMESTAMP_NOT_FINITE(at))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("touched_at must be finite")));
		/* touches after the conversion do not count */
		if (!has_conversion || at <= conversion)
		{
			Touch		touch;

			touch.at = at;
			touch.channel = channel_index(st, channel, aggcontext);
			widen_extremes(st, touch, touch);
			st->counts[touch.channel] = clv_count_add(st->counts[touch.channel], 1,
													  "clv_attribution touch count");
			st->ncounted = clv_count_add(st->ncounted, 1, "clv_attribution touch count");
			if (model == TIME_DECAY)
				keep_touch(st, touch.channel, at, aggcontext);
		}
	}
	PG_RETURN_POINTER(st);
}

Datum
clv_attribution_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	AttributionState *left;
	AttributionState *right;
	int32	   *remap;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "clv_attribution_combine called in non-aggregate context");
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	right = (AttributionState *) PG_GETARG_POINTER(1);
	if (PG_ARGISNULL(0))
	{
		/* a copy in the aggregate context: internal states are not copied for us */
		left = MemoryContextAllocZero(aggcontext, sizeof(AttributionState));
		left->model = right->model;
		left->has_conversion = right->has_conversion;
		left->conversion = right->conversion;
		left->half_life = right->half_life;
		left->value = MemoryContextStrdup(aggcontext, right->value);
	}
	else
	{
		left = (AttributionState *) PG_GETARG_POINTER(0);
		if (left->model != right->model || left->has_conversion != right->has_conversion ||
			left->conversion != right->conversion || left->half_life != right->half_life ||
			strcmp(left->value, right->value) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot combine clv_attribution states with different models, values, conversion times or half-lives")));
	}
	remap = palloc(Max(right->nchannels, 1) * sizeof(int32));
	for (int32 i = 0; i < right->nchannels; i++)
		remap[i] = channel_index(left, right->channels[i], aggcontext);
	if (right->ncounted > 0)
	{
		Touch		first = right->first;
		Touch		last = right->last;

		first.channel = remap[first.channel];
		last.channel = remap[last.channel];
		widen_extremes(left, first, last);
		for (int32 i = 0; i < right->nchannels; i++)
		{
			left->counts[remap[i]] = clv_count_add(left->counts[remap[i]], right->counts[i],
												   "clv_attribution touch count");
			left->money[remap[i]] = clv_money_add(left->money[remap[i]], right->money[i]);
		}
		left->ncounted = clv_count_add(left->ncounted, right->ncounted, "clv_attribution touch count");
	}
	for (int64 i = 0; i < right->ntouches; i++)
		keep_touch(left, remap[right->touches[i].channel], right->touches[i].at, aggcontext);
	PG_RETURN_POINTER(left);
}

/*
 * The serialized state begins with this tag: a leader and a parallel worker
 * that loaded different builds of clv (a session older than a make install)
 * must not read each other's layout.  0.2.0's layout began with the model
 * number, which this is not.
 */
#define ATTRIBUTION_MAGIC	0x434C4133	/* "CLA3": each channel's money too */

pg_attribute_noreturn()
static void
invalid_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid clv_attribution state"),
			 errdetail("%s", detail)));
}

/*
 * Names travel as length and bytes: pq_sendstring would convert them to the
 * client encoding, which a parallel worker and its leader need not share.
 */
static void
send_name(StringInfo buf, const char *name)
{
	int			len = strlen(name);

	pq_sendint32(buf, len);
	pq_sendbytes(buf, name, len);
}

static char *
get_name(StringInfo buf)
{
	int			len = pq_getmsgint(buf, 4);

	if (len < 0 || len > buf->len - buf->cursor)
		invalid_state("A name is longer than the bytes left.");
	return pnstrdup(pq_getmsgbytes(buf, len), len);
}

static void
send_touch(StringInfo buf, Touch touch)
{
	pq_sendint64(buf, touch.at);
	pq_sendint32(buf, touch.channel);
}

static Touch
get_touch(StringInfo buf, int32 nchannels)
{
	Touch		touch;

	touch.at = pq_getmsgint64(buf);
	touch.channel = pq_getmsgint(buf, 4);
	if (touch.channel < 0 || touch.channel >= nchannels || TIMESTAMP_NOT_FINITE(touch.at))
		invalid_state("A touch has an unknown channel or an infinite time.");
	return touch;
}

static bytea *
write_state(const AttributionState *st)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint32(&buf, ATTRIBUTION_MAGIC);
	pq_sendint32(&buf, st->model);
	pq_sendbyte(&buf, st->has_conversion);
	pq_sendint64(&buf, st->conversion);
	pq_sendint64(&buf, st->half_life);
	send_name(&buf, st->value);
	pq_sendint32(&buf, st->nchannels);
	for (int32 i = 0; i < st->nchannels; i++)
		send_name(&buf, st->channels[i]);
	for (int32 i = 0; i < st->nchannels; i++)
	{
		pq_sendint64(&buf, st->counts[i]);
		pq_sendint64(&buf, (int64) (st->money[i] >> 64));
		pq_sendint64(&buf, (int64) (uint64) st->money[i]);
	}
	if (st->ncounted > 0)
	{
		send_touch(&buf, st->first);
		send_touch(&buf, st->last);
	}
	if (st->model == TIME_DECAY)
	{
		pq_sendint64(&buf, st->ntouches);
		for (int64 i = 0; i < st->ntouches; i++)
			send_touch(&buf, st->touches[i]);
	}
	return pq_endtypsend(&buf);
}

Datum
clv_attribution_serialize(PG_FUNCTION_ARGS)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "clv_attribution_serialize called in non-aggregate context");
	PG_RETURN_BYTEA_P(write_state((AttributionState *) PG_GETARG_POINTER(0)));
}

/* the bytes come from write_state, but are checked like any input */
static AttributionState *
read_state(bytea *bytes, MemoryContext aggcontext)
{
	StringInfoData buf;
	AttributionState *st;
	int32		nchannels;
	int64		ntouches;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, VARDATA_ANY(bytes), VARSIZE_ANY_EXHDR(bytes));

	if (buf.len < 4 || pq_getmsgint(&buf, 4) != ATTRIBUTION_MAGIC)
		invalid_state("The state was written by another version of clv.");
	st = MemoryContextAllocZero(aggcontext, sizeof(AttributionState));
	st->model = pq_getmsgint(&buf, 4);
	st->has_conversion = pq_getmsgbyte(&buf) != 0;
	st->conversion = pq_getmsgint64(&buf);
	st->half_life = pq_getmsgint64(&buf);
	st->value = MemoryContextStrdup(aggcontext, get_name(&buf));
	/* a value that numeric_in refuses errors here */
	(void) DirectFunctionCall3(numeric_in, CStringGetDatum(st->value), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
	nchannels = pq_getmsgint(&buf, 4);
	if (st->model < 0 || st->model >= NMODELS || st->half_life < 0 ||
		(st->model == TIME_DECAY && st->half_life == 0) ||
		(st->has_conversion && TIMESTAMP_NOT_FINITE(st->conversion)) ||
		nchannels < 0 || nchannels > MAX_CHANNELS)
		invalid_state("The model, half-life, conversion time or number of channels is out of range.");
	for (int32 i = 0; i < nchannels; i++)
		(void) channel_index(st, get_name(&buf), aggcontext);
	if (st->nchannels != nchannels)
		invalid_state("A channel name appears twice.");
	for (int32 i = 0; i < nchannels; i++)
	{
		int64		high;

		st->counts[i] = pq_getmsgint64(&buf);
		if (st->counts[i] < 0)
			invalid_state("A channel has a negative number of touches.");
		st->ncounted = clv_count_add(st->ncounted, st->counts[i], "clv_attribution touch count");
		high = pq_getmsgint64(&buf);
		st->money[i] = (clv_money) (((uint128) (uint64) high << 64) | (uint64) pq_getmsgint64(&buf));
		if (!clv_money_valid(st->money[i]) || (st->counts[i] == 0 && st->money[i] != 0))
			invalid_state("A channel's money is out of range, or it has money without a touch.");
	}
	if (st->ncounted > 0)
	{
		int			order;

		st->first = get_touch(&buf, nchannels);
		st->last = get_touch(&buf, nchannels);
		order = compare_touches(&st->first, &st->last, st->channels);
		/* first == last: every touch is that one channel at that moment */
		if (order > 0 || st->counts[st->first.channel] == 0 || st->counts[st->last.channel] == 0 ||
			(order == 0 && st->ncounted != st->counts[st->first.channel]) ||
			(order < 0 && st->first.channel == st->last.channel && st->counts[st->first.channel] < 2) ||
			(st->has_conversion && st->last.at > st->conversion))
			invalid_state("The first and the last touch do not agree with the counts or the conversion.");
	}
	if (st->model == TIME_DECAY)
	{
		int64	   *seen = palloc0(Max(nchannels, 1) * sizeof(int64));

		ntouches = pq_getmsgint64(&buf);
		if (ntouches != st->ncounted || ntouches > (buf.len - buf.cursor) / 12)
			invalid_state("The touches do not match the counts.");
		for (int64 i = 0; i < ntouches; i++)
		{
			Touch		touch = get_touch(&buf, nchannels);

			if (compare_touches(&touch, &st->first, st->channels) < 0 ||
				compare_touches(&touch, &st->last, st->channels) > 0)
				invalid_state("A touch lies outside the first and the last.");
			seen[touch.channel]++;
			keep_touch(st, touch.channel, touch.at, aggcontext);
		}
		for (int32 i = 0; i < nchannels; i++)
			if (seen[i] != st->counts[i])
				invalid_state("The touches do not match the counts.");
		pfree(seen);
	}
	pq_getmsgend(&buf);
	return st;
}

Datum
clv_attribution_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "clv_attribution_deserialize called in non-aggregate context");
	PG_RETURN_POINTER(read_state(PG_GETARG_BYTEA_PP(0), aggcontext));
}

/* the value's digits as a count of units of its last decimal place */
static int128
value_units(const char *value, int *scale)
{
	int128		units = 0;
	bool		negative = false;
	bool		point = false;
	int			digits = 0;

	*scale = 0;
	for (const char *c = value; *c; c++)
	{
		if (*c == '-')
			negative = true;
		else if (*c == '.')
			point = true;
		else if (*c >= '0' && *c <= '9')
		{
			if (++digits > 30)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("value %s has too many digits to split exactly", value),
						 errdetail("clv_attribution splits values of up to 15 significant digits, counting the decimals.")));
			units = units * 10 + (*c - '0');
			if (point)
				(*scale)++;
		}
	}
	return negative ? -units : units;
}

/*
 * A channel's share.  Under every model but time decay its weight is an
 * exact fraction share / denominator (one denominator for all channels), so
 * the split is done in integers and ties between remainders really go by
 * channel name; under time decay the weight is a float8 and so is the
 * remainder (exact_rest stays 0).
 */
typedef struct Credit
{
	int32		channel;
	int32		touches;
	int128		share;
	double		weight;
	int128		units;
	int128		exact_rest;
	double		remainder;
} Credit;

/* largest remainder first; ties by channel name, so no row order shows through */
static int
compare_remainders(const void *a, const void *b, void *arg)
{
	const Credit *x = *(const Credit *const *) a;
	const Credit *y = *(const Credit *const *) b;
	char	  **channels = arg;

	if (x->exact_rest != y->exact_rest)
		return x->exact_rest > y->exact_rest ? -1 : 1;
	if (x->remainder != y->remainder)
		return x->remainder > y->remainder ? -1 : 1;
	return strcmp(channels[x->channel], channels[y->channel]);
}

static int
compare_credits(const void *a, const void *b, void *arg)
{
	const Credit *x = a;
	const Credit *y = b;
	char	  **channels = arg;

	if (x->units != y->units)
		return x->units > y->units ? -1 : 1;
	return strcmp(channels[x->channel], channels[y->channel]);
}

/*
 * Time decay's weights: 2^(-(conversion - t) / half_life) for each touch,
 * scaled to add up to 1, summed into each channel's weight.
 */
static void
time_decay_weights(const AttributionState *st, Credit *credits)
{
	int64		n = st->ncounted;

	/* a copy: the final function must leave the state as it was */
	Touch	   *touches = MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(Touch));
	double	   *w = MemoryContextAllocHuge(CurrentMemoryContext, n * sizeof(double));
	double		sum = 0;

	if (st->ntouches != n)
		elog(ERROR, "clv_attribution: %lld touches kept for %lld counted",
			 (long long) st->ntouches, (long long) n);
	memcpy(touches, st->touches, n * sizeof(Touch));
	qsort_arg(touches, n, sizeof(Touch), compare_touches, st->channels);

	/*
	 * 2^(-(conversion - t) / half_life) is 2^(-(last - t) / half_life) times
	 * a factor common to every touch, which the scaling cancels; measured
	 * from the last touch, the latest weight is 1 and the sum cannot
	 * underflow to 0.  Summed in time order, so the row order does not show
	 * in the bits.
	 */
	for (int64 i = 0; i < n; i++)
	{
		/* in double: two finite timestamps can be further apart than int64 holds */
		w[i] = exp2(-((double) touches[n - 1].at - (double) touches[i].at) / st->half_life);
		sum += w[i];
	}
	for (int64 i = 0; i < n; i++)
		credits[touches[i].channel].weight += w[i] / sum;
}

/*
 * Each channel's weight under the state's model.  The exact models give each
 * channel a share of the returned denominator (weight = share / denominator);
 * time decay gives float8 weights and returns 1.
 */
static int128
channel_weights(const AttributionState *st, Credit *credits)
{
	int64		n = st->ncounted;
	int128		denominator = 1;

	switch ((AttributionModel) st->model)
	{
		case FIRST_TOUCH:
			credits[st->first.channel].share = 1;
			break;
		case LAST_TOUCH:
			credits[st->last.channel].share = 1;
			break;
		case LINEAR:
			denominator = n;
			for (int32 c = 0; c < st->nchannels; c++)
				credits[c].share = st->counts[c];
			break;
		case TIME_DECAY:
			time_decay_weights(st, credits);
			break;
		case POSITION_BASED:
			if (n <= 2)
			{
				/* all to one touch, or half to each of two */
				denominator = n;
				credits[st->first.channel].share += 1;
				if (n == 2)
					credits[st->last.channel].share += 1;
			}
			else
			{
				/*
				 * 2/5 to each end and 1/5 shared by the n - 2 between: in
				 * units of 1/(5 (n - 2)), 2 (n - 2) for an end and 1 for a
				 * touch between
				 */
				denominator = (int128) 5 * (n - 2);
				for (int32 c = 0; c < st->nchannels; c++)
				{
					int			ends = (c == st->first.channel) + (c == st->last.channel);

					credits[c].share = (int128) 2 * (n - 2) * ends + (st->counts[c] - ends);
				}
			}
			break;
		default:
			elog(ERROR, "unknown attribution model %d", st->model);
	}
	if (st->model != TIME_DECAY)
		for (int32 c = 0; c < st->nchannels; c++)
			credits[c].weight = (double) credits[c].share / (double) denominator;

	/* the float8 weights of time decay may add up to a hair over 1 */
	for (int32 c = 0; c < st->nchannels; c++)
		if (!isfinite(credits[c].weight) || credits[c].weight < 0 || credits[c].weight > 1 + 1e-9)
			elog(ERROR, "clv_attribution: a channel's weight is %g", credits[c].weight);
	return denominator;
}

/*
 * Largest remainder: magnitude units split by the weights, whole units
 * first, then one more to the largest rests (or one back from the smallest)
 * until the channels with a touch hold exactly magnitude.
 */
static void
apportion_units(const AttributionState *st, Credit *credits, int128 magnitude, int128 denominator)
{
	Credit	  **order = palloc(st->nchannels * sizeof(Credit *));
	int128		given = 0;
	int128		rest;
	int32		with_touches = 0;

	for (int32 c = 0; c < st->nchannels; c++)
	{
		if (st->model == TIME_DECAY)
		{
			double		raw = credits[c].weight * (double) magnitude;
			double		whole = floor(raw);

			credits[c].units = (int128) whole;
			credits[c].remainder = raw - whole;
		}
		else
		{
			/* magnitude <= 2^53 and share <= 5 n < 2^66: no overflow */
			credits[c].units = magnitude * credits[c].share / denominator;
			credits[c].exact_rest = magnitude * credits[c].share % denominator;
		}
		given += credits[c].units;
		order[c] = &credits[c];
	}
	qsort_arg(order, st->nchannels, sizeof(Credit *), compare_remainders, st->channels);

	/*
	 * The whole units fall short of the value by less than one a channel
	 * (float8 rounding can add a unit or two either way): hand out the rest
	 * one unit each, largest remainders first, or take back from the
	 * smallest.  A larger gap means a weight went wrong.
	 */
	rest = magnitude - given;
	for (int32 c = 0; c < st->nchannels; c++)
		if (order[c]->touches > 0)
			order[with_touches++] = order[c];
	if (rest > with_touches + 2 || rest < -2 || with_touches == 0)
		elog(ERROR, "clv_attribution: the credits do not add up (%g units apart)", (double) rest);
	for (int32 c = 0; rest > 0; c = (c + 1) % with_touches, rest--)
		order[c]->units++;
	for (int32 c = with_touches - 1; rest < 0; c = (c + with_touches - 1) % with_touches)
		if (order[c]->units > 0)
		{
			order[c]->units--;
			rest++;
		}
	pfree(order);
}

/*
 * The state's value split over its channels under its model, in whole units
 * of the value's last decimal (*scale: how many decimals): one Credit per
 * channel, those without a touch at 0, most credit first, ties by name.
 */
static Credit *
split_value(const AttributionState *st, int *scale)
{
	Credit	   *credits;
	int128		denominator;
	int128		units;
	int128		magnitude;

	Assert(st->ncounted > 0);
	credits = palloc0(st->nchannels * sizeof(Credit));
	for (int32 c = 0; c < st->nchannels; c++)
	{
		credits[c].channel = c;
		if (st->counts[c] > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("channel \"%s\" has more than %d touches in one group",
							st->channels[c], PG_INT32_MAX)));
		credits[c].touches = (int32) st->counts[c];
	}
	denominator = channel_weights(st, credits);

	units = value_units(st->value, scale);
	magnitude = units < 0 ? -units : units;
	/* the split goes through float8: exact up to 2^53 units */
	if (magnitude > ((int128) 1 << 53))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value %s has too many digits to split exactly", st->value),
				 errdetail("clv_attribution splits values of up to 15 significant digits, counting the decimals.")));
	apportion_units(st, credits, magnitude, denominator);
	if (units < 0)
		for (int32 c = 0; c < st->nchannels; c++)
			credits[c].units = -credits[c].units;
	qsort_arg(credits, st->nchannels, sizeof(Credit), compare_credits, st->channels);
	return credits;
}

/* clv_channel_credit[]: (channel, touches, weight, credit), most credit first */
Datum
clv_attribution_final(PG_FUNCTION_ARGS)
{
	AttributionState *st;
	Credit	   *credits;
	int			scale;
	Oid			array_type;
	Oid			credit_type;
	TupleDesc	desc;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (AttributionState *) PG_GETARG_POINTER(0);

	if (st->ncounted == 0)
		PG_RETURN_NULL();
	credits = split_value(st, &scale);

	array_type = get_fn_expr_rettype(fcinfo->flinfo);
	credit_type = OidIsValid(array_type) ? get_element_type(array_type) : InvalidOid;
	if (!OidIsValid(credit_type))
		elog(ERROR, "clv_attribution_final must return an array of clv_channel_credit");
	desc = lookup_rowtype_tupdesc_copy(credit_type, -1);
	desc = BlessTupleDesc(desc);
	elems = palloc(st->nchannels * sizeof(Datum));
	{
		int			k = 0;

		for (int32 c = 0; c < st->nchannels; c++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (credits[c].touches == 0)
				continue;
			values[0] = CStringGetTextDatum(st->channels[credits[c].channel]);
			values[1] = Int32GetDatum(credits[c].touches);
			values[2] = Float8GetDatum(credits[c].weight);
			values[3] = clv_int128_numeric(credits[c].units, scale);
			elems[k++] = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
		}
		get_typlenbyvalalign(credit_type, &typlen, &typbyval, &typalign);
		PG_RETURN_ARRAYTYPE_P(construct_array(elems, k, credit_type, typlen, typbyval, typalign));
	}
}

/*
 * clv_channel_state_transfn(state, channel text, touched_at timestamptz,
 * amount float8): one customer's touches (the rows with a channel and a
 * time, each an order) and each channel's money, for clv_channel_credits.
 * The state is clv_attribution's, with no model of its own yet.
 */
Datum
clv_channel_state_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext;
	AttributionState *st;
	TimestampTz at;
	Touch		touch;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "clv_channel_state_transfn called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAllocZero(aggcontext, sizeof(AttributionState));
		st->model = LINEAR;		/* any exact model keeps what all of them need */
		st->value = MemoryContextStrdup(aggcontext, "0");
	}
	else
		st = (AttributionState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	at = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("touched_at must be finite")));
	touch.at = at;
	touch.channel = channel_index(st, text_to_cstring(PG_GETARG_TEXT_PP(1)), aggcontext);
	widen_extremes(st, touch, touch);
	st->counts[touch.channel] = clv_count_add(st->counts[touch.channel], 1, "clv_channel_state touch count");
	st->ncounted = clv_count_add(st->ncounted, 1, "clv_channel_state touch count");
	st->money[touch.channel] = clv_money_add(st->money[touch.channel],
											 clv_money_from_float8(PG_GETARG_FLOAT8(3), "amount"));
	PG_RETURN_POINTER(st);
}

static int
compare_channel_names(const void *a, const void *b, void *arg)
{
	char	  **channels = arg;

	return strcmp(channels[*(const int32 *) a], channels[*(const int32 *) b]);
}

/*
 * clv_channel_state_final(state) RETURNS bytea: the state, to be stored,
 * with its channels in name order, so that the same touches give the same
 * bytes whatever order the rows came in
 */
Datum
clv_channel_state_final(PG_FUNCTION_ARGS)
{
	AttributionState *st;
	AttributionState sorted;
	int32	   *order;
	int32	   *position;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (AttributionState *) PG_GETARG_POINTER(0);
	if (st->ncounted == 0)
		PG_RETURN_NULL();
	order = palloc(st->nchannels * sizeof(int32));
	position = palloc(st->nchannels * sizeof(int32));
	for (int32 i = 0; i < st->nchannels; i++)
		order[i] = i;
	qsort_arg(order, st->nchannels, sizeof(int32), compare_channel_names, st->channels);
	sorted = *st;
	sorted.channels = palloc(st->nchannels * sizeof(char *));
	sorted.counts = palloc(st->nchannels * sizeof(int64));
	sorted.money = palloc(st->nchannels * sizeof(clv_money));
	for (int32 i = 0; i < st->nchannels; i++)
	{
		sorted.channels[i] = st->channels[order[i]];
		sorted.counts[i] = st->counts[order[i]];
		sorted.money[i] = st->money[order[i]];
		position[order[i]] = i;
	}
	sorted.first.channel = position[st->first.channel];
	sorted.last.channel = position[st->last.channel];
	PG_RETURN_BYTEA_P(write_state(&sorted));
}

/* the models a customer's value is split by in clv_channel_credits, in its columns' order */
static const AttributionModel credited_models[] = {FIRST_TOUCH, LAST_TOUCH, LINEAR, POSITION_BASED};

/*
 * clv_channel_credits(state bytea, value numeric) RETURNS TABLE (channel
 * text, touches bigint, amount float8, first_touch numeric, last_touch
 * numeric, linear numeric, position_based numeric): for each channel of a
 * clv_channel_state, its touches, its money (summed exactly, rounded once)
 * and its credit of value under each model, exactly what clv_attribution
 * gives over the same rows; NULL credits for a NULL value.
 */
Datum
clv_channel_credits(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AttributionState *st;
	int128	   *credit;			/* [model][channel] */
	int			scale = 0;
	bool		has_value = !PG_ARGISNULL(1);

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	st = read_state(PG_GETARG_BYTEA_PP(0), CurrentMemoryContext);
	if (st->model != LINEAR || st->has_conversion || st->half_life != 0)
		invalid_state("The state is not a clv_channel_state.");
	if (st->ncounted == 0)
		return (Datum) 0;
	credit = palloc(lengthof(credited_models) * st->nchannels * sizeof(int128));
	if (has_value)
	{
		char	   *value = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(1)));

		if (strcmp(value, "NaN") == 0 || strstr(value, "Infinity") != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value must be a finite number")));
		st->value = value;
		for (int m = 0; m < lengthof(credited_models); m++)
		{
			Credit	   *credits;

			st->model = credited_models[m];
			credits = split_value(st, &scale);
			for (int32 c = 0; c < st->nchannels; c++)
				credit[m * st->nchannels + credits[c].channel] = credits[c].units;
			pfree(credits);
		}
	}
	for (int32 c = 0; c < st->nchannels; c++)
	{
		Datum		values[3 + lengthof(credited_models)];
		bool		nulls[3 + lengthof(credited_models)];

		if (st->counts[c] == 0)
			continue;
		memset(nulls, !has_value, sizeof(nulls));
		nulls[0] = nulls[1] = nulls[2] = false;
		values[0] = CStringGetTextDatum(st->channels[c]);
		values[1] = Int64GetDatum(st->counts[c]);
		values[2] = Float8GetDatum(clv_money_to_float8(st->money[c]));
		for (int m = 0; has_value && m < lengthof(credited_models); m++)
			values[3 + m] = clv_int128_numeric(credit[m * st->nchannels + c], scale);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
