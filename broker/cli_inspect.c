/* tessera inspect FILE --idp NAME [--at TIME] [--config FILE]: validates a
 * captured response offline and prints the identity or the exact rejection.
 * FILE may hold the XML, its base64, or the POST body a browser sent. */
#include <getopt.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tessera/config.h"
#include "tessera/form.h"
#include "tessera/log.h"
#include "tessera/saml.h"

#define MAX_FILE_BYTES (16 * 1024 * 1024)

static void print_value(const char *key, const char *value)
{
	char esc[TS_LOG_VALUE_MAX * 4 + 8];

	ts_log_escape(esc, sizeof esc, value);
	printf("%s: %s\n", key, value != NULL ? esc : "(none)");
}

static void print_time(const char *key, ts_time t)
{
	char text[TS_TIME_ISO_LEN];

	if (t == 0) {
		printf("%s: (none)\n", key);
		return;
	}
	ts_time_format(t, text);
	printf("%s: %s\n", key, text);
}

static void print_identity(const struct ts_identity *id)
{
	printf("result: valid\n");
	print_value("idp", id->idp);
	print_value("issuer", id->issuer);
	print_value("protocol", id->protocol);
	print_value("subject", id->subject);
	print_value("subject_format", id->subject_format);
	print_value("upn", id->upn);
	print_value("primary_sid", id->primary_sid);
	for (size_t i = 0; i < id->n_groups; i++)
		print_value("group", id->groups[i]);
	for (size_t i = 0; i < id->n_amr; i++)
		print_value("amr", id->amr[i]);
	printf("mfa: %s\n", id->mfa ? "yes" : "no");
	print_time("authn_instant", id->authn_instant);
	print_time("session_expiry", id->session_expiry);
	print_time("not_on_or_after", id->not_on_or_after);
	print_value("assertion_id", id->assertion_id);
	for (size_t i = 0; i < id->n_attrs; i++)
		for (size_t j = 0; j < id->attrs[i].n_values; j++) {
			/* The name is the sender's too: escaped like any value. */
			char name[TS_LOG_VALUE_MAX * 4 + 8], key[sizeof name + 16];
			ts_log_escape(name, sizeof name, id->attrs[i].name);
			snprintf(key, sizeof key, "attribute %s", name);
			print_value(key, id->attrs[i].values[j]);
		}
}

/* Turns what the file holds into XML and the endpoint it would arrive at. */
static ts_err to_xml(const char *data, size_t len, size_t max, char **xml, size_t *xml_len,
		     enum ts_saml_endpoint *endpoint)
{
	size_t skip = strspn(data, " \t\r\n");
	char *field = NULL;
	size_t field_len = 0;
	ts_err err;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		skip = 3;
	if (data[skip] == '<') {
		*xml = g_memdup2(data + skip, len - skip + 1); /* with g_file's NUL */
		*xml_len = len - skip;
		*endpoint = TS_SAML_ANY;
		return TS_ERR_OK;
	}
	if (ts_form_get(data, len, "SAMLResponse", &field, &field_len) == TS_ERR_OK) {
		err = ts_saml_decode_base64(field, field_len, max, xml, xml_len);
		*endpoint = TS_SAML_ACS;
		free(field);
		return err;
	}
	if (ts_form_get(data, len, "wresult", &field, &field_len) == TS_ERR_OK) {
		*xml = field;
		*xml_len = field_len;
		*endpoint = TS_SAML_WSFED;
		return TS_ERR_OK;
	}
	*endpoint = TS_SAML_ANY;
	return ts_saml_decode_base64(data, len, max, xml, xml_len);
}

static int usage(void)
{
	fprintf(stderr, "usage: tessera inspect FILE --idp NAME [--at TIME] [--config FILE]\n"
			"  TIME is ISO 8601 (e.g. 2013-07-11T12:33:03Z); default: now\n");
	return 2;
}

int ts_cli_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"idp", required_argument, NULL, 'i'},
		{"at", required_argument, NULL, 'a'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *idp = NULL, *at = NULL, *config = TS_DEFAULT_CONFIG, *file;
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	struct ts_saml *saml = NULL;
	struct ts_identity *id = NULL;
	struct ts_saml_check check = {.offline = true};
	enum ts_saml_endpoint endpoint;
	gchar *data = NULL;
	char *xml = NULL;
	gsize len = 0;
	size_t xml_len = 0;
	int opt, rc = 1;
	bool library_ready = false;
	ts_err err;

	while ((opt = getopt_long(argc, argv, "i:a:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			idp = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || idp == NULL)
		return usage();
	file = argv[optind];
	check.now = ts_clock_now(NULL);
	if (at != NULL && ts_time_parse(at, &check.now) != TS_ERR_OK) {
		fprintf(stderr, "tessera inspect: --at '%s': %s\n", at, ts_strerror(TS_ERR_TIME_FORMAT));
		return 2;
	}
	/* Rejections are printed below; keep the log for real trouble only. */
	ts_log_set_level(TS_LOG_ERR);
	if ((err = ts_config_load(config, &cfg, &cdiag)) != TS_ERR_OK) {
		fprintf(stderr, "tessera inspect: %s (%s)\n", cdiag.text, ts_errname(err));
		goto out;
	}
	if (ts_config_find_idp(cfg, idp) == NULL) {
		fprintf(stderr, "tessera inspect: no [idp %s] in %s (%s)\n", idp, config,
			ts_errname(TS_ERR_SAML_UNKNOWN_IDP));
		goto out;
	}
	if (!g_file_get_contents(file, &data, &len, NULL) || len > MAX_FILE_BYTES) {
		fprintf(stderr, "tessera inspect: cannot read %s (or over 16 MiB)\n", file);
		goto out;
	}
	library_ready = (err = ts_saml_library_init()) == TS_ERR_OK;
	if (err != TS_ERR_OK || (err = ts_saml_new(cfg, check.now, &saml, &diag)) != TS_ERR_OK) {
		fprintf(stderr, "tessera inspect: %s: %s (%s)\n", ts_errname(err), diag.text,
			ts_strerror(err));
		goto out;
	}
	err = to_xml(data, len, (size_t)cfg->sp.max_message_bytes, &xml, &xml_len, &endpoint);
	if (err == TS_ERR_OK)
		err = ts_saml_validate(saml, idp, endpoint, xml, xml_len, &check, &id, &diag);
	if (err == TS_ERR_OK) {
		print_identity(id);
		rc = 0;
	} else {
		printf("result: rejected\nerror: %s\nreason: %s\n", ts_errname(err), ts_strerror(err));
		print_value("detail", diag.text);
	}
	printf("skipped: InResponseTo (offline), replay (offline)\n");
out:
	ts_identity_free(id);
	ts_saml_free(saml);
	ts_config_free(cfg);
	g_free(data);
	g_free(xml);
	if (library_ready)
		ts_saml_library_shutdown();
	return rc;
}
