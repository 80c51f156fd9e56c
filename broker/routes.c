/* Every endpoint of the broker host, in one table. */
#include <string.h>

#include "http.h"
#include "routes.h"

static const struct ts_route routes[] = {
	{"GET", "/healthz", ts_route_healthz},
};

/* NOT_FOUND when no route has that path; METHOD_NOT_ALLOWED with *allow set
 * when one has it under another method. */
ts_err ts_routes_find(const char *method, const char *path, ts_route_handler *out,
		      const char **allow)
{
	*allow = NULL;
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*out = routes[i].handler;
			return TS_ERR_OK;
		}
		*allow = routes[i].method;
	}
	return *allow != NULL ? TS_ERR_METHOD_NOT_ALLOWED : TS_ERR_NOT_FOUND;
}
