/* The gate's verdict as txn variables of an SPOE ACK, for
 * conf/haproxy/haproxy.cfg's rules:
 *
 *   verdict   allow | refuse: set last (but for attempt, best effort), so
 *             a verdict half-written (an ACK out of room) is no verdict,
 *             and HAProxy fails closed (503)
 *   kind, pool, stage, err, client     for logs and HAProxy's own rules
 *   user, upn, sid, amr, auth          when allowed: the X-Tessera-* values
 *   minted_by, claimed   when a legacy sign-in passed: its kind and the user
 *             it claims, for the "minted" message of the pool's answer
 *   attempt   when a legacy sign-in passed: the attempt (gate_attempt.h),
 *             for the "attempt-refused" message of the pool's 400/401/500
 *   shape, status, body, h_<name>[_2]  when refused: the answer's shape
 *             (one return rule each), its body and header values, named
 *             after the header (X-Ms-diagnostics → h_x_ms_diagnostics; a
 *             second WWW-Authenticate → h_www_authenticate_2) */
#include <glib.h>
#include <string.h>

#include "gate_ack.h"
#include "gate_path.h"
#include "tessera/log.h"

static ts_err set_text(struct ts_spop_ack *ack, const char *name, const char *value)
{
	return ts_spop_ack_set_string(ack, TS_SPOP_SCOPE_TXN, name, value, strlen(value));
}

/* h_ + the header name, lower case, '-' as '_'; _2 for a second one. */
static void header_var(char *out, size_t cap, const struct ts_gate_answer *a, size_t i)
{
	size_t seen = 0, k = 0;

	for (size_t j = 0; j < i; j++)
		seen += g_ascii_strcasecmp(a->headers[j].name, a->headers[i].name) == 0;
	k = (size_t)g_snprintf(out, cap, "h_");
	for (const char *c = a->headers[i].name; *c != '\0' && k + 1 < cap; c++)
		out[k++] = *c == '-' ? '_' : g_ascii_tolower(*c);
	out[k] = '\0';
	if (seen > 0)
		g_snprintf(out + k, cap - k, "_%zu", seen + 1);
}

/* A request on a minting path (under /WebTicket/) that passed without proving a
 * passive sign-in or a ticket: the ticket the pool answers with is to be
 * recorded (a legacy kind, but also none and unknown: a password grant the
 * gate could not read is still a password grant to the pool). */
static bool records_minting(const struct ts_gate_verdict *v)
{
	switch (v->kind) {
	case TS_GATE_KIND_ANONYMOUS:
	case TS_GATE_KIND_PASSIVE:
	case TS_GATE_KIND_POOL_TICKET:
	case TS_GATE_KIND_TESSERA_TICKET:
		return false;
	default:
		return v->path[0] == '\0' || ts_gate_path_match("/WebTicket/*", v->path);
	}
}

ts_err ts_gate_ack_verdict(struct ts_spop_ack *ack, const struct ts_gate_verdict *v,
			   const char *attempt)
{
	static const char *const identity_vars[TS_GATE_UPSTREAM_HEADERS] = {"user", "upn", "sid",
									    "amr", "auth"};
	ts_err err = TS_ERR_OK;

	if ((err = set_text(ack, "kind", ts_gate_kind_name(v->kind))) != TS_ERR_OK ||
	    (err = set_text(ack, "pool", v->pool)) != TS_ERR_OK ||
	    (err = set_text(ack, "stage", ts_gate_stage_name(v->stage))) != TS_ERR_OK ||
	    (err = set_text(ack, "err", ts_errname(v->err))) != TS_ERR_OK ||
	    (err = set_text(ack, "client", v->client->name)) != TS_ERR_OK)
		return err;
	if (v->outcome == TS_GATE_ALLOW) {
		/* The same order as upstream_headers: X-Tessera-User, -Upn, -Sid, -Amr, -Auth. */
		for (size_t i = 0; i < TS_GATE_UPSTREAM_HEADERS && err == TS_ERR_OK; i++)
			err = set_text(ack, identity_vars[i], v->upstream_headers[i].value);
		if (err == TS_ERR_OK && records_minting(v) &&
		    (err = set_text(ack, "minted_by", ts_gate_kind_name(v->kind))) == TS_ERR_OK)
			err = set_text(ack, "claimed", v->user[0] != '\0' ? v->user : "(unnamed)");
	} else {
		const struct ts_gate_answer *a = &v->answer;
		err = set_text(ack, "shape", ts_gate_shape_name(a->shape));
		if (err == TS_ERR_OK)
			err = ts_spop_ack_set_int(ack, TS_SPOP_SCOPE_TXN, "status", a->status);
		if (err == TS_ERR_OK)
			err = ts_spop_ack_set_string(ack, TS_SPOP_SCOPE_TXN, "body", a->body,
						     a->body_len);
		for (size_t i = 0; i < a->n_headers && err == TS_ERR_OK; i++) {
			char var[64];
			header_var(var, sizeof var, a, i);
			err = set_text(ack, var, a->headers[i].value);
		}
	}
	if (err == TS_ERR_OK)
		err = set_text(ack, "verdict", ts_gate_outcome_name(v->outcome));
	/* After the verdict, best effort: without it a refusal is not taken
	 * off (plan over-counts), but the verdict must fit first. */
	if (err == TS_ERR_OK && attempt != NULL &&
	    set_text(ack, "attempt", attempt) == TS_ERR_SPOP_ACK_FULL)
		ts_log(TS_LOG_WARN, "attempt_unsent", "pool", v->pool, "fix",
		       "raise tune.bufsize and [gate] spop_max_frame_size");
	return err;
}
