# State store backends, compiled into libtessera.a.
libtessera_a_SOURCES += store/store.c store/sqlite_internal.h store/sqlite.c \
	store/sqlite_signin.c store/sqlite_session.c \
	store/sqlite_complete.c
noinst_HEADERS += include/tessera/store.h
# Per-pool staged cutover: its own tables and connection in the same file.
libtessera_a_SOURCES += store/cutover_internal.h store/cutover_sqlite.c store/cutover_stage.c \
	store/cutover_except.c store/cutover_match.c store/cutover_usage.c store/cutover_ticket.c
noinst_HEADERS += include/tessera/cutover.h
