/* Starting and stopping the cutover side of tesserad. The gate reaches it
 * through broker->usage (ts_usage_record per legacy request) and
 * broker->stage_watch (ts_stage_watch_acquire per request). */
#include <stdlib.h>

#include "broker.h"
#include "cutover_run.h"
#include "stage_watch.h"
#include "ticket_seen.h"
#include "tessera/cutover.h"
#include "tessera/log.h"
#include "usage.h"

/* How long a SIGHUP waits for the stages of the new pool list: longer
 * than a round stuck on the store's busy timeout (5 s a statement). */
#define STAGE_RELOAD_WAIT_MS 15000

/* Each pool's name (borrowed from cfg) and [pool] stage. */
static ts_err configured_stages(const struct ts_config *cfg, const char ***names,
				enum ts_stage **stages)
{
	*names = calloc(cfg->n_pools + 1, sizeof **names);
	*stages = calloc(cfg->n_pools + 1, sizeof **stages);
	if (*names == NULL || *stages == NULL)
		return TS_ERR_NOMEM;
	for (size_t i = 0; i < cfg->n_pools; i++) {
		(*names)[i] = cfg->pools[i].name;
		/* The schema allows only the three names. */
		if (ts_stage_parse(cfg->pools[i].stage, &(*stages)[i]) != TS_ERR_OK)
			(*stages)[i] = TS_STAGE_LEGACY;
	}
	return TS_ERR_OK;
}

ts_err ts_broker_cutover_start(struct ts_broker *broker)
{
	const struct ts_config *cfg = broker->config;
	const char **names = NULL;
	enum ts_stage *stages = NULL;
	ts_err err;

	if ((err = configured_stages(cfg, &names, &stages)) != TS_ERR_OK)
		goto out;
	if ((err = ts_cutover_open(cfg->store.path, true, &broker->cutover)) != TS_ERR_OK ||
	    (err = ts_cutover_set_ticket_max(broker->cutover,
					     (size_t)cfg->cutover.ticket_records_max)) != TS_ERR_OK)
		goto out;
	err = TS_ERR_NOMEM;
	if ((broker->usage = ts_usage_new((size_t)cfg->cutover.usage_max_entries)) == NULL ||
	    (broker->tickets_seen = ts_ticket_seen_new()) == NULL)
		goto out;
	if ((err = ts_usage_start(broker->usage, broker->cutover, cfg->cutover.usage_flush_interval,
				  cfg->cutover.usage_retention_days, &broker->clock)) != TS_ERR_OK)
		goto out;
	err = ts_stage_watch_start(cfg->store.path, names, stages, cfg->n_pools,
				   cfg->cutover.stage_poll_interval_ms, &broker->stage_watch);
out:
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_ERR, "cutover_start_failed", err, "path", cfg->store.path);
	free(names);
	free(stages);
	return err;
}

ts_err ts_broker_cutover_reload(struct ts_broker *broker, const struct ts_config *next)
{
	const char **names = NULL;
	enum ts_stage *stages = NULL;
	ts_err err;

	if (broker->stage_watch == NULL)
		return TS_ERR_OK;
	if ((err = configured_stages(next, &names, &stages)) == TS_ERR_OK)
		err = ts_stage_watch_set_pools(broker->stage_watch, names, stages, next->n_pools,
					       STAGE_RELOAD_WAIT_MS);
	/* The new configuration is installed anyway: a pool the watch does
	 * not have yet is gated by its [pool] stage until it does. */
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_ERR, "stage_watch_pools_pending", err, "path",
			     broker->config->store.path, "then",
			     err == TS_ERR_NOT_READY ? "applied at the next stage read"
						     : "send SIGHUP again");
	free(names);
	free(stages);
	return err;
}

void ts_broker_cutover_stop(struct ts_broker *broker)
{
	ts_stage_watch_stop(broker->stage_watch);
	broker->stage_watch = NULL;
	/* After the HTTP threads stopped: the last flush has every record. */
	ts_usage_free(broker->usage);
	broker->usage = NULL;
	ts_cutover_close(broker->cutover);
	broker->cutover = NULL;
	ts_ticket_seen_free(broker->tickets_seen);
	broker->tickets_seen = NULL;
}
