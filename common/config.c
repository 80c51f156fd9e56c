/* Loading tessera.conf. GKeyFile parses values; a line scan of our own finds
 * the line of each key (GKeyFile does not keep them) and catches what
 * GKeyFile would silently accept: unknown names and repeated keys. */
#include <glib.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <string.h>

#include "config_schema.h"
#include "tessera/origin.h"
#include "tessera/util.h"

#define NAME_MAX_LEN 64

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

/* Named section kinds and where their instances live in struct ts_config. */
struct named_kind {
	const char *kind;
	size_t array; /* offset of the instance array pointer */
	size_t count; /* offset of its size_t count */
	size_t size;  /* one instance */
	size_t name;  /* offset of char *name in an instance */
};

static const struct named_kind named_kinds[] = {
	{"idp", offsetof(struct ts_config, idps), offsetof(struct ts_config, n_idps),
	 sizeof(struct ts_config_idp), offsetof(struct ts_config_idp, name)},
	{"pool", offsetof(struct ts_config, pools), offsetof(struct ts_config, n_pools),
	 sizeof(struct ts_config_pool), offsetof(struct ts_config_pool, name)},
};

#define N_NAMED_KINDS (sizeof named_kinds / sizeof named_kinds[0])

static char **field_ptr(void *base, size_t offset)
{
	return (char **)(void *)((char *)base + offset);
}

static char *instance(const struct ts_config *cfg, const struct named_kind *k, size_t i)
{
	return *(char **)(void *)((char *)cfg + k->array) + i * k->size;
}

static size_t *count_of(struct ts_config *cfg, const struct named_kind *k)
{
	return (size_t *)(void *)((char *)cfg + k->count);
}

/* kind is the section's first word ("broker", or "idp" of "[idp adfs]"). */
static const struct ts_conf_entry *schema_find(const char *kind, const char *key)
{
	for (size_t i = 0; i < ts_conf_schema_len; i++) {
		const struct ts_config_key_info *k = &ts_conf_schema[i].info;
		if (strcmp(k->section, kind) == 0 && (key == NULL || strcmp(k->key, key) == 0))
			return &ts_conf_schema[i];
	}
	return NULL;
}

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN)
		return false;
	for (; *name != '\0'; name++)
		if (!g_ascii_isalnum(*name) && *name != '-' && *name != '_' && *name != '.')
			return false;
	return true;
}

/* A section header as written, split into its kind and (for named) name. */
struct seen_section {
	char *header; /* "idp adfs" */
	char *kind;   /* "idp" */
	char *name;   /* "adfs", or NULL */
	size_t line;
};

/* A key seen in the file, its section and its line. */
struct seen_key {
	const struct seen_section *section;
	char *key;
	size_t line;
};

static void seen_section_free(gpointer p)
{
	struct seen_section *s = p;
	g_free(s->header);
	g_free(s->kind);
	g_free(s->name);
	g_free(s);
}

static void seen_key_free(gpointer p)
{
	struct seen_key *s = p;
	g_free(s->key);
	g_free(s);
}

static size_t line_of(const GPtrArray *keys, const struct seen_section *section, const char *key)
{
	for (guint i = 0; i < keys->len; i++) {
		const struct seen_key *s = g_ptr_array_index(keys, i);
		if (s->section == section && strcmp(s->key, key) == 0)
			return s->line;
	}
	return 0;
}

static ts_err scan_section(const char *path, size_t lineno, char *header, GPtrArray *sections,
			   struct ts_config_diag *diag)
{
	struct seen_section *s = g_new0(struct seen_section, 1);
	const struct ts_conf_entry *kind;
	char *space = strchr(header, ' ');

	s->header = g_strdup(header);
	s->line = lineno;
	s->kind = space != NULL ? g_strndup(header, (gsize)(space - header)) : g_strdup(header);
	s->name = space != NULL ? g_strstrip(g_strdup(space + 1)) : NULL;
	g_ptr_array_add(sections, s);

	kind = schema_find(s->kind, NULL);
	if (kind == NULL)
		return diag_set(diag, TS_ERR_CONFIG_UNKNOWN_SECTION, path, lineno,
				"unknown section [%s]", header);
	if (kind->info.named && (s->name == NULL || !valid_name(s->name)))
		return diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
				"section [%s] needs a name of letters, digits, '.', '-' or '_' "
				"(e.g. [%s adfs])",
				header, s->kind);
	if (!kind->info.named && s->name != NULL)
		return diag_set(diag, TS_ERR_CONFIG_UNKNOWN_SECTION, path, lineno,
				"unknown section [%s] ([%s] takes no name)", header, s->kind);
	for (guint j = 0; j + 1 < sections->len; j++) {
		const struct seen_section *o = g_ptr_array_index(sections, j);
		if (strcmp(o->header, header) == 0)
			return diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
					"section [%s] appears twice (first at line %zu)", header,
					o->line);
	}
	return TS_ERR_OK;
}

/* Walks the raw text: every section and key must be known and appear once. */
static ts_err scan_lines(const char *path, const char *text, GPtrArray *sections,
			 GPtrArray *keys, struct ts_config_diag *diag)
{
	gchar **lines = g_strsplit(text, "\n", -1);
	const struct seen_section *section = NULL;
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
			err = scan_section(path, lineno, line + 1, sections, diag);
			section = g_ptr_array_index(sections, sections->len - 1);
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
		} else if (schema_find(section->kind, line) == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_UNKNOWN_KEY, path, lineno,
				       "unknown key '%s' in section [%s]", line, section->header);
		} else if (line_of(keys, section, line) != 0) {
			err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, lineno,
				       "key '%s' in [%s] repeats line %zu", line, section->header,
				       line_of(keys, section, line));
		} else {
			struct seen_key *s = g_new0(struct seen_key, 1);
			s->section = section;
			s->key = g_strdup(line);
			s->line = lineno;
			g_ptr_array_add(keys, s);
		}
	}
	g_strfreev(lines);
	return err;
}

static bool in_choices(const char *choices, const char *text)
{
	size_t n = strlen(text);

	for (const char *p = choices; *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (n > 0 && len == n && strncmp(p, text, n) == 0)
			return true;
		p += len + (bar != NULL);
	}
	return false;
}

/* ';'-separated items, blanks trimmed, empty items dropped. */
static char **split_list(const char *text)
{
	gchar **parts = g_strsplit(text, ";", -1);
	GPtrArray *out = g_ptr_array_new();

	for (size_t i = 0; parts[i] != NULL; i++) {
		g_strstrip(parts[i]);
		if (*parts[i] != '\0')
			g_ptr_array_add(out, g_strdup(parts[i]));
	}
	g_ptr_array_add(out, NULL);
	g_strfreev(parts);
	return (char **)g_ptr_array_free(out, FALSE);
}

/* Stores text as the value of entry e in base, checking type and range;
 * on a bad value, *expected says what would have been right. */
static ts_err set_value(void *base, const struct ts_conf_entry *e, const char *text,
			char *expected, size_t expected_len)
{
	char *field = (char *)base + e->offset;

	switch (e->type) {
	case TS_CONF_STRING:
	case TS_CONF_OPT_STRING: {
		char **slot = (char **)(void *)field;
		if (*text == '\0' && e->type == TS_CONF_STRING) {
			snprintf(expected, expected_len, "a non-empty string");
			return TS_ERR_CONFIG_BAD_VALUE;
		}
		g_free(*slot);
		*slot = g_strdup(text);
		return TS_ERR_OK;
	}
	case TS_CONF_STRING_LIST: {
		char ***slot = (char ***)(void *)field;
		g_strfreev(*slot);
		*slot = split_list(text);
		return TS_ERR_OK;
	}
	case TS_CONF_LONG:
		snprintf(expected, expected_len, "an integer from %ld to %ld", e->min, e->max);
		return ts_parse_long(text, e->min, e->max, (long *)(void *)field) == TS_ERR_OK
			       ? TS_ERR_OK
			       : TS_ERR_CONFIG_BAD_VALUE;
	case TS_CONF_BOOL:
		snprintf(expected, expected_len, "true or false");
		if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0)
			return TS_ERR_CONFIG_BAD_VALUE;
		*(bool *)(void *)field = strcmp(text, "true") == 0;
		return TS_ERR_OK;
	case TS_CONF_LOG_LEVEL:
		snprintf(expected, expected_len, "one of debug, info, warn, err");
		return ts_log_level_parse(text, (enum ts_log_level *)(void *)field) == TS_ERR_OK
			       ? TS_ERR_OK
			       : TS_ERR_CONFIG_BAD_VALUE;
	case TS_CONF_CHOICE: {
		char **slot = (char **)(void *)field;
		gchar **names = g_strsplit(e->choices, "|", -1);
		gchar *list = g_strjoinv(", ", names);
		snprintf(expected, expected_len, "one of %s", list);
		g_free(list);
		g_strfreev(names);
		if (!in_choices(e->choices, text))
			return TS_ERR_CONFIG_BAD_VALUE;
		g_free(*slot);
		*slot = g_strdup(text);
		return TS_ERR_OK;
	}
	}
	return TS_ERR_INTERNAL;
}

/* Applies the defaults of every row of one scope (main, or named kind). */
static ts_err apply_defaults(void *base, const char *named_kind)
{
	char expected[128];
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; err == TS_ERR_OK && i < ts_conf_schema_len; i++) {
		const struct ts_conf_entry *e = &ts_conf_schema[i];
		if (named_kind != NULL ? (!e->info.named || strcmp(e->info.section, named_kind) != 0)
				       : e->info.named)
			continue;
		err = set_value(base, e, e->info.default_text, expected, sizeof expected);
	}
	return err;
}

/* Frees the string fields of one scope: main (kind NULL) or a named kind. */
static void free_fields(void *base, const char *kind)
{
	for (size_t i = 0; i < ts_conf_schema_len; i++) {
		const struct ts_conf_entry *e = &ts_conf_schema[i];
		void *field = (char *)base + e->offset;
		if (kind != NULL ? (!e->info.named || strcmp(e->info.section, kind) != 0)
				 : e->info.named)
			continue;
		if (e->type == TS_CONF_STRING_LIST)
			g_strfreev(*(char ***)field);
		else if (e->type == TS_CONF_STRING || e->type == TS_CONF_OPT_STRING ||
			 e->type == TS_CONF_CHOICE)
			g_free(*(char **)field);
	}
}

ts_err ts_config_defaults(struct ts_config **out)
{
	struct ts_config *cfg = g_new0(struct ts_config, 1);
	ts_err err = apply_defaults(cfg, NULL);

	if (err != TS_ERR_OK) {
		ts_config_free(cfg);
		cfg = NULL;
	}
	*out = cfg;
	return err;
}

/* Creates the instances of named sections, in file order, with defaults. */
static ts_err add_named_sections(struct ts_config *cfg, const GPtrArray *sections)
{
	for (size_t k = 0; k < N_NAMED_KINDS; k++)
		*(char **)(void *)((char *)cfg + named_kinds[k].array) =
			g_malloc0(named_kinds[k].size * (sections->len + 1));
	for (guint i = 0; i < sections->len; i++) {
		const struct seen_section *s = g_ptr_array_index(sections, i);
		ts_err err;

		for (size_t k = 0; k < N_NAMED_KINDS; k++) {
			const struct named_kind *nk = &named_kinds[k];
			char *inst;

			if (s->name == NULL || strcmp(s->kind, nk->kind) != 0)
				continue;
			inst = instance(cfg, nk, (*count_of(cfg, nk))++);
			*field_ptr(inst, nk->name) = g_strdup(s->name);
			if ((err = apply_defaults(inst, nk->kind)) != TS_ERR_OK)
				return err;
		}
	}
	return TS_ERR_OK;
}

static void *instance_of(struct ts_config *cfg, const struct seen_section *s)
{
	if (s->name == NULL)
		return cfg;
	for (size_t k = 0; k < N_NAMED_KINDS; k++) {
		const struct named_kind *nk = &named_kinds[k];
		if (strcmp(s->kind, nk->kind) != 0)
			continue;
		for (size_t i = 0; i < *count_of(cfg, nk); i++)
			if (strcmp(*field_ptr(instance(cfg, nk, i), nk->name), s->name) == 0)
				return instance(cfg, nk, i);
	}
	return NULL;
}

/* A path the gate reads as written (gate_path.h leaves it unchanged, and no
 * other spelling IIS would serve the same compares otherwise): unreserved
 * characters in segments that are not empty, "." or "..", nor end in ".". */
static bool plain_path(const char *path, size_t len)
{
	size_t seg = 1; /* where the current segment starts */

	if (len == 0)
		return true;
	if (path[0] != '/')
		return false;
	for (size_t i = 1; i <= len; i++) {
		if (i == len || path[i] == '/') {
			if ((i == seg && i != len) || (i > seg && path[i - 1] == '.'))
				return false;
			seg = i + 1;
		} else if (!g_ascii_isalnum(path[i]) && !strchr("-._~", path[i])) {
			return false;
		}
	}
	return true;
}

/* A wreply the STS posts tokens to, and below whose directory the gate
 * guards posts: https on one of the pool's hosts, a plain path, a query
 * without a fragment. */
static bool reply_url_valid(const struct ts_config_pool *pool, const char *url)
{
	char origin[TS_ORIGIN_MAX];
	const char *path;
	size_t path_len;

	if (ts_origin_of_url(url, origin, &path) != TS_ERR_OK ||
	    !ts_config_pool_serves_origin(pool, origin))
		return false;
	path_len = strcspn(path, "?");
	if (!plain_path(path, path_len))
		return false;
	for (const char *c = path + path_len; *c != '\0'; c++)
		if (!g_ascii_isgraph(*c) || *c == '#')
			return false;
	return true;
}

/* What one section needs beyond single values: required keys and
 * references to other sections. Reports the section's header line. */
static ts_err check_pools(const struct ts_config *cfg, const GPtrArray *sections,
			  struct ts_config_diag *diag)
{
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct ts_config_pool *p = &cfg->pools[i];
		size_t line = 0;

		for (guint j = 0; j < sections->len; j++) {
			const struct seen_section *s = g_ptr_array_index(sections, j);
			if (strcmp(s->kind, "pool") == 0 && strcmp(s->name, p->name) == 0)
				line = s->line;
		}
		if (*p->host == '\0')
			return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, line,
					"[pool %s] needs host (its public web host name)", p->name);
		if (ts_config_find_idp(cfg, p->idp) == NULL)
			return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, line,
					"[pool %s] idp '%s' is not a configured [idp NAME]",
					p->name, p->idp);
		for (size_t k = 0; p->anonymous_paths[k] != NULL; k++)
			if (p->anonymous_paths[k][0] != '/' &&
			    strncmp(p->anonymous_paths[k], "*/", 2) != 0)
				return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, line,
						"[pool %s] anonymous path '%s' must start with "
						"'/' or '*/'",
						p->name, p->anonymous_paths[k]);
		for (size_t k = 0; p->reply_urls != NULL && p->reply_urls[k] != NULL; k++)
			if (!reply_url_valid(p, p->reply_urls[k]))
				return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, line,
						"[pool %s] reply URL '%s' is not https on the "
						"pool's host or gate_hosts with a plain path "
						"(letters, digits, '-._~' between '/')",
						p->name, p->reply_urls[k]);
		for (size_t k = 0; p->passive_origins != NULL && p->passive_origins[k] != NULL;
		     k++) {
			const char *o = p->passive_origins[k];
			char canonical[TS_ORIGIN_MAX];
			if (ts_origin_canonical(o, strlen(o), canonical) != TS_ERR_OK)
				return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, line,
						"[pool %s] passive origin '%s' is not "
						"https://HOST[:PORT] (or null)",
						p->name, o);
		}
	}
	return TS_ERR_OK;
}

/* Browsers' Origin is compared with public_url's (the gate's default
 * passive_origins), and redirects are built on it: it must be an origin. */
static ts_err check_public_url(const struct ts_config *cfg, struct ts_config_diag *diag)
{
	const char *url = cfg->broker.public_url;
	char origin[TS_ORIGIN_MAX];

	if (ts_origin_canonical(url, strlen(url), origin) != TS_ERR_OK || strcmp(url, "null") == 0)
		return diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, cfg->path, 0,
				"[broker] public_url '%s' is not https://HOST[:PORT] (or http://)",
				url);
	return TS_ERR_OK;
}

ts_err ts_config_load(const char *path, struct ts_config **out, struct ts_config_diag *diag)
{
	struct ts_config *cfg = NULL;
	GPtrArray *sections = g_ptr_array_new_with_free_func(seen_section_free);
	GPtrArray *keys = g_ptr_array_new_with_free_func(seen_key_free);
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
	if ((err = scan_lines(path, text, sections, keys, diag)) != TS_ERR_OK)
		goto out;
	if (!g_key_file_load_from_data(kf, text, textlen, G_KEY_FILE_NONE, &gerr)) {
		err = diag_set(diag, TS_ERR_CONFIG_SYNTAX, path, 0, "%s", gerr->message);
		goto out;
	}
	if ((err = ts_config_defaults(&cfg)) != TS_ERR_OK ||
	    (err = add_named_sections(cfg, sections)) != TS_ERR_OK)
		goto out;
	for (guint i = 0; i < keys->len; i++) {
		const struct seen_key *s = g_ptr_array_index(keys, i);
		const struct ts_conf_entry *e = schema_find(s->section->kind, s->key);
		char expected[128] = "";
		gchar *value = g_key_file_get_string(kf, s->section->header, s->key, &gerr);

		if (value == NULL) {
			err = diag_set(diag, TS_ERR_CONFIG_BAD_VALUE, path, s->line, "%s",
				       gerr->message);
			goto out;
		}
		err = set_value(instance_of(cfg, s->section), e, value, expected, sizeof expected);
		if (err == TS_ERR_CONFIG_BAD_VALUE)
			diag_set(diag, err, path, s->line, "bad value '%s' for %s in [%s]: expected %s",
				 value, s->key, s->section->header, expected);
		g_free(value);
		if (err != TS_ERR_OK)
			goto out;
	}
	cfg->path = g_strdup(path);
	if ((err = check_pools(cfg, sections, diag)) != TS_ERR_OK ||
	    (err = check_public_url(cfg, diag)) != TS_ERR_OK)
		goto out;
	*out = cfg;
	cfg = NULL;
out:
	if (gerr != NULL)
		g_error_free(gerr);
	ts_config_free(cfg);
	g_key_file_free(kf);
	g_ptr_array_free(keys, TRUE);
	g_ptr_array_free(sections, TRUE);
	g_free(text);
	return err;
}

const struct ts_config_idp *ts_config_find_idp(const struct ts_config *cfg, const char *name)
{
	for (size_t i = 0; name != NULL && i < cfg->n_idps; i++)
		if (strcmp(cfg->idps[i].name, name) == 0)
			return &cfg->idps[i];
	return NULL;
}

bool ts_config_pool_serves_origin(const struct ts_config_pool *pool, const char *origin)
{
	if (ts_origin_on_host(origin, pool->host))
		return true;
	for (char **h = pool->gate_hosts; h != NULL && *h != NULL; h++)
		if (ts_origin_on_host(origin, *h))
			return true;
	return false;
}

const struct ts_config_pool *ts_config_find_pool(const struct ts_config *cfg, const char *name)
{
	for (size_t i = 0; name != NULL && i < cfg->n_pools; i++)
		if (strcmp(cfg->pools[i].name, name) == 0)
			return &cfg->pools[i];
	return NULL;
}

void ts_config_free(struct ts_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t k = 0; k < N_NAMED_KINDS; k++) {
		const struct named_kind *nk = &named_kinds[k];
		char *array = *(char **)(void *)((char *)cfg + nk->array);

		for (size_t i = 0; array != NULL && i < *count_of(cfg, nk); i++) {
			free_fields(instance(cfg, nk, i), nk->kind);
			g_free(*field_ptr(instance(cfg, nk, i), nk->name));
		}
		g_free(array);
	}
	free_fields(cfg, NULL);
	g_free(cfg->path);
	g_free(cfg);
}
