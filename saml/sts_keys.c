/* Loading the STS key directory into an immutable snapshot, and the
 * rollover rules that say, at any moment, which key signs and which
 * certificates pools must see. Permissions are checked before anything is
 * read: a token-signing key others can read lets them sign in to every
 * pool as anyone. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xmlsec/openssl/evp.h>

#include "sts_internal.h"
#include "tessera/file.h"
#include "tessera/log.h"

#define KEY_FILE_MAX 16384 /* PEM of an RSA-4096 key is ~3.3 KiB */
#define CERT_FILE_MAX 16384
#define META_FILE_MAX 4096
#define MAX_KEYS 64

static const char *const state_names[] = {
	[TS_STS_KEY_NEXT] = "next",
	[TS_STS_KEY_SIGNING] = "signing",
	[TS_STS_KEY_PUBLISHED] = "published",
	[TS_STS_KEY_RETIRED] = "retired",
};

const char *ts_sts_key_state_name(enum ts_sts_key_state state)
{
	return (unsigned)state <= TS_STS_KEY_RETIRED ? state_names[state] : "unknown";
}

/* ---- rollover rules (keys are sorted latest activation first) ---- */

static size_t signing_index(const struct ts_sts_keys *keys, ts_time now)
{
	for (size_t i = 0; i < keys->n; i++)
		if (keys->keys[i].info.activates_at <= now)
			return i;
	return keys->n;
}

enum ts_sts_key_state ts_sts_key_state_at(const struct ts_sts_keys *keys, size_t i, ts_time now)
{
	size_t s = signing_index(keys, now);

	if (i < s)
		return TS_STS_KEY_NEXT;
	if (i == s)
		return TS_STS_KEY_SIGNING;
	/* keys[i - 1] is its successor, active by now too (i - 1 >= s): the
	 * key stopped signing when that one activated. */
	if (now - keys->keys[i - 1].info.activates_at < keys->retain)
		return TS_STS_KEY_PUBLISHED;
	return TS_STS_KEY_RETIRED;
}

const struct ts_sts_key *ts_sts_signing_key(const struct ts_sts_keys *keys, ts_time now)
{
	size_t s = signing_index(keys, now);

	return s < keys->n ? &keys->keys[s] : NULL;
}

ts_err ts_sts_keys_list(const struct ts_sts_keys *keys, ts_time now,
			struct ts_sts_key_info **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (keys->n == 0)
		return TS_ERR_OK;
	if ((*out = calloc(keys->n, sizeof **out)) == NULL)
		return TS_ERR_NOMEM;
	for (size_t i = 0; i < keys->n; i++) {
		(*out)[i] = keys->keys[i].info;
		(*out)[i].state = ts_sts_key_state_at(keys, i, now);
	}
	*n = keys->n;
	return TS_ERR_OK;
}

/* ---- loading ---- */

static void key_clear(struct ts_sts_key *k)
{
	free(k->cert_b64);
	if (k->xkey != NULL)
		xmlSecKeyDestroy(k->xkey);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof *k);
}

void ts_sts_keys_free(struct ts_sts_keys *keys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < keys->n; i++)
		key_clear(&keys->keys[i]);
	free(keys->keys);
	free(keys);
}

static ts_err refused(ts_err err, const char *path, const char *reason)
{
	ts_log_error(TS_LOG_ERR, "sts_keys_refused", err, "path", path, "reason", reason);
	return err;
}

static ts_err meta_time(json_t *meta, const char *name, ts_time *out)
{
	json_t *v = json_object_get(meta, name);

	if (!json_is_string(v) || ts_time_parse(json_string_value(v), out) != TS_ERR_OK)
		return TS_ERR_STS_KEYS_METADATA;
	return TS_ERR_OK;
}

/* <id>.json: the commit mark, with when the key was made and when it
 * starts to sign. */
static ts_err load_meta(const char *dir, const char *id, struct ts_sts_key *k)
{
	char path[4096];
	unsigned char *text = NULL;
	size_t len = 0;
	mode_t mode = 0;
	json_t *meta = NULL, *v;
	json_error_t jerr;
	ts_err err;

	snprintf(path, sizeof path, "%s/%s.json", dir, id);
	if (ts_sts_read_file(path, META_FILE_MAX, &text, &len, &mode) != TS_ERR_OK) {
		err = refused(TS_ERR_STS_KEYS_METADATA, path, "cannot read it");
		goto out;
	}
	meta = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(meta)) {
		err = refused(TS_ERR_STS_KEYS_METADATA, path,
			      "not a JSON object without duplicate keys");
		goto out;
	}
	v = json_object_get(meta, "id");
	if (!json_is_string(v) || strcmp(json_string_value(v), id) != 0) {
		err = refused(TS_ERR_STS_KEYS_METADATA, path, "id does not match the file name");
		goto out;
	}
	if (meta_time(meta, "created", &k->info.created) != TS_ERR_OK ||
	    meta_time(meta, "activates_at", &k->info.activates_at) != TS_ERR_OK) {
		err = refused(TS_ERR_STS_KEYS_METADATA, path,
			      "created or activates_at is not an ISO 8601 time");
		goto out;
	}
	memcpy(k->info.id, id, TS_STS_KEY_ID_LEN + 1);
	err = TS_ERR_OK;
out:
	json_decref(meta);
	ts_sts_free_file(text, len);
	return err;
}

/* <id>.crt: an RSA key of at least 2048 bits whose id is the file's. */
static ts_err load_cert(const char *dir, struct ts_sts_key *k, X509 **cert)
{
	char path[4096], id[TS_STS_KEY_ID_LEN + 1];
	unsigned char *pem = NULL, *der = NULL;
	size_t len = 0;
	mode_t mode = 0;
	BIO *bio = NULL;
	EVP_PKEY *pub;
	const ASN1_TIME *until;
	struct tm tm;
	int der_len;
	ts_err err = TS_ERR_STS_KEY_INVALID;

	snprintf(path, sizeof path, "%s/%s.crt", dir, k->info.id);
	if (ts_sts_read_file(path, CERT_FILE_MAX, &pem, &len, &mode) != TS_ERR_OK) {
		refused(err, path, "cannot read the certificate");
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL ||
	    (pub = X509_get0_pubkey(*cert)) == NULL || !EVP_PKEY_is_a(pub, "RSA") ||
	    EVP_PKEY_get_bits(pub) < 2048) {
		refused(err, path, "not a PEM certificate of an RSA key of 2048 bits or more");
		goto out;
	}
	if (ts_sts_key_id(pub, id) != TS_ERR_OK || strcmp(id, k->info.id) != 0) {
		refused(err, path, "the certificate's key does not hash to the file's id");
		goto out;
	}
	until = X509_get0_notAfter(*cert);
	if (ASN1_TIME_to_tm(until, &tm) != 1) {
		refused(err, path, "unreadable notAfter");
		goto out;
	}
	k->info.not_after = (ts_time)timegm(&tm);
	k->info.bits = EVP_PKEY_get_bits(pub);
	if ((der_len = i2d_X509(*cert, &der)) <= 0 ||
	    (k->cert_b64 = malloc(4 * (((size_t)der_len + 2) / 3) + 1)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)k->cert_b64, der, der_len); /* one line, NUL-ended */
	err = TS_ERR_OK;
out:
	OPENSSL_free(der);
	BIO_free(bio);
	ts_sts_free_file(pem, len);
	return err;
}

/* <id>.key: mode 0600 or stricter, checked for every key (a retired key
 * still lets anyone who reads it forge tokens that a pool with old
 * metadata accepts). The key itself is read only when want_private: the
 * keys that still sign or will. */
static ts_err load_private(const char *dir, struct ts_sts_key *k, X509 *cert, bool want_private)
{
	char path[4096], mode[8];
	unsigned char *pem = NULL;
	size_t len = 0;
	mode_t bits = 0;
	BIO *bio = NULL;
	xmlSecKeyDataPtr data = NULL;
	ts_err err = TS_ERR_STS_KEY_INVALID;

	snprintf(path, sizeof path, "%s/%s.key", dir, k->info.id);
	if (ts_sts_read_file(path, KEY_FILE_MAX, &pem, &len, &bits) != TS_ERR_OK) {
		refused(err, path, "cannot read the private key file");
		goto out;
	}
	if ((bits & (S_IRWXG | S_IRWXO)) != 0) {
		ts_file_mode_text(bits, mode);
		err = TS_ERR_STS_KEY_PERMISSIONS;
		ts_log_error(TS_LOG_ERR, "sts_keys_refused", err, "path", path, "mode", mode,
			     "reason", "STS private key file must be mode 0600: chmod 600 it");
		goto out;
	}
	if (!want_private) {
		err = TS_ERR_OK;
		goto out;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (k->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL ||
	    !EVP_PKEY_is_a(k->pkey, "RSA") || EVP_PKEY_eq(k->pkey, X509_get0_pubkey(cert)) != 1) {
		refused(err, path, "not an unencrypted PEM RSA key matching its certificate");
		goto out;
	}
	/* The same key for xmlsec, made once: issuing never touches a file. */
	err = TS_ERR_CRYPTO;
	if (EVP_PKEY_up_ref(k->pkey) != 1)
		goto out;
	if ((data = xmlSecOpenSSLEvpKeyAdopt(k->pkey)) == NULL) {
		EVP_PKEY_free(k->pkey); /* the reference meant for xmlsec */
		goto out;
	}
	if ((k->xkey = xmlSecKeyCreate()) == NULL || xmlSecKeySetValue(k->xkey, data) < 0)
		goto out;
	data = NULL; /* the key owns it */
	err = TS_ERR_OK;
out:
	if (data != NULL)
		xmlSecKeyDataDestroy(data);
	BIO_free(bio);
	ts_sts_free_file(pem, len);
	return err;
}

static bool is_id_file(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n != TS_STS_KEY_ID_LEN + s || strcmp(name + TS_STS_KEY_ID_LEN, suffix) != 0)
		return false;
	for (size_t i = 0; i < TS_STS_KEY_ID_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return true;
}

static int latest_first(const void *a, const void *b)
{
	const struct ts_sts_key *x = a, *y = b;

	if (x->info.activates_at != y->info.activates_at)
		return x->info.activates_at > y->info.activates_at ? -1 : 1;
	/* Two keys activating at once: the one created last signs. */
	if (x->info.created != y->info.created)
		return x->info.created > y->info.created ? -1 : 1;
	return strcmp(y->info.id, x->info.id);
}

/* The ids of every <id>.json in dir (the committed keys). */
static ts_err list_ids(const char *dir, char (**ids)[TS_STS_KEY_ID_LEN + 1], size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	ts_err err = TS_ERR_STS_KEYS_DIR;

	*ids = NULL;
	*n = 0;
	if (d == NULL)
		return refused(err, dir, strerror(errno));
	if ((*ids = calloc(MAX_KEYS, sizeof **ids)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue; /* ., .., and the temporaries of a rotation under way */
		if (!is_id_file(e->d_name, ".json")) {
			if (!is_id_file(e->d_name, ".key") && !is_id_file(e->d_name, ".crt"))
				ts_log(TS_LOG_WARN, "sts_keys_skipped", "dir", dir, "file",
				       e->d_name, "reason", "not <id>.key, .crt or .json");
			continue;
		}
		if (*n == MAX_KEYS) {
			err = refused(TS_ERR_TOO_LARGE, dir, "more than 64 keys: remove retired ones");
			goto out;
		}
		memcpy((*ids)[*n], e->d_name, TS_STS_KEY_ID_LEN);
		(*ids)[*n][TS_STS_KEY_ID_LEN] = '\0';
		(*n)++;
	}
	err = TS_ERR_OK;
out:
	if (err != TS_ERR_OK) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	closedir(d);
	return err;
}

ts_err ts_sts_keys_load(const char *dir, ts_time now, long retain, struct ts_sts_keys **out)
{
	struct ts_sts_keys *keys = NULL;
	char(*ids)[TS_STS_KEY_ID_LEN + 1] = NULL;
	size_t n_ids = 0, s;
	X509 **certs = NULL;
	ts_err err;

	*out = NULL;
	if (retain < 0)
		return TS_ERR_INVALID_ARGUMENT;
	if ((err = ts_sts_check_dir(dir)) != TS_ERR_OK ||
	    (err = list_ids(dir, &ids, &n_ids)) != TS_ERR_OK)
		goto out;
	if ((keys = calloc(1, sizeof *keys)) == NULL ||
	    (keys->keys = calloc(n_ids > 0 ? n_ids : 1, sizeof *keys->keys)) == NULL ||
	    (certs = calloc(n_ids > 0 ? n_ids : 1, sizeof *certs)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	keys->retain = retain;
	for (size_t i = 0; i < n_ids; i++) {
		if ((err = load_meta(dir, ids[i], &keys->keys[i])) != TS_ERR_OK)
			goto out;
		keys->n++;
	}
	qsort(keys->keys, keys->n, sizeof *keys->keys, latest_first);
	/* Keys older than the one signing now never sign again: their
	 * certificates are read, their private keys only checked for mode. */
	s = signing_index(keys, now);
	for (size_t i = 0; i < keys->n; i++) {
		if ((err = load_cert(dir, &keys->keys[i], &certs[i])) != TS_ERR_OK ||
		    (err = load_private(dir, &keys->keys[i], certs[i], i <= s)) != TS_ERR_OK)
			goto out;
	}
	*out = keys;
	keys = NULL;
	err = TS_ERR_OK;
out:
	for (size_t i = 0; certs != NULL && i < n_ids; i++)
		X509_free(certs[i]);
	free(certs);
	free(ids);
	ts_sts_keys_free(keys);
	return err;
}
