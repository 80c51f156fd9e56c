/* A legacy sign-in the gate let through, carried to the pool's answer. The
 * SPOP agent puts the attempt in HAProxy's txn variable "attempt"; when the
 * pool answers 400, 401 or 500, haproxy.cfg sends it back with the status
 * and body in the "attempt-refused" message, and if they refuse the
 * credential (a wrong password or PIN, a spray) it is recorded again as
 * pool-refused, which `tessera pool plan` takes off. Only the agent sets
 * txn variables, so what comes back is what it wrote. */
#ifndef TS_BROKER_GATE_ATTEMPT_H
#define TS_BROKER_GATE_ATTEMPT_H

#include <stdbool.h>
#include <stddef.h>

#include "gate.h"
#include "usage.h"

struct ts_gate_attempt {
	char *pool, *user, *family, *kind, *ip, *agent;
	bool passive_capable;
	ts_time at; /* when the gate counted it */
};

/* The attempt the verdict counted (v->recorded) as
 * "pool=P&user=U&family=F&capable=1&kind=K&ip=A&agent=UA&at=T", each value
 * URI-escaped; g_free it. NULL when it counted none, or its kind has no
 * refusal the gate can read (ts_gate_attempt_refused_by). */
char *ts_gate_attempt_encode(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
			     const struct ts_gate_request *req);

/* Reads text[0..len) back. INVALID_ARGUMENT, with out cleared, for what
 * ts_gate_attempt_encode did not make: a field missing, twice or unknown, a
 * bad escape or an escaped NUL, capable not 0 or 1, another kind, at not a
 * number of seconds. */
ts_err ts_gate_attempt_decode(const char *text, size_t len, struct ts_gate_attempt *out);
void ts_gate_attempt_clear(struct ts_gate_attempt *a);

/* Does the pool's answer (status, and body[0..len) where it tells) refuse
 * a credential of that kind: 401 for ntlm, negotiate and basic, 400 for
 * password, 500 with ErrorId 28020 for pin; nothing for the other kinds. */
bool ts_gate_attempt_refused_by(const char *kind, long status, const char *body, size_t len);

/* The usage event of a decoded attempt that the pool refused, seen at now:
 * dated when the attempt was (never later than now), so that it lands in
 * the attempt's hour and takes off that attempt, not a later sign-in. Its
 * kind is a static string (a metrics label), the rest points into a. */
struct ts_usage_event ts_gate_attempt_refused(const struct ts_gate_attempt *a, ts_time now);

#endif
