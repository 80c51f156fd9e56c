# broker/: unit suite (return URLs, metrics) and the sign-in integration test.
check_PROGRAMS += tests/check_broker
TESTS += tests/check_broker tests/signin.sh tests/signin_batch.sh tests/broker_http.sh tests/sts.sh
tests_check_broker_SOURCES = tests/check_broker.c broker/return_url.c broker/metrics.c
tests_check_broker_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS)
tests_check_broker_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)
dist_noinst_SCRIPTS += tests/signin.sh tests/signin_batch.sh tests/signin_lib.sh tests/broker_http.sh tests/sts.sh
EXTRA_DIST += tests/sts_token.py

# broker/request_batch.c (group commit of outstanding requests) over a fake store.
check_PROGRAMS += tests/check_request_batch
TESTS += tests/check_request_batch
tests_check_request_batch_SOURCES = tests/check_request_batch.c broker/request_batch.c
tests_check_request_batch_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_request_batch_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)
