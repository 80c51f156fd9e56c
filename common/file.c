/* Atomic file writes for key material (ticket key ring, STS keys). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "tessera/file.h"
#include "tessera/log.h"

ts_err ts_file_write_atomic(const char *dir, const char *name, const void *data, size_t len,
			    mode_t mode, const char *event)
{
	char tmp[4096], final[4096];
	size_t done = 0;
	ts_err err = TS_ERR_IO;
	int fd = -1, dfd = -1;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= sizeof tmp ||
	    (size_t)snprintf(final, sizeof final, "%s/%s", dir, name) >= sizeof final)
		return TS_ERR_IO;
	unlink(tmp); /* left by an earlier crash */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		goto out;
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		done += (size_t)n;
	}
	if (fsync(fd) != 0) /* the data is on disk before the name points at it */
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, final) != 0)
		goto out;
	/* ... and the rename itself survives a crash. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fsync(dfd) != 0)
		goto out;
	err = TS_ERR_OK;
out:
	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, event, err, "path", final, "reason",
			     strerror(errno));
		unlink(tmp);
	}
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return err;
}

void ts_file_mode_text(mode_t mode, char out[8])
{
	snprintf(out, 8, "%04o", (unsigned)(mode & 07777));
}

ts_err ts_file_check_private_dir(const char *dir, const struct ts_private_dir_rules *rules)
{
	struct stat st;
	char mode[8], reason[160];

	if (stat(dir, &st) != 0) {
		ts_log_error(TS_LOG_ERR, rules->event, rules->missing, "path", dir, "reason",
			     strerror(errno));
		return rules->missing;
	}
	if (!S_ISDIR(st.st_mode)) {
		ts_log_error(TS_LOG_ERR, rules->event, rules->missing, "path", dir, "reason",
			     "not a directory");
		return rules->missing;
	}
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
		ts_file_mode_text(st.st_mode, mode);
		snprintf(reason, sizeof reason,
			 "%s must not be accessible by group or others: chmod 700 it", rules->what);
		ts_log_error(TS_LOG_ERR, rules->event, rules->exposed, "path", dir, "mode", mode,
			     "reason", reason);
		return rules->exposed;
	}
	return TS_ERR_OK;
}

ts_err ts_file_create_private(const char *path)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0) {
		if (S_ISREG(st.st_mode))
			return TS_ERR_OK;
		errno = S_ISLNK(st.st_mode) ? ELOOP : EINVAL;
		return TS_ERR_IO;
	}
	if (errno != ENOENT)
		return TS_ERR_IO;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		/* Created by someone else meanwhile: check it as above. */
		return errno == EEXIST ? ts_file_create_private(path) : TS_ERR_IO;
	close(fd);
	return TS_ERR_OK;
}
