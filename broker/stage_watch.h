/* How a running broker sees stage and exception changes without a restart:
 * a thread polls the cutover change counter every stage_poll_interval_ms
 * and, when it moved, reads every pool's stage and the unexpired exceptions
 * in one transaction into a new immutable snapshot, swapped in atomically.
 * Requests hold a reference to one snapshot from start to end (as with
 * broker/runtime.c), so a flip never changes what a request sees halfway.
 * If the store cannot be read (gone, replaced, damaged) the last snapshot
 * stays in force and the watch reports not ready (/readyz) until a read
 * succeeds again. */
#ifndef TS_BROKER_STAGE_WATCH_H
#define TS_BROKER_STAGE_WATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/cutover.h"

/* One pool in a snapshot; exceptions is a view into the snapshot's own. */
struct ts_stage_pool {
	const char *pool;
	enum ts_stage stage;
	int64_t version;
	struct ts_cutover_exceptions exceptions;
};

struct ts_stage_snapshot {
	atomic_int refs;
	int64_t generation; /* -1: config stages only, the store was never read */
	struct ts_stage_pool *pools;
	size_t n;
	struct ts_cutover_state state; /* owns the strings the views point into */
};

/* The pool's entry, or NULL if it is not configured. */
const struct ts_stage_pool *ts_stage_snapshot_pool(const struct ts_stage_snapshot *s,
						   const char *pool);
void ts_stage_snapshot_release(struct ts_stage_snapshot *s);

struct ts_stage_watch;

/* Watches the store at path for pools[0..n) (configured[i] is pool i's
 * [pool] stage). The first read happens before this returns; if it fails
 * the snapshot holds the configured stages and the watch is not ready.
 * The store file is never created here (tesserad's store opens first). */
ts_err ts_stage_watch_start(const char *path, const char *const *pools,
			    const enum ts_stage *configured, size_t n, long interval_ms,
			    struct ts_stage_watch **out);
void ts_stage_watch_stop(struct ts_stage_watch *w);
/* A reloaded configuration's pools (SIGHUP): added pools are watched and
 * changed configured stages apply, in a snapshot read at once. Pools no
 * longer listed stay watched. Waits up to timeout_ms for that read;
 * TS_ERR_NOT_READY: it did not finish or the store could not be read
 * (the list still applies from the next successful round); TS_ERR_NOMEM:
 * the list was dropped. */
ts_err ts_stage_watch_set_pools(struct ts_stage_watch *w, const char *const *pools,
				const enum ts_stage *configured, size_t n, long timeout_ms);

/* The current snapshot, with a reference: ts_stage_snapshot_release. */
struct ts_stage_snapshot *ts_stage_watch_acquire(struct ts_stage_watch *w);
/* false while the store cannot be read; why says what failed. */
bool ts_stage_watch_ready(struct ts_stage_watch *w, char *why, size_t why_len);
/* Waits until rounds more polls have finished, or timeout_ms passed
 * (false). For tests and for a caller that just changed the store. */
bool ts_stage_watch_wait_rounds(struct ts_stage_watch *w, unsigned rounds, long timeout_ms);

#endif
