/* Private to store/sqlite*.c: the connection, its prepared statements and
 * the transaction helpers every operation uses. One file per job:
 * sqlite.c (open, schema, revocations, prune), sqlite_signin.c (requests,
 * replay cache, codes), sqlite_session.c (SSO sessions), sqlite_complete.c
 * (what a completed sign-in writes, in one transaction). */
#ifndef TS_STORE_SQLITE_INTERNAL_H
#define TS_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "tessera/store.h"

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_REVOKE_JTI,
	ST_REVOKE_USER,
	ST_EACH_JTI,
	ST_EACH_USER,
	ST_PRUNE_JTI,
	ST_PRUNE_USER,
	ST_REQUEST_PUT,
	ST_REQUEST_TAKE,
	ST_REQUEST_GET,
	ST_PRUNE_REQUEST,
	ST_REQUEST_COUNT,
	ST_REQUEST_COUNT_ADD,
	ST_REPLAY_FIND,
	ST_REPLAY_RENEW,
	ST_REPLAY_INSERT,
	ST_REPLAY_COUNT,
	ST_REPLAY_SWEEP,
	ST_CODE_PUT,
	ST_CODE_TAKE,
	ST_PRUNE_CODE,
	ST_SESSION_PUT,
	ST_SESSION_GET,
	ST_SESSION_DELETE,
	ST_SESSION_TICKETS_DELETE,
	ST_SESSION_TICKET_ADD,
	ST_SESSION_TICKETS_EACH,
	ST_PRUNE_SESSION_TICKET,
	ST_PRUNE_SESSION,
	ST_WRITE_CHECK,
	ST__COUNT
};

struct sqlite_store {
	sqlite3 *db;
	/* One connection: a prepared statement is not shareable between
	 * threads mid-step, and a transaction belongs to the connection. */
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[ST__COUNT];
	size_t replay_max;
	size_t requests_max;
	/* When the next write check is due (ts_monotonic_ms), and the last
	 * one's answer. */
	int64_t write_check_due_ms;
	ts_err write_check_result;
};

/* Logs the connection's last error and returns STORE_QUERY. */
ts_err ts_sq_failed(struct sqlite_store *s, const char *what);
/* Steps st to its end (no rows wanted), resets it and clears its bindings. */
ts_err ts_sq_done(struct sqlite_store *s, enum stmt_id id, const char *what);
/* Resets st and clears its bindings after a walk over its rows. */
void ts_sq_reset(sqlite3_stmt *st);

/* A write of more than one statement, or a durable one, runs between these
 * (a single statement is its own transaction). BEGIN IMMEDIATE takes the
 * write lock up front: no lock upgrade to deadlock on with another process.
 * durable: the commit syncs the WAL (synchronous=FULL), for what must
 * survive a power cut, not only a killed process. */
ts_err ts_sq_begin(struct sqlite_store *s, bool durable);
/* COMMIT when commit is true, else ROLLBACK; back to synchronous=NORMAL
 * after a durable transaction. Returns result, or STORE_QUERY when the
 * COMMIT failed (the transaction is then rolled back). */
ts_err ts_sq_end(struct sqlite_store *s, ts_err result, bool commit, bool durable);

/* Rows one prune or sweep DELETE takes at most (the ST_PRUNE_* and
 * ST_REPLAY_SWEEP statements' ?2). */
#define TS_SQ_PRUNE_CHUNK 1000
/* One such DELETE of rows expired at now, inside the caller's transaction;
 * *n is set to how many went. */
ts_err ts_sq_prune_chunk(struct sqlite_store *s, enum stmt_id id, ts_time now, const char *what,
			sqlite3_int64 *n);

/* The single writes, inside the caller's transaction (and lock): each
 * checks its input first, as the store operation of the same name does. */
ts_err ts_sq_replay_claim_in(struct sqlite_store *s, const char *key, ts_time expires_at,
			     ts_time now);
ts_err ts_sq_code_insert(struct sqlite_store *s, const char *code_hash, const char *payload,
			 size_t payload_len, ts_time expires_at);
ts_err ts_sq_session_insert(struct sqlite_store *s, const struct ts_sso_session *sess);
ts_err ts_sq_revoke_in(struct sqlite_store *s, const struct ts_revocation *rev);

/* Copies out the row a take deleted, and its expiry for the check. */
typedef ts_err (*ts_sq_take_copy)(sqlite3_stmt *st, void *out, ts_time *expires_at);
/* A single-use take inside the caller's transaction: the DELETE ...
 * RETURNING statement id for key, the row copied out by copy. Unknown:
 * STORE_NOT_FOUND; expires_at <= now: STORE_EXPIRED (the delete is done;
 * the caller commits it or not). */
ts_err ts_sq_take_in(struct sqlite_store *s, enum stmt_id id, const char *key, size_t key_len,
		     ts_time now, ts_sq_take_copy copy, void *out, const char *what);

/* NULL or empty: INVALID_ARGUMENT; longer than max bytes: TOO_LARGE. */
ts_err ts_sq_check_text(const char *text, size_t max, size_t *len);

/* Binds a text parameter of known length. */
void ts_sq_bind_text(sqlite3_stmt *st, int i, const char *text, size_t len);
/* A copy of column col as a NUL-terminated string, its length in *len (may
 * be NULL); NULL when out of memory. A NULL column copies as "". */
char *ts_sq_column_dup(sqlite3_stmt *st, int col, size_t *len);

/* Fill in the store's function pointers, each from its own file. */
void ts_sq_signin_bind(struct ts_store *store);
void ts_sq_session_bind(struct ts_store *store);
void ts_sq_complete_bind(struct ts_store *store);

#endif
