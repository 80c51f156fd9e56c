/* See gate_ticket.h. Plain bounded scans: the gate only needs to find the
 * identity again, the pool validates the ticket itself. */
#include <glib.h>
#include <string.h>

#include "gate_base64.h"
#include "gate_ticket.h"

#define WEBTICKET_DECODED_MAX 65536

static bool copy_id(const char *p, size_t n, char *id, size_t cap)
{
	if (n == 0 || n >= cap || memchr(p, '\0', n) != NULL)
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	return true;
}

/* The value of the first AssertionID="..." in text. */
static bool assertion_id(const char *text, size_t len, char *id, size_t cap)
{
	static const char attr[] = "AssertionID=\"";
	const size_t an = sizeof attr - 1;

	for (size_t i = 0; i + an <= len; i++)
		if (memcmp(text + i, attr, an) == 0) {
			const char *v = text + i + an;
			const char *end = memchr(v, '"', len - i - an);
			return end != NULL && copy_id(v, (size_t)(end - v), id, cap);
		}
	return false;
}

bool ts_gate_ticket_id_of_request(const struct ts_gate_request *req, char *id, size_t cap)
{
	const char *v;
	size_t n;

	if (ts_gate_header_get(req, "Authorization", &v, &n) == 1 && n > 11 &&
	    g_ascii_strncasecmp(v, "Bearer cwt=", 11) == 0)
		return copy_id(v + 7, n - 7, id, cap);
	if (ts_gate_header_get(req, "X-MS-WebTicket", &v, &n) == 1 && n > 7 &&
	    strncmp(v, "opaque=", 7) == 0) {
		uint8_t *decoded = g_malloc(WEBTICKET_DECODED_MAX);
		size_t dn;
		bool found = ts_gate_base64_decode(v + 7, n - 7, decoded, WEBTICKET_DECODED_MAX,
						   &dn) == TS_ERR_OK &&
			     assertion_id((const char *)decoded, dn, id, cap);
		g_free(decoded);
		return found;
	}
	return req->body != NULL && ts_gate_body_whole(req) &&
	       assertion_id((const char *)req->body, req->body_len, id, cap);
}

bool ts_gate_ticket_id_of_answer(const char *body, size_t len, char *id, size_t cap)
{
	static const char key[] = "\"access_token\"";
	const char *p = memmem(body, len, key, sizeof key - 1);

	if (p != NULL) { /* JSON: "access_token" : "cwt=..." */
		const char *end = body + len, *q;
		p += sizeof key - 1;
		while (p < end && (*p == ' ' || *p == ':'))
			p++;
		if (p >= end || *p++ != '"' || (q = memchr(p, '"', (size_t)(end - p))) == NULL)
			return false;
		return (size_t)(q - p) > 4 && memcmp(p, "cwt=", 4) == 0 &&
		       copy_id(p, (size_t)(q - p), id, cap);
	}
	return assertion_id(body, len, id, cap);
}
