/* GET /signin?pool=P&return=URL&bind=H: a user arriving for pool P. With an
 * SSO session that satisfies P, straight to P's host; otherwise to P's IdP
 * with an outstanding request remembered (single use, expiring). stepup=1
 * asks the IdP again (ForceAuthn / wfresh=0) with the second factor.
 *
 * H is the hash of the browser's nonce on P's host, which the hand-over
 * code will need (browser_bind.h). Without it the browser goes to P's
 * /.tessera/signin first, which sets the nonce and comes back with H. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "return_url.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "tessera/log.h"
#include "tessera/store.h"

TS_ROUTE(ts_route_signin)
{
	const struct ts_config *cfg = req->rt->config;
	const struct ts_config_pool *pool;
	const struct ts_ticket_claims *session = NULL;
	const char *name = NULL, *ret = "/", *stepup = NULL, *bind = NULL;
	char *path = NULL;
	ts_err err;

	if ((err = ts_http_query(req, "pool", &name)) != TS_ERR_OK)
		return ts_http_refuse(resp, err == TS_ERR_NOT_FOUND ? TS_ERR_POOL_UNKNOWN : err,
				      "pool= names the pool to sign in to", NULL, NULL);
	if ((pool = ts_config_find_pool(cfg, name)) == NULL)
		return ts_http_refuse(resp, TS_ERR_POOL_UNKNOWN, name, NULL, NULL);
	err = ts_http_query(req, "return", &ret);
	if (err == TS_ERR_NOT_FOUND)
		ret = "/";
	else if (err != TS_ERR_OK)
		return ts_http_refuse(resp, TS_ERR_RETURN_URL, "return= given twice", NULL, NULL);
	if ((err = ts_return_url_check(ret, pool->host, &path)) != TS_ERR_OK)
		return ts_http_refuse(resp, err, ret, NULL, NULL);
	if (ts_http_query(req, "stepup", &stepup) != TS_ERR_OK)
		stepup = NULL;
	const bool up = stepup != NULL && strcmp(stepup, "1") == 0;
	if (ts_http_query(req, "bind", &bind) != TS_ERR_OK || !ts_store_hash_valid(bind))
		err = ts_browser_bind_redirect(resp, pool->host, path, up);
	/* An SSO session that serves this pool needs no trip to the IdP. */
	else if (stepup == NULL && ts_sso_from_cookie(req, &session) == TS_ERR_OK &&
		 session != NULL && ts_sso_satisfies(cfg, pool, session)) {
		err = ts_sso_hand_over(req, resp, pool, path, session, bind);
		ts_log(TS_LOG_INFO, "signin_sso", "pool", pool->name, "sub", session->sub);
	} else
		err = ts_signin_to_idp(req, resp, pool, path, bind, pool->mfa || up, up);
	if (session != NULL)
		ts_ticket_claims_release(session);
	g_free(path);
	return err;
}
