/* GET /healthz: the process serves HTTP. GET /readyz: it can also do its
 * job: the store answers, a signing key is active, IdP trust is loaded. */
#include <glib.h>

#include "broker.h"
#include "routes.h"
#include "runtime.h"
#include "stage_watch.h"
#include "tickets.h"
#include "tessera/keyring.h"
#include "tessera/store.h"
#include "tessera/ticket.h"

TS_ROUTE(ts_route_healthz)
{
	return ts_http_respond_text(resp, 200, "ok\n");
}

static ts_err count_one(void *arg, const struct ts_revocation *rev)
{
	(*(size_t *)arg)++;
	return TS_ERR_OK;
}

TS_ROUTE(ts_route_readyz)
{
	struct ts_broker *b = req->broker;
	struct ts_store *store = ts_broker_store(b);
	struct ts_tickets *tickets = ts_broker_ticketing(b);
	struct ts_keyring *ring = tickets != NULL ? ts_tickets_keyring(tickets) : NULL;
	GString *why = g_string_new(NULL);
	size_t n = 0;
	ts_err err;

	if (store == NULL || store->revocations_each(store->impl, ts_clock_now(&b->clock),
						     count_one, &n) != TS_ERR_OK)
		g_string_append(why, "store: not answering\n");
	if (ring == NULL || ts_keyring_active(ring) == NULL)
		g_string_append(why, "keys: no active ticket-signing key\n");
	if (b->stage_watch == NULL || !ts_stage_watch_ready(b->stage_watch, NULL, 0))
		g_string_append(why, "stages: cutover store cannot be read, last known stages kept\n");
	if (req->rt->config->n_idps == 0)
		g_string_append(why, "idp: none configured\n");
	ts_keyring_unref(ring);
	if (why->len == 0) {
		g_string_free(why, TRUE);
		return ts_http_respond_text(resp, 200, "ready\n");
	}
	err = ts_http_respond_text(resp, 503, why->str);
	resp->refusal = TS_ERR_NOT_READY;
	g_string_free(why, TRUE);
	return err;
}
