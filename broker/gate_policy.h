/* The policy one gate request is judged under, for both transports (GET
 * /gate, the SPOP agent): the runtime's configuration, the broker's
 * tickets, a reference to the current stage snapshot, the usage table. */
#ifndef TS_BROKER_GATE_POLICY_H
#define TS_BROKER_GATE_POLICY_H
#include "broker.h"
#include "gate.h"
#include "runtime.h"

void ts_gate_policy_begin(struct ts_broker *b, const struct ts_runtime *rt,
			  struct ts_gate_policy *out);
/* Counts the verdict in /metrics: by kind and outcome, and legacy attempts
 * by what the stage made of them. */
void ts_gate_count(struct ts_broker *b, const struct ts_gate_verdict *v);
/* Drops the stage snapshot reference begin took. */
void ts_gate_policy_end(struct ts_gate_policy *p);
#endif
