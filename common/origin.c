/* See tessera/origin.h. Strict on purpose: what does not parse matches
 * nothing, so an odd Origin is treated as another site's. */
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tessera/origin.h"

static const struct {
	const char *prefix;
	const char *default_port;
} schemes[] = {{"https://", "443"}, {"http://", "80"}};

static bool host_char(char c)
{
	return g_ascii_isalnum(c) || c == '-' || c == '.';
}

/* End of the host at p: a name, or an IPv6 literal in brackets. */
static const char *host_end(const char *p, const char *end)
{
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		for (const char *q = p + 1; close != NULL && q < close; q++)
			if (!g_ascii_isxdigit(*q) && *q != ':' && *q != '.')
				return p;
		return close != NULL ? close + 1 : p;
	}
	while (p < end && host_char(*p))
		p++;
	return p;
}

/* Canonical origin of text[0..len) into out; *path_at is where its path
 * begins. */
static ts_err canonical(const char *text, size_t len, char out[TS_ORIGIN_MAX],
			const char **path_at)
{
	const char *p = NULL, *end = text + len, *host, *port = NULL;
	size_t s = 0, port_len = 0;
	char *lower;
	int n;

	for (; s < G_N_ELEMENTS(schemes); s++) {
		const size_t plen = strlen(schemes[s].prefix);
		if (len > plen && g_ascii_strncasecmp(text, schemes[s].prefix, plen) == 0) {
			p = text + plen;
			break;
		}
	}
	if (p == NULL)
		return TS_ERR_INVALID_ARGUMENT;
	host = p;
	p = host_end(p, end);
	if (p == host)
		return TS_ERR_INVALID_ARGUMENT;
	if (p < end && *p == ':') {
		long value = 0;
		port = ++p;
		while (p < end && g_ascii_isdigit(*p) && value <= 65535)
			value = value * 10 + (*p++ - '0');
		port_len = (size_t)(p - port);
		/* No leading zero: browsers send the port as a plain number. */
		if (port_len == 0 || *port == '0' || value > 65535)
			return TS_ERR_INVALID_ARGUMENT;
		if (port_len == strlen(schemes[s].default_port) &&
		    memcmp(port, schemes[s].default_port, port_len) == 0)
			port_len = 0;
	}
	if (p < end && *p != '/')
		return TS_ERR_INVALID_ARGUMENT;
	*path_at = p;
	lower = g_ascii_strdown(host, (gssize)(port != NULL ? port - 1 - host : p - host));
	n = snprintf(out, TS_ORIGIN_MAX, "%s%s%s%.*s", schemes[s].prefix, lower,
		     port_len > 0 ? ":" : "", (int)port_len, port_len > 0 ? port : "");
	g_free(lower);
	return n > 0 && n < TS_ORIGIN_MAX ? TS_ERR_OK : TS_ERR_INVALID_ARGUMENT;
}

ts_err ts_origin_canonical(const char *text, size_t len, char out[TS_ORIGIN_MAX])
{
	const char *path;

	if (len == 4 && memcmp(text, "null", 4) == 0) {
		memcpy(out, "null", 5);
		return TS_ERR_OK;
	}
	return canonical(text, len, out, &path);
}

ts_err ts_origin_of_url(const char *url, char out[TS_ORIGIN_MAX], const char **path)
{
	return canonical(url, strlen(url), out, path);
}

/* The length of host's name without its port (an IPv6 literal up to its
 * "]"); 0 when there is none. */
static size_t name_length(const char *host)
{
	const char *close;

	if (host == NULL)
		return 0;
	if (host[0] != '[')
		return strcspn(host, ":");
	close = strchr(host, ']');
	return close != NULL ? (size_t)(close - host) + 1 : 0;
}

bool ts_origin_on_host(const char *origin, const char *host)
{
	static const char https[] = "https://";
	const size_t host_len = name_length(host);
	const char *h;

	if (host_len == 0 || strncmp(origin, https, sizeof https - 1) != 0)
		return false;
	h = origin + sizeof https - 1;
	return g_ascii_strncasecmp(h, host, host_len) == 0 &&
	       (h[host_len] == '\0' || h[host_len] == ':');
}
