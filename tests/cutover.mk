# Per-pool cutover: the store, matching, the usage aggregator and the stage
# watch (Check), and the tessera pool / report CLI end to end.
check_PROGRAMS += tests/check_cutover tests/cutover_seed
TESTS += tests/check_cutover tests/pool_cli.sh tests/cutover_reload.sh
tests_check_cutover_SOURCES = tests/check_cutover.c tests/test_dir.c tests/test_dir.h broker/usage.c broker/usage.h \
	broker/stage_watch.c broker/stage_watch.h
tests_check_cutover_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(GLIB_CFLAGS) $(SQLITE_CFLAGS)
tests_check_cutover_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS) $(GLIB_LIBS)
tests_cutover_seed_SOURCES = tests/cutover_seed.c
tests_cutover_seed_LDADD = $(TS_COMMON_LIBS)
dist_noinst_SCRIPTS += tests/pool_cli.sh tests/cutover_reload.sh
