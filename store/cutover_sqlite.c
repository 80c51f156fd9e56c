/* The cutover tables' own connection to the store file: open, schema,
 * transactions. Separate from store/sqlite.c on purpose: its writes are
 * rare admin changes that must survive a power cut (synchronous=FULL on
 * every commit), and it must not share a lock or a statement cache with the
 * hot sign-in path. WAL lets both connections (and other processes) read
 * while one writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutover_internal.h"
#include "sqlite_internal.h"
#include "tessera/clock.h"
#include "tessera/file.h"
#include "tessera/log.h"

#define CUTOVER_SCHEMA_VERSION 2
#define STR_(x) #x
#define STR(x) STR_(x)

/* Version 1. Stages and decisions are stored by name so a look with the
 * sqlite3 shell reads like the CLI. The usage key includes the hour so
 * "last 24 h" is exact to the hour and old rows prune by index. */
static const char schema_v1[] =
	"CREATE TABLE cutover_schema (version INTEGER NOT NULL);"
	"CREATE TABLE cutover_meta (generation INTEGER NOT NULL, ticket_count INTEGER NOT NULL);"
	"INSERT INTO cutover_meta (generation, ticket_count) VALUES (0, 0);"
	"CREATE TABLE cutover_stage (pool TEXT NOT NULL PRIMARY KEY, stage TEXT NOT NULL,"
	" since INTEGER NOT NULL, changed_by TEXT NOT NULL, reason TEXT NOT NULL,"
	" version INTEGER NOT NULL);"
	"CREATE TABLE cutover_journal (id INTEGER PRIMARY KEY, pool TEXT NOT NULL,"
	" at INTEGER NOT NULL, changed_by TEXT NOT NULL, from_stage TEXT NOT NULL,"
	" to_stage TEXT NOT NULL, version INTEGER NOT NULL, reason TEXT NOT NULL,"
	" forced INTEGER NOT NULL, rollback INTEGER NOT NULL);"
	"CREATE INDEX cutover_journal_pool ON cutover_journal (pool, id);"
	"CREATE TABLE cutover_exception (id INTEGER PRIMARY KEY, pool TEXT NOT NULL,"
	" kind TEXT NOT NULL, value TEXT NOT NULL, until INTEGER NOT NULL,"
	" reason TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL);"
	"CREATE INDEX cutover_exception_pool ON cutover_exception (pool, id);"
	"CREATE TABLE cutover_usage (pool TEXT NOT NULL, user TEXT NOT NULL,"
	" family TEXT NOT NULL, kind TEXT NOT NULL, network TEXT NOT NULL,"
	" decision TEXT NOT NULL, hour INTEGER NOT NULL, passive_capable INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
	" agent TEXT NOT NULL,"
	" PRIMARY KEY (pool, user, family, kind, network, decision, hour)) WITHOUT ROWID;"
	"CREATE INDEX cutover_usage_hour ON cutover_usage (hour);"
	"CREATE TABLE cutover_ticket (hash TEXT NOT NULL PRIMARY KEY, pool TEXT NOT NULL,"
	" kind TEXT NOT NULL, user TEXT NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX cutover_ticket_expires ON cutover_ticket (expires_at);"
	"CREATE INDEX cutover_ticket_pool ON cutover_ticket (pool, kind);"
	"CREATE TABLE cutover_certprov (pool TEXT NOT NULL, user TEXT NOT NULL,"
	" kind TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,"
	" PRIMARY KEY (pool, user, kind)) WITHOUT ROWID;"
	"INSERT INTO cutover_schema (version) VALUES (1);";

/* Version 2: the User-Agent joins the usage key. In one row an agent
 * stood for every attempt of its hour and network, the latest one's, so a
 * refused spray's agent, or one of a user's two clients, decided an agent
 * exception for the whole line.
 * Rows kept from version 1 are judged as version 1 judged them: each
 * takes the agent of its hour's latest use, so a refusal still nets off
 * the attempts it netted off before (their rows could hold different
 * agents). The key's columns come first, as SQLite's integrity check
 * expects of a WITHOUT ROWID table. legacy_alter_table: a view that an
 * operator made on the table must not stop the rename. */
static const char schema_v2[] =
	"CREATE TABLE cutover_usage_v2 (pool TEXT NOT NULL, user TEXT NOT NULL,"
	" family TEXT NOT NULL, kind TEXT NOT NULL, network TEXT NOT NULL, agent TEXT NOT NULL,"
	" decision TEXT NOT NULL, hour INTEGER NOT NULL, passive_capable INTEGER NOT NULL,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
	" PRIMARY KEY (pool, user, family, kind, network, agent, decision, hour)) WITHOUT ROWID;"
	"INSERT INTO cutover_usage_v2 (pool, user, family, kind, network, agent, decision, hour,"
	" passive_capable, first_seen, last_seen, count)"
	" SELECT pool, user, family, kind, network, coalesce((SELECT o.agent FROM cutover_usage o"
	"  WHERE o.pool = u.pool AND o.user = u.user AND o.family = u.family AND o.kind = u.kind"
	"  AND o.network = u.network AND o.hour = u.hour AND o.decision != 'pool-refused'"
	"  ORDER BY o.last_seen DESC, o.decision LIMIT 1), agent),"
	" decision, hour, passive_capable, first_seen, last_seen, count FROM cutover_usage u;"
	"DROP TABLE cutover_usage;"
	"PRAGMA legacy_alter_table = ON;"
	"ALTER TABLE cutover_usage_v2 RENAME TO cutover_usage;"
	"PRAGMA legacy_alter_table = OFF;"
	"CREATE INDEX cutover_usage_hour ON cutover_usage (hour);"
	"UPDATE cutover_schema SET version = 2;";

/* migrations[v] takes the tables from version v to v + 1. */
static const char *const migrations[CUTOVER_SCHEMA_VERSION] = {
	[0] = schema_v1,
	[1] = schema_v2,
};

ts_err ts_co_failed(struct ts_cutover *c, const char *what)
{
	ts_log_error(TS_LOG_ERR, "cutover_store_failed", TS_ERR_STORE_QUERY, "query", what,
		     "reason", sqlite3_errmsg(c->db));
	return TS_ERR_STORE_QUERY;
}

ts_err ts_co_prepare(struct ts_cutover *c, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(c->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return ts_co_failed(c, sql);
	}
	return TS_ERR_OK;
}

ts_err ts_co_done(struct ts_cutover *c, sqlite3_stmt *st, const char *what)
{
	ts_err err = sqlite3_step(st) == SQLITE_DONE ? TS_ERR_OK : ts_co_failed(c, what);

	sqlite3_reset(st);
	return err;
}

static ts_err exec(struct ts_cutover *c, const char *sql)
{
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL) == SQLITE_OK ? TS_ERR_OK
									: ts_co_failed(c, sql);
}

ts_err ts_co_begin_write(struct ts_cutover *c)
{
	return exec(c, "BEGIN IMMEDIATE");
}

ts_err ts_co_end(struct ts_cutover *c, ts_err result)
{
	if (result == TS_ERR_OK && exec(c, "COMMIT") != TS_ERR_OK)
		result = TS_ERR_STORE_QUERY;
	/* A failed COMMIT (SQLITE_BUSY, I/O) may leave the transaction open. */
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return result;
}

ts_err ts_co_read_begin(struct ts_cutover *c)
{
	return exec(c, "SAVEPOINT cutover_read");
}

void ts_co_read_end(struct ts_cutover *c)
{
	/* Read only: releasing cannot lose anything, and a failure here means
	 * the savepoint is already gone. */
	sqlite3_exec(c->db, "RELEASE cutover_read", NULL, NULL, NULL);
}

ts_err ts_co_bump_generation(struct ts_cutover *c)
{
	return exec(c, "UPDATE cutover_meta SET generation = generation + 1");
}

ts_err ts_co_check_text(const char *text, size_t max)
{
	if (text == NULL || *text == '\0')
		return TS_ERR_INVALID_ARGUMENT;
	return strnlen(text, max + 1) > max ? TS_ERR_TOO_LARGE : TS_ERR_OK;
}

char *ts_co_column_dup(sqlite3_stmt *st, int col)
{
	return ts_sq_column_dup(st, col, NULL);
}

void ts_co_bind(sqlite3_stmt *st, int i, const char *text)
{
	sqlite3_bind_text(st, i, text != NULL ? text : "", -1, SQLITE_TRANSIENT);
}

/* Creates or upgrades the cutover tables in one write transaction (two
 * processes opening a new file never both create), refuses a newer version. */
static ts_err schema_ensure(struct ts_cutover *c)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 version = 0, from;
	int64_t started_ms;
	char shown[24], took[24];
	ts_err err = TS_ERR_STORE_SCHEMA;

	if (sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	if (sqlite3_prepare_v2(c->db, "SELECT version FROM cutover_schema", -1, &st, NULL) ==
	    SQLITE_OK)
		version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if ((st != NULL && version < 1) || version > CUTOVER_SCHEMA_VERSION) {
		snprintf(shown, sizeof shown, "%lld", (long long)version);
		ts_log_error(TS_LOG_ERR, "cutover_open_failed", err, "path", c->path, "version",
			     shown, "want", STR(CUTOVER_SCHEMA_VERSION));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	from = version;
	started_ms = ts_monotonic_ms();
	for (; version < CUTOVER_SCHEMA_VERSION; version++)
		if (sqlite3_exec(c->db, migrations[version], NULL, NULL, NULL) != SQLITE_OK)
			goto failed;
	if (sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	/* An upgrade holds the write lock while it copies (sign-ins wait):
	 * said, with how long it took. A new file is no upgrade. */
	if (from > 0 && from < CUTOVER_SCHEMA_VERSION) {
		snprintf(shown, sizeof shown, "%lld", (long long)from);
		snprintf(took, sizeof took, "%lld", (long long)(ts_monotonic_ms() - started_ms));
		ts_log(TS_LOG_INFO, "cutover_schema_upgraded", "path", c->path, "from", shown, "to",
		       STR(CUTOVER_SCHEMA_VERSION), "ms", took);
	}
	err = TS_ERR_OK;
	goto out;
failed:
	/* Busy: another process holds the write lock past the busy timeout
	 * (a long upgrade, say); the schema is not at fault. */
	if ((sqlite3_errcode(c->db) & 0xff) == SQLITE_BUSY) {
		err = TS_ERR_STORE_OPEN;
		ts_log_error(TS_LOG_ERR, "cutover_open_failed", err, "path", c->path, "reason",
			     sqlite3_errmsg(c->db), "hint",
			     "another process is writing the store (an upgrade?): try again");
	} else {
		ts_log_error(TS_LOG_ERR, "cutover_open_failed", err, "path", c->path, "reason",
			     sqlite3_errmsg(c->db));
	}
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static ts_err open_failed(struct ts_cutover *c, const char *path, const char *reason)
{
	ts_log_error(TS_LOG_ERR, "cutover_open_failed", TS_ERR_STORE_OPEN, "path", path,
		     "reason", reason);
	return TS_ERR_STORE_OPEN;
}

ts_err ts_cutover_open(const char *path, bool create, struct ts_cutover **out)
{
	struct ts_cutover *c = calloc(1, sizeof *c);
	pthread_mutexattr_t attr;
	ts_err err = TS_ERR_NOMEM;
	struct stat st;

	*out = NULL;
	if (c == NULL || (c->path = strdup(path)) == NULL) {
		free(c);
		return TS_ERR_NOMEM;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&c->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	c->ticket_max = 1000000;
	/* Created 0600 before SQLite sees it, as store/sqlite.c does: the file
	 * also holds sessions. Without create, a missing file stays missing.
	 * Never opened here when it exists (ts_file_create_private says why). */
	errno = 0;
	if (create ? ts_file_create_private(path) != TS_ERR_OK
		   : (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))) {
		err = open_failed(c, path, errno != 0 ? strerror(errno) : "not a regular file");
		goto out;
	}
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		err = open_failed(c, path, c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(c->db, 5000);
	/* FULL: a stage change that returned OK must survive a power cut. */
	if (sqlite3_exec(c->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
			 NULL) != SQLITE_OK) {
		err = open_failed(c, path, sqlite3_errmsg(c->db));
		goto out;
	}
	if ((err = schema_ensure(c)) != TS_ERR_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	ts_cutover_close(c);
	return err;
}

void ts_cutover_close(struct ts_cutover *c)
{
	if (c == NULL)
		return;
	sqlite3_close(c->db);
	pthread_mutex_destroy(&c->lock);
	free(c->path);
	free(c);
}

ts_err ts_cutover_set_ticket_max(struct ts_cutover *c, size_t max)
{
	if (max == 0)
		return TS_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&c->lock);
	c->ticket_max = max;
	pthread_mutex_unlock(&c->lock);
	return TS_ERR_OK;
}

ts_err ts_cutover_generation(struct ts_cutover *c, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_prepare(c, "SELECT generation FROM cutover_meta", &st)) != TS_ERR_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		err = ts_co_failed(c, "generation");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	return err;
}
