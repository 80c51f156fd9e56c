/* Adding a key to the ring. Every file is written to a dot-named temporary,
 * fsync'd, renamed into place, and the directory fsync'd, so a crash leaves
 * either the old file or the new one, never half a key. The new key's .key
 * goes first and its .json last (the .json is what makes it a member);
 * retiring the old key comes after, and a ring that a crash left with two
 * unretired keys still has one active key (keyring.c). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera/file.h"
#include "tessera/log.h"
#include "ticket_internal.h"

/* mkdir -p: parents 0755, the ring itself 0700. */
static ts_err make_dirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return TS_ERR_KEYRING_DIR;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		goto fail;
	return TS_ERR_OK;
fail:
	ts_log_error(TS_LOG_ERR, "keyring_refused", TS_ERR_KEYRING_DIR, "path", path, "reason",
		     strerror(errno));
	return TS_ERR_KEYRING_DIR;
}


static ts_err write_meta(const char *dir, const struct ts_key_info *k)
{
	char name[TS_KID_LEN + 6], created[TS_TIME_ISO_LEN], retired[TS_TIME_ISO_LEN];
	json_t *meta;
	char *text = NULL;
	ts_err err = TS_ERR_NOMEM;

	ts_time_format(k->created, created);
	ts_time_format(k->retired_at, retired);
	meta = json_pack("{s:s, s:s, s:s}", "kid", k->kid, "alg", ts_ticket_alg_name(k->alg),
			 "created", created);
	if (meta == NULL)
		goto out;
	if (k->retired_at != 0 && json_object_set_new(meta, "retired_at", json_string(retired)) != 0)
		goto out;
	if ((text = json_dumps(meta, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) == NULL)
		goto out;
	snprintf(name, sizeof name, "%s.json", k->kid);
	err = ts_file_write_atomic(dir, name, text, strlen(text), 0644, "keyring_write_failed");
out:
	free(text);
	json_decref(meta);
	return err;
}

/* A fresh key, written as <kid>.key. */
static ts_err new_key(const char *dir, enum ts_ticket_alg alg, struct ts_key_info *info)
{
	EVP_PKEY *pkey = alg == TS_ALG_ES256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
					     : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	/* Secure-heap memory BIO: the PEM is wiped when the BIO is freed. */
	BIO *bio = BIO_new(BIO_s_secmem());
	char name[TS_KID_LEN + 5], *pem = NULL;
	long len = 0;
	ts_err err = TS_ERR_CRYPTO;

	if (pkey == NULL || bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &pem)) <= 0)
		goto out;
	if ((err = ts_key_kid(pkey, info->kid)) != TS_ERR_OK)
		goto out;
	info->alg = alg;
	snprintf(name, sizeof name, "%s.key", info->kid);
	err = ts_file_write_atomic(dir, name, pem, (size_t)len, 0600, "keyring_write_failed");
out:
	if (pem != NULL)
		OPENSSL_cleanse(pem, (size_t)len);
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return err;
}

ts_err ts_keyring_rotate(const char *dir, enum ts_ticket_alg alg, ts_time now,
			 char kid_out[TS_KID_LEN + 1])
{
	struct ts_keyring *ring = NULL;
	struct ts_key_info fresh = {.created = now, .active = true};
	ts_err err;

	if ((err = make_dirs(dir)) != TS_ERR_OK)
		goto out;
	/* Loading checks the permissions and tells which keys to retire. The
	 * retention does not matter here: only retired_at is written. */
	if ((err = ts_keyring_load(dir, 0, &ring)) != TS_ERR_OK)
		goto out;
	if ((err = new_key(dir, alg, &fresh)) != TS_ERR_OK ||
	    (err = write_meta(dir, &fresh)) != TS_ERR_OK)
		goto out;
	/* Every key retired by the load's own rule keeps the time it gave;
	 * the one that was active retires now. */
	for (size_t i = 0; i < ring->n; i++) {
		struct ts_key_info k = ring->keys[i].info;

		if (k.active)
			k.retired_at = now;
		if ((err = write_meta(dir, &k)) != TS_ERR_OK)
			goto out;
	}
	memcpy(kid_out, fresh.kid, TS_KID_LEN + 1);
	ts_log(TS_LOG_INFO, "key_rotated", "kid", fresh.kid, "alg", ts_ticket_alg_name(alg),
	       "dir", dir);
out:
	ts_keyring_unref(ring);
	return err;
}
