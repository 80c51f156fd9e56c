/* tessera report: legacy use and refusals by pool, user, client family,
 * kind and decision, for the change board: text for a terminal, CSV for a
 * spreadsheet, JSON for scripts. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_pool.h"
#include "tessera/display.h"

static int usage(void)
{
	fprintf(stderr, "usage: tessera report [--pool POOL] [--since DATE] "
			"[--format text|csv|json] [-c FILE]\n");
	return 2;
}

/* RFC 4180: quoted when it holds a comma, quote or line break, quotes
 * doubled. A leading = + - @ or tab would start a formula in a spreadsheet
 * (user names come from clients): such a value gets a leading apostrophe. */
static void csv_field(FILE *f, const char *v, bool last)
{
	bool formula = strchr("=+-@\t\r", v[0]) != NULL && v[0] != '\0';
	bool quote = formula || strpbrk(v, ",\"\r\n") != NULL;

	if (quote)
		fputc('"', f);
	if (formula)
		fputc('\'', f);
	for (; *v != '\0'; v++) {
		if (*v == '"')
			fputc('"', f);
		fputc(*v, f);
	}
	if (quote)
		fputc('"', f);
	fputc(last ? '\n' : ',', f);
}

static void print_csv(const struct ts_report *r)
{
	printf("pool,user,family,kind,decision,passive_capable,count,first_seen,last_seen\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct ts_report_row *x = &r->items[i];
		char first[TS_TIME_ISO_LEN], last[TS_TIME_ISO_LEN], count[24];

		ts_time_format(x->first_seen, first);
		ts_time_format(x->last_seen, last);
		snprintf(count, sizeof count, "%llu", (unsigned long long)x->count);
		csv_field(stdout, x->pool, false);
		csv_field(stdout, x->user, false);
		csv_field(stdout, x->family, false);
		csv_field(stdout, x->kind, false);
		csv_field(stdout, ts_usage_decision_name(x->decision), false);
		csv_field(stdout, x->passive_capable ? "yes" : "no", false);
		csv_field(stdout, count, false);
		csv_field(stdout, first, false);
		csv_field(stdout, last, true);
	}
}

/* A JSON string; user names come from clients and may not be UTF-8, which
 * jansson refuses: the row stays, with the value marked. */
static json_t *utf8(const char *v)
{
	json_t *s = json_string(v);

	return s != NULL ? s : json_string("(not UTF-8)");
}

static int print_json(const struct ts_report *r, ts_time since)
{
	json_t *root = json_object(), *rows = json_array();
	char iso[TS_TIME_ISO_LEN];
	int rc = 0;

	ts_time_format(since, iso);
	json_object_set_new(root, "since", json_string(iso));
	for (size_t i = 0; i < r->n; i++) {
		const struct ts_report_row *x = &r->items[i];
		char first[TS_TIME_ISO_LEN], last[TS_TIME_ISO_LEN];

		ts_time_format(x->first_seen, first);
		ts_time_format(x->last_seen, last);
		json_array_append_new(
			rows, json_pack("{s:o, s:o, s:o, s:o, s:s, s:b, s:I, s:s, s:s}", "pool",
					utf8(x->pool), "user", utf8(x->user), "family",
					utf8(x->family), "kind", utf8(x->kind), "decision",
					ts_usage_decision_name(x->decision), "passive_capable",
					x->passive_capable, "count", (json_int_t)x->count,
					"first_seen", first, "last_seen", last));
	}
	json_object_set_new(root, "rows", rows);
	if (json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII) != 0)
		rc = 1;
	printf("\n");
	json_decref(root);
	return rc;
}

static void print_text(const struct ts_report *r, ts_time since)
{
	char iso[TS_TIME_ISO_LEN];

	ts_time_format(since, iso);
	printf("legacy sign-in since %s\n", iso);
	printf("%-12s %-28s %-22s %-10s %-12s %-8s %8s  %s\n", "POOL", "USER", "FAMILY", "KIND",
	       "DECISION", "PASSIVE", "COUNT", "LAST_SEEN");
	for (size_t i = 0; i < r->n; i++) {
		const struct ts_report_row *x = &r->items[i];
		char last[TS_TIME_ISO_LEN], user[4 * TS_CUTOVER_NAME_MAX + 4];

		ts_time_format(x->last_seen, last);
		printf("%-12s %-28s %-22s %-10s %-12s %-8s %8llu  %s\n", x->pool,
		       ts_display_text(user, sizeof user, x->user), x->family,
		       x->kind, ts_usage_decision_name(x->decision), x->passive_capable ? "yes" : "no",
		       (unsigned long long)x->count, last);
	}
}

int ts_cli_report(int argc, char **argv)
{
	const char *path = TS_DEFAULT_CONFIG, *pool = NULL, *since_text = NULL, *format = "text";
	struct ts_report report = {0};
	struct ts_cli_pool ctx;
	ts_time since;
	ts_err err;
	int rc;

	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if (more && (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0))
			path = argv[++i];
		else if (more && strcmp(argv[i], "--pool") == 0)
			pool = argv[++i];
		else if (more && strcmp(argv[i], "--since") == 0)
			since_text = argv[++i];
		else if (more && strcmp(argv[i], "--format") == 0)
			format = argv[++i];
		else
			return usage();
	}
	if (strcmp(format, "text") != 0 && strcmp(format, "csv") != 0 &&
	    strcmp(format, "json") != 0)
		return usage();
	if (ts_cli_pool_open(&ctx, path) != 0)
		return 1;
	if (pool != NULL && ts_cli_pool_find(&ctx, pool) == NULL) {
		rc = 1;
		goto out;
	}
	if ((rc = ts_cli_pool_since(&ctx, since_text, &since)) != 0)
		goto out;
	if ((err = ts_cutover_report(ctx.store, pool, since, &report)) != TS_ERR_OK) {
		rc = ts_cli_pool_fail("report", err);
		goto out;
	}
	if (strcmp(format, "csv") == 0)
		print_csv(&report);
	else if (strcmp(format, "json") == 0)
		rc = print_json(&report, since);
	else
		print_text(&report, since);
	ts_report_clear(&report);
out:
	ts_cli_pool_close(&ctx);
	return rc;
}
