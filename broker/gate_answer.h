/* How the gate refuses: the answer a pool itself would give in that place,
 * so clients show a sensible message instead of prompting in a loop
 * (sfb-protocol.md sections 2, 3 and 8.5). Plain data: a status, a content
 * type, a few headers and a body, which HTTP (GET /gate) sends as they are
 * and the SPOP agent turns into variables for an HAProxy return rule. */
#ifndef TS_BROKER_GATE_ANSWER_H
#define TS_BROKER_GATE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>

#include "client_family.h"
#include "gate_request.h"
#include "tessera/err.h"

enum ts_gate_shape {
	TS_GATE_SHAPE_OAUTH,	     /* oauthtoken: 400 JSON unsupported_grant_type, 28029 */
	TS_GATE_SHAPE_SOAP_FAULT,    /* WebTicketService, CertProv, SOAP: 500 OCSDiagnosticsFault */
	TS_GATE_SHAPE_BEARER,	     /* UCWA, JSON Autodiscover: 401 Bearer + MsRtcOAuth */
	TS_GATE_SHAPE_WEBTICKET_URL, /* XML Autodiscover: 401 X-MS-WebTicketURL */
	TS_GATE_SHAPE_SIGNIN,	     /* browsers on a web upstream: 302 /.tessera/signin */
	TS_GATE_SHAPE_WEB_401,	     /* other clients on a web upstream: 401 Bearer */
	TS_GATE_SHAPE_FORBIDDEN,     /* anything else: 403 with the 28029 diagnostic */
	TS_GATE_SHAPE__COUNT
};

/* "oauth", "soap-fault", ...: for logs and tests. */
const char *ts_gate_shape_name(enum ts_gate_shape shape);

/* The shape for a refused request: by upstream, then the (normalised) path,
 * the request's Accept / Content-Type / SOAPAction, and the client. */
enum ts_gate_shape ts_gate_answer_shape(bool sfb_upstream, const char *path,
					const struct ts_gate_request *req,
					const struct ts_client_family_info *client);

#define TS_GATE_ANSWER_MAX_HEADERS 4

struct ts_gate_answer {
	enum ts_gate_shape shape;
	int status;
	const char *content_type; /* static */
	struct {
		const char *name; /* static */
		char *value;	  /* owned */
	} headers[TS_GATE_ANSWER_MAX_HEADERS];
	size_t n_headers;
	char *body; /* owned, NUL-terminated; body_len excludes the NUL */
	size_t body_len;
};

struct ts_gate_answer_params {
	const char *host;	     /* the pool's public web host (from config, never the request) */
	const char *grant_types;     /* MsRtcOAuth grant_type list */
	const char *return_path;     /* SIGNIN: where the browser was going, as sent */
	size_t return_path_len;
};

/* Fills out for shape; ts_gate_answer_clear() frees it (also after an error). */
ts_err ts_gate_answer_render(enum ts_gate_shape shape, const struct ts_gate_answer_params *p,
			     struct ts_gate_answer *out);
void ts_gate_answer_clear(struct ts_gate_answer *a);

#endif
