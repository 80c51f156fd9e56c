/* tessera pool except add|rm|list: who still passes in audit and passive,
 * for how long and why. Each one ends on its --until date by itself. */
#include <stdio.h>
#include <string.h>

#include "cli_pool.h"
#include "tessera/util.h"

static int usage(void)
{
	fprintf(stderr, "usage: tessera pool except add POOL (--user U | --agent PATTERN | --cidr NET)\n"
			"                          --until DATE --reason TEXT [-c FILE]\n"
			"       tessera pool except rm POOL ID [-c FILE]\n"
			"       tessera pool except list POOL [-c FILE]\n"
			"PATTERN: a glob over the whole User-Agent, case-insensitive, '*' any run, '?'\n"
			"one character (e.g. '*Lync 2010*'); NET: 192.0.2.0/24, 2001:db8::/48 or an\n"
			"address; DATE: YYYY-MM-DD (the exception ends at 00:00 UTC that day) or ISO 8601.\n");
	return 2;
}

static int except_add(struct ts_cli_pool *ctx, int argc, char **argv)
{
	struct ts_exception_new e = {.by = ctx->who, .now = ctx->now};
	const char *until = NULL;
	int kinds = 0;
	int64_t id = 0;
	ts_err err;

	for (int i = 2; i < argc; i++) {
		bool more = i + 1 < argc;
		if (more && strcmp(argv[i], "--user") == 0)
			e.kind = TS_EXCEPT_USER, e.value = argv[++i], kinds++;
		else if (more && strcmp(argv[i], "--agent") == 0)
			e.kind = TS_EXCEPT_AGENT, e.value = argv[++i], kinds++;
		else if (more && strcmp(argv[i], "--cidr") == 0)
			e.kind = TS_EXCEPT_CIDR, e.value = argv[++i], kinds++;
		else if (more && strcmp(argv[i], "--until") == 0)
			until = argv[++i];
		else if (more && strcmp(argv[i], "--reason") == 0)
			e.reason = argv[++i];
		else if (e.pool == NULL && argv[i][0] != '-')
			e.pool = argv[i];
		else
			return usage();
	}
	if (e.pool == NULL || kinds != 1 || until == NULL || e.reason == NULL)
		return usage();
	if (ts_cli_pool_find(ctx, e.pool) == NULL)
		return 1;
	if ((err = ts_cutover_until_parse(until, ctx->now, &e.until)) != TS_ERR_OK)
		return ts_cli_pool_fail(until, err);
	if ((err = ts_cutover_except_add(ctx->store, &e, &id)) != TS_ERR_OK)
		return ts_cli_pool_fail(e.value, err);
	printf("pool %s: exception %lld added (%s %s)\n", e.pool, (long long)id,
	       ts_exception_kind_name(e.kind), e.value);
	return 0;
}

static int except_rm(struct ts_cli_pool *ctx, int argc, char **argv)
{
	long id;
	ts_err err;

	if (argc != 4)
		return usage();
	if (ts_cli_pool_find(ctx, argv[2]) == NULL)
		return 1;
	if (ts_parse_long(argv[3], 1, INT32_MAX, &id) != TS_ERR_OK)
		return ts_cli_pool_fail(argv[3], TS_ERR_CUTOVER_EXCEPTION_UNKNOWN);
	if ((err = ts_cutover_except_rm(ctx->store, argv[2], id)) != TS_ERR_OK)
		return ts_cli_pool_fail(argv[3], err);
	printf("pool %s: exception %ld removed\n", argv[2], id);
	return 0;
}

static int except_list(struct ts_cli_pool *ctx, int argc, char **argv)
{
	struct ts_cutover_exceptions ex = {0};
	ts_err err;

	if (argc != 3)
		return usage();
	if (ts_cli_pool_find(ctx, argv[2]) == NULL)
		return 1;
	if ((err = ts_cutover_except_list(ctx->store, argv[2], true, ctx->now, &ex)) != TS_ERR_OK)
		return ts_cli_pool_fail(argv[2], err);
	printf("ID\tKIND\tVALUE\tUNTIL\tSTATE\tBY\tCREATED\tREASON\n");
	for (size_t i = 0; i < ex.n; i++) {
		const struct ts_cutover_exception *x = &ex.items[i];
		char until[TS_TIME_ISO_LEN], created[TS_TIME_ISO_LEN];

		ts_time_format(x->until, until);
		ts_time_format(x->created_at, created);
		printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)x->id,
		       ts_exception_kind_name(x->kind), x->value, until,
		       ctx->now >= x->until ? "expired" : "active", x->created_by, created,
		       x->reason);
	}
	ts_cutover_exceptions_clear(&ex);
	return 0;
}

int ts_cli_pool_except(struct ts_cli_pool *ctx, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return except_add(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "rm") == 0)
		return except_rm(ctx, argc, argv);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return except_list(ctx, argc, argv);
	return usage();
}
