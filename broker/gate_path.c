/* RFC 3986 5.2.4 dot-segment removal over a decoded path, with the
 * Windows twists that make IIS read a path differently from a proxy. */
#include <glib.h>
#include <string.h>

#include "gate_path.h"

static bool unreserved(unsigned char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hex(unsigned char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value((char)c) : -1;
}

/* Decodes what IIS would decode; the escapes it keeps stay escaped. */
static ts_err decode(const char *in, size_t len, char *out, size_t *out_len)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int hi, lo;

		if (c != '%') {
			if (c == '\\' || c == '?' || c == '#' || c <= 0x20 || c >= 0x7f)
				return TS_ERR_GATE_PATH_AMBIGUOUS;
			out[n++] = (char)c;
			continue;
		}
		if (len - i < 3 || (hi = hex((unsigned char)in[i + 1])) < 0 ||
		    (lo = hex((unsigned char)in[i + 2])) < 0)
			return TS_ERR_GATE_PATH_AMBIGUOUS; /* also IIS's "%u002e" */
		c = (unsigned char)(hi << 4 | lo);
		i += 2;
		if (unreserved(c)) {
			out[n++] = (char)c;
			continue;
		}
		/* "/" and "\" would split segments only after decoding, "%"
		 * would decode twice, the rest is never in a name. */
		if (c == '/' || c == '\\' || c == '%' || c < 0x20 || c >= 0x7f)
			return TS_ERR_GATE_PATH_AMBIGUOUS;
		out[n++] = '%';
		out[n++] = digits[c >> 4];
		out[n++] = digits[c & 0xf];
	}
	*out_len = n;
	return TS_ERR_OK;
}

/* Windows drops trailing dots and spaces from a name, so "svc." and
 * "svc%20" would be "svc" to IIS but not to a pattern. */
static bool windows_trims(const char *seg, size_t n)
{
	return (n > 0 && seg[n - 1] == '.') || (n >= 3 && memcmp(seg + n - 3, "%20", 3) == 0);
}

ts_err ts_gate_path_normalise(const char *path, size_t len, char *out, size_t cap,
			      size_t *out_len)
{
	char decoded[TS_GATE_PATH_MAX];
	size_t n = 0, at = 0;
	bool trailing_slash = false;
	ts_err err;

	if (len == 0 || path[0] != '/' || len > TS_GATE_PATH_MAX || cap < len + 2)
		return TS_ERR_GATE_PATH_AMBIGUOUS;
	if ((err = decode(path, len, decoded, &n)) != TS_ERR_OK)
		return err;
	/* out holds "/seg/seg..." without the trailing slash as we go; a ".."
	 * cuts it back to the previous "/". */
	for (size_t i = 0; i < n;) {
		size_t j = i;
		const char *seg;
		size_t seg_len;

		while (j < n && decoded[j] != '/')
			j++;
		seg = decoded + i;
		seg_len = j - i;
		trailing_slash = j == n ? false : true;
		if (seg_len == 1 && seg[0] == '.') {
			trailing_slash = true;
		} else if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (at == 0)
				return TS_ERR_GATE_PATH_AMBIGUOUS;
			while (at > 0 && out[at - 1] != '/')
				at--;
			at--; /* the "/" itself */
			trailing_slash = true;
		} else if (seg_len > 0) {
			if (windows_trims(seg, seg_len))
				return TS_ERR_GATE_PATH_AMBIGUOUS;
			out[at++] = '/';
			memcpy(out + at, seg, seg_len);
			at += seg_len;
		}
		i = j + 1;
	}
	if (at == 0 || trailing_slash || (n > 0 && decoded[n - 1] == '/'))
		out[at++] = '/';
	out[at] = '\0';
	*out_len = at;
	return TS_ERR_OK;
}

bool ts_gate_path_match(const char *pattern, const char *path)
{
	size_t plen = strlen(pattern), len = strlen(path);

	/* One trailing "/" on the path does not make it another resource. */
	if (len > 1 && path[len - 1] == '/')
		len--;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '/') {
		const size_t tail = plen - 1; /* "/mex" */
		return len >= tail && g_ascii_strncasecmp(path + len - tail, pattern + 1, tail) == 0;
	}
	if (plen >= 2 && pattern[plen - 2] == '/' && pattern[plen - 1] == '*') {
		const size_t base = plen - 2; /* "/a/b" */
		if (base == 0)
			return true; /* "/ *" is everything */
		return len >= base && g_ascii_strncasecmp(path, pattern, base) == 0 &&
		       (len == base || path[base] == '/');
	}
	if (plen > 1 && pattern[plen - 1] == '/')
		plen--;
	return len == plen && g_ascii_strncasecmp(path, pattern, len) == 0;
}
