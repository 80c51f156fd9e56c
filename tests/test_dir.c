/* Test files: see test_dir.h. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "test_dir.h"

void ts_test_dir_make(char *dir, size_t cap, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, cap, "%s/%s.XXXXXX", tmp != NULL ? tmp : "/tmp", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

bool ts_test_db_remove(const char *path)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char file[512];
	bool ok = true;

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
		ok &= unlink(file) == 0 || errno == ENOENT;
	}
	return ok;
}
