/* Fuzz target for the SPOP framing and session (broker/spop*.c).
 * Sources: broker/spop.c broker/spop_encode.c broker/spop_session.c common/err.c
 *
 * The input is read three ways: as one frame (every payload decoder runs
 * on it, whatever its type), as the byte stream of a fresh connection, and
 * as the stream of a connection whose HELLO is already done, so NOTIFY
 * decoding and ACK encoding are reached without the fuzzer having to
 * invent a valid handshake first. ACKs are decoded again and must hold
 * exactly the actions the callback added. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../broker/spop.h"
#include "../../broker/spop_session.h"

#define AGENT_MAX 16380u
#define OUT_CAP (2u * (TS_SPOP_LENGTH_SIZE + AGENT_MAX))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ts_spop_notify notify;
static struct ts_spop_session session;
static uint8_t out_buf[OUT_CAP];

/* Sets one variable per argument, with the argument's own typed value. */
static void echo_all(void *ctx, const struct ts_spop_message *msgs, size_t n,
		     struct ts_spop_ack *ack)
{
	size_t *added = ctx;

	for (size_t m = 0; m < n; m++)
		for (size_t a = 0; a < msgs[m].n_args; a++)
			if (ts_spop_ack_set_var(ack, TS_SPOP_SCOPE_TXN, "v",
						&msgs[m].args[a].value) == TS_ERR_OK)
				(*added)++;
	if (ts_spop_ack_unset_var(ack, TS_SPOP_SCOPE_REQ, "gone") == TS_ERR_OK)
		(*added)++;
}

/* Our own frames must always decode, and ACKs must carry what was added. */
static void check_output(const uint8_t *buf, size_t len, size_t acks_actions)
{
	size_t at = 0, actions = 0;

	while (at < len) {
		uint32_t flen;
		struct ts_spop_frame f;
		struct ts_spop_reader r;

		if (ts_spop_frame_length(buf + at, UINT32_MAX, &flen) != TS_ERR_OK ||
		    ts_spop_frame_decode(buf + at + 4, flen, &f) != TS_ERR_OK)
			abort();
		r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
		while (f.type == TS_SPOP_FRAME_ACK && r.pos < r.end) {
			struct ts_spop_action a;

			if (ts_spop_action_decode(&r, &a) != TS_ERR_OK)
				abort();
			actions++;
		}
		at += 4 + flen;
	}
	if (at != len || actions != acks_actions)
		abort();
}

static void run_stream(const uint8_t *data, size_t size, bool after_hello)
{
	size_t added = 0;

	ts_spop_session_init(&session, AGENT_MAX, echo_all, &added);
	if (after_hello) {
		session.ready = true;
		session.pipelining = true;
	}
	while (!session.closing) {
		struct ts_spop_writer out;
		size_t used;

		ts_spop_writer_init(&out, out_buf, sizeof out_buf);
		added = 0;
		used = ts_spop_session_feed(&session, data, size, &out);
		check_output(out_buf, out.len, added);
		if (used == 0)
			break;
		data += used, size -= used;
	}
}

static void run_frame(const uint8_t *data, size_t size)
{
	struct ts_spop_frame f;
	struct ts_spop_hello hello;
	struct ts_spop_disconnect d;
	struct ts_spop_reader r;

	if (ts_spop_frame_decode(data, size, &f) != TS_ERR_OK)
		return;
	(void)ts_spop_frame_check_from_haproxy(&f);
	(void)ts_spop_hello_decode(&f, &hello);
	(void)ts_spop_disconnect_decode(&f, &d);
	(void)ts_spop_notify_decode(&f, &notify);
	r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
	while (r.pos < r.end) {
		struct ts_spop_action a;

		if (ts_spop_action_decode(&r, &a) != TS_ERR_OK)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_frame(data, size);
	run_stream(data, size, false);
	run_stream(data, size, true);
	return 0;
}
