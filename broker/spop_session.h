/* One SPOP connection's protocol state, without the socket: bytes from
 * HAProxy in, frames for HAProxy out. The agent (spop_agent.c) owns the
 * I/O; keeping this apart lets the unit suite and the fuzz target drive the
 * whole state machine (handshake, NOTIFY / ACK, disconnects) directly. */
#ifndef TS_BROKER_SPOP_SESSION_H
#define TS_BROKER_SPOP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spop.h"
#include "spop_agent.h"

struct ts_spop_session {
	uint32_t agent_max_frame_size; /* ours: what HAProxy's offer must not exceed */
	uint32_t max_frame_size;       /* in force: ours until HELLO, then HAProxy's */
	ts_spop_notify_fn notify;
	void *ctx;
	bool ready;	  /* HELLO done */
	bool closing;	  /* the last frame is in out: send it, then close */
	bool healthcheck; /* the HELLO was HAProxy's health check */
	bool pipelining;
	/* Why the session ends: OK for a health check or HAProxy's own
	 * DISCONNECT (then peer_status / peer_message say why, pointing into
	 * the input until the caller drops it). */
	ts_err error;
	bool peer_disconnected;
	uint32_t peer_status;
	struct ts_spop_bytes peer_message;
	uint32_t haproxy_max_frame_size;
	uint64_t notifies;
	struct ts_spop_notify decoded; /* scratch for one NOTIFY */
};

void ts_spop_session_init(struct ts_spop_session *s, uint32_t agent_max_frame_size,
			  ts_spop_notify_fn notify, void *ctx);
/* The room out must have free before a frame is handled. */
size_t ts_spop_session_out_room(const struct ts_spop_session *s);
/* Handles the whole frames at the start of in (length prefixes included)
 * and appends the answers to out. Stops at an incomplete frame, when out
 * has less than ts_spop_session_out_room() free, or when the session
 * closes. Returns the bytes consumed. */
size_t ts_spop_session_feed(struct ts_spop_session *s, const uint8_t *in, size_t len,
			    struct ts_spop_writer *out);
/* Ends the session from outside (idle timeout, shutdown): appends
 * AGENT-DISCONNECT with err's status (OK: normal) if out has room. */
void ts_spop_session_end(struct ts_spop_session *s, ts_err err, struct ts_spop_writer *out);

#endif
