# Tests of the web tickets (ticket/, store/): the Check suite, the
# interoperability test against PyJWT, the key ring CLI and tesserad's
# key ring handling.
check_PROGRAMS += tests/check_ticket tests/ticket_tool
tests_check_ticket_SOURCES = tests/check_ticket.c tests/test_dir.c tests/test_dir.h
tests_check_ticket_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS)
tests_check_ticket_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)

# Mints, verifies and prints the JWKS for the interop script.
tests_ticket_tool_SOURCES = tests/ticket_tool.c
tests_ticket_tool_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_ticket_tool_LDADD = $(TS_COMMON_LIBS)

TESTS += tests/check_ticket tests/ticket_interop.sh tests/keyring.sh
dist_noinst_SCRIPTS += tests/ticket_interop.sh tests/keyring.sh
EXTRA_DIST += tests/ticket_interop.py
