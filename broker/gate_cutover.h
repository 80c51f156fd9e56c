/* The cutover's part of a gate decision (gate_cutover.c). */
#ifndef TS_BROKER_GATE_CUTOVER_H
#define TS_BROKER_GATE_CUTOVER_H
#include <stdbool.h>

#include "gate.h"
#include "tessera/cutover.h"
#include "usage.h"

/* The pool's stage now: the runtime one from policy->stages, else its
 * configured one. */
enum ts_gate_stage ts_gate_pool_stage(const struct ts_gate_policy *policy,
				      const struct ts_config_pool *pool);
/* Whether one of the pool's unexpired exceptions covers the request: the
 * user the credential names (v->user), its User-Agent, its source. */
bool ts_gate_pool_excepted(const struct ts_gate_policy *policy, const struct ts_config_pool *pool,
			   const struct ts_gate_verdict *v, const struct ts_gate_request *req);
/* What the stage makes of a legacy sign-in attempt: passed (legacy),
 * would-block (audit), refused (passive), or excepted. */
enum ts_usage_decision ts_gate_legacy_decision(const struct ts_gate_verdict *v);
/* The usage record of a legacy sign-in attempt (v->kind legacy, a pool, not
 * an NTLM type 1), its strings pointing into v, req and agent; false when
 * there is none to record. */
bool ts_gate_usage_event(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
			 const struct ts_gate_request *req, char agent[TS_CUTOVER_AGENT_MAX + 1],
			 struct ts_usage_event *out);
/* Records a legacy sign-in attempt (v->kind legacy) and what became of it;
 * v->recorded says whether it was counted. */
void ts_gate_record(const struct ts_gate_policy *policy, struct ts_gate_verdict *v,
		    const struct ts_gate_request *req);
enum ts_gate_minted {
	TS_GATE_MINTED_UNKNOWN,	   /* not recorded: minted by passive sign-in, or unseen */
	TS_GATE_MINTED_LEGACY,	   /* recorded as minted here by a legacy sign-in */
	TS_GATE_MINTED_UNREADABLE, /* a ticket is there, its identity cannot be read */
};
/* What the gate saw mint the pool tickets req presents (every one of them:
 * one recorded as legacy-minted makes the answer LEGACY, and sets v->user
 * to whom). at_certprov: note each legacy-minted one as having provisioned
 * a client certificate (`tessera pool runbook` revokes them). */
enum ts_gate_minted ts_gate_ticket_minted(const struct ts_gate_policy *policy,
					  struct ts_gate_verdict *v, const struct ts_gate_request *req,
					  bool at_certprov);
#endif
