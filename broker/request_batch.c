/* Group commit of outstanding sign-in requests: see request_batch.h. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "request_batch.h"
#include "tessera/log.h"

/* Past this many queued requests a batch is cut: one transaction stays
 * short, and the next batch gathers while it commits. */
#define BATCH_MAX 256

/* A queued request: the record, its strings copied behind it. */
struct job {
	struct ts_request_batch *q;
	struct ts_signin_pending rec;
	ts_http_hold_done done;
	void *arg;
	struct job *next;
};

struct ts_request_batch {
	struct ts_store *store;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head;
	struct job **tail;
	bool stopping;
	bool stopped; /* the thread is gone: jobs are written by their starter */
	pthread_t thread;
	/* The thread's own: one batch's records and results. */
	struct ts_signin_pending recs[BATCH_MAX];
	ts_err errs[BATCH_MAX];
};

static char *copy_after(char **cursor, const char *text)
{
	size_t n = strlen(text) + 1;
	char *at = *cursor;

	memcpy(at, text, n);
	*cursor += n;
	return at;
}

static struct job *job_new(struct ts_request_batch *q, const struct ts_signin_pending *p)
{
	size_t strings = strlen(p->id) + strlen(p->pool) + strlen(p->idp) +
			 strlen(p->return_url) + 4;
	struct job *j = malloc(sizeof *j + strings);
	char *cursor;

	if (j == NULL)
		return NULL;
	cursor = (char *)(j + 1);
	*j = (struct job){.q = q, .rec = *p};
	j->rec.id = copy_after(&cursor, p->id);
	j->rec.pool = copy_after(&cursor, p->pool);
	j->rec.idp = copy_after(&cursor, p->idp);
	j->rec.return_url = copy_after(&cursor, p->return_url);
	return j;
}

/* The job's answer may go: its request is stored, or err says why not. */
static void finish(struct job *j, ts_err err)
{
	/* A full store is logged once per batch (signin_requests_full), not
	 * once per request of a flood. */
	if (err != TS_ERR_OK && err != TS_ERR_STORE_FULL)
		ts_log_error(TS_LOG_WARN, "signin_request_not_stored", err, "request", j->rec.id);
	j->done(j->arg, err);
	free(j);
}

/* Writes up to BATCH_MAX jobs from list in one transaction and lets each
 * go; returns the first job not written. */
static struct job *write_batch(struct ts_request_batch *q, struct job *list)
{
	struct job *j = list, *rest;
	size_t n = 0;

	for (; j != NULL && n < BATCH_MAX; j = j->next)
		q->recs[n++] = j->rec;
	rest = j;
	q->store->request_put_many(q->store->impl, q->recs, n, q->errs);
	for (size_t i = 0; list != rest; i++) {
		j = list;
		list = list->next;
		finish(j, q->errs[i]);
	}
	return rest;
}

static void *run(void *arg)
{
	struct ts_request_batch *q = arg;
	struct job *list;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->wake, &q->lock);
		if (q->head == NULL)
			break; /* stopping, and everything queued is written */
		list = q->head;
		q->head = NULL;
		q->tail = &q->head;
		pthread_mutex_unlock(&q->lock);
		while (list != NULL)
			list = write_batch(q, list);
		pthread_mutex_lock(&q->lock);
	}
	q->stopped = true;
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

ts_err ts_request_batch_start(struct ts_store *store, struct ts_request_batch **out)
{
	struct ts_request_batch *q = calloc(1, sizeof *q);

	*out = NULL;
	if (q == NULL)
		return TS_ERR_NOMEM;
	q->store = store;
	q->tail = &q->head;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	if (pthread_create(&q->thread, NULL, run, q) != 0) {
		pthread_cond_destroy(&q->wake);
		pthread_mutex_destroy(&q->lock);
		free(q);
		ts_log_error(TS_LOG_ERR, "thread_start_failed", TS_ERR_INTERNAL, "thread",
			     "request_batch");
		return TS_ERR_INTERNAL;
	}
	*out = q;
	return TS_ERR_OK;
}

void ts_request_batch_stop(struct ts_request_batch *q)
{
	bool first;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	first = !q->stopping;
	q->stopping = true;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->lock);
	if (first)
		pthread_join(q->thread, NULL);
}

void ts_request_batch_free(struct ts_request_batch *q)
{
	if (q == NULL)
		return;
	pthread_cond_destroy(&q->wake);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

/* ts_http_hold.start: queue the job, or once the thread is gone write it
 * here (a handler still running while tesserad stops). */
static void job_start(void *work, ts_http_hold_done done, void *arg)
{
	struct job *j = work;
	struct ts_request_batch *q = j->q;

	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&q->lock);
	if (!q->stopped) {
		*q->tail = j;
		q->tail = &j->next;
		pthread_cond_signal(&q->wake);
		pthread_mutex_unlock(&q->lock);
		return;
	}
	pthread_mutex_unlock(&q->lock);
	finish(j, q->store->request_put(q->store->impl, &j->rec));
}

static void job_discard(void *work)
{
	free(work);
}

ts_err ts_request_batch_hold(struct ts_request_batch *q, const struct ts_signin_pending *p,
			     struct ts_http_hold *hold)
{
	struct job *j = job_new(q, p);

	if (j == NULL)
		return TS_ERR_NOMEM;
	*hold = (struct ts_http_hold){.start = job_start, .discard = job_discard, .work = j};
	return TS_ERR_OK;
}
