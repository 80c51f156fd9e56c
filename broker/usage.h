/* Legacy use aggregated in memory, flushed to the cutover store in
 * batches: the gate calls ts_usage_record for every legacy request (from
 * many HTTP and SPOP threads at once), and never waits on a store write.
 * Rows are keyed by pool, user, client family, kind, source network (/24 or
 * /64), decision and hour; the table holds at most max_entries rows and
 * counts what it had to drop when full. */
#ifndef TS_BROKER_USAGE_H
#define TS_BROKER_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/clock.h"
#include "tessera/cutover.h"

struct ts_usage;

/* One request the gate classified as legacy (strings are copied). */
struct ts_usage_event {
	const char *pool;
	const char *user;   /* as the gate read it (NTLM type 3, Basic, form) */
	const char *family; /* client family name from the gate's table */
	bool passive_capable;
	const char *kind;  /* gate kind: ntlm, negotiate, basic, ... */
	const char *ip;	   /* numeric source address, IPv4 or IPv6 */
	const char *agent; /* User-Agent, may be NULL; part of the key, cut to 256 bytes */
	enum ts_usage_decision decision;
	ts_time now;
};

struct ts_usage *ts_usage_new(size_t max_entries);
/* Stops the flush thread if running (with a last flush), frees the table. */
void ts_usage_free(struct ts_usage *u);

/* Counts one request. INVALID_ARGUMENT / TOO_LARGE for a missing or
 * overlong field or a non-numeric ip (nothing counted); a full table drops
 * it and counts the drop (STORE_FULL; the request goes on regardless). */
ts_err ts_usage_record(struct ts_usage *u, const struct ts_usage_event *ev);

/* Swaps the table out under the lock and writes it in one transaction,
 * pruning rows older than retention_before (0: none). If the write fails
 * the rows go back into the table for the next try, past max_entries up to
 * twice it. */
ts_err ts_usage_flush(struct ts_usage *u, struct ts_cutover *c, ts_time retention_before);

/* Rows held now, and records dropped since start because the table was full. */
void ts_usage_stats(struct ts_usage *u, size_t *entries, uint64_t *dropped);

/* A thread flushing every interval seconds, pruning rows older than
 * retention_days; ts_usage_stop (or ts_usage_free) ends it with a last flush. */
ts_err ts_usage_start(struct ts_usage *u, struct ts_cutover *c, long interval,
		      long retention_days, const struct ts_clock *clock);
void ts_usage_stop(struct ts_usage *u);

#endif
