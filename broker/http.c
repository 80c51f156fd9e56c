/* libmicrohttpd glue: request assembly (headers, capped body), dispatch
 * through the route table, and one response written in one piece. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <time.h>

#include "broker.h"
#include "http.h"
#include "http_deadline.h"
#include "metrics.h"
#include "runtime.h"
#include "tessera/form.h"
#include "tessera/log.h"

/* broker->http: the daemon and the deadlines of its requests. */
struct http_layer {
	struct MHD_Daemon *d;
	struct ts_http_deadlines *deadlines;
};

/* Per-request state between libmicrohttpd's calls of the access handler. */
struct request_state {
	struct timespec started;
	char *body;
	size_t len;
	size_t cap;
	/* TOO_LARGE or HEADERS_TOO_LARGE: the rest is read and dropped, and
	 * the request is refused once it is whole (keep-alive). */
	ts_err refusal;
	size_t route; /* the route's index, for metrics */
	/* An answer that waits on its hold (http.h), allocated only then: the
	 * connection is suspended until held_done resumes it with held_err. */
	struct ts_http_response *held;
	ts_err held_err;
	struct MHD_Connection *conn;
};

const char *ts_http_request_header(const struct ts_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

struct header_walk {
	bool (*visit)(void *ctx, const char *name, const char *value);
	void *ctx;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct header_walk *w = cls;

	(void)kind;
	return w->visit(w->ctx, key, value != NULL ? value : "") ? MHD_YES : MHD_NO;
}

void ts_http_request_headers_each(const struct ts_http_request *req,
				  bool (*visit)(void *ctx, const char *name, const char *value),
				  void *ctx)
{
	struct header_walk w = {visit, ctx};

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, on_header, &w);
}

struct cookie_find {
	const char *name;
	const char *value;
	unsigned seen;
};

static enum MHD_Result on_cookie(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct cookie_find *f = cls;

	(void)kind;
	if (g_ascii_strcasecmp(key, f->name) == 0) {
		f->seen++;
		if (strcmp(key, f->name) == 0)
			f->value = value != NULL ? value : "";
	}
	return MHD_YES;
}

/* By the exact name, and only when no other spelling of it came: MHD's own
 * lookup ignores case and takes the first. A browser that enforces the
 * __Host- prefix for its exact spelling only would let a sibling host or a
 * plain-http attacker plant "__host-tessera-req" (sent first, with a longer
 * path) in a victim's browser: their own nonce, session or ticket. */
const char *ts_http_cookie_seen(const struct ts_http_request *req, const char *name,
				unsigned *seen)
{
	struct cookie_find f = {.name = name};

	MHD_get_connection_values(req->conn, MHD_COOKIE_KIND, on_cookie, &f);
	*seen = f.seen;
	return f.seen == 1 ? f.value : NULL;
}

const char *ts_http_cookie(const struct ts_http_request *req, const char *name)
{
	unsigned seen;

	return ts_http_cookie_seen(req, name, &seen);
}

bool ts_http_host_is(const struct ts_http_request *req, const char *host)
{
	const char *h = ts_http_request_header(req, "Host");
	size_t len;

	if (h == NULL)
		return false;
	len = strcspn(h, ":");
	return len == strlen(host) && g_ascii_strncasecmp(h, host, len) == 0;
}

struct query_find {
	const char *name;
	const char *value;
	unsigned found;
	bool has_nul;
};

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				    size_t key_len, const char *value, size_t value_len)
{
	struct query_find *q = cls;

	if (strcmp(key, q->name) == 0) {
		q->found++;
		q->value = value != NULL ? value : "";
		/* A decoded %00 would make the C string shorter than what came:
		 * "bind%00=" is not "bind", nor something to read as it. */
		q->has_nul |= strlen(key) != key_len;
		q->has_nul |= value != NULL && strlen(value) != value_len;
	}
	return MHD_YES;
}

ts_err ts_http_query(const struct ts_http_request *req, const char *name, const char **value)
{
	struct query_find q = {.name = name};

	*value = NULL;
	MHD_get_connection_values_n(req->conn, MHD_GET_ARGUMENT_KIND, on_query_arg, &q);
	if (q.found == 0)
		return TS_ERR_NOT_FOUND;
	if (q.found > 1 || q.has_nul)
		return TS_ERR_INVALID_ARGUMENT;
	*value = q.value;
	return TS_ERR_OK;
}

ts_err ts_http_form(const struct ts_http_request *req, const char *name, char **value,
		    size_t *len)
{
	const char *type = ts_http_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);

	*value = NULL;
	if (type == NULL ||
	    g_ascii_strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
		return TS_ERR_INVALID_ARGUMENT;
	return ts_form_get(req->body, req->body_len, name, value, len);
}

ts_err ts_http_respond(struct ts_http_response *resp, int status, const char *content_type,
		       const char *body, size_t len)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = content_type;
	resp->body_len = len;
	resp->body = malloc(len + 1);
	if (resp->body == NULL)
		return TS_ERR_NOMEM;
	memcpy(resp->body, body, len);
	resp->body[len] = '\0';
	return TS_ERR_OK;
}

ts_err ts_http_respond_text(struct ts_http_response *resp, int status, const char *text)
{
	return ts_http_respond(resp, status, "text/plain; charset=utf-8", text, strlen(text));
}

ts_err ts_http_add_header(struct ts_http_response *resp, const char *name, const char *value)
{
	if (resp->n_headers == TS_HTTP_MAX_HEADERS)
		return TS_ERR_INTERNAL;
	resp->headers[resp->n_headers].name = name;
	resp->headers[resp->n_headers].value = strdup(value);
	if (resp->headers[resp->n_headers].value == NULL)
		return TS_ERR_NOMEM;
	resp->n_headers++;
	return TS_ERR_OK;
}

ts_err ts_http_redirect(struct ts_http_response *resp, const char *location)
{
	ts_err err = ts_http_respond_text(resp, 302, "");

	return err != TS_ERR_OK ? err : ts_http_add_header(resp, MHD_HTTP_HEADER_LOCATION, location);
}

static ts_err set_cookie(struct ts_http_response *resp, const char *name, const char *value,
			 const char *same_site, const char *max_age)
{
	char *line = g_strdup_printf("%s=%s; Path=/; Secure; HttpOnly%s%s%s", name, value,
				     same_site != NULL ? "; SameSite=" : "",
				     same_site != NULL ? same_site : "", max_age);
	ts_err err = ts_http_add_header(resp, MHD_HTTP_HEADER_SET_COOKIE, line);

	g_free(line);
	return err;
}

ts_err ts_http_set_cookie(struct ts_http_response *resp, const char *name, const char *value,
			  long max_age)
{
	char attr[32];

	snprintf(attr, sizeof attr, "; Max-Age=%ld", max_age);
	return set_cookie(resp, name, value, "Lax", attr);
}

ts_err ts_http_set_session_cookie(struct ts_http_response *resp, const char *name,
				  const char *value, const char *same_site)
{
	return set_cookie(resp, name, value, same_site, "");
}

ts_err ts_http_refuse(struct ts_http_response *resp, ts_err err, const char *detail,
		      const char *link_text, const char *link_url)
{
	gchar *d = g_markup_escape_text(detail != NULL ? detail : "", -1);
	GString *page = g_string_new(NULL);
	ts_err r;

	g_string_append_printf(page,
			       "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
			       "<title>%s</title></head>\n<body><h1>Request refused</h1>\n"
			       "<p>%s.</p>\n<p>Error: <code>%s</code></p>\n",
			       ts_errname(err), ts_strerror(err), ts_errname(err));
	if (*d != '\0')
		g_string_append_printf(page, "<p>%s</p>\n", d);
	if (link_url != NULL) {
		gchar *lt = g_markup_escape_text(link_text != NULL ? link_text : link_url, -1);
		gchar *lu = g_markup_escape_text(link_url, -1);
		g_string_append_printf(page, "<p><a href=\"%s\">%s</a></p>\n", lu, lt);
		g_free(lt);
		g_free(lu);
	}
	g_string_append(page, "</body></html>\n");
	r = ts_http_respond(resp, ts_err_http_status(err), "text/html; charset=utf-8", page->str,
			    page->len);
	resp->refusal = err;
	g_string_free(page, TRUE);
	g_free(d);
	return r;
}

static void response_clear(struct ts_http_response *resp)
{
	if (resp->hold.work != NULL)
		resp->hold.discard(resp->hold.work);
	free(resp->body);
	for (size_t i = 0; i < resp->n_headers; i++)
		free(resp->headers[i].value);
	memset(resp, 0, sizeof *resp);
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct ts_http_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret = MHD_NO;

	/* Hand the body over: libmicrohttpd frees it after the write. */
	r = MHD_create_response_from_buffer_with_free_callback(resp->body_len, resp->body, free);
	if (r == NULL)
		goto out;
	resp->body = NULL;
	if (resp->content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->content_type);
	for (size_t i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	ts_http_deadline_restart(conn);
out:
	response_clear(resp);
	return ret;
}

static double since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Counts the request, logs a refusal by name, and sends resp. */
static enum MHD_Result answer(struct ts_broker *broker, struct MHD_Connection *conn,
			      struct request_state *st, struct ts_http_response *resp,
			      const char *method, const char *url)
{
	if (resp->refusal != TS_ERR_OK) {
		ts_log_error(resp->refusal == TS_ERR_NOT_FOUND ? TS_LOG_DEBUG : TS_LOG_WARN,
			     "http_refused", resp->refusal, "method", method, "path", url);
		ts_metrics_rejection(broker->metrics, resp->refusal);
	}
	ts_metrics_request(broker->metrics, st->route, resp->status, since(&st->started));
	return send_response(conn, resp);
}

/* ts_http_hold_done: from the thread that did the work. */
static void held_done(void *arg, ts_err err)
{
	struct request_state *st = arg;

	st->held_err = err;
	MHD_resume_connection(st->conn);
}

/* Keeps resp in st, suspends the connection and starts the work it waits
 * on; on_request sends it when libmicrohttpd calls again after the resume. */
static enum MHD_Result hold(struct MHD_Connection *conn, struct request_state *st,
			    struct ts_http_response *resp)
{
	struct ts_http_hold h = resp->hold;

	if ((st->held = malloc(sizeof *st->held)) == NULL) {
		response_clear(resp); /* discards the work unstarted */
		return MHD_NO;
	}
	resp->hold = (struct ts_http_hold){0};
	*st->held = *resp;
	st->conn = conn;
	MHD_suspend_connection(conn);
	h.start(h.work, held_done, st);
	return MHD_YES;
}

static enum MHD_Result send_held(struct ts_broker *broker, struct MHD_Connection *conn,
				 struct request_state *st, const char *method, const char *url)
{
	struct ts_http_response *resp = st->held;
	enum MHD_Result ret;

	st->held = NULL;
	if (st->held_err != TS_ERR_OK) {
		response_clear(resp);
		ts_http_refuse(resp, st->held_err, NULL, NULL, NULL);
	}
	ret = answer(broker, conn, st, resp, method, url);
	free(resp);
	return ret;
}

static enum MHD_Result dispatch(struct ts_broker *broker, struct MHD_Connection *conn,
				const char *method, const char *url, struct request_state *st)
{
	struct ts_http_request req = {
		.broker = broker,
		.method = method,
		.path = url,
		.body = st->body != NULL ? st->body : "",
		.body_len = st->len,
		.conn = conn,
	};
	struct ts_http_response resp = {0};
	ts_route_handler handler = NULL;
	const char *allow = NULL;
	size_t n_routes = 0;
	ts_err err;

	ts_http_deadline_pause(conn);
	ts_routes_names(&n_routes);
	st->route = n_routes - 1; /* "no route" unless one matches */
	req.rt = ts_runtime_acquire(broker);
	/* Found first, so that a refusal is counted under its route. */
	err = ts_routes_find(method, url, &handler, &st->route, &allow);
	if (st->refusal != TS_ERR_OK)
		err = st->refusal, allow = NULL;
	else if (err == TS_ERR_OK)
		err = handler(&req, &resp);
	if (err != TS_ERR_OK) {
		response_clear(&resp);
		ts_http_refuse(&resp, err, NULL, NULL, NULL);
		if (allow != NULL)
			ts_http_add_header(&resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	ts_runtime_release(req.rt);
	if (resp.hold.work != NULL && resp.refusal == TS_ERR_OK)
		return hold(conn, st, &resp);
	return answer(broker, conn, st, &resp, method, url);
}

static enum MHD_Result add_header_bytes(void *cls, enum MHD_ValueKind kind, const char *key,
					size_t key_len, const char *value, size_t value_len)
{
	size_t *sum = cls;

	(void)kind, (void)key;
	*sum += key_len + value_len + 4; /* ": " and CRLF */
	return MHD_YES;
}

/* The request line and headers as sent, give or take whitespace: what
 * max_header_bytes caps. (libmicrohttpd's memory pool, twice that, is the
 * hard stop for what is larger still.) */
static size_t header_bytes(struct MHD_Connection *conn, const char *method, const char *url,
			   const char *version)
{
	size_t sum = strlen(method) + strlen(url) + strlen(version) + 4;

	MHD_get_connection_values_n(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND,
				    add_header_bytes, &sum);
	return sum;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct ts_broker *broker = cls;
	struct request_state *st = *req_cls;

	if (st == NULL) {
		/* First call: headers only. Answering now would break keep-alive
		 * with a body still unread, so just set up state. */
		if ((st = calloc(1, sizeof *st)) == NULL)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &st->started);
		st->cap = (size_t)broker->config->broker.max_body_bytes;
		if (header_bytes(conn, method, url, version) >
		    (size_t)broker->config->broker.max_header_bytes)
			st->refusal = TS_ERR_HEADERS_TOO_LARGE;
		*req_cls = st;
		return MHD_YES;
	}
	if (st->held != NULL)
		return send_held(broker, conn, st, method, url);
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (st->refusal == TS_ERR_OK && st->len + n > st->cap)
			st->refusal = TS_ERR_TOO_LARGE;
		if (st->refusal == TS_ERR_OK) {
			char *grown = realloc(st->body, st->len + n + 1);
			if (grown == NULL)
				return MHD_NO;
			st->body = grown;
			memcpy(st->body + st->len, upload_data, n);
			st->len += n;
			st->body[st->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(broker, conn, method, url, st);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_state *st = *req_cls;

	if (st != NULL) {
		if (st->held != NULL) /* resumed, never sent (daemon stopping) */
			response_clear(st->held);
		free(st->held);
		free(st->body);
		free(st);
	}
	*req_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	ts_log(TS_LOG_WARN, "http_library", "message", msg);
}

ts_err ts_http_start(struct ts_broker *broker)
{
	const struct ts_config *cfg = broker->config;
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	/* Suspend and resume: an answer may wait on a batched store write. */
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			     MHD_ALLOW_SUSPEND_RESUME;
	unsigned int threads = (unsigned int)cfg->broker.threads;
	const union MHD_DaemonInfo *info;
	struct http_layer *h;
	char port[8];

	if (threads == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores > 0 ? (unsigned int)cores : 1;
	}
	snprintf(port, sizeof port, "%ld", cfg->broker.listen_port);
	if (getaddrinfo(cfg->broker.listen_address, port, &hints, &ai) != 0 || ai == NULL) {
		ts_log_error(TS_LOG_ERR, "listen_failed", TS_ERR_HTTP_START, "address",
			     cfg->broker.listen_address, "reason", "not a numeric IP address");
		return TS_ERR_HTTP_START;
	}
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if ((h = calloc(1, sizeof *h)) == NULL ||
	    ts_http_deadlines_start((unsigned int)cfg->broker.connection_timeout, broker->metrics,
				    &h->deadlines) != TS_ERR_OK) {
		freeaddrinfo(ai);
		free(h);
		ts_log_error(TS_LOG_ERR, "listen_failed", TS_ERR_HTTP_START, "reason",
			     "cannot start the request deadline watcher");
		return TS_ERR_HTTP_START;
	}
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, broker,
			     /* First: libmicrohttpd logs through it from here on. */
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, broker,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->broker.max_connections,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->broker.connection_timeout,
			     /* Headers live in the connection's memory pool: its size
			      * caps them (with room for the read buffer). */
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT,
			     (size_t)cfg->broker.max_header_bytes * 2,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, broker,
			     MHD_OPTION_NOTIFY_CONNECTION, ts_http_deadlines_notify, h->deadlines,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (h->d == NULL) {
		ts_log_error(TS_LOG_ERR, "listen_failed", TS_ERR_HTTP_START, "address",
			     cfg->broker.listen_address, "port", port);
		ts_http_deadlines_free(h->deadlines);
		free(h);
		return TS_ERR_HTTP_START;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	broker->bound_port = info != NULL ? info->port : (unsigned short)cfg->broker.listen_port;
	broker->http = h;
	return TS_ERR_OK;
}

void ts_http_stop(struct ts_broker *broker)
{
	struct http_layer *h = broker->http;

	if (h == NULL)
		return;
	/* The watcher first: it must not shut down sockets the daemon is
	 * closing. The daemon's close notices then empty its list. */
	ts_http_deadlines_stop(h->deadlines);
	MHD_stop_daemon(h->d);
	ts_http_deadlines_free(h->deadlines);
	free(h);
	broker->http = NULL;
}
