# Benchmarks: `make bench` runs every one; each adds itself as a
# prerequisite (bench: bench-NAME), so fragments never clash on a recipe.
# Built with the check programs so CI keeps them compiling.
check_PROGRAMS += tests/bench/bench_ticket
tests_bench_bench_ticket_SOURCES = tests/bench/bench_ticket.c
tests_bench_bench_ticket_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS)
tests_bench_bench_ticket_LDADD = $(TS_COMMON_LIBS)

.PHONY: bench bench-ticket
bench: bench-ticket
bench-ticket: tests/bench/bench_ticket$(EXEEXT)
	./tests/bench/bench_ticket$(EXEEXT)

# saml/ validation next to bare xmlsec verification of the same response.
check_PROGRAMS += tests/bench/bench_saml
tests_bench_bench_saml_SOURCES = tests/bench/bench_saml.c
tests_bench_bench_saml_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XMLSEC_CFLAGS) $(LIBXML_CFLAGS)
tests_bench_bench_saml_LDADD = $(TS_SAML_LIBS) $(GLIB_LIBS)
EXTRA_DIST += tests/bench/bench_saml.sh

.PHONY: bench-saml
bench: bench-saml
bench-saml: tessera-idp$(EXEEXT) tests/bench/bench_saml$(EXEEXT)
	@echo "== saml/ validation (goal: >= 75% of bare xmlsec verification)"
	@$(srcdir)/tests/bench/bench_saml.sh $(abs_top_builddir)

# Baseline for bench-broker's GET /signin: a bare libmicrohttpd hello-world.
check_PROGRAMS += tests/bench/hello_mhd
tests_bench_hello_mhd_SOURCES = tests/bench/hello_mhd.c
tests_bench_hello_mhd_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
tests_bench_hello_mhd_LDADD = $(MHD_LIBS)

# tesserad over HTTP on loopback (wrk): GET /signin next to hello_mhd, and
# /saml/acs sign-ins next to saml/ validation (bench_saml --rate), each
# measured in the same run.
EXTRA_DIST += tests/bench/bench_broker.sh tests/bench/wrk_total.lua tests/bench/wrk_acs.lua

.PHONY: bench-broker
bench: bench-broker
bench-broker: tesserad$(EXEEXT) tessera-idp$(EXEEXT) tests/bench/hello_mhd$(EXEEXT) \
		tests/bench/bench_saml$(EXEEXT)
	@echo "== tesserad: GET /signin (goal: >= 40000/s on two cores), /saml/acs (goal: >= 75% of saml/ validation)"
	@CURL='$(CURL)' $(srcdir)/tests/bench/bench_broker.sh $(abs_top_builddir) $(abs_top_srcdir)
