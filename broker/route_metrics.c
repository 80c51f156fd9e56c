/* GET /metrics: Prometheus text exposition: the counters of metrics.c, and
 * each pool's cutover stage as the gate applies it now. */
#include <glib.h>
#include <stdlib.h>

#include "broker.h"
#include "gate.h"
#include "gate_cutover.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "stage_watch.h"

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
	err = ts_http_respond(resp, 200, "text/plain; version=0.0.4; charset=utf-8", out->str,
			      out->len);
	g_string_free(out, TRUE);
	return err;
}
