/* SSO sessions and the hand-over to pool hosts. The code's payload carries
 * what the pool ticket needs, so redeeming it costs one store read. */
#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "browser_bind.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "tickets.h"
#include "tessera/log.h"
#include "tessera/util.h"

ts_err ts_sso_from_cookie(const struct ts_http_request *req,
			  const struct ts_ticket_claims **claims)
{
	const char *cookie = ts_http_cookie(req, TS_SSO_COOKIE);

	*claims = NULL;
	if (cookie == NULL)
		return TS_ERR_OK;
	return ts_ticket_verify(ts_broker_ticketing(req->broker), cookie, strlen(cookie),
				req->rt->config->broker.public_url, claims);
}

bool ts_sso_has_mfa(const struct ts_config *cfg, const struct ts_config_pool *pool,
		    const struct ts_ticket_claims *session)
{
	const struct ts_config_idp *idp = ts_config_find_idp(cfg, pool->idp);

	for (size_t i = 0; idp != NULL && i < session->n_amr; i++)
		for (char **m = idp->mfa_values; m != NULL && *m != NULL; m++)
			if (strcmp(session->amr[i], *m) == 0)
				return true;
	return false;
}

bool ts_sso_satisfies(const struct ts_config *cfg, const struct ts_config_pool *pool,
		      const struct ts_ticket_claims *session)
{
	if (ts_config_find_idp(cfg, pool->idp) == NULL || strcmp(session->idp, pool->idp) != 0)
		return false;
	return !pool->mfa || ts_sso_has_mfa(cfg, pool, session);
}

/* The subject a ticket names: NameID, else UPN, else the primary SID. */
static const char *subject_of(const struct ts_identity *id)
{
	return id->subject != NULL && *id->subject != '\0' ? id->subject
	       : id->upn != NULL			  ? id->upn
							  : id->primary_sid;
}

/* What the session keeps beside its ticket: group SIDs and the display
 * name, which the STS puts in pools' tokens and tickets do not carry. */
static char *session_extras(const struct ts_identity *id)
{
	const struct ts_identity_attr *name =
		ts_identity_attr(id, "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name");
	json_t *groups = json_array();
	json_t *o;
	char *text;

	for (size_t i = 0; i < id->n_groups; i++)
		json_array_append_new(groups, json_string(id->groups[i]));
	o = json_pack("{s:o, s:s}", "groups", groups, "name",
		      name != NULL && name->n_values > 0 ? name->values[0]
		      : id->upn != NULL		       ? id->upn
							       : "");
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

void ts_sso_new_clear(struct ts_sso_new *s)
{
	if (s->claims != NULL)
		ts_ticket_claims_release(s->claims);
	if (s->token != NULL)
		OPENSSL_cleanse(s->token, strlen(s->token));
	free(s->token);
	free(s->extras);
	memset(s, 0, sizeof *s);
}

ts_err ts_sso_mint(const struct ts_http_request *req, const struct ts_identity *id,
		   struct ts_sso_new *out)
{
	struct ts_broker *b = req->broker;
	struct ts_ticket_identity who = {
		.sub = subject_of(id),
		.upn = id->upn,
		.sid = id->primary_sid,
		.idp = id->idp,
		.amr = (const char *const *)id->amr,
		.n_amr = id->n_amr,
	};
	size_t len = 0;
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((out->extras = session_extras(id)) == NULL)
		return TS_ERR_NOMEM;
	/* The minter says what it wrote: verifying our own ticket to learn its
	 * jti was a third of a sign-in. */
	err = ts_ticket_mint_claims(ts_broker_ticketing(b), &who,
				    req->rt->config->broker.public_url, &out->token, &len,
				    &out->claims);
	if (err != TS_ERR_OK) {
		ts_sso_new_clear(out);
		return err;
	}
	return TS_ERR_OK;
}

ts_err ts_sso_set_cookie(const struct ts_http_request *req, struct ts_http_response *resp,
			 const struct ts_sso_new *s)
{
	return ts_http_set_cookie(resp, TS_SSO_COOKIE, s->token,
				  (long)(s->claims->exp - ts_clock_now(&req->broker->clock)));
}

static char *code_payload(const struct ts_config_pool *pool, const char *return_path,
			  const struct ts_ticket_claims *s, const char *bind)
{
	json_t *amr = json_array();
	json_t *o;
	char *text;

	for (size_t i = 0; i < s->n_amr; i++)
		json_array_append_new(amr, json_string(s->amr[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "pool", pool->name,
		      "return", return_path, "session", s->jti, "sub", s->sub, "upn", s->upn,
		      "sid", s->sid, "idp", s->idp, "amr", amr, "bind", bind);
	text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

void ts_hand_over_clear(struct ts_hand_over *h)
{
	if (h->code != NULL)
		OPENSSL_cleanse(h->code, strlen(h->code));
	free(h->code);
	free(h->payload);
	memset(h, 0, sizeof *h);
}

ts_err ts_sso_hand_over_make(const struct ts_http_request *req, const struct ts_config_pool *pool,
			     const char *return_path, const struct ts_ticket_claims *session,
			     const char *bind, struct ts_hand_over *out)
{
	struct ts_broker *b = req->broker;
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((out->payload = code_payload(pool, return_path, session, bind)) == NULL)
		return TS_ERR_NOMEM;
	if ((err = ts_state_secret_make(b, &out->code, out->hash)) != TS_ERR_OK) {
		ts_hand_over_clear(out);
		return err;
	}
	out->expires_at = ts_clock_now(&b->clock) + req->rt->config->broker.code_lifetime;
	return TS_ERR_OK;
}

ts_err ts_sso_hand_over_redirect(struct ts_http_response *resp, const struct ts_config_pool *pool,
				 const char *return_path, const struct ts_hand_over *h)
{
	char *ret = g_uri_escape_string(return_path, NULL, FALSE);
	char *location = g_strdup_printf("https://%s/.tessera/session?code=%s&return=%s",
					 pool->host, h->code, ret);
	ts_err err = ts_http_redirect(resp, location);

	g_free(location);
	g_free(ret);
	return err;
}

ts_err ts_sso_hand_over(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *return_path,
			const struct ts_ticket_claims *session, const char *bind)
{
	struct ts_hand_over h;
	ts_err err = ts_sso_hand_over_make(req, pool, return_path, session, bind, &h);

	if (err != TS_ERR_OK)
		return err;
	if ((err = ts_state_code_put(req->broker, h.hash, h.payload, h.expires_at)) == TS_ERR_OK)
		err = ts_sso_hand_over_redirect(resp, pool, return_path, &h);
	ts_hand_over_clear(&h);
	return err;
}

/* "_", the time in microseconds (14 hex digits), 128 random bits (32).
 * The time first: requests are stored in the order of their IDs, so each
 * insert lands on the same last page of the index, not a random one. */
#define REQUEST_ID_LEN 47

static ts_err new_request_id(char out[REQUEST_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];
	struct timespec now;
	uint64_t us;
	ts_err err;

	if ((err = ts_random_public(raw, sizeof raw)) != TS_ERR_OK)
		return err;
	clock_gettime(CLOCK_REALTIME, &now);
	us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	out[0] = '_';
	for (size_t i = 14; i > 0; i--, us >>= 4)
		out[i] = hex[us & 0xf];
	for (size_t i = 0; i < sizeof raw; i++) {
		out[15 + 2 * i] = hex[raw[i] >> 4];
		out[16 + 2 * i] = hex[raw[i] & 0xf];
	}
	out[REQUEST_ID_LEN] = '\0';
	return TS_ERR_OK;
}

ts_err ts_signin_to_idp(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *resume,
			const char *pool_bind, bool mfa, bool force)
{
	const bool sts = pool_bind == NULL;
	struct ts_broker *b = req->broker;
	const ts_time now = ts_clock_now(&b->clock);
	char id[REQUEST_ID_LEN + 1];
	struct ts_signin_request sr = {
		.idp = pool->idp,
		.relay_state = id,
		.request_id = id,
		.mfa = mfa,
		.force_authn = force,
		.now = now,
	};
	struct ts_pending pending = {
		.id = id,
		.pool = pool->name,
		.idp = pool->idp,
		.return_path = (char *)resume,
		.mfa = mfa,
		.sts = sts,
		.expires_at = now + req->rt->config->broker.request_lifetime,
	};
	struct ts_saml_diag diag = {{0}};
	char *url = NULL, *request_id = NULL;
	ts_err err;

	if ((err = new_request_id(id)) != TS_ERR_OK ||
	    (err = ts_browser_bind(req, resp, &ts_browser_req_cookie, pending.browser)) !=
		    TS_ERR_OK)
		goto out;
	g_strlcpy(pending.pool_bind, sts ? "" : pool_bind, sizeof pending.pool_bind);
	if ((err = ts_saml_signin_url(req->rt->saml, &sr, &url, &request_id, &diag)) != TS_ERR_OK) {
		/* The refusal page names the error; the log says why. */
		ts_log_error(TS_LOG_ERR, "signin_refused", err, "pool", pool->name, "idp",
			     pool->idp, "detail", diag.text);
		goto out;
	}
	if ((err = ts_state_pending_put(b, &pending, &resp->hold)) == TS_ERR_OK)
		err = ts_http_redirect(resp, url);
	ts_log(TS_LOG_INFO, "signin_started", "pool", pool->name, "idp", pool->idp, "request", id,
	       "for", sts ? "sts" : "pool", "force", force ? "yes" : "no");
out:
	g_free(url);
	g_free(request_id);
	return err;
}
