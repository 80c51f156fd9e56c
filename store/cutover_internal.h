/* Private to store/cutover*.c: the cutover connection and the helpers its
 * files share. One file per job: cutover_sqlite.c (open, schema,
 * transactions), cutover_stage.c (stages, journal, rollback),
 * cutover_except.c (exceptions in the store), cutover_match.c (pure
 * matching and names), cutover_usage.c (legacy use, plan, report),
 * cutover_ticket.c (pool tickets and CertProv records). */
#ifndef TS_STORE_CUTOVER_INTERNAL_H
#define TS_STORE_CUTOVER_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "tessera/cutover.h"

struct ts_cutover {
	sqlite3 *db;
	/* Recursive: a stage check runs inside ts_cutover_set's transaction
	 * and reads (ts_cutover_plan) through the same connection. */
	pthread_mutex_t lock;
	size_t ticket_max;
	char *path;
};

/* Logs the connection's last error (what = the operation) and returns STORE_QUERY. */
ts_err ts_co_failed(struct ts_cutover *c, const char *what);
/* Prepares sql; STORE_QUERY (logged) on failure. */
ts_err ts_co_prepare(struct ts_cutover *c, const char *sql, sqlite3_stmt **st);
/* Steps st to SQLITE_DONE; STORE_QUERY (logged) otherwise. Resets st. */
ts_err ts_co_done(struct ts_cutover *c, sqlite3_stmt *st, const char *what);
/* BEGIN IMMEDIATE: the write lock first, so a read-then-write never has
 * to upgrade (which could fail with SQLITE_BUSY half-way). */
ts_err ts_co_begin_write(struct ts_cutover *c);
/* Commits when result is OK, otherwise rolls back; returns the outcome. */
ts_err ts_co_end(struct ts_cutover *c, ts_err result);
/* A read snapshot that also works inside a write transaction. */
ts_err ts_co_read_begin(struct ts_cutover *c);
void ts_co_read_end(struct ts_cutover *c);
/* Moves the generation brokers poll (inside a write transaction). */
ts_err ts_co_bump_generation(struct ts_cutover *c);

/* NULL or empty: INVALID_ARGUMENT; longer than max: TOO_LARGE. */
ts_err ts_co_check_text(const char *text, size_t max);
/* A copy of column col as a NUL-terminated string ("" for NULL); NULL on OOM. */
char *ts_co_column_dup(sqlite3_stmt *st, int col);
void ts_co_bind(sqlite3_stmt *st, int i, const char *text);

/* The exception rows of the pool (NULL: all) in a read transaction. */
ts_err ts_co_exceptions_read(struct ts_cutover *c, const char *pool, bool include_expired,
			     ts_time now, struct ts_cutover_exceptions *out);

#endif
