/* tessera pool status|set|rollback|history (and the dispatch to plan,
 * runbook and except): the operator's side of the per-pool cutover. Every
 * change names who made it (the OS user, and SUDO_USER) and why, and
 * carries the version it was based on: two operators at once, one wins,
 * the other is told who got there first. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_pool.h"
#include "tessera/log.h"
#include "tessera/util.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: tessera pool status [POOL] [-c FILE]\n"
		"       tessera pool set POOL STAGE --reason TEXT [--force] [--version N] [-c FILE]\n"
		"       tessera pool set --all STAGE --reason TEXT [--force] [-c FILE]\n"
		"       tessera pool rollback POOL [--reason TEXT] [--force] [-c FILE]\n"
		"       tessera pool plan POOL [--since DATE] [-c FILE]\n"
		"       tessera pool runbook POOL [-c FILE]\n"
		"       tessera pool except add POOL (--user U | --agent PATTERN | --cidr NET)\n"
		"                          --until DATE --reason TEXT [-c FILE]\n"
		"       tessera pool except rm POOL ID [-c FILE]\n"
		"       tessera pool except list POOL [-c FILE]\n"
		"       tessera pool history POOL [-c FILE]\n"
		"STAGE is legacy, audit or passive; DATE is YYYY-MM-DD (00:00 UTC) or ISO 8601.\n");
	return 2;
}

int ts_cli_pool_fail(const char *what, ts_err err)
{
	fprintf(stderr, "tessera: %s: %s (%s)\n", what, ts_strerror(err), ts_errname(err));
	return 1;
}

/* The OS user, not a name the caller types: the journal's "who". */
static void who_am_i(char *out, size_t len)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *sudo = getenv("SUDO_USER");
	char uid[24];

	snprintf(uid, sizeof uid, "uid=%lu", (unsigned long)geteuid());
	if (sudo != NULL && *sudo != '\0')
		snprintf(out, len, "%s (sudo as %s)", sudo, pw != NULL ? pw->pw_name : uid);
	else
		snprintf(out, len, "%s", pw != NULL ? pw->pw_name : uid);
}

int ts_cli_pool_open(struct ts_cli_pool *ctx, const char *path)
{
	struct ts_config_diag diag = {{0}};
	struct ts_clock clock = ts_clock_real();
	ts_err err;

	memset(ctx, 0, sizeof *ctx);
	if ((err = ts_config_load(path, &ctx->cfg, &diag)) != TS_ERR_OK) {
		fprintf(stderr, "tessera: %s (%s)\n", diag.text, ts_errname(err));
		return 1;
	}
	ts_log_set_level(ctx->cfg->log.level);
	if ((err = ts_cutover_open(ctx->cfg->store.path, true, &ctx->store)) != TS_ERR_OK) {
		fprintf(stderr, "tessera: cannot open the store %s: %s (%s)\n",
			ctx->cfg->store.path, ts_strerror(err), ts_errname(err));
		ts_config_free(ctx->cfg);
		ctx->cfg = NULL;
		return 1;
	}
	who_am_i(ctx->who, sizeof ctx->who);
	ctx->now = ts_clock_now(&clock);
	return 0;
}

void ts_cli_pool_close(struct ts_cli_pool *ctx)
{
	ts_cutover_close(ctx->store);
	ts_config_free(ctx->cfg);
	memset(ctx, 0, sizeof *ctx);
}

const struct ts_config_pool *ts_cli_pool_find(struct ts_cli_pool *ctx, const char *name)
{
	const struct ts_config_pool *p = ts_config_find_pool(ctx->cfg, name);

	if (p == NULL)
		fprintf(stderr, "tessera: no pool '%s' in %s (%s)\n", name, ctx->cfg->path,
			ts_errname(TS_ERR_POOL_UNKNOWN));
	return p;
}

enum ts_stage ts_cli_pool_configured(const struct ts_config_pool *p)
{
	enum ts_stage s = TS_STAGE_LEGACY;

	ts_stage_parse(p->stage, &s); /* the schema allows only the three names */
	return s;
}

int ts_cli_pool_since(struct ts_cli_pool *ctx, const char *text, ts_time *out)
{
	char full[32];

	if (text == NULL) {
		*out = ctx->now - (ts_time)ctx->cfg->cutover.plan_window_days * 86400;
		return 0;
	}
	if (strlen(text) == 10) {
		snprintf(full, sizeof full, "%sT00:00:00Z", text);
		text = full;
	}
	if (ts_time_parse(text, out) != TS_ERR_OK) {
		fprintf(stderr, "tessera: --since '%s' is not YYYY-MM-DD or ISO 8601 (%s)\n", text,
			ts_errname(TS_ERR_TIME_FORMAT));
		return 2;
	}
	return 0;
}

static void print_exceptions(const struct ts_cutover_exceptions *ex, ts_time now)
{
	for (size_t i = 0; i < ex->n; i++) {
		const struct ts_cutover_exception *x = &ex->items[i];
		char until[TS_TIME_ISO_LEN], created[TS_TIME_ISO_LEN];

		ts_time_format(x->until, until);
		ts_time_format(x->created_at, created);
		printf("  %lld\t%s\t%s\tuntil %s%s\tby %s at %s\t%s\n", (long long)x->id,
		       ts_exception_kind_name(x->kind), x->value, until,
		       now >= x->until ? " (expired)" : "", x->created_by, created, x->reason);
	}
}

static int status_one(struct ts_cli_pool *ctx, const struct ts_config_pool *p)
{
	struct ts_pool_stage st = {0};
	struct ts_cutover_exceptions ex = {0};
	uint64_t day = 0, week = 0;
	char since[TS_TIME_ISO_LEN];
	ts_err err;

	if ((err = ts_cutover_stage_get(ctx->store, p->name, ts_cli_pool_configured(p), &st)) !=
		    TS_ERR_OK ||
	    (err = ts_cutover_except_list(ctx->store, p->name, false, ctx->now, &ex)) != TS_ERR_OK ||
	    (err = ts_cutover_usage_count(ctx->store, p->name, ctx->now - 86400, &day)) !=
		    TS_ERR_OK ||
	    (err = ts_cutover_usage_count(ctx->store, p->name, ctx->now - 7 * 86400, &week)) !=
		    TS_ERR_OK) {
		ts_pool_stage_clear(&st);
		ts_cutover_exceptions_clear(&ex);
		return ts_cli_pool_fail(p->name, err);
	}
	printf("pool: %s\n", p->name);
	printf("host: %s\n", p->host);
	printf("stage: %s\n", ts_stage_name(st.stage));
	printf("version: %lld\n", (long long)st.version);
	if (st.version == 0) {
		printf("since: (configured stage, never changed)\n");
	} else {
		ts_time_format(st.since, since);
		printf("since: %s\n", since);
		printf("by: %s\n", st.by);
		printf("reason: %s\n", st.reason);
	}
	printf("legacy use: %llu in the last 24 h, %llu in the last 7 d\n",
	       (unsigned long long)day, (unsigned long long)week);
	printf("exceptions: %zu active\n", ex.n);
	print_exceptions(&ex, ctx->now);
	ts_pool_stage_clear(&st);
	ts_cutover_exceptions_clear(&ex);
	return 0;
}

static int cmd_status(struct ts_cli_pool *ctx, int argc, char **argv)
{
	int rc = 0;

	if (argc > 2)
		return usage();
	if (argc == 2) {
		const struct ts_config_pool *p = ts_cli_pool_find(ctx, argv[1]);
		return p != NULL ? status_one(ctx, p) : 1;
	}
	for (size_t i = 0; i < ctx->cfg->n_pools; i++) {
		if (i > 0)
			printf("\n");
		rc |= status_one(ctx, &ctx->cfg->pools[i]);
	}
	return rc;
}

/* After CUTOVER_CONFLICT: who got there first. */
static void print_conflict(struct ts_cli_pool *ctx, const struct ts_config_pool *p,
			   int64_t read_version)
{
	struct ts_pool_stage st = {0};
	char since[TS_TIME_ISO_LEN];

	if (ts_cutover_stage_get(ctx->store, p->name, ts_cli_pool_configured(p), &st) != TS_ERR_OK)
		return;
	ts_time_format(st.since, since);
	fprintf(stderr,
		"tessera: pool %s was changed by someone else: you read version %lld, it is now "
		"version %lld, stage %s, by %s at %s (%s)\n",
		p->name, (long long)read_version, (long long)st.version, ts_stage_name(st.stage),
		st.by, since, st.reason);
	ts_pool_stage_clear(&st);
}

struct set_args {
	const char *pool, *stage, *reason, *version;
	bool all, force;
};

static int parse_set(int argc, char **argv, struct set_args *a, bool rollback)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			a->reason = argv[++i];
		else if (strcmp(argv[i], "--force") == 0)
			a->force = true;
		else if (!rollback && strcmp(argv[i], "--all") == 0)
			a->all = true;
		else if (!rollback && strcmp(argv[i], "--version") == 0 && i + 1 < argc)
			a->version = argv[++i];
		else if (argv[i][0] == '-')
			return usage();
		else if (a->pool == NULL && !a->all && (rollback || a->stage == NULL))
			a->pool = argv[i];
		else if (!rollback && a->stage == NULL)
			a->stage = argv[i];
		else
			return usage();
	}
	if (rollback)
		return a->pool == NULL ? usage() : 0;
	if (a->stage == NULL || a->reason == NULL || (a->all == (a->pool != NULL)) ||
	    (a->all && a->version != NULL))
		return usage();
	return 0;
}

/* Reports a refused change: conflict, who would break, or a store error. */
static int change_failed(struct ts_cli_pool *ctx, ts_err err, const char *pool, int64_t read)
{
	const struct ts_config_pool *p = ts_config_find_pool(ctx->cfg, pool);

	if (err == TS_ERR_CUTOVER_CONFLICT && p != NULL)
		print_conflict(ctx, p, read);
	return ts_cli_pool_fail(pool != NULL ? pool : "pool set", err);
}

static int cmd_set(struct ts_cli_pool *ctx, int argc, char **argv)
{
	struct set_args a = {0};
	struct ts_stage_change *changes = NULL;
	struct ts_cli_break_check check = {.ctx = ctx};
	struct ts_change_meta meta;
	const char *failed = NULL;
	enum ts_stage to;
	size_t n = 0;
	long version = -1;
	ts_err err;
	int rc;

	if ((rc = parse_set(argc, argv, &a, false)) != 0)
		return rc;
	if (ts_stage_parse(a.stage, &to) != TS_ERR_OK)
		return ts_cli_pool_fail(a.stage, TS_ERR_CUTOVER_STAGE);
	if (a.version != NULL && ts_parse_long(a.version, 0, INT32_MAX, &version) != TS_ERR_OK) {
		fprintf(stderr, "tessera: --version must be a number (%s)\n",
			ts_errname(TS_ERR_NUMBER_FORMAT));
		return 2;
	}
	if (a.pool != NULL && ts_cli_pool_find(ctx, a.pool) == NULL)
		return 1;
	if ((changes = calloc(ctx->cfg->n_pools + 1, sizeof *changes)) == NULL)
		return ts_cli_pool_fail("pool set", TS_ERR_NOMEM);
	/* Without --version, the version read now: the window for a conflict
	 * is this process's own few milliseconds. */
	for (size_t i = 0; i < ctx->cfg->n_pools; i++) {
		const struct ts_config_pool *p = &ctx->cfg->pools[i];
		struct ts_pool_stage st = {0};

		if (!a.all && strcmp(p->name, a.pool) != 0)
			continue;
		if ((err = ts_cutover_stage_get(ctx->store, p->name, ts_cli_pool_configured(p),
						&st)) != TS_ERR_OK) {
			free(changes);
			return ts_cli_pool_fail(p->name, err);
		}
		changes[n++] = (struct ts_stage_change){p->name, ts_cli_pool_configured(p),
							version >= 0 ? version : st.version, to};
		ts_pool_stage_clear(&st);
	}
	if (n == 0) {
		free(changes);
		fprintf(stderr, "tessera: no pools configured in %s\n", ctx->cfg->path);
		return 1;
	}
	meta = (struct ts_change_meta){ctx->who, a.reason, a.force, ctx->now};
	check.force = a.force;
	ts_cli_pool_since(ctx, NULL, &check.since);
	err = ts_cutover_set(ctx->store, changes, n, &meta, ts_cli_break_check, &check, &failed);
	if (err != TS_ERR_OK) {
		int64_t read = 0;
		for (size_t i = 0; failed != NULL && i < n; i++)
			if (changes[i].pool == failed)
				read = changes[i].expected_version;
		rc = change_failed(ctx, err, failed, read);
		if (a.all)
			fprintf(stderr, "tessera: no pool was changed (--all is all or nothing)\n");
	} else {
		for (size_t i = 0; i < n; i++)
			printf("pool %s: stage %s, version %lld%s\n", changes[i].pool,
			       ts_stage_name(to), (long long)changes[i].expected_version + 1,
			       a.force ? " (forced)" : "");
		rc = 0;
	}
	free(changes);
	return rc;
}

static int cmd_rollback(struct ts_cli_pool *ctx, int argc, char **argv)
{
	struct set_args a = {0};
	struct ts_cli_break_check check = {.ctx = ctx};
	const struct ts_config_pool *p;
	struct ts_pool_stage st = {0};
	struct ts_change_meta meta;
	enum ts_stage to = TS_STAGE_LEGACY;
	ts_err err;
	int rc;

	if ((rc = parse_set(argc, argv, &a, true)) != 0)
		return rc;
	if ((p = ts_cli_pool_find(ctx, a.pool)) == NULL)
		return 1;
	if ((err = ts_cutover_stage_get(ctx->store, p->name, ts_cli_pool_configured(p), &st)) !=
	    TS_ERR_OK)
		return ts_cli_pool_fail(p->name, err);
	meta = (struct ts_change_meta){ctx->who, a.reason != NULL ? a.reason : "rollback",
				       a.force, ctx->now};
	check.force = a.force;
	ts_cli_pool_since(ctx, NULL, &check.since);
	err = ts_cutover_rollback(ctx->store, p->name, ts_cli_pool_configured(p), st.version, &meta,
				  ts_cli_break_check, &check, &to);
	if (err != TS_ERR_OK)
		rc = change_failed(ctx, err, p->name, st.version);
	else
		printf("pool %s: rolled back from %s to %s, version %lld\n", p->name,
		       ts_stage_name(st.stage), ts_stage_name(to), (long long)st.version + 1);
	ts_pool_stage_clear(&st);
	return rc;
}

static int cmd_history(struct ts_cli_pool *ctx, int argc, char **argv)
{
	struct ts_journal j = {0};
	ts_err err;

	if (argc != 2)
		return usage();
	if (ts_cli_pool_find(ctx, argv[1]) == NULL)
		return 1;
	if ((err = ts_cutover_history(ctx->store, argv[1], &j)) != TS_ERR_OK)
		return ts_cli_pool_fail(argv[1], err);
	printf("VERSION\tAT\tBY\tFROM\tTO\tFLAGS\tREASON\n");
	for (size_t i = 0; i < j.n; i++) {
		const struct ts_journal_entry *e = &j.items[i];
		char at[TS_TIME_ISO_LEN];

		ts_time_format(e->at, at);
		printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)e->version, at, e->by,
		       ts_stage_name(e->from), ts_stage_name(e->to),
		       e->rollback ? (e->forced ? "rollback,forced" : "rollback")
				   : (e->forced ? "forced" : "-"),
		       e->reason);
	}
	ts_journal_clear(&j);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct ts_cli_pool *ctx, int argc, char **argv);
} subcommands[] = {
	{"status", cmd_status},	       {"set", cmd_set},
	{"rollback", cmd_rollback},    {"history", cmd_history},
	{"plan", ts_cli_pool_plan},    {"runbook", ts_cli_pool_runbook},
	{"except", ts_cli_pool_except},
};

/* Takes -c FILE out of argv (anywhere after the subcommand). */
static int take_config(int *argc, char **argv, const char **path)
{
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= *argc)
				return -1;
			*path = argv[++i];
			continue;
		}
		argv[out++] = argv[i];
	}
	*argc = out;
	return 0;
}

int ts_cli_pool(int argc, char **argv)
{
	const char *path = TS_DEFAULT_CONFIG;
	struct ts_cli_pool ctx;
	int rc;

	/* argv[0] is "pool"; from argv[1] on: the subcommand and its words. */
	argc--, argv++;
	if (take_config(&argc, argv, &path) != 0 || argc < 1)
		return usage();
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++) {
		if (strcmp(argv[0], subcommands[i].name) != 0)
			continue;
		if (ts_cli_pool_open(&ctx, path) != 0)
			return 1;
		rc = subcommands[i].run(&ctx, argc, argv);
		ts_cli_pool_close(&ctx);
		return rc;
	}
	return usage();
}
