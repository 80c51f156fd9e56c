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
 *                        nonce also goes in __Host-tessera-req-legacy without
 *                        SameSite, for browsers that mishandle None.
 *   __Host-tessera-bind  on a pool host: set at /.tessera/signin, its hash
 *                        carried by /signin?bind= into the hand-over code,
 *                        checked at /.tessera/session.
 * Both are session cookies, one nonce per browser, reused while present,
 * so sign-ins in several tabs do not undo each other. */
#ifndef TS_BROKER_BROWSER_BIND_H
#define TS_BROKER_BROWSER_BIND_H

#include <stdbool.h>

#include "http.h"

#define TS_REQ_COOKIE "__Host-tessera-req"
#define TS_BIND_COOKIE "__Host-tessera-bind"

/* The hash of the browser's nonce in cookie (or its legacy twin). A browser
 * without one, or with one not of the form made here, is sent a fresh nonce
 * (Set-Cookie with same_site, "Lax" or "None"; with "None", the twin too). */
ts_err ts_browser_bind(const struct ts_http_request *req, struct ts_http_response *resp,
		       const char *cookie, const char *same_site, char hash[65]);
/* Does the browser hold, in cookie or its legacy twin, the nonce whose hash
 * is hash. An empty hash binds nothing: false. */
bool ts_browser_bound(const struct ts_http_request *req, const char *cookie, const char *hash);
/* To /.tessera/signin on pool_host, where the browser's nonce for that host
 * is set: with return_path (escaped here) and, if stepup, stepup=1. */
ts_err ts_browser_bind_redirect(struct ts_http_response *resp, const char *pool_host,
				const char *return_path, bool stepup);

#endif
