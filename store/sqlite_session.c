/* SSO sessions in the SQLite store, and the tickets minted in each, so a
 * sign-out can revoke every one of them. */
#include <stdlib.h>
#include <string.h>

#include "sqlite_internal.h"

ts_err ts_sq_session_insert(struct sqlite_store *s, const struct ts_sso_session *sess)
{
	sqlite3_stmt *st = s->stmt[ST_SESSION_PUT];
	size_t id_len, sub_len;
	ts_err err;

	if ((err = ts_sq_check_text(sess->id_hash, TS_STORE_TEXT_MAX, &id_len)) != TS_ERR_OK ||
	    (err = ts_sq_check_text(sess->subject, TS_STORE_TEXT_MAX, &sub_len)) != TS_ERR_OK)
		return err;
	if (sess->payload == NULL || sess->payload_len == 0 || sess->expires_at <= sess->created)
		return TS_ERR_INVALID_ARGUMENT;
	if (sess->payload_len > TS_STORE_PAYLOAD_MAX)
		return TS_ERR_TOO_LARGE;
	ts_sq_bind_text(st, 1, sess->id_hash, id_len);
	ts_sq_bind_text(st, 2, sess->subject, sub_len);
	ts_sq_bind_text(st, 3, sess->payload, sess->payload_len);
	sqlite3_bind_int64(st, 4, sess->created);
	sqlite3_bind_int64(st, 5, sess->expires_at);
	return ts_sq_done(s, ST_SESSION_PUT, "session_put");
}

static ts_err sqlite_session_put(void *impl, const struct ts_sso_session *sess)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	err = ts_sq_session_insert(s, sess);
	pthread_mutex_unlock(&s->lock);
	return err;
}

static ts_err session_copy(sqlite3_stmt *st, const char *id_hash, size_t id_len,
			   struct ts_sso_session *out)
{
	if ((out->id_hash = malloc(id_len + 1)) == NULL)
		return TS_ERR_NOMEM;
	memcpy(out->id_hash, id_hash, id_len + 1);
	if ((out->subject = ts_sq_column_dup(st, 0, NULL)) == NULL ||
	    (out->payload = ts_sq_column_dup(st, 1, &out->payload_len)) == NULL)
		return TS_ERR_NOMEM;
	out->created = sqlite3_column_int64(st, 2);
	out->expires_at = sqlite3_column_int64(st, 3);
	return TS_ERR_OK;
}

static ts_err sqlite_session_get(void *impl, const char *id_hash, ts_time now,
				 struct ts_sso_session *out)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = s->stmt[ST_SESSION_GET];
	size_t id_len;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	if ((err = ts_sq_check_text(id_hash, TS_STORE_TEXT_MAX, &id_len)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&s->lock);
	ts_sq_bind_text(st, 1, id_hash, id_len);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		err = session_copy(st, id_hash, id_len, out);
	else
		err = rc == SQLITE_DONE ? TS_ERR_STORE_NOT_FOUND : ts_sq_failed(s, "session_get");
	ts_sq_reset(st);
	pthread_mutex_unlock(&s->lock);
	/* Left for prune: a read does not write. */
	if (err == TS_ERR_OK && out->expires_at <= now)
		err = TS_ERR_STORE_EXPIRED;
	if (err != TS_ERR_OK)
		ts_sso_session_clear(out);
	return err;
}

static ts_err sqlite_session_ticket_add(void *impl, const char *id_hash, const char *jti,
					ts_time exp)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = s->stmt[ST_SESSION_TICKET_ADD];
	size_t id_len, jti_len;
	ts_err err;

	if ((err = ts_sq_check_text(id_hash, TS_STORE_TEXT_MAX, &id_len)) != TS_ERR_OK ||
	    (err = ts_sq_check_text(jti, TS_STORE_TEXT_MAX, &jti_len)) != TS_ERR_OK)
		return err;
	/* Not durable: this runs on every STS issue, and a record lost to a
	 * power cut only spares one ticket from a later sign-out. */
	pthread_mutex_lock(&s->lock);
	ts_sq_bind_text(st, 1, id_hash, id_len);
	ts_sq_bind_text(st, 2, jti, jti_len);
	sqlite3_bind_int64(st, 3, exp);
	/* The INSERT selects the session: no row inserted, no session. */
	if ((err = ts_sq_done(s, ST_SESSION_TICKET_ADD, "session_ticket_add")) == TS_ERR_OK &&
	    sqlite3_changes64(s->db) == 0)
		err = TS_ERR_STORE_NOT_FOUND;
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* A recorded ticket, as the revocation a sign-out writes for it. */
struct ticket_rec {
	char *jti; /* owned; rev.key points here */
	struct ts_revocation rev;
};

static void recs_free(struct ticket_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(recs[i].jti);
	free(recs);
}

/* The session's ticket records, copied out as revocations until exp +
 * grace (the caller holds the lock). */
static ts_err tickets_load(struct sqlite_store *s, const char *id_hash, size_t id_len,
			   ts_time grace, struct ticket_rec **out, size_t *n_out)
{
	sqlite3_stmt *st = s->stmt[ST_SESSION_TICKETS_EACH];
	struct ticket_rec *recs = NULL, *grown;
	size_t n = 0, cap = 0, len;
	ts_err err = TS_ERR_OK;
	int rc;

	ts_sq_bind_text(st, 1, id_hash, id_len);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			if ((grown = realloc(recs, cap * sizeof *recs)) == NULL) {
				err = TS_ERR_NOMEM;
				break;
			}
			recs = grown;
		}
		if ((recs[n].jti = ts_sq_column_dup(st, 0, &len)) == NULL) {
			err = TS_ERR_NOMEM;
			break;
		}
		recs[n].rev = (struct ts_revocation){TS_REVOKE_JTI, recs[n].jti, len, 0,
						     sqlite3_column_int64(st, 1) + grace};
		n++;
	}
	if (err == TS_ERR_OK && rc != SQLITE_DONE)
		err = ts_sq_failed(s, "session_tickets_list");
	ts_sq_reset(st);
	*out = recs;
	*n_out = n;
	return err;
}

/* Inside the transaction: every recorded ticket revoked, then the session
 * and its records deleted. */
static ts_err end_in(struct sqlite_store *s, const char *id_hash, size_t id_len,
		     const struct ts_revocation *own, const struct ticket_rec *recs, size_t n)
{
	ts_err err = ts_sq_revoke_in(s, own);

	for (size_t i = 0; err == TS_ERR_OK && i < n; i++)
		err = ts_sq_revoke_in(s, &recs[i].rev);
	if (err != TS_ERR_OK)
		return err;
	ts_sq_bind_text(s->stmt[ST_SESSION_DELETE], 1, id_hash, id_len);
	if ((err = ts_sq_done(s, ST_SESSION_DELETE, "session_delete")) != TS_ERR_OK)
		return err;
	ts_sq_bind_text(s->stmt[ST_SESSION_TICKETS_DELETE], 1, id_hash, id_len);
	return ts_sq_done(s, ST_SESSION_TICKETS_DELETE, "session_tickets_delete");
}

static ts_err sqlite_session_end(void *impl, const char *id_hash, const struct ts_revocation *own,
				 ts_time grace, ts_revocation_visit visit, void *arg)
{
	struct sqlite_store *s = impl;
	struct ticket_rec *recs = NULL;
	size_t id_len, n = 0;
	ts_err err;

	if ((err = ts_sq_check_text(id_hash, TS_STORE_TEXT_MAX, &id_len)) != TS_ERR_OK)
		return err;
	if (own->kind != TS_REVOKE_JTI)
		return TS_ERR_INVALID_ARGUMENT;
	pthread_mutex_lock(&s->lock);
	/* One transaction, under the write lock from its start: a ticket
	 * recorded after the list would be deleted unrevoked. Durable: a
	 * sign-out lost to a power cut would bring its tickets back. */
	if ((err = ts_sq_begin(s, true)) == TS_ERR_OK) {
		if ((err = tickets_load(s, id_hash, id_len, grace, &recs, &n)) == TS_ERR_OK)
			err = end_in(s, id_hash, id_len, own, recs, n);
		err = ts_sq_end(s, err, err == TS_ERR_OK, true);
	}
	pthread_mutex_unlock(&s->lock);
	if (err == TS_ERR_OK) {
		/* Every one, whatever visit says: each is written. */
		ts_err seen = visit(arg, own);
		for (size_t i = 0; i < n; i++) {
			ts_err one = visit(arg, &recs[i].rev);
			seen = seen != TS_ERR_OK ? seen : one;
		}
		err = seen;
	}
	recs_free(recs, n);
	return err;
}

void ts_sq_session_bind(struct ts_store *store)
{
	store->session_put = sqlite_session_put;
	store->session_get = sqlite_session_get;
	store->session_ticket_add = sqlite_session_ticket_add;
	store->session_end = sqlite_session_end;
}
