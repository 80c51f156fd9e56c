/* Files for Check tests: a directory of their own, removed with all in it,
 * and an SQLite database removed with what SQLite leaves beside it. */
#ifndef TS_TEST_DIR_H
#define TS_TEST_DIR_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Runs every test of sr with TMPDIR set to a directory of the program's
 * own, $TMPDIR/NAME.XXXXXX, removed afterwards with all in it: a failing
 * test ends its forked process before its teardown, and what its fixture
 * made would stay. Frees sr; EXIT_SUCCESS when every test passed and the
 * directory is gone. */
int ts_test_run(SRunner *sr, const char *name);

/* Makes $TMPDIR/NAME.XXXXXX (else under /tmp) into dir; fails the test if
 * it cannot. */
void ts_test_dir_make(char *dir, size_t cap, const char *name);

/* Removes dir and everything under it; false if something stays. */
bool ts_test_dir_remove(const char *dir);

/* Removes path and its -wal, -shm and -journal files; false if one exists
 * and cannot be removed. */
bool ts_test_db_remove(const char *path);

#endif
