/* The broker's HTTP layer. Handlers see ts_http_request / ts_http_response
 * only; libmicrohttpd stays inside broker/http.c. */
#ifndef TS_BROKER_HTTP_H
#define TS_BROKER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/err.h"

struct ts_broker;
struct ts_runtime;

#define TS_HTTP_MAX_HEADERS 16

struct ts_http_request {
	struct ts_broker *broker;
	struct ts_runtime *rt; /* held for the whole request */
	const char *method;
	const char *path; /* as received, before any query string */
	const char *body; /* NUL-terminated; body_len excludes the NUL */
	size_t body_len;
	void *conn; /* for the accessors below; opaque to handlers */
};

struct ts_http_header {
	const char *name;
	char *value; /* owned */
};

/* Work an answer waits for, such as a batched store write
 * (broker/request_batch.c). The HTTP layer suspends the connection, then
 * calls start; once done(arg, err) is called, from any thread, the answer
 * goes out, or if err is not OK a refusal naming err. A hold never started
 * is freed by discard. */
typedef void (*ts_http_hold_done)(void *arg, ts_err err);
struct ts_http_hold {
	void (*start)(void *work, ts_http_hold_done done, void *arg);
	void (*discard)(void *work);
	void *work;
};

struct ts_http_response {
	int status;
	const char *content_type;
	char *body; /* owned (malloc), may be NULL */
	size_t body_len;
	struct ts_http_header headers[TS_HTTP_MAX_HEADERS];
	size_t n_headers;
	/* Set when the handler refused the request: counted and logged by name. */
	ts_err refusal;
	/* Set (work not NULL) when the answer must wait: see above. */
	struct ts_http_hold hold;
};

/* A route handler fills resp. An error it returns (instead of an answer it
 * wrote itself) becomes the registry's status with the error's name. */
typedef ts_err (*ts_route_handler)(const struct ts_http_request *req,
				   struct ts_http_response *resp);

struct ts_route {
	const char *method;
	const char *path;
	ts_route_handler handler;
};

/* The route table (broker/routes.c): lookup, and names for metrics (the
 * last name counts requests that matched no route). */
ts_err ts_routes_find(const char *method, const char *path, ts_route_handler *out,
		      size_t *index, const char **allow);
const char *const *ts_routes_names(size_t *n);

/* Request accessors. A query parameter or form field given twice is
 * INVALID_ARGUMENT: which copy would a check have seen? */
const char *ts_http_request_header(const struct ts_http_request *req, const char *name);
/* Every request header in the order received (a name sent twice, twice),
 * until visit returns false. */
void ts_http_request_headers_each(const struct ts_http_request *req,
				  bool (*visit)(void *ctx, const char *name, const char *value),
				  void *ctx);
/* A cookie by its exact name; NULL when absent or sent twice (in any case). */
const char *ts_http_cookie(const struct ts_http_request *req, const char *name);
/* The same, and how many times name came in any spelling (*seen). */
const char *ts_http_cookie_seen(const struct ts_http_request *req, const char *name,
				unsigned *seen);
/* Does the Host header, without its port, name host (case-insensitively). */
bool ts_http_host_is(const struct ts_http_request *req, const char *host);
ts_err ts_http_query(const struct ts_http_request *req, const char *name, const char **value);
/* A field of an application/x-www-form-urlencoded body; *value is malloc'd. */
ts_err ts_http_form(const struct ts_http_request *req, const char *name, char **value,
		    size_t *len);

/* Answers. */
ts_err ts_http_respond(struct ts_http_response *resp, int status, const char *content_type,
		       const char *body, size_t len);
ts_err ts_http_respond_text(struct ts_http_response *resp, int status, const char *text);
ts_err ts_http_add_header(struct ts_http_response *resp, const char *name, const char *value);
ts_err ts_http_redirect(struct ts_http_response *resp, const char *location);
/* __Host- cookies: Secure, HttpOnly, SameSite=Lax, Path=/; max_age 0 clears. */
ts_err ts_http_set_cookie(struct ts_http_response *resp, const char *name, const char *value,
			  long max_age);
/* The same without Max-Age (the browser keeps it until it closes), and
 * SameSite as given: "None" for a cookie an IdP's cross-site POST carries,
 * NULL for none at all. */
ts_err ts_http_set_session_cookie(struct ts_http_response *resp, const char *name,
				  const char *value, const char *same_site);
/* A refusal as a page: status from the registry, the error's name, a
 * sentence, the detail, and optionally one link (escaped). */
ts_err ts_http_refuse(struct ts_http_response *resp, ts_err err, const char *detail,
		      const char *link_text, const char *link_url);

/* Starts listening as the broker's config says; the bound port is logged and
 * stored in broker->bound_port. */
ts_err ts_http_start(struct ts_broker *broker);
void ts_http_stop(struct ts_broker *broker);

#endif
