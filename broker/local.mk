# tesserad (the daemon) and tessera (the admin CLI).
sbin_PROGRAMS += tesserad
tesserad_SOURCES = broker/tesserad.c broker/broker.h broker/http.c broker/http.h \
	broker/routes.c broker/routes.h broker/runtime.c broker/runtime.h \
	broker/metrics.c broker/metrics.h broker/tickets.c broker/tickets.h \
	broker/state.c broker/state.h broker/sso.c broker/sso.h \
	broker/return_url.c broker/return_url.h broker/route_health.c \
	broker/route_metrics.c broker/route_metadata.c broker/route_signin.c \
	broker/route_acs.c broker/route_session.c broker/route_sts.c broker/sts_flow.c \
	broker/sts_flow.h broker/sts_names.c \
	broker/usage.c broker/usage.h broker/stage_watch.c broker/stage_watch.h \
	broker/cutover_run.c broker/cutover_run.h
tesserad_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tesserad_LDADD = $(TS_SAML_LIBS) $(MHD_LIBS) $(GLIB_LIBS) -lpthread

bin_PROGRAMS += tessera
tessera_SOURCES = broker/tessera.c broker/cli.h broker/cli_inspect.c broker/cli_metadata.c \
	broker/cli_key.c broker/cli_sts_key.c broker/sts_names.c \
	broker/cli_pool.c broker/cli_pool.h broker/cli_pool_plan.c broker/cli_pool_except.c \
	broker/cli_runbook.c broker/cli_report.c
tessera_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS)
tessera_LDADD = $(TS_SAML_LIBS)
