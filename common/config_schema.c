/* Every configuration key Tessera knows, its type, range and default.
 * conf/tessera.conf documents each row; a test keeps the two in step. */
#include <stddef.h>

#include "config_schema.h"

#define MAIN(sect, key, def, type, min, max, choices, field)                                 \
	{{sect, key, def, false}, type, min, max, choices, offsetof(struct ts_config, field)}
#define IDP(key, def, type, min, max, choices, field)                                         \
	{{"idp", key, def, true}, type, min, max, choices, offsetof(struct ts_config_idp, field)}

#define POOL(key, def, type, field)                                                            \
	{{"pool", key, def, true}, type, 0, 0, NULL, offsetof(struct ts_config_pool, field)}
#define POOL_CHOICE(key, def, choices, field)                                                  \
	{{"pool", key, def, true}, TS_CONF_CHOICE, 0, 0, choices,                              \
	 offsetof(struct ts_config_pool, field)}

/* sfb-protocol.md 8.14 and DESIGN's gate table; /.tessera/ is the broker's
 * hand-over on pool hosts. */
#define ANONYMOUS_PATHS                                                                        \
	"/; /Autodiscover/AutodiscoverService.svc/root; /Autodiscover/XFrame/*; */mex; "        \
	"/WebTicket/WebTicketService.svc/Anon; /PassiveAuth/*; /meet/*; /dialin/*; /.tessera/*"

const struct ts_conf_entry ts_conf_schema[] = {
	MAIN("broker", "listen_address", "127.0.0.1", TS_CONF_STRING, 0, 0, NULL,
	     broker.listen_address),
	MAIN("broker", "listen_port", "8080", TS_CONF_LONG, 0, 65535, NULL, broker.listen_port),
	MAIN("broker", "threads", "0", TS_CONF_LONG, 0, 256, NULL, broker.threads),
	MAIN("broker", "max_connections", "1024", TS_CONF_LONG, 1, 65536, NULL,
	     broker.max_connections),
	MAIN("broker", "connection_timeout", "30", TS_CONF_LONG, 1, 3600, NULL,
	     broker.connection_timeout),
	MAIN("broker", "max_body_bytes", "262144", TS_CONF_LONG, 1024, 16777216, NULL,
	     broker.max_body_bytes),
	MAIN("broker", "max_header_bytes", "16384", TS_CONF_LONG, 4096, 1048576, NULL,
	     broker.max_header_bytes),
	MAIN("broker", "public_url", "https://tessera.example.test", TS_CONF_STRING, 0, 0, NULL,
	     broker.public_url),
	MAIN("broker", "signout_url", "https://tessera.example.test/signed-out", TS_CONF_STRING, 0,
	     0, NULL, broker.signout_url),
	MAIN("broker", "request_lifetime", "300", TS_CONF_LONG, 30, 3600, NULL,
	     broker.request_lifetime),
	MAIN("broker", "code_lifetime", "30", TS_CONF_LONG, 5, 300, NULL, broker.code_lifetime),
	MAIN("log", "level", "info", TS_CONF_LOG_LEVEL, 0, 0, NULL, log.level),
	MAIN("gate", "spop_listen_address", "", TS_CONF_OPT_STRING, 0, 0, NULL,
	     spop.listen_address),
	MAIN("gate", "spop_listen_port", "12345", TS_CONF_LONG, 0, 65535, NULL, spop.listen_port),
	MAIN("gate", "spop_max_frame_size", "65532", TS_CONF_LONG, 256, 1048576, NULL,
	     spop.max_frame_size),
	MAIN("gate", "spop_max_connections", "64", TS_CONF_LONG, 1, 4096, NULL,
	     spop.max_connections),
	MAIN("gate", "spop_idle_timeout", "300", TS_CONF_LONG, 1, 86400, NULL, spop.idle_timeout),
	MAIN("gate", "spop_threads", "2", TS_CONF_LONG, 1, 64, NULL, spop.threads),

	MAIN("tickets", "key_dir", "/var/lib/tessera/keys", TS_CONF_STRING, 0, 0, NULL,
	     tickets.key_dir),
	MAIN("tickets", "algorithm", "EdDSA", TS_CONF_CHOICE, 0, 0, "EdDSA|ES256",
	     tickets.algorithm),
	MAIN("tickets", "issuer", "tessera", TS_CONF_STRING, 0, 0, NULL, tickets.issuer),
	MAIN("tickets", "lifetime", "28800", TS_CONF_LONG, 60, 2592000, NULL, tickets.lifetime),
	MAIN("tickets", "clock_skew", "60", TS_CONF_LONG, 0, TS_CONFIG_CLOCK_SKEW_MAX, NULL,
	     tickets.clock_skew),
	MAIN("tickets", "verify_cache_entries", "16384", TS_CONF_LONG, 0, 1048576, NULL,
	     tickets.verify_cache_entries),
	MAIN("tickets", "keyring_check_interval", "60", TS_CONF_LONG, 1, 86400, NULL,
	     tickets.keyring_check_interval),
	MAIN("sts", "entity_id", "", TS_CONF_OPT_STRING, 0, 0, NULL, sts.entity_id),
	MAIN("sts", "key_dir", "/var/lib/tessera/sts", TS_CONF_STRING, 0, 0, NULL, sts.key_dir),
	MAIN("sts", "token_lifetime", "3600", TS_CONF_LONG, 60, 86400, NULL, sts.token_lifetime),
	MAIN("sts", "rollover_lead_time", "432000", TS_CONF_LONG, 0, 7776000, NULL,
	     sts.rollover_lead_time),
	MAIN("sts", "key_bits", "2048", TS_CONF_LONG, 2048, 4096, NULL, sts.key_bits),
	MAIN("store", "path", "/var/lib/tessera/tessera.db", TS_CONF_STRING, 0, 0, NULL,
	     store.path),
	MAIN("store", "replay_cache_entries", "1000000", TS_CONF_LONG, 1, 100000000, NULL,
	     store.replay_cache_entries),
	MAIN("store", "outstanding_requests", "100000", TS_CONF_LONG, 1, 10000000, NULL,
	     store.outstanding_requests),

	MAIN("cutover", "usage_max_entries", "100000", TS_CONF_LONG, 1, 10000000, NULL,
	     cutover.usage_max_entries),
	MAIN("cutover", "usage_flush_interval", "30", TS_CONF_LONG, 1, 3600, NULL,
	     cutover.usage_flush_interval),
	MAIN("cutover", "usage_retention_days", "90", TS_CONF_LONG, 1, 3650, NULL,
	     cutover.usage_retention_days),
	MAIN("cutover", "ticket_records_max", "1000000", TS_CONF_LONG, 1, 100000000, NULL,
	     cutover.ticket_records_max),
	/* At most 2000: a change must reach every broker within 2 s. */
	MAIN("cutover", "stage_poll_interval_ms", "500", TS_CONF_LONG, 50, 2000, NULL,
	     cutover.stage_poll_interval_ms),
	MAIN("cutover", "plan_window_days", "30", TS_CONF_LONG, 1, 3650, NULL,
	     cutover.plan_window_days),

	MAIN("sp", "entity_id", "https://tessera.example.test/", TS_CONF_STRING, 0, 0, NULL,
	     sp.entity_id),
	MAIN("sp", "acs_url", "https://tessera.example.test/saml/acs", TS_CONF_STRING, 0, 0, NULL,
	     sp.acs_url),
	MAIN("sp", "wsfed_url", "https://tessera.example.test/wsfed", TS_CONF_STRING, 0, 0, NULL,
	     sp.wsfed_url),
	MAIN("sp", "wsfed_realm", "", TS_CONF_OPT_STRING, 0, 0, NULL, sp.wsfed_realm),
	MAIN("sp", "signing_key", "", TS_CONF_OPT_STRING, 0, 0, NULL, sp.signing_key),
	MAIN("sp", "signing_cert", "", TS_CONF_OPT_STRING, 0, 0, NULL, sp.signing_cert),
	MAIN("sp", "decryption_key", "", TS_CONF_OPT_STRING, 0, 0, NULL, sp.decryption_key),
	MAIN("sp", "decryption_cert", "", TS_CONF_OPT_STRING, 0, 0, NULL, sp.decryption_cert),
	MAIN("sp", "sign_authn_requests", "false", TS_CONF_BOOL, 0, 0, NULL,
	     sp.sign_authn_requests),
	MAIN("sp", "max_message_bytes", "262144", TS_CONF_LONG, 4096, 16777216, NULL,
	     sp.max_message_bytes),

	IDP("protocol", "saml2", TS_CONF_CHOICE, 0, 0, "saml2|wsfed", protocol),
	IDP("entity_id", "", TS_CONF_OPT_STRING, 0, 0, NULL, entity_id),
	IDP("metadata", "", TS_CONF_OPT_STRING, 0, 0, NULL, metadata),
	IDP("metadata_signing_cert", "", TS_CONF_OPT_STRING, 0, 0, NULL, metadata_signing_cert),
	IDP("certificates", "", TS_CONF_STRING_LIST, 0, 0, NULL, certificates),
	IDP("sso_url", "", TS_CONF_OPT_STRING, 0, 0, NULL, sso_url),
	IDP("allow_sha1", "false", TS_CONF_BOOL, 0, 0, NULL, allow_sha1),
	IDP("allow_unsolicited", "false", TS_CONF_BOOL, 0, 0, NULL, allow_unsolicited),
	IDP("clock_skew", "60", TS_CONF_LONG, 0, TS_CONFIG_CLOCK_SKEW_MAX, NULL, clock_skew),
	IDP("mfa_values", "http://schemas.microsoft.com/claims/multipleauthn",
	    TS_CONF_STRING_LIST, 0, 0, NULL, mfa_values),

	POOL("host", "", TS_CONF_OPT_STRING, host),
	POOL("idp", "", TS_CONF_OPT_STRING, idp),
	POOL("mfa", "false", TS_CONF_BOOL, mfa),
	POOL("realm", "", TS_CONF_OPT_STRING, realm),
	POOL("reply_urls", "", TS_CONF_STRING_LIST, reply_urls),
	POOL_CHOICE("stage", "legacy", "legacy|audit|passive", stage),
	POOL_CHOICE("upstream", "sfb", "sfb|web", upstream),
	POOL("gate_hosts", "", TS_CONF_STRING_LIST, gate_hosts),
	POOL("anonymous_paths", ANONYMOUS_PATHS, TS_CONF_STRING_LIST, anonymous_paths),
	POOL("anonymous_grants", "urn:microsoft.rtc:anonmeeting", TS_CONF_STRING_LIST,
	     anonymous_grants),
	POOL("challenge_grant_types", "urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting",
	     TS_CONF_STRING, challenge_grant_types),
	POOL("fqdn", "", TS_CONF_OPT_STRING, fqdn),
	POOL("edge_pool", "", TS_CONF_OPT_STRING, edge_pool),
	POOL("passive_origins", "", TS_CONF_STRING_LIST, passive_origins),
};

const size_t ts_conf_schema_len = sizeof ts_conf_schema / sizeof ts_conf_schema[0];

const struct ts_config_key_info *ts_config_schema_key(size_t i)
{
	return i < ts_conf_schema_len ? &ts_conf_schema[i].info : NULL;
}
