/* The STS key directory on disk: permission checks, bounded reads, and
 * crash-safe writes. The same habits as ticket/'s key ring (an exposed
 * token-signing key lets anyone sign in to every pool as anyone), kept
 * here because saml/ does not call into ticket/. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sts_internal.h"
#include "tessera/file.h"
#include "tessera/log.h"

/* Present, a directory, nothing for group or others: readable would expose
 * the key names, writable would let anyone plant a key that pools trust. */
ts_err ts_sts_check_dir(const char *dir)
{
	static const struct ts_private_dir_rules rules = {
		"sts_keys_refused", "STS key directory", TS_ERR_STS_KEYS_DIR,
		TS_ERR_STS_KEYS_PERMISSIONS};

	return ts_file_check_private_dir(dir, &rules);
}

/* mkdir -p: parents 0755, the key directory itself 0700. */
ts_err ts_sts_make_dirs(const char *dir)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof path)
		return TS_ERR_STS_KEYS_DIR;
	memcpy(path, dir, n + 1);
	while (n > 1 && path[n - 1] == '/') /* "keys/" is "keys", made 0700 too */
		path[--n] = '\0';
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
	ts_log_error(TS_LOG_ERR, "sts_keys_refused", TS_ERR_STS_KEYS_DIR, "path", path, "reason",
		     strerror(errno));
	return TS_ERR_STS_KEYS_DIR;
}

void ts_sts_free_file(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

ts_err ts_sts_read_file(const char *path, size_t max, unsigned char **buf, size_t *len,
			mode_t *mode)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t have = 0, size = 0;
	ts_err err = TS_ERR_IO;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	*buf = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	*mode = st.st_mode;
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		err = TS_ERR_TOO_LARGE;
		goto out;
	}
	size = (size_t)st.st_size;
	if ((b = malloc(size + 1)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	while (have < size) {
		ssize_t n = read(fd, b + have, size - have);
		if (n < 0 && errno == EINTR)
			continue;
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
	ts_sts_free_file(b, size + 1);
	if (fd >= 0)
		close(fd);
	return err;
}


ts_err ts_sts_key_id(EVP_PKEY *pkey, char id[TS_STS_KEY_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *der = NULL, digest[SHA256_DIGEST_LENGTH];
	int n = i2d_PUBKEY(pkey, &der);

	if (n <= 0)
		return TS_ERR_CRYPTO;
	SHA256(der, (size_t)n, digest);
	OPENSSL_free(der);
	for (size_t i = 0; i < TS_STS_KEY_ID_LEN / 2; i++) {
		id[2 * i] = hex[digest[i] >> 4];
		id[2 * i + 1] = hex[digest[i] & 0x0f];
	}
	id[TS_STS_KEY_ID_LEN] = '\0';
	return TS_ERR_OK;
}
