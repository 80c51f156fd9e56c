/* GET /signout on the broker ends the SSO session: every ticket it minted
 * is revoked, both cookies are cleared. Another site can navigate a browser
 * here with the SSO cookie (SameSite=Lax allows a top-level GET), which
 * would sign the user out of everything (logout CSRF): such a request is
 * answered with a page asking the user first. */
#include <glib.h>
#include <string.h>

#include "broker.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "tessera/log.h"
#include "tessera/origin.h"

static bool on_pool_host(const struct ts_config *cfg, const char *origin)
{
	for (size_t i = 0; i < cfg->n_pools; i++)
		if (ts_config_pool_serves_origin(&cfg->pools[i], origin))
			return true;
	return false;
}

/* Asked for by the user (typed, a bookmark: Sec-Fetch-Site none), or by a
 * page of the broker or of a pool. A request that says nothing of where it
 * comes from is asked too: another site's link can drop the Referer, and a
 * browser older than Sec-Fetch-Site sends nothing else. (A script that is
 * not a browser can send "Sec-Fetch-Site: none".) */
static bool asked_here(const struct ts_http_request *req, char origin[TS_ORIGIN_MAX])
{
	const struct ts_config *cfg = req->rt->config;
	const char *site = ts_http_request_header(req, "Sec-Fetch-Site");
	const char *page = ts_http_request_header(req, "Origin");
	char ours[TS_ORIGIN_MAX];

	g_strlcpy(origin, "-", TS_ORIGIN_MAX);
	if (site != NULL && (strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0))
		return true;
	if (page == NULL)
		page = ts_http_request_header(req, "Referer");
	if (page == NULL)
		return false;
	if (ts_origin_canonical(page, strlen(page), origin) != TS_ERR_OK) {
		g_strlcpy(origin, "unreadable", TS_ORIGIN_MAX);
		return false;
	}
	if (ts_origin_canonical(cfg->broker.public_url, strlen(cfg->broker.public_url), ours) ==
		    TS_ERR_OK &&
	    strcmp(origin, ours) == 0)
		return true;
	return on_pool_host(cfg, origin);
}

/* The same request, sent by the user's click: same-origin, so it passes.
 * The page cannot be framed, so the click cannot be stolen. */
static ts_err ask_first(struct ts_http_response *resp)
{
	static const char page[] =
		"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Sign out?</title>"
		"</head>\n<body><h1>Sign out?</h1>\n"
		"<p>Sign out of every application you signed in to through this service? "
		"The request did not come from one of its pages.</p>\n"
		"<form method=\"get\" action=\"/signout\"><button type=\"submit\">Sign out</button>"
		"</form>\n</body></html>\n";
	ts_err err = ts_http_respond(resp, 200, "text/html; charset=utf-8", page, sizeof page - 1);

	if (err == TS_ERR_OK)
		err = ts_http_add_header(resp, "Content-Security-Policy",
					 "default-src 'none'; frame-ancestors 'none'");
	if (err == TS_ERR_OK)
		err = ts_http_add_header(resp, "X-Frame-Options", "DENY"); /* IE11 */
	return err;
}

TS_ROUTE(ts_route_signout)
{
	const struct ts_ticket_claims *session = NULL;
	char origin[TS_ORIGIN_MAX];
	ts_err ended = TS_ERR_OK, err;

	if (!asked_here(req, origin)) {
		const char *site = ts_http_request_header(req, "Sec-Fetch-Site");
		ts_log_error(TS_LOG_WARN, "signout_asked", TS_ERR_SIGNOUT_CROSS_SITE, "origin",
			     origin, "fetch_site", site != NULL ? site : "-");
		return ask_first(resp);
	}
	err = ts_sso_from_cookie(req, &session);
	if (err == TS_ERR_OK && session != NULL) {
		ended = ts_state_session_end(req->broker, session->jti, session->exp);
		if (ended == TS_ERR_OK)
			ts_log(TS_LOG_INFO, "signout", "sub", session->sub, "result", "revoked");
		else
			ts_log_error(TS_LOG_ERR, "signout_failed", ended, "sub", session->sub);
		ts_ticket_claims_release(session);
	}
	/* Cookies go whatever the store said: the browser forgets them. But a
	 * sign-out whose revocation did not commit is not reported done: the
	 * tickets stay valid, and the user is told so. */
	if (ended != TS_ERR_OK)
		err = ts_http_refuse(resp, ended,
				     "this browser's cookies are removed, but the sign-out was "
				     "not recorded: tickets issued before stay valid until they "
				     "expire",
				     NULL, NULL);
	else
		err = ts_http_redirect(resp, req->rt->config->broker.signout_url);
	if (err == TS_ERR_OK && (err = ts_http_set_cookie(resp, TS_SSO_COOKIE, "", 0)) == TS_ERR_OK)
		err = ts_http_set_cookie(resp, TS_POOL_COOKIE, "", 0);
	return err;
}
