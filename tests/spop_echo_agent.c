/* spop_echo_agent -c FILE: the SPOP agent of FILE's [gate] spop_* keys with
 * a decision that echoes, for tests against a real HAProxy (not installed).
 * Each NOTIFY's first message's first argument comes back as the variable
 * "echo" in txn scope (HAProxy shows it as txn.<var-prefix>.echo). Stops
 * on SIGTERM or SIGINT; SIGHUP is logged and ignored, like tesserad's
 * restart-only keys. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../broker/spop_agent.h"
#include "tessera/config.h"
#include "tessera/log.h"

static void echo_first_arg(void *ctx, const struct ts_spop_message *msgs, size_t n,
			   struct ts_spop_ack *ack)
{
	if (n > 0 && msgs[0].n_args > 0)
		ts_spop_ack_set_var(ack, TS_SPOP_SCOPE_TXN, "echo", &msgs[0].args[0].value);
}

int main(int argc, char **argv)
{
	struct ts_config *cfg = NULL;
	struct ts_config_diag diag;
	struct ts_spop_agent *agent = NULL;
	struct ts_spop_settings settings;
	sigset_t set;
	int sig = 0;
	ts_err err;

	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: spop_echo_agent -c FILE\n");
		return 2;
	}
	if ((err = ts_config_load(argv[2], &cfg, &diag)) != TS_ERR_OK) {
		fprintf(stderr, "spop_echo_agent: %s (%s)\n", diag.text, ts_errname(err));
		return 1;
	}
	ts_log_set_level(cfg->log.level);
	if (!ts_spop_configured(cfg)) {
		fprintf(stderr, "spop_echo_agent: [gate] spop_listen_address is empty\n");
		ts_config_free(cfg);
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before the agent's threads start */
	settings = ts_spop_settings_from_config(cfg);
	if (ts_spop_agent_start(&settings, echo_first_arg, NULL, &agent) != TS_ERR_OK) {
		ts_config_free(cfg);
		return 1;
	}
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
		ts_log(TS_LOG_INFO, "reload_ignored", "reason", "echo agent has nothing to reload");
	ts_spop_agent_stop(agent);
	ts_config_free(cfg);
	return 0;
}
