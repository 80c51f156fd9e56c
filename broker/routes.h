/* Handlers named in the route table, one file per endpoint family. */
#ifndef TS_BROKER_ROUTES_H
#define TS_BROKER_ROUTES_H

#include "http.h"

/* broker/route_health.c */
ts_err ts_route_healthz(struct ts_broker *broker, const struct ts_http_request *req,
			struct ts_http_response *resp);

#endif
