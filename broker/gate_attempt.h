/* A legacy sign-in the gate let through, carried to the pool's answer. The
 * SPOP agent puts the attempt in HAProxy's txn variable "attempt"; when the
 * pool answers 400, 401 or 403 (the credential refused: a wrong password, a
 * spray), haproxy.cfg sends it back in the "attempt-refused" message and it
 * is recorded again as pool-refused, which `tessera pool plan` takes off.
 * Only the agent sets txn variables, so what comes back is what it wrote. */
#ifndef TS_BROKER_GATE_ATTEMPT_H
#define TS_BROKER_GATE_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "gate.h"
#include "usage.h"

struct ts_gate_attempt {
	char *pool, *user, *family, *kind, *ip, *agent;
	bool passive_capable;
};

/* The attempt the verdict records (ts_gate_usage_event) as
 * "pool=P&user=U&family=F&capable=1&kind=K&ip=A&agent=UA", each value
 * URI-escaped; g_free it. NULL when it records none. */
char *ts_gate_attempt_encode(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
			     const struct ts_gate_request *req);

/* Reads text[0..len) back. INVALID_ARGUMENT, with out cleared, for what
 * ts_gate_attempt_encode did not make: a field missing, twice or unknown, a
 * bad escape or an escaped NUL, capable not 0 or 1, a kind not legacy. */
ts_err ts_gate_attempt_decode(const char *text, size_t len, struct ts_gate_attempt *out);
void ts_gate_attempt_clear(struct ts_gate_attempt *a);

/* The usage event of a decoded attempt that the pool refused at now. */
struct ts_usage_event ts_gate_attempt_refused(const struct ts_gate_attempt *a, ts_time now);

#endif
