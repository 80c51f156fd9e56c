/* See gate_policy.h. */
#include "gate_policy.h"
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
		.now = ts_clock_now(&b->clock),
	};
}

void ts_gate_policy_end(struct ts_gate_policy *p)
{
	if (p->stages != NULL)
		ts_stage_snapshot_release((struct ts_stage_snapshot *)p->stages);
	p->stages = NULL;
}
