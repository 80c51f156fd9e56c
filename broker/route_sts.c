/* Tessera as the pools' STS: GET /adfs/ls/?wa=wsignin1.0&wtrealm=...&wreply=...
 * (a pool's passive sign-in) and GET /FederationMetadata/2007-06/
 * FederationMetadata.xml (what the pool's WsFedPassiveMetadataUri names). */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "sts_flow.h"
#include "tessera/log.h"
#include "tessera/sts.h"

#define MFA_CLAIM "http://schemas.microsoft.com/claims/multipleauthn"

static const struct ts_config_pool *pool_by_realm(const struct ts_config *cfg, const char *realm)
{
	for (size_t i = 0; i < cfg->n_pools; i++) {
		char *r = ts_sts_realm(&cfg->pools[i]);
		bool same = strcmp(r, realm) == 0;
		g_free(r);
		if (same)
			return &cfg->pools[i];
	}
	return NULL;
}

/* Exact match against the pool's registered reply URLs: a token is posted
 * nowhere else, whatever the request says. */
static bool reply_registered(const struct ts_config_pool *pool, const char *wreply)
{
	char *def;
	bool ok;

	if (pool->reply_urls != NULL && pool->reply_urls[0] != NULL) {
		for (char **r = pool->reply_urls; *r != NULL; r++)
			if (strcmp(*r, wreply) == 0)
				return true;
		return false;
	}
	def = ts_sts_default_reply(pool);
	ok = strcmp(def, wreply) == 0;
	g_free(def);
	return ok;
}

static const char *query_or_null(const struct ts_http_request *req, const char *name,
				 ts_err *err)
{
	const char *v = NULL;
	ts_err e = ts_http_query(req, name, &v);

	if (e != TS_ERR_OK && e != TS_ERR_NOT_FOUND)
		*err = e;
	return e == TS_ERR_OK ? v : NULL;
}

TS_ROUTE(ts_route_sts_signin)
{
	const struct ts_config *cfg = req->rt->config;
	ts_err err = TS_ERR_OK;
	const char *wa = query_or_null(req, "wa", &err);
	const char *realm = query_or_null(req, "wtrealm", &err);
	const char *wreply = query_or_null(req, "wreply", &err);
	const char *wctx = query_or_null(req, "wctx", &err);
	const char *wfresh = query_or_null(req, "wfresh", &err);
	const char *wauth = query_or_null(req, "wauth", &err);
	const struct ts_config_pool *pool;
	const struct ts_ticket_claims *session = NULL;
	char *reply = NULL, *resume = NULL;
	bool force, mfa;

	if (err != TS_ERR_OK || wa == NULL || strcmp(wa, "wsignin1.0") != 0 || realm == NULL)
		return ts_http_refuse(resp, TS_ERR_STS_REQUEST,
				      "wa=wsignin1.0 and wtrealm are required, each once", NULL,
				      NULL);
	if ((pool = pool_by_realm(cfg, realm)) == NULL)
		return ts_http_refuse(resp, TS_ERR_STS_REALM, realm, NULL, NULL);
	if (wreply != NULL && !reply_registered(pool, wreply))
		return ts_http_refuse(resp, TS_ERR_STS_WREPLY, wreply, NULL, NULL);
	if (wctx != NULL && strlen(wctx) > TS_STS_WCTX_MAX)
		return ts_http_refuse(resp, TS_ERR_STS_WCTX_TOO_LARGE, NULL, NULL, NULL);
	reply = wreply != NULL ? g_strdup(wreply) : ts_sts_default_reply(pool);
	force = wfresh != NULL && strcmp(wfresh, "0") == 0;
	mfa = pool->mfa || (wauth != NULL && strcmp(wauth, MFA_CLAIM) == 0);
	/* The SSO session answers at once if it is for this pool's IdP and has
	 * the second factor when the pool or the request (wauth) wants one. */
	if (!force && ts_sso_from_cookie(req, &session) == TS_ERR_OK && session != NULL &&
	    ts_sso_satisfies(cfg, pool, session) &&
	    (!mfa || ts_sso_has_mfa(cfg, pool, session))) {
		err = ts_sts_answer(req, resp, pool, session, reply, wctx);
	} else {
		resume = ts_sts_resume_encode(reply, wctx);
		err = resume != NULL ? ts_signin_to_idp(req, resp, pool, resume, NULL, mfa, force)
				     : TS_ERR_NOMEM;
	}
	if (session != NULL)
		ts_ticket_claims_release(session);
	free(resume);
	g_free(reply);
	return err;
}

TS_ROUTE(ts_route_federation_metadata)
{
	const struct ts_config *cfg = req->rt->config;
	char *entity = ts_sts_entity_id(cfg);
	char *passive = g_strconcat(cfg->broker.public_url, "/adfs/ls/", NULL);
	struct ts_sts_metadata_params p = {.entity_id = entity, .passive_url = passive};
	char *xml = NULL;
	size_t len = 0;
	ts_err err = req->rt->sts_keys == NULL
			     ? TS_ERR_NOT_READY
			     : ts_sts_metadata(req->rt->sts_keys, ts_clock_now(&req->broker->clock), &p,
					       &xml, &len);

	if (err == TS_ERR_OK)
		err = ts_http_respond(resp, 200, "application/samlmetadata+xml", xml, len);
	free(xml);
	g_free(passive);
	g_free(entity);
	return err;
}
