/* SPOP framing: HAProxy's Stream Processing Offload Protocol version 2.0
 * (SPOE.txt section 3, Debian's haproxy-doc), with no I/O at all.
 *
 * Decoding works on one whole frame whose 4-byte length prefix the caller
 * has already checked (ts_spop_frame_length). Strings and binaries decoded
 * from a frame point into that frame's bytes with explicit lengths: nothing
 * is copied or allocated, so they are valid only while the frame is.
 * Counts that would need storage (messages, arguments) are capped; every
 * length and varint is checked against the end of the frame before use.
 *
 * Every failure is a ts_err of the SPOP_ group; ts_spop_status_of() gives
 * the SPOE status code an AGENT-DISCONNECT carries for it. */
#ifndef TS_BROKER_SPOP_H
#define TS_BROKER_SPOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/err.h"

/* The smallest max-frame-size either peer may announce (SPOE.txt 3.2). */
#define TS_SPOP_MIN_FRAME_SIZE 256u
/* The length prefix in front of every frame. */
#define TS_SPOP_LENGTH_SIZE 4u
/* A 64-bit varint takes at most 10 bytes (4 bits, then 7 per byte). */
#define TS_SPOP_VARINT_MAX 10u
/* Caps on what one NOTIFY may carry: the decoder stores these, nothing else. */
#define TS_SPOP_MAX_MESSAGES 16u
#define TS_SPOP_MAX_ARGS 128u /* over all messages of the frame */

enum ts_spop_frame_type {
	TS_SPOP_FRAME_UNSET = 0, /* a fragment after the first */
	TS_SPOP_FRAME_HAPROXY_HELLO = 1,
	TS_SPOP_FRAME_HAPROXY_DISCONNECT = 2,
	TS_SPOP_FRAME_NOTIFY = 3,
	TS_SPOP_FRAME_AGENT_HELLO = 101,
	TS_SPOP_FRAME_AGENT_DISCONNECT = 102,
	TS_SPOP_FRAME_ACK = 103,
};

#define TS_SPOP_FLAG_FIN 0x1u
#define TS_SPOP_FLAG_ABORT 0x2u

/* SPOE.txt 3.5: what a DISCONNECT frame's status-code means. */
enum ts_spop_status {
	TS_SPOP_STATUS_NORMAL = 0,
	TS_SPOP_STATUS_IO = 1,
	TS_SPOP_STATUS_TIMEOUT = 2,
	TS_SPOP_STATUS_TOO_BIG = 3,
	TS_SPOP_STATUS_INVALID = 4,
	TS_SPOP_STATUS_NO_VERSION = 5,
	TS_SPOP_STATUS_NO_FRAME_SIZE = 6,
	TS_SPOP_STATUS_NO_CAPABILITIES = 7,
	TS_SPOP_STATUS_BAD_VERSION = 8,
	TS_SPOP_STATUS_BAD_FRAME_SIZE = 9,
	TS_SPOP_STATUS_FRAGMENTATION = 10,
	TS_SPOP_STATUS_INTERLACED = 11,
	TS_SPOP_STATUS_FRAME_ID = 12,
	TS_SPOP_STATUS_RESOURCE = 13,
	TS_SPOP_STATUS_UNKNOWN = 99,
};

enum ts_spop_type {
	TS_SPOP_NULL = 0,
	TS_SPOP_BOOL = 1,
	TS_SPOP_INT32 = 2,
	TS_SPOP_UINT32 = 3,
	TS_SPOP_INT64 = 4,
	TS_SPOP_UINT64 = 5,
	TS_SPOP_IPV4 = 6,
	TS_SPOP_IPV6 = 7,
	TS_SPOP_STRING = 8,
	TS_SPOP_BINARY = 9,
};

/* Variable scopes of set-var / unset-var (SPOE.txt 3.4). */
enum ts_spop_scope {
	TS_SPOP_SCOPE_PROC = 0,
	TS_SPOP_SCOPE_SESS = 1,
	TS_SPOP_SCOPE_TXN = 2,
	TS_SPOP_SCOPE_REQ = 3,
	TS_SPOP_SCOPE_RES = 4,
};

enum ts_spop_action_type {
	TS_SPOP_ACTION_SET_VAR = 1,
	TS_SPOP_ACTION_UNSET_VAR = 2,
};

/* Bytes inside a frame (or any caller buffer); not NUL-terminated. */
struct ts_spop_bytes {
	const uint8_t *ptr;
	size_t len;
};

struct ts_spop_value {
	enum ts_spop_type type;
	union {
		bool boolean;
		int64_t sint;  /* INT32, INT64 */
		uint64_t uint; /* UINT32, UINT64 */
		uint8_t ipv4[4];
		uint8_t ipv6[16];
		struct ts_spop_bytes bytes; /* STRING, BINARY */
	} u;
};

/* One argument of a message: its name (may be empty) and value. */
struct ts_spop_arg {
	struct ts_spop_bytes name;
	struct ts_spop_value value;
};

struct ts_spop_message {
	struct ts_spop_bytes name;
	const struct ts_spop_arg *args;
	size_t n_args;
};

/* A frame's header fields and the payload after them. */
struct ts_spop_frame {
	uint8_t type;
	uint32_t flags;
	uint64_t stream_id;
	uint64_t frame_id;
	struct ts_spop_bytes payload;
};

/* HAPROXY-HELLO, mandatory items checked. */
struct ts_spop_hello {
	struct ts_spop_bytes supported_versions;
	uint32_t max_frame_size;
	struct ts_spop_bytes capabilities;
	bool healthcheck;
	struct ts_spop_bytes engine_id; /* empty when absent */
	bool pipelining;		/* among the capabilities */
	bool async;
	bool fragmentation;
};

/* HAPROXY-DISCONNECT (or AGENT-DISCONNECT when reading our own). */
struct ts_spop_disconnect {
	uint32_t status;
	struct ts_spop_bytes message;
};

/* The messages of one NOTIFY; args of messages[i] point into args[]. */
struct ts_spop_notify {
	struct ts_spop_message messages[TS_SPOP_MAX_MESSAGES];
	size_t n_messages;
	struct ts_spop_arg args[TS_SPOP_MAX_ARGS];
	size_t n_args;
};

/* One KV-LIST item, for walking HELLO and DISCONNECT payloads. */
struct ts_spop_kv {
	struct ts_spop_bytes name;
	struct ts_spop_value value;
};

/* One action of an ACK: args[0] is the scope (as an int), then the name and,
 * for set-var, the value. */
struct ts_spop_action {
	uint8_t type;
	uint8_t scope;
	struct ts_spop_bytes name;
	struct ts_spop_value value; /* NULL type for unset-var */
};

/* A cursor over bytes: decoders advance pos and never read past end. */
struct ts_spop_reader {
	const uint8_t *pos;
	const uint8_t *end;
};

/* ---- decoding ---- */

/* The frame length from its 4-byte prefix, refused when it exceeds
 * max_frame_size (SPOP_FRAME_TOO_BIG) or cannot hold a frame header
 * (SPOP_FRAME_INVALID). */
ts_err ts_spop_frame_length(const uint8_t prefix[TS_SPOP_LENGTH_SIZE], uint32_t max_frame_size,
			    uint32_t *len);

/* Decodes a varint at r->pos; SPOP_VARINT when it runs past the end or
 * needs more than 64 bits. */
ts_err ts_spop_varint_decode(struct ts_spop_reader *r, uint64_t *out);
/* Decodes one TYPED-DATA item; SPOP_DATA_TYPE for a reserved type, a bad
 * flag or a value out of its type's range. */
ts_err ts_spop_value_decode(struct ts_spop_reader *r, struct ts_spop_value *out);
/* Decodes one KV-LIST item (name string, typed value). */
ts_err ts_spop_kv_decode(struct ts_spop_reader *r, struct ts_spop_kv *out);

/* Splits one frame (without its length prefix) into header and payload.
 * Checks what every frame must satisfy: complete header, no reserved flag
 * bits, ABORT only with FIN. */
ts_err ts_spop_frame_decode(const uint8_t *frame, size_t len, struct ts_spop_frame *out);
/* Checks a frame is one HAProxy may send an agent that announced no
 * fragmentation: HAPROXY-HELLO, HAPROXY-DISCONNECT or NOTIFY, FIN set,
 * HELLO and DISCONNECT with stream and frame ids 0. */
ts_err ts_spop_frame_check_from_haproxy(const struct ts_spop_frame *frame);

ts_err ts_spop_hello_decode(const struct ts_spop_frame *frame, struct ts_spop_hello *out);
ts_err ts_spop_disconnect_decode(const struct ts_spop_frame *frame,
				 struct ts_spop_disconnect *out);
ts_err ts_spop_notify_decode(const struct ts_spop_frame *frame, struct ts_spop_notify *out);
/* Decodes one action of an ACK payload (tests and tools read our ACKs). */
ts_err ts_spop_action_decode(struct ts_spop_reader *r, struct ts_spop_action *out);

/* Whether a supported-versions list ("2.0, 1.5") includes SPOP 2.0. */
bool ts_spop_version_supported(struct ts_spop_bytes versions);
/* Whether a comma-separated list (spaces ignored) holds the word. */
bool ts_spop_list_has(struct ts_spop_bytes list, const char *word);
/* Whether bytes equal the NUL-terminated text. */
bool ts_spop_bytes_eq(struct ts_spop_bytes b, const char *text);

/* The SPOE status code a DISCONNECT sends for err. */
enum ts_spop_status ts_spop_status_of(ts_err err);

/* ---- encoding ---- */

/* Appends into buf[0..cap); once something does not fit, overflow is set
 * and nothing more is written, so callers check once at the end. */
struct ts_spop_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void ts_spop_writer_init(struct ts_spop_writer *w, uint8_t *buf, size_t cap);
void ts_spop_put_u8(struct ts_spop_writer *w, uint8_t v);
void ts_spop_put_varint(struct ts_spop_writer *w, uint64_t v);
/* STRING typed data, or a bare <LENGTH><BYTES> with put_bytes. */
void ts_spop_put_bytes(struct ts_spop_writer *w, const void *data, size_t len);
void ts_spop_put_value(struct ts_spop_writer *w, const struct ts_spop_value *v);
/* Writes the length placeholder and the frame header; returns where the
 * frame starts, for ts_spop_frame_end. */
size_t ts_spop_frame_begin(struct ts_spop_writer *w, uint8_t type, uint32_t flags,
			   uint64_t stream_id, uint64_t frame_id);
/* Fills in the length prefix; SPOP_ENCODE_SPACE if anything overflowed or
 * the frame exceeds max_frame_size. */
ts_err ts_spop_frame_end(struct ts_spop_writer *w, size_t start, uint32_t max_frame_size);

/* Whole frames, length prefix included, appended to w. */
ts_err ts_spop_agent_hello_encode(struct ts_spop_writer *w, uint32_t max_frame_size,
				  const char *capabilities);
ts_err ts_spop_agent_disconnect_encode(struct ts_spop_writer *w, uint32_t max_frame_size,
				       enum ts_spop_status status, const char *message);

/* The ACK answering one NOTIFY, built in place in the caller's buffer. An
 * action that does not fit in max_frame_size is not added at all
 * (SPOP_ACK_FULL) and the actions before it stay. */
struct ts_spop_ack {
	struct ts_spop_writer w;
	size_t start;
	uint32_t max_frame_size;
	size_t n_actions;
};

void ts_spop_ack_begin(struct ts_spop_ack *ack, uint8_t *buf, size_t cap,
		       uint32_t max_frame_size, uint64_t stream_id, uint64_t frame_id);
ts_err ts_spop_ack_set_var(struct ts_spop_ack *ack, enum ts_spop_scope scope, const char *name,
			   const struct ts_spop_value *value);
ts_err ts_spop_ack_set_string(struct ts_spop_ack *ack, enum ts_spop_scope scope,
			      const char *name, const void *value, size_t len);
ts_err ts_spop_ack_set_int(struct ts_spop_ack *ack, enum ts_spop_scope scope, const char *name,
			   int64_t value);
ts_err ts_spop_ack_unset_var(struct ts_spop_ack *ack, enum ts_spop_scope scope,
			     const char *name);
/* Fills in the length; returns the whole frame's size (prefix included). */
size_t ts_spop_ack_finish(struct ts_spop_ack *ack);

#endif
