#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/util.h"

ts_err ts_parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	/* strtol would skip leading space and accept a sign after it. */
	if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return TS_ERR_NUMBER_FORMAT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TS_ERR_NUMBER_FORMAT;
	*out = v;
	return TS_ERR_OK;
}

#define RANDOM_POOL 512

ts_err ts_random_public(void *out, size_t n)
{
	static _Thread_local unsigned char pool[RANDOM_POOL];
	static _Thread_local size_t left;

	if (n > 64)
		return TS_ERR_INVALID_ARGUMENT;
	if (left < n) {
		if (RAND_bytes(pool, sizeof pool) != 1)
			return TS_ERR_CRYPTO;
		left = sizeof pool;
	}
	left -= n;
	memcpy(out, pool + left, n);
	OPENSSL_cleanse(pool + left, n); /* handed out once */
	return TS_ERR_OK;
}
