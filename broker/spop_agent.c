/* The SPOP agent's I/O: one listening socket, a few worker threads each
 * with its own epoll set, non-blocking connections. HAProxy keeps a handful
 * of long-lived connections and pipelines NOTIFYs on them, so a worker
 * reads what is there, lets the session (spop_session.c) answer every whole
 * frame, and writes all the answers with one send. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "spop_agent.h"
#include "spop_session.h"
#include "tessera/log.h"

#define LISTEN_BACKLOG 64
#define MAX_EVENTS 32
#define SWEEP_MS 1000 /* idle connections are found within this */
#define PEER_LEN (INET6_ADDRSTRLEN + 8)

struct conn {
	int fd;
	uint32_t events; /* what epoll watches now */
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_len, out_sent, out_cap;
	time_t last_active; /* CLOCK_MONOTONIC seconds */
	char peer[PEER_LEN];
	struct conn *prev, *next;
	struct ts_spop_session session;
};

struct worker {
	struct ts_spop_agent *agent;
	pthread_t thread;
	bool started;
	int epfd;
	struct conn *conns;
};

struct ts_spop_agent {
	struct ts_spop_settings settings;
	ts_spop_notify_fn notify;
	void *ctx;
	int listen_fd;
	int stop_fd; /* eventfd: readable once stop begins, wakes every worker */
	unsigned short port;
	atomic_uint n_conns;
	atomic_llong last_hello; /* CLOCK_MONOTONIC seconds of the last HELLO; -1: none yet */
	struct worker *workers;
	unsigned n_workers;
};

static time_t monotonic_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

bool ts_spop_configured(const struct ts_config *cfg)
{
	return cfg->spop.listen_address != NULL && cfg->spop.listen_address[0] != '\0';
}

struct ts_spop_settings ts_spop_settings_from_config(const struct ts_config *cfg)
{
	/* The schema's ranges make every cast below lossless. */
	return (struct ts_spop_settings){
		.listen_address = cfg->spop.listen_address,
		.listen_port = (unsigned short)cfg->spop.listen_port,
		.max_frame_size = (uint32_t)cfg->spop.max_frame_size,
		.max_connections = (unsigned)cfg->spop.max_connections,
		.idle_timeout = (unsigned)cfg->spop.idle_timeout,
		.threads = (unsigned)cfg->spop.threads,
	};
}

long long ts_spop_agent_since_hello(struct ts_spop_agent *agent)
{
	long long last = atomic_load(&agent->last_hello);

	return last < 0 ? -1 : (long long)monotonic_now() - last;
}

unsigned short ts_spop_agent_port(const struct ts_spop_agent *agent)
{
	return agent->port;
}

/* A peer's bytes as a loggable C string (the log escapes and cuts it). */
static void bytes_text(struct ts_spop_bytes b, char *out, size_t outsz)
{
	size_t n = b.len < outsz - 1 ? b.len : outsz - 1;

	memcpy(out, b.ptr, n);
	out[n] = '\0';
}

static void peer_name(const struct sockaddr_storage *sa, socklen_t len, char *out)
{
	/* Numeric forms only, so these fit PEER_LEN with the colon. */
	char host[INET6_ADDRSTRLEN], serv[8];

	if (getnameinfo((const struct sockaddr *)sa, len, host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, PEER_LEN, "unknown");
	else
		snprintf(out, PEER_LEN, "%s:%s", host, serv);
}

static void conn_close(struct worker *w, struct conn *c)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	atomic_fetch_sub(&w->agent->n_conns, 1);
	free(c->in);
	free(c->out);
	free(c);
}

/* Writes what is pending; false when the connection failed. */
static bool flush(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL);

		if (n > 0) {
			c->out_sent += (size_t)n;
			c->last_active = monotonic_now();
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			return true;
		} else {
			return false;
		}
	}
	c->out_len = c->out_sent = 0;
	return true;
}

static void watch(struct worker *w, struct conn *c)
{
	uint32_t want = 0;

	if (!c->session.closing && c->in_len < c->in_cap)
		want |= EPOLLIN;
	if (c->out_sent < c->out_len)
		want |= EPOLLOUT;
	if (want != c->events) {
		struct epoll_event ev = {.events = want, .data.ptr = c};

		epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
		c->events = want;
	}
}

/* One line for how the session went, written before the input that
 * peer_message points into is dropped. */
static void log_session(const struct conn *c, bool was_ready)
{
	const struct ts_spop_session *s = &c->session;
	char status[16], a[16], b[16], text[TS_LOG_VALUE_MAX + 1];

	if (!was_ready && s->ready) {
		snprintf(a, sizeof a, "%u", s->max_frame_size);
		ts_log(TS_LOG_DEBUG, s->healthcheck ? "spop_healthcheck" : "spop_hello", "peer",
		       c->peer, "max_frame_size", a, "pipelining", s->pipelining ? "yes" : "no");
	}
	if (!s->closing)
		return;
	if (s->peer_disconnected) {
		snprintf(status, sizeof status, "%u", s->peer_status);
		bytes_text(s->peer_message, text, sizeof text);
		ts_log(s->peer_status == 0 ? TS_LOG_DEBUG : TS_LOG_INFO, "spop_peer_disconnect",
		       "peer", c->peer, "status", status, "message", text);
	} else if (s->error == TS_ERR_SPOP_FRAME_SIZE) {
		snprintf(a, sizeof a, "%u", s->haproxy_max_frame_size);
		snprintf(b, sizeof b, "%u", s->agent_max_frame_size);
		ts_log_error(TS_LOG_ERR, "spop_disconnect", s->error, "peer", c->peer, "status",
			     "9", "haproxy_max_frame_size", a, "spop_max_frame_size", b, "fix",
			     "raise [gate] spop_max_frame_size to HAProxy's tune.bufsize - 4");
	} else if (s->error != TS_ERR_OK) {
		snprintf(status, sizeof status, "%d", (int)ts_spop_status_of(s->error));
		ts_log_error(TS_LOG_WARN, "spop_disconnect", s->error, "peer", c->peer, "status",
			     status);
	}
}

/* Answers every whole frame received, writes the answers, and closes the
 * connection once a closing session's last frame is out. */
static void service(struct worker *w, struct conn *c)
{
	for (;;) {
		struct ts_spop_writer out = {c->out, c->out_cap, c->out_len, false};
		bool was_ready = c->session.ready, was_closing = c->session.closing;
		size_t used = ts_spop_session_feed(&c->session, c->in, c->in_len, &out);

		c->out_len = out.len;
		if (!was_ready && c->session.ready)
			atomic_store(&w->agent->last_hello, (long long)monotonic_now());
		if (!was_closing)
			log_session(c, was_ready);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		if (!flush(c)) {
			ts_log_error(TS_LOG_WARN, "spop_io_failed", TS_ERR_IO, "peer", c->peer,
				     "reason", strerror(errno));
			conn_close(w, c);
			return;
		}
		if (c->session.closing && c->out_len == 0) {
			conn_close(w, c);
			return;
		}
		if (c->out_len > 0 || used == 0)
			break; /* wait for the socket to drain, or for more input */
	}
	watch(w, c);
}

static void on_readable(struct worker *w, struct conn *c)
{
	ssize_t n;

	do
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* HAProxy closing after a health check or its own DISCONNECT is
		 * normal; anything else is worth a debug line. */
		if (n < 0)
			ts_log_error(TS_LOG_WARN, "spop_io_failed", TS_ERR_IO, "peer", c->peer,
				     "reason", strerror(errno));
		else
			ts_log(TS_LOG_DEBUG, "spop_closed", "peer", c->peer);
		conn_close(w, c);
		return;
	}
	c->in_len += (size_t)n;
	c->last_active = monotonic_now();
	service(w, c);
}

/* At the connection cap: say why in a DISCONNECT and close at once. */
static void refuse(int fd, const char *peer, uint32_t max_frame_size)
{
	uint8_t buf[256];
	struct ts_spop_writer out;

	ts_spop_writer_init(&out, buf, sizeof buf);
	ts_spop_agent_disconnect_encode(&out, max_frame_size,
					ts_spop_status_of(TS_ERR_SPOP_CONNECTIONS),
					ts_strerror(TS_ERR_SPOP_CONNECTIONS));
	if (send(fd, buf, out.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		ts_log(TS_LOG_DEBUG, "spop_refusal_unsent", "peer", peer, "reason",
		       strerror(errno));
	close(fd);
	ts_log_error(TS_LOG_WARN, "spop_refused", TS_ERR_SPOP_CONNECTIONS, "peer", peer);
}

static struct conn *conn_new(struct ts_spop_agent *agent, int fd, const char *peer)
{
	struct conn *c = calloc(1, sizeof *c);
	size_t frame = TS_SPOP_LENGTH_SIZE + (size_t)agent->settings.max_frame_size;

	if (c == NULL)
		return NULL;
	c->fd = fd;
	c->in_cap = frame;
	/* Room for one more answer while the previous one is still unsent. */
	c->out_cap = 2 * frame;
	c->in = malloc(c->in_cap);
	c->out = malloc(c->out_cap);
	if (c->in == NULL || c->out == NULL) {
		free(c->in);
		free(c->out);
		free(c);
		return NULL;
	}
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->last_active = monotonic_now();
	ts_spop_session_init(&c->session, agent->settings.max_frame_size, agent->notify,
			     agent->ctx);
	return c;
}

static void on_accept(struct worker *w)
{
	struct ts_spop_agent *agent = w->agent;

	for (;;) {
		struct sockaddr_storage sa;
		socklen_t salen = sizeof sa;
		char peer[PEER_LEN];
		int one = 1, fd;
		struct conn *c;
		struct epoll_event ev;

		fd = accept4(agent->listen_fd, (struct sockaddr *)&sa, &salen,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: another worker took it, or nothing left */
		peer_name(&sa, salen, peer);
		if (atomic_fetch_add(&agent->n_conns, 1) >= agent->settings.max_connections) {
			atomic_fetch_sub(&agent->n_conns, 1);
			refuse(fd, peer, agent->settings.max_frame_size);
			continue;
		}
		/* Answers go out in one send each; Nagle would hold them back. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if ((c = conn_new(agent, fd, peer)) == NULL) {
			atomic_fetch_sub(&agent->n_conns, 1);
			close(fd);
			ts_log_error(TS_LOG_ERR, "spop_refused", TS_ERR_NOMEM, "peer", peer);
			continue;
		}
		c->events = EPOLLIN;
		ev = (struct epoll_event){.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			atomic_fetch_sub(&agent->n_conns, 1);
			free(c->in);
			free(c->out);
			free(c);
			close(fd);
			continue;
		}
		c->next = w->conns;
		if (w->conns != NULL)
			w->conns->prev = c;
		w->conns = c;
		ts_log(TS_LOG_DEBUG, "spop_connected", "peer", peer);
	}
}

/* Ends a connection from our side (idle, shutdown) with one best-effort
 * send of the DISCONNECT. */
static void end_conn(struct worker *w, struct conn *c, ts_err why)
{
	struct ts_spop_writer out = {c->out, c->out_cap, c->out_len, false};

	ts_spop_session_end(&c->session, why, &out);
	c->out_len = out.len;
	if (!flush(c))
		ts_log(TS_LOG_DEBUG, "spop_disconnect_unsent", "peer", c->peer);
	conn_close(w, c);
}

static void sweep_idle(struct worker *w, time_t now)
{
	struct conn *c = w->conns, *next;

	for (; c != NULL; c = next) {
		next = c->next;
		if (now - c->last_active < (time_t)w->agent->settings.idle_timeout)
			continue;
		ts_log_error(TS_LOG_INFO, "spop_disconnect", TS_ERR_SPOP_TIMEOUT, "peer", c->peer,
			     "status", "2");
		end_conn(w, c, TS_ERR_SPOP_TIMEOUT);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ts_spop_agent *agent = w->agent;
	time_t last_sweep = monotonic_now();

	for (;;) {
		struct epoll_event events[MAX_EVENTS];
		int n = epoll_wait(w->epfd, events, MAX_EVENTS, SWEEP_MS);
		time_t now;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			void *p = events[i].data.ptr;

			if (p == &agent->stop_fd)
				goto stop;
			if (p == &agent->listen_fd) {
				on_accept(w);
			} else if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
				on_readable(w, p);
			} else if (events[i].events & EPOLLOUT) {
				service(w, p);
			}
		}
		now = monotonic_now();
		if (now != last_sweep) {
			sweep_idle(w, now);
			last_sweep = now;
		}
	}
stop:
	while (w->conns != NULL)
		end_conn(w, w->conns, TS_ERR_OK);
	return NULL;
}

static ts_err bind_listener(struct ts_spop_agent *agent, char *why, size_t why_len)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof bound;
	char port[8];
	int one = 1, rc;

	snprintf(port, sizeof port, "%u", agent->settings.listen_port);
	if ((rc = getaddrinfo(agent->settings.listen_address, port, &hints, &ai)) != 0) {
		snprintf(why, why_len, "%s", gai_strerror(rc));
		return TS_ERR_SPOP_LISTEN;
	}
	agent->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (agent->listen_fd < 0 ||
	    setsockopt(agent->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(agent->listen_fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(agent->listen_fd, LISTEN_BACKLOG) != 0 ||
	    getsockname(agent->listen_fd, (struct sockaddr *)&bound, &bound_len) != 0) {
		snprintf(why, why_len, "%s", strerror(errno));
		freeaddrinfo(ai);
		return TS_ERR_SPOP_LISTEN;
	}
	freeaddrinfo(ai);
	agent->port = ntohs(bound.ss_family == AF_INET6
				    ? ((struct sockaddr_in6 *)&bound)->sin6_port
				    : ((struct sockaddr_in *)&bound)->sin_port);
	return TS_ERR_OK;
}

static ts_err start_workers(struct ts_spop_agent *agent, char *why, size_t why_len)
{
	agent->workers = calloc(agent->n_workers, sizeof *agent->workers);
	if (agent->workers == NULL)
		return TS_ERR_NOMEM;
	for (unsigned i = 0; i < agent->n_workers; i++)
		agent->workers[i].epfd = -1;
	for (unsigned i = 0; i < agent->n_workers; i++) {
		struct worker *w = &agent->workers[i];
		/* EPOLLEXCLUSIVE: a new connection wakes one worker, not all. */
		struct epoll_event lev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
					  .data.ptr = &agent->listen_fd};
		struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &agent->stop_fd};

		w->agent = agent;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, agent->listen_fd, &lev) != 0 ||
		    epoll_ctl(w->epfd, EPOLL_CTL_ADD, agent->stop_fd, &sev) != 0 ||
		    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			snprintf(why, why_len, "worker %u: %s", i, strerror(errno));
			return TS_ERR_SPOP_LISTEN;
		}
		w->started = true;
	}
	return TS_ERR_OK;
}

ts_err ts_spop_agent_start(const struct ts_spop_settings *settings, ts_spop_notify_fn notify,
			   void *ctx, struct ts_spop_agent **out)
{
	struct ts_spop_agent *agent = calloc(1, sizeof *agent);
	char why[256] = "", port[8];
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	if (agent == NULL)
		goto fail;
	agent->settings = *settings;
	agent->notify = notify;
	atomic_init(&agent->last_hello, -1);
	agent->ctx = ctx;
	agent->listen_fd = agent->stop_fd = -1;
	agent->n_workers = settings->threads > 0 ? settings->threads : 1;
	atomic_init(&agent->n_conns, 0);
	if (settings->max_frame_size < TS_SPOP_MIN_FRAME_SIZE) {
		snprintf(why, sizeof why, "max_frame_size below %u", TS_SPOP_MIN_FRAME_SIZE);
		err = TS_ERR_INVALID_ARGUMENT;
		goto fail;
	}
	if ((err = bind_listener(agent, why, sizeof why)) != TS_ERR_OK)
		goto fail;
	if ((agent->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(why, sizeof why, "eventfd: %s", strerror(errno));
		err = TS_ERR_SPOP_LISTEN;
		goto fail;
	}
	if ((err = start_workers(agent, why, sizeof why)) != TS_ERR_OK)
		goto fail;
	snprintf(port, sizeof port, "%u", agent->port);
	ts_log(TS_LOG_INFO, "spop_listening", "address", settings->listen_address, "port", port);
	*out = agent;
	return TS_ERR_OK;
fail:
	snprintf(port, sizeof port, "%u", settings->listen_port);
	ts_log_error(TS_LOG_ERR, "spop_listen_failed", err, "address", settings->listen_address,
		     "port", port, "reason", why);
	ts_spop_agent_stop(agent);
	return err;
}

void ts_spop_agent_stop(struct ts_spop_agent *agent)
{
	uint64_t one = 1;

	if (agent == NULL)
		return;
	if (agent->stop_fd >= 0 && write(agent->stop_fd, &one, sizeof one) != sizeof one)
		ts_log(TS_LOG_ERR, "spop_stop_signal_failed", "reason", strerror(errno));
	for (unsigned i = 0; agent->workers != NULL && i < agent->n_workers; i++) {
		if (agent->workers[i].started)
			pthread_join(agent->workers[i].thread, NULL);
		if (agent->workers[i].epfd >= 0)
			close(agent->workers[i].epfd);
	}
	if (agent->listen_fd >= 0)
		close(agent->listen_fd);
	if (agent->stop_fd >= 0)
		close(agent->stop_fd);
	if (agent->port != 0) {
		char port[8];

		snprintf(port, sizeof port, "%u", agent->port);
		ts_log(TS_LOG_INFO, "spop_stopped", "port", port);
	}
	free(agent->workers);
	free(agent);
}
