/* Every endpoint of the broker host (and /.tessera/ on pool hosts), in one
 * table: the whole HTTP API at a glance. */
#include <string.h>

#include "http.h"
#include "routes.h"

static const struct ts_route routes[] = {
	/* operations */
	{"GET", "/healthz", ts_route_healthz},
	{"GET", "/readyz", ts_route_readyz},
	{"GET", "/metrics", ts_route_metrics},
	/* what IdPs and upstreams read */
	{"GET", "/saml/metadata", ts_route_sp_metadata},
	{"GET", "/.well-known/jwks.json", ts_route_jwks},
	/* sign-in: to the IdP, back from it, handed to the pool */
	{"GET", "/signin", ts_route_signin},
	{"POST", "/saml/acs", ts_route_saml_acs},
	{"POST", "/wsfed", ts_route_wsfed},
	{"GET", "/.tessera/session", ts_route_pool_session},
	{"GET", "/signout", ts_route_signout},
	/* the pools' STS: their passive sign-in, and what their metadata URI names */
	{"GET", "/adfs/ls/", ts_route_sts_signin},
	{"GET", "/FederationMetadata/2007-06/FederationMetadata.xml", ts_route_federation_metadata},
	/* the gate's verdict for nginx auth_request, curl and tests */
	{"GET", "/gate", ts_route_gate},
	{"GET", "/.tessera/signin", ts_route_gate_signin},
};

#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Metrics labels: each route's path, then one for requests matching none. */
static const char *route_names[N_ROUTES + 1];

const char *const *ts_routes_names(size_t *n)
{
	if (route_names[N_ROUTES] == NULL) {
		for (size_t i = 0; i < N_ROUTES; i++)
			route_names[i] = routes[i].path;
		route_names[N_ROUTES] = "(none)";
	}
	*n = N_ROUTES + 1;
	return route_names;
}

/* NOT_FOUND when no route has that path; METHOD_NOT_ALLOWED with *allow set
 * when one has it under another method. */
ts_err ts_routes_find(const char *method, const char *path, ts_route_handler *out,
		      size_t *index, const char **allow)
{
	*allow = NULL;
	for (size_t i = 0; i < N_ROUTES; i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		*index = i;
		if (strcmp(routes[i].method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0)) {
			*out = routes[i].handler;
			return TS_ERR_OK;
		}
		*allow = routes[i].method;
	}
	return *allow != NULL ? TS_ERR_METHOD_NOT_ALLOWED : TS_ERR_NOT_FOUND;
}
