/* The stage watch thread: poll the change counter, load, swap. A poll
 * costs one one-row SELECT; the store file's identity (device, inode) is
 * checked too, because an open SQLite connection keeps reading a deleted
 * or replaced file as if nothing happened. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "stage_watch.h"
#include "tessera/log.h"

struct ts_stage_watch {
	char *path;
	/* The watch thread's own (read without the lock); a reload's list
	 * waits in next_* until the thread merges it in (merge_pools). */
	char **pools;
	enum ts_stage *configured;
	size_t n;
	bool reread; /* pools changed since the last snapshot installed */
	long interval_ms;

	struct ts_cutover *store; /* the watch thread's connection; NULL while lost */
	dev_t dev;
	ino_t ino;

	pthread_mutex_t lock; /* snapshot, ready, why, rounds, stopping, next_* */
	pthread_cond_t cond;
	char **next_pools; /* NULL: no new list */
	enum ts_stage *next_configured;
	size_t next_n;
	uint64_t merged_round; /* the round that read the store with the last list */
	ts_err merge_err;      /* how that round's merge went */
	struct ts_stage_snapshot *snapshot;
	bool ready;
	char why[256];
	uint64_t rounds;
	bool stopping;
	pthread_t thread;
	bool running;
};

const struct ts_stage_pool *ts_stage_snapshot_pool(const struct ts_stage_snapshot *s,
						   const char *pool)
{
	for (size_t i = 0; s != NULL && pool != NULL && i < s->n; i++)
		if (strcmp(s->pools[i].pool, pool) == 0)
			return &s->pools[i];
	return NULL;
}

void ts_stage_snapshot_release(struct ts_stage_snapshot *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	ts_cutover_state_clear(&s->state);
	free(s->pools);
	free(s);
}

/* A snapshot over state (taken); views of each pool's exceptions, which
 * state_read returns ordered by pool. */
static struct ts_stage_snapshot *snapshot_new(struct ts_cutover_state *state)
{
	struct ts_stage_snapshot *s = calloc(1, sizeof *s);

	if (s == NULL || (s->pools = calloc(state->n + 1, sizeof *s->pools)) == NULL) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->state = *state;
	memset(state, 0, sizeof *state);
	s->generation = s->state.generation;
	s->n = s->state.n;
	for (size_t i = 0; i < s->n; i++) {
		struct ts_stage_pool *p = &s->pools[i];
		p->pool = s->state.stages[i].pool;
		p->stage = s->state.stages[i].stage;
		p->version = s->state.stages[i].version;
		for (size_t j = 0; j < s->state.n_exceptions; j++) {
			if (strcmp(s->state.exceptions[j].pool, p->pool) != 0)
				continue;
			if (p->exceptions.n == 0)
				p->exceptions.items = &s->state.exceptions[j];
			p->exceptions.n++;
		}
	}
	return s;
}

static void pools_free(char **pools, enum ts_stage *configured, size_t n)
{
	for (size_t i = 0; pools != NULL && i < n; i++)
		free(pools[i]);
	free(pools);
	free(configured);
}

/* Copies of pools[0..n) and their configured stages. */
static ts_err pools_copy(const char *const *pools, const enum ts_stage *configured, size_t n,
			 char ***pools_out, enum ts_stage **configured_out)
{
	char **p = calloc(n + 1, sizeof *p);
	enum ts_stage *c = calloc(n + 1, sizeof *c);

	*pools_out = NULL;
	*configured_out = NULL;
	for (size_t i = 0; p != NULL && c != NULL && i < n; i++) {
		if ((p[i] = strdup(pools[i])) == NULL) {
			pools_free(p, c, n);
			return TS_ERR_NOMEM;
		}
		c[i] = configured[i];
	}
	if (p == NULL || c == NULL) {
		pools_free(p, c, n);
		return TS_ERR_NOMEM;
	}
	*pools_out = p;
	*configured_out = c;
	return TS_ERR_OK;
}

/* Takes a reloaded configuration's pools, if one came: they and their
 * configured stages replace the running ones; a pool the new file no
 * longer has stays watched, so a request still on the old configuration
 * never falls back to a configured stage. Sets reread, which only an
 * installed snapshot clears: a round that fails leaves it for the next. */
static void merge_pools(struct ts_stage_watch *w)
{
	char **next, **merged;
	enum ts_stage *next_configured, *merged_configured;
	size_t next_n, n;

	pthread_mutex_lock(&w->lock);
	next = w->next_pools;
	next_configured = w->next_configured;
	next_n = w->next_n;
	w->next_pools = NULL;
	w->next_configured = NULL;
	w->next_n = 0;
	if (next != NULL) {
		w->merged_round = w->rounds + 1; /* set_ready counts this round */
		w->merge_err = TS_ERR_OK;
	}
	pthread_mutex_unlock(&w->lock);
	if (next == NULL)
		return;
	merged = realloc(next, (next_n + w->n + 1) * sizeof *merged);
	merged_configured = merged != NULL ? realloc(next_configured, (next_n + w->n + 1) *
							       sizeof *merged_configured)
					   : NULL;
	if (merged == NULL || merged_configured == NULL) {
		/* Keep watching the running list; the next reload tries again. */
		pools_free(merged != NULL ? merged : next,
			   merged_configured != NULL ? merged_configured : next_configured, next_n);
		ts_log_error(TS_LOG_ERR, "stage_watch_pools_kept", TS_ERR_NOMEM, "reason",
			     "out of memory");
		pthread_mutex_lock(&w->lock);
		w->merge_err = TS_ERR_NOMEM; /* set_pools says so */
		pthread_mutex_unlock(&w->lock);
		return;
	}
	n = next_n;
	for (size_t i = 0; i < w->n; i++) {
		bool listed = false;
		for (size_t j = 0; j < next_n && !listed; j++)
			listed = strcmp(w->pools[i], merged[j]) == 0;
		if (listed) {
			free(w->pools[i]);
			continue;
		}
		merged[n] = w->pools[i];
		merged_configured[n++] = w->configured[i];
	}
	free(w->pools);
	free(w->configured);
	w->pools = merged;
	w->configured = merged_configured;
	w->n = n;
	w->reread = true;
}

/* The configured stages: what applies before the store was ever read. */
static struct ts_stage_snapshot *snapshot_configured(struct ts_stage_watch *w)
{
	struct ts_cutover_state state = {0};
	struct ts_stage_snapshot *s;

	if ((state.stages = calloc(w->n + 1, sizeof *state.stages)) == NULL)
		return NULL;
	for (size_t i = 0; i < w->n; i++, state.n++) {
		if ((state.stages[i].pool = strdup(w->pools[i])) == NULL) {
			ts_cutover_state_clear(&state);
			return NULL;
		}
		state.stages[i].stage = w->configured[i];
	}
	state.generation = -1;
	if ((s = snapshot_new(&state)) == NULL)
		ts_cutover_state_clear(&state);
	return s;
}

static void install(struct ts_stage_watch *w, struct ts_stage_snapshot *next)
{
	struct ts_stage_snapshot *old;

	pthread_mutex_lock(&w->lock);
	old = w->snapshot;
	w->snapshot = next;
	pthread_mutex_unlock(&w->lock);
	ts_stage_snapshot_release(old);
}

/* Records the outcome of a round; logs only when readiness changes. */
static void set_ready(struct ts_stage_watch *w, bool ready, const char *why)
{
	bool was;

	pthread_mutex_lock(&w->lock);
	was = w->ready;
	w->ready = ready;
	snprintf(w->why, sizeof w->why, "%s", ready ? "" : why);
	w->rounds++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (was && !ready)
		ts_log_error(TS_LOG_ERR, "stage_watch_unready", TS_ERR_NOT_READY, "path", w->path,
			     "reason", why, "kept", "last known stages");
	else if (!was && ready)
		ts_log(TS_LOG_INFO, "stage_watch_ready", "path", w->path);
}

static void drop_store(struct ts_stage_watch *w)
{
	ts_cutover_close(w->store);
	w->store = NULL;
}

/* Is the file at path still the one the connection has open? */
static bool same_file(struct ts_stage_watch *w)
{
	struct stat st;

	return stat(w->path, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino;
}

static ts_err connect_store(struct ts_stage_watch *w)
{
	struct stat st;
	ts_err err;

	if (stat(w->path, &st) != 0)
		return TS_ERR_STORE_OPEN;
	if ((err = ts_cutover_open(w->path, false, &w->store)) != TS_ERR_OK)
		return err;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
	return TS_ERR_OK;
}

/* One round: (re)connect, compare generations, reload if it moved. */
static void poll_once(struct ts_stage_watch *w)
{
	struct ts_cutover_state state;
	struct ts_stage_snapshot *cur, *next;
	int64_t generation = 0, have;
	const char *why = NULL;
	ts_err err;

	merge_pools(w);

	if (w->store != NULL && !same_file(w)) {
		drop_store(w);
		why = "store file is gone or was replaced";
	}
	if (w->store == NULL && (err = connect_store(w)) != TS_ERR_OK) {
		set_ready(w, false, why != NULL ? why : "store cannot be opened");
		return;
	}
	if ((err = ts_cutover_generation(w->store, &generation)) != TS_ERR_OK) {
		drop_store(w);
		set_ready(w, false, "store cannot be read");
		return;
	}
	cur = ts_stage_watch_acquire(w);
	have = cur->generation;
	ts_stage_snapshot_release(cur);
	if (generation != have || w->reread) {
		err = ts_cutover_state_read(w->store, (const char *const *)w->pools, w->configured,
					    w->n, ts_clock_now(NULL), &state);
		if (err != TS_ERR_OK) {
			drop_store(w);
			set_ready(w, false, "stages cannot be read");
			return;
		}
		if ((next = snapshot_new(&state)) == NULL) {
			ts_cutover_state_clear(&state);
			set_ready(w, false, "out of memory");
			return;
		}
		install(w, next);
		w->reread = false;
		for (size_t i = 0; i < next->n; i++) {
			char v[24];
			snprintf(v, sizeof v, "%lld", (long long)next->pools[i].version);
			ts_log(TS_LOG_DEBUG, "stage_loaded", "pool", next->pools[i].pool, "stage",
			       ts_stage_name(next->pools[i].stage), "version", v);
		}
	}
	set_ready(w, true, NULL);
}

static void *watch_thread(void *arg)
{
	struct ts_stage_watch *w = arg;

	for (;;) {
		struct timespec deadline = ts_monotonic_deadline(w->interval_ms);
		bool stop;

		pthread_mutex_lock(&w->lock);
		while (!w->stopping && w->next_pools == NULL &&
		       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
			;
		stop = w->stopping;
		pthread_mutex_unlock(&w->lock);
		if (stop)
			break;
		poll_once(w);
	}
	return NULL;
}

static void watch_free(struct ts_stage_watch *w)
{
	pools_free(w->pools, w->configured, w->n);
	pools_free(w->next_pools, w->next_configured, w->next_n);
	free(w->path);
	drop_store(w);
	ts_stage_snapshot_release(w->snapshot);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

ts_err ts_stage_watch_start(const char *path, const char *const *pools,
			    const enum ts_stage *configured, size_t n, long interval_ms,
			    struct ts_stage_watch **out)
{
	struct ts_stage_watch *w = calloc(1, sizeof *w);

	*out = NULL;
	if (w == NULL)
		return TS_ERR_NOMEM;
	pthread_mutex_init(&w->lock, NULL);
	ts_cond_init_monotonic(&w->cond);
	w->interval_ms = interval_ms > 0 ? interval_ms : 500;
	if ((w->path = strdup(path)) == NULL ||
	    pools_copy(pools, configured, n, &w->pools, &w->configured) != TS_ERR_OK)
		goto nomem;
	w->n = n;
	/* ready starts true so a first failure is logged as the change it is. */
	w->ready = true;
	if ((w->snapshot = snapshot_configured(w)) == NULL)
		goto nomem;
	poll_once(w);
	if (pthread_create(&w->thread, NULL, watch_thread, w) != 0) {
		watch_free(w);
		return TS_ERR_INTERNAL;
	}
	w->running = true;
	*out = w;
	return TS_ERR_OK;
nomem:
	watch_free(w);
	return TS_ERR_NOMEM;
}

void ts_stage_watch_stop(struct ts_stage_watch *w)
{
	if (w == NULL)
		return;
	if (w->running) {
		pthread_mutex_lock(&w->lock);
		w->stopping = true;
		pthread_cond_broadcast(&w->cond);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	watch_free(w);
}

/* Under the lock: a reload's list not yet taken, or its round unfinished. */
static bool list_pending(const struct ts_stage_watch *w)
{
	return w->next_pools != NULL || w->rounds < w->merged_round;
}

ts_err ts_stage_watch_set_pools(struct ts_stage_watch *w, const char *const *pools,
				const enum ts_stage *configured, size_t n, long timeout_ms)
{
	struct timespec deadline = ts_monotonic_deadline(timeout_ms);
	char **copy;
	enum ts_stage *copy_configured;
	ts_err err = pools_copy(pools, configured, n, &copy, &copy_configured);

	if (err != TS_ERR_OK)
		return err;
	pthread_mutex_lock(&w->lock);
	/* A list not merged yet is replaced: this one is newer. */
	pools_free(w->next_pools, w->next_configured, w->next_n);
	w->next_pools = copy;
	w->next_configured = copy_configured;
	w->next_n = n;
	pthread_cond_broadcast(&w->cond);
	/* Until a round has taken the list and finished (set_ready wakes us). */
	while (list_pending(w) &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
	err = list_pending(w) || !w->ready ? TS_ERR_NOT_READY : w->merge_err;
	pthread_mutex_unlock(&w->lock);
	return err;
}

struct ts_stage_snapshot *ts_stage_watch_acquire(struct ts_stage_watch *w)
{
	struct ts_stage_snapshot *s;

	pthread_mutex_lock(&w->lock);
	s = w->snapshot;
	atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&w->lock);
	return s;
}

bool ts_stage_watch_ready(struct ts_stage_watch *w, char *why, size_t why_len)
{
	bool ready;

	pthread_mutex_lock(&w->lock);
	ready = w->ready;
	if (why != NULL && why_len > 0)
		snprintf(why, why_len, "%s", w->why);
	pthread_mutex_unlock(&w->lock);
	return ready;
}

bool ts_stage_watch_wait_rounds(struct ts_stage_watch *w, unsigned rounds, long timeout_ms)
{
	struct timespec deadline = ts_monotonic_deadline(timeout_ms);
	uint64_t target;
	bool done;

	pthread_mutex_lock(&w->lock);
	target = w->rounds + rounds;
	while (w->rounds < target &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &deadline) != ETIMEDOUT)
		;
	done = w->rounds >= target;
	pthread_mutex_unlock(&w->lock);
	return done;
}
