/* The gate over SPOP: HAProxy's SPOE messages "gate" and "gate-body"
 * (conf/haproxy/tessera-spoe.conf) become a struct ts_gate_request, and
 * the verdict becomes txn variables for conf/haproxy/haproxy.cfg's rules
 * (gate_ack.c lists them).
 *
 * Message arguments: method, path, query, host (the name haproxy.cfg
 * routes on), hdrs (req.hdrs_bin), src,
 * and on body paths body, blen (req.body_len), bsize (req.body_size).
 *
 * Message "minted" (response phase, a pool's 200 to a legacy sign-in):
 * pool, kind, user and body (res.body): the ticket in it is recorded, so
 * that once the pool is passive it is refused (gate_cutover.c).
 *
 * Message "attempt-refused" (response phase, a pool's 400, 401 or 500 to a
 * legacy sign-in): attempt, status and body (res.body), recorded as
 * pool-refused when they refuse the credential (gate_attempt.h). */
#include <arpa/inet.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "gate.h"
#include "gate_ack.h"
#include "gate_attempt.h"
#include "gate_policy.h"
#include "gate_ticket.h"
#include "tessera/cutover.h"
#include "gate_spop.h"
#include "metrics.h"
#include "runtime.h"
#include "spop.h"
#include "tessera/log.h"

#define MAX_HEADERS 128
#define POOL_TICKET_LIFETIME (8 * 3600 + 300)

struct gate_args {
	char method[32];
	char source[INET6_ADDRSTRLEN];
	struct ts_spop_bytes path, query, host, hdrs, body;
	bool has_body;
	int64_t blen, bsize;
};

static bool name_is(struct ts_spop_bytes b, const char *name)
{
	return ts_spop_bytes_eq(b, name);
}

static bool is_text(const struct ts_spop_value *v)
{
	return v->type == TS_SPOP_STRING || v->type == TS_SPOP_BINARY;
}

static int64_t as_int(const struct ts_spop_value *v)
{
	switch (v->type) {
	case TS_SPOP_INT32:
	case TS_SPOP_INT64:
		return v->u.sint;
	case TS_SPOP_UINT32:
	case TS_SPOP_UINT64:
		return v->u.uint > INT64_MAX ? -1 : (int64_t)v->u.uint;
	default:
		return -1;
	}
}

static void copy_text(char *dst, size_t cap, struct ts_spop_bytes b)
{
	size_t n = b.len < cap - 1 ? b.len : cap - 1;
	memcpy(dst, b.ptr, n);
	dst[n] = '\0';
}

static void read_args(const struct ts_spop_message *m, struct gate_args *a)
{
	memset(a, 0, sizeof *a);
	a->blen = a->bsize = -1;
	for (size_t i = 0; i < m->n_args; i++) {
		const struct ts_spop_arg *arg = &m->args[i];
		const struct ts_spop_value *v = &arg->value;
		if (name_is(arg->name, "method") && is_text(v))
			copy_text(a->method, sizeof a->method, v->u.bytes);
		else if (name_is(arg->name, "path") && is_text(v))
			a->path = v->u.bytes;
		else if (name_is(arg->name, "query") && is_text(v))
			a->query = v->u.bytes;
		else if (name_is(arg->name, "host") && is_text(v))
			a->host = v->u.bytes;
		else if (name_is(arg->name, "hdrs") && is_text(v))
			a->hdrs = v->u.bytes;
		else if (name_is(arg->name, "body") && is_text(v))
			a->body = v->u.bytes, a->has_body = true;
		else if (name_is(arg->name, "blen"))
			a->blen = as_int(v);
		else if (name_is(arg->name, "bsize"))
			a->bsize = as_int(v);
		else if (name_is(arg->name, "src") && v->type == TS_SPOP_IPV4)
			inet_ntop(AF_INET, v->u.ipv4, a->source, sizeof a->source);
		else if (name_is(arg->name, "src") && v->type == TS_SPOP_IPV6)
			inet_ntop(AF_INET6, v->u.ipv6, a->source, sizeof a->source);
	}
}

/* req.hdrs_bin: (varint length, name, varint length, value)* ending with
 * two empty strings. false when malformed or past MAX_HEADERS. */
static bool read_headers(struct ts_spop_bytes bin, struct ts_gate_header *out, size_t *n)
{
	struct ts_spop_reader r = {bin.ptr, bin.ptr + bin.len};

	*n = 0;
	for (;;) {
		uint64_t len[2];
		const uint8_t *text[2];
		for (int k = 0; k < 2; k++) {
			if (ts_spop_varint_decode(&r, &len[k]) != TS_ERR_OK ||
			    len[k] > (uint64_t)(r.end - r.pos))
				return false;
			text[k] = r.pos;
			r.pos += len[k];
		}
		if (len[0] == 0)
			return len[1] == 0 && r.pos == r.end;
		if (*n == MAX_HEADERS)
			return false;
		out[(*n)++] = (struct ts_gate_header){(const char *)text[0], (size_t)len[0],
						      (const char *)text[1], (size_t)len[1]};
	}
}

/* Content-Length as announced, -1 when absent or not a number. */
static long long content_length(const struct ts_gate_request *g)
{
	const char *v;
	size_t n;
	long long value = 0;

	if (ts_gate_header_get(g, "Content-Length", &v, &n) != 1 || n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		value = value * 10 + (v[i] - '0');
	}
	return value;
}

/* The whole body, or not: HAProxy says so for a Content-Length body
 * (req.body_len == req.body_size); a chunked one cut at the buffer has no
 * reliable sign (sfb-protocol.md 9.1), so it is never taken as whole. */
static bool body_complete(const struct ts_gate_request *g, const struct gate_args *a)
{
	const char *v;
	size_t n;

	if (!a->has_body || ts_gate_header_get(g, "Transfer-Encoding", &v, &n) > 0)
		return false;
	return a->blen >= 0 && a->blen == a->bsize && (int64_t)a->body.len == a->blen &&
	       g->content_length == a->bsize;
}


static void decide(struct ts_broker *broker, const struct ts_spop_message *m,
		   struct ts_spop_ack *ack)
{
	struct ts_gate_header headers[MAX_HEADERS];
	struct gate_args a;
	struct ts_gate_request g = {.content_length = -1};
	struct ts_gate_verdict *v;
	struct ts_runtime *rt;
	char *host = NULL, *attempt = NULL;
	const char *hv;
	size_t hn;
	ts_err err;

	read_args(m, &a);
	if (a.method[0] == '\0' || a.path.ptr == NULL || !read_headers(a.hdrs, headers, &g.n_headers)) {
		/* No verdict: HAProxy answers 503 (fail closed). */
		ts_log_error(TS_LOG_WARN, "gate_refused", TS_ERR_GATE_REQUEST, "detail",
			     "SPOE message lacks method or path, or its headers are malformed");
		return;
	}
	g.headers = headers;
	g.method = a.method;
	g.source = a.source;
	g.path = (const char *)a.path.ptr;
	g.path_len = a.path.len;
	g.query = a.query.ptr != NULL ? (const char *)a.query.ptr : NULL;
	g.query_len = a.query.len;
	/* The host HAProxy routes on (its routing key), else the header. */
	if (a.host.ptr != NULL)
		host = g_strndup((const char *)a.host.ptr, a.host.len);
	else if (ts_gate_header_get(&g, "Host", &hv, &hn) == 1)
		host = g_strndup(hv, hn);
	g.host = host != NULL ? host : "";
	g.content_length = content_length(&g);
	if (a.has_body) {
		g.body = a.body.ptr;
		g.body_len = a.body.len;
		g.body_complete = body_complete(&g, &a);
	}

	rt = ts_runtime_acquire(broker);
	v = g_new0(struct ts_gate_verdict, 1); /* claim-sized buffers: off the stack */
	struct ts_gate_policy policy;
	ts_gate_policy_begin(broker, rt, &policy);
	if ((err = ts_gate_decide(&policy, &g, v)) == TS_ERR_OK) {
		ts_gate_count(broker, v);
		if (v->outcome == TS_GATE_ALLOW)
			attempt = ts_gate_attempt_encode(&policy, v, &g);
		if ((err = ts_gate_ack_verdict(ack, v, attempt)) != TS_ERR_OK)
			ts_log_error(TS_LOG_ERR, "gate_verdict_unsent", err, "pool", v->pool,
				     "fix", "raise tune.bufsize and [gate] spop_max_frame_size");
	}
	ts_gate_policy_end(&policy);
	ts_gate_verdict_clear(v);
	g_free(v);
	ts_runtime_release(rt);
	g_free(attempt);
	g_free(host);
}

/* A pool's answer to a legacy sign-in: record the ticket it minted. */
static void minted(struct ts_broker *broker, const struct ts_spop_message *m)
{
	struct ts_spop_bytes pool = {0}, kind = {0}, user = {0}, body = {0};
	struct ts_pool_ticket t = {0};
	char *id = g_malloc(TS_GATE_TICKET_ID_MAX + 1);
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; i < m->n_args; i++) {
		const struct ts_spop_arg *arg = &m->args[i];
		if (!is_text(&arg->value))
			continue;
		if (name_is(arg->name, "pool"))
			pool = arg->value.u.bytes;
		else if (name_is(arg->name, "kind"))
			kind = arg->value.u.bytes;
		else if (name_is(arg->name, "user"))
			user = arg->value.u.bytes;
		else if (name_is(arg->name, "body"))
			body = arg->value.u.bytes;
	}
	if (broker->cutover != NULL && pool.len > 0 && kind.len > 0 && body.ptr != NULL &&
	    ts_gate_ticket_id_of_answer((const char *)body.ptr, body.len, id,
					TS_GATE_TICKET_ID_MAX + 1) &&
	    (err = ts_cutover_ticket_hash(id, strlen(id), t.hash)) == TS_ERR_OK) {
		const ts_time now = ts_clock_now(&broker->clock);
		t.pool = g_strndup((const char *)pool.ptr, pool.len);
		t.kind = g_strndup((const char *)kind.ptr, kind.len);
		t.user = g_strndup((const char *)user.ptr, user.len);
		/* Pool web tickets live up to 8 h (sfb-protocol.md 8, item 2). */
		t.expires_at = now + POOL_TICKET_LIFETIME;
		err = ts_cutover_tickets_put(broker->cutover, &t, 1, now);
		if (err == TS_ERR_OK)
			ts_log(TS_LOG_INFO, "pool_ticket_recorded", "pool", t.pool, "kind", t.kind,
			       "user", t.user);
		g_free(t.pool);
		g_free(t.kind);
		g_free(t.user);
	} else if (broker->cutover != NULL && body.ptr != NULL) {
		err = TS_ERR_GATE_TICKET_UNREADABLE; /* a 200 to a minting request, no ticket seen */
	}
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_WARN, "pool_ticket_unrecorded", err, "detail",
			     "a ticket minted by a legacy sign-in will not be refused in passive");
	g_free(id);
}

/* The pool's 400, 401 or 500 to a legacy sign-in the gate let through: if
 * it refuses that kind's credential, the attempt signed nobody in. */
static void attempt_refused(struct ts_broker *broker, const struct ts_spop_message *m)
{
	const struct ts_spop_bytes *attempt = NULL, *body = NULL;
	struct ts_gate_attempt a;
	struct ts_usage_event ev;
	long status = 0;
	ts_err err;

	for (size_t i = 0; i < m->n_args; i++) {
		const struct ts_spop_value *v = &m->args[i].value;
		if (name_is(m->args[i].name, "attempt") && is_text(v) && attempt == NULL)
			attempt = &v->u.bytes;
		else if (name_is(m->args[i].name, "body") && is_text(v) && body == NULL)
			body = &v->u.bytes;
		else if (name_is(m->args[i].name, "status") &&
			 (v->type == TS_SPOP_INT32 || v->type == TS_SPOP_INT64))
			status = (long)v->u.sint;
	}
	if (attempt == NULL || (err = ts_gate_attempt_decode((const char *)attempt->ptr,
							      attempt->len, &a)) != TS_ERR_OK) {
		ts_log_error(TS_LOG_WARN, "attempt_unrecorded", TS_ERR_INVALID_ARGUMENT, "detail",
			     "attempt-refused without a readable attempt");
		return;
	}
	if (ts_gate_attempt_refused_by(a.kind, status,
				       body != NULL ? (const char *)body->ptr : NULL,
				       body != NULL ? body->len : 0)) {
		ev = ts_gate_attempt_refused(&a, ts_clock_now(&broker->clock));
		ts_metrics_legacy(broker->metrics, ev.pool, ev.kind,
				  ts_usage_decision_name(ev.decision));
		/* A full table's drop is counted there (ts_usage_stats). */
		if (broker->usage != NULL && (err = ts_usage_record(broker->usage, &ev)) != TS_ERR_OK &&
		    err != TS_ERR_STORE_FULL)
			ts_log_error(TS_LOG_WARN, "attempt_unrecorded", err, "pool", ev.pool);
	}
	ts_gate_attempt_clear(&a);
}

void ts_gate_spop_notify(void *ctx, const struct ts_spop_message *msgs, size_t n,
			 struct ts_spop_ack *ack)
{
	for (size_t i = 0; i < n; i++) {
		if (ts_spop_bytes_eq(msgs[i].name, "gate") ||
		    ts_spop_bytes_eq(msgs[i].name, "gate-body")) {
			decide(ctx, &msgs[i], ack);
			return; /* one verdict per request */
		}
		if (ts_spop_bytes_eq(msgs[i].name, "minted")) {
			minted(ctx, &msgs[i]);
			return;
		}
		if (ts_spop_bytes_eq(msgs[i].name, "attempt-refused")) {
			attempt_refused(ctx, &msgs[i]);
			return;
		}
	}
}
