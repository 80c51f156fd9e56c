/* POST /saml/acs (SAML 2.0 POST binding) and POST /wsfed (WS-Fed wresult):
 * the IdP's answer. The outstanding request it names is read (not used up),
 * the assertion goes through the whole saml/ checklist, the pool's policy
 * applies (second factor), and then, in one transaction, the request is
 * used up, the assertion ID claimed against replay and the SSO session and
 * hand-over code stored. The user leaves with the session's cookie and a
 * hand-over to the pool. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "sts_flow.h"
#include "tessera/log.h"

static ts_err refuse_saml(const struct ts_http_request *req, struct ts_http_response *resp,
			  ts_err err, const char *detail)
{
	return ts_http_refuse(resp, err, detail, NULL, NULL);
}

/* A new sign-in for the request's pool and return path (escaped), extra
 * appended to its query. */
static char *signin_link(const struct ts_http_request *req, const struct ts_pending *p,
			 const char *extra)
{
	char *ret = g_uri_escape_string(p->return_path, NULL, FALSE);
	char *link = g_strdup_printf("%s/signin?pool=%s&return=%s%s",
				     req->rt->config->broker.public_url, p->pool, ret, extra);

	g_free(ret);
	return link;
}

/* The answer came back in another browser than its request's. A request
 * stored before browsers were bound (store schema 4) has no binding: its
 * user starts again, told so. The link starts this browser's own sign-in
 * (a pool's wsignin1.0 is started again by the pool). */
static ts_err refuse_other_browser(const struct ts_http_request *req,
				   struct ts_http_response *resp, const struct ts_pending *p)
{
	const bool unbound = p->browser[0] == '\0';
	const ts_err why = unbound ? TS_ERR_REQUEST_UNKNOWN : TS_ERR_REQUEST_OTHER_BROWSER;
	char *link = signin_link(req, p, "");
	ts_err err;

	ts_log_error(TS_LOG_WARN, "signin_refused", why, "pool", p->pool, "request", p->id);
	err = ts_http_refuse(resp, why,
			     unbound ? "this sign-in was started before an upgrade: start again"
				     : "this sign-in was started in another browser",
			     p->sts ? NULL : "Sign in from this browser", p->sts ? NULL : link);
	g_free(link);
	return err;
}

/* The second factor is missing: say so, and offer to ask the IdP again. */
static ts_err refuse_mfa(const struct ts_http_request *req, struct ts_http_response *resp,
			 const struct ts_config_pool *pool, const struct ts_pending *p)
{
	char *extra = g_strdup_printf("&stepup=1&bind=%s", p->pool_bind);
	char *link = signin_link(req, p, extra);

	if (p->sts) { /* ask the STS again, fresh and with the second factor */
		char *wreply = NULL, *wctx = NULL, *realm = ts_sts_realm(pool);
		if (ts_sts_resume_decode(p->return_path, &wreply, &wctx) == TS_ERR_OK) {
			char *r = g_uri_escape_string(realm, NULL, FALSE);
			char *w = g_uri_escape_string(wreply, NULL, FALSE);
			char *c = g_uri_escape_string(wctx, NULL, FALSE);
			g_free(link);
			link = g_strdup_printf("%s/adfs/ls/?wa=wsignin1.0&wtrealm=%s&wreply=%s&wctx=%s"
					       "&wfresh=0&wauth=%s",
					       req->rt->config->broker.public_url, r, w, c,
					       "http%3A%2F%2Fschemas.microsoft.com%2Fclaims%2Fmultipleauthn");
			g_free(r);
			g_free(w);
			g_free(c);
		}
		g_free(wreply);
		g_free(wctx);
		g_free(realm);
	}
	ts_err err = ts_http_refuse(resp, TS_ERR_MFA_REQUIRED,
				    "Sign in again with your second factor.",
				    "Sign in with a second factor", link);

	g_free(link);
	g_free(extra);
	return err;
}

/* A pool's wsignin1.0 waits for this sign-in: what its answer needs is
 * checked before anything is stored, so that these refusals, too, write
 * nothing. Sets *detail for the refusal. */
static ts_err sts_ready(const struct ts_http_request *req, const struct ts_identity *id,
			const struct ts_pending *p, char **wreply, char **wctx,
			const char **detail)
{
	if (ts_sts_resume_decode(p->return_path, wreply, wctx) != TS_ERR_OK) {
		*detail = "the pool's waiting request is unreadable";
		return TS_ERR_REQUEST_UNKNOWN;
	}
	switch (ts_sts_can_issue(req, id->primary_sid)) {
	case TS_ERR_OK:
		return TS_ERR_OK;
	case TS_ERR_NOT_READY:
		*detail = "no STS key";
		return TS_ERR_NOT_READY;
	default:
		*detail = id->subject != NULL ? id->subject : id->upn;
		return TS_ERR_STS_PRIMARYSID_MISSING;
	}
}

/* The answer for a sign-in that is stored: the SSO cookie, then the pool's
 * own answer (a waiting wsignin1.0) or the hand-over to the pool. */
static ts_err answer(const struct ts_http_request *req, struct ts_http_response *resp,
		     const struct ts_config_pool *pool, const struct ts_pending *pending,
		     const struct ts_sso_new *sso, const struct ts_hand_over *hand,
		     const char *wreply, const char *wctx)
{
	ts_err err;

	if ((err = ts_sso_set_cookie(req, resp, sso)) != TS_ERR_OK)
		return err;
	/* Counted when handed out: a ticket minted for a sign-in that the
	 * store then refused (a replay, a lost race) reaches nobody. */
	ts_metrics_ticket_minted(req->broker->metrics);
	if (!pending->sts)
		return ts_sso_hand_over_redirect(resp, pool, pending->return_path, hand);
	return ts_sts_answer(req, resp, pool, sso->claims, wreply, wctx);
}

static ts_err complete(const struct ts_http_request *req, struct ts_http_response *resp,
		       enum ts_saml_endpoint endpoint, const char *xml, size_t xml_len,
		       const char *state)
{
	struct ts_broker *b = req->broker;
	const struct ts_config *cfg = req->rt->config;
	struct ts_pending pending = {0};
	const struct ts_config_pool *pool;
	const struct ts_config_idp *idp;
	struct ts_sso_new sso = {0};
	struct ts_hand_over hand = {0};
	struct ts_identity *id = NULL;
	struct ts_saml_diag diag = {{0}};
	struct ts_saml_check check = {.now = ts_clock_now(&b->clock)};
	char *wreply = NULL, *wctx = NULL;
	const char *detail = NULL;
	ts_err err;

	if (state == NULL || *state == '\0')
		return refuse_saml(req, resp, TS_ERR_SAML_UNSOLICITED,
				   "no RelayState / wctx: not an answer to a request of ours");
	/* Read, not taken: the request is used up only with the rest of the
	 * sign-in, in one transaction, once everything below has passed. */
	if ((err = ts_state_pending_get(b, state, &pending)) != TS_ERR_OK)
		return refuse_saml(req, resp, err, state);
	/* The answer must come back in the browser that asked (browser_bind.h).
	 * Another browser posting it is a login CSRF, or a user who started
	 * elsewhere; the request stays outstanding for its own browser. */
	if (!ts_browser_bound(req, &ts_browser_req_cookie, pending.browser)) {
		err = refuse_other_browser(req, resp, &pending);
		goto out;
	}
	pool = ts_config_find_pool(cfg, pending.pool);
	idp = pool != NULL ? ts_config_find_idp(cfg, pool->idp) : NULL;
	if (pool == NULL || idp == NULL) {
		err = refuse_saml(req, resp, TS_ERR_POOL_UNKNOWN, pending.pool);
		goto out;
	}
	/* The answer comes back the way the request went: a SAML 2.0 request
	 * is answered at /saml/acs, where InResponseTo binds it. At /wsfed
	 * nothing would: an IdP that also speaks WS-Fed (ADFS, one signing
	 * key) would complete any SAML 2.0 pool's request there. */
	if ((endpoint == TS_SAML_ACS) != (strcmp(idp->protocol, "saml2") == 0)) {
		err = refuse_saml(req, resp, TS_ERR_SAML_ENDPOINT,
				  endpoint == TS_SAML_ACS ? "the request went to a WS-Fed IdP"
							  : "the request went to a SAML 2.0 IdP");
		goto out;
	}
	check.in_response_to = endpoint == TS_SAML_ACS ? pending.id : NULL;
	err = ts_saml_validate(req->rt->saml, pool->idp, endpoint, xml, xml_len, &check, &id, &diag);
	if (err != TS_ERR_OK) {
		err = refuse_saml(req, resp, err, diag.text);
		goto out;
	}
	if ((pool->mfa || pending.mfa) && !id->mfa) {
		ts_log_error(TS_LOG_WARN, "signin_refused", TS_ERR_MFA_REQUIRED, "pool", pool->name,
			     "sub", id->subject != NULL ? id->subject : id->upn);
		err = refuse_mfa(req, resp, pool, &pending);
		goto out;
	}
	if (id->assertion_id == NULL) {
		err = refuse_saml(req, resp, TS_ERR_SAML_SHAPE, "no assertion ID");
		goto out;
	}
	if (id->subject == NULL && id->upn == NULL && id->primary_sid == NULL) {
		err = refuse_saml(req, resp, TS_ERR_SAML_SUBJECT, "no NameID, upn or primarysid");
		goto out;
	}
	if (pending.sts && (err = sts_ready(req, id, &pending, &wreply, &wctx, &detail)) != TS_ERR_OK) {
		err = refuse_saml(req, resp, err, detail);
		goto out;
	}
	if ((err = ts_sso_mint(req, id, &sso)) != TS_ERR_OK ||
	    (!pending.sts &&
	     (err = ts_sso_hand_over_make(req, pool, pending.return_path, sso.claims,
					  pending.pool_bind, &hand)) != TS_ERR_OK))
		goto out;
	err = ts_state_signin_complete(b, &(struct ts_signin_record){
		.request_id = pending.id,
		.issuer = id->issuer,
		.assertion_id = id->assertion_id,
		/* Kept for the largest skew a reload could bring: accepted
		 * until NotOnOrAfter + skew, it must be remembered as long. */
		.replay_until = id->not_on_or_after + TS_CONFIG_CLOCK_SKEW_MAX,
		.session_jti = sso.claims->jti,
		.subject = sso.claims->sub,
		.session_extras = sso.extras,
		.session_expires_at = sso.claims->exp,
		.code_hash = pending.sts ? NULL : hand.hash,
		.code_payload = hand.payload,
		.code_expires_at = hand.expires_at,
	});
	if (err == TS_ERR_SAML_REPLAY)
		ts_metrics_replay(b->metrics);
	if (err != TS_ERR_OK) {
		err = refuse_saml(req, resp, err,
				  err == TS_ERR_SAML_REPLAY ? id->assertion_id : pending.id);
		goto out;
	}
	/* An answer refused after the commit (none is known) is not a sign-in. */
	if ((err = answer(req, resp, pool, &pending, &sso, &hand, wreply, wctx)) != TS_ERR_OK ||
	    resp->refusal != TS_ERR_OK)
		goto out;
	ts_metrics_signin(b->metrics, pool->idp, pool->name);
	ts_log(TS_LOG_INFO, "signin_completed", "pool", pool->name, "idp", pool->idp, "sub",
	       sso.claims->sub, "mfa", id->mfa ? "yes" : "no");
out:
	g_free(wreply);
	g_free(wctx);
	ts_hand_over_clear(&hand);
	ts_sso_new_clear(&sso);
	ts_identity_free(id);
	ts_pending_clear(&pending);
	return err;
}

TS_ROUTE(ts_route_saml_acs)
{
	char *b64 = NULL, *relay = NULL, *xml = NULL;
	size_t b64_len = 0, relay_len = 0, xml_len = 0;
	ts_err err = ts_http_form(req, "SAMLResponse", &b64, &b64_len);

	if (err != TS_ERR_OK) {
		err = ts_http_refuse(resp, err == TS_ERR_NOT_FOUND ? TS_ERR_INVALID_ARGUMENT : err,
				     "a form with SAMLResponse is expected", NULL, NULL);
		goto out;
	}
	err = ts_http_form(req, "RelayState", &relay, &relay_len);
	if (err != TS_ERR_OK && err != TS_ERR_NOT_FOUND) {
		err = ts_http_refuse(resp, err, "bad RelayState", NULL, NULL);
		goto out;
	}
	err = ts_saml_decode_base64(b64, b64_len, (size_t)req->rt->config->sp.max_message_bytes,
				    &xml, &xml_len);
	if (err != TS_ERR_OK)
		err = ts_http_refuse(resp, err, "SAMLResponse", NULL, NULL);
	else
		err = complete(req, resp, TS_SAML_ACS, xml, xml_len, relay);
out:
	free(xml);
	free(relay);
	free(b64);
	return err;
}

TS_ROUTE(ts_route_wsfed)
{
	char *wa = NULL, *wresult = NULL, *wctx = NULL;
	size_t wa_len = 0, wresult_len = 0, wctx_len = 0;
	ts_err err = ts_http_form(req, "wresult", &wresult, &wresult_len);

	if (err != TS_ERR_OK || ts_http_form(req, "wa", &wa, &wa_len) != TS_ERR_OK ||
	    strcmp(wa, "wsignin1.0") != 0) {
		err = ts_http_refuse(resp, TS_ERR_INVALID_ARGUMENT,
				     "a form with wa=wsignin1.0 and wresult is expected", NULL, NULL);
		goto out;
	}
	err = ts_http_form(req, "wctx", &wctx, &wctx_len);
	if (err != TS_ERR_OK && err != TS_ERR_NOT_FOUND) {
		err = ts_http_refuse(resp, err, "bad wctx", NULL, NULL);
		goto out;
	}
	err = complete(req, resp, TS_SAML_WSFED, wresult, wresult_len, wctx);
out:
	free(wa);
	free(wresult);
	free(wctx);
	return err;
}
