/* make bench: saml/ validation of one valid response, repeated, next to a
 * bare xmlsec verification of the same response (parse, register the ID,
 * verify the signature with the key) measured in the same run. Ratios, not
 * absolutes: the machine is shared.
 *
 * With --rate SECONDS it validates for that long and prints only
 * "saml validate: N/s": the baseline bench_broker.sh puts /saml/acs
 * sign-ins next to, alternating with its own rounds. */
#include <glib.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "tessera/config.h"
#include "tessera/log.h"
#include "tessera/saml.h"

#define SECONDS 3.0
#define SLICES 10

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What any xmlsec user must do at least: parse, mark the ID, verify. */
static int bare_verify(const char *xml, size_t len, xmlSecKeyPtr key)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr sig = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs);
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	xmlAttrPtr id = xmlHasProp(root, BAD_CAST "ID");
	xmlChar *value = xmlNodeListGetString(doc, id->children, 1);
	int ok;

	xmlAddID(NULL, doc, value, id);
	xmlFree(value);
	ctx->signKey = xmlSecKeyDuplicate(key);
	ok = xmlSecDSigCtxVerify(ctx, sig) == 0 && ctx->status == xmlSecDSigStatusSucceeded;
	xmlSecDSigCtxDestroy(ctx);
	xmlFreeDoc(doc);
	return ok;
}

/* Validates the response for about seconds; how many, or -1 on a refusal. */
static long validate_for(struct ts_saml *saml, const char *idp, const char *xml, size_t len,
			 const struct ts_saml_check *check, double seconds)
{
	struct ts_saml_diag diag = {{0}};
	struct timespec t0;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; elapsed(&t0) < seconds; n++) {
		struct ts_identity *id = NULL;

		if (ts_saml_validate(saml, idp, TS_SAML_ACS, xml, len, check, &id, &diag) !=
		    TS_ERR_OK) {
			fprintf(stderr, "bench_saml: %s\n", diag.text);
			return -1;
		}
		ts_identity_free(id);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct ts_config *cfg = NULL;
	struct ts_saml *saml = NULL;
	struct ts_saml_diag diag = {{0}};
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml_check check = {.in_response_to = "_req1"};
	gchar *xml = NULL;
	gsize len = 0;
	xmlSecKeyPtr key;
	struct timespec t0;
	long n_bare = 0, n_full = 0;
	double bare_rate, full_rate, rate_seconds = 0;

	if (argc == 6 && strcmp(argv[1], "--rate") == 0) {
		char *end = NULL;

		rate_seconds = strtod(argv[2], &end);
		if (end == argv[2] || *end != '\0' || !(rate_seconds >= 0.1 && rate_seconds <= 60)) {
			fprintf(stderr, "bench_saml: --rate takes 0.1 to 60 seconds\n");
			return 2;
		}
		argv += 2;
	} else if (argc != 5) {
		fprintf(stderr, "usage: bench_saml CONFIG IDP RESPONSE.xml IDP_CERT\n"
				"       bench_saml --rate SECONDS CONFIG IDP RESPONSE.xml\n");
		return 2;
	}
	ts_log_set_level(TS_LOG_ERR);
	if (ts_saml_library_init() != TS_ERR_OK || ts_config_load(argv[1], &cfg, &cdiag) != TS_ERR_OK ||
	    !g_file_get_contents(argv[3], &xml, &len, NULL)) {
		fprintf(stderr, "bench_saml: set-up failed %s\n", cdiag.text);
		return 1;
	}
	check.now = ts_clock_now(NULL);
	if (ts_saml_new(cfg, check.now, &saml, &diag) != TS_ERR_OK) {
		fprintf(stderr, "bench_saml: %s\n", diag.text);
		return 1;
	}
	if (rate_seconds > 0) {
		struct timespec t_rate;
		long n;

		if (validate_for(saml, argv[2], xml, len, &check, 0.05) < 0) /* warm up */
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &t_rate);
		if ((n = validate_for(saml, argv[2], xml, len, &check, rate_seconds)) < 0)
			return 1;
		printf("saml validate: %.0f/s\n", (double)n / elapsed(&t_rate));
		ts_saml_free(saml);
		ts_config_free(cfg);
		g_free(xml);
		ts_saml_library_shutdown();
		return 0;
	}
	key = xmlSecCryptoAppKeyLoad(argv[4], xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
	/* The public key alone, as saml/ keeps it: with the certificate
	 * attached, xmlSecKeyDuplicate copies it (X509_dup) per verification,
	 * and the baseline would be slow for a reason saml/ does not share. */
	if (key != NULL) {
		xmlSecKeyPtr bare = xmlSecKeyCreate();
		xmlSecKeyDataPtr value = xmlSecKeyDataDuplicate(xmlSecKeyGetValue(key));

		if (bare == NULL || value == NULL || xmlSecKeySetValue(bare, value) < 0) {
			fprintf(stderr, "bench_saml: no public key in %s\n", argv[4]);
			return 1;
		}
		xmlSecKeyDestroy(key);
		key = bare;
	}
	if (key == NULL || !bare_verify(xml, len, key)) {
		fprintf(stderr, "bench_saml: the response does not verify with xmlsec\n");
		return 1;
	}
	/* Alternate short slices of both, so load from elsewhere on the shared
	 * machine falls on both sides alike; the first pair warms up. */
	double t_bare = 0, t_full = 0;
	for (int slice = 0; slice <= SLICES; slice++) {
		long b = 0, f = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (; elapsed(&t0) < SECONDS / SLICES; b++)
			if (!bare_verify(xml, len, key))
				return 1;
		if (slice > 0)
			n_bare += b, t_bare += elapsed(&t0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((f = validate_for(saml, argv[2], xml, len, &check, SECONDS / SLICES)) < 0)
			return 1;
		if (slice > 0)
			n_full += f, t_full += elapsed(&t0);
	}
	bare_rate = (double)n_bare / t_bare;
	full_rate = (double)n_full / t_full;
	printf("saml validate: %.0f/s   bare xmlsec verify: %.0f/s   ratio: %.2f (goal >= 0.75)\n",
	       full_rate, bare_rate, full_rate / bare_rate);
	xmlSecKeyDestroy(key);
	ts_saml_free(saml);
	ts_config_free(cfg);
	g_free(xml);
	ts_saml_library_shutdown();
	return 0;
}
