/* tessera pool plan, and the who-would-break check of a flip to passive:
 * users seen signing in with a legacy kind in the window, not covered by an
 * exception, split by whether their client family can sign in passively. */
#include <stdio.h>
#include <string.h>

#include "cli_pool.h"
#include "tessera/display.h"
#include "tessera/log.h"

void ts_cli_plan_print(FILE *f, const struct ts_plan *plan)
{
	bool header_breaks = false, header_moves = false;

	for (size_t i = 0; i < plan->n; i++) {
		const struct ts_plan_entry *e = &plan->items[i];
		char last[TS_TIME_ISO_LEN], agent[4 * TS_CUTOVER_AGENT_MAX + 8],
			user[4 * TS_CUTOVER_NAME_MAX + 4];

		if (!e->passive_capable && !header_breaks) {
			fprintf(f, "breaks (client family cannot sign in passively):\n"
				   "  USER\tFAMILY\tKIND\tCOUNT\tLAST_SEEN\tAGENT\n");
			header_breaks = true;
		}
		if (e->passive_capable && !header_moves) {
			fprintf(f, "moves to passive (client family can sign in passively):\n"
				   "  USER\tFAMILY\tKIND\tCOUNT\tLAST_SEEN\tAGENT\n");
			header_moves = true;
		}
		ts_time_format(e->last_seen, last);
		/* The client chose both: the agent quoted and escaped as in the
		 * logs, the name as tessera/display.h shows it. */
		ts_log_escape(agent, sizeof agent, e->agent);
		fprintf(f, "  %s\t%s\t%s\t%llu\t%s\t%s\n",
			ts_display_text(user, sizeof user, e->user), e->family, e->kind,
			(unsigned long long)e->count, last, agent);
	}
}

ts_err ts_cli_break_check(void *arg, struct ts_cutover *c, const char *pool,
			  enum ts_stage from, enum ts_stage to)
{
	struct ts_cli_break_check *chk = arg;
	struct ts_plan plan = {0};
	ts_err err;

	if (to != TS_STAGE_PASSIVE || from == TS_STAGE_PASSIVE)
		return TS_ERR_OK;
	/* Read inside the change's transaction: what is checked is what flips. */
	if ((err = ts_cutover_plan(c, pool, chk->since, chk->ctx->now, &plan)) != TS_ERR_OK)
		return err;
	if (plan.breaks > 0) {
		fprintf(stderr, "pool %s: %zu user/client/kind line(s) would break in passive%s:\n",
			pool, plan.breaks, chk->force ? " (forced through)" : "");
		ts_cli_plan_print(stderr, &plan);
		chk->breaks += plan.breaks;
		if (!chk->force)
			err = TS_ERR_CUTOVER_WOULD_BREAK;
		else
			ts_log(TS_LOG_WARN, "cutover_forced", "pool", pool, "by", chk->ctx->who);
	}
	ts_plan_clear(&plan);
	return err;
}

int ts_cli_pool_plan(struct ts_cli_pool *ctx, int argc, char **argv)
{
	const char *pool = NULL, *since_text = NULL;
	struct ts_plan plan = {0};
	char since_iso[TS_TIME_ISO_LEN];
	ts_time since;
	ts_err err;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since_text = argv[++i];
		else if (pool == NULL && argv[i][0] != '-')
			pool = argv[i];
		else
			pool = NULL, i = argc;
	}
	if (pool == NULL) {
		fprintf(stderr, "usage: tessera pool plan POOL [--since DATE] [-c FILE]\n");
		return 2;
	}
	if (ts_cli_pool_find(ctx, pool) == NULL)
		return 1;
	if ((rc = ts_cli_pool_since(ctx, since_text, &since)) != 0)
		return rc;
	if ((err = ts_cutover_plan(ctx->store, pool, since, ctx->now, &plan)) != TS_ERR_OK)
		return ts_cli_pool_fail(pool, err);
	ts_time_format(since, since_iso);
	printf("pool %s: what passive would do to the legacy sign-ins seen since %s "
	       "(active exceptions left out; attempts the pool refused taken off: see "
	       "`tessera report`, decision pool-refused)\n",
	       pool, since_iso);
	ts_cli_plan_print(stdout, &plan);
	printf("summary: %zu break, %zu move to passive\n", plan.breaks, plan.n - plan.breaks);
	ts_plan_clear(&plan);
	return 0;
}
