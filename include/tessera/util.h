/* Small checked helpers every module needs: number parsing with ranges. */
#ifndef TESSERA_UTIL_H
#define TESSERA_UTIL_H

#include "tessera/err.h"

/* Parses all of s as a base-10 integer in [min, max]; leading or trailing
 * junk, overflow or an empty string is NUMBER_FORMAT. */
ts_err ts_parse_long(const char *s, long min, long max, long *out);

#endif
