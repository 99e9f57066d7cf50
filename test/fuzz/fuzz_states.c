/*
 * fuzz_states: the bigint[] aggregate states a user can forge, through
 * every transition, combine and final function that takes one.
 *
 * A state can come from INITCOND, from a table (clv_summary_state), or be
 * typed in and handed to a combine or final function directly, so each of
 * those functions must check it.  One harness covers all seven aggregates
 * (the first input byte picks one) because they share the state helpers
 * and the same program drives them all.  The rest of the input is a
 * program over two state registers A and B, run as one query would run:
 *   rows through the real transition function (into A or B; into A also
 *   a generated run of up to 303), combine,
 *   final, and forging: overwrite one slot of A, or replace A by an array
 *   read from the input (any length, with or without the right layout tag,
 *   or a shape array_in allows but clv does not: empty, 2-D, lower bound
 *   0, a NULL).
 * Building states with the real transitions and then corrupting them
 * reaches the deep checks far sooner than random arrays would.  A growing
 * state is held in place as the server holds a large one (src/state.c),
 * from its first growth in half of the inputs: the harness keeps the
 * holder as the executor does, hands final and combine functions its
 * read-only pointer, and forges the flat array it holds.  The first
 * ERROR ends the program, as it ends a query.
 *
 * Oracles, beyond "no crash, no hang, no internal error":
 *   a final function leaves its state as it was, a combine function its
 *   second state;
 *   what a final function returns for a state it accepted is sane: a
 *   fitted model passes clv_model_out and reads back; a summary's dates and
 *   spans are ordered; breakpoints ascend; no NaN anywhere;
 *   clv_summary_state_final and clv_summary_advance give states that
 *   clv_summary_final accepts, and so does a stored state that
 *   clv_summary_advances_to keeps; two states that each advance to the
 *   other are the same.
 */
#include "fuzz.h"
#include "state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "utils/date.h"
#include "utils/expandeddatum.h"
#include "utils/timestamp.h"

/* the functions under test, from the src directory */
extern Datum clv_summary_transfn(PG_FUNCTION_ARGS);
extern Datum clv_summary_date_transfn(PG_FUNCTION_ARGS);
extern Datum clv_summary_combine(PG_FUNCTION_ARGS);
extern Datum clv_summary_final(PG_FUNCTION_ARGS);
extern Datum clv_summary_log_gap_sum(PG_FUNCTION_ARGS);
extern Datum clv_summary_state_final(PG_FUNCTION_ARGS);
extern Datum clv_summary_advance(PG_FUNCTION_ARGS);
extern Datum clv_summary_advances_to(PG_FUNCTION_ARGS);
extern Datum clv_fit_bgnbd_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_cnbd_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_bgnbd_summary_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_bgnbd_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_mbgnbd_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_paretonbd_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_mbgcnbd_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_bgcnbd_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_gammagamma_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_gammagamma_summary_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_gammagamma_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_patterns_combine(PG_FUNCTION_ARGS);
extern Datum clv_fit_covariates_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_spend_covariates_transfn(PG_FUNCTION_ARGS);
extern Datum clv_fit_covariates_combine(PG_FUNCTION_ARGS);
extern Datum clv_fit_bgnbd_covariates_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_mbgnbd_covariates_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_paretonbd_covariates_final(PG_FUNCTION_ARGS);
extern Datum clv_fit_gammagamma_covariates_final(PG_FUNCTION_ARGS);
extern Datum clv_rfm_breakpoints_transfn(PG_FUNCTION_ARGS);
extern Datum clv_rfm_breakpoints_summary_transfn(PG_FUNCTION_ARGS);
extern Datum clv_rfm_breakpoints_combine(PG_FUNCTION_ARGS);
extern Datum clv_rfm_breakpoints_final(PG_FUNCTION_ARGS);
extern Datum clv_seasonality_transfn(PG_FUNCTION_ARGS);
extern Datum clv_seasonality_combine(PG_FUNCTION_ARGS);
extern Datum clv_seasonality_final(PG_FUNCTION_ARGS);
extern Datum clv_business_transfn(PG_FUNCTION_ARGS);
extern Datum clv_business_combine(PG_FUNCTION_ARGS);
extern Datum clv_business_final(PG_FUNCTION_ARGS);
extern Datum clv_model_out(PG_FUNCTION_ARGS);
extern Datum clv_model_in(PG_FUNCTION_ARGS);

/* layout tags, as the sources define them: a forged array may carry the right one */
static const int64 magics[] = {
	INT64CONST(0x434c565303),	/* summary */
	INT64CONST(0x434c565002),	/* model fit, purchases */
	INT64CONST(0x434c565002),	/* model fit, spend */
	INT64CONST(0x434c565201),	/* rfm breakpoints */
	INT64CONST(0x434c564d01),	/* seasonality */
	INT64CONST(0x434c564201),	/* business kpis */
	INT64CONST(0x434c56435a03),	/* model fits with covariates */
};

enum
{
	AGG_SUMMARY, AGG_FIT_PURCHASES, AGG_FIT_SPEND, AGG_RFM, AGG_SEASONALITY,
	AGG_BUSINESS, AGG_FIT_COVARIATES, NAGGS
};

#define SUMMARY_NATTS 16
#define BUSINESS_NATTS 16
#define MAX_STEPS 48
#define MAX_FORGED 600
/* one more than clv takes */
#define CLV_FUZZ_MAX_COVARIATES 9

/* the group's parameters: the same on every row, as in one GROUP BY group */
typedef struct Group
{
	int			agg;
	uint8_t		flags;
	bool		in_agg;			/* false: functions called directly from SQL */
	bool		variant;		/* timestamptz summary / summary-composite input */
	bool		optional_arg;	/* time_unit, penalizer, bins or gross_margin given */
	bool		regular;		/* purchase fits: MBG/CNBD-k and BG/CNBD-k's rows, with log gaps */
	int32		shape;			/* their k: 0 for NULL (chosen), 13 to 15 out of range */
	int			ncovariates;	/* fits with covariates: 1 to 9 (9: too many) */
	Datum		end;
	Datum		unit;
	double		penalizer;
	int32		bins;
	double		margin;
	DateADT		retention_start;
	FmgrInfo   *trans_flinfo;
	FmgrInfo   *final_flinfo;
} Group;

/* ---- values as SQL can give them ---- */

/* a date a user can write: near 2024 mostly, anywhere valid, or infinite */
static DateADT
fz_date(FuzzInput *in)
{
	uint8_t		kind = fz_u8(in);

	if (kind == 255)
		return DATEVAL_NOEND;
	if (kind == 254)
		return DATEVAL_NOBEGIN;
	if (kind >= 240)
	{
		/* date_in's range: 4713 BC to 5874897 AD */
		uint64		r = fz_u64(in, 4);

		return (DateADT) ((int64) (r % (uint64) (DATE_END_JULIAN - DATETIME_MIN_JULIAN)) +
						  DATETIME_MIN_JULIAN - POSTGRES_EPOCH_JDATE);
	}
	return (DateADT) (8766 + (int16) fz_u64(in, 2));	/* 2024-01-01 +- 90 years */
}

static TimestampTz
fz_timestamp(FuzzInput *in)
{
	uint8_t		kind = fz_u8(in);

	if (kind == 255)
		return DT_NOEND;
	if (kind == 254)
		return DT_NOBEGIN;
	if (kind >= 240)
	{
		uint64		r = fz_u64(in, 8);

		/* in uint64: the span is wider than int64 */
		return (TimestampTz) ((uint64) MIN_TIMESTAMP +
							  r % ((uint64) END_TIMESTAMP - (uint64) MIN_TIMESTAMP));
	}
	{
		int64		day = 8766 + (int16) fz_u64(in, 2);
		int64		usecs = (int64) fz_u64(in, 4) * 100;

		return (TimestampTz) (day * USECS_PER_DAY + usecs);
	}
}

/* an amount: cents mostly, any float8 (NaN, infinities, -0) sometimes */
static double
fz_amount(FuzzInput *in)
{
	uint8_t		kind = fz_u8(in);

	if (kind >= 224)
		return fz_f64(in);
	return (double) (int16) fz_u64(in, 2) / (kind & 1 ? 1 : 100);
}

/* a count: small mostly, any int64 sometimes */
static int64
fz_count(FuzzInput *in)
{
	uint8_t		kind = fz_u8(in);

	if (kind >= 224)
		return fz_i64(in);
	return kind % 32;
}

static Interval *
fz_interval(FuzzInput *in)
{
	Interval   *unit = palloc0(sizeof(Interval));
	uint8_t		kind = fz_u8(in);

	if (kind >= 224)
	{
		unit->month = (int32) fz_u64(in, 4);
		unit->day = (int32) fz_u64(in, 4);
		unit->time = fz_i64(in);
	}
	else if (kind >= 192)
		unit->time = (int64) fz_u64(in, 4);
	else
		unit->day = 1 + kind % 30;
	return unit;
}

/* a clv_summary typed in by hand: any field values, any NULLs */
static Datum
fz_summary(FuzzInput *in)
{
	Datum		values[SUMMARY_NATTS];
	bool		nulls[SUMMARY_NATTS];
	uint16_t	null_mask;
	uint8_t		kind = fz_u8(in);

	null_mask = (kind & 4) ? (uint16_t) fz_u64(in, 2) : 0;
	values[0] = DateADTGetDatum(fz_date(in));	/* first_order */
	values[1] = DateADTGetDatum(fz_date(in));	/* last_order */
	values[2] = DateADTGetDatum(fz_date(in));	/* observation_end */
	values[3] = Int64GetDatum(fz_count(in));	/* orders */
	values[4] = Int64GetDatum(fz_count(in));	/* refunds */
	values[5] = Int32GetDatum((int32) fz_count(in));	/* purchase_days */
	values[6] = Float8GetDatum(fz_amount(in));	/* total_amount */
	values[7] = Float8GetDatum(fz_amount(in));	/* refunded_amount */
	values[8] = Float8GetDatum(fz_amount(in));	/* avg_order_value */
	values[9] = Int32GetDatum((int32) fz_count(in));	/* frequency */
	values[10] = Float8GetDatum(fz_amount(in));	/* recency */
	values[11] = Float8GetDatum(fz_amount(in));	/* age */
	values[12] = Float8GetDatum(fz_amount(in));	/* monetary */
	values[13] = Float8GetDatum(fz_amount(in));	/* mean_gap */
	values[14] = Float8GetDatum(fz_amount(in));	/* gap_stddev */
	values[15] = IntervalPGetDatum(fz_interval(in));	/* time_unit */
	for (int i = 0; i < SUMMARY_NATTS; i++)
		nulls[i] = (null_mask >> i) & 1;
	return fuzz_make_summary(values, nulls, SUMMARY_NATTS);
}

/* ---- calling ---- */

/*
 * A state the transition functions hold in place (src/state.c) is an
 * expanded array around a flat one; the rest of a state's life reads that
 * flat array.
 */
static bool
is_held(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d));
}

static struct varlena *
flat_of(Datum d)
{
	if (is_held(d))
		return (struct varlena *) ((ExpandedArrayHeader *) DatumGetEOHP(d))->fvalue;
	return (struct varlena *) DatumGetPointer(d);
}

/* as the executor hands a state to a final or combine function: read-only */
static Datum
read_only(Datum d)
{
	return is_held(d) ? EOHPGetRODatum(DatumGetEOHP(d)) : d;
}

static void
free_state(Datum d)
{
	if (is_held(d))
	{
		ExpandedArrayHeader *eah = (ExpandedArrayHeader *) DatumGetEOHP(d);

		pfree(eah->fvalue);
		pfree(eah);
	}
	else
		pfree(DatumGetPointer(d));
}

static Datum
copy_varlena(Datum d)
{
	struct varlena *v = flat_of(d);
	struct varlena *copy = palloc(VARSIZE(v));

	memcpy(copy, v, VARSIZE(v));
	return PointerGetDatum(copy);
}

static bool
same_varlena(Datum a, Datum b)
{
	struct varlena *x = flat_of(a);
	struct varlena *y = flat_of(b);

	return VARSIZE(x) == VARSIZE(y) && memcmp(x, y, VARSIZE(x)) == 0;
}

/*
 * A new state value replaces the old one as the executor does it
 * (ExecAggTransReparent): the new value is copied, unless it is the same
 * pointer or a read-write expanded object (the executor keeps one made
 * under the aggregate's memory, and clv makes its held states there), and
 * the old one freed.
 */
static void
replace_state(Datum *state, bool *isnull, Datum result, bool result_null)
{
	Datum		old = *state;
	bool		old_null = *isnull;

	if (!result_null && !old_null && DatumGetPointer(result) == DatumGetPointer(old))
		return;
	if (result_null)
		*state = (Datum) 0;
	else if (VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(result)))
		*state = result;
	else
		*state = copy_varlena(result);
	*isnull = result_null;
	if (!old_null)
		free_state(old);
}

/* one row into *state through the aggregate's transition function */
/*
 * A held state's array ends after the slots it uses (src/state.c): its
 * header, then its count of entries (slot 2 in each of these layouts) of
 * its width, its room past that end.  Checked after each transition or
 * combine that succeeded on a state no slot of which was written by hand.
 */
static void
check_held_end(Group *g, Datum state, bool state_null)
{
	ArrayType  *array;
	int64	   *s;
	int64		header,
				width;

	if (state_null || !is_held(state))
		return;
	array = (ArrayType *) flat_of(state);
	s = (int64 *) ARR_DATA_PTR(array);
	switch (g->agg)
	{
		case AGG_FIT_PURCHASES:
		case AGG_FIT_SPEND:
			header = 9;
			width = 4;
			break;
		case AGG_RFM:
			header = 3;
			width = 3;
			break;
		case AGG_FIT_COVARIATES:
			header = 9;
			width = 3 + s[3] + 1;
			break;
		default:
			fuzz_fail("a state of an aggregate that holds none is held");
	}
	if (ARR_DIMS(array)[0] != header + s[2] * width ||
		VARSIZE(array) != ARR_OVERHEAD_NONULLS(1) + (header + s[2] * width) * sizeof(int64))
		fuzz_fail("a held state's array does not end after the slots it uses");
}

static bool
transition(Group *g, FuzzInput *in, Datum *state, bool *state_null)
{
	Datum		args[8];
	bool		nulls[8] = {*state_null, false, false, false, false, false, false, false};
	int			nargs;
	PGFunction	fn;
	uint8_t		row_nulls = fz_u8(in);
	Datum		result;
	bool		result_null;

	/* a NULL in an input column now and then: rows with them are skipped */
	if (row_nulls >= 240)
		for (int i = 1; i < 6; i++)
			nulls[i] = (row_nulls >> (i - 1)) & 1;
	args[0] = *state;
	switch (g->agg)
	{
		case AGG_SUMMARY:
			fn = g->variant ? clv_summary_transfn : clv_summary_date_transfn;
			if (g->variant)
				args[1] = TimestampTzGetDatum(fz_timestamp(in));
			else
				args[1] = DateADTGetDatum(fz_date(in));
			args[2] = Float8GetDatum(fz_amount(in));
			args[3] = g->end;
			args[4] = g->unit;
			nargs = g->optional_arg ? 5 : 4;
			break;
		case AGG_FIT_PURCHASES:
		case AGG_FIT_SPEND:
			if (g->variant)
			{
				fn = g->agg == AGG_FIT_SPEND ? clv_fit_gammagamma_summary_transfn :
					clv_fit_bgnbd_summary_transfn;
				args[1] = fz_summary(in);
				args[2] = Float8GetDatum(g->penalizer);
				nargs = g->optional_arg ? 3 : 2;
			}
			else if (g->agg == AGG_FIT_SPEND)
			{
				fn = clv_fit_gammagamma_transfn;
				args[1] = Float8GetDatum((double) fz_count(in));
				args[2] = Float8GetDatum(fz_amount(in));
				args[3] = Float8GetDatum(g->penalizer);
				nargs = g->optional_arg ? 4 : 3;
			}
			else
			{
				/* (frequency, recency, age): whole x, t_x <= T mostly */
				uint8_t		kind = fz_u8(in);
				double		x = (double) (kind % 16);
				double		T = (double) fz_u64(in, 2) / 8;
				double		t_x = (double) fz_u64(in, 2) / 8;

				/* (Min evaluates its arguments twice: no reads inside it) */
				t_x = x > 0 ? Min(T, t_x) : 0;

				if (kind >= 224)
				{
					x = fz_f64(in);
					t_x = fz_f64(in);
					T = fz_f64(in);
				}
				args[1] = Float8GetDatum(x);
				args[2] = Float8GetDatum(t_x);
				args[3] = Float8GetDatum(T);
				if (g->regular)
				{
					/* the logs of x gaps adding up to t_x: at most x ln(t_x / x) */
					double		log_gaps = x > 0 && t_x > 0 ? x * (log(t_x) - log(x)) - x * fz_u8(in) / 64.0 : 0;

					fn = clv_fit_cnbd_transfn;
					args[4] = Float8GetDatum(kind >= 224 ? fz_f64(in) : log_gaps);
					args[5] = Int32GetDatum(g->shape);
					nulls[5] = nulls[5] || g->shape == 0;
					args[6] = Float8GetDatum(g->penalizer);
					nargs = g->optional_arg ? 7 : 6;
				}
				else
				{
					fn = clv_fit_bgnbd_transfn;
					args[4] = Float8GetDatum(g->penalizer);
					nargs = g->optional_arg ? 5 : 4;
				}
			}
			break;
		case AGG_RFM:
			if (g->variant)
			{
				fn = clv_rfm_breakpoints_summary_transfn;
				args[1] = fz_summary(in);
				args[2] = Int32GetDatum(g->bins);
				nargs = g->optional_arg ? 3 : 2;
			}
			else
			{
				fn = clv_rfm_breakpoints_transfn;
				args[1] = Float8GetDatum(fz_amount(in));
				args[2] = Float8GetDatum(fz_amount(in));
				args[3] = Float8GetDatum(fz_amount(in));
				args[4] = Int32GetDatum(g->bins);
				nargs = g->optional_arg ? 5 : 4;
			}
			break;
		case AGG_SEASONALITY:
			fn = clv_seasonality_transfn;
			args[1] = DateADTGetDatum(fz_date(in));
			args[2] = Float8GetDatum(fz_amount(in));
			nargs = 3;
			break;
		case AGG_FIT_COVARIATES:
			{
				/* a history as the plain fits take it (variant: a spend history), then the covariates */
				uint8_t		kind = fz_u8(in);
				double		x = (double) (kind % 16);
				double		a = (double) fz_u64(in, 2) / 8;
				double		b = (double) fz_u64(in, 2) / 8;
				Datum		z[CLV_FUZZ_MAX_COVARIATES + 1];
				int			n = g->ncovariates;

				if (kind >= 224)
				{
					x = fz_f64(in);
					a = fz_f64(in);
					b = fz_f64(in);
				}
				else if (!g->variant)
					a = x > 0 ? Min(b, a) : 0;
				/* now and then one covariate more or fewer than the group's */
				if (kind % 32 == 31)
					n = n > 1 && (kind & 32) ? n - 1 : n + 1;
				for (int k = 0; k < n; k++)
					z[k] = Float8GetDatum(fz_amount(in) / 16);
				args[1] = Float8GetDatum(x);
				if (g->variant)
				{
					fn = clv_fit_spend_covariates_transfn;
					args[2] = Float8GetDatum(a);
					args[3] = PointerGetDatum(construct_array(z, n, FLOAT8OID, 8, true, TYPALIGN_DOUBLE));
					args[4] = Float8GetDatum(g->penalizer);
					args[5] = Float8GetDatum(g->penalizer);
					nargs = g->optional_arg ? 6 : 4;
				}
				else
				{
					fn = clv_fit_covariates_transfn;
					args[2] = Float8GetDatum(a);
					args[3] = Float8GetDatum(b);
					args[4] = PointerGetDatum(construct_array(z, n, FLOAT8OID, 8, true, TYPALIGN_DOUBLE));
					args[5] = args[6] = args[7] = Float8GetDatum(g->penalizer);
					nargs = g->optional_arg ? 8 : 5;
				}
			}
			break;
		default:
			fn = clv_business_transfn;
			args[1] = fz_summary(in);
			args[2] = DateADTGetDatum(g->retention_start);
			args[3] = Float8GetDatum(g->margin);
			nargs = g->optional_arg ? 4 : 3;
			break;
	}
	if (!fuzz_call(fn, g->trans_flinfo, g->in_agg, nargs, args, nulls, &result, &result_null))
		return false;
	replace_state(state, state_null, result, result_null);
	return true;
}

static PGFunction
combine_fn(int agg)
{
	switch (agg)
	{
		case AGG_SUMMARY:
			return clv_summary_combine;
		case AGG_FIT_PURCHASES:
		case AGG_FIT_SPEND:
			return clv_fit_patterns_combine;
		case AGG_RFM:
			return clv_rfm_breakpoints_combine;
		case AGG_SEASONALITY:
			return clv_seasonality_combine;
		case AGG_FIT_COVARIATES:
			return clv_fit_covariates_combine;
		default:
			return clv_business_combine;
	}
}

/*
 * A run of 48 to 303 rows into *state, drawn from a generator the input
 * seeds: more than a program's steps could add one by one, so that states
 * outgrow their first room (64 entries) and are held in place.  The bytes
 * are below 31, so that no row is skipped for a NULL, none takes the
 * paths of any double (kind 224 and up), and no covariate row has a
 * covariate more or fewer: the run fills the state rather than ending in
 * the first refusal.
 */
static bool
transition_run(Group *g, FuzzInput *in, Datum *state, bool *state_null)
{
	uint8_t		bytes[8192];
	uint64_t	x = 0x9E3779B97F4A7C15ULL * (1 + fz_u8(in));
	int			rows = 48 + fz_u8(in);
	FuzzInput	generated = {bytes, sizeof(bytes), 0};

	for (size_t i = 0; i < sizeof(bytes); i++)
	{
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		bytes[i] = (uint8_t) ((x >> 33) % 31);
	}
	for (int r = 0; r < rows; r++)
	{
		/* a row takes at most a few dozen bytes: start over well before the end */
		if (generated.pos > sizeof(bytes) - 256)
			generated.pos = (size_t) r;
		if (!transition(g, &generated, state, state_null))
			return false;
	}
	return true;
}

/*
 * A held state as the executor puts it into a tuple (a parallel worker's
 * partial state on its way to the leader): flattened through the methods
 * src/state.c gives its expanded array.
 */
static Datum
flatten_state(PG_FUNCTION_ARGS)
{
	ExpandedObjectHeader *eoh = DatumGetEOHP(PG_GETARG_DATUM(0));
	Size		size = eoh->eoh_methods->get_flat_size(eoh);
	void	   *flat = palloc(size);

	eoh->eoh_methods->flatten_into(eoh, flat, size);
	PG_RETURN_POINTER(flat);
}

/* b's flattened copy in *flat (false on an ERROR), checked to be the same when flattened again */
static bool
flattened(Datum b, Datum *flat)
{
	Datum		again;
	bool		isnull;

	if (!fuzz_call(flatten_state, NULL, true, 1, &b, NULL, flat, &isnull))
		return false;
	if (!fuzz_call(flatten_state, NULL, true, 1, &b, NULL, &again, &isnull))
		fuzz_fail("a held state flattened once could not be flattened again");
	if (!same_varlena(*flat, again))
		fuzz_fail("a held state flattened twice gave two different arrays");
	/* its array ends after the slots it uses, its room past that end: the copy is the array */
	if (!same_varlena(*flat, b))
		fuzz_fail("a held state flattened is not the array that holds it");
	pfree(DatumGetPointer(again));
	return true;
}

/*
 * A := combine(A, B); B must come out as it went in, and A too when the
 * function is called directly from SQL (only the aggregate's own first
 * state may be merged into).  from_worker: a held B comes flattened, as a
 * parallel worker's partial state does, else as the read-only pointer a
 * partitionwise aggregate (PostgreSQL 16) passes.
 */
static bool
combine(Group *g, Datum *a, bool *a_null, Datum b, bool b_null, bool from_worker)
{
	Datum		given = b;
	bool		nulls[2] = {*a_null, b_null};
	Datum		before;
	Datum		a_before = g->in_agg || *a_null ? (Datum) 0 : copy_varlena(*a);
	Datum		result;
	bool		result_null;
	bool		ok;

	if (!b_null && from_worker && is_held(b))
	{
		if (!flattened(b, &given))
			return false;
	}
	else if (!b_null)
		given = read_only(b);
	before = b_null ? (Datum) 0 : copy_varlena(given);
	{
		Datum		args[2] = {*a, given};

		ok = fuzz_call(combine_fn(g->agg), NULL, g->in_agg, 2, args, nulls, &result, &result_null);
	}
	if (ok && !b_null && !same_varlena(before, given))
		fuzz_fail("a combine function changed its second state");
	if (ok && a_before != (Datum) 0 && !same_varlena(a_before, *a))
		fuzz_fail("a combine function called directly changed its first state");
	if (ok)
		replace_state(a, a_null, result, result_null);
	/* the flattened copy, once the result (which may be it) is copied */
	if (given != b && !is_held(given))
		pfree(DatumGetPointer(given));
	return ok;
}

/* ---- final functions and what their results must satisfy ---- */

static void
check_not_nan(double v, const char *what)
{
	if (isnan(v))
		fuzz_fail("%s is NaN for a state its final function accepted", what);
}


static void
check_summary_row(void)
{
	Datum	   *v = fuzz_row_values;
	bool	   *n = fuzz_row_nulls;
	Interval   *unit = DatumGetIntervalP(v[15]);

	if (n[2] || n[3] || n[4] || n[5] || n[6] || n[7] || n[15])
		fuzz_fail("clv_summary_final left an always-present field NULL");
	if (DatumGetInt32(v[5]) < 0 || DatumGetInt64(v[3]) < DatumGetInt32(v[5]) || DatumGetInt64(v[4]) < 0)
		fuzz_fail("clv_summary_final: orders, refunds and purchase days do not add up");
	if (unit->month != 0 || (unit->day <= 0 && unit->time <= 0))
		fuzz_fail("clv_summary_final: time_unit not positive");
	for (int i = 6; i <= 14; i++)
		if (!n[i] && i != 9)
			check_not_nan(DatumGetFloat8(v[i]), "a float8 field of clv_summary");
	if (!n[0])
	{
		if (n[1] || n[9] || n[10] || n[11])
			fuzz_fail("clv_summary_final: a summary with purchases lacks a field");
		if (DatumGetDateADT(v[0]) > DatumGetDateADT(v[1]) || DatumGetDateADT(v[1]) > DatumGetDateADT(v[2]))
			fuzz_fail("clv_summary_final: first_order <= last_order <= observation_end fails");
		if (DatumGetInt32(v[9]) != DatumGetInt32(v[5]) - 1 ||
			!(DatumGetFloat8(v[10]) >= 0 && DatumGetFloat8(v[10]) <= DatumGetFloat8(v[11])))
			fuzz_fail("clv_summary_final: frequency, recency and age are inconsistent");
	}
}

/*
 * The log gaps of a state clv_summary_final accepted (its row still in
 * fuzz_row_values): accepted too, NULL exactly without purchase days, 0 for
 * one, and at most x ln(t_x / x) (gaps adding up to the recency, in the
 * same unit), as the regularity fits require.
 */
static void
check_log_gap_sum(Datum state)
{
	bool		no_purchases = fuzz_row_nulls[0];
	double		x = no_purchases ? 0 : DatumGetInt32(fuzz_row_values[9]);
	double		t_x = no_purchases ? 0 : DatumGetFloat8(fuzz_row_values[10]);
	Datum		result;
	bool		isnull;
	double		sum;

	if (!fuzz_call(clv_summary_log_gap_sum, NULL, false, 1, &state, NULL, &result, &isnull))
		fuzz_fail("clv_summary_log_gap_sum refuses a state clv_summary_final accepts: %s",
				  fuzz_error.message);
	if (isnull != no_purchases)
		fuzz_fail("clv_summary_log_gap_sum is NULL %s purchase days", isnull ? "with" : "without");
	if (isnull)
		return;
	sum = DatumGetFloat8(result);
	if (!isfinite(sum))
		fuzz_fail("clv_summary_log_gap_sum is not finite");
	if (x == 0 ? sum != 0 : sum > x * log(t_x / x) + 1e-9 * (1 + fabs(sum)))
		fuzz_fail("clv_summary_log_gap_sum %.17g exceeds x ln(t_x / x) for x %.0f, t_x %.17g", sum, x, t_x);
}

static void
check_model(Datum model, const char *what)
{
	char	   *text = DatumGetCString(fuzz_must_call(clv_model_out, what, model));
	Datum		again = fuzz_must_call(clv_model_in, "clv_model_in of a fitted model", CStringGetDatum(text));

	if (!same_varlena(model, again))
		fuzz_fail("a fitted model changed in a text round trip: %s", text);
}

static void
check_float_array(Datum d, int ndim, int rows, int cols, bool ascending, const char *what)
{
	ArrayType  *a = DatumGetArrayTypeP(d);
	const double *v = (const double *) ARR_DATA_PTR(a);

	if (ARR_NDIM(a) != ndim || ARR_ELEMTYPE(a) != FLOAT8OID || ARR_HASNULL(a) ||
		ARR_DIMS(a)[0] != (ndim == 1 ? cols : rows) || (ndim == 2 && ARR_DIMS(a)[1] != cols))
		fuzz_fail("%s: result array has the wrong shape", what);
	for (int r = 0; r < rows; r++)
		for (int c = 0; c < cols; c++)
		{
			if (!isfinite(v[r * cols + c]))
				fuzz_fail("%s: a result is not finite", what);
			if (ascending && c > 0 && v[r * cols + c] < v[r * cols + c - 1])
				fuzz_fail("%s: breakpoints do not ascend", what);
		}
}

/* the final function of the group's aggregate on a state; which: for the fits */
static bool
final(Group *g, Datum state, uint8_t which)
{
	static const PGFunction purchase_finals[] = {
		clv_fit_bgnbd_final, clv_fit_mbgnbd_final, clv_fit_paretonbd_final,
		clv_fit_mbgcnbd_final, clv_fit_bgcnbd_final
	};
	PGFunction	fn;
	Datum		before = copy_varlena(state);
	Datum		arg;
	Datum		result;
	bool		isnull;
	bool		ok;

	switch (g->agg)
	{
		case AGG_SUMMARY:
			fn = clv_summary_final;
			fuzz_result_natts = SUMMARY_NATTS;
			break;
		case AGG_FIT_PURCHASES:
			/* a regularity state mostly to its own finals, now and then to another */
			fn = g->regular && which % 8 != 0 ? purchase_finals[3 + which % 2] :
				purchase_finals[which % lengthof(purchase_finals)];
			break;
		case AGG_FIT_SPEND:
			fn = clv_fit_gammagamma_final;
			break;
		case AGG_RFM:
			fn = clv_rfm_breakpoints_final;
			break;
		case AGG_SEASONALITY:
			fn = clv_seasonality_final;
			break;
		case AGG_FIT_COVARIATES:
			{
				static const PGFunction covariate_finals[] = {
					clv_fit_bgnbd_covariates_final, clv_fit_mbgnbd_covariates_final,
					clv_fit_paretonbd_covariates_final, clv_fit_gammagamma_covariates_final
				};

				/* a state mostly to its own kind's finals, now and then to the other kind's */
				fn = (g->variant != (which % 8 == 0)) ? covariate_finals[3] : covariate_finals[which % 3];
			}
			break;
		default:
			fn = clv_business_final;
			fuzz_result_natts = BUSINESS_NATTS;
			break;
	}
	memset(fuzz_row_nulls, true, sizeof(fuzz_row_nulls));
	arg = read_only(state);
	ok = fuzz_call(fn, g->final_flinfo, g->in_agg, 1, &arg, NULL, &result, &isnull);
	if (!same_varlena(before, state))
		fuzz_fail("a final function changed its state");
	if (!ok || isnull)
		return ok;
	switch (g->agg)
	{
		case AGG_SUMMARY:
			check_summary_row();
			check_log_gap_sum(state);
			break;
		case AGG_FIT_PURCHASES:
		case AGG_FIT_SPEND:
		case AGG_FIT_COVARIATES:
			check_model(result, "clv_model_out of a fitted model");
			break;
		case AGG_RFM:
			{
				ArrayType  *a = DatumGetArrayTypeP(result);

				check_float_array(result, 2, 3, ARR_NDIM(a) == 2 ? ARR_DIMS(a)[1] : 0, true,
								  "clv_rfm_breakpoints_final");
			}
			break;
		case AGG_SEASONALITY:
			check_float_array(result, 1, 1, 12, false, "clv_seasonality_final");
			break;
		default:
			for (int i = 0; i < BUSINESS_NATTS; i++)
				if (!fuzz_row_nulls[i] && ((i >= 2 && i <= 5) || i >= 10))
					check_not_nan(DatumGetFloat8(fuzz_row_values[i]), "a float8 field of clv_business_kpis");
			break;
	}
	return true;
}

/* a state that clv_summary_final must accept */
static void
check_summary_state(Group *g, Datum state, const char *what)
{
	Datum		result;
	bool		isnull;

	fuzz_result_natts = SUMMARY_NATTS;
	if (!fuzz_call(clv_summary_final, NULL, true, 1, &state, NULL, &result, &isnull))
		fuzz_fail("clv_summary_final refuses the state of %s: %s (%s)", what,
				  fuzz_error.message, fuzz_error.detail);
	check_summary_row();
}

/* ---- forging ---- */

static Datum
forged_array(FuzzInput *in, int agg)
{
	uint8_t		kind = fz_u8(in);
	int			n = (int) fz_u64(in, 2);
	int64	   *values;

	n = Min(n, MAX_FORGED);
	values = palloc0(Max(n, 1) * sizeof(int64));

	for (int i = 0; i < n && !fz_done(in); i++)
		values[i] = (kind & 0x80) ? (int64) (int8) fz_u8(in) : fz_i64(in);
	if ((kind & 0x40) && n > 0)
		values[0] = magics[agg];
	/* mostly the shape clv writes; the others array_in also allows */
	return fuzz_int8_array(values, n, (kind & 0x38) == 0x38 ? kind % 5 : 0);
}

/* overwrite slot i of a state: small deltas find off-by-one checks */
static void
corrupt(FuzzInput *in, Datum state)
{
	ArrayType  *a = (ArrayType *) flat_of(state);
	int			n = ARR_NDIM(a) == 1 && !ARR_HASNULL(a) ? ARR_DIMS(a)[0] : 0;
	int64	   *s = (int64 *) ARR_DATA_PTR(a);
	uint8_t		kind = fz_u8(in);
	int			i;

	if (n == 0)
		return;
	i = (int) (fz_u64(in, 2) % n);
	if (kind < 128)
		s[i] = (int64) ((uint64) s[i] + (uint64) (int64) (int8) fz_u8(in));	/* wraps: no UB in the harness */
	else if (kind < 192)
		s[i] = fz_i64(in);
	else if (kind < 224)
		s[i] ^= (int64) ((uint64) 1 << (fz_u8(in) % 64));
	else
		s[i] = (kind & 1) ? PG_INT64_MAX - (kind & 6) : PG_INT64_MIN + (kind & 6);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzInput	in = {data, size, 0};
	Group		g;
	Datum		a = 0,
				b = 0;
	bool		a_null = true,
				b_null = true;
	/* a state with slots written by hand (corrupt, forged_array), whose end may be anywhere */
	bool		a_by_hand = false,
				b_by_hand = false;

	fuzz_begin();
	memset(&g, 0, sizeof(g));
	g.agg = fz_u8(&in) % NAGGS;
	g.flags = fz_u8(&in);
	g.variant = g.flags & 1;
	g.optional_arg = (g.flags & 2) != 0;
	g.in_agg = (g.flags & 0xF0) != 0xF0;
	g.regular = (g.flags & 8) != 0;
	g.shape = g.flags >> 4;
	g.trans_flinfo = fuzz_flinfo();
	g.final_flinfo = fuzz_flinfo();
	if (g.agg == AGG_SUMMARY)
		g.end = g.variant ? TimestampTzGetDatum(fz_timestamp(&in)) : DateADTGetDatum(fz_date(&in));
	g.unit = IntervalPGetDatum(fz_interval(&in));
	g.penalizer = (g.flags & 4) ? fz_f64(&in) : (double) fz_u8(&in) / 16;
	g.bins = (g.flags & 4) ? (int32) fz_u64(&in, 4) : 2 + fz_u8(&in) % 8;
	g.margin = (g.flags & 4) ? fz_f64(&in) : (double) fz_u8(&in) / 255;
	g.retention_start = fz_date(&in);
	g.ncovariates = 1 + fz_u8(&in) % CLV_FUZZ_MAX_COVARIATES;
	/*
	 * growing states held in place from their first growth, or past 64 kB as
	 * in the server; grown by copying into chunks marked for huge pages, or
	 * by repalloc, whatever this machine's kernel setting
	 */
	{
		uint8_t		b = fz_u8(&in);

		clv_state_hold_min_bytes = (b & 1) ? 0 : 64 * 1024;
		clv_transparent_huge_pages = (b & 2) ? CLV_HUGE_PAGES_ON : CLV_HUGE_PAGES_OFF;
	}

	for (int step = 0; step < MAX_STEPS && !fz_done(&in); step++)
	{
		uint8_t		op = fz_u8(&in);
		bool		ok = true;

		if (getenv("CLV_FUZZ_VERBOSE"))
			fprintf(stderr, "clv fuzz: step %d op %d at byte %zu\n", step, op % 10, in.pos - 1);

		switch (op % 10)
		{
			case 0:
				ok = transition(&g, &in, &a, &a_null);
				if (ok && !a_by_hand)
					check_held_end(&g, a, a_null);
				break;
			case 1:
				ok = op >= 200 ? transition_run(&g, &in, &a, &a_null) : transition(&g, &in, &a, &a_null);
				if (ok && !a_by_hand)
					check_held_end(&g, a, a_null);
				break;
			case 2:
				ok = transition(&g, &in, &b, &b_null);
				if (ok && !b_by_hand)
					check_held_end(&g, b, b_null);
				break;
			case 3:
				ok = combine(&g, &a, &a_null, b, b_null, op >= 128);
				a_by_hand = a_by_hand || b_by_hand;
				if (ok && !a_by_hand)
					check_held_end(&g, a, a_null);
				break;
			case 4:
				if (!a_null)
				{
					corrupt(&in, a);
					a_by_hand = true;
				}
				break;
			case 5:
				if (!a_null)
					free_state(a);
				a = forged_array(&in, g.agg);
				a_null = false;
				a_by_hand = true;
				break;
			case 6:
				if (!a_null)
					ok = final(&g, a, op / 10);
				break;
			case 7:
				/* the summary state's own functions, for storing and refreshing */
				if (g.agg == AGG_SUMMARY && !a_null)
				{
					Datum		result;
					bool		isnull;

					if ((op & 0xC0) == 0x40)
					{
						/*
						 * the other state (forged, corrupted or not) as the
						 * stored one, this one as the later: a stored state
						 * it keeps must be one clv_summary_final accepts,
						 * and two states that each advance to the other are
						 * the same
						 */
						Datum		stored = b_null ? a : b;
						Datum		args[2] = {stored, a};

						if (fuzz_call(clv_summary_advances_to, NULL, false, 2, args, NULL, &result, &isnull) &&
							!isnull && DatumGetBool(result))
						{
							Datum		back[2] = {a, stored};

							check_summary_state(&g, stored, "clv_summary_advances_to's stored state");
							if (fuzz_call(clv_summary_advances_to, NULL, false, 2, back, NULL, &result, &isnull) &&
								!isnull && DatumGetBool(result) && !same_varlena(stored, a))
								fuzz_fail("clv_summary_advances_to: two different states each advance to the other");
						}
						break;
					}
					if (op & 0x80)
					{
						Datum		args[2] = {a, TimestampTzGetDatum(fz_timestamp(&in))};

						ok = fuzz_call(clv_summary_advance, NULL, false, 2, args, NULL, &result, &isnull);
						if (ok)
							check_summary_state(&g, result, "clv_summary_advance");
					}
					else
					{
						ok = fuzz_call(clv_summary_state_final, NULL, true, 1, &a, NULL, &result, &isnull);
						if (ok)
							check_summary_state(&g, result, "clv_summary_state_final");
					}
					if (ok)
						replace_state(&a, &a_null, result, isnull);
				}
				break;
			case 8:
				{
					Datum		t = a;
					bool		t_null = a_null,
								t_by_hand = a_by_hand;

					a = b;
					a_null = b_null;
					a_by_hand = b_by_hand;
					b = t;
					b_null = t_null;
					b_by_hand = t_by_hand;
				}
				break;
			default:
				if (!a_null)
					free_state(a);
				a = b_null ? (Datum) 0 : copy_varlena(b);
				a_null = b_null;
				a_by_hand = b_by_hand;
				break;
		}
		/* an ERROR ends the query, and with it the states */
		if (!ok)
			break;
	}
	fuzz_end();
	return 0;
}
