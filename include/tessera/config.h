/* tessera.conf: GKeyFile syntax, one table of known keys (common/config_schema.c)
 * with their defaults; conf/tessera.conf documents each one. Unknown sections
 * and keys, duplicates and bad values are errors that name file and line.
 * Sections like [idp NAME] are named: one instance per name. */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/err.h"
#include "tessera/log.h"

/* The largest clock_skew ([tickets] and [idp]) a config may set. */
#define TS_CONFIG_CLOCK_SKEW_MAX 600

/* One IdP Tessera trusts: [idp NAME]. */
struct ts_config_idp {
	char *name;
	char *protocol;              /* "saml2" or "wsfed": how we ask it to sign in */
	char *entity_id;             /* "" = the entityID of its metadata */
	char *metadata;              /* path of its metadata, "" = none */
	char *metadata_signing_cert; /* pinned cert that must sign the metadata, "" = unsigned ok */
	char **certificates;         /* pinned signing certs besides the metadata's */
	char *sso_url;               /* "" = from metadata */
	bool allow_sha1;
	bool allow_unsolicited;
	long clock_skew; /* seconds */
	char **mfa_values;
};

/* One SfB pool (or other upstream) Tessera serves: [pool NAME]. */
struct ts_config_pool {
	char *name;
	char *host; /* its public web host name, e.g. lync.example.org */
	char *idp;  /* the [idp NAME] its users sign in at */
	bool mfa;   /* a second factor is required */
	char *realm;	    /* its WS-Fed relying-party identifier (wtrealm); "" = https://HOST/passiveauth */
	char **reply_urls;  /* registered wreply values; none = https://HOST/passiveauth/ */
	/* The gate (broker/gate*.c). */
	char *stage;		     /* initial cutover stage: "legacy", "audit" or "passive" */
	char *upstream;		     /* "sfb" (a pool) or "web" (header-trusting web app) */
	char **gate_hosts;	     /* more host names the gate serves for it */
	char **anonymous_paths;	     /* path patterns that pass without a credential */
	char **anonymous_grants;     /* oauthtoken grant_type values that are anonymous */
	char *challenge_grant_types; /* grant_type list of the MsRtcOAuth challenge */
	char *fqdn;	    /* its SfB pool FQDN (Service:WebServer:FQDN); "" = host */
	char *edge_pool;    /* FQDN of the Edge pool its users sign in through; "" = unknown */
	char **passive_origins; /* origins that may POST to /passiveauth/; none = public_url's */
};

struct ts_config {
	char *path;
	struct {
		char *listen_address;
		long listen_port; /* 0: the kernel picks one; tesserad logs it */
		long threads;     /* 0: one per online core */
		long max_connections;
		long connection_timeout; /* seconds of inactivity before a close */
		long max_body_bytes;     /* larger request bodies get 413 */
		long max_header_bytes;   /* request line + headers; larger ones are refused */
		char *public_url;        /* https://broker-host: where IdPs and browsers reach us */
		char *signout_url;       /* where /signout sends the browser */
		long request_lifetime;   /* seconds an outstanding sign-in request waits */
		long code_lifetime;      /* seconds a pool hand-over code lives */
	} broker;
	struct {
		enum ts_log_level level;
	} log;
	/* The SPOP agent HAProxy's SPOE filter asks ([gate] spop_*). */
	struct {
		char *listen_address; /* "" = no agent */
		long listen_port;     /* 0: the kernel picks one; tesserad logs it */
		long max_frame_size;  /* HAProxy's offer (tune.bufsize - 4) must not exceed it */
		long max_connections;
		long idle_timeout; /* seconds without a frame before AGENT-DISCONNECT */
		long threads;
	} spop;
	/* Tessera as a SAML SP and WS-Fed relying party. */
	struct {
		char *entity_id;
		char *acs_url;
		char *wsfed_url;
		char *wsfed_realm; /* "" = entity_id */
		char *signing_key;
		char *signing_cert;
		char *decryption_key;
		char *decryption_cert;
		bool sign_authn_requests;
		long max_message_bytes; /* decoded XML, before parsing */
	} sp;
	struct {
		char *key_dir;   /* key ring: <kid>.key (0600) + <kid>.json, dir 0700 */
		char *algorithm; /* for new keys: "EdDSA" or "ES256" */
		char *issuer;    /* iss of minted tickets, required on verify */
		long lifetime;   /* seconds from iat to exp */
		long clock_skew; /* seconds of leeway on nbf and exp */
		long verify_cache_entries;   /* 0 disables the verify cache */
		long keyring_check_interval; /* seconds between key ring re-reads */
	} tickets;
	/* Tessera as the pools' STS (what their WsFedPassiveMetadataUri names). */
	struct {
		char *entity_id;	 /* "" = public_url + /adfs/services/trust */
		char *key_dir;		 /* token-signing keys, with rollover */
		long token_lifetime;	 /* seconds a token for a pool is valid */
		long rollover_lead_time; /* seconds a new key is published before it signs */
		long key_bits;
	} sts;
	struct {
		char *path; /* SQLite database file */
		long replay_cache_entries; /* unexpired assertion IDs held at most */
		long outstanding_requests; /* unexpired sign-in requests held at most */
	} store;
	/* Per-pool staged cutover: legacy-use recording and stage changes. */
	struct {
		long usage_max_entries;	     /* aggregated legacy-use rows held in memory */
		long usage_flush_interval;   /* seconds between batch writes of them */
		long usage_retention_days;   /* legacy-use rows older than this are pruned */
		long ticket_records_max;     /* pool tickets remembered with their minting kind */
		long stage_poll_interval_ms; /* how often a broker looks for stage changes */
		long plan_window_days;	     /* legacy use `pool plan` looks back over */
	} cutover;
	struct ts_config_idp *idps;
	size_t n_idps;
	struct ts_config_pool *pools;
	size_t n_pools;
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
const struct ts_config_idp *ts_config_find_idp(const struct ts_config *cfg, const char *name);
const struct ts_config_pool *ts_config_find_pool(const struct ts_config *cfg, const char *name);
/* Is origin (canonical, tessera/origin.h) https on the pool's host or one of
 * its gate_hosts, on any port? */
bool ts_config_pool_serves_origin(const struct ts_config_pool *pool, const char *origin);

/* The schema, for documentation checks: the i-th known key, or NULL past the end. */
struct ts_config_key_info {
	const char *section;
	const char *key;
	const char *default_text;
	bool named; /* [section NAME] */
};
const struct ts_config_key_info *ts_config_schema_key(size_t i);

#endif
