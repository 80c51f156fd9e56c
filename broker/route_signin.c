/* GET /signin?pool=P&return=URL: a user arriving for pool P. With an SSO
 * session that satisfies P, straight to P's host; otherwise to P's IdP with
 * an outstanding request remembered (single use, expiring). stepup=1 asks
 * the IdP again (ForceAuthn / wfresh=0) with the second factor. */
#include <glib.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "return_url.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "tessera/log.h"

static ts_err random_request_id(char out[34])
{
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return TS_ERR_CRYPTO;
	out[0] = '_';
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", raw[i]);
	return TS_ERR_OK;
}

static ts_err to_idp(const struct ts_http_request *req, struct ts_http_response *resp,
		     const struct ts_config_pool *pool, const char *return_path, bool stepup)
{
	struct ts_broker *b = req->broker;
	const ts_time now = ts_clock_now(&b->clock);
	char id[34];
	struct ts_signin_request sr = {
		.idp = pool->idp,
		.relay_state = id,
		.request_id = id,
		.mfa = pool->mfa || stepup,
		.force_authn = stepup,
		.now = now,
	};
	struct ts_pending pending = {
		.id = id,
		.pool = pool->name,
		.idp = pool->idp,
		.return_path = (char *)return_path,
		.mfa = sr.mfa,
		.expires_at = now + req->rt->config->broker.request_lifetime,
	};
	struct ts_saml_diag diag = {{0}};
	char *url = NULL, *request_id = NULL;
	ts_err err;

	if ((err = random_request_id(id)) != TS_ERR_OK ||
	    (err = ts_saml_signin_url(req->rt->saml, &sr, &url, &request_id, &diag)) != TS_ERR_OK)
		goto out;
	if ((err = ts_state_pending_put(b, &pending)) == TS_ERR_OK)
		err = ts_http_redirect(resp, url);
	ts_log(TS_LOG_INFO, "signin_started", "pool", pool->name, "idp", pool->idp, "request", id,
	       "stepup", stepup ? "yes" : "no");
out:
	g_free(url);
	g_free(request_id);
	return err;
}

TS_ROUTE(ts_route_signin)
{
	const struct ts_config *cfg = req->rt->config;
	const struct ts_config_pool *pool;
	const struct ts_ticket_claims *session = NULL;
	const char *name = NULL, *ret = "/", *stepup = NULL;
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
	/* An SSO session that serves this pool needs no trip to the IdP. */
	if (stepup == NULL && ts_sso_from_cookie(req, &session) == TS_ERR_OK && session != NULL &&
	    ts_sso_satisfies(cfg, pool, session)) {
		err = ts_sso_hand_over(req, resp, pool, path, session);
		ts_log(TS_LOG_INFO, "signin_sso", "pool", pool->name, "sub", session->sub);
	} else {
		err = to_idp(req, resp, pool, path, stepup != NULL && strcmp(stepup, "1") == 0);
	}
	if (session != NULL)
		ts_ticket_claims_release(session);
	g_free(path);
	return err;
}
