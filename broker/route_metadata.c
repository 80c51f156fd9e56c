/* GET /saml/metadata (our SP metadata, for IdP administrators) and
 * GET /.well-known/jwks.json (ticket verification keys, for upstreams). */
#include <stdlib.h>

#include "broker.h"
#include "routes.h"
#include "runtime.h"
#include "tickets.h"
#include "tessera/ticket.h"

TS_ROUTE(ts_route_sp_metadata)
{
	char *xml = NULL;
	size_t len = 0;
	ts_err err = ts_saml_sp_metadata(req->rt->saml, &xml, &len);

	if (err == TS_ERR_OK)
		err = ts_http_respond(resp, 200, "application/samlmetadata+xml", xml, len);
	free(xml);
	return err;
}

TS_ROUTE(ts_route_jwks)
{
	struct ts_tickets *t = ts_broker_ticketing(req->broker);
	struct ts_keyring *ring = t != NULL ? ts_tickets_keyring(t) : NULL;
	char *json = NULL;
	size_t len = 0;
	ts_err err = ring != NULL ? ts_jwks_build(ring, ts_clock_now(&req->broker->clock), &json, &len)
				  : TS_ERR_NOT_READY;

	if (err == TS_ERR_OK)
		err = ts_http_respond(resp, 200, "application/jwk-set+json", json, len);
	free(json);
	ts_keyring_unref(ring);
	return err;
}
