/* Check suite for store/: every operation's success and each of its
 * refusals as its own test, prune, the migration from schema 1, races
 * between threads, and durability across a kill -9. In-memory databases
 * unless the test is about the file; a fixed time T0 throughout. A test
 * fails when the store logs an error the test did not expect. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tessera/log.h"
#include "tessera/store.h"

#define T0 1764042000 /* 2025-11-25T03:40:00Z */

/* ---- fixture: an in-memory store, a temp dir, the log in memory ---- */

static struct {
	struct ts_store *store;
	char dir[256];
	char path[300];
	char *log;
	size_t log_len;
	FILE *log_stream;
	bool errors_expected; /* the test provokes level=err lines */
} fx;

/* One directory per test case, made and removed in Check's parent process:
 * a test whose assertion fails ends its own process at once, without its
 * teardown, and its files go all the same. */
static char case_dir[200];

static void case_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(case_dir, sizeof case_dir, "%s/ts-check-store.XXXXXX", tmp != NULL ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(case_dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void case_teardown(void)
{
	ck_assert_msg(nftw(case_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS) == 0, "%s: %s",
		      case_dir, strerror(errno));
}

/* Removes the database and what SQLite may leave beside it; false if one
 * cannot be removed. */
static bool remove_db_files(void)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char file[320];
	bool ok = true;

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		snprintf(file, sizeof file, "%s%s", fx.path, suffixes[i]);
		ok &= unlink(file) == 0 || errno == ENOENT;
	}
	return ok;
}

/* Then the test's directory: rmdir fails if anything else was left. */
static bool remove_dir(void)
{
	return remove_db_files() && rmdir(fx.dir) == 0;
}

/* A fresh, empty log. The old stream is closed first: closing writes its
 * buffer's address back into fx.log. */
static void log_restart(void)
{
	ts_log_set_stream(NULL);
	if (fx.log_stream != NULL)
		fclose(fx.log_stream);
	free(fx.log);
	fx.log = NULL;
	fx.log_stream = open_memstream(&fx.log, &fx.log_len);
	ck_assert_ptr_nonnull(fx.log_stream);
	ts_log_set_stream(fx.log_stream);
}

static void setup(void)
{
	memset(&fx, 0, sizeof fx);
	log_restart();
	ts_log_set_level(TS_LOG_DEBUG);
	snprintf(fx.dir, sizeof fx.dir, "%s/test.XXXXXX", case_dir);
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.path, sizeof fx.path, "%s/state.db", fx.dir);
	ck_assert_int_eq(ts_store_sqlite_open(":memory:", &fx.store), TS_ERR_OK);
}

static void teardown(void)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	fflush(fx.log_stream);
	ck_assert_msg(fx.errors_expected || fx.log == NULL || strstr(fx.log, "level=err") == NULL,
		      "unexpected error logged: %s", fx.log);
	ck_assert_msg(remove_dir(), "%s: files left behind", fx.dir);
	ts_log_set_stream(NULL);
	fclose(fx.log_stream);
	free(fx.log);
	fx.log_stream = NULL;
	fx.log = NULL;
}

static bool logged(const char *needle)
{
	fflush(fx.log_stream);
	return fx.log != NULL && strstr(fx.log, needle) != NULL;
}

/* Replaces the fixture's store by one on path. */
static void reopen(const char *path)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	ck_assert_int_eq(ts_store_sqlite_open(path, &fx.store), TS_ERR_OK);
}

/* The store under test and its backend state, as every call takes them. */
#define STORE (fx.store)
#define IMPL (fx.store->impl)

static ts_err count_revocation(void *arg, const struct ts_revocation *rev)
{
	(void)rev;
	++*(size_t *)arg;
	return TS_ERR_OK;
}

/* ---- schema ---- */

/* Version 1 exactly as it shipped (store/sqlite.c before version 2). */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE revoked_jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
	"CREATE TABLE revoked_user (sub TEXT PRIMARY KEY, before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX revoked_jti_expires ON revoked_jti (expires_at);"
	"CREATE INDEX revoked_user_expires ON revoked_user (expires_at);"
	"INSERT INTO schema_version (version) VALUES (1);";

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(db);
}

static long long schema_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, 0),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE); /* one row, not one per upgrade */
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The schema as SQLite keeps it: every table and index, in name order. */
static char *schema_text(const char *path)
{
	static const char sql[] = "SELECT type, name, coalesce(sql, '') FROM sqlite_master"
				  " ORDER BY name";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(out, "%s %s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(out);
	return text;
}

START_TEST(test_migration_v1_to_v2)
{
	size_t revocations = 0;
	char *fresh, *upgraded;

	/* What a new database looks like, to hold the upgraded one against. */
	reopen(fx.path);
	ts_store_close(fx.store);
	fx.store = NULL;
	fresh = schema_text(fx.path);
	ck_assert(remove_db_files());

	exec_sql(fx.path, schema_v1);
	exec_sql(fx.path, "INSERT INTO revoked_jti (jti, expires_at) VALUES ('j1', 1764045600)");
	ck_assert_int_eq(schema_version(fx.path), 1);
	reopen(fx.path);
	ck_assert(logged("event=store_schema_upgraded"));
	ck_assert(logged("from=1 to=2"));
	ck_assert_int_eq(schema_version(fx.path), 2);
	upgraded = schema_text(fx.path);
	ck_assert_str_eq(upgraded, fresh);
	free(fresh);
	free(upgraded);
	/* What version 1 held is still there. */
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, count_revocation, &revocations),
			 TS_ERR_OK);
	ck_assert_uint_eq(revocations, 1);

	/* Opened again: already version 2, nothing to upgrade. */
	log_restart();
	reopen(fx.path);
	ck_assert(!logged("store_schema_upgraded"));
	ck_assert_int_eq(schema_version(fx.path), 2);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct ts_store *store = NULL;

	fx.errors_expected = true;
	reopen(fx.path);
	ts_store_close(fx.store);
	fx.store = NULL;
	exec_sql(fx.path, "UPDATE schema_version SET version = 3");
	ck_assert_int_eq(ts_store_sqlite_open(fx.path, &store), TS_ERR_STORE_SCHEMA);
	ck_assert_ptr_null(store);
	ck_assert(logged("event=store_open_failed error=STORE_SCHEMA"));
	ck_assert(logged("version=3 want=2"));
	/* Refused, not rewritten. */
	ck_assert_int_eq(schema_version(fx.path), 3);
}
END_TEST

/* ---- which commits sync: a VFS that counts xSync ---- */

/* A file of the counting VFS: its methods, then the real file's. */
struct count_file {
	sqlite3_file base;
	sqlite3_file *real;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs count_vfs;
static _Atomic int syncs;

#define REAL(f) (((struct count_file *)(f))->real)

static int c_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}
static int c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int c_sync(sqlite3_file *f, int flags)
{
	syncs++;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int c_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int c_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int c_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int c_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int c_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int c_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int c_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int c_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}
static int c_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void c_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int c_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}
static int c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}
static int c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods count_io = {
	.iVersion = 3,
	.xClose = c_close,
	.xRead = c_read,
	.xWrite = c_write,
	.xTruncate = c_truncate,
	.xSync = c_sync,
	.xFileSize = c_file_size,
	.xLock = c_lock,
	.xUnlock = c_unlock,
	.xCheckReservedLock = c_check_reserved,
	.xFileControl = c_file_control,
	.xSectorSize = c_sector_size,
	.xDeviceCharacteristics = c_device,
	.xShmMap = c_shm_map,
	.xShmLock = c_shm_lock,
	.xShmBarrier = c_shm_barrier,
	.xShmUnmap = c_shm_unmap,
	.xFetch = c_fetch,
	.xUnfetch = c_unfetch,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct count_file *cf = (struct count_file *)f;
	int rc;

	(void)vfs;
	cf->real = (sqlite3_file *)(cf + 1);
	rc = real_vfs->xOpen(real_vfs, name, cf->real, flags, out_flags);
	/* SQLite closes a file whose open failed only if pMethods is set. */
	cf->base.pMethods = rc == SQLITE_OK && cf->real->pMethods != NULL ? &count_io : NULL;
	return rc;
}

/* Makes the counting VFS the default: the real one's methods (they read
 * only its fields, which the copy has), but files opened through c_open. */
static void count_syncs_begin(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	ck_assert_ptr_nonnull(real_vfs);
	ck_assert_int_ge(real_vfs->iVersion, 1);
	count_vfs = *real_vfs;
	count_vfs.zName = "ts-count-syncs";
	count_vfs.szOsFile = (int)sizeof(struct count_file) + real_vfs->szOsFile;
	count_vfs.xOpen = c_open;
	count_vfs.pNext = NULL;
	ck_assert_int_eq(sqlite3_vfs_register(&count_vfs, 1), SQLITE_OK);
}

static void count_syncs_end(void)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	sqlite3_vfs_unregister(&count_vfs);
}

/* Runs one call, which must succeed, and checks whether it synced. */
#define CHECK_SYNCS(call, want)                                                                    \
	do {                                                                                       \
		int before_ = syncs;                                                               \
		ck_assert_int_eq((call), TS_ERR_OK);                                               \
		ck_assert_msg((syncs != before_) == (want), "%s %s", #call,                        \
			      (want) ? "did not sync" : "synced");                                 \
	} while (0)

START_TEST(test_durable_writes_sync_hot_writes_do_not)
{
	struct ts_revocation rev = {TS_REVOKE_JTI, "j-sync", 6, 0, T0 + 60};

	count_syncs_begin();
	reopen(fx.path);
	CHECK_SYNCS(STORE->revocations_prune(IMPL, T0), false);
	/* These must survive one: the WAL is synced before they return, and
	 * the connection goes back to NORMAL after each. */
	CHECK_SYNCS(STORE->revoke(IMPL, &rev), true);
	CHECK_SYNCS(STORE->revocations_prune(IMPL, T0), false);
	count_syncs_end();
}
END_TEST

START_TEST(test_file_mode_0600)
{
	struct stat st;

	reopen(fx.path);
	ck_assert_int_eq(stat(fx.path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

/* A test case with a directory of its own and the fixture per test. */
static TCase *add_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = add_case(s, "schema");
	tcase_add_test(tc, test_migration_v1_to_v2);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_file_mode_0600);

	tc = add_case(s, "durability");
	tcase_add_test(tc, test_durable_writes_sync_hot_writes_do_not);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
