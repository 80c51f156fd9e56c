/* Commands of the tessera CLI that live in their own files (cli_*.c); each
 * gets argv from its own name on and returns the exit status: 0 ok,
 * 1 refused, 2 usage. */
#ifndef TS_BROKER_CLI_H
#define TS_BROKER_CLI_H

#define TS_DEFAULT_CONFIG TS_SYSCONFDIR "/tessera/tessera.conf"

/* tessera inspect FILE --idp NAME [--at TIME] [--config FILE] (cli_inspect.c) */
int ts_cli_inspect(int argc, char **argv);
/* tessera sp-metadata [--config FILE] (cli_metadata.c) */
int ts_cli_sp_metadata(int argc, char **argv);
/* tessera key rotate|list [-c FILE] [--alg EdDSA|ES256] (cli_key.c) */
int ts_cli_key(int argc, char **argv);

/* tessera pool status|set|rollback|plan|runbook|except|history (cli_pool*.c) */
int ts_cli_pool(int argc, char **argv);
/* tessera report [--pool P] [--since D] [--format text|csv|json] (cli_report.c) */
int ts_cli_report(int argc, char **argv);

struct ts_config;
/* tessera key rotate --sts [--lead SECONDS] | key list --sts (cli_sts_key.c) */
int ts_cli_sts_key_rotate(const struct ts_config *cfg, const char *lead);
int ts_cli_sts_key_list(const struct ts_config *cfg);

#endif
