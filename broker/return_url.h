/* Return URLs for /signin: the open-redirect defence. */
#ifndef TS_BROKER_RETURN_URL_H
#define TS_BROKER_RETURN_URL_H

#include "tessera/err.h"

/* url (already percent-decoded once, as a query value) must be a path on
 * the pool's host ("/x?y") or an https URL of exactly that host. *path gets
 * the path and query to send the browser to on that host (malloc'd).
 * Anything else is RETURN_URL: other hosts, "//host", "/\host", "\\host",
 * "http:host", "///host", userinfo, control characters, and each of these
 * percent-encoded once more. */
ts_err ts_return_url_check(const char *url, const char *pool_host, char **path);

#endif
