/* The pools' STS: what goes into a pool's token, and the page that posts it
 * to the pool's registered wreply. */
#include <glib.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "sts_flow.h"
#include "tessera/log.h"
#include "tessera/sts.h"

char *ts_sts_resume_encode(const char *wreply, const char *wctx)
{
	json_t *o = json_pack("{s:s, s:s}", "wreply", wreply, "wctx", wctx != NULL ? wctx : "");
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return text;
}

ts_err ts_sts_resume_decode(const char *text, char **wreply, char **wctx)
{
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const char *r = json_string_value(json_object_get(o, "wreply"));
	const char *c = json_string_value(json_object_get(o, "wctx"));
	ts_err err = r != NULL && c != NULL ? TS_ERR_OK : TS_ERR_REQUEST_UNKNOWN;

	*wreply = err == TS_ERR_OK ? g_strdup(r) : NULL;
	*wctx = err == TS_ERR_OK ? g_strdup(c) : NULL;
	json_decref(o);
	return err;
}

/* The auto-post page: the browser carries the token to the pool. The one
 * inline script runs under a per-page nonce; nothing else may load. */
static ts_err post_page(struct ts_http_response *resp, const char *wreply, const char *wresult,
			const char *wctx)
{
	unsigned char raw[16];
	gchar *nonce, *csp, *action, *result, *ctx;
	GString *page = g_string_new(NULL);
	ts_err err;

	if (RAND_bytes(raw, sizeof raw) != 1) {
		g_string_free(page, TRUE);
		return TS_ERR_CRYPTO;
	}
	nonce = g_base64_encode(raw, sizeof raw);
	csp = g_strdup_printf("default-src 'none'; script-src 'nonce-%s'; form-action %s", nonce,
			      wreply);
	action = g_markup_escape_text(wreply, -1);
	result = g_markup_escape_text(wresult, -1);
	ctx = g_markup_escape_text(wctx != NULL ? wctx : "", -1);
	g_string_append_printf(
		page,
		"<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Signing in</title>"
		"</head>\n<body><form method=\"post\" action=\"%s\">\n"
		"<input type=\"hidden\" name=\"wa\" value=\"wsignin1.0\">\n"
		"<input type=\"hidden\" name=\"wresult\" value=\"%s\">\n%s%s%s"
		"<noscript><button type=\"submit\">Continue</button></noscript>\n</form>\n"
		"<script nonce=\"%s\">document.forms[0].submit();</script>\n</body></html>\n",
		action, result, wctx != NULL && *wctx != '\0' ? "<input type=\"hidden\" name=\"wctx\" value=\"" : "",
		wctx != NULL && *wctx != '\0' ? ctx : "",
		wctx != NULL && *wctx != '\0' ? "\">\n" : "", nonce);
	err = ts_http_respond(resp, 200, "text/html; charset=utf-8", page->str, page->len);
	if (err == TS_ERR_OK)
		err = ts_http_add_header(resp, "Content-Security-Policy", csp);
	g_string_free(page, TRUE);
	g_free(ctx);
	g_free(result);
	g_free(action);
	g_free(csp);
	g_free(nonce);
	return err;
}

ts_err ts_sts_can_issue(const struct ts_http_request *req, const char *primary_sid)
{
	/* The pool maps the token to its AD user by primary SID only. */
	if (primary_sid == NULL || *primary_sid == '\0')
		return TS_ERR_STS_PRIMARYSID_MISSING;
	return req->rt->sts_keys != NULL ? TS_ERR_OK : TS_ERR_NOT_READY;
}

ts_err ts_sts_answer(const struct ts_http_request *req, struct ts_http_response *resp,
		     const struct ts_config_pool *pool, const struct ts_ticket_claims *session,
		     const char *wreply, const char *wctx)
{
	const struct ts_config *cfg = req->rt->config;
	const char *groups[256];
	char *payload = NULL, *wresult = NULL, *issuer = ts_sts_entity_id(cfg);
	char *audience = ts_sts_realm(pool);
	json_t *extra = NULL, *g;
	size_t len = 0;
	struct ts_sts_token t = {
		.issuer = issuer,
		.audience = audience,
		.name_id = *session->upn != '\0' ? session->upn : session->sub,
		.upn = *session->upn != '\0' ? session->upn : NULL,
		.primary_sid = session->sid,
		.groups = groups,
		.amr = session->amr,
		.n_amr = session->n_amr,
		.mfa = ts_sso_has_mfa(cfg, pool, session),
		.lifetime = cfg->sts.token_lifetime,
	};
	ts_err err;

	if ((err = ts_sts_can_issue(req, session->sid)) != TS_ERR_OK) {
		err = ts_http_refuse(resp, err, err == TS_ERR_NOT_READY ? "no STS key" : session->sub,
				     NULL, NULL);
		goto out;
	}
	if (ts_state_session_payload(req->broker, session->jti, &payload) == TS_ERR_OK)
		extra = json_loads(payload, 0, NULL);
	g = json_object_get(extra, "groups");
	for (size_t i = 0; i < json_array_size(g) && t.n_groups < 256; i++)
		if (json_is_string(json_array_get(g, i)))
			groups[t.n_groups++] = json_string_value(json_array_get(g, i));
	t.name = json_string_value(json_object_get(extra, "name"));
	if ((err = ts_sts_issue(req->rt->sts_keys, ts_clock_now(&req->broker->clock), &t, &wresult,
				&len)) != TS_ERR_OK)
		goto out;
	err = post_page(resp, wreply, wresult, wctx);
	ts_log(TS_LOG_INFO, "sts_issued", "pool", pool->name, "sub", session->sub, "mfa",
	       t.mfa ? "yes" : "no");
out:
	json_decref(extra);
	free(payload);
	free(wresult);
	g_free(audience);
	g_free(issuer);
	return err;
}
