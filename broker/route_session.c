/* On pool hosts, GET /.tessera/session?code=C&return=PATH redeems the
 * hand-over code, in the browser it was issued to, for a host-only cookie
 * with a ticket for that pool. */
#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "sso.h"
#include "state.h"
#include "tickets.h"
#include "tessera/log.h"

static ts_err mint_for_pool(const struct ts_http_request *req, struct ts_http_response *resp,
			    json_t *p, const struct ts_config_pool *pool)
{
	struct ts_broker *b = req->broker;
	struct ts_tickets *t = ts_broker_ticketing(b);
	json_t *amr = json_object_get(p, "amr");
	const char *amr_values[16];
	struct ts_ticket_identity who = {
		.sub = json_string_value(json_object_get(p, "sub")),
		.upn = json_string_value(json_object_get(p, "upn")),
		.sid = json_string_value(json_object_get(p, "sid")),
		.idp = json_string_value(json_object_get(p, "idp")),
		.amr = amr_values,
	};
	const char *session = json_string_value(json_object_get(p, "session"));
	const struct ts_ticket_claims *claims = NULL;
	char *token = NULL;
	size_t len = 0;
	ts_err err;

	for (size_t i = 0; i < json_array_size(amr) && who.n_amr < 16; i++)
		amr_values[who.n_amr++] = json_string_value(json_array_get(amr, i));
	/* Absent optional claims travel as ""; the ticket leaves them out. */
	if (who.upn != NULL && *who.upn == '\0')
		who.upn = NULL;
	if (who.sid != NULL && *who.sid == '\0')
		who.sid = NULL;
	if (who.sub == NULL || session == NULL)
		return TS_ERR_CODE_UNKNOWN;
	if ((err = ts_ticket_mint_claims(t, &who, pool->name, &token, &len, &claims)) !=
		    TS_ERR_OK ||
	    (err = ts_state_session_ticket_add(b, session, claims->jti, claims->exp)) != TS_ERR_OK)
		goto out;
	ts_metrics_ticket_minted(b->metrics);
	err = ts_http_set_cookie(resp, TS_POOL_COOKIE, token,
				 (long)(claims->exp - ts_clock_now(&b->clock)));
out:
	if (claims != NULL)
		ts_ticket_claims_release(claims);
	free(token);
	return err;
}

TS_ROUTE(ts_route_pool_session)
{
	const char *code = NULL, *ret = NULL;
	const struct ts_config_pool *pool;
	char *payload = NULL;
	json_t *p = NULL;
	ts_err err;

	if ((err = ts_http_query(req, "code", &code)) != TS_ERR_OK)
		return ts_http_refuse(resp, TS_ERR_CODE_UNKNOWN, "code= is missing", NULL, NULL);
	if ((err = ts_state_code_take(req->broker, code, &payload)) != TS_ERR_OK)
		return ts_http_refuse(resp, err, NULL, NULL, NULL);
	p = json_loads(payload, JSON_REJECT_DUPLICATES, NULL);
	pool = ts_config_find_pool(req->rt->config,
				   json_string_value(json_object_get(p, "pool")));
	ret = json_string_value(json_object_get(p, "return"));
	if (pool == NULL || ret == NULL) {
		err = ts_http_refuse(resp, TS_ERR_CODE_UNKNOWN, "code names no configured pool",
				     NULL, NULL);
		goto out;
	}
	/* Redeemed only on the host it was issued for: a code replayed on
	 * another pool's host must not become that pool's ticket. */
	if (!ts_http_host_is(req, pool->host)) {
		err = ts_http_refuse(resp, TS_ERR_CODE_WRONG_HOST, pool->host, NULL, NULL);
		goto out;
	}
	/* And only by the browser it was issued to (browser_bind.h): a code
	 * someone else got for themselves must not sign this browser in as
	 * them. Taken either way: it was the other's, single use. */
	if (!ts_browser_bound(req, &ts_browser_bind_cookie,
			      json_string_value(json_object_get(p, "bind")))) {
		char *ret_q = g_uri_escape_string(ret, NULL, FALSE);
		char *again = g_strdup_printf("/.tessera/signin?return=%s", ret_q);

		ts_log_error(TS_LOG_WARN, "code_refused", TS_ERR_CODE_OTHER_BROWSER, "pool",
			     pool->name);
		err = ts_http_refuse(resp, TS_ERR_CODE_OTHER_BROWSER,
				     "this sign-in was started in another browser",
				     "Sign in from this browser", again);
		g_free(again);
		g_free(ret_q);
		goto out;
	}
	if ((err = mint_for_pool(req, resp, p, pool)) == TS_ERR_OK)
		err = ts_http_redirect(resp, ret); /* the path checked at /signin */
out:
	json_decref(p);
	free(payload);
	return err;
}
