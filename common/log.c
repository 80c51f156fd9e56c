/* key=value log lines. Values are escaped so a user-controlled string can
 * neither forge a second line or field nor flood the log. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "tessera/log.h"

/* The sink is process-wide by nature (one stderr); everything else is passed
 * explicitly. Stream and clock are set at start-up, before threads start
 * serving; the level also at reload, while they serve: atomic. */
static _Atomic enum ts_log_level sink_level = TS_LOG_INFO;
static FILE *sink_stream;
static struct ts_clock sink_clock = {.fixed = false};

static const char *const level_names[] = {"debug", "info", "warn", "err"};

void ts_log_set_level(enum ts_log_level level)
{
	atomic_store_explicit(&sink_level, level, memory_order_relaxed);
}

void ts_log_set_stream(FILE *stream)
{
	sink_stream = stream;
}

void ts_log_set_clock(const struct ts_clock *clock)
{
	sink_clock = clock != NULL ? *clock : ts_clock_real();
}

const char *ts_log_level_name(enum ts_log_level level)
{
	return (unsigned)level <= TS_LOG_ERR ? level_names[level] : "unknown";
}

ts_err ts_log_level_parse(const char *name, enum ts_log_level *out)
{
	for (unsigned i = 0; name != NULL && i <= TS_LOG_ERR; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum ts_log_level)i;
			return TS_ERR_OK;
		}
	}
	return TS_ERR_INVALID_ARGUMENT;
}

static bool needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (; *v != '\0'; v++)
		if (*v == ' ' || *v == '=' || *v == '"' || (unsigned char)*v < 0x21 ||
		    (unsigned char)*v > 0x7e)
			return true;
	return false;
}

/* Appends what fits of s; a cut escape sequence is never left half-written
 * because callers reserve room for the longest one. */
static size_t put(char *out, size_t outsz, size_t at, const char *s, size_t n)
{
	if (at + n < outsz) {
		memcpy(out + at, s, n);
		return at + n;
	}
	return at;
}

size_t ts_log_escape(char *out, size_t outsz, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	const bool quoted = value == NULL || needs_quotes(value);
	size_t at = 0, taken = 0;

	if (outsz == 0)
		return 0;
	if (value == NULL)
		value = "";
	if (quoted)
		at = put(out, outsz, at, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++, taken++) {
		char esc[4];
		size_t n;

		if (taken == TS_LOG_VALUE_MAX || at + 4 + 4 >= outsz) {
			at = put(out, outsz, at, "...", 3);
			break;
		}
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p, n = 2;
		} else if (*p < 0x20 || *p > 0x7e) {
			esc[0] = '\\', esc[1] = 'x', esc[2] = hex[*p >> 4], esc[3] = hex[*p & 15];
			n = 4;
		} else {
			esc[0] = (char)*p, n = 1;
		}
		at = put(out, outsz, at, esc, n);
	}
	if (quoted)
		at = put(out, outsz, at, "\"", 1);
	out[at] = '\0';
	return at;
}

size_t ts_log_vformat(char *buf, size_t bufsz, ts_time now, enum ts_log_level level,
		      const char *event, const char *error_name, va_list pairs)
{
	char stamp[TS_TIME_ISO_LEN];
	char value[TS_LOG_VALUE_MAX * 4 + 8];
	size_t at;
	int n;

	if (bufsz < 2)
		return 0;
	ts_time_format(now, stamp);
	/* error=NAME right after the event: it is what readers look for first. */
	n = snprintf(buf, bufsz, "ts=%s level=%s event=%s%s%s", stamp, ts_log_level_name(level),
		     event, error_name != NULL ? " error=" : "",
		     error_name != NULL ? error_name : "");
	at = n < 0 ? 0 : ((size_t)n < bufsz - 1 ? (size_t)n : bufsz - 2);
	for (;;) {
		const char *key = va_arg(pairs, const char *);
		size_t klen, vlen;

		if (key == NULL)
			break;
		vlen = ts_log_escape(value, sizeof value, va_arg(pairs, const char *));
		klen = strlen(key);
		/* A field that does not fit is dropped whole, never cut. */
		if (at + 1 + klen + 1 + vlen + 1 >= bufsz)
			continue;
		buf[at++] = ' ';
		memcpy(buf + at, key, klen), at += klen;
		buf[at++] = '=';
		memcpy(buf + at, value, vlen), at += vlen;
	}
	buf[at++] = '\n';
	buf[at] = '\0';
	return at;
}

static void emit(enum ts_log_level level, const char *event, const char *error_name,
		 va_list pairs)
{
	char line[TS_LOG_LINE_MAX];
	FILE *stream = sink_stream != NULL ? sink_stream : stderr;
	size_t n;

	if (level < atomic_load_explicit(&sink_level, memory_order_relaxed))
		return;
	n = ts_log_vformat(line, sizeof line, ts_clock_now(&sink_clock), level, event, error_name,
			   pairs);
	/* One fwrite per line keeps lines whole between threads. */
	fwrite(line, 1, n, stream);
	fflush(stream);
}

void ts_log_kv(enum ts_log_level level, const char *event, ...)
{
	va_list pairs;

	va_start(pairs, event);
	emit(level, event, NULL, pairs);
	va_end(pairs);
}

void ts_log_error_kv(enum ts_log_level level, const char *event, ts_err err, ...)
{
	va_list pairs;

	va_start(pairs, err);
	emit(level, event, ts_errname(err), pairs);
	va_end(pairs);
}
