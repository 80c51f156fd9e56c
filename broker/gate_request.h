/* What the gate is asked about, as plain data any transport can fill: the
 * SPOP agent from an SPOE message, GET /gate from X-Original-* headers,
 * tests from literals. Nothing is copied; everything is borrowed for the
 * length of one decision. */
#ifndef TS_BROKER_GATE_REQUEST_H
#define TS_BROKER_GATE_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/err.h"

struct ts_gate_header {
	const char *name; /* any case */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct ts_gate_request {
	const char *method;   /* NUL-terminated: "GET", "POST", ... */
	const char *host;     /* NUL-terminated Host as sent (a ":port" is ignored); may be NULL */
	const char *source;   /* NUL-terminated client address as text, for records; may be NULL */
	const char *path;     /* as the client sent it, without the query */
	size_t path_len;
	const char *query;    /* after the "?"; NULL when there was none */
	size_t query_len;
	const struct ts_gate_header *headers; /* every request header, repeats included */
	size_t n_headers;
	long long content_length; /* the announced Content-Length; -1 when none was sent */
	/* The body on the body-aware paths (oauthtoken, WebTicketService,
	 * CertProv and other SOAP services), NULL when the transport sent
	 * none. body_complete is false when only a part was buffered; a
	 * body_len short of content_length counts as incomplete too. */
	const uint8_t *body;
	size_t body_len;
	bool body_complete;
};

/* The first value of a header (case-insensitive name) in *value and *len, and
 * how many times the header was sent (0: *value is NULL). */
size_t ts_gate_header_get(const struct ts_gate_request *req, const char *name,
			  const char **value, size_t *len);

/* The value of cookie name, by its exact spelling, across every Cookie
 * header, and how many times it was sent in any spelling: a planted
 * "__host-tessera" beside the real one is a credential sent twice (see
 * ts_http_cookie). *value is NULL when only other spellings came. */
size_t ts_gate_cookie_get(const struct ts_gate_request *req, const char *name,
			  const char **value, size_t *len);

/* The body as the decision may read it: present and whole. */
bool ts_gate_body_whole(const struct ts_gate_request *req);

#endif
