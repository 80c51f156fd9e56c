/* Every configuration key Tessera knows, its type, range and default.
 * conf/tessera.conf documents each row; a test keeps the two in step. */
#include <stddef.h>

#include "config_schema.h"

#define BROKER(field) offsetof(struct ts_config, broker.field)
#define TICKETS(field) offsetof(struct ts_config, tickets.field)

static const char *const ticket_algs[] = {"EdDSA", "ES256", NULL};

static const struct {
	size_t offset;
	const char *const *names;
} choices[] = {
	{TICKETS(algorithm), ticket_algs},
};

const struct ts_conf_entry ts_conf_schema[] = {
	{{"broker", "listen_address", "127.0.0.1"}, TS_CONF_STRING, 0, 0, BROKER(listen_address)},
	{{"broker", "listen_port", "8080"}, TS_CONF_LONG, 0, 65535, BROKER(listen_port)},
	{{"broker", "threads", "0"}, TS_CONF_LONG, 0, 256, BROKER(threads)},
	{{"broker", "max_connections", "1024"}, TS_CONF_LONG, 1, 65536, BROKER(max_connections)},
	{{"broker", "connection_timeout", "30"}, TS_CONF_LONG, 1, 3600, BROKER(connection_timeout)},
	{{"broker", "max_body_bytes", "262144"}, TS_CONF_LONG, 1024, 16777216, BROKER(max_body_bytes)},
	{{"log", "level", "info"}, TS_CONF_LOG_LEVEL, 0, 0, offsetof(struct ts_config, log.level)},
	{{"tickets", "key_dir", "/var/lib/tessera/keys"}, TS_CONF_STRING, 0, 0, TICKETS(key_dir)},
	{{"tickets", "algorithm", "EdDSA"}, TS_CONF_CHOICE, 0, 0, TICKETS(algorithm)},
	{{"tickets", "issuer", "tessera"}, TS_CONF_STRING, 0, 0, TICKETS(issuer)},
	{{"tickets", "lifetime", "28800"}, TS_CONF_LONG, 60, 2592000, TICKETS(lifetime)},
	{{"tickets", "clock_skew", "60"}, TS_CONF_LONG, 0, 600, TICKETS(clock_skew)},
	{{"tickets", "verify_cache_entries", "16384"}, TS_CONF_LONG, 0, 1048576,
	 TICKETS(verify_cache_entries)},
	{{"tickets", "keyring_check_interval", "60"}, TS_CONF_LONG, 1, 86400,
	 TICKETS(keyring_check_interval)},
	{{"store", "path", "/var/lib/tessera/tessera.db"}, TS_CONF_STRING, 0, 0,
	 offsetof(struct ts_config, store.path)},
};

const size_t ts_conf_schema_len = sizeof ts_conf_schema / sizeof ts_conf_schema[0];

const char *const *ts_conf_choices(const struct ts_conf_entry *e)
{
	static const char *const none[] = {NULL};

	for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
		if (choices[i].offset == e->offset)
			return choices[i].names;
	return none;
}

const struct ts_config_key_info *ts_config_schema_key(size_t i)
{
	return i < ts_conf_schema_len ? &ts_conf_schema[i].info : NULL;
}
