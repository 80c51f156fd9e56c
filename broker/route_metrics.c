/* GET /metrics: Prometheus text exposition: the counters of metrics.c, each
 * pool's cutover stage as the gate applies it now, and when each IdP's
 * metadata expires. */
#include <glib.h>
#include <stdlib.h>

#include "broker.h"
#include "gate.h"
#include "gate_cutover.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "stage_watch.h"
#include "tessera/saml.h"

/* tessera_pool_stage{pool,stage}: 1 for the pool's stage, 0 for the others. */
static void pool_stages(struct ts_broker *b, const struct ts_config *cfg, GString *out)
{
	struct ts_gate_policy policy = {
		.config = cfg,
		.stages = b->stage_watch != NULL ? ts_stage_watch_acquire(b->stage_watch) : NULL};

	g_string_append(out, "# HELP tessera_pool_stage Each pool's cutover stage (1: current).\n"
			     "# TYPE tessera_pool_stage gauge\n");
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const enum ts_gate_stage now = ts_gate_pool_stage(&policy, &cfg->pools[i]);
		for (int s = 0; s < TS_GATE_STAGE__COUNT; s++)
			/* Pool names are [A-Za-z0-9._-] (config.c): no label escaping. */
			g_string_append_printf(out, "tessera_pool_stage{pool=\"%s\",stage=\"%s\"} %d\n",
					       cfg->pools[i].name, ts_gate_stage_name(s), s == (int)now);
	}
	if (policy.stages != NULL)
		ts_stage_snapshot_release((struct ts_stage_snapshot *)policy.stages);
}

/* When trust in each IdP's metadata ends (Unix time), for IdPs whose
 * metadata says: alert on it as on a certificate's expiry. */
#define IDP_VALID_UNTIL "tessera_idp_metadata_valid_until_timestamp_seconds"
static void idp_metadata(const struct ts_runtime *rt, GString *out)
{
	g_string_append(out, "# HELP " IDP_VALID_UNTIL " When an IdP's metadata expires "
			     "(validUntil); its sign-ins are refused from then.\n"
			     "# TYPE " IDP_VALID_UNTIL " gauge\n");
	for (size_t i = 0; i < rt->config->n_idps; i++) {
		const char *name = rt->config->idps[i].name;
		const ts_time until = ts_saml_idp_valid_until(rt->saml, name);

		/* IdP names are [A-Za-z0-9._-] (config.c): no label escaping. */
		if (until != 0)
			g_string_append_printf(out, IDP_VALID_UNTIL "{idp=\"%s\"} %lld\n", name,
					       (long long)until);
	}
}

TS_ROUTE(ts_route_metrics)
{
	char *text = NULL;
	size_t len = 0;
	ts_err err = ts_metrics_render(req->broker->metrics, &text, &len);
	GString *out;

	if (err != TS_ERR_OK)
		return err;
	out = g_string_new_len(text, (gssize)len);
	free(text);
	pool_stages(req->broker, req->rt->config, out);
	idp_metadata(req->rt, out);
	err = ts_http_respond(resp, 200, "text/plain; version=0.0.4; charset=utf-8", out->str,
			      out->len);
	g_string_free(out, TRUE);
	return err;
}
