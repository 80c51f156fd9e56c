/* Check suite for broker/spop_agent.c and spop_session.c: the agent on a
 * loopback port the kernel picks, driven by a test client speaking as
 * HAProxy does: handshake, pipelined NOTIFYs, health checks, disconnects,
 * every protocol violation answered with its SPOE status, idle timeout,
 * connection cap and a clean stop. Reads wait with a deadline
 * (SO_RCVTIMEO), never a sleep. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../broker/spop.h"
#include "../broker/spop_agent.h"
#include "spop_test_frames.h"
#include "tessera/log.h"

#define DEADLINE_S 10
#define BUF 70000

/* Echoes the first argument of the first message as txn var "echo", and
 * the number of messages as "messages". */
static void echo(void *ctx, const struct ts_spop_message *msgs, size_t n,
		 struct ts_spop_ack *ack)
{
	ts_spop_ack_set_int(ack, TS_SPOP_SCOPE_TXN, "messages", (int64_t)n);
	if (n > 0 && msgs[0].n_args > 0)
		ts_spop_ack_set_var(ack, TS_SPOP_SCOPE_TXN, "echo", &msgs[0].args[0].value);
}

static struct ts_spop_agent *start(uint32_t max_frame, unsigned max_conns, unsigned idle)
{
	struct ts_spop_settings st = {.listen_address = "127.0.0.1",
				      .listen_port = 0,
				      .max_frame_size = max_frame,
				      .max_connections = max_conns,
				      .idle_timeout = idle,
				      .threads = 2};
	struct ts_spop_agent *agent = NULL;

	ck_assert_int_eq(ts_spop_agent_start(&st, echo, NULL, &agent), TS_ERR_OK);
	ck_assert_uint_gt(ts_spop_agent_port(agent), 0);
	return agent;
}

static int dial(const struct ts_spop_agent *agent)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(ts_spop_agent_port(agent))};
	struct timeval tv = {.tv_sec = DEADLINE_S};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		ck_assert_int_gt(n, 0);
		p += n, len -= (size_t)n;
	}
}

/* Reads exactly len bytes; false at EOF; fails the test at the deadline. */
static bool recv_all(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);

		ck_assert_msg(n >= 0, "no answer within %d s", DEADLINE_S);
		if (n == 0)
			return false;
		buf += n, len -= (size_t)n;
	}
	return true;
}

/* One frame from the agent, decoded; false at EOF. */
static bool read_frame(int fd, uint8_t *buf, struct ts_spop_frame *f)
{
	uint32_t len;

	if (!recv_all(fd, buf, 4))
		return false;
	ck_assert_int_eq(ts_spop_frame_length(buf, BUF - 4, &len), TS_ERR_OK);
	ck_assert(recv_all(fd, buf + 4, len));
	ck_assert_int_eq(ts_spop_frame_decode(buf + 4, len, f), TS_ERR_OK);
	return true;
}

static void expect_eof(int fd)
{
	uint8_t b;

	ck_assert_int_eq(recv(fd, &b, 1, 0), 0);
}

/* Expects AGENT-DISCONNECT with status, then the close. */
static void expect_disconnect(int fd, uint32_t status)
{
	static uint8_t buf[BUF];
	struct ts_spop_frame f;
	struct ts_spop_disconnect d;

	ck_assert_msg(read_frame(fd, buf, &f), "closed without DISCONNECT");
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_AGENT_DISCONNECT);
	ck_assert_int_eq(ts_spop_disconnect_decode(&f, &d), TS_ERR_OK);
	ck_assert_msg(d.status == status, "status %u, want %u", d.status, status);
	expect_eof(fd);
}

static void hello(int fd, uint32_t *max_frame)
{
	static uint8_t buf[BUF];
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_frame f;
	struct ts_spop_reader r;
	size_t len = spop_test_hello_frame(buf, sizeof buf, &h);

	send_all(fd, buf, len);
	ck_assert(read_frame(fd, buf, &f));
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_AGENT_HELLO);
	r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
	while (r.pos < r.end) {
		struct ts_spop_kv kv;

		ck_assert_int_eq(ts_spop_kv_decode(&r, &kv), TS_ERR_OK);
		if (ts_spop_bytes_eq(kv.name, "max-frame-size"))
			*max_frame = (uint32_t)kv.value.u.uint;
		if (ts_spop_bytes_eq(kv.name, "capabilities"))
			ck_assert(ts_spop_bytes_eq(kv.value.u.bytes, "pipelining"));
	}
}

START_TEST(test_pipelined_notifies)
{
	struct ts_spop_agent *agent = start(65532, 8, 60);
	static uint8_t buf[BUF];
	size_t len = 0;
	uint32_t max_frame = 0;
	int fd = dial(agent);

	hello(fd, &max_frame);
	/* Exactly HAProxy's offer: 2.6.12 hangs on anything smaller. */
	ck_assert_uint_eq(max_frame, 16380);
	/* 50 NOTIFYs in one write, as HAProxy pipelines them. */
	for (unsigned i = 0; i < 50; i++) {
		char value[32];

		snprintf(value, sizeof value, "request-%u", i);
		len += spop_test_notify_echo(buf + len, sizeof buf - len, 1000 + i, i + 1, value);
	}
	send_all(fd, buf, len);
	for (unsigned i = 0; i < 50; i++) {
		struct ts_spop_frame f;
		struct ts_spop_reader r;
		struct ts_spop_action a;
		char value[32];

		snprintf(value, sizeof value, "request-%u", i);
		ck_assert(read_frame(fd, buf, &f));
		ck_assert_uint_eq(f.type, TS_SPOP_FRAME_ACK);
		ck_assert(f.stream_id == 1000 + i && f.frame_id == i + 1);
		r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
		ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
		ck_assert(ts_spop_bytes_eq(a.name, "messages") && a.value.u.sint == 1);
		ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
		ck_assert(ts_spop_bytes_eq(a.name, "echo"));
		ck_assert(ts_spop_bytes_eq(a.value.u.bytes, value));
	}
	/* HAProxy's DISCONNECT is answered with status 0, then the close. */
	len = spop_test_disconnect_frame(buf, sizeof buf, 0, "normal", true);
	send_all(fd, buf, len);
	expect_disconnect(fd, 0);
	close(fd);
	ts_spop_agent_stop(agent);
}
END_TEST

START_TEST(test_byte_by_byte)
{
	struct ts_spop_agent *agent = start(65532, 8, 60);
	static uint8_t buf[BUF];
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_frame f;
	size_t len = spop_test_hello_frame(buf, sizeof buf, &h);
	int fd = dial(agent);

	len += spop_test_notify_echo(buf + len, sizeof buf - len, 7, 1, "slow");
	for (size_t i = 0; i < len; i++)
		send_all(fd, buf + i, 1);
	ck_assert(read_frame(fd, buf, &f));
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_AGENT_HELLO);
	ck_assert(read_frame(fd, buf, &f));
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_ACK);
	ck_assert(f.stream_id == 7);
	close(fd);
	ts_spop_agent_stop(agent);
}
END_TEST

START_TEST(test_healthcheck)
{
	struct ts_spop_agent *agent = start(65532, 8, 60);
	static uint8_t buf[BUF];
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_frame f;
	int fd = dial(agent);

	h.healthcheck = 1;
	send_all(fd, buf, spop_test_hello_frame(buf, sizeof buf, &h));
	ck_assert(read_frame(fd, buf, &f));
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_AGENT_HELLO);
	expect_eof(fd);
	close(fd);
	ts_spop_agent_stop(agent);
}
END_TEST

/* What HAProxy sends wrong, and the status the agent must answer with. */
enum bad_input {
	NOTIFY_FIRST,
	OVERSIZE,
	UNKNOWN_TYPE,
	FRAGMENT,
	OFFER_TOO_BIG,
	OLD_VERSION,
	NO_CAPS,
	SECOND_HELLO,
	BAD_ARG_TYPE,
	TINY_LENGTH,
};

static const struct {
	const char *what;
	enum bad_input input;
	uint32_t status;
} bad_cases[] = {
	{"NOTIFY before HELLO", NOTIFY_FIRST, 4},
	{"frame over max-frame-size", OVERSIZE, 3},
	{"unknown frame type", UNKNOWN_TYPE, 4},
	{"fragment without the capability", FRAGMENT, 10},
	{"HAProxy offers more than spop_max_frame_size", OFFER_TOO_BIG, 9},
	{"SPOP 1.0 only", OLD_VERSION, 8},
	{"no capabilities", NO_CAPS, 7},
	{"second HELLO", SECOND_HELLO, 4},
	{"NOTIFY arg of reserved type", BAD_ARG_TYPE, 4},
	{"length below a frame header", TINY_LENGTH, 4},
};

static size_t build_bad(enum bad_input input, uint8_t *buf, size_t cap)
{
	struct spop_test_hello h = spop_test_hello_default();
	struct ts_spop_writer w;
	size_t start, len;

	ts_spop_writer_init(&w, buf, cap);
	switch (input) {
	case NOTIFY_FIRST:
		return spop_test_notify_echo(buf, cap, 1, 1, "x");
	case OVERSIZE: /* a length prefix just past what was negotiated */
		len = spop_test_hello_frame(buf, cap, &h);
		memcpy(buf + len, (const uint8_t[]){0, 0, 0x3f, 0xfd}, 4);
		return len + 4;
	case UNKNOWN_TYPE:
		len = spop_test_hello_frame(buf, cap, &h);
		w.len = len;
		start = ts_spop_frame_begin(&w, 42, TS_SPOP_FLAG_FIN, 1, 1);
		ts_spop_frame_end(&w, start, 65536);
		return w.len;
	case FRAGMENT:
		len = spop_test_hello_frame(buf, cap, &h);
		w.len = len;
		start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_NOTIFY, 0, 1, 1);
		ts_spop_frame_end(&w, start, 65536);
		return w.len;
	case OFFER_TOO_BIG:
		h.frame_size = 65536;
		return spop_test_hello_frame(buf, cap, &h);
	case OLD_VERSION:
		h.versions = "1.0";
		return spop_test_hello_frame(buf, cap, &h);
	case NO_CAPS:
		h.caps = NULL;
		return spop_test_hello_frame(buf, cap, &h);
	case SECOND_HELLO:
		len = spop_test_hello_frame(buf, cap, &h);
		return len + spop_test_hello_frame(buf + len, cap - len, &h);
	case BAD_ARG_TYPE:
		len = spop_test_hello_frame(buf, cap, &h);
		w.len = len;
		start = ts_spop_frame_begin(&w, TS_SPOP_FRAME_NOTIFY, TS_SPOP_FLAG_FIN, 1, 1);
		ts_spop_put_bytes(&w, "m", 1);
		ts_spop_put_u8(&w, 1);
		ts_spop_put_bytes(&w, "a", 1);
		ts_spop_put_u8(&w, 0x0b);
		ts_spop_frame_end(&w, start, 65536);
		return w.len;
	case TINY_LENGTH:
		memcpy(buf, (const uint8_t[]){0, 0, 0, 3, 1, 0, 0}, 7);
		return 7;
	}
	return 0;
}

START_TEST(test_bad_input)
{
	struct ts_spop_agent *agent = start(16380, 8, 60);
	static uint8_t buf[BUF];
	size_t len = build_bad(bad_cases[_i].input, buf, sizeof buf);
	struct ts_spop_frame f;
	int fd = dial(agent);

	ck_assert_uint_gt(len, 0);
	send_all(fd, buf, len);
	/* Inputs that start with a good HELLO get the AGENT-HELLO first. */
	if (bad_cases[_i].status != 9 && bad_cases[_i].status != 8 && bad_cases[_i].status != 7 &&
	    bad_cases[_i].input != NOTIFY_FIRST && bad_cases[_i].input != TINY_LENGTH) {
		ck_assert(read_frame(fd, buf, &f));
		ck_assert_uint_eq(f.type, TS_SPOP_FRAME_AGENT_HELLO);
	}
	expect_disconnect(fd, bad_cases[_i].status);
	close(fd);
	ts_spop_agent_stop(agent);
}
END_TEST

START_TEST(test_idle_timeout)
{
	struct ts_spop_agent *agent = start(65532, 8, 1);
	uint32_t max_frame;
	int fd = dial(agent);

	hello(fd, &max_frame);
	/* Nothing more is sent: within the read deadline the agent gives up. */
	expect_disconnect(fd, 2);
	close(fd);
	ts_spop_agent_stop(agent);
}
END_TEST

START_TEST(test_connection_cap)
{
	struct ts_spop_agent *agent = start(65532, 1, 60);
	uint32_t max_frame;
	int first = dial(agent), second;

	hello(first, &max_frame); /* the first is surely accepted and counted */
	second = dial(agent);
	expect_disconnect(second, 13);
	close(second);
	close(first);
	ts_spop_agent_stop(agent);
}
END_TEST

START_TEST(test_stop_disconnects)
{
	struct ts_spop_agent *agent = start(65532, 8, 60);
	uint32_t max_frame;
	int fd = dial(agent);

	hello(fd, &max_frame);
	ts_spop_agent_stop(agent);
	expect_disconnect(fd, 0);
	close(fd);
}
END_TEST

START_TEST(test_listen_failure)
{
	struct ts_spop_settings st = {.listen_address = "not-an-address",
				      .max_frame_size = 16380,
				      .max_connections = 1,
				      .idle_timeout = 1,
				      .threads = 1};
	struct ts_spop_agent *agent = (struct ts_spop_agent *)&st;

	ck_assert_int_eq(ts_spop_agent_start(&st, echo, NULL, &agent), TS_ERR_SPOP_LISTEN);
	ck_assert_ptr_null(agent);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

int main(void)
{
	Suite *s = suite_create("spop_agent");
	TCase *tc = tcase_create("agent");
	SRunner *sr;
	int failed;

	ts_log_set_level(TS_LOG_ERR); /* refusals are the point here */
	tcase_add_test(tc, test_pipelined_notifies);
	tcase_add_test(tc, test_byte_by_byte);
	tcase_add_test(tc, test_healthcheck);
	tcase_add_loop_test(tc, test_bad_input, 0, N(bad_cases));
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_connection_cap);
	tcase_add_test(tc, test_stop_disconnects);
	tcase_add_test(tc, test_listen_failure);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
