# The STS for pools (saml/sts_*.c): key directory and rollover, tokens
# checked by the xmlsec1 CLI, by lxml (Debian's python3) and by our own
# validator through the metadata the STS publishes.
check_PROGRAMS += tests/check_sts
TESTS += tests/check_sts
tests_check_sts_SOURCES = tests/check_sts.c tests/test_dir.c tests/test_dir.h
tests_check_sts_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(OPENSSL_CFLAGS)
tests_check_sts_LDADD = $(TS_SAML_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)

# make bench: GET /adfs/ls/ tokens/s next to raw RSA-2048 signatures/s.
EXTRA_DIST += tests/bench/bench_sts.sh tests/bench/wrk_lib.sh
.PHONY: bench-sts
bench: bench-sts
bench-sts: tesserad$(EXEEXT) tessera-idp$(EXEEXT)
	@echo "== STS: GET /adfs/ls/ with an SSO session (goal: >= 50% of RSA-2048 signatures/s)"
	@CURL='$(CURL)' SYSTEM_PYTHON3='$(SYSTEM_PYTHON3)' \
		$(srcdir)/tests/bench/bench_sts.sh $(abs_top_builddir) $(abs_top_srcdir)
