/* Pool stages: read, change with a version check, journal, roll back.
 * Each change is one transaction holding the write lock from its first
 * read (BEGIN IMMEDIATE): the version compared is the version replaced, and
 * a crash leaves the stage rows and the journal in step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover_internal.h"
#include "tessera/log.h"

void ts_pool_stage_clear(struct ts_pool_stage *s)
{
	if (s == NULL)
		return;
	free(s->pool);
	free(s->by);
	free(s->reason);
	memset(s, 0, sizeof *s);
}

void ts_journal_clear(struct ts_journal *j)
{
	for (size_t i = 0; j != NULL && i < j->n; i++) {
		free(j->items[i].pool);
		free(j->items[i].by);
		free(j->items[i].reason);
	}
	if (j != NULL) {
		free(j->items);
		memset(j, 0, sizeof *j);
	}
}

void ts_cutover_state_clear(struct ts_cutover_state *s)
{
	struct ts_cutover_exceptions e;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		ts_pool_stage_clear(&s->stages[i]);
	free(s->stages);
	e.items = s->exceptions;
	e.n = s->n_exceptions;
	ts_cutover_exceptions_clear(&e);
	memset(s, 0, sizeof *s);
}

/* Reads one pool's row into out (already holding the pool name); a pool
 * without a row is at configured, version 0. */
static ts_err read_stage(struct ts_cutover *c, const char *pool, enum ts_stage configured,
			 struct ts_pool_stage *out)
{
	sqlite3_stmt *st = NULL;
	ts_err err;
	int rc;

	out->stage = configured;
	out->since = 0;
	out->version = 0;
	if ((err = ts_co_prepare(c,
				 "SELECT stage, since, changed_by, reason, version FROM cutover_stage"
				 " WHERE pool = ?1",
				 &st)) != TS_ERR_OK)
		return err;
	ts_co_bind(st, 1, pool);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (ts_stage_parse((const char *)sqlite3_column_text(st, 0), &out->stage) !=
		    TS_ERR_OK) {
			/* Written only by this file; anything else is damage. */
			err = TS_ERR_STORE_SCHEMA;
			ts_log_error(TS_LOG_ERR, "cutover_stage_unreadable", err, "pool", pool);
			goto out;
		}
		out->since = sqlite3_column_int64(st, 1);
		out->version = sqlite3_column_int64(st, 4);
		if ((out->by = ts_co_column_dup(st, 2)) == NULL ||
		    (out->reason = ts_co_column_dup(st, 3)) == NULL)
			err = TS_ERR_NOMEM;
	} else if (rc != SQLITE_DONE) {
		err = ts_co_failed(c, "stage_get");
	}
out:
	sqlite3_finalize(st);
	if (err == TS_ERR_OK && out->by == NULL &&
	    ((out->by = strdup("")) == NULL || (out->reason = strdup("")) == NULL))
		err = TS_ERR_NOMEM;
	return err;
}

ts_err ts_cutover_stage_get(struct ts_cutover *c, const char *pool, enum ts_stage configured,
			    struct ts_pool_stage *out)
{
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((err = ts_co_check_text(pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	if ((out->pool = strdup(pool)) == NULL)
		return TS_ERR_NOMEM;
	pthread_mutex_lock(&c->lock);
	err = read_stage(c, pool, configured, out);
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		ts_pool_stage_clear(out);
	return err;
}

ts_err ts_cutover_state_read(struct ts_cutover *c, const char *const *pools,
			     const enum ts_stage *configured, size_t n, ts_time now,
			     struct ts_cutover_state *out)
{
	struct ts_cutover_exceptions ex = {0};
	sqlite3_stmt *st = NULL;
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((out->stages = calloc(n + 1, sizeof *out->stages)) == NULL)
		return TS_ERR_NOMEM;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_read_begin(c)) != TS_ERR_OK)
		goto unlock;
	for (size_t i = 0; err == TS_ERR_OK && i < n; i++) {
		out->n++;
		if ((out->stages[i].pool = strdup(pools[i])) == NULL)
			err = TS_ERR_NOMEM;
		else
			err = read_stage(c, pools[i], configured[i], &out->stages[i]);
	}
	if (err == TS_ERR_OK)
		err = ts_co_exceptions_read(c, NULL, false, now, &ex);
	if (err == TS_ERR_OK &&
	    (err = ts_co_prepare(c, "SELECT generation FROM cutover_meta", &st)) == TS_ERR_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			out->generation = sqlite3_column_int64(st, 0);
		else
			err = ts_co_failed(c, "generation");
	}
	sqlite3_finalize(st);
	ts_co_read_end(c);
unlock:
	pthread_mutex_unlock(&c->lock);
	out->exceptions = ex.items;
	out->n_exceptions = ex.n;
	if (err != TS_ERR_OK)
		ts_cutover_state_clear(out);
	return err;
}

static ts_err write_change(struct ts_cutover *c, const char *pool, enum ts_stage from,
			   enum ts_stage to, int64_t version, const struct ts_change_meta *meta,
			   bool rollback)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	if ((err = ts_co_prepare(c,
				 "INSERT INTO cutover_stage (pool, stage, since, changed_by, reason,"
				 " version) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (pool) DO"
				 " UPDATE SET stage = excluded.stage, since = excluded.since,"
				 " changed_by = excluded.changed_by, reason = excluded.reason,"
				 " version = excluded.version",
				 &st)) != TS_ERR_OK)
		return err;
	ts_co_bind(st, 1, pool);
	ts_co_bind(st, 2, ts_stage_name(to));
	sqlite3_bind_int64(st, 3, meta->now);
	ts_co_bind(st, 4, meta->by);
	ts_co_bind(st, 5, meta->reason);
	sqlite3_bind_int64(st, 6, version);
	err = ts_co_done(c, st, "stage_put");
	sqlite3_finalize(st);
	if (err != TS_ERR_OK)
		return err;
	if ((err = ts_co_prepare(c,
				 "INSERT INTO cutover_journal (pool, at, changed_by, from_stage,"
				 " to_stage, version, reason, forced, rollback)"
				 " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
				 &st)) != TS_ERR_OK)
		return err;
	ts_co_bind(st, 1, pool);
	sqlite3_bind_int64(st, 2, meta->now);
	ts_co_bind(st, 3, meta->by);
	ts_co_bind(st, 4, ts_stage_name(from));
	ts_co_bind(st, 5, ts_stage_name(to));
	sqlite3_bind_int64(st, 6, version);
	ts_co_bind(st, 7, meta->reason);
	sqlite3_bind_int(st, 8, meta->forced);
	sqlite3_bind_int(st, 9, rollback);
	err = ts_co_done(c, st, "journal_add");
	sqlite3_finalize(st);
	return err;
}

static ts_err check_meta(const struct ts_change_meta *meta)
{
	ts_err err;

	if (meta == NULL)
		return TS_ERR_INVALID_ARGUMENT;
	if ((err = ts_co_check_text(meta->by, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	return ts_co_check_text(meta->reason, TS_CUTOVER_REASON_MAX);
}

static void log_change(const char *event, const char *pool, enum ts_stage from,
		       enum ts_stage to, int64_t version, const struct ts_change_meta *meta)
{
	char v[24];

	snprintf(v, sizeof v, "%lld", (long long)version);
	ts_log(TS_LOG_INFO, event, "pool", pool, "from", ts_stage_name(from), "to",
	       ts_stage_name(to), "version", v, "by", meta->by, "forced",
	       meta->forced ? "yes" : "no", "reason", meta->reason);
}

static void log_refused(ts_err err, const char *pool, int64_t expected, int64_t found,
			const struct ts_change_meta *meta)
{
	char e[24], f[24];

	snprintf(e, sizeof e, "%lld", (long long)expected);
	snprintf(f, sizeof f, "%lld", (long long)found);
	ts_log_error(TS_LOG_WARN, "cutover_change_refused", err, "pool", pool, "read_version", e,
		     "store_version", f, "by", meta->by);
}

/* One pool inside the open transaction: compare, check, write. */
static ts_err change_one(struct ts_cutover *c, const struct ts_stage_change *ch,
			 const struct ts_change_meta *meta, ts_stage_check check, void *arg,
			 bool rollback, enum ts_stage *from_out)
{
	struct ts_pool_stage cur = {0};
	ts_err err;

	if ((err = ts_co_check_text(ch->pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	if ((unsigned)ch->to > TS_STAGE_PASSIVE)
		return TS_ERR_CUTOVER_STAGE;
	if ((err = read_stage(c, ch->pool, ch->configured, &cur)) != TS_ERR_OK)
		goto out;
	*from_out = cur.stage;
	if (cur.version != ch->expected_version) {
		err = TS_ERR_CUTOVER_CONFLICT;
		log_refused(err, ch->pool, ch->expected_version, cur.version, meta);
		goto out;
	}
	if (check != NULL && (err = check(arg, c, ch->pool, cur.stage, ch->to)) != TS_ERR_OK) {
		log_refused(err, ch->pool, ch->expected_version, cur.version, meta);
		goto out;
	}
	err = write_change(c, ch->pool, cur.stage, ch->to, cur.version + 1, meta, rollback);
out:
	ts_pool_stage_clear(&cur);
	return err;
}

ts_err ts_cutover_set(struct ts_cutover *c, const struct ts_stage_change *changes, size_t n,
		      const struct ts_change_meta *meta, ts_stage_check check, void *check_arg,
		      const char **failed_pool)
{
	enum ts_stage *from = NULL;
	size_t i = 0;
	ts_err err;

	if (failed_pool != NULL)
		*failed_pool = NULL;
	if (n == 0 || (err = check_meta(meta)) != TS_ERR_OK)
		return n == 0 ? TS_ERR_INVALID_ARGUMENT : err;
	if ((from = calloc(n, sizeof *from)) == NULL)
		return TS_ERR_NOMEM;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	for (; err == TS_ERR_OK && i < n; i++)
		err = change_one(c, &changes[i], meta, check, check_arg, false, &from[i]);
	if (err == TS_ERR_OK)
		err = ts_co_bump_generation(c);
	else if (failed_pool != NULL)
		*failed_pool = changes[i - 1].pool;
	err = ts_co_end(c, err);
unlock:
	pthread_mutex_unlock(&c->lock);
	/* Logged once committed: a line never tells of a change that was undone. */
	for (size_t j = 0; err == TS_ERR_OK && j < n; j++)
		log_change("cutover_stage_changed", changes[j].pool, from[j], changes[j].to,
			   changes[j].expected_version + 1, meta);
	free(from);
	return err;
}

/* The stage the pool's last change started from. */
static ts_err last_from(struct ts_cutover *c, const char *pool, enum ts_stage *out)
{
	sqlite3_stmt *st = NULL;
	ts_err err;
	int rc;

	if ((err = ts_co_prepare(c,
				 "SELECT from_stage FROM cutover_journal WHERE pool = ?1"
				 " ORDER BY id DESC LIMIT 1",
				 &st)) != TS_ERR_OK)
		return err;
	ts_co_bind(st, 1, pool);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		err = ts_stage_parse((const char *)sqlite3_column_text(st, 0), out) == TS_ERR_OK
			      ? TS_ERR_OK
			      : TS_ERR_STORE_SCHEMA;
	else
		err = rc == SQLITE_DONE ? TS_ERR_CUTOVER_NO_HISTORY : ts_co_failed(c, "rollback");
	sqlite3_finalize(st);
	return err;
}

ts_err ts_cutover_rollback(struct ts_cutover *c, const char *pool, enum ts_stage configured,
			   int64_t expected_version, const struct ts_change_meta *meta,
			   ts_stage_check check, void *check_arg, enum ts_stage *to)
{
	struct ts_stage_change ch = {pool, configured, expected_version, TS_STAGE_LEGACY};
	enum ts_stage from = configured;
	ts_err err;

	if ((err = check_meta(meta)) != TS_ERR_OK ||
	    (err = ts_co_check_text(pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	if ((err = last_from(c, pool, &ch.to)) == TS_ERR_OK)
		err = change_one(c, &ch, meta, check, check_arg, true, &from);
	if (err == TS_ERR_OK)
		err = ts_co_bump_generation(c);
	err = ts_co_end(c, err);
unlock:
	pthread_mutex_unlock(&c->lock);
	if (err == TS_ERR_OK) {
		log_change("cutover_stage_rolled_back", pool, from, ch.to, expected_version + 1,
			   meta);
		if (to != NULL)
			*to = ch.to;
	} else if (err == TS_ERR_CUTOVER_NO_HISTORY) {
		ts_log_error(TS_LOG_WARN, "cutover_change_refused", err, "pool", pool, "by",
			     meta->by);
	}
	return err;
}

ts_err ts_cutover_history(struct ts_cutover *c, const char *pool, struct ts_journal *out)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_prepare(c,
				 "SELECT id, pool, at, changed_by, from_stage, to_stage, version,"
				 " reason, forced, rollback FROM cutover_journal"
				 " WHERE ?1 IS NULL OR pool = ?1 ORDER BY id",
				 &st)) != TS_ERR_OK)
		goto out;
	if (pool != NULL)
		ts_co_bind(st, 1, pool);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ts_journal_entry *e;

		if (out->n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			void *p = realloc(out->items, ncap * sizeof *out->items);
			if (p == NULL) {
				err = TS_ERR_NOMEM;
				goto out;
			}
			out->items = p;
			cap = ncap;
		}
		e = &out->items[out->n++];
		memset(e, 0, sizeof *e);
		e->id = sqlite3_column_int64(st, 0);
		e->at = sqlite3_column_int64(st, 2);
		e->version = sqlite3_column_int64(st, 6);
		e->forced = sqlite3_column_int(st, 8) != 0;
		e->rollback = sqlite3_column_int(st, 9) != 0;
		if (ts_stage_parse((const char *)sqlite3_column_text(st, 4), &e->from) !=
			    TS_ERR_OK ||
		    ts_stage_parse((const char *)sqlite3_column_text(st, 5), &e->to) != TS_ERR_OK) {
			err = TS_ERR_STORE_SCHEMA;
			goto out;
		}
		if ((e->pool = ts_co_column_dup(st, 1)) == NULL ||
		    (e->by = ts_co_column_dup(st, 3)) == NULL ||
		    (e->reason = ts_co_column_dup(st, 7)) == NULL) {
			err = TS_ERR_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = ts_co_failed(c, "history");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		ts_journal_clear(out);
	return err;
}
