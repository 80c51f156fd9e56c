# Check suites (tests/check_<module>.c) and integration scripts.
check_PROGRAMS += tests/check_common
tests_check_common_SOURCES = tests/check_common.c
tests_check_common_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_common_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)

# Integration: real processes on loopback, ports chosen by the kernel.
TESTS += tests/check_common tests/tesserad.sh tests/demo.sh tests/interop_real_idp.sh tests/inspect.sh
dist_noinst_SCRIPTS += tests/tesserad.sh tests/demo.sh tests/lib.sh tests/interop_real_idp.sh tests/inspect.sh
EXTRA_DIST += tests/interop_real_idp.py
EXTRA_DIST += tests/data

include $(srcdir)/tests/idp.mk

# saml/: the checklist, attack fixtures from tessera-idp, an independent
# signer (pysaml2 + xmlsec1), and lasso reading our SP metadata.
check_PROGRAMS += tests/check_saml
TESTS += tests/check_saml
tests_check_saml_SOURCES = tests/check_saml.c tests/test_dir.c tests/test_dir.h
tests_check_saml_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(LASSO_CFLAGS) \
	$(OPENSSL_CFLAGS) $(ZLIB_CFLAGS)
tests_check_saml_LDADD = $(TS_SAML_LIBS) $(CHECK_LIBS) $(LASSO_LIBS) $(GLIB_LIBS)
EXTRA_tests_check_saml_DEPENDENCIES = tessera-idp$(EXEEXT)
EXTRA_DIST += tests/pysaml2_sign.py

include $(srcdir)/tests/ticket.mk
include $(srcdir)/tests/store.mk
include $(srcdir)/tests/bench/local.mk
include $(srcdir)/tests/broker.mk
include $(srcdir)/tests/idp_serve.mk
include $(srcdir)/tests/sts.mk
include $(srcdir)/tests/pool.mk
include $(srcdir)/tests/fuzz/local.mk
include $(srcdir)/tests/gate.mk
include $(srcdir)/tests/spop.mk
include $(srcdir)/tests/cutover.mk
