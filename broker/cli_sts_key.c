/* tessera key rotate --sts [--lead SECONDS] | key list --sts: the STS
 * token-signing keys. A new key is published in the federation metadata
 * for the lead time before it signs (ADFS AutoCertificateRollover), so
 * pools that poll the metadata never meet a token they cannot verify; a
 * running tesserad reads the directory on SIGHUP. */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "sts_flow.h"
#include "tessera/config.h"
#include "tessera/sts.h"
#include "tessera/util.h"

int ts_cli_sts_key_rotate(const struct ts_config *cfg, const char *lead_text)
{
	char id[TS_STS_KEY_ID_LEN + 1], at[TS_TIME_ISO_LEN];
	const ts_time now = ts_clock_now(NULL);
	long lead = cfg->sts.rollover_lead_time;
	char *entity;
	ts_err err;

	if (lead_text != NULL && ts_parse_long(lead_text, 0, 7776000, &lead) != TS_ERR_OK) {
		fprintf(stderr, "tessera: --lead takes seconds from 0 to 7776000, not '%s'\n",
			lead_text);
		return 2;
	}
	entity = ts_sts_entity_id(cfg);
	err = ts_sts_keys_rotate(cfg->sts.key_dir, now, lead, (int)cfg->sts.key_bits, entity, 0, id);
	g_free(entity);
	if (err != TS_ERR_OK) {
		fprintf(stderr, "tessera: cannot add an STS key in %s: %s (%s)\n", cfg->sts.key_dir,
			ts_strerror(err), ts_errname(err));
		return 1;
	}
	ts_time_format(now + lead, at);
	printf("%s  published now, signs from %s\n", id, at);
	return 0;
}

int ts_cli_sts_key_list(const struct ts_config *cfg)
{
	const ts_time now = ts_clock_now(NULL);
	struct ts_sts_keys *keys = NULL;
	struct ts_sts_key_info *info = NULL;
	size_t n = 0;
	ts_err err = ts_sts_keys_load(cfg->sts.key_dir, now, cfg->sts.token_lifetime + 300, &keys);

	if (err == TS_ERR_OK)
		err = ts_sts_keys_list(keys, now, &info, &n);
	if (err != TS_ERR_OK) {
		fprintf(stderr, "tessera: STS keys in %s: %s (%s)\n", cfg->sts.key_dir,
			ts_strerror(err), ts_errname(err));
		ts_sts_keys_free(keys);
		return 1;
	}
	printf("%-32s  %-20s  %-20s  %-20s  %s\n", "ID", "CREATED", "ACTIVATES", "CERT_NOT_AFTER",
	       "STATE");
	for (size_t i = 0; i < n; i++) {
		char c[TS_TIME_ISO_LEN], a[TS_TIME_ISO_LEN], e[TS_TIME_ISO_LEN];
		ts_time_format(info[i].created, c);
		ts_time_format(info[i].activates_at, a);
		ts_time_format(info[i].not_after, e);
		printf("%-32s  %-20s  %-20s  %-20s  %s\n", info[i].id, c, a, e,
		       ts_sts_key_state_name(info[i].state));
	}
	free(info);
	ts_sts_keys_free(keys);
	return 0;
}
