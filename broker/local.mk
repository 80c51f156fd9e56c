# tesserad (the daemon) and tessera (the admin CLI).
sbin_PROGRAMS += tesserad
tesserad_SOURCES = broker/tesserad.c broker/http.c broker/http.h broker/broker.h \
	broker/routes.c broker/routes.h broker/route_health.c broker/tickets.c broker/tickets.h
tesserad_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS)
tesserad_LDADD = $(TS_COMMON_LIBS) $(MHD_LIBS) -lpthread

bin_PROGRAMS += tessera
tessera_SOURCES = broker/tessera.c broker/cli.h broker/cli_inspect.c broker/cli_metadata.c \
	broker/cli_key.c
tessera_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tessera_LDADD = $(TS_SAML_LIBS)
