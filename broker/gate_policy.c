/* See gate_policy.h. */
#include "gate_cutover.h"
#include "gate_policy.h"
#include "metrics.h"
#include "stage_watch.h"
#include "tickets.h"

void ts_gate_policy_begin(struct ts_broker *b, const struct ts_runtime *rt,
			  struct ts_gate_policy *out)
{
	*out = (struct ts_gate_policy){
		.config = rt->config,
		.tickets = ts_broker_ticketing(b),
		.stages = b->stage_watch != NULL ? ts_stage_watch_acquire(b->stage_watch) : NULL,
		.usage = b->usage,
		.minted = b->cutover,
		.seen = b->tickets_seen,
		.now = ts_clock_now(&b->clock),
	};
}

void ts_gate_policy_end(struct ts_gate_policy *p)
{
	if (p->stages != NULL)
		ts_stage_snapshot_release((struct ts_stage_snapshot *)p->stages);
	p->stages = NULL;
}

void ts_gate_count(struct ts_broker *b, const struct ts_gate_verdict *v)
{
	ts_metrics_gate(b->metrics, v->pool, ts_gate_kind_name(v->kind),
			ts_gate_outcome_name(v->outcome));
	if (ts_gate_kind_is_legacy(v->kind) && v->pool[0] != '\0')
		ts_metrics_legacy(b->metrics, v->pool, ts_gate_kind_name(v->kind),
				  ts_usage_decision_name(ts_gate_legacy_decision(v)));
}
