# State store backends, compiled into libtessera.a.
libtessera_a_SOURCES += store/store.c store/sqlite_internal.h store/sqlite.c \
	store/sqlite_signin.c store/sqlite_session.c
noinst_HEADERS += include/tessera/store.h
