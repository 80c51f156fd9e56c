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

/* "0644": a mode as an operator types it, for log lines. */
void ts_file_mode_text(mode_t mode, char out[8]);

/* How a caller names a refused key directory. */
struct ts_private_dir_rules {
	const char *event; /* log event, e.g. "keyring_refused" */
	const char *what;  /* in the reason, e.g. "key ring directory" */
	ts_err missing;	   /* absent or not a directory */
	ts_err exposed;	   /* group or others have any access */
};

/* dir exists, is a directory, and gives group and others nothing: readable
 * would expose key names, writable would let anyone plant a key. Refusals
 * are logged with the path (and mode) and the fix. */
ts_err ts_file_check_private_dir(const char *dir, const struct ts_private_dir_rules *rules);

/* Creates path as an empty file, mode 0600, when it does not exist, and
 * leaves an existing regular file unopened: opening and closing a file that
 * SQLite has open in this process drops the POSIX locks SQLite holds on it
 * (another process may then checkpoint and delete the WAL under it). A
 * symbolic link or anything but a regular file is refused (IO, errno set). */
ts_err ts_file_create_private(const char *path);

#endif
