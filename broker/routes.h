/* Handlers named in the route table, one file per endpoint family. */
#ifndef TS_BROKER_ROUTES_H
#define TS_BROKER_ROUTES_H

#include "http.h"

#define TS_ROUTE(name) \
	ts_err name(const struct ts_http_request *req, struct ts_http_response *resp)

/* route_health.c */
TS_ROUTE(ts_route_healthz);
TS_ROUTE(ts_route_readyz);
/* route_metrics.c */
TS_ROUTE(ts_route_metrics);
/* route_metadata.c */
TS_ROUTE(ts_route_sp_metadata);
TS_ROUTE(ts_route_jwks);
/* route_signin.c */
TS_ROUTE(ts_route_signin);
/* route_acs.c */
TS_ROUTE(ts_route_saml_acs);
TS_ROUTE(ts_route_wsfed);
/* route_sts.c */
TS_ROUTE(ts_route_sts_signin);
TS_ROUTE(ts_route_federation_metadata);
/* route_session.c */
TS_ROUTE(ts_route_pool_session);
TS_ROUTE(ts_route_signout);
/* route_gate.c */
TS_ROUTE(ts_route_gate);
TS_ROUTE(ts_route_gate_signin);

#endif
