/* The SPOP agent: a TCP server HAProxy's SPOE filter connects to. It does
 * the HELLO handshake, answers each NOTIFY with an ACK built by a decision
 * callback, and ends connections with AGENT-DISCONNECT and a SPOE status.
 *
 * The callback is transport independent: message names and named typed
 * arguments in, set-var / unset-var actions out. It runs on the agent's
 * threads, several at once, so it must be thread-safe; it must not block
 * for long (every NOTIFY pipelined behind it on the connection waits), and
 * must not keep pointers into msgs after it returns. */
#ifndef TS_BROKER_SPOP_AGENT_H
#define TS_BROKER_SPOP_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spop.h"
#include "tessera/config.h"
#include "tessera/err.h"

/* Adds actions to ack with ts_spop_ack_set_string / _set_int / _set_var /
 * _unset_var; an ACK without actions is fine (HAProxy carries on). */
typedef void (*ts_spop_notify_fn)(void *ctx, const struct ts_spop_message *msgs, size_t n,
				  struct ts_spop_ack *ack);

/* Listening and limits, from [gate] spop_* in tessera.conf. */
struct ts_spop_settings {
	const char *listen_address; /* numeric IPv4 or IPv6 */
	unsigned short listen_port; /* 0: the kernel picks */
	uint32_t max_frame_size;    /* largest frame accepted; HAProxy's offer must fit */
	unsigned max_connections;
	unsigned idle_timeout;	    /* seconds without a frame before AGENT-DISCONNECT */
	unsigned threads;
};

struct ts_spop_agent;

/* Whether cfg turns the agent on (spop_listen_address not empty). */
bool ts_spop_configured(const struct ts_config *cfg);
/* The settings of cfg's [gate] spop_* keys; valid as long as cfg is. */
struct ts_spop_settings ts_spop_settings_from_config(const struct ts_config *cfg);
/* Binds, logs event=spop_listening with the port, starts the threads. */
ts_err ts_spop_agent_start(const struct ts_spop_settings *settings, ts_spop_notify_fn notify,
			   void *ctx, struct ts_spop_agent **out);
/* The bound port (the kernel's pick when listen_port was 0). */
unsigned short ts_spop_agent_port(const struct ts_spop_agent *agent);
/* Seconds since HAProxy last said HELLO (a connection or a health check),
 * -1 if it never has: how /readyz knows HAProxy reaches the gate. */
long long ts_spop_agent_since_hello(struct ts_spop_agent *agent);
/* Sends AGENT-DISCONNECT (status 0) on open connections, closes them and
 * the listener, joins the threads, frees the agent. NULL is a no-op. */
void ts_spop_agent_stop(struct ts_spop_agent *agent);

#endif
