/* tesserad: the broker daemon. `-t` checks the configuration and exits. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cutover_run.h"
#include "request_batch.h"
#include "metrics.h"
#include "routes.h"
#include "runtime.h"
#include "http.h"
#include "gate_spop.h"
#include "spop_agent.h"
#include "tessera/log.h"
#include "tickets.h"

#define DEFAULT_CONFIG TS_SYSCONFDIR "/tessera/tessera.conf"

static void usage(FILE *to)
{
	fprintf(to, "usage: tesserad [-t] [-c FILE]\n"
		    "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
		    "  -t       check the configuration, print the verdict, exit 0 or 1\n"
		    "  -V       print the version\n");
}

/* What a start or a reload would load: the file, IdP metadata, certificates. */
static int check_config(const char *path)
{
	struct ts_runtime *rt = NULL;
	char why[512] = "";
	ts_err err = ts_saml_library_init();

	if (err == TS_ERR_OK)
		err = ts_runtime_load(path, ts_clock_now(NULL), false, &rt, why, sizeof why);
	ts_runtime_release(rt);
	ts_saml_library_shutdown();
	if (err != TS_ERR_OK) {
		fprintf(stderr, "tesserad: %s (%s)\n", why, ts_errname(err));
		return 1;
	}
	fprintf(stderr, "tesserad: configuration %s is valid\n", path);
	return 0;
}

/* The SPOP agent when [gate] spop_listen_address is set; *out stays NULL
 * when it is not. */
static ts_err spop_start(struct ts_broker *broker, struct ts_spop_agent **out)
{
	struct ts_spop_settings settings;

	*out = NULL;
	if (!ts_spop_configured(broker->config))
		return TS_ERR_OK;
	settings = ts_spop_settings_from_config(broker->config);
	/* SPOP has no authentication: whoever reaches the agent can ask for
	 * verdicts and report minted tickets. */
	if (strcmp(settings.listen_address, "127.0.0.1") != 0 &&
	    strcmp(settings.listen_address, "::1") != 0)
		ts_log(TS_LOG_WARN, "spop_not_loopback", "address", settings.listen_address, "advice",
		       "let only HAProxy reach this port (firewall), SPOP has no authentication");
	/* The gate decides what HAProxy asks, with the broker as context. */
	return ts_spop_agent_start(&settings, ts_gate_spop_notify, broker, out);
}

/* A key read only at start-up that the new file changes: named, so the
 * operator knows a restart is due and that the running value holds. */
static void restart_needed(bool changed, const char *section, const char *key)
{
	if (changed)
		ts_log(TS_LOG_WARN, "restart_needed", "key", key, "section", section, "kept",
		       "running value until restart");
}

/* The HTTP daemon and the SPOP agent keep their sockets, threads and caps
 * across SIGHUP. */
static void reload_check(const struct ts_config *running, const struct ts_config *next)
{
	restart_needed(strcmp(running->broker.listen_address, next->broker.listen_address) != 0,
		       "broker", "listen_address");
	restart_needed(running->broker.listen_port != next->broker.listen_port, "broker",
		       "listen_port");
	restart_needed(running->broker.threads != next->broker.threads, "broker", "threads");
	restart_needed(running->broker.max_connections != next->broker.max_connections, "broker",
		       "max_connections");
	restart_needed(running->broker.connection_timeout != next->broker.connection_timeout,
		       "broker", "connection_timeout");
	restart_needed(running->broker.max_body_bytes != next->broker.max_body_bytes, "broker",
		       "max_body_bytes");
	restart_needed(running->broker.max_header_bytes != next->broker.max_header_bytes,
		       "broker", "max_header_bytes");
	restart_needed(strcmp(running->store.path, next->store.path) != 0, "store", "path");
	restart_needed(running->store.replay_cache_entries != next->store.replay_cache_entries,
		       "store", "replay_cache_entries");
	restart_needed(running->store.outstanding_requests != next->store.outstanding_requests,
		       "store", "outstanding_requests");
	restart_needed(strcmp(running->spop.listen_address, next->spop.listen_address) != 0,
		       "gate", "spop_listen_address");
	restart_needed(running->spop.listen_port != next->spop.listen_port, "gate",
		       "spop_listen_port");
	restart_needed(running->spop.max_frame_size != next->spop.max_frame_size, "gate",
		       "spop_max_frame_size");
	restart_needed(running->spop.max_connections != next->spop.max_connections, "gate",
		       "spop_max_connections");
	restart_needed(running->spop.idle_timeout != next->spop.idle_timeout, "gate",
		       "spop_idle_timeout");
	restart_needed(running->spop.threads != next->spop.threads, "gate", "spop_threads");
}

/* SIGHUP: configuration, IdP metadata and keys are read again; a bad new
 * file is refused and the running snapshot keeps serving. Requests in
 * flight finish on the snapshot they started with. */
static void reload(struct ts_broker *broker, const char *path)
{
	struct ts_runtime *next = NULL;
	char why[512] = "";
	ts_err err = ts_runtime_load(path, ts_clock_now(&broker->clock), true, &next, why,
				     sizeof why);

	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "reload_refused", err, "reason", why, "kept",
			     "running configuration");
		return;
	}
	/* Logged before the new level applies, so a quieter level still shows it. */
	ts_log(TS_LOG_INFO, "reloaded", "config", path, "applied", "log,sp,idp,pool",
	       "restart_needed_for",
	       "broker.listen*,broker.threads,broker.max_*,broker.connection_timeout,tickets.*,"
	       "store.*,gate.spop_*");
	reload_check(broker->config, next->config);
	ts_broker_cutover_reload(broker, next->config);
	ts_log_set_level(next->config->log.level);
	ts_runtime_install(broker, next);
}

/* Serves until SIGTERM or SIGINT; signals are taken synchronously so no
 * handler runs in the middle of a request thread. */
static int serve(const char *path)
{
	struct ts_broker broker = {.clock = ts_clock_real(), .config_path = path};
	struct ts_runtime *rt = NULL;
	struct ts_spop_agent *spop = NULL;
	const char *const *route_names;
	size_t n_routes = 0;
	char why[512] = "";
	sigset_t set;
	char port[8];
	int sig = 0, rc = 1;
	ts_err err;

	pthread_mutex_init(&broker.runtime_lock, NULL);
	if ((err = ts_saml_library_init()) != TS_ERR_OK ||
	    (err = ts_runtime_load(path, ts_clock_now(&broker.clock), true, &rt, why,
				   sizeof why)) != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "config_invalid", err, "reason", why);
		goto out;
	}
	ts_log_set_level(rt->config->log.level);
	broker.config = rt->config; /* restart-only settings: the first snapshot's */
	broker.runtime = rt;
	atomic_fetch_add(&rt->refs, 1); /* broker.config keeps the first one alive */
	route_names = ts_routes_names(&n_routes);
	broker.metrics = ts_metrics_new(route_names, n_routes);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Block before threads start so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (broker.metrics == NULL || ts_broker_tickets_start(&broker) != TS_ERR_OK ||
	    ts_broker_cutover_start(&broker) != TS_ERR_OK ||
	    ts_request_batch_start(ts_broker_store(&broker), &broker.requests) != TS_ERR_OK)
		goto out;
	if (ts_http_start(&broker) != TS_ERR_OK)
		goto out_requests;
	snprintf(port, sizeof port, "%u", broker.bound_port);
	ts_log(TS_LOG_INFO, "listening", "address", broker.config->broker.listen_address, "port",
	       port, "config", path);
	if (spop_start(&broker, &spop) != TS_ERR_OK)
		goto out_http;
	atomic_store(&broker.spop, spop);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		reload(&broker, path);
		ts_broker_tickets_reload(&broker); /* key ring rotated, revocations */
	}
	ts_log(TS_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* The agent first: HAProxy gets its DISCONNECT while HTTP still serves. */
	atomic_store(&broker.spop, NULL);
	ts_spop_agent_stop(spop);
	rc = 0;
out_http:
	/* Held answers are let go before libmicrohttpd stops (it must not
	 * stop with a connection suspended). */
	ts_request_batch_stop(broker.requests);
	ts_http_stop(&broker);
out_requests:
	ts_request_batch_stop(broker.requests);
	ts_request_batch_free(broker.requests);
out:
	ts_broker_cutover_stop(&broker);
	ts_broker_tickets_stop(&broker);
	ts_metrics_free(broker.metrics);
	if (broker.runtime != NULL)
		ts_runtime_release(broker.runtime);
	if (rt != NULL)
		ts_runtime_release(rt); /* the first snapshot, held for broker.config */
	pthread_mutex_destroy(&broker.runtime_lock);
	ts_saml_library_shutdown();
	return rc;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int check_only = 0, opt;

	while ((opt = getopt(argc, argv, "c:thV")) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 't':
			check_only = 1;
			break;
		case 'V':
			printf("tesserad %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	return check_only ? check_config(path) : serve(path);
}
