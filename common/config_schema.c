/* Every configuration key Tessera knows, its type, range and default.
 * conf/tessera.conf documents each row; a test keeps the two in step. */
#include <stddef.h>

#include "config_schema.h"

#define BROKER(field) offsetof(struct ts_config, broker.field)

const struct ts_conf_entry ts_conf_schema[] = {
	{{"broker", "listen_address", "127.0.0.1"}, TS_CONF_STRING, 0, 0, BROKER(listen_address)},
	{{"broker", "listen_port", "8080"}, TS_CONF_LONG, 0, 65535, BROKER(listen_port)},
	{{"broker", "threads", "0"}, TS_CONF_LONG, 0, 256, BROKER(threads)},
	{{"broker", "max_connections", "1024"}, TS_CONF_LONG, 1, 65536, BROKER(max_connections)},
	{{"broker", "connection_timeout", "30"}, TS_CONF_LONG, 1, 3600, BROKER(connection_timeout)},
	{{"broker", "max_body_bytes", "262144"}, TS_CONF_LONG, 1024, 16777216, BROKER(max_body_bytes)},
	{{"log", "level", "info"}, TS_CONF_LOG_LEVEL, 0, 0, offsetof(struct ts_config, log.level)},
};

const size_t ts_conf_schema_len = sizeof ts_conf_schema / sizeof ts_conf_schema[0];

const struct ts_config_key_info *ts_config_schema_key(size_t i)
{
	return i < ts_conf_schema_len ? &ts_conf_schema[i].info : NULL;
}
