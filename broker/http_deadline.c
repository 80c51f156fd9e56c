/* Per-request deadlines for the HTTP listener (http_deadline.h says why).
 * Connections are in a list from libmicrohttpd's start notice to its close
 * notice, which comes before it closes the socket: under the list's lock a
 * descriptor in the list is still that connection's, so shutting it down
 * never touches a socket reused by another. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "http_deadline.h"
#include "metrics.h"
#include "tessera/clock.h"
#include "tessera/log.h"

#define PAUSED INT64_MAX
#define WATCH_EVERY_MS 250 /* how late past its deadline a connection may close */

struct watched {
	struct watched *prev, *next;
	struct ts_http_deadlines *owner;
	MHD_socket fd;
	_Atomic int64_t deadline_ms; /* CLOCK_MONOTONIC, or PAUSED */
	bool shut;
	char peer[INET6_ADDRSTRLEN];
};

struct ts_http_deadlines {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool thread_started, stopping;
	int64_t timeout_ms;
	struct ts_metrics *metrics;
	struct watched head; /* sentinel of a circular list */
};

static void peer_of(struct MHD_Connection *conn, char *out, size_t cap)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)cap);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)cap);
}

/* Shuts down, once, each connection past its deadline. Called locked. */
static void shut_late(struct ts_http_deadlines *d)
{
	int64_t now = ts_monotonic_ms();

	for (struct watched *w = d->head.next; w != &d->head; w = w->next) {
		if (w->shut || now < atomic_load(&w->deadline_ms))
			continue;
		w->shut = true;
		if (shutdown(w->fd, SHUT_RDWR) != 0 && errno != ENOTCONN)
			continue; /* already going: libmicrohttpd closes it */
		ts_log_error(TS_LOG_WARN, "http_refused", TS_ERR_REQUEST_TIMEOUT, "peer", w->peer,
			     "reason", "the request did not arrive whole within connection_timeout");
		ts_metrics_rejection(d->metrics, TS_ERR_REQUEST_TIMEOUT);
	}
}

static void *watch(void *arg)
{
	struct ts_http_deadlines *d = arg;
	struct timespec until;

	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		until = ts_monotonic_deadline(WATCH_EVERY_MS);
		pthread_cond_timedwait(&d->cond, &d->lock, &until);
		if (!d->stopping)
			shut_late(d);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

ts_err ts_http_deadlines_start(unsigned int timeout_seconds, struct ts_metrics *metrics,
			       struct ts_http_deadlines **out)
{
	struct ts_http_deadlines *d = calloc(1, sizeof *d);

	*out = NULL;
	if (d == NULL)
		return TS_ERR_NOMEM;
	d->timeout_ms = (int64_t)timeout_seconds * 1000;
	d->metrics = metrics;
	d->head.next = d->head.prev = &d->head;
	pthread_mutex_init(&d->lock, NULL);
	ts_cond_init_monotonic(&d->cond);
	if (pthread_create(&d->thread, NULL, watch, d) != 0) {
		ts_http_deadlines_free(d);
		return TS_ERR_INTERNAL;
	}
	d->thread_started = true;
	*out = d;
	return TS_ERR_OK;
}

void ts_http_deadlines_stop(struct ts_http_deadlines *d)
{
	if (d == NULL || !d->thread_started)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	d->thread_started = false;
}

void ts_http_deadlines_free(struct ts_http_deadlines *d)
{
	if (d == NULL)
		return;
	ts_http_deadlines_stop(d);
	/* The daemon has stopped: every close notice has come. */
	pthread_cond_destroy(&d->cond);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void ts_http_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	struct ts_http_deadlines *d = cls;
	struct watched *w = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		/* Unwatched without memory: libmicrohttpd's idle timeout
		 * still holds for it. */
		if (ci == NULL || (w = calloc(1, sizeof *w)) == NULL)
			return;
		w->owner = d;
		w->fd = ci->connect_fd;
		atomic_init(&w->deadline_ms, ts_monotonic_ms() + d->timeout_ms);
		peer_of(conn, w->peer, sizeof w->peer);
		pthread_mutex_lock(&d->lock);
		w->prev = d->head.prev;
		w->next = &d->head;
		d->head.prev->next = w;
		d->head.prev = w;
		pthread_mutex_unlock(&d->lock);
		*socket_context = w;
		return;
	}
	if (w == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&d->lock);
	free(w);
	*socket_context = NULL;
}

static struct watched *watched_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

void ts_http_deadline_pause(struct MHD_Connection *conn)
{
	struct watched *w = watched_of(conn);

	if (w != NULL)
		atomic_store(&w->deadline_ms, PAUSED);
}

void ts_http_deadline_restart(struct MHD_Connection *conn)
{
	struct watched *w = watched_of(conn);

	if (w != NULL)
		atomic_store(&w->deadline_ms, ts_monotonic_ms() + w->owner->timeout_ms);
}
