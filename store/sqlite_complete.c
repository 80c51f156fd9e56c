/* What a completed sign-in writes, in one transaction: the request taken,
 * the replay key claimed, the session and the hand-over code stored. One
 * transaction makes a sign-in all or nothing (four left half a sign-in
 * behind when one failed); it is not faster by itself, since a commit costs
 * the pages it writes. n sign-ins in one transaction (a savepoint each)
 * share those pages: that is the batch form's use. */
#include <stdbool.h>
#include <stdlib.h>

#include "sqlite_internal.h"

/* The used-up request's expiry: nothing else of it is wanted. */
static ts_err request_expiry(sqlite3_stmt *st, void *out, ts_time *expires_at)
{
	(void)out;
	*expires_at = sqlite3_column_int64(st, 6);
	return TS_ERR_OK;
}

/* Deletes the request; gone: STORE_NOT_FOUND, expired: STORE_EXPIRED. */
static ts_err request_use(struct sqlite_store *s, const char *id, ts_time now)
{
	size_t id_len;
	ts_err err;

	if ((err = ts_sq_check_text(id, TS_STORE_REQUEST_ID_MAX, &id_len)) != TS_ERR_OK)
		return err;
	return ts_sq_take_in(s, ST_REQUEST_TAKE, id, id_len, now, request_expiry, NULL,
			     "request_use");
}

static ts_err complete_one(struct sqlite_store *s, const struct ts_signin_completion *c)
{
	ts_err err;

	if ((err = request_use(s, c->request_id, c->now)) != TS_ERR_OK ||
	    (err = ts_sq_replay_claim_in(s, c->replay_key, c->replay_expires_at, c->now)) !=
		    TS_ERR_OK ||
	    (err = ts_sq_session_insert(s, &c->session)) != TS_ERR_OK)
		return err;
	if (c->code_hash == NULL)
		return TS_ERR_OK;
	return ts_sq_code_insert(s, c->code_hash, c->code_payload, c->code_payload_len,
				 c->code_expires_at);
}

/* complete_one inside a savepoint when others share the transaction: a
 * refused sign-in undoes only itself (alone, the whole transaction is rolled
 * back). Returns STORE_QUERY when the transaction itself is lost.
 * A STORE_FULL refusal undoes its sweep of expired keys too, unlike
 * replay_claim alone: the cache is only found full when that sweep freed
 * nothing (or, after replay_cache_entries was lowered, too little), so
 * nothing is lost that the next claim's sweep does not redo. */
static ts_err complete_saved(struct sqlite_store *s, const struct ts_signin_completion *c,
			     bool alone, ts_err *row)
{
	ts_err err;

	if (alone) {
		*row = complete_one(s, c);
		return *row == TS_ERR_STORE_QUERY ? TS_ERR_STORE_QUERY : TS_ERR_OK;
	}
	if ((err = ts_sq_done(s, ST_SAVEPOINT, "savepoint")) != TS_ERR_OK)
		return err;
	if ((*row = complete_one(s, c)) != TS_ERR_OK &&
	    (err = ts_sq_done(s, ST_ROLLBACK_TO, "rollback_to")) != TS_ERR_OK)
		return err;
	if ((err = ts_sq_done(s, ST_RELEASE, "release")) != TS_ERR_OK)
		return err;
	return *row == TS_ERR_STORE_QUERY ? TS_ERR_STORE_QUERY : TS_ERR_OK;
}

/* Not synced, as the replay claim alone: a kill -9 keeps every sign-in
 * that was answered (sqlite.c says what a power cut could cost). */
static ts_err sqlite_signin_complete_many(void *impl, const struct ts_signin_completion *c,
					  size_t n, ts_err *errs)
{
	struct sqlite_store *s = impl;
	ts_err err;

	if (n == 0)
		return TS_ERR_OK;
	pthread_mutex_lock(&s->lock);
	if ((err = ts_sq_begin(s, false)) == TS_ERR_OK) {
		for (size_t i = 0; i < n && err == TS_ERR_OK; i++)
			err = complete_saved(s, &c[i], n == 1, &errs[i]);
		err = ts_sq_end(s, err, err == TS_ERR_OK && (n > 1 || errs[0] == TS_ERR_OK), false);
	}
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n && err != TS_ERR_OK; i++)
		errs[i] = err;
	return err;
}

void ts_sq_complete_bind(struct ts_store *store)
{
	store->signin_complete_many = sqlite_signin_complete_many;
}
