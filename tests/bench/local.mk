# make bench: benchmarks print rates next to a baseline measured in the same
# run (never timed unit tests). Built only by `make bench`.
EXTRA_PROGRAMS = tests/bench/bench_saml
tests_bench_bench_saml_SOURCES = tests/bench/bench_saml.c
tests_bench_bench_saml_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XMLSEC_CFLAGS) $(LIBXML_CFLAGS)
tests_bench_bench_saml_LDADD = $(TS_SAML_LIBS) $(GLIB_LIBS)
EXTRA_DIST += tests/bench/bench_saml.sh
CLEANFILES += $(EXTRA_PROGRAMS)

bench: tessera-idp$(EXEEXT) tests/bench/bench_saml$(EXEEXT)
	@echo "== saml/ validation (issue: >= 75% of bare xmlsec verification)"
	@$(srcdir)/tests/bench/bench_saml.sh $(abs_top_builddir)
.PHONY: bench
