/* Legacy use: the batch upsert the aggregator flushes, and what the CLI
 * reads from it (counts for status, plan, report). */
#include <stdlib.h>
#include <string.h>

#include "cutover_internal.h"
#include "tessera/log.h"

void ts_plan_clear(struct ts_plan *p)
{
	for (size_t i = 0; p != NULL && i < p->n; i++) {
		free(p->items[i].user);
		free(p->items[i].family);
		free(p->items[i].kind);
		free(p->items[i].agent);
	}
	if (p != NULL) {
		free(p->items);
		memset(p, 0, sizeof *p);
	}
}

void ts_report_clear(struct ts_report *r)
{
	for (size_t i = 0; r != NULL && i < r->n; i++) {
		free(r->items[i].pool);
		free(r->items[i].user);
		free(r->items[i].family);
		free(r->items[i].kind);
	}
	if (r != NULL) {
		free(r->items);
		memset(r, 0, sizeof *r);
	}
}

/* Grows *items (of size elem) so one more fits. */
static ts_err grow(void **items, size_t n, size_t *cap, size_t elem)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return TS_ERR_OK;
	ncap = *cap == 0 ? 16 : *cap * 2;
	if ((p = realloc(*items, ncap * elem)) == NULL)
		return TS_ERR_NOMEM;
	*items = p;
	*cap = ncap;
	return TS_ERR_OK;
}

static ts_err check_row(const struct ts_usage_row *r)
{
	ts_err err;

	if ((err = ts_co_check_text(r->pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK ||
	    (err = ts_co_check_text(r->user, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK ||
	    (err = ts_co_check_text(r->family, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK ||
	    (err = ts_co_check_text(r->kind, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK ||
	    (err = ts_co_check_text(r->network, TS_CUTOVER_NETWORK_MAX)) != TS_ERR_OK)
		return err;
	if (r->agent != NULL && strnlen(r->agent, TS_CUTOVER_AGENT_MAX + 1) > TS_CUTOVER_AGENT_MAX)
		return TS_ERR_TOO_LARGE;
	return (unsigned)r->decision < TS_DECISION__COUNT ? TS_ERR_OK : TS_ERR_INVALID_ARGUMENT;
}

ts_err ts_cutover_usage_add(struct ts_cutover *c, const struct ts_usage_row *rows, size_t n,
			    ts_time retention_before)
{
	sqlite3_stmt *st = NULL, *prune = NULL;
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; i < n; i++)
		if ((err = check_row(&rows[i])) != TS_ERR_OK)
			return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	/* In an upsert's SET, bare columns are the stored row's values. */
	err = ts_co_prepare(c,
			    "INSERT INTO cutover_usage (pool, user, family, kind, network, decision,"
			    " hour, passive_capable, first_seen, last_seen, count, agent)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
			    " ON CONFLICT (pool, user, family, kind, network, agent, decision, hour)"
			    " DO UPDATE SET count = count + excluded.count,"
			    " first_seen = min(first_seen, excluded.first_seen),"
			    " last_seen = max(last_seen, excluded.last_seen),"
			    " passive_capable = excluded.passive_capable",
			    &st);
	for (size_t i = 0; err == TS_ERR_OK && i < n; i++) {
		const struct ts_usage_row *r = &rows[i];
		ts_co_bind(st, 1, r->pool);
		ts_co_bind(st, 2, r->user);
		ts_co_bind(st, 3, r->family);
		ts_co_bind(st, 4, r->kind);
		ts_co_bind(st, 5, r->network);
		ts_co_bind(st, 6, ts_usage_decision_name(r->decision));
		sqlite3_bind_int64(st, 7, r->hour);
		sqlite3_bind_int(st, 8, r->passive_capable);
		sqlite3_bind_int64(st, 9, r->first_seen);
		sqlite3_bind_int64(st, 10, r->last_seen);
		sqlite3_bind_int64(st, 11, (sqlite3_int64)r->count);
		ts_co_bind(st, 12, r->agent);
		err = ts_co_done(c, st, "usage_add");
	}
	if (err == TS_ERR_OK && retention_before > 0 &&
	    (err = ts_co_prepare(c, "DELETE FROM cutover_usage WHERE hour < ?1", &prune)) ==
		    TS_ERR_OK) {
		sqlite3_bind_int64(prune, 1, retention_before / 3600);
		err = ts_co_done(c, prune, "usage_prune");
	}
	err = ts_co_end(c, err);
unlock:
	sqlite3_finalize(st);
	sqlite3_finalize(prune);
	pthread_mutex_unlock(&c->lock);
	return err;
}

ts_err ts_cutover_usage_count(struct ts_cutover *c, const char *pool, ts_time since,
			      uint64_t *count)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	*count = 0;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_prepare(c,
				 "SELECT coalesce(sum(count), 0) FROM cutover_usage"
				 " WHERE pool = ?1 AND hour >= ?2 AND last_seen >= ?3"
				 " AND decision != ?4",
				 &st)) == TS_ERR_OK) {
		ts_co_bind(st, 1, pool);
		sqlite3_bind_int64(st, 2, since / 3600);
		sqlite3_bind_int64(st, 3, since);
		/* Each refusal is of an attempt already counted. */
		ts_co_bind(st, 4, ts_usage_decision_name(TS_DECISION_POOL_REFUSED));
		if (sqlite3_step(st) == SQLITE_ROW)
			*count = (uint64_t)sqlite3_column_int64(st, 0);
		else
			err = ts_co_failed(c, "usage_count");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	return err;
}

/* Does a cidr exception cover all of network ("a.b.c.0/24")? A narrower
 * one covers some of its sources only: the row stays in the plan. */
static bool covers(const struct ts_cidr *exc, const char *network)
{
	struct ts_cidr net;

	if (ts_cidr_parse(network, &net) != TS_ERR_OK || net.family != exc->family ||
	    exc->bits > net.bits)
		return false;
	{
		char ip[TS_CUTOVER_NETWORK_MAX];
		const char *slash = strchr(network, '/');
		size_t n = slash != NULL ? (size_t)(slash - network) : strlen(network);
		memcpy(ip, network, n);
		ip[n] = '\0';
		return ts_cidr_contains(exc, ip);
	}
}

static bool row_excepted(const struct ts_cutover_exceptions *ex, const char *user,
			 const char *agent, const char *network, ts_time now)
{
	if (ts_cutover_excepted(ex, user, *agent != '\0' ? agent : NULL, NULL, now) != NULL)
		return true;
	for (size_t i = 0; i < ex->n; i++)
		if (ex->items[i].kind == TS_EXCEPT_CIDR && now < ex->items[i].until &&
		    covers(&ex->items[i].net, network))
			return true;
	return false;
}

/* Adds one row to the plan, merging with the last entry when it has the
 * same user, family and kind (rows come ordered that way): the entry
 * breaks if any of its rows does, and its agent is its latest use's. */
static ts_err plan_add(struct ts_plan *p, size_t *cap, sqlite3_stmt *st)
{
	const char *user = (const char *)sqlite3_column_text(st, 0);
	const char *family = (const char *)sqlite3_column_text(st, 1);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	const char *agent = (const char *)sqlite3_column_text(st, 7);
	const ts_time seen = sqlite3_column_int64(st, 6);
	struct ts_plan_entry *e = p->n > 0 ? &p->items[p->n - 1] : NULL;
	ts_err err;

	if (user == NULL || family == NULL || kind == NULL || agent == NULL)
		return TS_ERR_NOMEM;
	if (e == NULL || strcmp(e->user, user) != 0 || strcmp(e->family, family) != 0 ||
	    strcmp(e->kind, kind) != 0) {
		if ((err = grow((void **)&p->items, p->n, cap, sizeof *p->items)) != TS_ERR_OK)
			return err;
		e = &p->items[p->n++];
		memset(e, 0, sizeof *e);
		e->passive_capable = true;
		if ((e->user = strdup(user)) == NULL || (e->family = strdup(family)) == NULL ||
		    (e->kind = strdup(kind)) == NULL)
			return TS_ERR_NOMEM;
	}
	e->passive_capable = e->passive_capable && sqlite3_column_int(st, 4) != 0;
	e->count += (uint64_t)sqlite3_column_int64(st, 5);
	if (e->agent == NULL || seen > e->last_seen) {
		char *copy = strdup(agent);
		if (copy == NULL)
			return TS_ERR_NOMEM;
		free(e->agent);
		e->agent = copy;
		e->last_seen = seen;
	}
	return TS_ERR_OK;
}

static int plan_order(const void *a, const void *b)
{
	const struct ts_plan_entry *x = a, *y = b;
	int c;

	if (x->passive_capable != y->passive_capable)
		return x->passive_capable ? 1 : -1; /* breaks first */
	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	if ((c = strcmp(x->family, y->family)) != 0)
		return c;
	return strcmp(x->kind, y->kind);
}

ts_err ts_cutover_plan(struct ts_cutover *c, const char *pool, ts_time since, ts_time now,
		       struct ts_plan *out)
{
	struct ts_cutover_exceptions ex = {0};
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	ts_err err;
	int rc = SQLITE_DONE;

	memset(out, 0, sizeof *out);
	if ((err = ts_co_check_text(pool, TS_CUTOVER_NAME_MAX)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_read_begin(c)) != TS_ERR_OK)
		goto unlock;
	if ((err = ts_co_exceptions_read(c, pool, false, now, &ex)) != TS_ERR_OK)
		goto out;
	/* One line per source network and User-Agent: exceptions are judged
	 * per network and per agent, so a user's line stays while any source
	 * that no exception covers signed in.
	 * An attempt the pool refused is taken off: a user whose every
	 * attempt failed (a spray names many) signs in with nothing now.
	 * A refusal is dated as its attempt (gate_attempt.h) and carries its
	 * agent, so both fall in one row: it is taken off within that hour
	 * and agent only, and what has nothing left counts for nothing, its
	 * last use included (a spray's agent must not stand for a real
	 * user's line). */
	if ((err = ts_co_prepare(c,
				 "SELECT user, family, kind, network, total(capable) > 0,"
				 " sum(signed_in), max(seen), agent FROM ("
				 "  SELECT user, family, kind, network, agent, hour,"
				 "  total(passive_capable) > 0 AS capable,"
				 "  sum(CASE decision WHEN ?4 THEN -count ELSE count END) AS signed_in,"
				 "  max(CASE WHEN decision != ?4 THEN last_seen END) AS seen"
				 "  FROM cutover_usage WHERE pool = ?1 AND hour >= ?2 AND last_seen >= ?3"
				 "  GROUP BY user, family, kind, network, agent, hour HAVING signed_in > 0)"
				 " GROUP BY user, family, kind, network, agent"
				 " ORDER BY user, family, kind, network, agent",
				 &st)) != TS_ERR_OK)
		goto out;
	ts_co_bind(st, 1, pool);
	sqlite3_bind_int64(st, 2, since / 3600);
	sqlite3_bind_int64(st, 3, since);
	ts_co_bind(st, 4, ts_usage_decision_name(TS_DECISION_POOL_REFUSED));
	while (err == TS_ERR_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *user = (const char *)sqlite3_column_text(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 2);
		const char *network = (const char *)sqlite3_column_text(st, 3);
		const char *agent = (const char *)sqlite3_column_text(st, 7);

		if (user == NULL || kind == NULL || network == NULL || agent == NULL)
			err = TS_ERR_NOMEM;
		else if (ts_cutover_kind_is_legacy(kind) &&
			 !row_excepted(&ex, user, agent, network, now))
			err = plan_add(out, &cap, st);
	}
	if (err == TS_ERR_OK && rc != SQLITE_DONE)
		err = ts_co_failed(c, "plan");
out:
	sqlite3_finalize(st);
	ts_co_read_end(c);
unlock:
	pthread_mutex_unlock(&c->lock);
	ts_cutover_exceptions_clear(&ex);
	if (err != TS_ERR_OK) {
		ts_plan_clear(out);
		return err;
	}
	if (out->n > 0)
		qsort(out->items, out->n, sizeof *out->items, plan_order);
	for (size_t i = 0; i < out->n; i++)
		out->breaks += !out->items[i].passive_capable;
	return TS_ERR_OK;
}

ts_err ts_cutover_report(struct ts_cutover *c, const char *pool, ts_time since,
			 struct ts_report *out)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	ts_err err;
	int rc = SQLITE_DONE;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_prepare(c,
				 "SELECT pool, user, family, kind, decision, max(passive_capable),"
				 " sum(count), min(first_seen), max(last_seen) FROM cutover_usage"
				 " WHERE (?1 IS NULL OR pool = ?1) AND hour >= ?2 AND last_seen >= ?3"
				 " GROUP BY pool, user, family, kind, decision"
				 " ORDER BY pool, user, family, kind, decision",
				 &st)) != TS_ERR_OK)
		goto out;
	if (pool != NULL)
		ts_co_bind(st, 1, pool);
	sqlite3_bind_int64(st, 2, since / 3600);
	sqlite3_bind_int64(st, 3, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ts_report_row *r;

		if ((err = grow((void **)&out->items, out->n, &cap, sizeof *out->items)) !=
		    TS_ERR_OK)
			goto out;
		r = &out->items[out->n++];
		memset(r, 0, sizeof *r);
		if (ts_usage_decision_parse((const char *)sqlite3_column_text(st, 4),
					    &r->decision) != TS_ERR_OK) {
			err = TS_ERR_STORE_SCHEMA;
			goto out;
		}
		r->passive_capable = sqlite3_column_int(st, 5) != 0;
		r->count = (uint64_t)sqlite3_column_int64(st, 6);
		r->first_seen = sqlite3_column_int64(st, 7);
		r->last_seen = sqlite3_column_int64(st, 8);
		if ((r->pool = ts_co_column_dup(st, 0)) == NULL ||
		    (r->user = ts_co_column_dup(st, 1)) == NULL ||
		    (r->family = ts_co_column_dup(st, 2)) == NULL ||
		    (r->kind = ts_co_column_dup(st, 3)) == NULL) {
			err = TS_ERR_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = ts_co_failed(c, "report");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		ts_report_clear(out);
	return err;
}
