/* Test helper for tests/pool_cli.sh: puts legacy use and pool tickets into
 * a store the way the gate will (the gate is not wired to them yet), through
 * the same store functions, with the real clock.
 *   cutover_seed DB usage POOL USER FAMILY yes|no KIND IP DECISION [AGENT]
 *   cutover_seed DB ticket POOL KIND USER TICKET [certprov] */
#include <stdio.h>
#include <string.h>

#include "tessera/cutover.h"

int main(int argc, char **argv)
{
	struct ts_clock clock = ts_clock_real();
	ts_time now = ts_clock_now(&clock);
	struct ts_cutover *c = NULL;
	ts_err err;

	if (argc < 3 || ts_cutover_open(argv[1], true, &c) != TS_ERR_OK) {
		fprintf(stderr, "usage: cutover_seed DB usage|ticket ...\n");
		return 2;
	}
	if (strcmp(argv[2], "usage") == 0 && (argc == 10 || argc == 11)) {
		char network[TS_CUTOVER_NETWORK_MAX];
		struct ts_usage_row row = {.pool = argv[3], .user = argv[4], .family = argv[5],
					   .passive_capable = strcmp(argv[6], "yes") == 0,
					   .kind = argv[7], .network = network, .hour = now / 3600,
					   .first_seen = now, .last_seen = now, .count = 1,
					   .agent = argc == 11 ? argv[10] : NULL};
		if ((err = ts_cutover_network_of(argv[8], network)) == TS_ERR_OK &&
		    (err = ts_usage_decision_parse(argv[9], &row.decision)) == TS_ERR_OK)
			err = ts_cutover_usage_add(c, &row, 1, 0);
	} else if (strcmp(argv[2], "ticket") == 0 && (argc == 7 || argc == 8)) {
		struct ts_pool_ticket t = {.pool = argv[3], .kind = argv[4], .user = argv[5],
					   .expires_at = now + 8 * 3600};
		if ((err = ts_cutover_ticket_hash(argv[6], strlen(argv[6]), t.hash)) == TS_ERR_OK &&
		    (err = ts_cutover_tickets_put(c, &t, 1, now)) == TS_ERR_OK && argc == 8)
			err = ts_cutover_ticket_certprov(c, t.hash, now);
	} else {
		err = TS_ERR_INVALID_ARGUMENT;
	}
	ts_cutover_close(c);
	if (err != TS_ERR_OK)
		fprintf(stderr, "cutover_seed: %s (%s)\n", ts_strerror(err), ts_errname(err));
	return err == TS_ERR_OK ? 0 : 1;
}
