/* Web origins (RFC 6454) as browsers send them in Origin, compared in one
 * canonical form: a configured "https://STS.example.org:443/" is the origin
 * a browser sends as "https://sts.example.org". */
#ifndef TESSERA_ORIGIN_H
#define TESSERA_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/err.h"

/* Room for the canonical form, NUL included. */
#define TS_ORIGIN_MAX 300

/* text[0..len) in canonical form: scheme and host in lowercase, the
 * scheme's default port dropped, any path dropped. "null" (what a sandboxed
 * or no-referrer page sends) stays "null". INVALID_ARGUMENT for anything
 * else than http(s)://host[:port][/...], or when it does not fit. */
ts_err ts_origin_canonical(const char *text, size_t len, char out[TS_ORIGIN_MAX]);

/* As ts_origin_canonical, for a URL ("null" is not one): out is its origin,
 * *path where the rest begins ("" or "/..."), unchecked. */
ts_err ts_origin_of_url(const char *url, char out[TS_ORIGIN_MAX], const char **path);

/* Is origin (canonical) https on host, on any port? host may carry a
 * ":port" (a Host header), which is ignored; NULL or "" matches nothing. */
bool ts_origin_on_host(const char *origin, const char *host);

#endif
