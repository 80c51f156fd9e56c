/* Return URL checks, written to beat the mod_auth_mellon open redirects
 * (CVE-2019-3877, CVE-2019-13038, CVE-2021-3639): the URL is reduced to a
 * path on one known host, and the path is checked after one more round of
 * percent-decoding, so neither form can lead a browser elsewhere. */
#include <glib.h>
#include <stdbool.h>
#include <string.h>

#include "return_url.h"

#define MAX_URL 2048

/* Characters a path and query may hold (RFC 3986 pchar, '/', '?', '%'). */
static bool path_char(unsigned char c)
{
	return g_ascii_isalnum(c) || strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

static int hex(unsigned char c)
{
	return g_ascii_isxdigit(c) ? g_ascii_xdigit_value((char)c) : -1;
}

/* The path as a browser could end up reading it after decoding it again. */
static bool path_safe_decoded(const char *path)
{
	char decoded[MAX_URL + 1];
	size_t n = 0;

	for (size_t i = 0; path[i] != '\0'; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c == '%') {
			int hi = hex((unsigned char)path[i + 1]);
			int lo = hi >= 0 ? hex((unsigned char)path[i + 2]) : -1;
			if (lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		/* An encoded space is a path; controls and '\' lead elsewhere. */
		if (c < 0x20 || c >= 0x7f || c == '\\')
			return false;
		decoded[n++] = (char)c;
	}
	decoded[n] = '\0';
	/* "//host" and "/\host" after decoding are other hosts to a browser. */
	return decoded[0] == '/' && decoded[1] != '/' && decoded[1] != '\\';
}

static bool host_matches(const char *authority, size_t len, const char *pool_host)
{
	const char *colon = memchr(authority, ':', len);
	size_t host_len = colon != NULL ? (size_t)(colon - authority) : len;

	if (memchr(authority, '@', len) != NULL) /* userinfo: "pool@evil" */
		return false;
	if (colon != NULL && !(len - host_len == 4 && memcmp(colon, ":443", 4) == 0))
		return false;
	return host_len == strlen(pool_host) &&
	       g_ascii_strncasecmp(authority, pool_host, host_len) == 0;
}

ts_err ts_return_url_check(const char *url, const char *pool_host, char **path)
{
	const char *p = url;
	size_t len = strnlen(url, MAX_URL + 1);

	*path = NULL;
	if (len == 0 || len > MAX_URL)
		return TS_ERR_RETURN_URL;
	for (size_t i = 0; i < len; i++)
		if (!path_char((unsigned char)url[i]))
			return TS_ERR_RETURN_URL; /* controls, spaces, '\', '#', non-ASCII */
	if (g_ascii_strncasecmp(url, "https://", 8) == 0) {
		const char *auth = url + 8;
		size_t auth_len = strcspn(auth, "/?");

		if (!host_matches(auth, auth_len, pool_host))
			return TS_ERR_RETURN_URL;
		p = auth + auth_len;
		if (*p == '\0' || *p == '?') { /* "https://host" or "https://host?q" */
			char *rooted = g_strconcat("/", p, NULL);
			if (!path_safe_decoded(rooted)) {
				g_free(rooted);
				return TS_ERR_RETURN_URL;
			}
			*path = rooted;
			return TS_ERR_OK;
		}
	}
	/* Only a path is left; "//host", "///host" and "http:host" fail here. */
	if (p[0] != '/' || p[1] == '/' || !path_safe_decoded(p))
		return TS_ERR_RETURN_URL;
	*path = g_strdup(p);
	return TS_ERR_OK;
}
