/* SQLite backend of the state store: WAL journal (readers never wait for the
 * writer, and a kill -9 loses nothing committed), prepared statements made
 * once, a schema_version table so a newer schema is refused, not misread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/log.h"
#include "tessera/store.h"

#define SCHEMA_VERSION 1

static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE revoked_jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
	"CREATE TABLE revoked_user (sub TEXT PRIMARY KEY, before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX revoked_jti_expires ON revoked_jti (expires_at);"
	"CREATE INDEX revoked_user_expires ON revoked_user (expires_at);"
	"INSERT INTO schema_version (version) VALUES (1);";

enum stmt_id {
	ST_REVOKE_JTI,
	ST_REVOKE_USER,
	ST_EACH_JTI,
	ST_EACH_USER,
	ST_PRUNE_JTI,
	ST_PRUNE_USER,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_REVOKE_JTI] = "INSERT INTO revoked_jti (jti, expires_at) VALUES (?1, ?2)"
			  " ON CONFLICT (jti) DO UPDATE SET"
			  " expires_at = max(expires_at, excluded.expires_at)",
	[ST_REVOKE_USER] = "INSERT INTO revoked_user (sub, before, expires_at) VALUES (?1, ?2, ?3)"
			   " ON CONFLICT (sub) DO UPDATE SET before = max(before, excluded.before),"
			   " expires_at = max(expires_at, excluded.expires_at)",
	[ST_EACH_JTI] = "SELECT jti, expires_at FROM revoked_jti WHERE expires_at > ?1",
	[ST_EACH_USER] = "SELECT sub, before, expires_at FROM revoked_user WHERE expires_at > ?1",
	[ST_PRUNE_JTI] = "DELETE FROM revoked_jti WHERE expires_at <= ?1",
	[ST_PRUNE_USER] = "DELETE FROM revoked_user WHERE expires_at <= ?1",
};

struct sqlite_store {
	sqlite3 *db;
	/* A prepared statement is not shareable between threads mid-step. */
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[ST__COUNT];
};

static ts_err query_failed(struct sqlite_store *s, const char *what)
{
	ts_log_error(TS_LOG_ERR, "store_query_failed", TS_ERR_STORE_QUERY, "backend", "sqlite",
		     "query", what, "reason", sqlite3_errmsg(s->db));
	return TS_ERR_STORE_QUERY;
}

/* Runs a prepared statement that returns no rows, then resets it. */
static ts_err step_done(struct sqlite_store *s, sqlite3_stmt *st, const char *what)
{
	ts_err err = sqlite3_step(st) == SQLITE_DONE ? TS_ERR_OK : query_failed(s, what);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return err;
}

static ts_err sqlite_revoke(void *impl, const struct ts_revocation *rev)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st;
	ts_err err;

	if (rev->key_len == 0 || rev->key_len > INT32_MAX)
		return TS_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&s->lock);
	if (rev->kind == TS_REVOKE_JTI) {
		st = s->stmt[ST_REVOKE_JTI];
		sqlite3_bind_text(st, 1, rev->key, (int)rev->key_len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, rev->expires_at);
		err = step_done(s, st, "revoke_jti");
	} else {
		st = s->stmt[ST_REVOKE_USER];
		sqlite3_bind_text(st, 1, rev->key, (int)rev->key_len, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, rev->before);
		sqlite3_bind_int64(st, 3, rev->expires_at);
		err = step_done(s, st, "revoke_user");
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
		err = query_failed(s, "revocations_each");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
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

static ts_err sqlite_revocations_prune(void *impl, ts_time now)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_int64(s->stmt[ST_PRUNE_JTI], 1, now);
	err = step_done(s, s->stmt[ST_PRUNE_JTI], "prune_jti");
	if (err == TS_ERR_OK) {
		sqlite3_bind_int64(s->stmt[ST_PRUNE_USER], 1, now);
		err = step_done(s, s->stmt[ST_PRUNE_USER], "prune_user");
	}
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

/* Creates the schema in an empty database, or checks the version of an
 * existing one. */
static ts_err schema_ensure(struct sqlite_store *s, const char *path)
{
	sqlite3_stmt *st = NULL;
	char version[16];
	ts_err err = TS_ERR_OK;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "SELECT version FROM schema_version", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		/* No version table: a new database (or not ours: the CREATEs fail). */
		if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			ts_log_error(TS_LOG_ERR, "store_open_failed", TS_ERR_STORE_SCHEMA, "path",
				     path, "reason", sqlite3_errmsg(s->db));
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			err = TS_ERR_STORE_SCHEMA;
		}
		goto out;
	}
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) != SCHEMA_VERSION) {
		snprintf(version, sizeof version, "%lld", (long long)sqlite3_column_int64(st, 0));
		ts_log_error(TS_LOG_ERR, "store_open_failed", TS_ERR_STORE_SCHEMA, "path", path,
			     "version", version, "want", "1");
		err = TS_ERR_STORE_SCHEMA;
	}
out:
	sqlite3_finalize(st);
	return err;
}

ts_err ts_store_sqlite_open(const char *path, struct ts_store **out)
{
	struct sqlite_store *s = NULL;
	struct ts_store *store = NULL;
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		goto out;
	pthread_mutex_init(&s->lock, NULL);
	if ((store = calloc(1, sizeof *store)) == NULL)
		goto out;
	err = TS_ERR_STORE_OPEN;
	/* Created 0600 before SQLite sees it (its -wal and -shm files copy the
	 * mode): the store will hold sessions and replay state, not only
	 * revocations. */
	if (strcmp(path, ":memory:") != 0) {
		int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
				     strerror(errno));
			goto out;
		}
		close(fd);
	}
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
			     s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(s->db, 5000);
	/* WAL: readers do not block the writer; NORMAL sync is crash-safe in WAL
	 * (a power cut may lose the last commits, a killed process loses none). */
	if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL,
			 NULL, NULL) != SQLITE_OK) {
		ts_log_error(TS_LOG_ERR, "store_open_failed", err, "path", path, "reason",
			     sqlite3_errmsg(s->db));
		goto out;
	}
	if ((err = schema_ensure(s, path)) != TS_ERR_OK)
		goto out;
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->stmt[i], NULL) != SQLITE_OK) {
			err = query_failed(s, stmt_sql[i]);
			goto out;
		}
	}
	store->revoke = sqlite_revoke;
	store->revocations_each = sqlite_revocations_each;
	store->revocations_prune = sqlite_revocations_prune;
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
