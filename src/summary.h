/*
 * summary.h: the fields of the clv_summary composite, for the functions
 * that take a summary as input.
 */
#ifndef CLV_SUMMARY_H
#define CLV_SUMMARY_H

#include "clv.h"

#include "access/htup_details.h"
#include "utils/date.h"

/* in the order of CREATE TYPE clv_summary */
typedef enum ClvSummaryField
{
	CLV_SUMMARY_FIRST_ORDER,
	CLV_SUMMARY_LAST_ORDER,
	CLV_SUMMARY_OBSERVATION_END,
	CLV_SUMMARY_ORDERS,
	CLV_SUMMARY_REFUNDS,
	CLV_SUMMARY_PURCHASE_DAYS,
	CLV_SUMMARY_TOTAL_AMOUNT,
	CLV_SUMMARY_REFUNDED_AMOUNT,
	CLV_SUMMARY_AVG_ORDER_VALUE,
	CLV_SUMMARY_FREQUENCY,
	CLV_SUMMARY_RECENCY,
	CLV_SUMMARY_AGE,
	CLV_SUMMARY_MONETARY,
	CLV_SUMMARY_MEAN_GAP,
	CLV_SUMMARY_GAP_STDDEV,
	CLV_SUMMARY_TIME_UNIT,
	CLV_SUMMARY_NFIELDS
} ClvSummaryField;

/* a summary's fields, deformed once by clv_summary_read */
typedef struct ClvSummaryRow
{
	Datum		values[CLV_SUMMARY_NFIELDS];
	bool		nulls[CLV_SUMMARY_NFIELDS];
} ClvSummaryRow;

extern void clv_summary_read(HeapTupleHeader summary, ClvSummaryRow *row);
extern Datum clv_summary_get(const ClvSummaryRow *row, ClvSummaryField field);
extern DateADT clv_summary_get_date(const ClvSummaryRow *row, ClvSummaryField field);
extern bool clv_summary_history(const ClvSummaryRow *row, double *x, double *t_x, double *T);
extern bool clv_summary_history_arg(FunctionCallInfo fcinfo, int argno, double *x, double *t_x, double *T);

#endif							/* CLV_SUMMARY_H */
