/* GET /healthz: the process is up and serving HTTP. */
#include "broker.h"
#include "routes.h"

ts_err ts_route_healthz(struct ts_broker *broker, const struct ts_http_request *req,
			struct ts_http_response *resp)
{
	return ts_http_respond_text(resp, 200, "ok\n");
}
