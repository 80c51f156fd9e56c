/* Test files: see test_dir.h. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_dir.h"

/* $TMPDIR/NAME.XXXXXX (else under /tmp), made into dir; false if not. */
static bool dir_make(char *dir, size_t cap, const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, cap, "%s/%s.XXXXXX", tmp != NULL ? tmp : "/tmp", name);
	return mkdtemp(dir) != NULL;
}

void ts_test_dir_make(char *dir, size_t cap, const char *name)
{
	ck_assert_msg(dir_make(dir, cap, name), "cannot make %s: %s", dir, strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

bool ts_test_dir_remove(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}

int ts_test_run(SRunner *sr, const char *name)
{
	char dir[512];
	int failed;

	if (!dir_make(dir, sizeof dir, name) || setenv("TMPDIR", dir, 1) != 0) {
		fprintf(stderr, "%s: cannot make %s: %s\n", name, dir, strerror(errno));
		srunner_free(sr);
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (!ts_test_dir_remove(dir)) {
		fprintf(stderr, "%s: %s left behind: %s\n", name, dir, strerror(errno));
		return EXIT_FAILURE;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
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
