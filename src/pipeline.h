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

/* catalog facts a pipeline is checked by; InvalidOid when not so */
extern Oid	clv_relation_owner(Oid relid, char relkind, bool *row_security);
extern Oid	clv_namespace_owner(Oid nspid);

#endif							/* CLV_PIPELINE_H */
