# Fuzz targets. Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput
# over one parser and names the sources it needs on a " * Sources:" line.
#
# `make check` links every target with the standalone driver (replay.c, in
# libfuzz_replay.a) and replays its committed corpus, tests/fuzz/corpus/NAME/,
# in the normal and the sanitizer builds. `make fuzz` (needs clang) builds
# real libFuzzer binaries with ASan+UBSan and runs each for FUZZ_SECONDS,
# adding what it finds to build/fuzz/NAME/ (copy keepers into the corpus).
#
# A new target is two lines (here, or in the module's own .mk):
#   FUZZ_TARGETS += tests/fuzz/fuzz_ntlm
#   tests_fuzz_fuzz_ntlm_LDADD = libfuzz_replay.a <the libraries it needs>
FUZZ_TARGETS = tests/fuzz/fuzz_spop
tests_fuzz_fuzz_spop_LDADD = libfuzz_replay.a $(TS_SPOP_LIBS)

check_LIBRARIES = libfuzz_replay.a
libfuzz_replay_a_SOURCES = tests/fuzz/replay.c
check_PROGRAMS += $(FUZZ_TARGETS)
TESTS += $(FUZZ_TARGETS)
EXTRA_DIST += tests/fuzz/corpus tests/fuzz/run.sh

FUZZ_SECONDS = 60
.PHONY: fuzz
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		$(srcdir)/tests/fuzz/run.sh "$(abs_top_srcdir)" "$(abs_top_builddir)" \
			"$${t##*/fuzz_}" $(FUZZ_SECONDS) || exit 1; \
	done
