# The STS for pools (saml/sts_*.c): key directory and rollover, tokens
# checked by the xmlsec1 CLI, by lxml (Debian's python3) and by our own
# validator through the metadata the STS publishes.
check_PROGRAMS += tests/check_sts
TESTS += tests/check_sts
tests_check_sts_SOURCES = tests/check_sts.c
tests_check_sts_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(OPENSSL_CFLAGS)
tests_check_sts_LDADD = $(TS_SAML_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)
