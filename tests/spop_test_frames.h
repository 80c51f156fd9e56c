/* Frames as HAProxy sends them, built for the SPOP tests and the fuzz
 * corpus: HAPROXY-HELLO with any mandatory item left out or mistyped,
 * HAPROXY-DISCONNECT, NOTIFY. Each returns the whole frame's size (length
 * prefix included), 0 if it did not fit in cap. */
#ifndef TS_TESTS_SPOP_TEST_FRAMES_H
#define TS_TESTS_SPOP_TEST_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spop_test_hello {
	const char *versions;  /* NULL: item left out */
	int64_t frame_size;    /* -1: item left out */
	const char *caps;      /* NULL: item left out */
	int bad_type;	       /* 1: max-frame-size as a string, 2: versions as an int */
	int duplicate_caps;    /* capabilities twice */
	const char *extra_key; /* an item HAProxy might add one day */
	int healthcheck;       /* 1: healthcheck true */
	const char *engine_id; /* NULL: left out */
};

/* What HAProxy 2.6 sends: "2.0", 16380, "pipelining,async". */
struct spop_test_hello spop_test_hello_default(void);
size_t spop_test_hello_frame(uint8_t *buf, size_t cap, const struct spop_test_hello *h);
size_t spop_test_disconnect_frame(uint8_t *buf, size_t cap, uint32_t status, const char *message,
				  bool with_message);
/* n_messages messages "m<i>", each with args_each INT32 arguments. */
size_t spop_test_notify_frame(uint8_t *buf, size_t cap, size_t n_messages, size_t args_each);
/* One message "echo" with one string argument "value". */
size_t spop_test_notify_echo(uint8_t *buf, size_t cap, uint64_t stream_id, uint64_t frame_id,
			     const char *value);

#endif
