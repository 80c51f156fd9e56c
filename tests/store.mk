# Tests of the state store (store/): every operation and refusal, prune,
# the schema migration, races between threads, and kill -9 durability.
check_PROGRAMS += tests/check_store
TESTS += tests/check_store
tests_check_store_SOURCES = tests/check_store.c
tests_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_check_store_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)
