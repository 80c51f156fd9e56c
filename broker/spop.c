/* SPOP decoding (SPOE.txt section 3): frames, varints, typed data, KV-lists,
 * NOTIFY messages. Pure functions over caller bytes; every read is checked
 * against the reader's end first, so a hostile frame can at worst be
 * refused with a named error. Encoding is in spop_encode.c. */
#include <string.h>

#include "spop.h"

/* Typed-data byte: type in the low nibble, flags in the high one; the only
 * flag defined is a boolean's value. */
#define TYPE_MASK 0x0fu
#define FLAG_TRUE 0x10u
#define RESERVED_FLAGS (~(uint32_t)(TS_SPOP_FLAG_FIN | TS_SPOP_FLAG_ABORT))
/* Type (1) + flags (4) + two one-byte varints. */
#define FRAME_HEADER_MIN 7u

static size_t left(const struct ts_spop_reader *r)
{
	return (size_t)(r->end - r->pos);
}

ts_err ts_spop_frame_length(const uint8_t prefix[TS_SPOP_LENGTH_SIZE], uint32_t max_frame_size,
			    uint32_t *len)
{
	uint32_t n = (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 |
		     (uint32_t)prefix[2] << 8 | prefix[3];

	if (n > max_frame_size)
		return TS_ERR_SPOP_FRAME_TOO_BIG;
	if (n < FRAME_HEADER_MIN)
		return TS_ERR_SPOP_FRAME_INVALID;
	*len = n;
	return TS_ERR_OK;
}

/* Peers encoding: a first byte below 240 is the value; otherwise its low 4
 * bits start the value and each following byte adds 7 more bits (on top of
 * what earlier bytes imply) while its high bit says another one follows. */
ts_err ts_spop_varint_decode(struct ts_spop_reader *r, uint64_t *out)
{
	uint64_t value;
	unsigned shift = 4;
	uint8_t b;

	if (left(r) < 1)
		return TS_ERR_SPOP_VARINT;
	value = *r->pos++;
	if (value < 240) {
		*out = value;
		return TS_ERR_OK;
	}
	do {
		uint64_t add;

		if (left(r) < 1 || shift >= 64)
			return TS_ERR_SPOP_VARINT;
		b = *r->pos++;
		add = (uint64_t)b << shift;
		if (add >> shift != b || __builtin_add_overflow(value, add, &value))
			return TS_ERR_SPOP_VARINT;
		shift += 7;
	} while (b >= 128);
	*out = value;
	return TS_ERR_OK;
}

/* <LENGTH:varint><BYTES>: names of KV items, messages and arguments. */
static ts_err bytes_decode(struct ts_spop_reader *r, struct ts_spop_bytes *out)
{
	uint64_t len;
	ts_err err = ts_spop_varint_decode(r, &len);

	if (err != TS_ERR_OK)
		return err;
	if (len > left(r))
		return TS_ERR_SPOP_TRUNCATED;
	out->ptr = r->pos;
	out->len = (size_t)len;
	r->pos += len;
	return TS_ERR_OK;
}

static ts_err fixed_decode(struct ts_spop_reader *r, uint8_t *out, size_t n)
{
	if (left(r) < n)
		return TS_ERR_SPOP_TRUNCATED;
	memcpy(out, r->pos, n);
	r->pos += n;
	return TS_ERR_OK;
}

static ts_err integer_decode(struct ts_spop_reader *r, struct ts_spop_value *out)
{
	uint64_t v;
	ts_err err = ts_spop_varint_decode(r, &v);

	if (err != TS_ERR_OK)
		return err;
	switch (out->type) {
	case TS_SPOP_INT32:
		/* Signed values travel as the two's complement of a 64-bit int. */
		if ((int64_t)v < INT32_MIN || (int64_t)v > INT32_MAX)
			return TS_ERR_SPOP_DATA_TYPE;
		out->u.sint = (int64_t)v;
		return TS_ERR_OK;
	case TS_SPOP_INT64:
		out->u.sint = (int64_t)v;
		return TS_ERR_OK;
	case TS_SPOP_UINT32:
		if (v > UINT32_MAX)
			return TS_ERR_SPOP_DATA_TYPE;
		out->u.uint = v;
		return TS_ERR_OK;
	default:
		out->u.uint = v;
		return TS_ERR_OK;
	}
}

ts_err ts_spop_value_decode(struct ts_spop_reader *r, struct ts_spop_value *out)
{
	uint8_t tag;

	if (left(r) < 1)
		return TS_ERR_SPOP_TRUNCATED;
	tag = *r->pos++;
	memset(out, 0, sizeof *out);
	out->type = (enum ts_spop_type)(tag & TYPE_MASK);
	/* Flags are defined for booleans only; anything else is not ours to guess. */
	if ((tag & ~TYPE_MASK) != 0 && !(out->type == TS_SPOP_BOOL && (tag & ~TYPE_MASK) == FLAG_TRUE))
		return TS_ERR_SPOP_DATA_TYPE;
	switch (out->type) {
	case TS_SPOP_NULL:
		return TS_ERR_OK;
	case TS_SPOP_BOOL:
		out->u.boolean = (tag & FLAG_TRUE) != 0;
		return TS_ERR_OK;
	case TS_SPOP_INT32:
	case TS_SPOP_UINT32:
	case TS_SPOP_INT64:
	case TS_SPOP_UINT64:
		return integer_decode(r, out);
	case TS_SPOP_IPV4:
		return fixed_decode(r, out->u.ipv4, sizeof out->u.ipv4);
	case TS_SPOP_IPV6:
		return fixed_decode(r, out->u.ipv6, sizeof out->u.ipv6);
	case TS_SPOP_STRING:
	case TS_SPOP_BINARY:
		return bytes_decode(r, &out->u.bytes);
	}
	return TS_ERR_SPOP_DATA_TYPE; /* 10 to 15: reserved */
}

ts_err ts_spop_kv_decode(struct ts_spop_reader *r, struct ts_spop_kv *out)
{
	ts_err err = bytes_decode(r, &out->name);

	return err != TS_ERR_OK ? err : ts_spop_value_decode(r, &out->value);
}

ts_err ts_spop_frame_decode(const uint8_t *frame, size_t len, struct ts_spop_frame *out)
{
	struct ts_spop_reader r = {frame, frame + len};
	ts_err err;

	if (len < FRAME_HEADER_MIN)
		return TS_ERR_SPOP_TRUNCATED;
	out->type = frame[0];
	out->flags = (uint32_t)frame[1] << 24 | (uint32_t)frame[2] << 16 |
		     (uint32_t)frame[3] << 8 | frame[4];
	r.pos += 5;
	if ((out->flags & RESERVED_FLAGS) != 0 ||
	    ((out->flags & TS_SPOP_FLAG_ABORT) && !(out->flags & TS_SPOP_FLAG_FIN)))
		return TS_ERR_SPOP_FRAME_INVALID;
	if ((err = ts_spop_varint_decode(&r, &out->stream_id)) != TS_ERR_OK ||
	    (err = ts_spop_varint_decode(&r, &out->frame_id)) != TS_ERR_OK)
		return err;
	out->payload.ptr = r.pos;
	out->payload.len = left(&r);
	return TS_ERR_OK;
}

ts_err ts_spop_frame_check_from_haproxy(const struct ts_spop_frame *frame)
{
	switch (frame->type) {
	case TS_SPOP_FRAME_UNSET:
		return TS_ERR_SPOP_FRAGMENTED;
	case TS_SPOP_FRAME_HAPROXY_HELLO:
	case TS_SPOP_FRAME_HAPROXY_DISCONNECT:
		if (frame->stream_id != 0 || frame->frame_id != 0)
			return TS_ERR_SPOP_FRAME_INVALID;
		break;
	case TS_SPOP_FRAME_NOTIFY:
		break;
	default:
		return TS_ERR_SPOP_FRAME_TYPE;
	}
	/* We never announce fragmentation: every frame must be whole. */
	if ((frame->flags & TS_SPOP_FLAG_FIN) == 0 || (frame->flags & TS_SPOP_FLAG_ABORT) != 0)
		return TS_ERR_SPOP_FRAGMENTED;
	return TS_ERR_OK;
}

bool ts_spop_bytes_eq(struct ts_spop_bytes b, const char *text)
{
	size_t n = strlen(text);

	return b.len == n && (n == 0 || memcmp(b.ptr, text, n) == 0);
}

/* Calls fn on each item of a comma-separated list with spaces trimmed;
 * stops at the first item fn accepts. */
static bool list_any(struct ts_spop_bytes list, bool (*fn)(struct ts_spop_bytes, const void *),
		     const void *arg)
{
	size_t i = 0;

	while (i <= list.len) {
		size_t start = i, end;

		while (i < list.len && list.ptr[i] != ',')
			i++;
		end = i++;
		while (start < end && list.ptr[start] == ' ')
			start++;
		while (end > start && list.ptr[end - 1] == ' ')
			end--;
		if (fn((struct ts_spop_bytes){list.ptr + start, end - start}, arg))
			return true;
	}
	return false;
}

static bool word_is(struct ts_spop_bytes item, const void *word)
{
	return ts_spop_bytes_eq(item, word);
}

bool ts_spop_list_has(struct ts_spop_bytes list, const char *word)
{
	return list.len > 0 && list_any(list, word_is, word);
}

/* "2.N": announcing major 2 means every 2.x up to N, so 2.0 among them. */
static bool is_major_2(struct ts_spop_bytes item, const void *unused)
{
	size_t digits = 0;

	if (item.len < 3 || item.ptr[0] != '2' || item.ptr[1] != '.')
		return false;
	for (size_t i = 2; i < item.len; i++, digits++)
		if (item.ptr[i] < '0' || item.ptr[i] > '9')
			return false;
	return digits > 0;
}

bool ts_spop_version_supported(struct ts_spop_bytes versions)
{
	return versions.len > 0 && list_any(versions, is_major_2, NULL);
}

/* Marks a KV name as seen; a repeated one makes the frame invalid. */
static bool first_time(unsigned *seen, unsigned bit)
{
	if (*seen & bit)
		return false;
	*seen |= bit;
	return true;
}

enum { SEEN_VERSIONS = 1, SEEN_FRAME_SIZE = 2, SEEN_CAPS = 4, SEEN_HEALTH = 8, SEEN_ENGINE = 16 };

static ts_err hello_item(const struct ts_spop_kv *kv, unsigned *seen, struct ts_spop_hello *out)
{
	const struct ts_spop_value *v = &kv->value;

	if (ts_spop_bytes_eq(kv->name, "supported-versions")) {
		if (!first_time(seen, SEEN_VERSIONS))
			return TS_ERR_SPOP_FRAME_INVALID;
		if (v->type != TS_SPOP_STRING)
			return TS_ERR_SPOP_NO_VERSION;
		out->supported_versions = v->u.bytes;
	} else if (ts_spop_bytes_eq(kv->name, "max-frame-size")) {
		if (!first_time(seen, SEEN_FRAME_SIZE))
			return TS_ERR_SPOP_FRAME_INVALID;
		if (v->type != TS_SPOP_UINT32)
			return TS_ERR_SPOP_NO_FRAME_SIZE;
		out->max_frame_size = (uint32_t)v->u.uint;
	} else if (ts_spop_bytes_eq(kv->name, "capabilities")) {
		if (!first_time(seen, SEEN_CAPS))
			return TS_ERR_SPOP_FRAME_INVALID;
		if (v->type != TS_SPOP_STRING)
			return TS_ERR_SPOP_NO_CAPABILITIES;
		out->capabilities = v->u.bytes;
	} else if (ts_spop_bytes_eq(kv->name, "healthcheck")) {
		if (!first_time(seen, SEEN_HEALTH) || v->type != TS_SPOP_BOOL)
			return TS_ERR_SPOP_FRAME_INVALID;
		out->healthcheck = v->u.boolean;
	} else if (ts_spop_bytes_eq(kv->name, "engine-id")) {
		if (!first_time(seen, SEEN_ENGINE) || v->type != TS_SPOP_STRING)
			return TS_ERR_SPOP_FRAME_INVALID;
		out->engine_id = v->u.bytes;
	}
	/* Other items are for newer peers: SPOE.txt says to ignore them. */
	return TS_ERR_OK;
}

ts_err ts_spop_hello_decode(const struct ts_spop_frame *frame, struct ts_spop_hello *out)
{
	struct ts_spop_reader r = {frame->payload.ptr, frame->payload.ptr + frame->payload.len};
	unsigned seen = 0;
	ts_err err;

	memset(out, 0, sizeof *out);
	while (left(&r) > 0) {
		struct ts_spop_kv kv;

		if ((err = ts_spop_kv_decode(&r, &kv)) != TS_ERR_OK ||
		    (err = hello_item(&kv, &seen, out)) != TS_ERR_OK)
			return err;
	}
	if (!(seen & SEEN_VERSIONS))
		return TS_ERR_SPOP_NO_VERSION;
	if (!(seen & SEEN_FRAME_SIZE))
		return TS_ERR_SPOP_NO_FRAME_SIZE;
	if (!(seen & SEEN_CAPS))
		return TS_ERR_SPOP_NO_CAPABILITIES;
	if (!ts_spop_version_supported(out->supported_versions))
		return TS_ERR_SPOP_VERSION;
	if (out->max_frame_size < TS_SPOP_MIN_FRAME_SIZE)
		return TS_ERR_SPOP_FRAME_SIZE;
	out->pipelining = ts_spop_list_has(out->capabilities, "pipelining");
	out->async = ts_spop_list_has(out->capabilities, "async");
	out->fragmentation = ts_spop_list_has(out->capabilities, "fragmentation");
	return TS_ERR_OK;
}

ts_err ts_spop_disconnect_decode(const struct ts_spop_frame *frame,
				 struct ts_spop_disconnect *out)
{
	struct ts_spop_reader r = {frame->payload.ptr, frame->payload.ptr + frame->payload.len};
	unsigned seen = 0;
	ts_err err;

	memset(out, 0, sizeof *out);
	while (left(&r) > 0) {
		struct ts_spop_kv kv;

		if ((err = ts_spop_kv_decode(&r, &kv)) != TS_ERR_OK)
			return err;
		if (ts_spop_bytes_eq(kv.name, "status-code")) {
			if (!first_time(&seen, 1) || kv.value.type != TS_SPOP_UINT32)
				return TS_ERR_SPOP_FRAME_INVALID;
			out->status = (uint32_t)kv.value.u.uint;
		} else if (ts_spop_bytes_eq(kv.name, "message")) {
			if (!first_time(&seen, 2) || kv.value.type != TS_SPOP_STRING)
				return TS_ERR_SPOP_FRAME_INVALID;
			out->message = kv.value.u.bytes;
		}
	}
	return seen == 3 ? TS_ERR_OK : TS_ERR_SPOP_NO_STATUS;
}

/* <MESSAGE-NAME><NB-ARGS:1 byte> then NB-ARGS (name, typed value) pairs. */
static ts_err message_decode(struct ts_spop_reader *r, struct ts_spop_notify *out)
{
	struct ts_spop_message *m = &out->messages[out->n_messages];
	ts_err err;
	uint8_t n;

	if ((err = bytes_decode(r, &m->name)) != TS_ERR_OK)
		return err;
	if (left(r) < 1)
		return TS_ERR_SPOP_TRUNCATED;
	n = *r->pos++;
	if (n > TS_SPOP_MAX_ARGS - out->n_args)
		return TS_ERR_SPOP_TOO_MANY;
	m->args = &out->args[out->n_args];
	m->n_args = n;
	for (uint8_t i = 0; i < n; i++) {
		struct ts_spop_kv kv;

		if ((err = ts_spop_kv_decode(r, &kv)) != TS_ERR_OK)
			return err;
		out->args[out->n_args++] = (struct ts_spop_arg){kv.name, kv.value};
	}
	out->n_messages++;
	return TS_ERR_OK;
}

ts_err ts_spop_notify_decode(const struct ts_spop_frame *frame, struct ts_spop_notify *out)
{
	struct ts_spop_reader r = {frame->payload.ptr, frame->payload.ptr + frame->payload.len};
	ts_err err;

	out->n_messages = 0;
	out->n_args = 0;
	while (left(&r) > 0) {
		if (out->n_messages == TS_SPOP_MAX_MESSAGES)
			return TS_ERR_SPOP_TOO_MANY;
		if ((err = message_decode(&r, out)) != TS_ERR_OK)
			return err;
	}
	return TS_ERR_OK;
}

/* <ACTION-TYPE:1><NB-ARGS:1><VAR-SCOPE:1><VAR-NAME>[<VAR-VALUE>] */
ts_err ts_spop_action_decode(struct ts_spop_reader *r, struct ts_spop_action *out)
{
	ts_err err;
	uint8_t nb_args;

	memset(out, 0, sizeof *out);
	if (left(r) < 3)
		return TS_ERR_SPOP_TRUNCATED;
	out->type = *r->pos++;
	nb_args = *r->pos++;
	out->scope = *r->pos++;
	if (out->scope > TS_SPOP_SCOPE_RES)
		return TS_ERR_SPOP_FRAME_INVALID;
	if (!((out->type == TS_SPOP_ACTION_SET_VAR && nb_args == 3) ||
	      (out->type == TS_SPOP_ACTION_UNSET_VAR && nb_args == 2)))
		return TS_ERR_SPOP_FRAME_INVALID;
	if ((err = bytes_decode(r, &out->name)) != TS_ERR_OK)
		return err;
	return out->type == TS_SPOP_ACTION_SET_VAR ? ts_spop_value_decode(r, &out->value)
						   : TS_ERR_OK;
}

enum ts_spop_status ts_spop_status_of(ts_err err)
{
	switch (err) {
	case TS_ERR_OK:
		return TS_SPOP_STATUS_NORMAL;
	case TS_ERR_IO:
		return TS_SPOP_STATUS_IO;
	case TS_ERR_SPOP_TIMEOUT:
		return TS_SPOP_STATUS_TIMEOUT;
	case TS_ERR_SPOP_FRAME_TOO_BIG:
	case TS_ERR_SPOP_ENCODE_SPACE:
		return TS_SPOP_STATUS_TOO_BIG;
	case TS_ERR_SPOP_VARINT:
	case TS_ERR_SPOP_TRUNCATED:
	case TS_ERR_SPOP_DATA_TYPE:
	case TS_ERR_SPOP_FRAME_INVALID:
	case TS_ERR_SPOP_FRAME_TYPE:
	case TS_ERR_SPOP_FRAME_UNEXPECTED:
	case TS_ERR_SPOP_NO_STATUS:
		return TS_SPOP_STATUS_INVALID;
	case TS_ERR_SPOP_NO_VERSION:
		return TS_SPOP_STATUS_NO_VERSION;
	case TS_ERR_SPOP_NO_FRAME_SIZE:
		return TS_SPOP_STATUS_NO_FRAME_SIZE;
	case TS_ERR_SPOP_NO_CAPABILITIES:
		return TS_SPOP_STATUS_NO_CAPABILITIES;
	case TS_ERR_SPOP_VERSION:
		return TS_SPOP_STATUS_BAD_VERSION;
	case TS_ERR_SPOP_FRAME_SIZE:
		return TS_SPOP_STATUS_BAD_FRAME_SIZE;
	case TS_ERR_SPOP_FRAGMENTED:
		return TS_SPOP_STATUS_FRAGMENTATION;
	case TS_ERR_SPOP_TOO_MANY:
	case TS_ERR_SPOP_CONNECTIONS:
	case TS_ERR_NOMEM:
		return TS_SPOP_STATUS_RESOURCE;
	default:
		return TS_SPOP_STATUS_UNKNOWN;
	}
}
