/* GET /gate: the gate's verdict over HTTP, for nginx auth_request in front
 * of header-only upstreams, and for curl and tests. The original request
 * comes as X-Original-Method, X-Original-URI (path and query),
 * X-Original-Host (else Host), X-Real-IP or X-Forwarded-For, and the
 * client's own headers, which auth_request forwards. No body ever comes
 * (auth_request does not read it), so the body-aware paths (oauthtoken,
 * WebTicketService, CertProv) are judged unknown: put HAProxy and the SPOP
 * agent in front of those.
 *
 * Allowed: 200 with the X-Tessera-* identity headers (auth_request_set
 * copies them to the upstream request). Refused: the pool-like answer. Note
 * that auth_request passes only 401 and 403 on (anything else becomes its
 * own 500), and sends its own bodies: the full answer reaches clients only
 * through HAProxy. X-Tessera-Gate says what was decided, for operators.
 *
 * GET /.tessera/signin?return=PATH on a pool host is where the gate sends
 * browsers without a ticket: on to the broker's /signin for the pool the
 * Host names (which checks the return path), with the hash of the
 * browser's nonce on this host (browser_bind.h). */
#include <glib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "gate.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "gate_policy.h"

/* The client headers the decision reads (auth_request forwards all; MHD
 * gives the first of each name). */
static const char *const read_headers[] = {
	"Authorization", "Cookie", "User-Agent", "X-MS-WebTicket", "Content-Type", "Accept",
	"SOAPAction", "X-Tessera-User", "X-Tessera-Upn", "X-Tessera-Sid", "X-Tessera-Amr",
	"X-Tessera-Auth", "Origin", "Referer",
};
#define N_READ (sizeof read_headers / sizeof read_headers[0])
/* Room for each of them sent a few times: more is refused, not cut, so that
 * a credential sent twice is seen (the gate refuses it) as over SPOP. */
#define MAX_READ (4 * N_READ)

struct read_state {
	struct ts_gate_header headers[MAX_READ];
	size_t n;
	bool overflow;
};

/* Keeps every header the gate reads, each time it came. */
static bool keep_header(void *ctx, const char *name, const char *value)
{
	struct read_state *s = ctx;

	for (size_t i = 0; i < N_READ; i++) {
		if (g_ascii_strcasecmp(name, read_headers[i]) != 0)
			continue;
		if (s->n == MAX_READ) {
			s->overflow = true;
			return false;
		}
		s->headers[s->n++] =
			(struct ts_gate_header){name, strlen(name), value, strlen(value)};
		break;
	}
	return true;
}

/* X-Real-IP, else the last X-Forwarded-For hop (the one our proxy added). */
static char *source_of(const struct ts_http_request *req)
{
	const char *ip = ts_http_request_header(req, "X-Real-IP");
	const char *xff = ts_http_request_header(req, "X-Forwarded-For");
	const char *comma;

	if (ip != NULL)
		return g_strstrip(g_strdup(ip));
	if (xff == NULL)
		return g_strdup("");
	comma = strrchr(xff, ',');
	return g_strstrip(g_strdup(comma != NULL ? comma + 1 : xff));
}

static ts_err answer(struct ts_http_response *resp, const struct ts_gate_verdict *v)
{
	char *note = g_strdup_printf("%s; kind=%s; error=%s", ts_gate_outcome_name(v->outcome),
				     ts_gate_kind_name(v->kind), ts_errname(v->err));
	ts_err err = ts_http_add_header(resp, "X-Tessera-Gate", note);

	g_free(note);
	if (err != TS_ERR_OK)
		return err;
	if (v->outcome == TS_GATE_ALLOW) {
		for (size_t i = 0; i < TS_GATE_UPSTREAM_HEADERS && err == TS_ERR_OK; i++)
			err = ts_http_add_header(resp, v->upstream_headers[i].name,
						 v->upstream_headers[i].value);
		return err != TS_ERR_OK ? err : ts_http_respond(resp, 200, "text/plain", "", 0);
	}
	for (size_t i = 0; i < v->answer.n_headers && err == TS_ERR_OK; i++)
		/* The HTTP layer sends Cache-Control: no-store on every answer. */
		if (strcmp(v->answer.headers[i].name, "Cache-Control") != 0)
			err = ts_http_add_header(resp, v->answer.headers[i].name,
						 v->answer.headers[i].value);
	return err != TS_ERR_OK ? err
				: ts_http_respond(resp, v->answer.status, v->answer.content_type,
						  v->answer.body, v->answer.body_len);
}

TS_ROUTE(ts_route_gate)
{
	const char *method = ts_http_request_header(req, "X-Original-Method");
	const char *uri = ts_http_request_header(req, "X-Original-URI");
	const char *host = ts_http_request_header(req, "X-Original-Host");
	struct read_state *read;
	struct ts_gate_request g = {.content_length = -1};
	struct ts_gate_policy policy;
	struct ts_gate_verdict *v;
	const char *q;
	char *source;
	ts_err err;

	if (method == NULL || uri == NULL)
		return ts_http_refuse(resp, TS_ERR_GATE_REQUEST,
				      "send X-Original-Method and X-Original-URI", NULL, NULL);
	read = g_new0(struct read_state, 1);
	ts_http_request_headers_each(req, keep_header, read);
	if (read->overflow) {
		g_free(read);
		return ts_http_refuse(resp, TS_ERR_GATE_REQUEST,
				      "too many Authorization, Cookie or other headers the gate reads",
				      NULL, NULL);
	}
	g.headers = read->headers;
	g.n_headers = read->n;
	q = strchr(uri, '?');
	source = source_of(req);
	g.method = method;
	g.host = host != NULL ? host : ts_http_request_header(req, "Host");
	g.source = source;
	g.path = uri;
	g.path_len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	g.query = q != NULL ? q + 1 : NULL;
	g.query_len = q != NULL ? strlen(q + 1) : 0;
	/* The verdict holds several claim-sized buffers: keep it off the stack. */
	v = g_new0(struct ts_gate_verdict, 1);
	ts_gate_policy_begin(req->broker, req->rt, &policy);
	if ((err = ts_gate_decide(&policy, &g, v)) == TS_ERR_OK) {
		ts_gate_count(req->broker, v);
		err = answer(resp, v);
	}
	ts_gate_policy_end(&policy);
	ts_gate_verdict_clear(v);
	g_free(v);
	g_free(source);
	g_free(read);
	return err;
}

TS_ROUTE(ts_route_gate_signin)
{
	const struct ts_config *cfg = req->rt->config;
	const struct ts_config_pool *pool =
		ts_gate_pool_for_host(cfg, ts_http_request_header(req, "Host"));
	const char *ret = "/", *stepup = NULL;
	char *pool_q, *ret_q, *location;
	char bind[65];
	ts_err err;

	if (pool == NULL)
		return ts_http_refuse(resp, TS_ERR_GATE_HOST_UNKNOWN, NULL, NULL, NULL);
	err = ts_http_query(req, "return", &ret);
	if (err == TS_ERR_INVALID_ARGUMENT)
		return ts_http_refuse(resp, TS_ERR_RETURN_URL, "return= given twice", NULL, NULL);
	if (err == TS_ERR_NOT_FOUND)
		ret = "/";
	if (ts_http_query(req, "stepup", &stepup) != TS_ERR_OK || strcmp(stepup, "1") != 0)
		stepup = NULL;
	/* The code is redeemed on the pool's own host, not on another name
	 * the gate serves it under: its nonce must be set there. */
	if (!ts_http_host_is(req, pool->host))
		return ts_browser_bind_redirect(resp, pool->host, ret, stepup != NULL);
	/* The nonce this browser will redeem its hand-over code with here. */
	if ((err = ts_browser_bind(req, resp, &ts_browser_bind_cookie, bind)) != TS_ERR_OK)
		return err;
	pool_q = g_uri_escape_string(pool->name, NULL, FALSE);
	ret_q = g_uri_escape_string(ret, NULL, FALSE);
	location = g_strdup_printf("%s/signin?pool=%s&return=%s&bind=%s%s", cfg->broker.public_url,
				   pool_q, ret_q, bind, stepup != NULL ? "&stepup=1" : "");
	err = ts_http_redirect(resp, location);
	g_free(location);
	g_free(ret_q);
	g_free(pool_q);
	return err;
}
