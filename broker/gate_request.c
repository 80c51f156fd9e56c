/* Header and cookie lookups that count repeats: a credential sent twice is
 * one the gate and the pool could read differently. */
#include <glib.h>
#include <string.h>

#include "gate_request.h"

size_t ts_gate_header_get(const struct ts_gate_request *req, const char *name,
			  const char **value, size_t *len)
{
	const size_t n = strlen(name);
	size_t count = 0;

	*value = NULL;
	*len = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ts_gate_header *h = &req->headers[i];
		if (h->name_len != n || g_ascii_strncasecmp(h->name, name, n) != 0)
			continue;
		if (count++ == 0) {
			*value = h->value;
			*len = h->value_len;
		}
	}
	return count;
}

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

size_t ts_gate_cookie_get(const struct ts_gate_request *req, const char *name,
			  const char **value, size_t *len)
{
	const size_t n = strlen(name);
	size_t count = 0;

	*value = NULL;
	*len = 0;
	for (size_t i = 0; i < req->n_headers; i++) {
		const struct ts_gate_header *h = &req->headers[i];
		const char *p = h->value, *end = h->value + h->value_len;

		if (h->name_len != 6 || g_ascii_strncasecmp(h->name, "Cookie", 6) != 0)
			continue;
		while (p < end) {
			const char *semi = memchr(p, ';', (size_t)(end - p));
			const char *stop = semi != NULL ? semi : end;
			const char *eq;

			while (p < stop && is_ows(*p))
				p++;
			eq = memchr(p, '=', (size_t)(stop - p));
			if (eq != NULL && (size_t)(eq - p) == n &&
			    g_ascii_strncasecmp(p, name, n) == 0) {
				const char *v = eq + 1, *v_end = stop;
				while (v_end > v && is_ows(v_end[-1]))
					v_end--;
				count++;
				if (*value == NULL && memcmp(p, name, n) == 0) {
					*value = v;
					*len = (size_t)(v_end - v);
				}
			}
			p = stop + (semi != NULL);
		}
	}
	return count;
}

bool ts_gate_body_whole(const struct ts_gate_request *req)
{
	if (req->body == NULL || !req->body_complete)
		return false;
	return req->content_length < 0 || (unsigned long long)req->content_length == req->body_len;
}
