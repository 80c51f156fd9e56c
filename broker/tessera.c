/* tessera: the administration CLI. One table of commands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tessera/err.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static int cmd_help(int argc, char **argv);

/* The error registry as an operator reads it: name, HTTP status, sentence. */
static int cmd_errors(int argc, char **argv)
{
	if (argc > 1) {
		ts_err err = ts_err_from_name(argv[1]);
		if (err == TS_ERR__COUNT) {
			fprintf(stderr, "tessera: no error named '%s'\n", argv[1]);
			return 1;
		}
		printf("%s\t%d\t%s\n", ts_errname(err), ts_err_http_status(err), ts_strerror(err));
		return 0;
	}
	for (int i = 0; i < TS_ERR__COUNT; i++)
		printf("%s\t%d\t%s\n", ts_errname((ts_err)i), ts_err_http_status((ts_err)i),
		       ts_strerror((ts_err)i));
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	printf("tessera %s\n", PACKAGE_VERSION);
	return 0;
}

static const struct command commands[] = {
	{"inspect", "inspect FILE --idp NAME [--at TIME] [--config FILE]\n"
		    "                  validate a captured SAML / WS-Fed response offline",
	 ts_cli_inspect},
	{"sp-metadata", "sp-metadata [--config FILE]\n"
			"                  print our SP metadata for the IdP administrator",
	 ts_cli_sp_metadata},
	{"errors", "errors [NAME]   list the error registry (name, HTTP status, sentence)",
	 cmd_errors},
	{"key", "key rotate|list add a ticket-signing key, or list keys and when to delete them",
	 ts_cli_key},
	{"pool", "pool status|set|rollback|plan|runbook|except|history ...\n"
		 "                  per-pool staged cutover: legacy -> audit -> passive (tessera pool)",
	 ts_cli_pool},
	{"report", "report [--pool P] [--since DATE] [--format text|csv|json] [-c FILE]\n"
		   "                  legacy sign-in and refusals by pool, user, client family, kind",
	 ts_cli_report},
	{"version", "version         print the version", cmd_version},
	{"help", "help            this list", cmd_help},
};

static int cmd_help(int argc, char **argv)
{
	printf("usage: tessera COMMAND [ARGS]\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		printf("  tessera %s\n", commands[i].summary);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return 2;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "tessera: unknown command '%s' (try 'tessera help')\n", argv[1]);
	return 2;
}
