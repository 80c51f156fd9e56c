/* SPOP encoding: the frames an agent sends (AGENT-HELLO, ACK with set-var /
 * unset-var, AGENT-DISCONNECT) and the primitives under them. Writers never
 * write past their capacity; a frame that does not fit is refused whole. */
#include <string.h>

#include "spop.h"

#define FLAG_TRUE 0x10u

void ts_spop_writer_init(struct ts_spop_writer *w, uint8_t *buf, size_t cap)
{
	*w = (struct ts_spop_writer){.buf = buf, .cap = cap};
}

static void put(struct ts_spop_writer *w, const void *data, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (n > 0)
		memcpy(w->buf + w->len, data, n);
	w->len += n;
}

void ts_spop_put_u8(struct ts_spop_writer *w, uint8_t v)
{
	put(w, &v, 1);
}

/* The inverse of ts_spop_varint_decode (Peers encoding). */
void ts_spop_put_varint(struct ts_spop_writer *w, uint64_t v)
{
	uint8_t out[TS_SPOP_VARINT_MAX];
	size_t n = 0;

	if (v < 240) {
		out[n++] = (uint8_t)v;
	} else {
		out[n++] = (uint8_t)(v | 240);
		v = (v - 240) >> 4;
		while (v >= 128) {
			out[n++] = (uint8_t)(v | 128);
			v = (v - 128) >> 7;
		}
		out[n++] = (uint8_t)v;
	}
	put(w, out, n);
}

void ts_spop_put_bytes(struct ts_spop_writer *w, const void *data, size_t len)
{
	ts_spop_put_varint(w, len);
	put(w, data, len);
}

void ts_spop_put_value(struct ts_spop_writer *w, const struct ts_spop_value *v)
{
	switch (v->type) {
	case TS_SPOP_NULL:
		ts_spop_put_u8(w, TS_SPOP_NULL);
		return;
	case TS_SPOP_BOOL:
		ts_spop_put_u8(w, (uint8_t)(TS_SPOP_BOOL | (v->u.boolean ? FLAG_TRUE : 0)));
		return;
	case TS_SPOP_INT32:
	case TS_SPOP_INT64:
		ts_spop_put_u8(w, (uint8_t)v->type);
		ts_spop_put_varint(w, (uint64_t)v->u.sint);
		return;
	case TS_SPOP_UINT32:
	case TS_SPOP_UINT64:
		ts_spop_put_u8(w, (uint8_t)v->type);
		ts_spop_put_varint(w, v->u.uint);
		return;
	case TS_SPOP_IPV4:
		ts_spop_put_u8(w, TS_SPOP_IPV4);
		put(w, v->u.ipv4, sizeof v->u.ipv4);
		return;
	case TS_SPOP_IPV6:
		ts_spop_put_u8(w, TS_SPOP_IPV6);
		put(w, v->u.ipv6, sizeof v->u.ipv6);
		return;
	case TS_SPOP_STRING:
	case TS_SPOP_BINARY:
		ts_spop_put_u8(w, (uint8_t)v->type);
		ts_spop_put_bytes(w, v->u.bytes.ptr, v->u.bytes.len);
		return;
	}
	w->overflow = true; /* not a type: refuse the frame rather than guess */
}

size_t ts_spop_frame_begin(struct ts_spop_writer *w, uint8_t type, uint32_t flags,
			   uint64_t stream_id, uint64_t frame_id)
{
	const uint8_t zero[TS_SPOP_LENGTH_SIZE] = {0};
	const uint8_t f[4] = {(uint8_t)(flags >> 24), (uint8_t)(flags >> 16), (uint8_t)(flags >> 8),
			      (uint8_t)flags};
	size_t start = w->len;

	put(w, zero, sizeof zero);
	ts_spop_put_u8(w, type);
	put(w, f, sizeof f);
	ts_spop_put_varint(w, stream_id);
	ts_spop_put_varint(w, frame_id);
	return start;
}

ts_err ts_spop_frame_end(struct ts_spop_writer *w, size_t start, uint32_t max_frame_size)
{
	size_t n;

	if (w->overflow)
		return TS_ERR_SPOP_ENCODE_SPACE;
	n = w->len - start - TS_SPOP_LENGTH_SIZE;
	if (n > max_frame_size)
		return TS_ERR_SPOP_ENCODE_SPACE;
	w->buf[start] = (uint8_t)(n >> 24);
	w->buf[start + 1] = (uint8_t)(n >> 16);
	w->buf[start + 2] = (uint8_t)(n >> 8);
	w->buf[start + 3] = (uint8_t)n;
	return TS_ERR_OK;
}

static void put_kv_string(struct ts_spop_writer *w, const char *name, const char *value)
{
	ts_spop_put_bytes(w, name, strlen(name));
	ts_spop_put_u8(w, TS_SPOP_STRING);
	ts_spop_put_bytes(w, value, strlen(value));
}

static void put_kv_uint32(struct ts_spop_writer *w, const char *name, uint32_t value)
{
	ts_spop_put_bytes(w, name, strlen(name));
	ts_spop_put_u8(w, TS_SPOP_UINT32);
	ts_spop_put_varint(w, value);
}

/* A whole frame or nothing: on failure w is as it was. */
static ts_err frame_or_rollback(struct ts_spop_writer *w, size_t start, uint32_t max)
{
	ts_err err = ts_spop_frame_end(w, start, max);

	if (err != TS_ERR_OK) {
		w->len = start;
		w->overflow = false;
	}
	return err;
}

ts_err ts_spop_agent_hello_encode(struct ts_spop_writer *w, uint32_t max_frame_size,
				  const char *capabilities)
{
	size_t start = ts_spop_frame_begin(w, TS_SPOP_FRAME_AGENT_HELLO, TS_SPOP_FLAG_FIN, 0, 0);

	put_kv_string(w, "version", "2.0");
	put_kv_uint32(w, "max-frame-size", max_frame_size);
	put_kv_string(w, "capabilities", capabilities);
	return frame_or_rollback(w, start, max_frame_size);
}

ts_err ts_spop_agent_disconnect_encode(struct ts_spop_writer *w, uint32_t max_frame_size,
				       enum ts_spop_status status, const char *message)
{
	size_t start = ts_spop_frame_begin(w, TS_SPOP_FRAME_AGENT_DISCONNECT, TS_SPOP_FLAG_FIN, 0,
					   0);

	put_kv_uint32(w, "status-code", (uint32_t)status);
	put_kv_string(w, "message", message);
	return frame_or_rollback(w, start, max_frame_size);
}

void ts_spop_ack_begin(struct ts_spop_ack *ack, uint8_t *buf, size_t cap,
		       uint32_t max_frame_size, uint64_t stream_id, uint64_t frame_id)
{
	ts_spop_writer_init(&ack->w, buf, cap);
	ack->max_frame_size = max_frame_size;
	ack->n_actions = 0;
	ack->start = ts_spop_frame_begin(&ack->w, TS_SPOP_FRAME_ACK, TS_SPOP_FLAG_FIN, stream_id,
					 frame_id);
}

/* Keeps the action just written only if the frame still fits. */
static ts_err action_commit(struct ts_spop_ack *ack, size_t before)
{
	if (ack->w.overflow || ack->w.len - ack->start - TS_SPOP_LENGTH_SIZE > ack->max_frame_size) {
		ack->w.len = before;
		ack->w.overflow = false;
		return TS_ERR_SPOP_ACK_FULL;
	}
	ack->n_actions++;
	return TS_ERR_OK;
}

static void action_head(struct ts_spop_ack *ack, uint8_t type, uint8_t nb_args,
			enum ts_spop_scope scope, const char *name)
{
	ts_spop_put_u8(&ack->w, type);
	ts_spop_put_u8(&ack->w, nb_args);
	ts_spop_put_u8(&ack->w, (uint8_t)scope);
	ts_spop_put_bytes(&ack->w, name, strlen(name));
}

ts_err ts_spop_ack_set_var(struct ts_spop_ack *ack, enum ts_spop_scope scope, const char *name,
			   const struct ts_spop_value *value)
{
	size_t before = ack->w.len;

	if ((unsigned)scope > TS_SPOP_SCOPE_RES)
		return TS_ERR_INVALID_ARGUMENT;
	if (ack->w.overflow) /* not even the header fitted */
		return TS_ERR_SPOP_ACK_FULL;
	action_head(ack, TS_SPOP_ACTION_SET_VAR, 3, scope, name);
	ts_spop_put_value(&ack->w, value);
	return action_commit(ack, before);
}

ts_err ts_spop_ack_set_string(struct ts_spop_ack *ack, enum ts_spop_scope scope,
			      const char *name, const void *value, size_t len)
{
	struct ts_spop_value v = {.type = TS_SPOP_STRING, .u.bytes = {value, len}};

	return ts_spop_ack_set_var(ack, scope, name, &v);
}

ts_err ts_spop_ack_set_int(struct ts_spop_ack *ack, enum ts_spop_scope scope, const char *name,
			   int64_t value)
{
	struct ts_spop_value v = {.type = TS_SPOP_INT64, .u.sint = value};

	return ts_spop_ack_set_var(ack, scope, name, &v);
}

ts_err ts_spop_ack_unset_var(struct ts_spop_ack *ack, enum ts_spop_scope scope,
			     const char *name)
{
	size_t before = ack->w.len;

	if ((unsigned)scope > TS_SPOP_SCOPE_RES)
		return TS_ERR_INVALID_ARGUMENT;
	if (ack->w.overflow)
		return TS_ERR_SPOP_ACK_FULL;
	action_head(ack, TS_SPOP_ACTION_UNSET_VAR, 2, scope, name);
	return action_commit(ack, before);
}

size_t ts_spop_ack_finish(struct ts_spop_ack *ack)
{
	/* Actions were only kept when they fit, so this cannot fail once the
	 * header itself fitted; a buffer too small even for that yields 0. */
	if (ts_spop_frame_end(&ack->w, ack->start, ack->max_frame_size) != TS_ERR_OK)
		return 0;
	return ack->w.len - ack->start;
}
