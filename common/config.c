/* Loading tessera.conf. GKeyFile parses values; a line scan of our own finds
 * the line of each key (GKeyFile does not keep them) and catches what
 * GKeyFile would silently accept: unknown names and repeated keys. */
#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "config_schema.h"
#include "tessera/util.h"

static ts_err diag_set(struct ts_config_diag *diag, ts_err err, const char *path, size_t line,
		       const char *fmt, ...) G_GNUC_PRINTF(5, 6);

static ts_err diag_set(struct ts_config_diag *diag, ts_err err, const char *path, size_t line,
		       const char *fmt, ...)
{
	va_list ap;
	int n;

	if (diag == NULL)
		return err;
	n = line > 0 ? snprintf(diag->text, sizeof diag->text, "%s:%zu: ", path, line)
		     : snprintf(diag->text, sizeof diag->text, "%s: ", path);
	if (n < 0 || (size_t)n >= sizeof diag->text)
		return err;
	va_start(ap, fmt);
	vsnprintf(diag->text + n, sizeof diag->text - (size_t)n, fmt, ap);
	va_end(ap);
	return err;
}

static const struct ts_conf_entry *schema_find(const char *section, const char *key)
{
	for (size_t i = 0; i < ts_conf_schema_len; i++) {
		const struct ts_config_key_info *k = &ts_conf_schema[i].info;
		if (strcmp(k->section, section) == 0 && (key == NULL || strcmp(k->key, key) == 0))
			return &ts_conf_schema[i];
	}
	return NULL;
}

/* A key seen in the file and the line it is on. */
struct seen_key {
	char *section;
	char *key;
	size_t line;
};

static void seen_key_free(gpointer p)
{
	struct seen_key *s = p;
	g_free(s->section);
	g_free(s->key);
	g_free(s);
}

static size_t line_of(const GPtrArray *seen, const char *section, const char *key)
{
	for (guint i = 0; i < seen->len; i++) {
		const struct seen_key *s = g_ptr_array_index(seen, i);
		if (strcmp(s->section, section) == 0 && strcmp(s->key, key) == 0)
			return s->line;
	}
	return 0;
}

/* Walks the raw text: every section and key must be known and appear once. */
static ts_err scan_lines(const char *path, const char *text, GPtrArray *seen,
			 struct ts_config_diag *diag)
{
	gchar **lines = g_strsplit(text, "\n", -1);
	GPtrArray *sections = g_ptr_array_new_with_free_func(g_free);
	char *section = NULL;
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; lines[i] != NULL && err == TS_ERR_OK; i++) {
		const size_t lineno = i + 1;
		char *line = g_strstrip(lines[i]);
		char *eq;

		if (*line == '\0' || *line == '#')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');
			if (end == NULL || end[1] != '\0') {
				err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
					       "malformed section header");
				break;
			}
			*end = '\0';
			g_free(section);
			section = g_strdup(line + 1);
			if (schema_find(section, NULL) == NULL)
				err = diag_set(diag, TS_ERR_CONFIG_UNKNOWN_SECTION, path, lineno,
					       "unknown section [%s]", section);
			for (guint j = 0; err == TS_ERR_OK && j < sections->len; j++)
				if (strcmp(g_ptr_array_index(sections, j), section) == 0)
					err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
						       "section [%s] appears twice", section);
			g_ptr_array_add(sections, g_strdup(section));
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
				       "expected 'key = value', a [section] or a # comment");
			break;
		}
		*eq = '\0';
		g_strstrip(line);
		if (section == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
				       "key '%s' before any [section]", line);
		} else if (schema_find(section, line) == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_UNKNOWN_KEY, path, lineno,
				       "unknown key '%s' in section [%s]", line, section);
		} else if (line_of(seen, section, line) != 0) {
			err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
				       "key '%s' in [%s] repeats line %zu", line, section,
				       line_of(seen, section, line));
		} else {
			struct seen_key *s = g_new0(struct seen_key, 1);
			s->section = g_strdup(section);
			s->key = g_strdup(line);
			s->line = lineno;
			g_ptr_array_add(seen, s);
		}
	}
	g_free(section);
	g_ptr_array_free(sections, TRUE);
	g_strfreev(lines);
	return err;
}

/* "A, B, C" for a diagnostic; cut to fit, never overflowing. */
static const char *choices_text(const struct ts_conf_entry *e, char *buf, size_t bufsz)
{
	const char *const *names = ts_conf_choices(e);
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL; i++) {
		int n = snprintf(buf + at, bufsz - at, "%s%s", i > 0 ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= bufsz - at)
			break;
		at += (size_t)n;
	}
	return buf;
}

/* Stores text as the value of entry e in cfg, checking type and range. */
static ts_err set_value(struct ts_config *cfg, const struct ts_conf_entry *e, const char *text,
			const char **expected)
{
	char *field = (char *)cfg + e->offset;

	switch (e->type) {
	case TS_CONF_STRING: {
		char **slot = (char **)(void *)field;
		if (*text == '\0') {
			*expected = "a non-empty string";
			return TS_ERR_CONFIG_BAD_VALUE;
		}
		free(*slot);
		*slot = strdup(text);
		return *slot != NULL ? TS_ERR_OK : TS_ERR_NOMEM;
	}
	case TS_CONF_LONG:
		*expected = "an integer in range";
		return ts_parse_long(text, e->min, e->max, (long *)(void *)field) == TS_ERR_OK
			       ? TS_ERR_OK
			       : TS_ERR_CONFIG_BAD_VALUE;
	case TS_CONF_CHOICE: {
		char **slot = (char **)(void *)field;
		const char *const *names = ts_conf_choices(e);
		for (size_t i = 0; names[i] != NULL; i++) {
			if (strcmp(text, names[i]) == 0) {
				free(*slot);
				*slot = strdup(text);
				return *slot != NULL ? TS_ERR_OK : TS_ERR_NOMEM;
			}
		}
		*expected = "one of the listed names";
		return TS_ERR_CONFIG_BAD_VALUE;
	}
	case TS_CONF_LOG_LEVEL:
		*expected = "one of debug, info, warn, err";
		return ts_log_level_parse(text, (enum ts_log_level *)(void *)field) == TS_ERR_OK
			       ? TS_ERR_OK
			       : TS_ERR_CONFIG_BAD_VALUE;
	}
	return TS_ERR_INTERNAL;
}

ts_err ts_config_defaults(struct ts_config **out)
{
	struct ts_config *cfg = calloc(1, sizeof *cfg);
	const char *expected = NULL;
	ts_err err = cfg != NULL ? TS_ERR_OK : TS_ERR_NOMEM;

	for (size_t i = 0; err == TS_ERR_OK && i < ts_conf_schema_len; i++)
		err = set_value(cfg, &ts_conf_schema[i], ts_conf_schema[i].info.default_text,
				&expected);
	if (err != TS_ERR_OK) {
		ts_config_free(cfg);
		cfg = NULL;
	}
	*out = cfg;
	return err;
}

ts_err ts_config_load(const char *path, struct ts_config **out, struct ts_config_diag *diag)
{
	struct ts_config *cfg = NULL;
	GPtrArray *seen = g_ptr_array_new_with_free_func(seen_key_free);
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	gchar *text = NULL;
	gsize textlen = 0;
	ts_err err;

	*out = NULL;
	if (!g_file_get_contents(path, &text, &textlen, &gerr)) {
		err = diag_set(diag, TS_ERR_CONFIG_MISSING_FILE, path, 0, "%s", gerr->message);
		goto out;
	}
	if (memchr(text, '\0', textlen) != NULL) {
		err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, 0, "file contains a NUL byte");
		goto out;
	}
	if ((err = scan_lines(path, text, seen, diag)) != TS_ERR_OK)
		goto out;
	if (!g_key_file_load_from_data(kf, text, textlen, G_KEY_FILE_NONE, &gerr)) {
		err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, 0, "%s", gerr->message);
		goto out;
	}
	if ((err = ts_config_defaults(&cfg)) != TS_ERR_OK)
		goto out;
	for (guint i = 0; i < seen->len; i++) {
		const struct seen_key *s = g_ptr_array_index(seen, i);
		const struct ts_conf_entry *e = schema_find(s->section, s->key);
		const char *expected = "";
		char choices[128];
		gchar *value = g_key_file_get_string(kf, s->section, s->key, &gerr);

		if (value == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, path, s->line, "%s",
				       gerr->message);
			goto out;
		}
		err = set_value(cfg, e, value, &expected);
		if (err == TS_ERR_CONFIG_BAD_VALUE) {
			if (e->type == TS_CONF_LONG)
				diag_set(diag, err, path, s->line,
					 "bad value '%s' for %s in [%s]: expected an integer from "
					 "%ld to %ld",
					 value, s->key, s->section, e->min, e->max);
			else if (e->type == TS_CONF_CHOICE)
				diag_set(diag, err, path, s->line,
					 "bad value '%s' for %s in [%s]: expected one of %s", value,
					 s->key, s->section, choices_text(e, choices, sizeof choices));
			else
				diag_set(diag, err, path, s->line,
					 "bad value '%s' for %s in [%s]: expected %s", value, s->key,
					 s->section, expected);
		}
		g_free(value);
		if (err != TS_ERR_OK)
			goto out;
	}
	if ((cfg->path = strdup(path)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	*out = cfg;
	cfg = NULL;
out:
	if (gerr != NULL)
		g_error_free(gerr);
	ts_config_free(cfg);
	g_key_file_free(kf);
	g_ptr_array_free(seen, TRUE);
	g_free(text);
	return err;
}

void ts_config_free(struct ts_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < ts_conf_schema_len; i++)
		if (ts_conf_schema[i].type == TS_CONF_STRING ||
		    ts_conf_schema[i].type == TS_CONF_CHOICE)
			free(*(char **)(void *)((char *)cfg + ts_conf_schema[i].offset));
	free(cfg->path);
	free(cfg);
}
