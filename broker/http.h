/* The broker's HTTP layer. Handlers see ts_http_request / ts_http_response
 * only; libmicrohttpd stays inside broker/http.c. */
#ifndef TS_BROKER_HTTP_H
#define TS_BROKER_HTTP_H

#include <stddef.h>

#include "tessera/err.h"

struct ts_broker;

#define TS_HTTP_MAX_HEADERS 16

struct ts_http_request {
	const char *method;
	const char *path; /* as received, before any query string */
	const char *body; /* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	void *conn; /* for ts_http_request_header(); opaque to handlers */
};

struct ts_http_header {
	const char *name;
	char *value; /* owned */
};

struct ts_http_response {
	int status;
	const char *content_type;
	char *body; /* owned, may be NULL */
	size_t body_len;
	struct ts_http_header headers[TS_HTTP_MAX_HEADERS];
	size_t n_headers;
};

/* A route handler fills resp; an error it returns becomes the registry's
 * status with the error's name in the body, and a log line. */
typedef ts_err (*ts_route_handler)(struct ts_broker *broker, const struct ts_http_request *req,
				   struct ts_http_response *resp);

struct ts_route {
	const char *method;
	const char *path;
	ts_route_handler handler;
};

/* The route table (broker/routes.c) and its lookup. */
ts_err ts_routes_find(const char *method, const char *path, ts_route_handler *out,
		      const char **allow);

const char *ts_http_request_header(const struct ts_http_request *req, const char *name);
ts_err ts_http_respond_text(struct ts_http_response *resp, int status, const char *text);
ts_err ts_http_add_header(struct ts_http_response *resp, const char *name, const char *value);

/* Starts listening as the broker's config says; the bound port is logged and
 * stored in broker->bound_port. */
ts_err ts_http_start(struct ts_broker *broker);
void ts_http_stop(struct ts_broker *broker);

#endif
