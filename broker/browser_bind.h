/* Binding a sign-in to the browser that started it, against login CSRF:
 * without it, an attacker starts a sign-in, answers the IdP with their own
 * account, and has a victim's browser finish it (post the IdP's answer, or
 * open the hand-over link); the victim then works in the attacker's
 * account. A random nonce lives in a __Host- cookie; its hash is stored
 * with what it binds and compared when the sign-in comes back.
 *
 * Two cookies, as the broker cannot read a pool host's:
 *   __Host-tessera-req   on the broker: set where a sign-in leaves for the
 *                        IdP, checked at /saml/acs and /wsfed. SameSite=None,
 *                        since the IdP's POST back is cross-site; the same
 *                        nonce also goes in a twin without SameSite,
 *                        __Host-tessera-req-legacy, for browsers that
 *                        mishandle None (Safari on iOS 12 and macOS 10.14 read
 *                        it as Strict, Chrome 51-66 drop the cookie). The twin
 *                        is read only when no spelling of the first came, and
 *                        the two must agree when both come.
 *   __Host-tessera-bind  on a pool host: set at /.tessera/signin, its hash
 *                        carried by /signin?bind= into the hand-over code,
 *                        checked at /.tessera/session.
 * Both are session cookies, one nonce per browser, reused while present,
 * so sign-ins in several tabs do not undo each other. */
#ifndef TS_BROKER_BROWSER_BIND_H
#define TS_BROKER_BROWSER_BIND_H

#include <stdbool.h>

#include "http.h"

/* One nonce cookie: its name, its SameSite, its twin's name (NULL: none). */
struct ts_browser_cookie {
	const char *name;
	const char *same_site;
	const char *twin;
};

extern const struct ts_browser_cookie ts_browser_req_cookie;  /* __Host-tessera-req */
extern const struct ts_browser_cookie ts_browser_bind_cookie; /* __Host-tessera-bind */

/* The hash of the browser's nonce in cookie c. A browser without one, or
 * with one not of the form made here, is sent a fresh nonce (Set-Cookie,
 * and the twin's). */
ts_err ts_browser_bind(const struct ts_http_request *req, struct ts_http_response *resp,
		       const struct ts_browser_cookie *c, char hash[65]);
/* Does the browser hold, in cookie c, the nonce whose hash is hash. An empty
 * hash binds nothing: false. */
bool ts_browser_bound(const struct ts_http_request *req, const struct ts_browser_cookie *c,
		      const char *hash);
/* To /.tessera/signin on pool_host, where the browser's nonce for that host
 * is set: with return_path (escaped here) and, if stepup, stepup=1. */
ts_err ts_browser_bind_redirect(struct ts_http_response *resp, const char *pool_host,
				const char *return_path, bool stepup);

#endif
