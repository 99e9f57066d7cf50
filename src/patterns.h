/*
 * patterns.h: the transition state of the model fits.
 *
 * A fit sees one row per customer but its likelihood only needs each
 * distinct history once, with the number of customers who share it.  The
 * state keeps those patterns, so a fit's cost grows with distinct histories,
 * not customers.  It is a bigint[] (see state.h): a header, then entries of
 * (x, a, b, count) with a and b float8 bits:
 *   purchase models (BG/NBD): x = frequency, a = recency, b = age;
 *   spend model (Gamma-Gamma): x = frequency, a = mean repeat spend, b = 0;
 *   discrete-time purchase model (BG/BB): x = frequency, a = recency,
 *   b = periods, all whole numbers of transaction opportunities;
 *   subscription model (sBG): x = 1 if churned, else 0, a = periods, b = 0.
 * count is how many customers share the pattern.
 */
#ifndef CLV_PATTERNS_H
#define CLV_PATTERNS_H

#include "clv.h"

#include "datatype/timestamp.h"

typedef enum ClvPatternKind
{
	CLV_PATTERNS_PURCHASES = 1,
	CLV_PATTERNS_SPEND = 2,
	CLV_PATTERNS_PERIODS = 3,
	CLV_PATTERNS_TENURE = 4
} ClvPatternKind;

/* the longest tenure a subscription model takes, in periods */
#define CLV_MAX_TENURE 1000000

/*
 * The most transaction opportunities a discrete-time history may have: its
 * likelihood sums over the opportunities after the last transaction.
 */
#define CLV_MAX_OPPORTUNITIES 100000

typedef struct Pattern
{
	double		x;
	double		t_x;			/* or the mean spend */
	double		T;				/* spend: unused, and the fit keeps log(mean spend) there */
	double		count;
} Pattern;

/*
 * The distinct recencies and ages of purchase patterns (clv_pattern_times):
 * a likelihood computes what depends on a time alone, such as
 * log(alpha + T), once per value and evaluation instead of once per pattern.
 */
typedef struct PatternTimes
{
	int64		nvalues;
	double	   *values;			/* distinct */
	int32	   *t_x_index;		/* per pattern, where its t_x is in values */
	int32	   *T_index;		/* and its T */
} PatternTimes;

/*
 * What the purchase models' likelihoods take from a time v alone (a
 * pattern's t_x or T): ln(alpha + v) and 1 / (alpha + v), one per distinct
 * time and evaluation (clv_time_terms).
 */
typedef struct TimeTerms
{
	double		log_shifted;
	double		inverse_shifted;
} TimeTerms;

typedef struct PatternSet
{
	Pattern    *patterns;
	int64		npatterns;
	const PatternTimes *times;	/* purchase patterns' times, or NULL */
	double		customers;
	double		penalizer;
	int64		unit_usecs;		/* time unit of the summaries, 0 for plain numbers */
	int64		skipped;		/* rows left out (spend: no positive mean spend) */
	int			shape;			/* regularity fits: k, or CLV_SHAPE_CHOSEN; else 0 */
	double		log_gap_sum;	/* regularity fits: every customer's sum of ln(gap) */
} PatternSet;

/* a regularity fit's k when the fit chooses it */
#define CLV_SHAPE_CHOSEN (-1)

extern void clv_check_history(double x, double t_x, double T);
/* any kind of pattern, as clv_patterns_add checks it */
extern void clv_check_pattern(ClvPatternKind kind, double x, double a, double b);
extern void clv_check_period_history(double x, double t_x, double n);
extern Datum clv_patterns_add(FunctionCallInfo fcinfo, ClvPatternKind kind,
							  double x, double a, double b, int64 count,
							  double penalizer, int64 unit_usecs);
extern void clv_check_tenure(double churned, double periods);
extern Datum clv_patterns_add_regular(FunctionCallInfo fcinfo, double x, double t_x, double T,
									  double log_gap_sum, int shape, double penalizer);
extern Datum clv_patterns_add_several(FunctionCallInfo fcinfo, ClvPatternKind kind, int n,
									  const Pattern *entries, double penalizer);
extern Datum clv_patterns_skip(FunctionCallInfo fcinfo, ClvPatternKind kind, double penalizer);
extern void clv_patterns_load(FunctionCallInfo fcinfo, int argno, ClvPatternKind kind, PatternSet *set);
extern double clv_penalizer_arg(FunctionCallInfo fcinfo, int argno);
extern int64 clv_customers_arg(FunctionCallInfo fcinfo, int argno);
extern bool clv_purchase_patterns(FunctionCallInfo fcinfo, const char *label, PatternSet *data,
								  double *mean_x, double *mean_T);
extern bool clv_coarse_purchase_patterns(const PatternSet *data, PatternSet *coarse);
extern bool clv_coarse_spend_patterns(const PatternSet *data, PatternSet *coarse);
extern TimeTerms *clv_time_terms(const PatternTimes *times, double alpha);

/* the setting clv.coarse_start: whether clv_coarse_purchase_patterns and clv_coarse_spend_patterns make a copy */
extern bool clv_fit_coarse_start;

#endif							/* CLV_PATTERNS_H */
