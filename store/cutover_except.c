/* Exceptions per pool in the store: add (validated), remove by ID, list.
 * Each change moves the generation so running brokers reload them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover_internal.h"
#include "tessera/log.h"

void ts_cutover_exceptions_clear(struct ts_cutover_exceptions *e)
{
	for (size_t i = 0; e != NULL && i < e->n; i++) {
		free(e->items[i].pool);
		free(e->items[i].value);
		free(e->items[i].reason);
		free(e->items[i].created_by);
	}
	if (e != NULL) {
		free(e->items);
		memset(e, 0, sizeof *e);
	}
}

static ts_err kind_parse(const char *text, enum ts_exception_kind *out)
{
	for (int k = TS_EXCEPT_USER; k <= TS_EXCEPT_CIDR; k++)
		if (text != NULL && strcmp(text, ts_exception_kind_name((enum ts_exception_kind)k)) == 0) {
			*out = (enum ts_exception_kind)k;
			return TS_ERR_OK;
		}
	return TS_ERR_CUTOVER_EXCEPTION_KIND;
}

/* The value as its kind requires; a CIDR is parsed into net. */
static ts_err check_value(enum ts_exception_kind kind, const char *value, struct ts_cidr *net)
{
	switch (kind) {
	case TS_EXCEPT_USER:
		return ts_co_check_text(value, TS_CUTOVER_NAME_MAX);
	case TS_EXCEPT_AGENT:
		return ts_agent_pattern_check(value);
	case TS_EXCEPT_CIDR:
		return ts_cidr_parse(value, net);
	}
	return TS_ERR_CUTOVER_EXCEPTION_KIND;
}

ts_err ts_co_exceptions_read(struct ts_cutover *c, const char *pool, bool include_expired,
			     ts_time now, struct ts_cutover_exceptions *out)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	if ((err = ts_co_prepare(c,
				 "SELECT id, pool, kind, value, until, reason, created_by, created_at"
				 " FROM cutover_exception WHERE (?1 IS NULL OR pool = ?1)"
				 " AND (?2 OR until > ?3) ORDER BY pool, id",
				 &st)) != TS_ERR_OK)
		return err;
	if (pool != NULL)
		ts_co_bind(st, 1, pool);
	sqlite3_bind_int(st, 2, include_expired);
	sqlite3_bind_int64(st, 3, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ts_cutover_exception *x;

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
		x = &out->items[out->n++];
		memset(x, 0, sizeof *x);
		x->id = sqlite3_column_int64(st, 0);
		x->until = sqlite3_column_int64(st, 4);
		x->created_at = sqlite3_column_int64(st, 7);
		if ((x->pool = ts_co_column_dup(st, 1)) == NULL ||
		    (x->value = ts_co_column_dup(st, 3)) == NULL ||
		    (x->reason = ts_co_column_dup(st, 5)) == NULL ||
		    (x->created_by = ts_co_column_dup(st, 6)) == NULL) {
			err = TS_ERR_NOMEM;
			goto out;
		}
		/* Checked on the way in; a row that no longer parses is damage. */
		if (kind_parse((const char *)sqlite3_column_text(st, 2), &x->kind) != TS_ERR_OK ||
		    check_value(x->kind, x->value, &x->net) != TS_ERR_OK) {
			err = TS_ERR_STORE_SCHEMA;
			ts_log_error(TS_LOG_ERR, "cutover_exception_unreadable", err, "pool",
				     x->pool, "value", x->value);
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = ts_co_failed(c, "exceptions");
out:
	sqlite3_finalize(st);
	if (err != TS_ERR_OK)
		ts_cutover_exceptions_clear(out);
	return err;
}

ts_err ts_cutover_except_list(struct ts_cutover *c, const char *pool, bool include_expired,
			      ts_time now, struct ts_cutover_exceptions *out)
{
	ts_err err;

	pthread_mutex_lock(&c->lock);
	err = ts_co_exceptions_read(c, pool, include_expired, now, out);
	pthread_mutex_unlock(&c->lock);
	return err;
}

ts_err ts_cutover_except_add(struct ts_cutover *c, const struct ts_exception_new *e,
			     int64_t *id_out)
{
	struct ts_cidr net;
	sqlite3_stmt *st = NULL;
	char idtext[24], until[TS_TIME_ISO_LEN];
	ts_err err;

	if ((err = ts_co_check_text(e->pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK ||
	    (err = check_value(e->kind, e->value, &net)) != TS_ERR_OK ||
	    (err = ts_co_check_text(e->reason, TS_CUTOVER_REASON_MAX)) != TS_ERR_OK ||
	    (err = ts_co_check_text(e->by, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		goto refused;
	if (e->until <= e->now) {
		err = TS_ERR_CUTOVER_UNTIL;
		goto refused;
	}
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	if ((err = ts_co_prepare(c,
				 "INSERT INTO cutover_exception (pool, kind, value, until, reason,"
				 " created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
				 &st)) == TS_ERR_OK) {
		ts_co_bind(st, 1, e->pool);
		ts_co_bind(st, 2, ts_exception_kind_name(e->kind));
		ts_co_bind(st, 3, e->value);
		sqlite3_bind_int64(st, 4, e->until);
		ts_co_bind(st, 5, e->reason);
		ts_co_bind(st, 6, e->by);
		sqlite3_bind_int64(st, 7, e->now);
		err = ts_co_done(c, st, "exception_add");
		*id_out = sqlite3_last_insert_rowid(c->db);
	}
	sqlite3_finalize(st);
	if (err == TS_ERR_OK)
		err = ts_co_bump_generation(c);
	err = ts_co_end(c, err);
unlock:
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		return err;
	snprintf(idtext, sizeof idtext, "%lld", (long long)*id_out);
	ts_time_format(e->until, until);
	ts_log(TS_LOG_INFO, "cutover_exception_added", "pool", e->pool, "id", idtext, "kind",
	       ts_exception_kind_name(e->kind), "value", e->value, "until", until, "by", e->by,
	       "reason", e->reason);
	return TS_ERR_OK;
refused:
	ts_log_error(TS_LOG_WARN, "cutover_exception_refused", err, "pool", e->pool, "kind",
		     ts_exception_kind_name(e->kind), "value", e->value);
	return err;
}

ts_err ts_cutover_except_rm(struct ts_cutover *c, const char *pool, int64_t id)
{
	sqlite3_stmt *st = NULL;
	char idtext[24];
	ts_err err;

	if ((err = ts_co_check_text(pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	snprintf(idtext, sizeof idtext, "%lld", (long long)id);
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	if ((err = ts_co_prepare(c, "DELETE FROM cutover_exception WHERE pool = ?1 AND id = ?2",
				 &st)) == TS_ERR_OK) {
		ts_co_bind(st, 1, pool);
		sqlite3_bind_int64(st, 2, id);
		if ((err = ts_co_done(c, st, "exception_rm")) == TS_ERR_OK &&
		    sqlite3_changes(c->db) == 0)
			err = TS_ERR_CUTOVER_EXCEPTION_UNKNOWN;
	}
	sqlite3_finalize(st);
	if (err == TS_ERR_OK)
		err = ts_co_bump_generation(c);
	err = ts_co_end(c, err);
unlock:
	pthread_mutex_unlock(&c->lock);
	if (err == TS_ERR_OK)
		ts_log(TS_LOG_INFO, "cutover_exception_removed", "pool", pool, "id", idtext);
	else
		ts_log_error(TS_LOG_WARN, "cutover_exception_rm_failed", err, "pool", pool, "id",
			     idtext);
	return err;
}
