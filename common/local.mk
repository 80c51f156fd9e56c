# libtessera.a: what every program links (errors, log, config, clock, util).
noinst_LIBRARIES += libtessera.a
libtessera_a_SOURCES = common/err.c common/util.c common/clock.c common/log.c \
	common/config.c common/config_schema.c common/config_schema.h \
	common/form.c common/file.c common/origin.c common/display.c
libtessera_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(OPENSSL_CFLAGS) $(JANSSON_CFLAGS) \
	$(SQLITE_CFLAGS)
# Programs linking libtessera.a add this for its GLib use (GKeyFile), and
# OpenSSL, jansson and SQLite for ticket/ and store/.
TS_COMMON_LIBS = libtessera.a $(GLIB_LIBS) $(OPENSSL_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS) -lpthread
