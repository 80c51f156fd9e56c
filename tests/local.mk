# Check suites (tests/check_<module>.c) and integration scripts.
check_PROGRAMS += tests/check_common
tests_check_common_SOURCES = tests/check_common.c
tests_check_common_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_common_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)

# Integration: real processes on loopback, ports chosen by the kernel.
TESTS += tests/check_common tests/tesserad.sh
dist_noinst_SCRIPTS += tests/tesserad.sh tests/lib.sh
EXTRA_DIST += tests/data

include $(srcdir)/tests/idp.mk
include $(srcdir)/tests/ticket.mk
include $(srcdir)/tests/bench/local.mk
