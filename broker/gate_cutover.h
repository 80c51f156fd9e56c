/* The cutover's part of a gate decision (gate_cutover.c). */
#ifndef TS_BROKER_GATE_CUTOVER_H
#define TS_BROKER_GATE_CUTOVER_H
#include <stdbool.h>

#include "gate.h"
#include "tessera/cutover.h"

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
/* Records a legacy sign-in attempt (v->kind legacy) and what became of it. */
void ts_gate_record(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
		    const struct ts_gate_request *req);
/* Whether the pool ticket req presents was minted, as the gate saw, by a
 * legacy kind of sign-in for this pool (so that in passive it does not
 * outlive the flip); sets v->user to whom it was minted for. */
bool ts_gate_ticket_minted_by_legacy(const struct ts_gate_policy *policy,
				     struct ts_gate_verdict *v, const struct ts_gate_request *req);
/* A pool ticket presented to CertProv: if a legacy sign-in minted it, the
 * certificate now provisioned came through legacy sign-in too (noted for
 * `tessera pool runbook`'s Revoke-CsClientCertificate list). */
void ts_gate_note_certprov(const struct ts_gate_policy *policy, const struct ts_gate_request *req);
#endif
