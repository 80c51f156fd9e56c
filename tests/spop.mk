# SPOP: framing unit suite, the agent over loopback sockets, and HAProxy 2.6
# itself talking to an echo agent.
check_PROGRAMS += tests/check_spop
TESTS += tests/check_spop
tests_check_spop_SOURCES = tests/check_spop.c tests/spop_test_frames.c tests/spop_test_frames.h
tests_check_spop_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_spop_LDADD = $(TS_SPOP_LIBS) $(CHECK_LIBS)

check_PROGRAMS += tests/check_spop_agent
TESTS += tests/check_spop_agent
tests_check_spop_agent_SOURCES = tests/check_spop_agent.c tests/spop_test_frames.c \
	tests/spop_test_frames.h
tests_check_spop_agent_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_spop_agent_LDADD = $(TS_SPOP_LIBS) $(CHECK_LIBS)

# The agent with an echoing decision, for spop_haproxy.sh (not installed).
check_PROGRAMS += tests/spop_echo_agent
tests_spop_echo_agent_SOURCES = tests/spop_echo_agent.c
tests_spop_echo_agent_LDADD = $(TS_SPOP_LIBS)
TESTS += tests/spop_haproxy.sh tests/spop_tesserad.sh
dist_noinst_SCRIPTS += tests/spop_haproxy.sh tests/spop_tesserad.sh
