/* Bounded scans over bodies that are not NUL-terminated. */
#include <glib.h>
#include <string.h>

#include "gate_body.h"

static int hex(char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

/* Decodes in[0..len) ("+" is a space) into out; false for a bad escape, a
 * control byte, or more than cap - 1 bytes. */
static bool form_decode(const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (c == '%') {
			if (len - i < 3 || (hi = hex(in[i + 1])) < 0 || (lo = hex(in[i + 2])) < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || n + 1 >= cap)
			return false;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	*out_len = n;
	return true;
}

ts_err ts_gate_form_field(const char *text, size_t len, const char *name, char *out, size_t cap)
{
	const size_t name_len = strlen(name);
	bool found = false;

	for (size_t at = 0; at <= len;) {
		const char *field = text + at;
		const char *amp = memchr(field, '&', len - at);
		const size_t field_len = amp != NULL ? (size_t)(amp - field) : len - at;
		const char *eq = memchr(field, '=', field_len);
		const size_t key_len = eq != NULL ? (size_t)(eq - field) : field_len;
		char key[64];
		size_t k = 0, v = 0;

		at += field_len + 1;
		if (field_len == 0)
			continue;
		if (!form_decode(field, key_len, key, sizeof key, &k)) {
			/* A name too long to be ours may still be malformed. */
			if (key_len < sizeof key)
				return TS_ERR_GATE_BODY_UNREADABLE;
			continue;
		}
		if (k != name_len || g_ascii_strncasecmp(key, name, k) != 0)
			continue;
		if (found)
			return TS_ERR_GATE_CREDENTIAL_TWICE;
		found = true;
		if (eq == NULL) {
			out[0] = '\0';
		} else if (!form_decode(eq + 1, field_len - key_len - 1, out, cap, &v)) {
			return TS_ERR_GATE_BODY_UNREADABLE;
		}
	}
	return found ? TS_ERR_OK : TS_ERR_NOT_FOUND;
}

static bool name_char(char c)
{
	return g_ascii_isalnum(c) || c == ':' || c == '_' || c == '-' || c == '.';
}

/* The next tag at or after *at (a start tag, or an end tag when want_end)
 * whose local name (after any prefix) is local; *at moves past its name. */
static bool next_tag(const char *xml, size_t len, size_t *at, const char *local, bool want_end)
{
	const size_t n = strlen(local);

	for (size_t i = *at; i < len; i++) {
		size_t s, e;
		const char *colon;

		if (xml[i] != '<' || i + 1 >= len)
			continue;
		s = i + 1;
		if (xml[s] == '/') {
			if (!want_end)
				continue;
			s++;
		} else if (want_end) {
			continue;
		}
		for (e = s; e < len && name_char(xml[e]); e++)
			;
		colon = memrchr(xml + s, ':', e - s);
		if (colon != NULL)
			s = (size_t)(colon - xml) + 1;
		if (e - s == n && memcmp(xml + s, local, n) == 0) {
			*at = e;
			return true;
		}
	}
	return false;
}

ts_err ts_gate_soap_username(const char *xml, size_t len, const char **text, size_t *text_len)
{
	size_t at = 0, start, stop;
	const char *gt, *lt;

	*text = NULL;
	*text_len = 0;
	if (!next_tag(xml, len, &at, "UsernameToken", false) ||
	    !next_tag(xml, len, &at, "Username", false))
		return TS_ERR_NOT_FOUND;
	gt = memchr(xml + at, '>', len - at);
	if (gt == NULL || gt[-1] == '/')
		return TS_ERR_NOT_FOUND;
	start = (size_t)(gt - xml) + 1;
	lt = memchr(xml + start, '<', len - start);
	stop = lt != NULL ? (size_t)(lt - xml) : len;
	while (start < stop && g_ascii_isspace(xml[start]))
		start++;
	while (stop > start && g_ascii_isspace(xml[stop - 1]))
		stop--;
	*text = xml + start;
	*text_len = stop - start;
	return TS_ERR_OK;
}

bool ts_gate_soap_has_assertion(const char *xml, size_t len)
{
	size_t at = 0;

	while (next_tag(xml, len, &at, "Security", false)) {
		size_t assertion = at, closing = at;
		const bool has = next_tag(xml, len, &assertion, "Assertion", false);
		const bool closes = next_tag(xml, len, &closing, "Security", true);

		if (has && (!closes || assertion < closing))
			return true;
	}
	return false;
}
