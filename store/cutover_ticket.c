/* Pool tickets and the kind that minted them (sfb-protocol.md section 8
 * item 2: a ticket minted by NTLM just before the flip must not live on for
 * its 8 hours), and the users whose certificate came through such a ticket
 * (item 8: Revoke-CsClientCertificate). Only a SHA-256 of a ticket is kept.
 * The bound is kept with a counter in cutover_meta, updated in the same
 * transaction as the rows, so a put never counts a million rows. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cutover_internal.h"
#include "tessera/log.h"

void ts_pool_ticket_clear(struct ts_pool_ticket *t)
{
	if (t == NULL)
		return;
	free(t->pool);
	free(t->kind);
	free(t->user);
	memset(t, 0, sizeof *t);
}

void ts_revoke_list_clear(struct ts_revoke_list *l)
{
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		free(l->items[i].user);
		free(l->items[i].kind);
	}
	if (l != NULL) {
		free(l->items);
		memset(l, 0, sizeof *l);
	}
}

ts_err ts_cutover_ticket_hash(const char *ticket, size_t len, char out[TS_CUTOVER_HASH_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (ticket == NULL || len == 0)
		return TS_ERR_INVALID_ARGUMENT;
	if (EVP_Digest(ticket, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof md)
		return TS_ERR_CRYPTO;
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[TS_CUTOVER_HASH_LEN] = '\0';
	return TS_ERR_OK;
}

static ts_err check_hash(const char *hash)
{
	if (hash == NULL || strlen(hash) != TS_CUTOVER_HASH_LEN)
		return TS_ERR_INVALID_ARGUMENT;
	for (const char *p = hash; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return TS_ERR_INVALID_ARGUMENT;
	return TS_ERR_OK;
}

static ts_err count_add(struct ts_cutover *c, sqlite3_int64 delta)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	if ((err = ts_co_prepare(c, "UPDATE cutover_meta SET ticket_count = ticket_count + ?1",
				 &st)) != TS_ERR_OK)
		return err;
	sqlite3_bind_int64(st, 1, delta);
	err = ts_co_done(c, st, "ticket_count");
	sqlite3_finalize(st);
	return err;
}

/* Deletes expired records and lowers the counter by as many. */
static ts_err sweep(struct ts_cutover *c, ts_time now)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	if ((err = ts_co_prepare(c, "DELETE FROM cutover_ticket WHERE expires_at <= ?1", &st)) !=
	    TS_ERR_OK)
		return err;
	sqlite3_bind_int64(st, 1, now);
	err = ts_co_done(c, st, "ticket_sweep");
	sqlite3_finalize(st);
	if (err == TS_ERR_OK && sqlite3_changes(c->db) > 0)
		err = count_add(c, -(sqlite3_int64)sqlite3_changes(c->db));
	return err;
}

static ts_err ticket_count(struct ts_cutover *c, sqlite3_int64 *n)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	if ((err = ts_co_prepare(c, "SELECT ticket_count FROM cutover_meta", &st)) != TS_ERR_OK)
		return err;
	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0);
	else
		err = ts_co_failed(c, "ticket_count");
	sqlite3_finalize(st);
	return err;
}

/* Is hash recorded already (a put of it replaces, not adds)? */
static ts_err exists(struct ts_cutover *c, sqlite3_stmt *find, const char *hash, bool *out)
{
	int rc;

	ts_co_bind(find, 1, hash);
	rc = sqlite3_step(find);
	*out = rc == SQLITE_ROW;
	sqlite3_reset(find);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? TS_ERR_OK : ts_co_failed(c, "ticket_find");
}

static ts_err put_all(struct ts_cutover *c, const struct ts_pool_ticket *tickets, size_t n,
		      ts_time now)
{
	sqlite3_stmt *st = NULL, *find = NULL;
	sqlite3_int64 count = 0, added = 0;
	ts_err err;

	if ((err = sweep(c, now)) != TS_ERR_OK || (err = ticket_count(c, &count)) != TS_ERR_OK)
		return err;
	/* A hash seen again keeps one row: the latest minting wins. */
	if ((err = ts_co_prepare(c, "SELECT 1 FROM cutover_ticket WHERE hash = ?1", &find)) !=
		    TS_ERR_OK ||
	    (err = ts_co_prepare(c,
				 "INSERT INTO cutover_ticket (hash, pool, kind, user, expires_at)"
				 " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (hash) DO UPDATE SET"
				 " pool = excluded.pool, kind = excluded.kind, user = excluded.user,"
				 " expires_at = excluded.expires_at",
				 &st)) != TS_ERR_OK)
		goto out;
	for (size_t i = 0; err == TS_ERR_OK && i < n; i++) {
		bool known = false;

		if ((err = exists(c, find, tickets[i].hash, &known)) != TS_ERR_OK)
			break;
		added += !known;
		if (count + added > (sqlite3_int64)c->ticket_max) {
			err = TS_ERR_CUTOVER_TICKETS_FULL;
			break;
		}
		ts_co_bind(st, 1, tickets[i].hash);
		ts_co_bind(st, 2, tickets[i].pool);
		ts_co_bind(st, 3, tickets[i].kind);
		ts_co_bind(st, 4, tickets[i].user);
		sqlite3_bind_int64(st, 5, tickets[i].expires_at);
		err = ts_co_done(c, st, "ticket_put");
	}
	if (err == TS_ERR_OK && added > 0)
		err = count_add(c, added);
out:
	sqlite3_finalize(find);
	sqlite3_finalize(st);
	return err;
}

ts_err ts_cutover_tickets_put(struct ts_cutover *c, const struct ts_pool_ticket *tickets,
			      size_t n, ts_time now)
{
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; i < n && err == TS_ERR_OK; i++) {
		if ((err = check_hash(tickets[i].hash)) == TS_ERR_OK &&
		    (err = ts_co_check_text(tickets[i].pool, TS_CUTOVER_NAME_MAX)) == TS_ERR_OK &&
		    (err = ts_co_check_text(tickets[i].kind, TS_CUTOVER_NAME_MAX)) == TS_ERR_OK)
			err = ts_co_check_text(tickets[i].user, TS_CUTOVER_NAME_MAX);
	}
	if (err != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) == TS_ERR_OK)
		err = ts_co_end(c, put_all(c, tickets, n, now));
	pthread_mutex_unlock(&c->lock);
	if (err == TS_ERR_CUTOVER_TICKETS_FULL)
		ts_log_error(TS_LOG_WARN, "cutover_ticket_not_recorded", err, "pool",
			     tickets[0].pool, "kind", tickets[0].kind);
	return err;
}

ts_err ts_cutover_ticket_get(struct ts_cutover *c, const char *hash, ts_time now,
			     struct ts_pool_ticket *out)
{
	sqlite3_stmt *st = NULL;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	if ((err = check_hash(hash)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_prepare(c,
				 "SELECT pool, kind, user, expires_at FROM cutover_ticket"
				 " WHERE hash = ?1 AND expires_at > ?2",
				 &st)) != TS_ERR_OK)
		goto out;
	ts_co_bind(st, 1, hash);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memcpy(out->hash, hash, TS_CUTOVER_HASH_LEN + 1);
		out->expires_at = sqlite3_column_int64(st, 3);
		if ((out->pool = ts_co_column_dup(st, 0)) == NULL ||
		    (out->kind = ts_co_column_dup(st, 1)) == NULL ||
		    (out->user = ts_co_column_dup(st, 2)) == NULL)
			err = TS_ERR_NOMEM;
	} else {
		err = rc == SQLITE_DONE ? TS_ERR_STORE_NOT_FOUND : ts_co_failed(c, "ticket_get");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		ts_pool_ticket_clear(out);
	return err;
}

ts_err ts_cutover_ticket_certprov(struct ts_cutover *c, const char *hash, ts_time now)
{
	sqlite3_stmt *st = NULL;
	ts_err err;

	if ((err = check_hash(hash)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&c->lock);
	if ((err = ts_co_begin_write(c)) != TS_ERR_OK)
		goto unlock;
	/* The ticket's own row says who and how; only legacy kinds matter,
	 * the filter is in C (ts_cutover_kind_is_legacy) at read time. */
	if ((err = ts_co_prepare(c,
				 "INSERT INTO cutover_certprov (pool, user, kind, first_seen,"
				 " last_seen) SELECT pool, user, kind, ?2, ?2 FROM cutover_ticket"
				 " WHERE hash = ?1 ON CONFLICT (pool, user, kind) DO UPDATE SET"
				 " last_seen = max(last_seen, excluded.last_seen)",
				 &st)) == TS_ERR_OK) {
		ts_co_bind(st, 1, hash);
		sqlite3_bind_int64(st, 2, now);
		if ((err = ts_co_done(c, st, "certprov")) == TS_ERR_OK && sqlite3_changes(c->db) == 0)
			err = TS_ERR_STORE_NOT_FOUND;
	}
	sqlite3_finalize(st);
	err = ts_co_end(c, err);
unlock:
	pthread_mutex_unlock(&c->lock);
	return err;
}

ts_err ts_cutover_revoke_candidates(struct ts_cutover *c, const char *pool, bool certprov,
				    ts_time now, struct ts_revoke_list *out)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&c->lock);
	err = ts_co_prepare(c,
			    certprov ? "SELECT user, kind, last_seen FROM cutover_certprov"
				       " WHERE pool = ?1 ORDER BY user, kind"
				     : "SELECT user, kind, max(expires_at) FROM cutover_ticket"
				       " WHERE pool = ?1 AND expires_at > ?2"
				       " GROUP BY user, kind ORDER BY user, kind",
			    &st);
	if (err != TS_ERR_OK)
		goto out;
	ts_co_bind(st, 1, pool);
	if (!certprov)
		sqlite3_bind_int64(st, 2, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 1);
		struct ts_revoke_entry *e;

		if (!ts_cutover_kind_is_legacy(kind))
			continue;
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
		e->last_seen = sqlite3_column_int64(st, 2);
		if ((e->user = ts_co_column_dup(st, 0)) == NULL ||
		    (e->kind = ts_co_column_dup(st, 1)) == NULL) {
			err = TS_ERR_NOMEM;
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		err = ts_co_failed(c, "revoke_candidates");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&c->lock);
	if (err != TS_ERR_OK)
		ts_revoke_list_clear(out);
	return err;
}
