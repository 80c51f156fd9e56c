/* SQLite backend of the state store: WAL journal (readers never wait for the
 * writer, and a kill -9 loses nothing committed), prepared statements made
 * once, a schema_version table so an older schema is upgraded and a newer
 * one refused, not misread.
 *
 * Durability: the connection runs synchronous=NORMAL. In WAL mode a commit
 * has written its frames to the -wal file (write(2): the OS page cache)
 * before COMMIT returns, so a process that dies, kill -9 included, loses
 * nothing it committed and never corrupts; only a power cut or a kernel
 * crash may lose the last commits (those the kernel has not written back
 * yet, at most since the last checkpoint, which syncs).
 *
 * What the issue asks of the replay cache is exactly the first: "a sign-in
 * completed before a kill -9 is still a replay after restart". So the
 * per-request sign-in writes (outstanding requests, the replay claim, code
 * puts and redemptions, sessions, ticket records) commit at NORMAL. Syncing
 * each one (synchronous=FULL: an fdatasync with the store lock held) capped
 * sign-ins at the disk's flush rate and stalled every other request behind
 * it. What a power cut can cost is bounded: the lost tail rolls back the
 * outstanding-request take together with the replay claim, the assertion
 * stays usable only until its NotOnOrAfter (minutes), and it is a bearer
 * token the attacker must already hold; a lost code redemption likewise
 * only until the code's lifetime.
 *
 * Writes that an operator or a user makes rarely, and whose loss would
 * silently reopen something for hours (a revocation, a sign-out), still
 * commit with synchronous=FULL: the WAL is synced before COMMIT returns, and
 * with it every commit before. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_internal.h"
#include "tessera/clock.h"
#include "tessera/file.h"
#include "tessera/log.h"

#define SCHEMA_VERSION 5
/* WAL pages between automatic checkpoints (see the open below). */
#define CHECKPOINT_PAGES 10000
/* How long a statement waits for another process's write lock. */
#define BUSY_TIMEOUT_MS 5000
/* The write check waits less, holding the store lock meanwhile, and runs
 * at most once per interval: /readyz is unauthenticated, and its callers
 * within an interval share one answer. */
#define WRITE_CHECK_BUSY_MS 1000
#define WRITE_CHECK_INTERVAL_MS 1000
#define STR_(x) #x
#define STR(x) STR_(x)

/* Version 1 as it shipped: a new database is made by running every step
 * from here, so new and upgraded databases are the same. */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE revoked_jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
	"CREATE TABLE revoked_user (sub TEXT PRIMARY KEY, before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX revoked_jti_expires ON revoked_jti (expires_at);"
	"CREATE INDEX revoked_user_expires ON revoked_user (expires_at);"
	"INSERT INTO schema_version (version) VALUES (1);";

/* 1 -> 2: sign-in state. replay_count holds the number of rows in replay,
 * kept by the code that inserts and deletes them in the same transaction,
 * so the bound is checked without counting a million rows per claim. */
static const char schema_v2[] =
	"CREATE TABLE signin_request (id TEXT NOT NULL PRIMARY KEY, pool TEXT NOT NULL,"
	" idp TEXT NOT NULL, return_url TEXT NOT NULL, flags INTEGER NOT NULL,"
	" created INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX signin_request_expires ON signin_request (expires_at);"
	"CREATE TABLE replay (key TEXT NOT NULL PRIMARY KEY, expires_at INTEGER NOT NULL);"
	"CREATE INDEX replay_expires ON replay (expires_at);"
	"CREATE TABLE replay_count (n INTEGER NOT NULL);"
	"INSERT INTO replay_count (n) VALUES (0);"
	"CREATE TABLE code (hash TEXT NOT NULL PRIMARY KEY, payload BLOB NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX code_expires ON code (expires_at);"
	"CREATE TABLE sso_session (id TEXT NOT NULL PRIMARY KEY, subject TEXT NOT NULL,"
	" payload TEXT NOT NULL, created INTEGER NOT NULL, expires_at INTEGER NOT NULL);"
	"CREATE INDEX sso_session_expires ON sso_session (expires_at);"
	"CREATE TABLE session_ticket (session_id TEXT NOT NULL, jti TEXT NOT NULL,"
	" exp INTEGER NOT NULL, PRIMARY KEY (session_id, jti)) WITHOUT ROWID;"
	"CREATE INDEX session_ticket_exp ON session_ticket (exp);"
	"UPDATE schema_version SET version = 2;";

/* 2 -> 3: a row the write check changes. An update that leaves a cell as
 * it was writes nothing (SQLite skips it), and a check that writes nothing
 * passes on a full disk. */
static const char schema_v3[] = "CREATE TABLE write_check (n INTEGER NOT NULL);"
				"INSERT INTO write_check (n) VALUES (0);"
				"UPDATE schema_version SET version = 3;";

/* 3 -> 4: outstanding requests are bounded too, counted like the replay
 * cache. Triggers keep both counts in the statement that changes the rows,
 * so no write path can forget its count and a savepoint rolled back takes
 * its count change along. One exception: a batch of request inserts
 * (sqlite_signin.c) adds its count in one UPDATE, since a trigger per row
 * cost GET /signin 15% of its rate. replay_count becomes replay_rows: a
 * version-3 broker still running on the file would add to it by hand on
 * top of the trigger; its writes now fail, by name, until it is restarted
 * on the new version. */
static const char schema_v4[] =
	"CREATE TABLE request_rows (n INTEGER NOT NULL);"
	"INSERT INTO request_rows (n) SELECT count(*) FROM signin_request;"
	"CREATE TRIGGER signin_request_removed AFTER DELETE ON signin_request"
	" BEGIN UPDATE request_rows SET n = n - 1; END;"
	"DROP TABLE replay_count;"
	"CREATE TABLE replay_rows (n INTEGER NOT NULL);"
	"INSERT INTO replay_rows (n) SELECT count(*) FROM replay;"
	"CREATE TRIGGER replay_added AFTER INSERT ON replay"
	" BEGIN UPDATE replay_rows SET n = n + 1; END;"
	"CREATE TRIGGER replay_removed AFTER DELETE ON replay"
	" BEGIN UPDATE replay_rows SET n = n - 1; END;"
	"UPDATE schema_version SET version = 4;";

/* 4 -> 5: an outstanding request remembers the browser that made it
 * (broker/browser_bind.h). A request made before has none, and its answer
 * is refused: its user signs in again. */
static const char schema_v5[] =
	"ALTER TABLE signin_request ADD COLUMN browser TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE signin_request ADD COLUMN pool_bind TEXT NOT NULL DEFAULT '';"
	"UPDATE schema_version SET version = 5;";

/* migrations[v] takes a database from version v to v + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
	[0] = schema_v1,
	[1] = schema_v2,
	[2] = schema_v3,
	[3] = schema_v4,
	[4] = schema_v5,
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_SAVEPOINT] = "SAVEPOINT one",
	[ST_RELEASE] = "RELEASE one",
	[ST_ROLLBACK_TO] = "ROLLBACK TO one",
	[ST_REVOKE_JTI] = "INSERT INTO revoked_jti (jti, expires_at) VALUES (?1, ?2)"
			  " ON CONFLICT (jti) DO UPDATE SET"
			  " expires_at = max(expires_at, excluded.expires_at)",
	[ST_REVOKE_USER] = "INSERT INTO revoked_user (sub, before, expires_at) VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (sub) DO UPDATE SET before = max(before, excluded.before),"
			   " expires_at = max(expires_at, excluded.expires_at)",
	[ST_EACH_JTI] = "SELECT jti, expires_at FROM revoked_jti WHERE expires_at > ?1",
	[ST_EACH_USER] = "SELECT sub, before, expires_at FROM revoked_user WHERE expires_at > ?1",
	/* Every prune DELETE takes at most ?2 rows: sqlite_prune says why. */
	[ST_PRUNE_JTI] = "DELETE FROM revoked_jti WHERE rowid IN (SELECT rowid FROM revoked_jti"
			 " WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_PRUNE_USER] = "DELETE FROM revoked_user WHERE rowid IN (SELECT rowid FROM"
			  " revoked_user WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_REQUEST_PUT] = "INSERT INTO signin_request (id, pool, idp, return_url, flags, created,"
			   " expires_at, browser, pool_bind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			   " ?8, ?9)",
	[ST_REQUEST_TAKE] = "DELETE FROM signin_request WHERE id = ?1 RETURNING id, pool, idp,"
			    " return_url, flags, created, expires_at, browser, pool_bind",
	[ST_REQUEST_GET] = "SELECT id, pool, idp, return_url, flags, created, expires_at,"
			   " browser, pool_bind FROM signin_request WHERE id = ?1",
	[ST_PRUNE_REQUEST] = "DELETE FROM signin_request WHERE rowid IN (SELECT rowid FROM"
			     " signin_request WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_REQUEST_COUNT] = "SELECT n FROM request_rows",
	[ST_REQUEST_COUNT_ADD] = "UPDATE request_rows SET n = n + ?1",
	[ST_REPLAY_FIND] = "SELECT expires_at FROM replay WHERE key = ?1",
	[ST_REPLAY_RENEW] = "UPDATE replay SET expires_at = ?2 WHERE key = ?1",
	[ST_REPLAY_INSERT] = "INSERT INTO replay (key, expires_at) VALUES (?1, ?2)",
	[ST_REPLAY_COUNT] = "SELECT n FROM replay_rows",
	[ST_REPLAY_SWEEP] = "DELETE FROM replay WHERE rowid IN (SELECT rowid FROM replay"
			    " WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_CODE_PUT] = "INSERT INTO code (hash, payload, expires_at) VALUES (?1, ?2, ?3)",
	[ST_CODE_TAKE] = "DELETE FROM code WHERE hash = ?1 RETURNING payload, expires_at",
	[ST_PRUNE_CODE] = "DELETE FROM code WHERE rowid IN (SELECT rowid FROM code"
			  " WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_SESSION_PUT] = "INSERT INTO sso_session (id, subject, payload, created, expires_at)"
			   " VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_SESSION_GET] = "SELECT subject, payload, created, expires_at FROM sso_session"
			   " WHERE id = ?1",
	[ST_SESSION_DELETE] = "DELETE FROM sso_session WHERE id = ?1",
	[ST_SESSION_TICKETS_DELETE] = "DELETE FROM session_ticket WHERE session_id = ?1",
	/* The WHERE keeps the parser from reading ON CONFLICT as a join. */
	[ST_SESSION_TICKET_ADD] = "INSERT INTO session_ticket (session_id, jti, exp)"
				  " SELECT id, ?2, ?3 FROM sso_session WHERE id = ?1"
				  " ON CONFLICT (session_id, jti) DO UPDATE SET"
				  " exp = max(exp, excluded.exp)",
	[ST_SESSION_TICKETS_EACH] = "SELECT jti, exp FROM session_ticket WHERE session_id = ?1",
	/* A ticket record is of no use once its session is gone: no sign-out
	 * can reach it. */
	[ST_PRUNE_SESSION_TICKET] = "DELETE FROM session_ticket WHERE (session_id, jti) IN"
				    " (SELECT session_id, jti FROM session_ticket WHERE exp <= ?1"
				    " OR session_id IN (SELECT id FROM sso_session"
				    " WHERE expires_at <= ?1) LIMIT ?2)",
	[ST_PRUNE_SESSION] = "DELETE FROM sso_session WHERE rowid IN (SELECT rowid FROM"
			     " sso_session WHERE expires_at <= ?1 LIMIT ?2)",
	[ST_WRITE_CHECK] = "UPDATE write_check SET n = n + 1",
};

ts_err ts_sq_failed(struct sqlite_store *s, const char *what)
{
	ts_log_error(TS_LOG_ERR, "store_query_failed", TS_ERR_STORE_QUERY, "backend", "sqlite",
		     "query", what, "reason", sqlite3_errmsg(s->db));
	return TS_ERR_STORE_QUERY;
}

ts_err ts_sq_done(struct sqlite_store *s, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st = s->stmt[id];
	ts_err err = TS_ERR_OK;

	if (sqlite3_step(st) != SQLITE_DONE)
		/* A key that is already there is the caller's news, not a fault. */
		err = sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_PRIMARYKEY
			      ? TS_ERR_STORE_DUPLICATE
			      : ts_sq_failed(s, what);
	ts_sq_reset(st);
	return err;
}

void ts_sq_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Not a prepared statement: SQLite applies this pragma when it compiles it,
 * not when it runs, so one prepared at open would take effect once. */
static ts_err set_synchronous(struct sqlite_store *s, bool full)
{
	if (sqlite3_exec(s->db, full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK)
		return ts_sq_failed(s, full ? "synchronous_full" : "synchronous_normal");
	return TS_ERR_OK;
}

ts_err ts_sq_begin(struct sqlite_store *s, bool durable)
{
	ts_err err;

	if (durable && (err = set_synchronous(s, true)) != TS_ERR_OK)
		return err;
	if ((err = ts_sq_done(s, ST_BEGIN, "begin")) != TS_ERR_OK && durable)
		set_synchronous(s, false);
	return err;
}

ts_err ts_sq_end(struct sqlite_store *s, ts_err result, bool commit, bool durable)
{
	if (commit && ts_sq_done(s, ST_COMMIT, "commit") != TS_ERR_OK)
		result = TS_ERR_STORE_QUERY;
	/* A failed COMMIT (SQLITE_BUSY, I/O) may leave the transaction open. */
	if (!sqlite3_get_autocommit(s->db))
		ts_sq_done(s, ST_ROLLBACK, "rollback");
	/* Failing to go back to NORMAL only costs speed; it is logged. */
	if (durable)
		set_synchronous(s, false);
	return result;
}

ts_err ts_sq_check_text(const char *text, size_t max, size_t *len)
{
	size_t n;

	if (text == NULL || *text == '\0')
		return TS_ERR_INVALID_ARGUMENT;
	if ((n = strnlen(text, max + 1)) > max)
		return TS_ERR_TOO_LARGE;
	if (len != NULL)
		*len = n;
	return TS_ERR_OK;
}

void ts_sq_bind_text(sqlite3_stmt *st, int i, const char *text, size_t len)
{
	/* Every caller checked len: at most INT32_MAX, most far less. */
	sqlite3_bind_text(st, i, text, (int)len, SQLITE_TRANSIENT);
}

char *ts_sq_column_dup(sqlite3_stmt *st, int col, size_t *len)
{
	const unsigned char *text = sqlite3_column_text(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *copy = malloc(n + 1);

	if (copy == NULL)
		return NULL;
	if (n > 0 && text != NULL)
		memcpy(copy, text, n);
	else
		n = 0;
	copy[n] = '\0';
	if (len != NULL)
		*len = n;
	return copy;
}

ts_err ts_sq_revoke_in(struct sqlite_store *s, const struct ts_revocation *rev)
{
	enum stmt_id id = rev->kind == TS_REVOKE_JTI ? ST_REVOKE_JTI : ST_REVOKE_USER;
	sqlite3_stmt *st = s->stmt[id];

	if (rev->key == NULL || rev->key_len == 0 || rev->key_len > INT32_MAX)
		return TS_ERR_INVALID_ARGUMENT;
	ts_sq_bind_text(st, 1, rev->key, rev->key_len);
	if (rev->kind == TS_REVOKE_JTI) {
		sqlite3_bind_int64(st, 2, rev->expires_at);
	} else {
		sqlite3_bind_int64(st, 2, rev->before);
		sqlite3_bind_int64(st, 3, rev->expires_at);
	}
	return ts_sq_done(s, id, rev->kind == TS_REVOKE_JTI ? "revoke_jti" : "revoke_user");
}

static ts_err sqlite_revoke(void *impl, const struct ts_revocation *rev)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	/* Durable: a revocation lost to a power cut would bring a ticket back. */
	if ((err = ts_sq_begin(s, true)) == TS_ERR_OK) {
		err = ts_sq_revoke_in(s, rev);
		err = ts_sq_end(s, err, err == TS_ERR_OK, true);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* Walks one SELECT; user rows have a before column between key and expiry. */
static ts_err each_rows(struct sqlite_store *s, sqlite3_stmt *st, enum ts_revocation_kind kind,
			ts_time now, ts_revocation_visit visit, void *arg)
{
	ts_err err = TS_ERR_OK;
	int rc;

	sqlite3_bind_int64(st, 1, now);
	while (err == TS_ERR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ts_revocation rev = {.kind = kind};
		rev.key = (const char *)sqlite3_column_text(st, 0);
		rev.key_len = (size_t)sqlite3_column_bytes(st, 0);
		if (kind == TS_REVOKE_USER) {
			rev.before = sqlite3_column_int64(st, 1);
			rev.expires_at = sqlite3_column_int64(st, 2);
		} else {
			rev.expires_at = sqlite3_column_int64(st, 1);
		}
		if (rev.key == NULL)
			continue; /* NOT NULL in the schema; a NULL is a damaged row */
		err = visit(arg, &rev);
	}
	if (err == TS_ERR_OK && rc != SQLITE_DONE)
		err = ts_sq_failed(s, "revocations_each");
	ts_sq_reset(st);
	return err;
}

static ts_err sqlite_revocations_each(void *impl, ts_time now, ts_revocation_visit visit,
				      void *arg)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	err = each_rows(s, s->stmt[ST_EACH_JTI], TS_REVOKE_JTI, now, visit, arg);
	if (err == TS_ERR_OK)
		err = each_rows(s, s->stmt[ST_EACH_USER], TS_REVOKE_USER, now, visit, arg);
	pthread_mutex_unlock(&s->lock);
	return err;
}

ts_err ts_sq_prune_chunk(struct sqlite_store *s, enum stmt_id id, ts_time now, const char *what,
			sqlite3_int64 *n)
{
	ts_err err;

	*n = 0;
	sqlite3_bind_int64(s->stmt[id], 1, now);
	sqlite3_bind_int64(s->stmt[id], 2, TS_SQ_PRUNE_CHUNK);
	if ((err = ts_sq_done(s, id, what)) == TS_ERR_OK)
		*n = sqlite3_changes64(s->db);
	return err;
}

/* Runs one prune DELETE until nothing is left to take, a chunk per
 * transaction with the store free between chunks: a
 * backlog of a flood's expired requests goes in many short writes, not one
 * that holds every sign-in back for seconds. Adds what went to *count. */
static ts_err prune_all(struct sqlite_store *s, enum stmt_id id, ts_time now, const char *what,
			uint64_t *count)
{
	sqlite3_int64 n = 0;
	ts_err err;

	do {
		pthread_mutex_lock(&s->lock);
		if ((err = ts_sq_begin(s, false)) == TS_ERR_OK) {
			err = ts_sq_prune_chunk(s, id, now, what, &n);
			err = ts_sq_end(s, err, err == TS_ERR_OK, false);
		}
		pthread_mutex_unlock(&s->lock);
		if (err == TS_ERR_OK)
			*count += (uint64_t)n;
	} while (err == TS_ERR_OK && n == TS_SQ_PRUNE_CHUNK);
	return err;
}

static ts_err sqlite_revocations_prune(void *impl, ts_time now)
{
	uint64_t n = 0;
	ts_err err = prune_all(impl, ST_PRUNE_JTI, now, "prune_jti", &n);

	return err == TS_ERR_OK ? prune_all(impl, ST_PRUNE_USER, now, "prune_user", &n) : err;
}

static ts_err sqlite_write_check(void *impl)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	if (ts_monotonic_ms() < s->write_check_due_ms) {
		err = s->write_check_result;
		goto out;
	}
	sqlite3_busy_timeout(s->db, WRITE_CHECK_BUSY_MS);
	if ((err = ts_sq_begin(s, false)) == TS_ERR_OK) {
		err = ts_sq_done(s, ST_WRITE_CHECK, "write_check");
		err = ts_sq_end(s, err, err == TS_ERR_OK, false);
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	s->write_check_due_ms = ts_monotonic_ms() + WRITE_CHECK_INTERVAL_MS;
	s->write_check_result = err;
out:
	pthread_mutex_unlock(&s->lock);
	return err;
}

static void sqlite_close(void *impl)
{
	struct sqlite_store *s = impl;

	if (s == NULL)
		return;
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Creates the schema in an empty database, upgrades an older one, or refuses
 * a newer one; all in one write transaction, so two processes opening the
 * same file never both migrate, and a failed step leaves the old version
 * intact. */
static ts_err schema_ensure(struct sqlite_store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 version = 0, from;
	char shown[24];
	ts_err err = TS_ERR_STORE_SCHEMA;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	/* No version table: a new database (or not ours: the CREATEs fail). An
	 * empty one is damaged: refused like an unknown version. */
	if (sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL) ==
	    SQLITE_OK)
		version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if ((st != NULL && version < 1) || version > SCHEMA_VERSION) {
		snprintf(shown, sizeof shown, "%lld", (long long)version);
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "version", shown,
			     "want", STR(SCHEMA_VERSION));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	for (from = version; version < SCHEMA_VERSION; version++)
		if (sqlite3_exec(s->db, migrations[version], NULL, NULL, NULL) != SQLITE_OK)
			goto failed;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto failed;
	if (from > 0 && from < SCHEMA_VERSION) {
		snprintf(shown, sizeof shown, "%lld", (long long)from);
		ts_log(TS_LOG_INFO, "store_schema_upgraded", "path", path, "from", shown, "to",
		       STR(SCHEMA_VERSION));
	}
	err = TS_ERR_OK;
	goto out;
failed:
	ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
		     sqlite3_errmsg(s->db));
out:
	sqlite3_finalize(st);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

static ts_err sqlite_prune(void *impl, ts_time now, struct ts_store_prune_counts *counts)
{
	struct sqlite_store *s = impl;
	struct ts_store_prune_counts c = {0};
	/* Ticket records before sessions: their DELETE reads which sessions
	 * expired. */
	const struct {
		enum stmt_id id;
		const char *what;
		uint64_t *count;
	} steps[] = {
		{ST_PRUNE_REQUEST, "prune_requests", &c.requests},
		{ST_REPLAY_SWEEP, "prune_replay", &c.replay},
		{ST_PRUNE_CODE, "prune_codes", &c.codes},
		{ST_PRUNE_SESSION_TICKET, "prune_session_tickets", &c.session_tickets},
		{ST_PRUNE_SESSION, "prune_sessions", &c.sessions},
		{ST_PRUNE_JTI, "prune_jti", &c.revocations},
		{ST_PRUNE_USER, "prune_user", &c.revocations},
	};
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; err == TS_ERR_OK && i < sizeof steps / sizeof steps[0]; i++)
		err = prune_all(s, steps[i].id, now, steps[i].what, steps[i].count);
	if (counts != NULL)
		*counts = c;
	return err;
}

ts_err ts_store_sqlite_open_limits(const char *path, const struct ts_store_limits *limits,
				   struct ts_store **out)
{
	struct sqlite_store *s = NULL;
	struct ts_store *store = NULL;
	ts_err err = TS_ERR_INVALID_ARGUMENT;

	*out = NULL;
	if (limits != NULL &&
	    (limits->replay_cache_entries == 0 || limits->outstanding_requests == 0))
		goto out;
	err = TS_ERR_NOMEM;
	if ((s = calloc(1, sizeof *s)) == NULL)
		goto out;
	pthread_mutex_init(&s->lock, NULL);
	s->replay_max =
		limits != NULL ? limits->replay_cache_entries : TS_STORE_REPLAY_ENTRIES_DEFAULT;
	s->requests_max =
		limits != NULL ? limits->outstanding_requests : TS_STORE_REQUESTS_DEFAULT;
	if ((store = calloc(1, sizeof *store)) == NULL)
		goto out;
	err = TS_ERR_STORE_OPEN;
	/* Created 0600 before SQLite sees it (its -wal and -shm files copy the
	 * mode): the store holds sessions and replay state. */
	if (strcmp(path, ":memory:") != 0 && ts_file_create_private(path) != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
			     strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
			     s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* See the top of this file for NORMAL, and which writes go FULL.
	 * Checkpoints every CHECKPOINT_PAGES WAL pages instead of SQLite's
	 * 1000: a checkpoint syncs the WAL and the database (two fdatasyncs,
	 * from ms to tens of ms here under load) in whichever request commits
	 * past the mark, with the store lock held. Every sign-in writes a few pages,
	 * so at 1000 that was one stall per ~300 sign-ins and, amortised, more
	 * than the writes themselves; at 10000 the syncs are ten times rarer
	 * and a page rewritten many times between checkpoints (an index's
	 * last leaf) is copied back once. The WAL grows to ~40 MB with 4 KiB
	 * pages; a kill -9 loses nothing either way.
	 * temp_store=MEMORY: a savepoint's journal (a batch of sign-ins keeps
	 * one per sign-in, sqlite_complete.c) is then memory, not writes to a
	 * temporary file; it only ever holds the pages of one sign-in. */
	if (sqlite3_exec(s->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 " PRAGMA temp_store=MEMORY;"
			 " PRAGMA wal_autocheckpoint=" STR(CHECKPOINT_PAGES) ";",
			 NULL, NULL, NULL) != SQLITE_OK) {
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
			     sqlite3_errmsg(s->db));
		goto out;
	}
	if ((err = schema_ensure(s, path)) != TS_ERR_OK)
		goto out;
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[i], NULL) != SQLITE_OK) {
			err = ts_sq_failed(s, stmt_sql[i]);
			goto out;
		}
	}
	store->revoke = sqlite_revoke;
	store->revocations_each = sqlite_revocations_each;
	store->revocations_prune = sqlite_revocations_prune;
	store->prune = sqlite_prune;
	store->write_check = sqlite_write_check;
	ts_sq_signin_bind(store);
	ts_sq_session_bind(store);
	ts_sq_complete_bind(store);
	store->close = sqlite_close;
	store->impl = s;
	*out = store;
	store = NULL;
	s = NULL;
	err = TS_ERR_OK;
out:
	sqlite_close(s);
	free(store);
	return err;
}

ts_err ts_store_sqlite_open(const char *path, struct ts_store **out)
{
	return ts_store_sqlite_open_limits(path, NULL, out);
}
