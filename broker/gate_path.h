/* The path the gate judges: the one IIS will serve. HAProxy routes and
 * fetches the path as the client wrote it, IIS decodes and resolves it, so
 * the gate normalises the way IIS reads a path and refuses every form the
 * two could read differently. */
#ifndef TS_BROKER_GATE_PATH_H
#define TS_BROKER_GATE_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/err.h"

/* Longest path judged (IIS's maxUrl default is 4096). */
#define TS_GATE_PATH_MAX 4096

/* Normalises path[0..len) (no query) into out (cap >= len + 2):
 *  - percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are
 *    decoded, other escapes kept with upper-case hex;
 *  - empty segments are dropped ("//" is "/"), "." and ".." resolved;
 *  - a trailing "/" is kept.
 * GATE_PATH_AMBIGUOUS, with out untouched, for: not starting with "/";
 * longer than TS_GATE_PATH_MAX; a bad escape; an escaped "/", "\", "%",
 * control byte or non-ASCII byte; a raw "\", "?", "#", space, control or
 * non-ASCII byte; ".." above the root; a segment ending in "." or an escaped
 * space (Windows drops both: "oauthtoken." is "oauthtoken" to IIS). Case
 * is kept: compare with ts_gate_path_match. */
ts_err ts_gate_path_normalise(const char *path, size_t len, char *out, size_t cap,
			      size_t *out_len);

/* Matches a normalised path against a pattern, ASCII case-insensitively as
 * IIS compares: "/a/b" is that path (with or without a trailing "/"),
 * "/a/b/ *" (no space) is "/a/b" and everything below it, "* /mex" (no
 * space) is any path whose last segment is "mex". */
bool ts_gate_path_match(const char *pattern, const char *path);

#endif
