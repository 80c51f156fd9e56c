/* Files that must never be seen half-written: key material and its
 * metadata. */
#ifndef TESSERA_FILE_H
#define TESSERA_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "tessera/err.h"

/* Writes dir/name through a dot-named temporary (created O_EXCL with mode),
 * fsync'd, renamed over name, and the directory fsync'd, so a crash leaves
 * the old file or the new one. IO on failure, logged as event (with the
 * path and errno's reason); no temporary is left behind. */
ts_err ts_file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
			    mode_t mode, const char *event);

#endif
