/* GET /healthz: the process serves HTTP. GET /readyz: it can also do its
 * job: the store takes writes, a signing key is active, IdP trust is loaded
 * and some of it still valid, and, with the gate's agent configured,
 * HAProxy reaches it. The answer lists IdPs whose metadata has expired. */
#include <glib.h>

#include "broker.h"
#include "routes.h"
#include "runtime.h"
#include "spop_agent.h"
#include "stage_watch.h"
#include "tickets.h"
#include "tessera/keyring.h"
#include "tessera/saml.h"
#include "tessera/store.h"
#include "tessera/ticket.h"

/* Seconds without a HELLO from HAProxy before the gate counts as cut off. */
#define SPOP_SILENCE_MAX 30

TS_ROUTE(ts_route_healthz)
{
	return ts_http_respond_text(resp, 200, "ok\n");
}

/* Lists each IdP whose metadata is past its validUntil; how many. One such
 * IdP does not make tesserad unready: every instance reads the same file,
 * and a balancer dropping them all would stop the other IdPs too. */
static size_t expired_idps(const struct ts_http_request *req, GString *out)
{
	const ts_time now = ts_clock_now(&req->broker->clock);
	size_t n = 0;

	for (size_t i = 0; i < req->rt->config->n_idps; i++) {
		const char *name = req->rt->config->idps[i].name;
		const ts_time until = ts_saml_idp_valid_until(req->rt->saml, name);
		char at[TS_TIME_ISO_LEN];

		if (until == 0 || now < until)
			continue;
		ts_time_format(until, at);
		g_string_append_printf(out, "idp %s: metadata validUntil %s has passed, its "
					    "sign-ins are refused (refresh the file and reload)\n",
				       name, at);
		n++;
	}
	return n;
}

TS_ROUTE(ts_route_readyz)
{
	struct ts_broker *b = req->broker;
	struct ts_store *store = ts_broker_store(b);
	struct ts_tickets *tickets = ts_broker_ticketing(b);
	struct ts_keyring *ring = tickets != NULL ? ts_tickets_keyring(tickets) : NULL;
	GString *why = g_string_new(NULL), *degraded = g_string_new(NULL);
	ts_err err;

	if (store == NULL || store->write_check(store->impl) != TS_ERR_OK)
		g_string_append(why, "store: cannot write (see the log)\n");
	if (ring == NULL || ts_keyring_active(ring) == NULL)
		g_string_append(why, "keys: no active ticket-signing key\n");
	if (b->stage_watch == NULL || !ts_stage_watch_ready(b->stage_watch, NULL, 0))
		g_string_append(why, "stages: cutover store cannot be read, last known stages kept\n");
	if (req->rt->config->n_idps == 0)
		g_string_append(why, "idp: none configured\n");
	else if (expired_idps(req, degraded) == req->rt->config->n_idps)
		g_string_append(why, "idp: the metadata of every IdP has expired\n");
	if (ts_spop_configured(b->config)) {
		/* HAProxy's spop-check says HELLO every few seconds: silence
		 * means pool requests are failing closed (503). */
		struct ts_spop_agent *agent = atomic_load(&b->spop);
		long long since = agent != NULL ? ts_spop_agent_since_hello(agent) : -1;
		if (since < 0 || since > SPOP_SILENCE_MAX)
			g_string_append(why, "gate: HAProxy has not reached the SPOP agent lately "
					      "(pool requests fail closed)\n");
	}
	ts_keyring_unref(ring);
	if (why->len == 0) {
		g_string_prepend(degraded, "ready\n");
		err = ts_http_respond_text(resp, 200, degraded->str);
	} else {
		g_string_append(why, degraded->str);
		err = ts_http_respond_text(resp, 503, why->str);
		resp->refusal = TS_ERR_NOT_READY;
	}
	g_string_free(why, TRUE);
	g_string_free(degraded, TRUE);
	return err;
}
