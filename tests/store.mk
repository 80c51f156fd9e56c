# Tests of the state store (store/): every operation and refusal, prune,
# the schema migration, races between threads, and kill -9 durability.
check_PROGRAMS += tests/check_store
TESTS += tests/check_store
tests_check_store_SOURCES = tests/check_store.c tests/test_dir.c tests/test_dir.h
tests_check_store_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS)
tests_check_store_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)

# What a completed sign-in writes: all of it or none, in batches, racing.
check_PROGRAMS += tests/check_signin_complete
TESTS += tests/check_signin_complete
tests_check_signin_complete_SOURCES = tests/check_signin_complete.c tests/test_dir.c \
	tests/test_dir.h
tests_check_signin_complete_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
tests_check_signin_complete_LDADD = $(TS_COMMON_LIBS) $(CHECK_LIBS)
