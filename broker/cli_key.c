/* tessera key rotate|list: the operator's view of the ticket key ring.
 * rotate adds a key and retires the active one (a running tesserad picks it
 * up on SIGHUP or its next periodic check); list shows when each retired
 * key can be deleted: once no ticket it signed can still be valid. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tessera/config.h"
#include "tessera/keyring.h"
#include "tessera/log.h"

static int usage(void)
{
	fprintf(stderr, "usage: tessera key rotate [-c FILE] [--alg EdDSA|ES256]\n"
			"       tessera key list [-c FILE]\n"
			"       tessera key rotate --sts [-c FILE] [--lead SECONDS]\n"
			"       tessera key list --sts [-c FILE]\n");
	return 2;
}

static int key_rotate(const struct ts_config *cfg, const char *alg_name)
{
	struct ts_clock clock = ts_clock_real();
	enum ts_ticket_alg alg;
	char kid[TS_KID_LEN + 1];
	ts_err err;

	if (alg_name == NULL)
		alg_name = cfg->tickets.algorithm;
	if (ts_ticket_alg_parse(alg_name, strlen(alg_name), &alg) != TS_ERR_OK) {
		fprintf(stderr, "tessera: --alg must be EdDSA or ES256, not '%s'\n", alg_name);
		return 2;
	}
	if ((err = ts_keyring_rotate(cfg->tickets.key_dir, alg, ts_clock_now(&clock), kid)) !=
	    TS_ERR_OK) {
		fprintf(stderr, "tessera: key rotate in %s failed: %s (%s)\n",
			cfg->tickets.key_dir, ts_strerror(err), ts_errname(err));
		return 1;
	}
	printf("%s\t%s\tactive\n", kid, ts_ticket_alg_name(alg));
	return 0;
}

static int key_list(const struct ts_config *cfg)
{
	struct ts_keyring *ring = NULL;
	ts_err err = ts_keyring_load(cfg->tickets.key_dir,
				     cfg->tickets.lifetime + cfg->tickets.clock_skew, &ring);

	if (err != TS_ERR_OK) {
		fprintf(stderr, "tessera: cannot read key ring %s: %s (%s)\n", cfg->tickets.key_dir,
			ts_strerror(err), ts_errname(err));
		return 1;
	}
	printf("%-22s  %-5s  %-20s  %-7s  %s\n", "KID", "ALG", "CREATED", "STATE",
	       "DELETABLE_AFTER");
	for (size_t i = 0; i < ts_keyring_count(ring); i++) {
		const struct ts_key_info *k = ts_keyring_info(ring, i);
		char created[TS_TIME_ISO_LEN], deletable[TS_TIME_ISO_LEN] = "-";

		ts_time_format(k->created, created);
		if (!k->active)
			ts_time_format(k->deletable_after, deletable);
		printf("%-22s  %-5s  %-20s  %-7s  %s\n", k->kid, ts_ticket_alg_name(k->alg), created,
		       k->active ? "active" : "retired", deletable);
	}
	ts_keyring_unref(ring);
	return 0;
}

int ts_cli_key(int argc, char **argv)
{
	const char *path = TS_DEFAULT_CONFIG, *alg = NULL, *lead = NULL;
	bool sts = false;
	struct ts_config_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	bool rotate;
	ts_err err;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "rotate") != 0 && strcmp(argv[1], "list") != 0))
		return usage();
	rotate = strcmp(argv[1], "rotate") == 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (rotate && strcmp(argv[i], "--alg") == 0 && i + 1 < argc)
			alg = argv[++i];
		else if (rotate && strncmp(argv[i], "--alg=", 6) == 0)
			alg = argv[i] + 6;
		else if (strcmp(argv[i], "--sts") == 0)
			sts = true;
		else if (rotate && strcmp(argv[i], "--lead") == 0 && i + 1 < argc)
			lead = argv[++i];
		else
			return usage();
	}
	if ((err = ts_config_load(path, &cfg, &diag)) != TS_ERR_OK) {
		fprintf(stderr, "tessera: %s (%s)\n", diag.text, ts_errname(err));
		return 1;
	}
	ts_log_set_level(cfg->log.level);
	if ((alg != NULL && sts) || (lead != NULL && !sts)) {
		ts_config_free(cfg);
		return usage();
	}
	if (sts)
		rc = rotate ? ts_cli_sts_key_rotate(cfg, lead) : ts_cli_sts_key_list(cfg);
	else
		rc = rotate ? key_rotate(cfg, alg) : key_list(cfg);
	ts_config_free(cfg);
	return rc;
}
