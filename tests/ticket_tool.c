/* A test driver around the ticket API for scripts (the PyJWT interop test):
 *   ticket_tool mint DIR ISSUER AUD SUB     prints a ticket
 *   ticket_tool verify DIR ISSUER AUD TOKEN prints sub and kid, or the error name (exit 1)
 *   ticket_tool jwks DIR                    prints the JWKS
 * Real clock, lifetime 28800, skew 60, no revocations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/log.h"
#include "tessera/ticket.h"

#define LIFETIME 28800
#define SKEW 60

int main(int argc, char **argv)
{
	struct ts_clock clock = ts_clock_real();
	struct ts_keyring *ring = NULL;
	struct ts_tickets *t = NULL;
	char *out = NULL;
	size_t len = 0;
	int rc = 2;
	ts_err err;

	if (argc < 3)
		goto usage;
	if ((err = ts_keyring_load(argv[2], LIFETIME + SKEW, &ring)) != TS_ERR_OK) {
		printf("%s\n", ts_errname(err));
		return 1;
	}
	if (strcmp(argv[1], "jwks") == 0 && argc == 3) {
		err = ts_jwks_build(ring, ts_clock_now(&clock), &out, &len);
	} else if (argc == 6) {
		struct ts_ticket_params p = {argv[3], LIFETIME, SKEW, 16, &clock};
		struct ts_ticket_identity id = {.sub = argv[5], .upn = "interop@example.org"};
		const struct ts_ticket_claims *c = NULL;

		if ((err = ts_tickets_new(&p, ring, NULL, &t)) != TS_ERR_OK)
			goto done;
		if (strcmp(argv[1], "mint") == 0) {
			err = ts_ticket_mint(t, &id, argv[4], &out, &len);
		} else if (strcmp(argv[1], "verify") == 0) {
			err = ts_ticket_verify(t, argv[5], strlen(argv[5]), argv[4], &c);
			if (err == TS_ERR_OK)
				printf("sub=%s kid=%s alg=%s\n", c->sub, c->kid,
				       ts_ticket_alg_name(c->alg));
			ts_ticket_claims_release(c);
		} else {
			goto usage;
		}
	} else {
		goto usage;
	}
done:
	if (err != TS_ERR_OK) {
		printf("%s\n", ts_errname(err));
		rc = 1;
	} else {
		if (out != NULL)
			printf("%s\n", out);
		rc = 0;
	}
	free(out);
	ts_tickets_free(t);
	ts_keyring_unref(ring);
	return rc;
usage:
	fprintf(stderr, "usage: ticket_tool mint|verify DIR ISSUER AUD SUB|TOKEN\n"
			"       ticket_tool jwks DIR\n");
	ts_tickets_free(t);
	ts_keyring_unref(ring);
	return rc;
}
