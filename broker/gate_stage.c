/* The stage rule: what a pool in each stage lets through (DESIGN "Stages",
 * and the "passive: legacy kinds refused; passive, pool tickets,
 * Tessera tickets and anonymous paths pass"). A request with no credential
 * is refused in passive too: the answer is then the pool's own challenge,
 * advertising passive sign-in only. */
#include <string.h>

#include "gate.h"

static const char *const stage_names[TS_GATE_STAGE__COUNT] = {
	[TS_GATE_STAGE_LEGACY] = "legacy",
	[TS_GATE_STAGE_AUDIT] = "audit",
	[TS_GATE_STAGE_PASSIVE] = "passive",
};

const char *ts_gate_stage_name(enum ts_gate_stage stage)
{
	return (unsigned)stage < TS_GATE_STAGE__COUNT ? stage_names[stage] : "unknown";
}

ts_err ts_gate_stage_parse(const char *text, enum ts_gate_stage *out)
{
	for (unsigned i = 0; text != NULL && i < TS_GATE_STAGE__COUNT; i++)
		if (strcmp(text, stage_names[i]) == 0) {
			*out = (enum ts_gate_stage)i;
			return TS_ERR_OK;
		}
	return TS_ERR_INVALID_ARGUMENT;
}

const char *ts_gate_outcome_name(enum ts_gate_outcome outcome)
{
	return outcome == TS_GATE_ALLOW ? "allow" : "refuse";
}

enum ts_gate_outcome ts_gate_stage_decide(enum ts_gate_stage stage, enum ts_gate_kind kind,
					  bool excepted)
{
	if (stage != TS_GATE_STAGE_PASSIVE || excepted)
		return TS_GATE_ALLOW;
	switch (kind) {
	case TS_GATE_KIND_ANONYMOUS:
	case TS_GATE_KIND_PASSIVE:
	case TS_GATE_KIND_POOL_TICKET:
	case TS_GATE_KIND_TESSERA_TICKET:
		return TS_GATE_ALLOW;
	default:
		return TS_GATE_REFUSE;
	}
}
