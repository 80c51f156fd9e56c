/* tesserad: the broker daemon. `-t` checks the configuration and exits. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "http.h"
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

static int check_config(const char *path)
{
	struct ts_config_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	ts_err err = ts_config_load(path, &cfg, &diag);

	ts_config_free(cfg);
	if (err != TS_ERR_OK) {
		fprintf(stderr, "tesserad: %s (%s)\n", diag.text, ts_errname(err));
		return 1;
	}
	fprintf(stderr, "tesserad: configuration %s is valid\n", path);
	return 0;
}

/* SIGHUP: a bad new file is refused and the running configuration stays. */
static void reload(struct ts_broker *broker, const char *path)
{
	struct ts_config_diag diag = {{0}};
	struct ts_config *next = NULL;
	ts_err err = ts_config_load(path, &next, &diag);

	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "reload_refused", err, "reason", diag.text);
		return;
	}
	/* Logged before the new level applies, so a quieter level still shows it. */
	ts_log(TS_LOG_INFO, "reloaded", "config", path, "applied", "log.level",
	       "restart_needed_for", "broker.*,tickets.*,store.*");
	ts_log_set_level(next->log.level);
	ts_config_free(next);
}

/* Serves until SIGTERM or SIGINT; signals are taken synchronously so no
 * handler runs in the middle of a request thread. */
static int serve(const char *path)
{
	struct ts_config_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	struct ts_broker broker = {.clock = ts_clock_real()};
	sigset_t set;
	char port[8];
	int sig = 0, rc = 1;
	ts_err err;

	if ((err = ts_config_load(path, &cfg, &diag)) != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "config_invalid", err, "reason", diag.text);
		return 1;
	}
	ts_log_set_level(cfg->log.level);
	broker.config = cfg;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Block before threads start so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (ts_broker_tickets_start(&broker) != TS_ERR_OK || ts_http_start(&broker) != TS_ERR_OK)
		goto out;
	snprintf(port, sizeof port, "%u", broker.bound_port);
	ts_log(TS_LOG_INFO, "listening", "address", cfg->broker.listen_address, "port", port,
	       "config", path);
	while (sigwait(&set, &sig) == 0 && sig == SIGHUP) {
		reload(&broker, path);
		ts_broker_tickets_reload(&broker); /* key ring rotated, revocations */
	}
	ts_log(TS_LOG_INFO, "stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
	ts_http_stop(&broker);
	rc = 0;
out:
	ts_broker_tickets_stop(&broker);
	ts_config_free(cfg);
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
