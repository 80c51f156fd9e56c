/* Private to common/: the shape of a schema row. */
#ifndef TS_COMMON_CONFIG_SCHEMA_H
#define TS_COMMON_CONFIG_SCHEMA_H

#include <stddef.h>

#include "tessera/config.h"

enum ts_conf_type { TS_CONF_STRING, TS_CONF_LONG, TS_CONF_LOG_LEVEL };

struct ts_conf_entry {
	struct ts_config_key_info info;
	enum ts_conf_type type;
	long min, max; /* TS_CONF_LONG only */
	size_t offset; /* into struct ts_config */
};

extern const struct ts_conf_entry ts_conf_schema[];
extern const size_t ts_conf_schema_len;

#endif
