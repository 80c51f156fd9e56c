/* tessera sp-metadata [--config FILE]: our SP metadata, for the IdP
 * administrator (ADFS relying-party trust, or any SAML 2.0 IdP). */
#include <getopt.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>

#include "cli.h"
#include "tessera/config.h"
#include "tessera/log.h"
#include "tessera/saml.h"

int ts_cli_sp_metadata(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	const char *config = TS_DEFAULT_CONFIG;
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	struct ts_saml *saml = NULL;
	char *xml = NULL;
	size_t len = 0;
	bool ready = false;
	int opt, rc = 1;
	ts_err err;

	while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		if (opt != 'c') {
			fprintf(stderr, "usage: tessera sp-metadata [--config FILE]\n");
			return 2;
		}
		config = optarg;
	}
	ts_log_set_level(TS_LOG_ERR);
	if ((err = ts_config_load(config, &cfg, &cdiag)) != TS_ERR_OK) {
		fprintf(stderr, "tessera sp-metadata: %s (%s)\n", cdiag.text, ts_errname(err));
		goto out;
	}
	ready = (err = ts_saml_library_init()) == TS_ERR_OK;
	if (err != TS_ERR_OK || (err = ts_saml_new(cfg, ts_clock_now(NULL), &saml, &diag)) != TS_ERR_OK ||
	    (err = ts_saml_sp_metadata(saml, &xml, &len)) != TS_ERR_OK) {
		fprintf(stderr, "tessera sp-metadata: %s: %s\n", ts_errname(err), diag.text);
		goto out;
	}
	fwrite(xml, 1, len, stdout);
	rc = 0;
out:
	g_free(xml);
	ts_saml_free(saml);
	ts_config_free(cfg);
	if (ready)
		ts_saml_library_shutdown();
	return rc;
}
