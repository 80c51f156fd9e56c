/* HAProxy-side SPOP frames for tests, built with the framing's own writer
 * primitives (which check_spop tests against fixed byte encodings). */
#include <stdio.h>
#include <string.h>

#include "../broker/spop.h"
#include "spop_test_frames.h"

#define ANY_SIZE UINT32_MAX

struct spop_test_hello spop_test_hello_default(void)
{
	return (struct spop_test_hello){
		.versions = "2.0", .frame_size = 16380, .caps = "pipelining,async"};
}

static void put_name(struct ts_spop_writer *w, const char *name)
{
	ts_spop_put_bytes(w, name, strlen(name));
}

static void put_kv_string(struct ts_spop_writer *w, const char *name, const char *value)
{
	put_name(w, name);
	ts_spop_put_u8(w, TS_SPOP_STRING);
	ts_spop_put_bytes(w, value, strlen(value));
}

static void put_kv_uint32(struct ts_spop_writer *w, const char *name, uint64_t value)
{
	put_name(w, name);
	ts_spop_put_u8(w, TS_SPOP_UINT32);
	ts_spop_put_varint(w, value);
}

static size_t finish(struct ts_spop_writer *w, size_t start)
{
	return ts_spop_frame_end(w, start, ANY_SIZE) == TS_ERR_OK ? w->len : 0;
}

size_t spop_test_hello_frame(uint8_t *buf, size_t cap, const struct spop_test_hello *h)
{
	struct ts_spop_writer w;
	size_t start;

	ts_spop_writer_init(&w, buf, cap);
	start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_HAPROXY_HELLO, TS_SPOP_FLAG_FIN, 0, 0);
	if (h->versions != NULL && h->bad_type == 2)
		put_kv_uint32(&w, "supported-versions", 2);
	else if (h->versions != NULL)
		put_kv_string(&w, "supported-versions", h->versions);
	if (h->frame_size >= 0 && h->bad_type == 1)
		put_kv_string(&w, "max-frame-size", "16380");
	else if (h->frame_size >= 0)
		put_kv_uint32(&w, "max-frame-size", (uint64_t)h->frame_size);
	if (h->caps != NULL)
		put_kv_string(&w, "capabilities", h->caps);
	if (h->caps != NULL && h->duplicate_caps)
		put_kv_string(&w, "capabilities", h->caps);
	if (h->extra_key != NULL)
		put_kv_string(&w, h->extra_key, "some value");
	if (h->healthcheck) {
		put_name(&w, "healthcheck");
		ts_spop_put_u8(&w, TS_SPOP_BOOL | 0x10);
	}
	if (h->engine_id != NULL)
		put_kv_string(&w, "engine-id", h->engine_id);
	return finish(&w, start);
}

size_t spop_test_disconnect_frame(uint8_t *buf, size_t cap, uint32_t status, const char *message,
				  bool with_message)
{
	struct ts_spop_writer w;
	size_t start;

	ts_spop_writer_init(&w, buf, cap);
	start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_HAPROXY_DISCONNECT, TS_SPOP_FLAG_FIN, 0, 0);
	put_kv_uint32(&w, "status-code", status);
	if (with_message)
		put_kv_string(&w, "message", message);
	return finish(&w, start);
}

size_t spop_test_notify_frame(uint8_t *buf, size_t cap, size_t n_messages, size_t args_each)
{
	struct ts_spop_writer w;
	size_t start;

	ts_spop_writer_init(&w, buf, cap);
	start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_NOTIFY, TS_SPOP_FLAG_FIN, 1, 1);
	for (size_t m = 0; m < n_messages; m++) {
		char name[32];

		snprintf(name, sizeof name, "m%zu", m);
		put_name(&w, name);
		ts_spop_put_u8(&w, (uint8_t)args_each);
		for (size_t a = 0; a < args_each; a++) {
			struct ts_spop_value v = {.type = TS_SPOP_INT32, .u.sint = (int64_t)a};

			put_name(&w, "a");
			ts_spop_put_value(&w, &v);
		}
	}
	return finish(&w, start);
}

size_t spop_test_notify_echo(uint8_t *buf, size_t cap, uint64_t stream_id, uint64_t frame_id,
			     const char *value)
{
	struct ts_spop_writer w;
	size_t start;

	ts_spop_writer_init(&w, buf, cap);
	start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_NOTIFY, TS_SPOP_FLAG_FIN, stream_id,
				    frame_id);
	put_name(&w, "echo");
	ts_spop_put_u8(&w, 1);
	put_kv_string(&w, "value", value);
	return finish(&w, start);
}
