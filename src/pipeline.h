/*
 * pipeline.h: running a pipeline's work as the pipeline's owner
 * (src/pipeline_owner.c), shared with its change capture
 * (src/pipeline_capture.c).
 */
#ifndef CLV_PIPELINE_H
#define CLV_PIPELINE_H

#include "clv.h"

typedef struct ClvOwnerContext
{
	Oid			save_userid;
	int			save_sec_context;
	int			save_nestlevel;
} ClvOwnerContext;

extern void clv_enter_owner_context(Oid owner, ClvOwnerContext *context);
extern void clv_leave_owner_context(const ClvOwnerContext *context);

#endif							/* CLV_PIPELINE_H */
