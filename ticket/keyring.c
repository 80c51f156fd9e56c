/* Loading the key ring directory: permission checks first (an exposed
 * signing key means every pool's trust is gone), then each <kid>.json with
 * its <kid>.key, into an immutable snapshot that verifiers share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera/file.h"
#include "tessera/log.h"
#include "ticket_internal.h"

/* A PEM PKCS#8 Ed25519 or P-256 key is well under 1 KiB. */
#define KEY_FILE_MAX 16384
#define META_FILE_MAX 4096
#define RING_MAX_KEYS 64

static const char *const alg_names[] = {[TS_ALG_EDDSA] = "EdDSA", [TS_ALG_ES256] = "ES256"};

const char *ts_ticket_alg_name(enum ts_ticket_alg alg)
{
	return (unsigned)alg <= TS_ALG_ES256 ? alg_names[alg] : "unknown";
}

ts_err ts_ticket_alg_parse(const char *name, size_t len, enum ts_ticket_alg *out)
{
	for (unsigned i = 0; i <= TS_ALG_ES256; i++) {
		if (strlen(alg_names[i]) == len && memcmp(name, alg_names[i], len) == 0) {
			*out = (enum ts_ticket_alg)i;
			return TS_ERR_OK;
		}
	}
	return TS_ERR_TICKET_ALG;
}

ts_err ts_key_kid(EVP_PKEY *pkey, char kid[TS_KID_LEN + 1])
{
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
	int n = i2d_PUBKEY(pkey, &der);
	ts_err err;

	if (n <= 0)
		return TS_ERR_CRYPTO;
	SHA256(der, (size_t)n, digest);
	OPENSSL_free(der);
	err = ts_b64url_encode(digest, 16, kid, TS_KID_LEN + 1, NULL);
	return err;
}

/* The directory itself: present, a directory, no access for group or
 * others (readable would expose key names and metadata, writable would let
 * anyone plant a key). */
static ts_err check_dir(const char *dir)
{
	static const struct ts_private_dir_rules rules = {
		"keyring_refused", "key ring directory", TS_ERR_KEYRING_DIR,
		TS_ERR_KEYRING_PERMISSIONS};

	return ts_file_check_private_dir(dir, &rules);
}

/* Reads a whole small file opened without following links; *mode receives
 * its permission bits. */
static ts_err read_small(const char *path, size_t max, unsigned char **buf, size_t *len,
			 mode_t *mode)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t have = 0;
	ts_err err = TS_ERR_KEY_LOAD;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	*mode = st.st_mode;
	if ((size_t)st.st_size > max) {
		err = TS_ERR_TOO_LARGE;
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, b + have, (size_t)st.st_size - have);
		if (n <= 0)
			goto out;
		have += (size_t)n;
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	b = NULL;
	err = TS_ERR_OK;
out:
	if (b != NULL) {
		OPENSSL_cleanse(b, (size_t)st.st_size);
		free(b);
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static ts_err meta_refused(const char *path, const char *reason)
{
	ts_log_error(TS_LOG_ERR, "keyring_refused", TS_ERR_KEYRING_METADATA, "path", path,
		     "reason", reason);
	return TS_ERR_KEYRING_METADATA;
}

/* An ISO 8601 time member; absent is *out = 0 when optional. */
static ts_err meta_time(json_t *meta, const char *name, bool required, ts_time *out)
{
	json_t *v = json_object_get(meta, name);

	*out = 0;
	if (v == NULL || json_is_null(v))
		return required ? TS_ERR_KEYRING_METADATA : TS_ERR_OK;
	if (!json_is_string(v) || ts_time_parse(json_string_value(v), out) != TS_ERR_OK)
		return TS_ERR_KEYRING_METADATA;
	return TS_ERR_OK;
}

/* <kid>.json: what the key is for and since when. */
static ts_err load_meta(const char *dir, const char *kid, struct ts_key *key)
{
	char path[4096];
	unsigned char *text = NULL;
	size_t len = 0;
	mode_t mode = 0;
	json_t *meta = NULL, *v;
	ts_err err;

	snprintf(path, sizeof path, "%s/%s.json", dir, kid);
	if ((err = read_small(path, META_FILE_MAX, &text, &len, &mode)) != TS_ERR_OK) {
		err = meta_refused(path, "cannot read it");
		goto out;
	}
	if ((meta = ts_json_load_object(text, len, META_FILE_MAX)) == NULL) {
		err = meta_refused(path, "not a JSON object without duplicate keys");
		goto out;
	}
	v = json_object_get(meta, "kid");
	if (!json_is_string(v) || strcmp(json_string_value(v), kid) != 0) {
		err = meta_refused(path, "kid does not match the file name");
		goto out;
	}
	v = json_object_get(meta, "alg");
	if (!json_is_string(v) ||
	    ts_ticket_alg_parse(json_string_value(v), json_string_length(v), &key->info.alg) !=
		    TS_ERR_OK) {
		err = meta_refused(path, "alg is not EdDSA or ES256");
		goto out;
	}
	if (meta_time(meta, "created", true, &key->info.created) != TS_ERR_OK ||
	    meta_time(meta, "retired_at", false, &key->info.retired_at) != TS_ERR_OK) {
		err = meta_refused(path, "created or retired_at is not an ISO 8601 time");
		goto out;
	}
	memcpy(key->info.kid, kid, TS_KID_LEN + 1);
	err = TS_ERR_OK;
out:
	json_decref(meta);
	free(text);
	return err;
}

/* <kid>.key: mode 0600 (or stricter), the algorithm the metadata says, and
 * the kid its public half hashes to. */
static ts_err load_private(const char *dir, struct ts_key *key)
{
	char path[4096], mode[8], kid[TS_KID_LEN + 1];
	unsigned char *pem = NULL;
	size_t len = 0;
	mode_t bits = 0;
	BIO *bio = NULL;
	const char *want = key->info.alg == TS_ALG_ES256 ? "EC" : "ED25519";
	ts_err err;

	snprintf(path, sizeof path, "%s/%s.key", dir, key->info.kid);
	if ((err = read_small(path, KEY_FILE_MAX, &pem, &len, &bits)) != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "keyring_refused", TS_ERR_KEY_LOAD, "path", path,
			     "reason", "cannot read the private key file");
		err = TS_ERR_KEY_LOAD;
		goto out;
	}
	if ((bits & (S_IRWXG | S_IRWXO)) != 0) {
		ts_file_mode_text(bits, mode);
		ts_log_error(TS_LOG_ERR, "keyring_refused", TS_ERR_KEY_PERMISSIONS, "path", path,
			     "mode", mode,
			     "reason", "private key file must be mode 0600: chmod 600 it");
		err = TS_ERR_KEY_PERMISSIONS;
		goto out;
	}
	err = TS_ERR_KEY_LOAD;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (key->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL ||
	    !EVP_PKEY_is_a(key->pkey, want) ||
	    (key->info.alg == TS_ALG_ES256 && EVP_PKEY_get_bits(key->pkey) != 256)) {
		ts_log_error(TS_LOG_ERR, "keyring_refused", err, "path", path, "reason",
			     "not a PKCS#8 PEM private key of the metadata's algorithm");
		goto out;
	}
	if ((err = ts_key_kid(key->pkey, kid)) != TS_ERR_OK || strcmp(kid, key->info.kid) != 0) {
		ts_log_error(TS_LOG_ERR, "keyring_refused", TS_ERR_KEYRING_METADATA, "path", path,
			     "reason", "kid is not the hash of this key");
		err = TS_ERR_KEYRING_METADATA;
		goto out;
	}
	err = TS_ERR_OK;
out:
	BIO_free(bio);
	if (pem != NULL) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	return err;
}

/* The JWS header this key mints with, base64url-encoded once. */
static ts_err make_header(struct ts_key *key)
{
	char json[TS_JWS_HEADER_MAX];
	int n = snprintf(json, sizeof json, "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			 ts_ticket_alg_name(key->info.alg), key->info.kid);

	if (n < 0 || (size_t)n >= sizeof json || ts_b64url_len((size_t)n) >= TS_JWS_HEADER_MAX)
		return TS_ERR_INTERNAL;
	return ts_b64url_encode(json, (size_t)n, key->header_b64, sizeof key->header_b64,
				&key->header_b64_len);
}

static int newest_first(const void *a, const void *b)
{
	const struct ts_key *x = a, *y = b;

	if (x->info.created != y->info.created)
		return x->info.created > y->info.created ? -1 : 1;
	/* Two rotations in one second: the unretired key is the newer. */
	if ((x->info.retired_at == 0) != (y->info.retired_at == 0))
		return x->info.retired_at == 0 ? -1 : 1;
	if (x->info.retired_at != y->info.retired_at)
		return x->info.retired_at > y->info.retired_at ? -1 : 1;
	return strcmp(y->info.kid, x->info.kid);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entry names of dir, sorted (so the files digest does not depend on
 * readdir order), and a digest of every name, size and mtime. */
static ts_err list_dir(const char *dir, char ***names, size_t *n, unsigned char digest[32])
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t count = 0;
	EVP_MD_CTX *sha = NULL;
	ts_err err = TS_ERR_KEYRING_DIR;

	if (d == NULL)
		goto out;
	while ((e = readdir(d)) != NULL) {
		char **grown;

		if (e->d_name[0] == '.')
			continue; /* ., .., and the .tmp files of a rotation in progress */
		if (count == RING_MAX_KEYS * 2 + 16) {
			err = TS_ERR_TOO_LARGE;
			goto out;
		}
		if ((grown = realloc(v, (count + 1) * sizeof *v)) == NULL ||
		    (grown[count] = strdup(e->d_name)) == NULL) {
			v = grown != NULL ? grown : v;
			err = TS_ERR_NOMEM;
			goto out;
		}
		v = grown;
		count++;
	}
	if (count > 0) /* an empty directory leaves v NULL, which qsort must not get */
		qsort(v, count, sizeof *v, by_name);
	if ((sha = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		struct stat st;
		long long facts[3] = {0, 0, 0};

		if (fstatat(dirfd(d), v[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			facts[0] = (long long)st.st_size;
			facts[1] = (long long)st.st_mtim.tv_sec;
			facts[2] = (long long)st.st_mtim.tv_nsec;
		}
		EVP_DigestUpdate(sha, v[i], strlen(v[i]) + 1);
		EVP_DigestUpdate(sha, facts, sizeof facts);
	}
	if (EVP_DigestFinal_ex(sha, digest, NULL) != 1) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	*names = v;
	*n = count;
	v = NULL;
	err = TS_ERR_OK;
out:
	EVP_MD_CTX_free(sha);
	for (size_t i = 0; v != NULL && i < count; i++)
		free(v[i]);
	free(v);
	if (d != NULL)
		closedir(d);
	return err;
}

static bool is_kid_file(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n == TS_KID_LEN + s && strcmp(name + TS_KID_LEN, suffix) == 0;
}

static void skipped(const char *dir, const char *name, const char *reason)
{
	char path[4096];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	ts_log(TS_LOG_WARN, "keyring_skipped", "path", path, "reason", reason);
}

static void ring_free(struct ts_keyring *ring)
{
	if (ring == NULL)
		return;
	for (size_t i = 0; i < ring->n; i++)
		EVP_PKEY_free(ring->keys[i].pkey);
	free(ring->keys);
	free(ring);
}

/* States follow from the files: the newest key without retired_at is
 * active; an older one without it (a rotation cut short before the old key
 * was marked) counts as retired when the next newer key was created. */
static void settle_states(struct ts_keyring *ring, long retention)
{
	for (size_t i = 0; i < ring->n; i++) {
		struct ts_key_info *k = &ring->keys[i].info;

		if (k->retired_at == 0 && ring->active == NULL) {
			ring->active = &ring->keys[i];
			k->active = true;
			continue;
		}
		if (k->retired_at == 0)
			k->retired_at = ring->keys[i - 1].info.created;
		k->active = false;
		k->deletable_after = k->retired_at + retention;
	}
}

ts_err ts_keyring_load(const char *dir, long retention, struct ts_keyring **out)
{
	struct ts_keyring *ring = NULL;
	char **names = NULL;
	size_t n_names = 0;
	ts_err err;

	*out = NULL;
	if ((err = check_dir(dir)) != TS_ERR_OK)
		goto out;
	if ((ring = calloc(1, sizeof *ring)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	atomic_init(&ring->refs, 1);
	if ((err = list_dir(dir, &names, &n_names, ring->files_digest)) != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "keyring_refused", err, "path", dir, "reason",
			     "cannot list the directory");
		goto out;
	}
	if ((ring->keys = calloc(n_names > 0 ? n_names : 1, sizeof *ring->keys)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n_names; i++) {
		char kid[TS_KID_LEN + 1];
		struct ts_key *key = &ring->keys[ring->n];

		if (is_kid_file(names[i], ".key")) {
			/* Its .json is the commit mark; without it the key is a
			 * rotation that did not finish. */
			char meta[TS_KID_LEN + 6];
			const char *p = meta;

			snprintf(meta, sizeof meta, "%.*s.json", TS_KID_LEN, names[i]);
			if (bsearch(&p, names, n_names, sizeof *names, by_name) == NULL)
				skipped(dir, names[i], "no metadata file: an unfinished rotation");
			continue;
		}
		if (!is_kid_file(names[i], ".json")) {
			skipped(dir, names[i], "not <kid>.key or <kid>.json");
			continue;
		}
		memcpy(kid, names[i], TS_KID_LEN);
		kid[TS_KID_LEN] = '\0';
		if ((err = load_meta(dir, kid, key)) != TS_ERR_OK ||
		    (err = load_private(dir, key)) != TS_ERR_OK ||
		    (err = make_header(key)) != TS_ERR_OK) {
			EVP_PKEY_free(key->pkey);
			goto out;
		}
		ring->n++;
	}
	qsort(ring->keys, ring->n, sizeof *ring->keys, newest_first);
	settle_states(ring, retention);
	*out = ring;
	ring = NULL;
	err = TS_ERR_OK;
out:
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	ring_free(ring);
	return err;
}

struct ts_keyring *ts_keyring_ref(struct ts_keyring *ring)
{
	atomic_fetch_add_explicit(&ring->refs, 1, memory_order_relaxed);
	return ring;
}

void ts_keyring_unref(struct ts_keyring *ring)
{
	if (ring != NULL && atomic_fetch_sub_explicit(&ring->refs, 1, memory_order_acq_rel) == 1)
		ring_free(ring);
}

bool ts_keyring_same_files(const struct ts_keyring *a, const struct ts_keyring *b)
{
	return memcmp(a->files_digest, b->files_digest, sizeof a->files_digest) == 0;
}

size_t ts_keyring_count(const struct ts_keyring *ring)
{
	return ring->n;
}

const struct ts_key_info *ts_keyring_info(const struct ts_keyring *ring, size_t i)
{
	return i < ring->n ? &ring->keys[i].info : NULL;
}

const struct ts_key_info *ts_keyring_active(const struct ts_keyring *ring)
{
	return ring->active != NULL ? &ring->active->info : NULL;
}

const struct ts_key *ts_keyring_find(const struct ts_keyring *ring, const char *kid)
{
	for (size_t i = 0; i < ring->n; i++)
		if (memcmp(ring->keys[i].info.kid, kid, TS_KID_LEN) == 0)
			return &ring->keys[i];
	return NULL;
}
