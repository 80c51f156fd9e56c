/* libmicrohttpd glue: request assembly (headers, capped body), dispatch
 * through the route table, and one response written in one piece. */
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "http.h"
#include "tessera/log.h"

/* Per-request state between libmicrohttpd's calls of the access handler. */
struct request_state {
	char *body;
	size_t len;
	size_t cap;
	int too_large;
};

const char *ts_http_request_header(const struct ts_http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

ts_err ts_http_respond_text(struct ts_http_response *resp, int status, const char *text)
{
	free(resp->body);
	resp->status = status;
	resp->content_type = "text/plain; charset=utf-8";
	resp->body_len = strlen(text);
	resp->body = strdup(text);
	return resp->body != NULL ? TS_ERR_OK : TS_ERR_NOMEM;
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

static void response_clear(struct ts_http_response *resp)
{
	free(resp->body);
	for (size_t i = 0; i < resp->n_headers; i++)
		free(resp->headers[i].value);
	memset(resp, 0, sizeof *resp);
}

/* An error answer: the registry's status, name and sentence. */
static void respond_error(struct ts_http_response *resp, ts_err err)
{
	char text[256];

	response_clear(resp);
	snprintf(text, sizeof text, "%s: %s\n", ts_errname(err), ts_strerror(err));
	if (ts_http_respond_text(resp, ts_err_http_status(err), text) != TS_ERR_OK)
		resp->status = 500;
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
out:
	response_clear(resp);
	return ret;
}

static enum MHD_Result dispatch(struct ts_broker *broker, struct MHD_Connection *conn,
				const char *method, const char *url, struct request_state *st)
{
	struct ts_http_request req = {
		.method = method,
		.path = url,
		.body = st->body != NULL ? st->body : "",
		.body_len = st->len,
		.conn = conn,
	};
	struct ts_http_response resp = {0};
	ts_route_handler handler = NULL;
	const char *allow = NULL;
	ts_err err;

	if (st->too_large)
		err = TS_ERR_TOO_LARGE;
	else if ((err = ts_routes_find(method, url, &handler, &allow)) == TS_ERR_OK)
		err = handler(broker, &req, &resp);
	if (err != TS_ERR_OK) {
		ts_log_error(err == TS_ERR_NOT_FOUND ? TS_LOG_DEBUG : TS_LOG_WARN, "http_refused",
			     err, "method", method, "path", url);
		respond_error(&resp, err);
		if (allow != NULL)
			ts_http_add_header(&resp, MHD_HTTP_HEADER_ALLOW, allow);
	}
	return send_response(conn, &resp);
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
		st->cap = (size_t)broker->config->broker.max_body_bytes;
		*req_cls = st;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;

		if (!st->too_large && st->len + n > st->cap)
			st->too_large = 1; /* keep reading and discarding; answer 413 at the end */
		if (!st->too_large) {
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
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	unsigned int threads = (unsigned int)cfg->broker.threads;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
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
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, broker,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->broker.max_connections,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->broker.connection_timeout,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, broker,
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, broker,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (d == NULL) {
		ts_log_error(TS_LOG_ERR, "listen_failed", TS_ERR_HTTP_START, "address",
			     cfg->broker.listen_address, "port", port);
		return TS_ERR_HTTP_START;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	broker->bound_port = info != NULL ? info->port : (unsigned short)cfg->broker.listen_port;
	broker->http = d;
	return TS_ERR_OK;
}

void ts_http_stop(struct ts_broker *broker)
{
	if (broker->http != NULL)
		MHD_stop_daemon(broker->http);
	broker->http = NULL;
}
