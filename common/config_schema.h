/* Private to common/: the shape of a schema row. */
#ifndef TS_COMMON_CONFIG_SCHEMA_H
#define TS_COMMON_CONFIG_SCHEMA_H

#include <stddef.h>

#include "tessera/config.h"

/* TS_CONF_CHOICE is a string that must be one of choices (stored as a copy):
 * common/ stays below the modules that give the names their meaning. */
enum ts_conf_type { TS_CONF_STRING, TS_CONF_LONG, TS_CONF_LOG_LEVEL, TS_CONF_CHOICE };

struct ts_conf_entry {
	struct ts_config_key_info info;
	enum ts_conf_type type;
	long min, max; /* TS_CONF_LONG only */
	size_t offset; /* into struct ts_config */
};

extern const struct ts_conf_entry ts_conf_schema[];
extern const size_t ts_conf_schema_len;

/* The names a TS_CONF_CHOICE row accepts (NULL-terminated), found by the
 * row's offset: a side table, so rows of other types need no extra column. */
const char *const *ts_conf_choices(const struct ts_conf_entry *e);

#endif
