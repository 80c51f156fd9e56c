# tessera-idp's suite: keys, xmlsec1 round trips, encryption, POST body.
# It runs the built tessera-idp, so building the test builds that first.
check_PROGRAMS += tests/check_idp
TESTS += tests/check_idp
tests_check_idp_SOURCES = tests/check_idp.c tests/test_dir.c tests/test_dir.h
tests_check_idp_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(LIBXML_CFLAGS) $(OPENSSL_CFLAGS)
tests_check_idp_LDADD = $(CHECK_LIBS) $(LIBXML_LIBS) $(OPENSSL_LIBS)
EXTRA_tests_check_idp_DEPENDENCIES = tessera-idp$(EXEEXT)
