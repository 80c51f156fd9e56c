/* Commands of the tessera CLI, one file each (broker/cli_*.c). */
#ifndef TS_BROKER_CLI_H
#define TS_BROKER_CLI_H

#define TS_DEFAULT_CONFIG TS_SYSCONFDIR "/tessera/tessera.conf"

/* argv[0] is the command's own name. Exit status: 0 ok, 1 refused, 2 usage. */
int ts_cli_inspect(int argc, char **argv);
int ts_cli_sp_metadata(int argc, char **argv);

#endif
