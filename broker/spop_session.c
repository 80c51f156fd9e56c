/* The SPOP state machine of one connection (SPOE.txt 3.2.3): HELLO first,
 * then NOTIFY -> ACK until either side disconnects. Any frame that breaks
 * the protocol ends the session with AGENT-DISCONNECT carrying the SPOE
 * status of its named error. */
#include <string.h>

#include "spop_session.h"

/* Only "pipelining" is ours to offer: fragmentation is refused on purpose
 * (a NOTIFY is always one frame) and "async" would let ACKs travel on
 * another connection, which this agent never does. */
#define AGENT_CAPABILITIES "pipelining"

void ts_spop_session_init(struct ts_spop_session *s, uint32_t agent_max_frame_size,
			  ts_spop_notify_fn notify, void *ctx)
{
	memset(s, 0, sizeof *s);
	s->agent_max_frame_size = agent_max_frame_size;
	s->max_frame_size = agent_max_frame_size;
	s->notify = notify;
	s->ctx = ctx;
}

size_t ts_spop_session_out_room(const struct ts_spop_session *s)
{
	return TS_SPOP_LENGTH_SIZE + (size_t)s->max_frame_size;
}

void ts_spop_session_end(struct ts_spop_session *s, ts_err err, struct ts_spop_writer *out)
{
	if (s->closing)
		return;
	s->closing = true;
	s->error = err;
	/* Best effort: a DISCONNECT that does not fit is dropped, the close
	 * still tells HAProxy. */
	ts_spop_agent_disconnect_encode(out, s->max_frame_size, ts_spop_status_of(err),
					err == TS_ERR_OK ? "agent closing" : ts_strerror(err));
}

static void on_hello(struct ts_spop_session *s, const struct ts_spop_frame *f,
		     struct ts_spop_writer *out)
{
	struct ts_spop_hello hello;
	ts_err err;

	if (s->ready) {
		ts_spop_session_end(s, TS_ERR_SPOP_FRAME_UNEXPECTED, out);
		return;
	}
	if ((err = ts_spop_hello_decode(f, &hello)) != TS_ERR_OK) {
		ts_spop_session_end(s, err, out);
		return;
	}
	s->haproxy_max_frame_size = hello.max_frame_size;
	/* SPOE.txt allows answering a smaller size, but HAProxy 2.6.12 then
	 * hangs on the first larger message and reconnects in a loop (measured,
	 * sfb-protocol.md 9.1). Refusing makes the misconfiguration visible. */
	if (hello.max_frame_size > s->agent_max_frame_size) {
		ts_spop_session_end(s, TS_ERR_SPOP_FRAME_SIZE, out);
		return;
	}
	s->max_frame_size = hello.max_frame_size;
	s->pipelining = hello.pipelining;
	s->healthcheck = hello.healthcheck;
	err = ts_spop_agent_hello_encode(out, s->max_frame_size,
					 hello.pipelining ? AGENT_CAPABILITIES : "");
	if (err != TS_ERR_OK) {
		ts_spop_session_end(s, err, out);
		return;
	}
	s->ready = true;
	/* A health check ends with our HELLO; HAProxy closes its side too. */
	if (hello.healthcheck)
		s->closing = true;
}

static void on_disconnect(struct ts_spop_session *s, const struct ts_spop_frame *f,
			  struct ts_spop_writer *out)
{
	struct ts_spop_disconnect d;
	ts_err err = ts_spop_disconnect_decode(f, &d);

	if (err != TS_ERR_OK) {
		ts_spop_session_end(s, err, out);
		return;
	}
	s->peer_disconnected = true;
	s->peer_status = d.status;
	s->peer_message = d.message;
	ts_spop_session_end(s, TS_ERR_OK, out);
}

static void on_notify(struct ts_spop_session *s, const struct ts_spop_frame *f,
		      struct ts_spop_writer *out)
{
	struct ts_spop_ack ack;
	ts_err err;

	if (!s->ready) {
		ts_spop_session_end(s, TS_ERR_SPOP_FRAME_UNEXPECTED, out);
		return;
	}
	if ((err = ts_spop_notify_decode(f, &s->decoded)) != TS_ERR_OK) {
		ts_spop_session_end(s, err, out);
		return;
	}
	ts_spop_ack_begin(&ack, out->buf + out->len, out->cap - out->len, s->max_frame_size,
			  f->stream_id, f->frame_id);
	if (s->notify != NULL)
		s->notify(s->ctx, s->decoded.messages, s->decoded.n_messages, &ack);
	out->len += ts_spop_ack_finish(&ack);
	s->notifies++;
}

static void on_frame(struct ts_spop_session *s, const uint8_t *frame, size_t len,
		     struct ts_spop_writer *out)
{
	struct ts_spop_frame f;
	ts_err err = ts_spop_frame_decode(frame, len, &f);

	if (err == TS_ERR_OK)
		err = ts_spop_frame_check_from_haproxy(&f);
	if (err != TS_ERR_OK) {
		ts_spop_session_end(s, err, out);
		return;
	}
	switch (f.type) {
	case TS_SPOP_FRAME_HAPROXY_HELLO:
		on_hello(s, &f, out);
		break;
	case TS_SPOP_FRAME_HAPROXY_DISCONNECT:
		on_disconnect(s, &f, out);
		break;
	default: /* NOTIFY: the check above allows nothing else */
		on_notify(s, &f, out);
		break;
	}
}

size_t ts_spop_session_feed(struct ts_spop_session *s, const uint8_t *in, size_t len,
			    struct ts_spop_writer *out)
{
	size_t used = 0;

	while (!s->closing && len - used >= TS_SPOP_LENGTH_SIZE &&
	       out->cap - out->len >= ts_spop_session_out_room(s)) {
		uint32_t frame_len;
		ts_err err = ts_spop_frame_length(in + used, s->max_frame_size, &frame_len);

		if (err != TS_ERR_OK) {
			ts_spop_session_end(s, err, out);
			break;
		}
		if (len - used - TS_SPOP_LENGTH_SIZE < frame_len)
			break;
		on_frame(s, in + used + TS_SPOP_LENGTH_SIZE, frame_len, out);
		used += TS_SPOP_LENGTH_SIZE + frame_len;
	}
	return used;
}
