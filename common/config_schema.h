/* Private to common/: the shape of a schema row. */
#ifndef TS_COMMON_CONFIG_SCHEMA_H
#define TS_COMMON_CONFIG_SCHEMA_H

#include <stddef.h>

#include "tessera/config.h"

enum ts_conf_type {
	TS_CONF_STRING,     /* non-empty */
	TS_CONF_OPT_STRING, /* may be empty: "not set" */
	TS_CONF_LONG,
	TS_CONF_BOOL,
	TS_CONF_LOG_LEVEL,
	TS_CONF_CHOICE,      /* one of the '|'-separated words in choices */
	TS_CONF_STRING_LIST, /* ';'-separated, GKeyFile style */
};

struct ts_conf_entry {
	struct ts_config_key_info info;
	enum ts_conf_type type;
	long min, max;       /* TS_CONF_LONG only */
	const char *choices; /* TS_CONF_CHOICE only */
	size_t offset;       /* into struct ts_config, or struct ts_config_idp if named */
};

extern const struct ts_conf_entry ts_conf_schema[];
extern const size_t ts_conf_schema_len;

#endif
