# The gate (broker/gate*.c, ntlm.c, spnego.c, client_family.c): the Check
# suite (which also replays the NTLM fuzz corpus) and GET /gate end to end.
check_PROGRAMS += tests/check_gate
TESTS += tests/check_gate tests/gate_http.sh
tests_check_gate_SOURCES = tests/check_gate.c tests/fuzz/fuzz_ntlm.c $(TS_GATE_SOURCES)
tests_check_gate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(OPENSSL_CFLAGS)
tests_check_gate_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)
dist_noinst_SCRIPTS += tests/gate_http.sh
EXTRA_DIST += tests/fuzz/corpus/ntlm tests/fuzz/ntlm.mk
