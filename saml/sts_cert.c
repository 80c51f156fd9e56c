/* The self-signed certificate that carries a token-signing key to pools,
 * as ADFS makes its own: pools pin it from the metadata and read only its
 * key, so it is minimal (CN, validity, not a CA). */
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

#include "sts_internal.h"
#include "tessera/util.h"

#define CN_MAX 64 /* RFC 5280 ub-common-name */

/* A URL's host ("https://sts.example.org/adfs/services/trust" gives
 * "sts.example.org"); anything else is the name itself. */
static ts_err common_name(const char *subject, char out[CN_MAX + 1])
{
	const char *start = subject, *scheme = strstr(subject, "://"), *end;
	size_t n;

	if (scheme != NULL) {
		start = scheme + 3;
		end = start + strcspn(start, "/?#");
		/* user@host:port: the host only */
		for (const char *at = start; at < end; at++)
			if (*at == '@')
				start = at + 1;
		n = (size_t)(end - start);
		if (n > 0 && start[0] != '[') {
			const char *colon = memchr(start, ':', n);
			if (colon != NULL)
				n = (size_t)(colon - start);
		}
	} else {
		n = strlen(subject);
	}
	if (n == 0 || n > CN_MAX)
		return TS_ERR_INVALID_ARGUMENT;
	memcpy(out, start, n);
	out[n] = '\0';
	return ts_sts_xml_text_ok(out) ? TS_ERR_OK : TS_ERR_INVALID_ARGUMENT;
}

/* now + years, on the calendar (29 February falls back to the 28th). */
static ts_err add_years(ts_time now, int years, ts_time *out)
{
	char iso[TS_TIME_ISO_LEN], shifted[48];
	long year;

	ts_time_format(now, iso);
	iso[4] = '\0';
	if (ts_parse_long(iso, 0, 9999, &year) != TS_ERR_OK || year + years > 9999)
		return TS_ERR_INVALID_ARGUMENT;
	snprintf(shifted, sizeof shifted, "%04ld-%s", year + years, iso + 5);
	if (ts_time_parse(shifted, out) == TS_ERR_OK)
		return TS_ERR_OK;
	shifted[8] = '2', shifted[9] = '8'; /* only 02-29 can fail */
	return ts_time_parse(shifted, out);
}

static ts_err add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return TS_ERR_CRYPTO;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? TS_ERR_OK : TS_ERR_CRYPTO;
}

ts_err ts_sts_make_cert(EVP_PKEY *pkey, const char *subject, ts_time now, int years, X509 **out)
{
	char cn[CN_MAX + 1];
	unsigned char serial[16];
	ts_time until;
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	BIGNUM *bn = NULL;
	ts_err err;

	*out = NULL;
	if ((err = common_name(subject, cn)) != TS_ERR_OK ||
	    (err = add_years(now, years, &until)) != TS_ERR_OK)
		goto out;
	err = TS_ERR_CRYPTO;
	if (RAND_bytes(serial, sizeof serial) != 1)
		goto out;
	serial[0] &= 0x7f; /* a positive INTEGER */
	serial[0] |= 0x40; /* of full length */
	if ((cert = X509_new()) == NULL || (name = X509_NAME_new()) == NULL ||
	    (bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    X509_set_version(cert, X509_VERSION_3) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
				       -1, 0) != 1 ||
	    X509_set_subject_name(cert, name) != 1 || X509_set_issuer_name(cert, name) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(cert), (time_t)now) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(cert), (time_t)until) == NULL ||
	    X509_set_pubkey(cert, pkey) != 1)
		goto out;
	/* No keyUsage: a self-signed certificate restricted to digitalSignature
	 * is refused as its own issuer (no keyCertSign) by chain builders. */
	if ((err = add_ext(cert, NID_basic_constraints, "critical,CA:FALSE")) != TS_ERR_OK ||
	    (err = add_ext(cert, NID_subject_key_identifier, "hash")) != TS_ERR_OK)
		goto out;
	if (X509_sign(cert, pkey, EVP_sha256()) <= 0) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	*out = cert;
	cert = NULL;
	err = TS_ERR_OK;
out:
	BN_free(bn);
	X509_NAME_free(name);
	X509_free(cert);
	return err;
}
