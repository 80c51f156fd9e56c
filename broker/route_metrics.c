/* GET /metrics: Prometheus text exposition. */
#include <stdlib.h>

#include "broker.h"
#include "metrics.h"
#include "routes.h"

TS_ROUTE(ts_route_metrics)
{
	char *text = NULL;
	size_t len = 0;
	ts_err err = ts_metrics_render(req->broker->metrics, &text, &len);

	if (err == TS_ERR_OK)
		err = ts_http_respond(resp, 200, "text/plain; version=0.0.4; charset=utf-8", text,
				      len);
	free(text);
	return err;
}
