/* See gate_ticket.h. Plain bounded scans: the gate only needs to find the
 * identity again, the pool validates the ticket itself. */
#include <glib.h>
#include <string.h>

#include "gate_base64.h"
#include "gate_ticket.h"

#define WEBTICKET_DECODED_MAX 65536

struct scan {
	ts_gate_ticket_id_fn fn;
	void *arg;
	bool stop;
	bool readable;
};

static void found(struct scan *s, const char *id, size_t n)
{
	if (s->stop)
		return;
	if (n == 0 || n > TS_GATE_TICKET_ID_MAX || memchr(id, '\0', n) != NULL) {
		s->readable = false;
		return;
	}
	s->stop = s->fn(s->arg, id, n);
}

/* Every AssertionID="..." or AssertionID='...' in text (the XML allows
 * either quote); *any says whether there was one. */
static void assertion_ids(struct scan *s, const char *text, size_t len, bool *any)
{
	static const char attr[] = "AssertionID=";
	const size_t an = sizeof attr - 1;
	const char *p = text, *end = text + len;

	*any = false;
	while ((p = memmem(p, (size_t)(end - p), attr, an)) != NULL) {
		const char *v = p + an, *close;
		p = v;
		*any = true;
		if (v >= end || (*v != '"' && *v != '\'') ||
		    (close = memchr(v + 1, *v, (size_t)(end - v - 1))) == NULL) {
			s->readable = false;
			continue;
		}
		found(s, v + 1, (size_t)(close - v - 1));
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Authorization: Bearer cwt=... (scheme in any case, any spaces). */
static void bearer(struct scan *s, const char *v, size_t n)
{
	const char *end = v + n;

	while (v < end && is_space(*v))
		v++;
	if ((size_t)(end - v) < 7 || g_ascii_strncasecmp(v, "Bearer", 6) != 0 || !is_space(v[6]))
		return;
	for (v += 6; v < end && is_space(*v); v++)
		;
	while (end > v && is_space(end[-1]))
		end--;
	if ((size_t)(end - v) > 4 && g_ascii_strncasecmp(v, "cwt=", 4) == 0)
		found(s, v, (size_t)(end - v));
}

/* X-MS-WebTicket: [opaque=]BASE64 of the SAML web ticket. */
static void webticket(struct scan *s, const char *v, size_t n)
{
	const char *end = v + n;
	uint8_t *decoded;
	size_t dn;
	bool any;

	while (v < end && is_space(*v))
		v++;
	while (end > v && is_space(end[-1]))
		end--;
	if ((size_t)(end - v) > 7 && g_ascii_strncasecmp(v, "opaque=", 7) == 0)
		v += 7;
	decoded = g_malloc(WEBTICKET_DECODED_MAX);
	if (ts_gate_base64_decode(v, (size_t)(end - v), decoded, WEBTICKET_DECODED_MAX, &dn) !=
	    TS_ERR_OK) {
		s->readable = false;
	} else {
		assertion_ids(s, (const char *)decoded, dn, &any);
		s->readable &= any;
	}
	g_free(decoded);
}

bool ts_gate_ticket_ids(const struct ts_gate_request *req, ts_gate_ticket_id_fn fn, void *arg)
{
	struct scan s = {fn, arg, false, true};
	const char *v;
	size_t n;
	bool any;

	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ts_gate_header *h = &req->headers[i];
		if (h->name_len == 13 && g_ascii_strncasecmp(h->name, "Authorization", 13) == 0)
			bearer(&s, h->value, h->value_len);
		else if (h->name_len == 14 && g_ascii_strncasecmp(h->name, "X-MS-WebTicket", 14) == 0)
			webticket(&s, h->value, h->value_len);
	}
	if (req->body != NULL && req->body_len > 0) {
		if (!ts_gate_body_whole(req))
			return false;
		v = (const char *)req->body;
		n = req->body_len;
		assertion_ids(&s, v, n, &any);
		/* An assertion whose AssertionID the scan cannot see. */
		if (!any && memmem(v, n, "Assertion", 9) != NULL && memmem(v, n, "Security", 8))
			s.readable = false;
	}
	return s.readable;
}

struct first_id {
	char *id;
	size_t cap;
	bool copied;
};

static bool copy_first(void *arg, const char *id, size_t len)
{
	struct first_id *f = arg;

	if (len < f->cap) {
		memcpy(f->id, id, len);
		f->id[len] = '\0';
		f->copied = true;
	}
	return true; /* the pool's own answer: its first assertion is the ticket */
}

bool ts_gate_ticket_id_of_answer(const char *body, size_t len, char *id, size_t cap)
{
	static const char key[] = "\"access_token\"";
	const char *p = memmem(body, len, key, sizeof key - 1), *end = body + len, *q;
	struct first_id first = {id, cap, false};
	struct scan s = {copy_first, &first, false, true};
	bool any;

	if (p == NULL) { /* SOAP: the web ticket's AssertionID */
		assertion_ids(&s, body, len, &any);
		return first.copied;
	}
	/* JSON: "access_token" : "cwt=..." */
	p += sizeof key - 1;
	while (p < end && (*p == ' ' || *p == ':'))
		p++;
	if (p >= end || *p++ != '"' || (q = memchr(p, '"', (size_t)(end - p))) == NULL ||
	    (size_t)(q - p) <= 4 || memcmp(p, "cwt=", 4) != 0)
		return false;
	found(&s, p, (size_t)(q - p));
	return first.copied;
}
