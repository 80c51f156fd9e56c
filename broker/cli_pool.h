/* Private to the tessera pool / report commands (broker/cli_pool*.c,
 * cli_report.c, cli_runbook.c): the context every subcommand works in. */
#ifndef TS_BROKER_CLI_POOL_H
#define TS_BROKER_CLI_POOL_H

#include <stdbool.h>
#include <stdio.h>

#include "tessera/clock.h"
#include "tessera/config.h"
#include "tessera/cutover.h"

struct ts_cli_pool {
	struct ts_config *cfg;
	struct ts_cutover *store;
	char who[TS_CUTOVER_NAME_MAX]; /* OS user running the CLI, and SUDO_USER */
	ts_time now;
};

/* Loads the config at path, opens the cutover store (creating it, as the
 * CLI may run before tesserad ever did). Prints why and returns 1 on failure. */
int ts_cli_pool_open(struct ts_cli_pool *ctx, const char *path);
void ts_cli_pool_close(struct ts_cli_pool *ctx);
/* The configured pool, or NULL after printing that it is unknown. */
const struct ts_config_pool *ts_cli_pool_find(struct ts_cli_pool *ctx, const char *name);
enum ts_stage ts_cli_pool_configured(const struct ts_config_pool *p);
/* --since: YYYY-MM-DD or ISO 8601; NULL gives now - plan_window_days. */
int ts_cli_pool_since(struct ts_cli_pool *ctx, const char *text, ts_time *out);
/* Prints "tessera: WHAT: sentence (NAME)" and returns 1. */
int ts_cli_pool_fail(const char *what, ts_err err);

/* The who-would-break check run inside the stage change (cli_pool_plan.c):
 * a flip to passive is refused while the plan lists users who break,
 * unless forced; the plan is printed either way. */
struct ts_cli_break_check {
	struct ts_cli_pool *ctx;
	ts_time since;
	bool force;
	size_t breaks; /* in the pool that refused, or all forced through */
};
ts_err ts_cli_break_check(void *arg, struct ts_cutover *c, const char *pool,
			  enum ts_stage from, enum ts_stage to);
/* Prints the plan lines (breaks first) to f. */
void ts_cli_plan_print(FILE *f, const struct ts_plan *plan);

/* Subcommands: argv from the subcommand's name on; -c already consumed. */
int ts_cli_pool_plan(struct ts_cli_pool *ctx, int argc, char **argv);
int ts_cli_pool_except(struct ts_cli_pool *ctx, int argc, char **argv);
int ts_cli_pool_runbook(struct ts_cli_pool *ctx, int argc, char **argv);

#endif
