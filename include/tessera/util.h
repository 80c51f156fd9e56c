/* Small checked helpers every module needs: number parsing with ranges,
 * random bytes for public values. */
#ifndef TESSERA_UTIL_H
#define TESSERA_UTIL_H

#include <stddef.h>

#include "tessera/err.h"

/* Parses all of s as a base-10 integer in [min, max]; leading or trailing
 * junk, overflow or an empty string is NUMBER_FORMAT. */
ts_err ts_parse_long(const char *s, long min, long max, long *out);

/* n (at most 64) random bytes for values sent in the clear anyway, such as
 * request IDs: served from a per-thread buffer that RAND_bytes refills, as
 * one DRBG call (it re-keys AES each time) cost more than the rest of the
 * ID. Secrets (codes, keys) call RAND_bytes themselves, so no future secret
 * waits in memory. CRYPTO when the DRBG fails; n > 64 is INVALID_ARGUMENT. */
ts_err ts_random_public(void *out, size_t n);

#endif
