/* Commands of the tessera CLI that live in their own files (cli_*.c); each
 * gets argv from its own name on and returns the exit status. */
#ifndef TS_BROKER_CLI_H
#define TS_BROKER_CLI_H

#define TS_CLI_DEFAULT_CONFIG TS_SYSCONFDIR "/tessera/tessera.conf"

/* tessera key rotate|list [-c FILE] [--alg EdDSA|ES256] (broker/cli_key.c) */
int ts_cli_key(int argc, char **argv);

#endif
