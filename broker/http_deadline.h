/* A deadline per request: each must arrive whole within connection_timeout
 * seconds, counted from the connection's start or from the previous answer.
 * libmicrohttpd's own timeout counts only idle time, so a client sending a
 * byte a second (slowloris) would keep its connection, and a connection
 * slot, for ever. A watcher thread shuts such connections down; libmicrohttpd
 * then closes them as it does any connection the peer ends. */
#ifndef TS_HTTP_DEADLINE_H
#define TS_HTTP_DEADLINE_H

#include <microhttpd.h>

#include "tessera/err.h"

struct ts_metrics;
struct ts_http_deadlines;

ts_err ts_http_deadlines_start(unsigned int timeout_seconds, struct ts_metrics *metrics,
			       struct ts_http_deadlines **out);
/* Before MHD_stop_daemon: no connection is shut down after this returns.
 * ts_http_deadlines_free after the daemon has stopped. */
void ts_http_deadlines_stop(struct ts_http_deadlines *d);
void ts_http_deadlines_free(struct ts_http_deadlines *d);

/* For MHD_OPTION_NOTIFY_CONNECTION, with the deadlines as its cls. */
void ts_http_deadlines_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
			      enum MHD_ConnectionNotificationCode code);

/* The request is whole: what follows (the answer, a held store write) is
 * the server's time, not the client's. */
void ts_http_deadline_pause(struct MHD_Connection *conn);
/* The answer is queued: the next request's time starts. */
void ts_http_deadline_restart(struct MHD_Connection *conn);

#endif
