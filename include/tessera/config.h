/* tessera.conf: GKeyFile syntax, one table of known keys (common/config_schema.c)
 * with their defaults; conf/tessera.conf documents each one. Unknown sections
 * and keys, duplicates and bad values are errors that name file and line. */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stddef.h>

#include "tessera/err.h"
#include "tessera/log.h"

struct ts_config {
	char *path;
	struct {
		char *listen_address;
		long listen_port; /* 0: the kernel picks one; tesserad logs it */
		long threads;     /* 0: one per online core */
		long max_connections;
		long connection_timeout; /* seconds of inactivity before a close */
		long max_body_bytes;     /* larger request bodies get 413 */
	} broker;
	struct {
		enum ts_log_level level;
	} log;
	struct {
		char *key_dir;   /* key ring: <kid>.key (0600) + <kid>.json, dir 0700 */
		char *algorithm; /* for new keys: "EdDSA" or "ES256" */
		char *issuer;    /* iss of minted tickets, required on verify */
		long lifetime;   /* seconds from iat to exp */
		long clock_skew; /* seconds of leeway on nbf and exp */
		long verify_cache_entries; /* 0 disables the verify cache */
		long keyring_check_interval; /* seconds between key ring re-reads */
	} tickets;
	struct {
		char *path; /* SQLite database file */
	} store;
};

/* What went wrong, for the operator: "FILE:LINE: message". */
struct ts_config_diag {
	char text[512];
};

/* Loads and checks path. On error *out is NULL and diag says where and why. */
ts_err ts_config_load(const char *path, struct ts_config **out, struct ts_config_diag *diag);
/* Loads the built-in defaults only (no file). */
ts_err ts_config_defaults(struct ts_config **out);
void ts_config_free(struct ts_config *cfg);

/* The schema, for documentation checks: the i-th known key, or NULL past the end. */
struct ts_config_key_info {
	const char *section;
	const char *key;
	const char *default_text;
};
const struct ts_config_key_info *ts_config_schema_key(size_t i);

#endif
