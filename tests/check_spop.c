/* Check suite for broker/spop*.c, the SPOP framing: varints, typed data,
 * frames, HELLO / DISCONNECT / NOTIFY decoding, AGENT-HELLO / ACK /
 * AGENT-DISCONNECT encoding, and every malformed input with its named
 * error. The agent over real sockets is in check_spop_agent.c. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../broker/spop.h"
#include "spop_test_frames.h"

#define BUF_SIZE 4096

static struct ts_spop_bytes B(const char *s)
{
	return (struct ts_spop_bytes){(const uint8_t *)s, strlen(s)};
}

/* ---- varints ---- */

static const uint64_t varint_values[] = {
	0,	   1,	     239,	  240,		     2287,	 2288,	   264431,
	264432,	   33818863, 33818864,	  UINT32_MAX,	     1ull << 40, INT64_MAX, UINT64_MAX - 1,
	UINT64_MAX,
};

START_TEST(test_varint_round_trip)
{
	uint8_t buf[16];
	struct ts_spop_writer w;
	struct ts_spop_reader r;
	uint64_t v = varint_values[_i], got = 0;

	ts_spop_writer_init(&w, buf, sizeof buf);
	ts_spop_put_varint(&w, v);
	ck_assert(!w.overflow);
	ck_assert_uint_le(w.len, TS_SPOP_VARINT_MAX);
	r = (struct ts_spop_reader){buf, buf + w.len};
	ck_assert_int_eq(ts_spop_varint_decode(&r, &got), TS_ERR_OK);
	ck_assert_msg(got == v, "value %llu came back as %llu", (unsigned long long)v,
		      (unsigned long long)got);
	ck_assert_ptr_eq(r.pos, buf + w.len);
}
END_TEST

/* Byte lengths at the boundaries SPOE.txt lists. */
static const struct {
	uint64_t value;
	size_t len;
	uint8_t first[3];
} varint_known[] = {
	{239, 1, {0xef}},
	{240, 2, {0xf0, 0x00}},
	{2287, 2, {0xff, 0x7f}},
	{2288, 3, {0xf0, 0x80, 0x00}},
	{264431, 3, {0xff, 0xff, 0x7f}},
	{264432, 4, {0xf0, 0x80, 0x80}},
	{33818864, 5, {0xf0, 0x80, 0x80}},
};

START_TEST(test_varint_known_encodings)
{
	uint8_t buf[16];
	struct ts_spop_writer w;

	ts_spop_writer_init(&w, buf, sizeof buf);
	ts_spop_put_varint(&w, varint_known[_i].value);
	ck_assert_uint_eq(w.len, varint_known[_i].len);
	ck_assert_mem_eq(buf, varint_known[_i].first, w.len < 3 ? w.len : 3);
}
END_TEST

static const struct {
	const char *what;
	size_t len;
	uint8_t bytes[12];
} varint_bad[] = {
	{"empty", 0, {0}},
	{"2-byte form cut", 1, {0xf0}},
	{"continuation cut", 2, {0xf0, 0x80}},
	{"overlong: 11 bytes", 11, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	{"overflow in the 10th byte", 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}},
};

START_TEST(test_varint_malformed)
{
	struct ts_spop_reader r = {varint_bad[_i].bytes, varint_bad[_i].bytes + varint_bad[_i].len};
	uint64_t v;

	ck_assert_msg(ts_spop_varint_decode(&r, &v) == TS_ERR_SPOP_VARINT, "%s accepted",
		      varint_bad[_i].what);
}
END_TEST

/* ---- typed data ---- */

START_TEST(test_value_round_trip)
{
	static const uint8_t ip6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct ts_spop_value in[] = {
		{.type = TS_SPOP_NULL},
		{.type = TS_SPOP_BOOL, .u.boolean = true},
		{.type = TS_SPOP_BOOL, .u.boolean = false},
		{.type = TS_SPOP_INT32, .u.sint = INT32_MIN},
		{.type = TS_SPOP_INT32, .u.sint = -1},
		{.type = TS_SPOP_UINT32, .u.uint = UINT32_MAX},
		{.type = TS_SPOP_INT64, .u.sint = INT64_MIN},
		{.type = TS_SPOP_UINT64, .u.uint = UINT64_MAX},
		{.type = TS_SPOP_IPV4, .u.ipv4 = {192, 0, 2, 7}},
		{.type = TS_SPOP_IPV6},
		{.type = TS_SPOP_STRING, .u.bytes = B("/WebTicket/oauthtoken")},
		{.type = TS_SPOP_BINARY, .u.bytes = {(const uint8_t *)"\0\1\2", 3}},
		{.type = TS_SPOP_STRING, .u.bytes = B("")},
	};
	uint8_t buf[BUF_SIZE];
	struct ts_spop_writer w;
	struct ts_spop_reader r;

	memcpy(in[9].u.ipv6, ip6, sizeof ip6);
	ts_spop_writer_init(&w, buf, sizeof buf);
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		ts_spop_put_value(&w, &in[i]);
	ck_assert(!w.overflow);
	r = (struct ts_spop_reader){buf, buf + w.len};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		struct ts_spop_value out;

		ck_assert_int_eq(ts_spop_value_decode(&r, &out), TS_ERR_OK);
		ck_assert_int_eq(out.type, in[i].type);
		switch (in[i].type) {
		case TS_SPOP_STRING:
		case TS_SPOP_BINARY:
			ck_assert_uint_eq(out.u.bytes.len, in[i].u.bytes.len);
			ck_assert_mem_eq(out.u.bytes.ptr, in[i].u.bytes.ptr, out.u.bytes.len);
			/* No copy: the decoded bytes live in the input buffer. */
			ck_assert(out.u.bytes.ptr >= buf && out.u.bytes.ptr <= buf + w.len);
			break;
		case TS_SPOP_IPV6:
			ck_assert_mem_eq(out.u.ipv6, ip6, 16);
			break;
		case TS_SPOP_IPV4:
			ck_assert_mem_eq(out.u.ipv4, in[i].u.ipv4, 4);
			break;
		case TS_SPOP_BOOL:
			ck_assert_int_eq(out.u.boolean, in[i].u.boolean);
			break;
		case TS_SPOP_INT32:
		case TS_SPOP_INT64:
			ck_assert(out.u.sint == in[i].u.sint);
			break;
		default:
			ck_assert(out.u.uint == in[i].u.uint);
		}
	}
	ck_assert_ptr_eq(r.pos, r.end);
}
END_TEST

static const struct {
	const char *what;
	size_t len;
	uint8_t bytes[12];
	ts_err want;
} value_bad[] = {
	{"nothing", 0, {0}, TS_ERR_SPOP_TRUNCATED},
	{"reserved type 10", 1, {10}, TS_ERR_SPOP_DATA_TYPE},
	{"reserved type 15", 1, {15}, TS_ERR_SPOP_DATA_TYPE},
	{"flag on a string", 2, {0x18, 0}, TS_ERR_SPOP_DATA_TYPE},
	{"unknown bool flag", 1, {0x21}, TS_ERR_SPOP_DATA_TYPE},
	{"string length past end", 3, {8, 5, 'a'}, TS_ERR_SPOP_TRUNCATED},
	{"binary length varint cut", 2, {9, 0xf0}, TS_ERR_SPOP_VARINT},
	{"ipv4 cut", 4, {6, 1, 2, 3}, TS_ERR_SPOP_TRUNCATED},
	{"ipv6 cut", 5, {7, 1, 2, 3, 4}, TS_ERR_SPOP_TRUNCATED},
	{"int32 above range", 6, {2, 0xf0, 0xff, 0xff, 0xff, 0x7f}, TS_ERR_SPOP_DATA_TYPE},
	{"uint32 above range", 6, {3, 0xf0, 0xff, 0xff, 0xff, 0x7f}, TS_ERR_SPOP_DATA_TYPE},
	{"int64 varint cut", 2, {4, 0xff}, TS_ERR_SPOP_VARINT},
};

START_TEST(test_value_malformed)
{
	struct ts_spop_reader r = {value_bad[_i].bytes, value_bad[_i].bytes + value_bad[_i].len};
	struct ts_spop_value v;
	ts_err got = ts_spop_value_decode(&r, &v);

	ck_assert_msg(got == value_bad[_i].want, "%s: got %s, want %s", value_bad[_i].what,
		      ts_errname(got), ts_errname(value_bad[_i].want));
}
END_TEST

/* ---- frames ---- */

START_TEST(test_frame_length)
{
	const uint8_t big[4] = {0, 0, 0x40, 0x01}, tiny[4] = {0, 0, 0, 6}, ok[4] = {0, 0, 0x40, 0};
	uint32_t len = 0;

	ck_assert_int_eq(ts_spop_frame_length(big, 16384, &len), TS_ERR_SPOP_FRAME_TOO_BIG);
	ck_assert_int_eq(ts_spop_frame_length(tiny, 16384, &len), TS_ERR_SPOP_FRAME_INVALID);
	ck_assert_int_eq(ts_spop_frame_length(ok, 16384, &len), TS_ERR_OK);
	ck_assert_uint_eq(len, 16384);
}
END_TEST

static const struct {
	const char *what;
	uint8_t type;
	uint32_t flags;
	uint64_t sid, fid;
	ts_err decode, check;
} frame_cases[] = {
	{"HELLO", 1, TS_SPOP_FLAG_FIN, 0, 0, TS_ERR_OK, TS_ERR_OK},
	{"NOTIFY", 3, TS_SPOP_FLAG_FIN, 7, 1, TS_ERR_OK, TS_ERR_OK},
	{"DISCONNECT", 2, TS_SPOP_FLAG_FIN, 0, 0, TS_ERR_OK, TS_ERR_OK},
	{"unknown type", 42, TS_SPOP_FLAG_FIN, 0, 0, TS_ERR_OK, TS_ERR_SPOP_FRAME_TYPE},
	{"agent's type", 103, TS_SPOP_FLAG_FIN, 1, 1, TS_ERR_OK, TS_ERR_SPOP_FRAME_TYPE},
	{"UNSET: a fragment", 0, TS_SPOP_FLAG_FIN, 1, 1, TS_ERR_OK, TS_ERR_SPOP_FRAGMENTED},
	{"NOTIFY without FIN", 3, 0, 1, 1, TS_ERR_OK, TS_ERR_SPOP_FRAGMENTED},
	{"NOTIFY aborted", 3, TS_SPOP_FLAG_FIN | TS_SPOP_FLAG_ABORT, 1, 1, TS_ERR_OK,
	 TS_ERR_SPOP_FRAGMENTED},
	{"ABORT without FIN", 3, TS_SPOP_FLAG_ABORT, 1, 1, TS_ERR_SPOP_FRAME_INVALID, TS_ERR_OK},
	{"reserved flag", 3, TS_SPOP_FLAG_FIN | 0x100, 1, 1, TS_ERR_SPOP_FRAME_INVALID, TS_ERR_OK},
	{"HELLO with a stream id", 1, TS_SPOP_FLAG_FIN, 5, 0, TS_ERR_OK, TS_ERR_SPOP_FRAME_INVALID},
	{"DISCONNECT with a frame id", 2, TS_SPOP_FLAG_FIN, 0, 5, TS_ERR_OK,
	 TS_ERR_SPOP_FRAME_INVALID},
};

START_TEST(test_frame_header)
{
	uint8_t buf[64];
	struct ts_spop_writer w;
	struct ts_spop_frame f;
	ts_err got;

	ts_spop_writer_init(&w, buf, sizeof buf);
	ts_spop_frame_begin(&w, frame_cases[_i].type, frame_cases[_i].flags, frame_cases[_i].sid,
			    frame_cases[_i].fid);
	ck_assert_int_eq(ts_spop_frame_end(&w, 0, 16384), TS_ERR_OK);
	got = ts_spop_frame_decode(buf + 4, w.len - 4, &f);
	ck_assert_msg(got == frame_cases[_i].decode, "%s: decode %s", frame_cases[_i].what,
		      ts_errname(got));
	if (got != TS_ERR_OK)
		return;
	ck_assert_uint_eq(f.type, frame_cases[_i].type);
	ck_assert(f.stream_id == frame_cases[_i].sid && f.frame_id == frame_cases[_i].fid);
	ck_assert_uint_eq(f.payload.len, 0);
	got = ts_spop_frame_check_from_haproxy(&f);
	ck_assert_msg(got == frame_cases[_i].check, "%s: check %s", frame_cases[_i].what,
		      ts_errname(got));
}
END_TEST

START_TEST(test_frame_truncated_header)
{
	/* type, flags, then a stream id whose varint runs off the end */
	const uint8_t cut_id[7] = {3, 0, 0, 0, 1, 0xf0, 0xf0};
	const uint8_t short_frame[3] = {3, 0, 0};
	struct ts_spop_frame f;

	ck_assert_int_eq(ts_spop_frame_decode(cut_id, sizeof cut_id, &f), TS_ERR_SPOP_VARINT);
	ck_assert_int_eq(ts_spop_frame_decode(short_frame, sizeof short_frame, &f),
			 TS_ERR_SPOP_TRUNCATED);
}
END_TEST

/* ---- HAPROXY-HELLO ---- */

static ts_err decode_hello(const struct spop_test_hello *h, struct ts_spop_hello *out,
			   uint8_t *buf, size_t cap)
{
	struct ts_spop_frame f;
	size_t len = spop_test_hello_frame(buf, cap, h);
	ts_err err;

	ck_assert_uint_gt(len, 4);
	if ((err = ts_spop_frame_decode(buf + 4, len - 4, &f)) != TS_ERR_OK)
		return err;
	return ts_spop_hello_decode(&f, out);
}

START_TEST(test_hello_valid)
{
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_hello out;
	uint8_t buf[BUF_SIZE];

	h.engine_id = "B2F7-0000";
	h.healthcheck = 1;
	ck_assert_int_eq(decode_hello(&h, &out, buf, sizeof buf), TS_ERR_OK);
	ck_assert(ts_spop_bytes_eq(out.supported_versions, "2.0"));
	ck_assert_uint_eq(out.max_frame_size, 16380);
	ck_assert(out.pipelining && out.async && !out.fragmentation);
	ck_assert(out.healthcheck);
	ck_assert(ts_spop_bytes_eq(out.engine_id, "B2F7-0000"));
}
END_TEST

/* Each row changes one thing of a valid HELLO. */
static const struct {
	const char *what;
	const char *versions; /* NULL: omitted */
	int64_t frame_size;   /* -1: omitted */
	const char *caps;     /* NULL: omitted */
	int bad_type;	      /* 1: frame size sent as a string, 2: versions as an int */
	int duplicate;	      /* capabilities twice */
	const char *extra;    /* an unknown key, ignored */
	ts_err want;
} hello_cases[] = {
	{"valid", "2.0", 16380, "pipelining,async", 0, 0, NULL, TS_ERR_OK},
	{"unknown key ignored", "2.0", 16380, "", 0, 0, "future-key", TS_ERR_OK},
	{"newer minor and older major", " 1.5 , 2.3 ", 16380, "", 0, 0, NULL, TS_ERR_OK},
	{"no versions", NULL, 16380, "", 0, 0, NULL, TS_ERR_SPOP_NO_VERSION},
	{"no frame size", "2.0", -1, "", 0, 0, NULL, TS_ERR_SPOP_NO_FRAME_SIZE},
	{"no capabilities", "2.0", 16380, NULL, 0, 0, NULL, TS_ERR_SPOP_NO_CAPABILITIES},
	{"version 1 only", "1.0", 16380, "", 0, 0, NULL, TS_ERR_SPOP_VERSION},
	{"version 3 only", "3.0", 16380, "", 0, 0, NULL, TS_ERR_SPOP_VERSION},
	{"version garbage", "2.x", 16380, "", 0, 0, NULL, TS_ERR_SPOP_VERSION},
	{"frame size below 256", "2.0", 255, "", 0, 0, NULL, TS_ERR_SPOP_FRAME_SIZE},
	{"frame size as a string", "2.0", 16380, "", 1, 0, NULL, TS_ERR_SPOP_NO_FRAME_SIZE},
	{"versions as an int", "2.0", 16380, "", 2, 0, NULL, TS_ERR_SPOP_NO_VERSION},
	{"capabilities twice", "2.0", 16380, "", 0, 1, NULL, TS_ERR_SPOP_FRAME_INVALID},
};

START_TEST(test_hello_cases)
{
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_hello out;
	uint8_t buf[BUF_SIZE];
	ts_err got;

	h.versions = hello_cases[_i].versions;
	h.frame_size = hello_cases[_i].frame_size;
	h.caps = hello_cases[_i].caps;
	h.bad_type = hello_cases[_i].bad_type;
	h.duplicate_caps = hello_cases[_i].duplicate;
	h.extra_key = hello_cases[_i].extra;
	got = decode_hello(&h, &out, buf, sizeof buf);
	ck_assert_msg(got == hello_cases[_i].want, "%s: got %s, want %s", hello_cases[_i].what,
		      ts_errname(got), ts_errname(hello_cases[_i].want));
}
END_TEST

START_TEST(test_hello_cut_kv)
{
	struct spop_test_hello h = spop_test_hello_default();
	uint8_t buf[BUF_SIZE];
	struct ts_spop_frame f;
	struct ts_spop_hello out;
	size_t len = spop_test_hello_frame(buf, sizeof buf, &h);

	/* Every cut inside the KV-list is refused, never read past. */
	for (size_t cut = 1; cut < len - 4 - 7; cut++) {
		ts_err got;

		ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4 - cut, &f), TS_ERR_OK);
		got = ts_spop_hello_decode(&f, &out);
		ck_assert_msg(got != TS_ERR_OK, "cut %zu accepted", cut);
	}
}
END_TEST

START_TEST(test_version_and_lists)
{
	ck_assert(ts_spop_version_supported(B("2.0")));
	ck_assert(ts_spop_version_supported(B("2.0, 1.5")));
	ck_assert(ts_spop_version_supported(B("2.10")));
	ck_assert(!ts_spop_version_supported(B("")));
	ck_assert(!ts_spop_version_supported(B("2.")));
	ck_assert(!ts_spop_version_supported(B("20.0")));
	ck_assert(!ts_spop_version_supported(B(",,")));
	ck_assert(ts_spop_list_has(B("pipelining,async"), "async"));
	ck_assert(ts_spop_list_has(B(" async , pipelining "), "pipelining"));
	ck_assert(!ts_spop_list_has(B("pipeliningx"), "pipelining"));
	ck_assert(!ts_spop_list_has(B(""), "pipelining"));
}
END_TEST

/* ---- HAPROXY-DISCONNECT ---- */

START_TEST(test_disconnect_decode)
{
	uint8_t buf[BUF_SIZE];
	struct ts_spop_frame f;
	struct ts_spop_disconnect d;
	size_t len = spop_test_disconnect_frame(buf, sizeof buf, 2, "timeout", true);

	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_frame_check_from_haproxy(&f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_disconnect_decode(&f, &d), TS_ERR_OK);
	ck_assert_uint_eq(d.status, 2);
	ck_assert(ts_spop_bytes_eq(d.message, "timeout"));

	len = spop_test_disconnect_frame(buf, sizeof buf, 2, "no message", false);
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_disconnect_decode(&f, &d), TS_ERR_SPOP_NO_STATUS);
}
END_TEST

/* ---- NOTIFY ---- */

START_TEST(test_notify_decode)
{
	uint8_t buf[BUF_SIZE];
	struct ts_spop_writer w;
	struct ts_spop_frame f;
	static struct ts_spop_notify n;
	struct ts_spop_value path = {.type = TS_SPOP_STRING, .u.bytes = B("/ucwa")};
	struct ts_spop_value src = {.type = TS_SPOP_IPV4, .u.ipv4 = {127, 0, 0, 1}};
	struct ts_spop_value len = {.type = TS_SPOP_INT64, .u.sint = 88};
	size_t start;

	ts_spop_writer_init(&w, buf, sizeof buf);
	start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_NOTIFY, TS_SPOP_FLAG_FIN, 12, 1);
	ts_spop_put_bytes(&w, "gate-request", 12);
	ts_spop_put_u8(&w, 2);
	ts_spop_put_bytes(&w, "path", 4);
	ts_spop_put_value(&w, &path);
	ts_spop_put_bytes(&w, "", 0); /* an unnamed argument */
	ts_spop_put_value(&w, &src);
	ts_spop_put_bytes(&w, "body", 4);
	ts_spop_put_u8(&w, 1);
	ts_spop_put_bytes(&w, "len", 3);
	ts_spop_put_value(&w, &len);
	ck_assert_int_eq(ts_spop_frame_end(&w, start, 16384), TS_ERR_OK);

	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, w.len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_frame_check_from_haproxy(&f), TS_ERR_OK);
	ck_assert(f.stream_id == 12 && f.frame_id == 1);
	ck_assert_int_eq(ts_spop_notify_decode(&f, &n), TS_ERR_OK);
	ck_assert_uint_eq(n.n_messages, 2);
	ck_assert(ts_spop_bytes_eq(n.messages[0].name, "gate-request"));
	ck_assert_uint_eq(n.messages[0].n_args, 2);
	ck_assert(ts_spop_bytes_eq(n.messages[0].args[0].name, "path"));
	ck_assert(ts_spop_bytes_eq(n.messages[0].args[0].value.u.bytes, "/ucwa"));
	ck_assert_uint_eq(n.messages[0].args[1].name.len, 0);
	ck_assert_int_eq(n.messages[0].args[1].value.type, TS_SPOP_IPV4);
	ck_assert(ts_spop_bytes_eq(n.messages[1].name, "body"));
	ck_assert_uint_eq(n.messages[1].n_args, 1);
	ck_assert(n.messages[1].args[0].value.u.sint == 88);
}
END_TEST

/* NOTIFY payloads that must be refused, built by spop_test_notify_frame. */
START_TEST(test_notify_limits)
{
	static uint8_t buf[65536];
	static struct ts_spop_notify n;
	struct ts_spop_frame f;
	size_t len;

	/* One message more than the cap. */
	len = spop_test_notify_frame(buf, sizeof buf, TS_SPOP_MAX_MESSAGES + 1, 0);
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_notify_decode(&f, &n), TS_ERR_SPOP_TOO_MANY);
	/* Exactly at the caps. */
	len = spop_test_notify_frame(buf, sizeof buf, TS_SPOP_MAX_MESSAGES,
				     TS_SPOP_MAX_ARGS / TS_SPOP_MAX_MESSAGES);
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_notify_decode(&f, &n), TS_ERR_OK);
	ck_assert_uint_eq(n.n_args, TS_SPOP_MAX_ARGS);
	/* One argument past the total. */
	len = spop_test_notify_frame(buf, sizeof buf, 2, TS_SPOP_MAX_ARGS / 2 + 1);
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len - 4, &f), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_notify_decode(&f, &n), TS_ERR_SPOP_TOO_MANY);
}
END_TEST

static const struct {
	const char *what;
	size_t len;
	uint8_t payload[16];
	ts_err want;
} notify_bad[] = {
	{"name past end", 2, {9, 'a'}, TS_ERR_SPOP_TRUNCATED},
	{"no NB-ARGS", 2, {1, 'm'}, TS_ERR_SPOP_TRUNCATED},
	{"fewer args than NB-ARGS", 7, {1, 'm', 2, 1, 'a', 0x00, 0}, TS_ERR_SPOP_TRUNCATED},
	{"arg of reserved type", 6, {1, 'm', 1, 1, 'a', 0x0c}, TS_ERR_SPOP_DATA_TYPE},
	{"arg name varint cut", 4, {1, 'm', 1, 0xf3}, TS_ERR_SPOP_VARINT},
};

START_TEST(test_notify_malformed)
{
	struct ts_spop_frame f = {.type = TS_SPOP_FRAME_NOTIFY, .flags = TS_SPOP_FLAG_FIN};
	static struct ts_spop_notify n;
	ts_err got;

	f.payload = (struct ts_spop_bytes){notify_bad[_i].payload, notify_bad[_i].len};
	got = ts_spop_notify_decode(&f, &n);
	ck_assert_msg(got == notify_bad[_i].want, "%s: got %s", notify_bad[_i].what,
		      ts_errname(got));
}
END_TEST

/* ---- agent frames ---- */

static void decode_own(const uint8_t *buf, size_t len, uint8_t type, struct ts_spop_frame *f)
{
	uint32_t n;

	ck_assert_int_eq(ts_spop_frame_length(buf, 16384, &n), TS_ERR_OK);
	ck_assert_uint_eq(n + 4, len);
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, n, f), TS_ERR_OK);
	ck_assert_uint_eq(f->type, type);
	ck_assert_uint_eq(f->flags, TS_SPOP_FLAG_FIN);
}

START_TEST(test_agent_hello_encode)
{
	uint8_t buf[BUF_SIZE];
	struct ts_spop_writer w;
	struct ts_spop_frame f;
	struct ts_spop_reader r;
	int seen = 0;

	ts_spop_writer_init(&w, buf, sizeof buf);
	ck_assert_int_eq(ts_spop_agent_hello_encode(&w, 16380, "pipelining"), TS_ERR_OK);
	decode_own(buf, w.len, TS_SPOP_FRAME_AGENT_HELLO, &f);
	ck_assert(f.stream_id == 0 && f.frame_id == 0);
	r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
	while (r.pos < r.end) {
		struct ts_spop_kv kv;

		ck_assert_int_eq(ts_spop_kv_decode(&r, &kv), TS_ERR_OK);
		if (ts_spop_bytes_eq(kv.name, "version"))
			seen |= 1, ck_assert(ts_spop_bytes_eq(kv.value.u.bytes, "2.0"));
		else if (ts_spop_bytes_eq(kv.name, "max-frame-size"))
			seen |= 2, ck_assert(kv.value.type == TS_SPOP_UINT32 &&
					     kv.value.u.uint == 16380);
		else if (ts_spop_bytes_eq(kv.name, "capabilities"))
			seen |= 4, ck_assert(ts_spop_bytes_eq(kv.value.u.bytes, "pipelining"));
	}
	ck_assert_int_eq(seen, 7);
}
END_TEST

START_TEST(test_agent_disconnect_encode)
{
	uint8_t buf[BUF_SIZE];
	struct ts_spop_writer w;
	struct ts_spop_frame f;
	struct ts_spop_disconnect d;

	ts_spop_writer_init(&w, buf, sizeof buf);
	ck_assert_int_eq(ts_spop_agent_disconnect_encode(&w, 16384, TS_SPOP_STATUS_TOO_BIG,
							 "frame is too big"),
			 TS_ERR_OK);
	decode_own(buf, w.len, TS_SPOP_FRAME_AGENT_DISCONNECT, &f);
	ck_assert_int_eq(ts_spop_disconnect_decode(&f, &d), TS_ERR_OK);
	ck_assert_uint_eq(d.status, 3);
	ck_assert(ts_spop_bytes_eq(d.message, "frame is too big"));

	/* Too small a buffer: refused whole, the writer left as it was. */
	ts_spop_writer_init(&w, buf, 10);
	ck_assert_int_eq(ts_spop_agent_disconnect_encode(&w, 16384, 0, "x"),
			 TS_ERR_SPOP_ENCODE_SPACE);
	ck_assert_uint_eq(w.len, 0);
	ck_assert(!w.overflow);
}
END_TEST

START_TEST(test_ack_round_trip)
{
	uint8_t buf[BUF_SIZE];
	struct ts_spop_ack ack;
	struct ts_spop_frame f;
	struct ts_spop_reader r;
	struct ts_spop_action a;
	size_t len;

	ts_spop_ack_begin(&ack, buf, sizeof buf, 16384, 4242, 3);
	ck_assert_int_eq(ts_spop_ack_set_string(&ack, TS_SPOP_SCOPE_TXN, "verdict", "pass", 4),
			 TS_ERR_OK);
	ck_assert_int_eq(ts_spop_ack_set_int(&ack, TS_SPOP_SCOPE_SESS, "status", -401), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_ack_unset_var(&ack, TS_SPOP_SCOPE_REQ, "old"), TS_ERR_OK);
	ck_assert_int_eq(ts_spop_ack_unset_var(&ack, 5, "bad"), TS_ERR_INVALID_ARGUMENT);
	ck_assert_uint_eq(ack.n_actions, 3);
	len = ts_spop_ack_finish(&ack);
	decode_own(buf, len, TS_SPOP_FRAME_ACK, &f);
	ck_assert(f.stream_id == 4242 && f.frame_id == 3);
	r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
	ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
	ck_assert(a.type == TS_SPOP_ACTION_SET_VAR && a.scope == TS_SPOP_SCOPE_TXN);
	ck_assert(ts_spop_bytes_eq(a.name, "verdict") && ts_spop_bytes_eq(a.value.u.bytes, "pass"));
	ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
	ck_assert(a.scope == TS_SPOP_SCOPE_SESS && a.value.type == TS_SPOP_INT64 &&
		  a.value.u.sint == -401);
	ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
	ck_assert(a.type == TS_SPOP_ACTION_UNSET_VAR && ts_spop_bytes_eq(a.name, "old"));
	ck_assert_ptr_eq(r.pos, r.end);
}
END_TEST

START_TEST(test_ack_full)
{
	static uint8_t buf[BUF_SIZE];
	static char big[300];
	struct ts_spop_ack ack;
	struct ts_spop_frame f;
	size_t len, before;

	memset(big, 'v', sizeof big);
	ts_spop_ack_begin(&ack, buf, sizeof buf, TS_SPOP_MIN_FRAME_SIZE, 1, 1);
	ck_assert_int_eq(ts_spop_ack_set_string(&ack, TS_SPOP_SCOPE_TXN, "a", big, 200), TS_ERR_OK);
	before = ack.w.len;
	/* Past max-frame-size: refused, the first action kept intact. */
	ck_assert_int_eq(ts_spop_ack_set_string(&ack, TS_SPOP_SCOPE_TXN, "b", big, 100),
			 TS_ERR_SPOP_ACK_FULL);
	ck_assert_uint_eq(ack.w.len, before);
	ck_assert_int_eq(ts_spop_ack_set_int(&ack, TS_SPOP_SCOPE_TXN, "c", 1), TS_ERR_OK);
	len = ts_spop_ack_finish(&ack);
	ck_assert_uint_le(len, TS_SPOP_MIN_FRAME_SIZE + 4);
	decode_own(buf, len, TS_SPOP_FRAME_ACK, &f);
	ck_assert_uint_eq(ack.n_actions, 2);

	/* A buffer too small for the header: nothing is added, finish says 0. */
	ts_spop_ack_begin(&ack, buf, 5, 16384, 1, 1);
	ck_assert_int_eq(ts_spop_ack_set_int(&ack, TS_SPOP_SCOPE_TXN, "c", 1), TS_ERR_SPOP_ACK_FULL);
	ck_assert_uint_eq(ts_spop_ack_finish(&ack), 0);
}
END_TEST

static const struct {
	const char *what;
	size_t len;
	uint8_t bytes[8];
} action_bad[] = {
	{"cut head", 2, {1, 3}},
	{"set-var with 2 args", 5, {1, 2, 2, 1, 'x'}},
	{"unknown action", 5, {7, 2, 2, 1, 'x'}},
	{"scope 5", 6, {1, 3, 5, 1, 'x', 0}},
};

START_TEST(test_action_malformed)
{
	struct ts_spop_reader r = {action_bad[_i].bytes, action_bad[_i].bytes + action_bad[_i].len};
	struct ts_spop_action a;

	ck_assert_msg(ts_spop_action_decode(&r, &a) != TS_ERR_OK, "%s accepted",
		      action_bad[_i].what);
}
END_TEST

START_TEST(test_status_of)
{
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_OK), 0);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_IO), 1);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_TIMEOUT), 2);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_FRAME_TOO_BIG), 3);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_VARINT), 4);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_FRAME_TYPE), 4);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_NO_VERSION), 5);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_NO_FRAME_SIZE), 6);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_NO_CAPABILITIES), 7);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_VERSION), 8);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_FRAME_SIZE), 9);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_FRAGMENTED), 10);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_SPOP_TOO_MANY), 13);
	ck_assert_int_eq(ts_spop_status_of(TS_ERR_INTERNAL), 99);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *spop_suite(void)
{
	Suite *s = suite_create("spop");
	TCase *tc = tcase_create("framing");

	tcase_add_loop_test(tc, test_varint_round_trip, 0, N(varint_values));
	tcase_add_loop_test(tc, test_varint_known_encodings, 0, N(varint_known));
	tcase_add_loop_test(tc, test_varint_malformed, 0, N(varint_bad));
	tcase_add_test(tc, test_value_round_trip);
	tcase_add_loop_test(tc, test_value_malformed, 0, N(value_bad));
	tcase_add_test(tc, test_frame_length);
	tcase_add_loop_test(tc, test_frame_header, 0, N(frame_cases));
	tcase_add_test(tc, test_frame_truncated_header);
	tcase_add_test(tc, test_hello_valid);
	tcase_add_loop_test(tc, test_hello_cases, 0, N(hello_cases));
	tcase_add_test(tc, test_hello_cut_kv);
	tcase_add_test(tc, test_version_and_lists);
	tcase_add_test(tc, test_disconnect_decode);
	tcase_add_test(tc, test_notify_decode);
	tcase_add_test(tc, test_notify_limits);
	tcase_add_loop_test(tc, test_notify_malformed, 0, N(notify_bad));
	tcase_add_test(tc, test_agent_hello_encode);
	tcase_add_test(tc, test_agent_disconnect_encode);
	tcase_add_test(tc, test_ack_round_trip);
	tcase_add_test(tc, test_ack_full);
	tcase_add_loop_test(tc, test_action_malformed, 0, N(action_bad));
	tcase_add_test(tc, test_status_of);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(spop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
