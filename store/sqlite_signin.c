/* The sign-in state of the SQLite store: outstanding requests, the replay
 * cache and single-use codes. A take is DELETE ... RETURNING: the row is
 * gone in the statement that reads it, so of two takers (threads here, or
 * another process on the same file) exactly one gets it. */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_internal.h"
#include "tessera/log.h"

static ts_err count_rows(struct sqlite_store *s, enum stmt_id id, size_t *n)
{
	sqlite3_stmt *st = s->stmt[id];
	ts_err err = TS_ERR_OK;

	if (sqlite3_step(st) == SQLITE_ROW)
		*n = sqlite3_column_int64(st, 0) > 0 ? (size_t)sqlite3_column_int64(st, 0) : 0;
	else
		err = ts_sq_failed(s, "count_rows");
	ts_sq_reset(st);
	return err;
}

/* Places left below max in a bounded table (its rows counted in count_id
 * in the same transaction). When fewer than want, a chunk of expired rows is
 * swept first (sweep_id); an unexpired row is never evicted. */
static ts_err room_in(struct sqlite_store *s, enum stmt_id count_id, enum stmt_id sweep_id,
		      size_t max, size_t want, ts_time now, size_t *room)
{
	sqlite3_int64 swept = 0;
	size_t n = 0;
	ts_err err;

	*room = 0;
	if ((err = count_rows(s, count_id, &n)) != TS_ERR_OK)
		return err;
	if (n >= max || max - n < want) {
		if ((err = ts_sq_prune_chunk(s, sweep_id, now, "sweep", &swept)) != TS_ERR_OK ||
		    (swept > 0 && (err = count_rows(s, count_id, &n)) != TS_ERR_OK))
			return err;
	}
	*room = n < max ? max - n : 0;
	return TS_ERR_OK;
}

/* A bounded table refused rows: one line per write, not per row. */
static void log_full(const char *event, size_t max, size_t refused)
{
	char entries[24], shown[24];

	snprintf(entries, sizeof entries, "%zu", max);
	snprintf(shown, sizeof shown, "%zu", refused);
	ts_log_error(TS_LOG_WARN, event, TS_ERR_STORE_FULL, "entries", entries, "refused", shown);
}

/* A binding hash (struct ts_signin_pending): a hash, or "". */
static bool hash_or_empty(const char h[65])
{
	return h[0] == '\0' || ts_store_hash_valid(h);
}

/* A binding hash column into its array: what hash_or_empty allows, else
 * the row is not ours to trust. */
static ts_err hash_column(sqlite3_stmt *st, int col, char out[65])
{
	const unsigned char *v = sqlite3_column_text(st, col);
	size_t n = v != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0;

	if (n >= 65)
		return TS_ERR_STORE_QUERY;
	memcpy(out, v != NULL ? (const char *)v : "", n);
	out[n] = '\0';
	return hash_or_empty(out) ? TS_ERR_OK : TS_ERR_STORE_QUERY;
}

/* Inserts one request inside the caller's transaction. Bad input and a
 * duplicate id refuse that row only (a failed INSERT undoes just itself);
 * any other error is the transaction's (STORE_QUERY). */
static ts_err request_insert(struct sqlite_store *s, const struct ts_signin_pending *p)
{
	sqlite3_stmt *st = s->stmt[ST_REQUEST_PUT];
	size_t id_len, pool_len, idp_len, url_len;
	ts_err err;

	if ((err = ts_sq_check_text(p->id, TS_STORE_REQUEST_ID_MAX, &id_len)) != TS_ERR_OK ||
	    (err = ts_sq_check_text(p->pool, TS_STORE_TEXT_MAX, &pool_len)) != TS_ERR_OK ||
	    (err = ts_sq_check_text(p->idp, TS_STORE_TEXT_MAX, &idp_len)) != TS_ERR_OK ||
	    (err = ts_sq_check_text(p->return_url, TS_STORE_TEXT_MAX, &url_len)) != TS_ERR_OK)
		return err;
	if (p->expires_at <= p->created || !hash_or_empty(p->browser) ||
	    !hash_or_empty(p->pool_bind))
		return TS_ERR_INVALID_ARGUMENT;
	ts_sq_bind_text(st, 1, p->id, id_len);
	ts_sq_bind_text(st, 2, p->pool, pool_len);
	ts_sq_bind_text(st, 3, p->idp, idp_len);
	ts_sq_bind_text(st, 4, p->return_url, url_len);
	sqlite3_bind_int64(st, 5, p->flags);
	sqlite3_bind_int64(st, 6, p->created);
	sqlite3_bind_int64(st, 7, p->expires_at);
	ts_sq_bind_text(st, 8, p->browser, strlen(p->browser));
	ts_sq_bind_text(st, 9, p->pool_bind, strlen(p->pool_bind));
	return ts_sq_done(s, ST_REQUEST_PUT, "request_put");
}

/* One transaction for the batch: its commit, the cost of a small write, is
 * paid once (broker/request_batch.c gathers them). Bounded like the replay
 * cache: a flood of /signin must not fill the disk, and an unexpired
 * request is never evicted (its user would come back to REQUEST_UNKNOWN). */
static ts_err sqlite_request_put_many(void *impl, const struct ts_signin_pending *reqs, size_t n,
				      ts_err *errs)
{
	struct sqlite_store *s = impl;
	size_t room = 0, full = 0, stored = 0;
	ts_err err;

	if (n == 0)
		return TS_ERR_OK;
	pthread_mutex_lock(&s->lock);
	if ((err = ts_sq_begin(s, false)) == TS_ERR_OK) {
		err = room_in(s, ST_REQUEST_COUNT, ST_PRUNE_REQUEST, s->requests_max, n,
			      reqs[0].created, &room);
		for (size_t i = 0; i < n && err == TS_ERR_OK; i++) {
			if (room == 0) {
				errs[i] = TS_ERR_STORE_FULL;
				full++;
			} else if ((errs[i] = request_insert(s, &reqs[i])) == TS_ERR_OK) {
				room--;
				stored++;
			} else if (errs[i] == TS_ERR_STORE_QUERY) {
				err = TS_ERR_STORE_QUERY;
			}
		}
		/* Deletes are counted by a trigger; inserts here, once a batch. */
		if (err == TS_ERR_OK && stored > 0) {
			sqlite3_bind_int64(s->stmt[ST_REQUEST_COUNT_ADD], 1, (sqlite3_int64)stored);
			err = ts_sq_done(s, ST_REQUEST_COUNT_ADD, "request_count_add");
		}
		err = ts_sq_end(s, err, err == TS_ERR_OK, false);
	}
	pthread_mutex_unlock(&s->lock);
	if (err == TS_ERR_OK && full > 0)
		log_full("signin_requests_full", s->requests_max, full);
	for (size_t i = 0; i < n && err != TS_ERR_OK; i++)
		errs[i] = err;
	return err;
}

static ts_err sqlite_request_put(void *impl, const struct ts_signin_pending *p)
{
	ts_err row;
	ts_err err = sqlite_request_put_many(impl, p, 1, &row);

	return err != TS_ERR_OK ? err : row;
}

ts_err ts_sq_take_in(struct sqlite_store *s, enum stmt_id id, const char *key, size_t key_len,
		     ts_time now, ts_sq_take_copy copy, void *out, const char *what)
{
	sqlite3_stmt *st = s->stmt[id];
	ts_time expires_at = 0;
	ts_err err;
	int rc;

	ts_sq_bind_text(st, 1, key, key_len);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* The delete is only done when the statement is. */
		if ((err = copy(st, out, &expires_at)) == TS_ERR_OK &&
		    sqlite3_step(st) != SQLITE_DONE)
			err = ts_sq_failed(s, what);
	} else {
		err = rc == SQLITE_DONE ? TS_ERR_STORE_NOT_FOUND : ts_sq_failed(s, what);
	}
	ts_sq_reset(st);
	return err == TS_ERR_OK && expires_at <= now ? TS_ERR_STORE_EXPIRED : err;
}

/* ts_sq_take_in in a transaction of its own (durable or not): an expired
 * record's delete stands (it is used up all the same). */
static ts_err take(struct sqlite_store *s, enum stmt_id id, const char *key, size_t key_len,
		   ts_time now, bool durable, ts_sq_take_copy copy, void *out, const char *what)
{
	ts_err err;

	pthread_mutex_lock(&s->lock);
	if ((err = ts_sq_begin(s, durable)) == TS_ERR_OK) {
		err = ts_sq_take_in(s, id, key, key_len, now, copy, out, what);
		err = ts_sq_end(s, err, err == TS_ERR_OK || err == TS_ERR_STORE_EXPIRED, durable);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

/* The row request_take deleted, into a struct ts_signin_pending. */
static ts_err request_copy(sqlite3_stmt *st, void *arg, ts_time *expires_at)
{
	struct ts_signin_pending *out = arg;

	if ((out->id = ts_sq_column_dup(st, 0, NULL)) == NULL ||
	    (out->pool = ts_sq_column_dup(st, 1, NULL)) == NULL ||
	    (out->idp = ts_sq_column_dup(st, 2, NULL)) == NULL ||
	    (out->return_url = ts_sq_column_dup(st, 3, NULL)) == NULL)
		return TS_ERR_NOMEM;
	out->flags = (unsigned)sqlite3_column_int64(st, 4);
	out->created = sqlite3_column_int64(st, 5);
	*expires_at = out->expires_at = sqlite3_column_int64(st, 6);
	return hash_column(st, 7, out->browser) == TS_ERR_OK ? hash_column(st, 8, out->pool_bind)
							      : TS_ERR_STORE_QUERY;
}

static ts_err sqlite_request_take(void *impl, const char *id, ts_time now,
				  struct ts_signin_pending *out)
{
	size_t id_len;
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((err = ts_sq_check_text(id, TS_STORE_REQUEST_ID_MAX, &id_len)) != TS_ERR_OK)
		return err;
	err = take(impl, ST_REQUEST_TAKE, id, id_len, now, false, request_copy, out,
		   "request_take");
	if (err != TS_ERR_OK)
		ts_signin_pending_clear(out);
	return err;
}

/* A read: the request stays outstanding until a completed sign-in takes
 * it (sqlite_complete.c) or it expires. */
static ts_err sqlite_request_get(void *impl, const char *id, ts_time now,
				 struct ts_signin_pending *out)
{
	struct sqlite_store *s = impl;
	sqlite3_stmt *st = s->stmt[ST_REQUEST_GET];
	ts_time expires_at = 0;
	size_t id_len;
	ts_err err;
	int rc;

	memset(out, 0, sizeof *out);
	if ((err = ts_sq_check_text(id, TS_STORE_REQUEST_ID_MAX, &id_len)) != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&s->lock);
	ts_sq_bind_text(st, 1, id, id_len);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		err = request_copy(st, out, &expires_at);
	else
		err = rc == SQLITE_DONE ? TS_ERR_STORE_NOT_FOUND : ts_sq_failed(s, "request_get");
	ts_sq_reset(st);
	pthread_mutex_unlock(&s->lock);
	if (err == TS_ERR_OK && expires_at <= now)
		err = TS_ERR_STORE_EXPIRED;
	if (err != TS_ERR_OK)
		ts_signin_pending_clear(out);
	return err;
}

ts_err ts_sq_replay_claim_in(struct sqlite_store *s, const char *key, ts_time expires_at,
			     ts_time now)
{
	sqlite3_stmt *find = s->stmt[ST_REPLAY_FIND];
	enum stmt_id write = ST_REPLAY_INSERT;
	bool replay = false;
	size_t key_len;
	ts_err err;
	int rc;

	if ((err = ts_sq_check_text(key, TS_STORE_REPLAY_KEY_MAX, &key_len)) != TS_ERR_OK)
		return err;
	/* Nothing to guard: the assertion is no longer accepted anyway. */
	if (expires_at <= now)
		return TS_ERR_INVALID_ARGUMENT;
	ts_sq_bind_text(find, 1, key, key_len);
	if ((rc = sqlite3_step(find)) == SQLITE_ROW) {
		replay = sqlite3_column_int64(find, 0) > now;
		/* An expired key not swept yet is reused, not added. */
		write = ST_REPLAY_RENEW;
	} else if (rc != SQLITE_DONE) {
		err = ts_sq_failed(s, "replay_find");
	}
	ts_sq_reset(find);
	if (err == TS_ERR_OK && replay)
		err = TS_ERR_SAML_REPLAY;
	if (err != TS_ERR_OK)
		return err;
	if (write == ST_REPLAY_INSERT) {
		size_t room = 0;
		if ((err = room_in(s, ST_REPLAY_COUNT, ST_REPLAY_SWEEP, s->replay_max, 1, now,
				   &room)) != TS_ERR_OK)
			return err;
		if (room == 0) {
			log_full("replay_cache_full", s->replay_max, 1);
			return TS_ERR_STORE_FULL;
		}
	}
	ts_sq_bind_text(s->stmt[write], 1, key, key_len);
	sqlite3_bind_int64(s->stmt[write], 2, expires_at);
	return ts_sq_done(s, write, "replay_claim");
}

static ts_err sqlite_replay_claim(void *impl, const char *key, ts_time expires_at, ts_time now)
{
	struct sqlite_store *s = impl;
	ts_err err;

	pthread_mutex_lock(&s->lock);
	/* Not synced: a kill -9 keeps it (WAL), which is what the issue asks;
	 * sqlite.c says what a power cut could cost and why that is accepted. */
	if ((err = ts_sq_begin(s, false)) == TS_ERR_OK) {
		err = ts_sq_replay_claim_in(s, key, expires_at, now);
		/* A sweep made before finding the cache full is kept. */
		err = ts_sq_end(s, err, err == TS_ERR_OK || err == TS_ERR_STORE_FULL, false);
	}
	pthread_mutex_unlock(&s->lock);
	return err;
}

ts_err ts_sq_code_insert(struct sqlite_store *s, const char *code_hash, const char *payload,
			 size_t payload_len, ts_time expires_at)
{
	sqlite3_stmt *st = s->stmt[ST_CODE_PUT];
	size_t hash_len;
	ts_err err;

	if ((err = ts_sq_check_text(code_hash, TS_STORE_TEXT_MAX, &hash_len)) != TS_ERR_OK)
		return err;
	if (payload == NULL)
		return TS_ERR_INVALID_ARGUMENT;
	if (payload_len > TS_STORE_PAYLOAD_MAX)
		return TS_ERR_TOO_LARGE;
	ts_sq_bind_text(st, 1, code_hash, hash_len);
	/* A non-NULL pointer keeps a zero-length payload a blob, not NULL. */
	sqlite3_bind_blob(st, 2, payload, (int)payload_len, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, expires_at);
	return ts_sq_done(s, ST_CODE_PUT, "code_put");
}

static ts_err sqlite_code_put(void *impl, const char *code_hash, const char *payload,
			      size_t payload_len, ts_time expires_at)
{
	struct sqlite_store *s = impl;
	ts_err err;

	/* Not durable: a code lost to a power cut fails its redemption, and the
	 * user signs in again. */
	pthread_mutex_lock(&s->lock);
	err = ts_sq_code_insert(s, code_hash, payload, payload_len, expires_at);
	pthread_mutex_unlock(&s->lock);
	return err;
}

struct code_out {
	char **payload;
	size_t *len;
};

/* The payload code_take deleted: a NUL-terminated copy. */
static ts_err code_copy(sqlite3_stmt *st, void *arg, ts_time *expires_at)
{
	struct code_out *out = arg;
	const void *blob = sqlite3_column_blob(st, 0);
	size_t n = (size_t)sqlite3_column_bytes(st, 0);

	if ((*out->payload = malloc(n + 1)) == NULL)
		return TS_ERR_NOMEM;
	if (n > 0)
		memcpy(*out->payload, blob, n);
	(*out->payload)[n] = '\0';
	*out->len = n;
	*expires_at = sqlite3_column_int64(st, 1);
	return TS_ERR_OK;
}

static ts_err sqlite_code_take(void *impl, const char *code_hash, ts_time now, char **payload,
			       size_t *len)
{
	struct code_out out = {payload, len};
	size_t hash_len;
	ts_err err;

	*payload = NULL;
	*len = 0;
	if ((err = ts_sq_check_text(code_hash, TS_STORE_TEXT_MAX, &hash_len)) != TS_ERR_OK)
		return err;
	/* Not synced, as the replay claim: a kill -9 keeps the redemption; a
	 * power cut could lose it only within the code's short lifetime. */
	err = take(impl, ST_CODE_TAKE, code_hash, hash_len, now, false, code_copy, &out,
		   "code_take");
	if (err != TS_ERR_OK && *payload != NULL) {
		OPENSSL_cleanse(*payload, *len);
		free(*payload);
		*payload = NULL;
		*len = 0;
	}
	return err;
}

void ts_sq_signin_bind(struct ts_store *store)
{
	store->request_put = sqlite_request_put;
	store->request_put_many = sqlite_request_put_many;
	store->request_take = sqlite_request_take;
	store->request_get = sqlite_request_get;
	store->replay_claim = sqlite_replay_claim;
	store->code_put = sqlite_code_put;
	store->code_take = sqlite_code_take;
}
