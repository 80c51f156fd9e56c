/* Adding a token-signing key, as ADFS AutoCertificateRollover does: the new
 * key is published at once but signs only from activates_at, so pools that
 * re-read the metadata in between already trust it when it starts. Files
 * go .key, .crt, then .json (the commit mark), each crash-safe; nothing in
 * the directory is rewritten, so a rotation cut short leaves the previous
 * keys exactly as they were. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_internal.h"
#include "tessera/file.h"
#include "tessera/log.h"

#define MAX_YEARS 20

static ts_err write_private(const char *dir, const char *id, EVP_PKEY *pkey)
{
	/* Secure-heap memory BIO: the PEM is wiped when it is freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	char name[TS_STS_KEY_ID_LEN + 5], *pem = NULL;
	long len = 0;
	ts_err err = TS_ERR_CRYPTO;

	/* PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY"). */
	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	snprintf(name, sizeof name, "%s.key", id);
	err = ts_file_write_atomic(dir, name, pem, (size_t)len, 0600, "sts_key_write_failed");
out:
	BIO_free(bio);
	return err;
}

static ts_err write_cert(const char *dir, const char *id, X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char name[TS_STS_KEY_ID_LEN + 5], *pem = NULL;
	long len = 0;
	ts_err err = TS_ERR_CRYPTO;

	if (bio == NULL || PEM_write_bio_X509(bio, cert) != 1 ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	snprintf(name, sizeof name, "%s.crt", id);
	err = ts_file_write_atomic(dir, name, pem, (size_t)len, 0644, "sts_key_write_failed");
out:
	BIO_free(bio);
	return err;
}

static ts_err write_meta(const char *dir, const char *id, ts_time created, ts_time activates_at)
{
	char name[TS_STS_KEY_ID_LEN + 6], c[TS_TIME_ISO_LEN], a[TS_TIME_ISO_LEN];
	json_t *meta;
	char *text = NULL;
	ts_err err = TS_ERR_NOMEM;

	ts_time_format(created, c);
	ts_time_format(activates_at, a);
	if ((meta = json_pack("{s:s, s:s, s:s}", "id", id, "created", c, "activates_at", a)) ==
		    NULL ||
	    (text = json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	snprintf(name, sizeof name, "%s.json", id);
	err = ts_file_write_atomic(dir, name, text, strlen(text), 0644, "sts_key_write_failed");
out:
	free(text);
	json_decref(meta);
	return err;
}

ts_err ts_sts_keys_rotate(const char *dir, ts_time now, long lead_time, int bits,
			  const char *subject, int years, char id_out[TS_STS_KEY_ID_LEN + 1])
{
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	char id[TS_STS_KEY_ID_LEN + 1];
	char bits_text[16], activates[TS_TIME_ISO_LEN];
	ts_err err;

	if (bits == 0)
		bits = TS_STS_KEY_BITS_DEFAULT;
	if (years == 0)
		years = TS_STS_CERT_YEARS_DEFAULT;
	/* 2048 is what every WIF relying party accepts; 3072 for policies
	 * that demand more. Larger keys slow every token for no pool's sake. */
	if (lead_time < 0 || (bits != 2048 && bits != 3072) || years < 1 || years > MAX_YEARS ||
	    subject == NULL || *subject == '\0')
		return TS_ERR_INVALID_ARGUMENT;
	if ((err = ts_sts_make_dirs(dir)) != TS_ERR_OK || (err = ts_sts_check_dir(dir)) != TS_ERR_OK)
		goto out;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits)) == NULL) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	if ((err = ts_sts_key_id(pkey, id)) != TS_ERR_OK ||
	    (err = ts_sts_make_cert(pkey, subject, now, years, &cert)) != TS_ERR_OK ||
	    (err = write_private(dir, id, pkey)) != TS_ERR_OK ||
	    (err = write_cert(dir, id, cert)) != TS_ERR_OK ||
	    (err = write_meta(dir, id, now, now + lead_time)) != TS_ERR_OK)
		goto out;
	memcpy(id_out, id, sizeof id);
	snprintf(bits_text, sizeof bits_text, "%d", bits);
	ts_time_format(now + lead_time, activates);
	ts_log(TS_LOG_INFO, "sts_key_added", "id", id, "bits", bits_text, "activates_at", activates,
	       "dir", dir);
out:
	X509_free(cert);
	EVP_PKEY_free(pkey);
	return err;
}
