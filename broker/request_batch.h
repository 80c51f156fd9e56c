/* Group commit of outstanding sign-in requests (GET /signin, /adfs/ls/).
 * Each request must be stored before its redirect leaves; a transaction per
 * request made the commit (WAL write, file locks) most of the route's cost,
 * and serialised it. Here a request is queued with the answer waiting on it
 * (the connection suspended, its thread free for others); one thread writes
 * everything queued in one transaction, then lets each answer go. Nothing
 * is answered before its request is committed, so a kill -9 loses no
 * request a client was sent off with. */
#ifndef TS_BROKER_REQUEST_BATCH_H
#define TS_BROKER_REQUEST_BATCH_H

#include "http.h"
#include "tessera/err.h"
#include "tessera/store.h"

struct ts_request_batch;

/* Starts the writing thread over store. */
ts_err ts_request_batch_start(struct ts_store *store, struct ts_request_batch **out);
/* Writes what is queued and stops the thread (a second call does nothing);
 * a hold started later is written by the thread that starts it. Call before
 * the HTTP layer stops, which needs every held answer let go; free q after
 * that. */
void ts_request_batch_stop(struct ts_request_batch *q);
void ts_request_batch_free(struct ts_request_batch *q);

/* Sets hold (http.h) to write a copy of p: the HTTP layer starts it once
 * the connection waits, and its answer goes out after the commit, or a
 * refusal naming the store's error. Until started, the hold owns the copy. */
ts_err ts_request_batch_hold(struct ts_request_batch *q, const struct ts_signin_pending *p,
			     struct ts_http_hold *hold);

#endif
