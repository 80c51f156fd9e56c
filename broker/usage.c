/* The legacy-use aggregator: a GHashTable under one short lock. A record
 * does its allocations and formatting before taking the lock, so threads
 * hold it only for one lookup and an add. A flush swaps the table for an
 * empty one and writes outside the lock. */
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tessera/log.h"
#include "usage.h"

struct usage_entry {
	char *pool, *user, *family, *kind, *network, *agent;
	bool passive_capable;
	enum ts_usage_decision decision;
	int64_t hour;
	ts_time first_seen, last_seen;
	uint64_t count;
};

struct ts_usage {
	pthread_mutex_t lock;
	GHashTable *table; /* key (owned) -> struct usage_entry (owned) */
	size_t max_entries;
	uint64_t dropped;	/* since start */
	uint64_t dropped_logged; /* what the last flush reported */

	/* the flush thread */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	pthread_t thread;
	bool running, stopping;
	struct ts_cutover *store;
	long interval, retention_days;
	struct ts_clock clock;
};

static void entry_free(gpointer p)
{
	struct usage_entry *e = p;

	if (e == NULL)
		return;
	g_free(e->pool);
	g_free(e->user);
	g_free(e->family);
	g_free(e->kind);
	g_free(e->network);
	g_free(e->agent);
	g_free(e);
}

static GHashTable *table_new(void)
{
	return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
}

struct ts_usage *ts_usage_new(size_t max_entries)
{
	struct ts_usage *u;

	if (max_entries == 0 || (u = calloc(1, sizeof *u)) == NULL)
		return NULL;
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->run_lock, NULL);
	ts_cond_init_monotonic(&u->run_cond);
	u->table = table_new();
	u->max_entries = max_entries;
	return u;
}

void ts_usage_free(struct ts_usage *u)
{
	if (u == NULL)
		return;
	ts_usage_stop(u);
	g_hash_table_destroy(u->table);
	pthread_cond_destroy(&u->run_cond);
	pthread_mutex_destroy(&u->run_lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static ts_err check_field(const char *s)
{
	if (s == NULL || *s == '\0')
		return TS_ERR_INVALID_ARGUMENT;
	return strnlen(s, TS_CUTOVER_NAME_MAX + 1) > TS_CUTOVER_NAME_MAX ? TS_ERR_TOO_LARGE
									   : TS_ERR_OK;
}

/* Adds what src saw to dst (same key). */
static void entry_merge(struct usage_entry *dst, struct usage_entry *src)
{
	dst->count += src->count;
	if (src->first_seen < dst->first_seen)
		dst->first_seen = src->first_seen;
	if (src->last_seen > dst->last_seen)
		dst->last_seen = src->last_seen;
	dst->passive_capable = src->passive_capable;
}

/* Puts e under key into the table (lock held), merging with an existing
 * row; takes both. Returns false (and frees them, counting a drop) when the
 * table already holds limit rows. */
static bool table_put(struct ts_usage *u, char *key, struct usage_entry *e, size_t limit)
{
	struct usage_entry *have = g_hash_table_lookup(u->table, key);

	if (have != NULL) {
		entry_merge(have, e);
		g_free(key);
		entry_free(e);
		return true;
	}
	if (g_hash_table_size(u->table) >= limit) {
		u->dropped += e->count;
		g_free(key);
		entry_free(e);
		return false;
	}
	g_hash_table_insert(u->table, key, e);
	return true;
}

/* The key: the fields joined by a byte none of them may hold, and the
 * User-Agent last, which may hold it: what comes after the seventh
 * separator is the agent, whatever it holds. */
static char *entry_key(const struct usage_entry *e)
{
	return g_strdup_printf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%lld\x1f%s", e->pool,
			       e->user, e->family, e->kind, e->network,
			       ts_usage_decision_name(e->decision), (long long)e->hour, e->agent);
}

ts_err ts_usage_record(struct ts_usage *u, const struct ts_usage_event *ev)
{
	char network[TS_CUTOVER_NETWORK_MAX];
	struct usage_entry *e;
	ts_err err;

	if ((err = check_field(ev->pool)) != TS_ERR_OK || (err = check_field(ev->user)) != TS_ERR_OK ||
	    (err = check_field(ev->family)) != TS_ERR_OK ||
	    (err = check_field(ev->kind)) != TS_ERR_OK)
		return err;
	if ((unsigned)ev->decision >= TS_DECISION__COUNT)
		return TS_ERR_INVALID_ARGUMENT;
	/* GET /gate without X-Forwarded-For / X-Real-IP knows no source. */
	if (ev->ip == NULL || ev->ip[0] == '\0')
		g_strlcpy(network, "unknown", sizeof network);
	else if (ts_cutover_network_of(ev->ip, network) != TS_ERR_OK)
		return TS_ERR_INVALID_ARGUMENT;
	e = g_new0(struct usage_entry, 1);
	e->pool = g_strdup(ev->pool);
	e->user = g_strdup(ev->user);
	e->family = g_strdup(ev->family);
	e->kind = g_strdup(ev->kind);
	e->network = g_strdup(network);
	e->agent = g_strndup(ev->agent != NULL ? ev->agent : "", TS_CUTOVER_AGENT_MAX);
	e->passive_capable = ev->passive_capable;
	e->decision = ev->decision;
	e->hour = ev->now / 3600;
	e->first_seen = e->last_seen = ev->now;
	e->count = 1;
	/* A user name with the separator would alias another key: the
	 * separator is a control byte no header value carries. */
	if (strchr(e->user, '\x1f') != NULL || strchr(e->pool, '\x1f') != NULL ||
	    strchr(e->family, '\x1f') != NULL || strchr(e->kind, '\x1f') != NULL) {
		entry_free(e);
		return TS_ERR_INVALID_ARGUMENT;
	}
	{
		char *key = entry_key(e);
		bool put;
		pthread_mutex_lock(&u->lock);
		put = table_put(u, key, e, u->max_entries);
		pthread_mutex_unlock(&u->lock);
		return put ? TS_ERR_OK : TS_ERR_STORE_FULL;
	}
}

void ts_usage_stats(struct ts_usage *u, size_t *entries, uint64_t *dropped)
{
	pthread_mutex_lock(&u->lock);
	if (entries != NULL)
		*entries = g_hash_table_size(u->table);
	if (dropped != NULL)
		*dropped = u->dropped;
	pthread_mutex_unlock(&u->lock);
}

/* After a failed write: the rows go back for the next flush, past
 * max_entries up to twice it (a counted attempt lost here would let a
 * refusal of it take off someone else's sign-in), so a store down for long
 * still bounds the memory. */
static void put_back(struct ts_usage *u, GHashTable *old)
{
	GHashTableIter it;
	gpointer k, v;

	pthread_mutex_lock(&u->lock);
	g_hash_table_iter_init(&it, old);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		g_hash_table_iter_steal(&it);
		table_put(u, k, v, 2 * u->max_entries);
	}
	pthread_mutex_unlock(&u->lock);
}

ts_err ts_usage_flush(struct ts_usage *u, struct ts_cutover *c, ts_time retention_before)
{
	GHashTable *old, *fresh = table_new();
	struct ts_usage_row *rows = NULL;
	GHashTableIter it;
	gpointer v;
	uint64_t dropped, dropped_new;
	size_t n = 0;
	char shown[2][24];
	ts_err err;

	pthread_mutex_lock(&u->lock);
	old = u->table;
	u->table = fresh;
	dropped = u->dropped;
	dropped_new = dropped - u->dropped_logged;
	u->dropped_logged = dropped;
	pthread_mutex_unlock(&u->lock);

	if (dropped_new > 0) {
		snprintf(shown[0], sizeof shown[0], "%llu", (unsigned long long)dropped_new);
		snprintf(shown[1], sizeof shown[1], "%zu", u->max_entries);
		ts_log(TS_LOG_WARN, "usage_records_dropped", "count", shown[0], "max_entries",
		       shown[1], "hint", "raise [cutover] usage_max_entries");
	}
	if (g_hash_table_size(old) == 0 && retention_before == 0) {
		g_hash_table_destroy(old);
		return TS_ERR_OK;
	}
	rows = g_new0(struct ts_usage_row, g_hash_table_size(old) + 1);
	g_hash_table_iter_init(&it, old);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct usage_entry *e = v;
		rows[n++] = (struct ts_usage_row){
			.pool = e->pool, .user = e->user, .family = e->family, .kind = e->kind,
			.network = e->network, .passive_capable = e->passive_capable,
			.decision = e->decision, .hour = e->hour, .first_seen = e->first_seen,
			.last_seen = e->last_seen, .count = e->count, .agent = e->agent};
	}
	err = ts_cutover_usage_add(c, rows, n, retention_before);
	g_free(rows);
	snprintf(shown[0], sizeof shown[0], "%zu", n);
	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "usage_flush_failed", err, "rows", shown[0], "kept",
			     "in memory for the next flush");
		put_back(u, old);
	} else if (n > 0) {
		ts_log(TS_LOG_DEBUG, "usage_flushed", "rows", shown[0]);
	}
	g_hash_table_destroy(old);
	return err;
}

static void *flush_thread(void *arg)
{
	struct ts_usage *u = arg;
	bool stop = false;

	while (!stop) {
		struct timespec deadline = ts_monotonic_deadline((int64_t)u->interval * 1000);
		ts_time now;

		pthread_mutex_lock(&u->run_lock);
		while (!u->stopping &&
		       pthread_cond_timedwait(&u->run_cond, &u->run_lock, &deadline) != ETIMEDOUT)
			;
		stop = u->stopping;
		pthread_mutex_unlock(&u->run_lock);
		/* The last round runs after stop was asked: shutdown flushes. */
		now = ts_clock_now(&u->clock);
		ts_usage_flush(u, u->store, now - (ts_time)u->retention_days * 86400);
	}
	return NULL;
}

ts_err ts_usage_start(struct ts_usage *u, struct ts_cutover *c, long interval,
		      long retention_days, const struct ts_clock *clock)
{
	if (u->running || c == NULL || interval < 1 || retention_days < 1)
		return TS_ERR_INVALID_ARGUMENT;
	u->store = c;
	u->interval = interval;
	u->retention_days = retention_days;
	u->clock = clock != NULL ? *clock : ts_clock_real();
	u->stopping = false;
	if (pthread_create(&u->thread, NULL, flush_thread, u) != 0)
		return TS_ERR_INTERNAL;
	u->running = true;
	return TS_ERR_OK;
}

void ts_usage_stop(struct ts_usage *u)
{
	if (u == NULL || !u->running)
		return;
	pthread_mutex_lock(&u->run_lock);
	u->stopping = true;
	pthread_cond_signal(&u->run_cond);
	pthread_mutex_unlock(&u->run_lock);
	pthread_join(u->thread, NULL);
	u->running = false;
}
