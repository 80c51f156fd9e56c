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
