# The gate (broker/gate*.c, ntlm.c, spnego.c, client_family.c): the Check
# suite, the NTLM fuzz target (corpus replayed in make check) and GET /gate
# end to end.
check_PROGRAMS += tests/check_gate
TESTS += tests/check_gate tests/gate_http.sh
tests_check_gate_SOURCES = tests/check_gate.c tests/test_dir.c tests/test_dir.h $(TS_GATE_SOURCES) \
	broker/gate_ack.h broker/gate_ack.c
tests_check_gate_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(OPENSSL_CFLAGS)
tests_check_gate_LDADD = $(TS_SPOP_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)
dist_noinst_SCRIPTS += tests/gate_http.sh
EXTRA_DIST += tests/fuzz/corpus/ntlm

FUZZ_TARGETS += tests/fuzz/fuzz_ntlm
tests_fuzz_fuzz_ntlm_SOURCES = tests/fuzz/fuzz_ntlm.c broker/gate_classify.c broker/gate_request.c \
	broker/gate_path.c broker/gate_body.c broker/gate_base64.c broker/ntlm.c broker/spnego.c \
	broker/client_family.c
tests_fuzz_fuzz_ntlm_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_fuzz_ntlm_LDADD = libfuzz_replay.a $(TS_COMMON_LIBS)

# The gate behind real HAProxy (conf/haproxy/), in front of emulated pools.
TESTS += tests/gate_haproxy.sh
dist_noinst_SCRIPTS += tests/gate_haproxy.sh tests/haproxy_lib.sh
EXTRA_DIST += conf/haproxy/haproxy.cfg conf/haproxy/tessera-spoe.conf conf/haproxy/pools.map \
	scripts/tls-certs

# make bench: the gate's cost behind HAProxy, and GET /gate over HTTP.
EXTRA_DIST += tests/bench/bench_gate.sh
.PHONY: bench-gate
bench: bench-gate
bench-gate: tesserad$(EXEEXT) tessera-idp$(EXEEXT) tessera-pool tests/bench/hello_mhd$(EXEEXT)
	@echo "== gate: HAProxy with the gate on vs off (goal: >= 60%), GET /gate vs hello_mhd (goal: >= 80%)"
	@CURL='$(CURL)' SYSTEM_PYTHON3='$(SYSTEM_PYTHON3)' \
		$(srcdir)/tests/bench/bench_gate.sh $(abs_top_builddir) $(abs_top_srcdir)

# The staged cutover of a running pool, through HAProxy and the gate.
TESTS += tests/cutover_haproxy.sh
dist_noinst_SCRIPTS += tests/cutover_haproxy.sh
