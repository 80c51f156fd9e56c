/* One line per event on stderr: "ts=... level=info event=NAME key=value ...".
 * Keys are literals from the code; every value is treated as user-controlled:
 * control and non-ASCII bytes are escaped, quotes added where needed, and the
 * value is cut at TS_LOG_VALUE_MAX bytes with a trailing "...". */
#ifndef TESSERA_LOG_H
#define TESSERA_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "tessera/clock.h"
#include "tessera/err.h"

enum ts_log_level { TS_LOG_DEBUG, TS_LOG_INFO, TS_LOG_WARN, TS_LOG_ERR };

#define TS_LOG_VALUE_MAX 256
#define TS_LOG_LINE_MAX 4096

/* Process-wide sink settings, set once at start-up (and on reload). */
void ts_log_set_level(enum ts_log_level level);
void ts_log_set_stream(FILE *stream);
void ts_log_set_clock(const struct ts_clock *clock);

const char *ts_log_level_name(enum ts_log_level level);
ts_err ts_log_level_parse(const char *name, enum ts_log_level *out);

/* Logs key/value string pairs ending with a NULL key; use ts_log(). */
void ts_log_kv(enum ts_log_level level, const char *event, ...);
#define ts_log(level, ...) ts_log_kv((level), __VA_ARGS__, (const char *)NULL)
/* The same, adding error=NAME from the registry first. */
void ts_log_error_kv(enum ts_log_level level, const char *event, ts_err err, ...);
#define ts_log_error(level, event, ...) ts_log_error_kv((level), (event), __VA_ARGS__, (const char *)NULL)

/* Formats one line (with '\n') into buf; error_name may be NULL. Returns the length. */
size_t ts_log_vformat(char *buf, size_t bufsz, ts_time now, enum ts_log_level level,
		      const char *event, const char *error_name, va_list pairs);
/* Escapes one value as it appears in a line; returns the length written. */
size_t ts_log_escape(char *out, size_t outsz, const char *value);

#endif
