# The gate's decision, transport independent: shared by tesserad (GET /gate,
# later the SPOP agent) and tests/check_gate.
TS_GATE_SOURCES = broker/gate.h broker/gate.c broker/gate_stage.c \
	broker/gate_request.h broker/gate_request.c broker/gate_path.h broker/gate_path.c \
	broker/gate_classify.h broker/gate_classify.c broker/gate_body.h broker/gate_body.c \
	broker/gate_answer.h broker/gate_answer.c broker/gate_base64.h broker/gate_base64.c \
	broker/ntlm.h broker/ntlm.c broker/spnego.c \
	broker/client_family.h broker/client_family.c \
	broker/gate_cutover.h broker/gate_cutover.c broker/gate_ticket.h broker/gate_ticket.c \
	broker/gate_attempt.h broker/gate_attempt.c \
	broker/ticket_seen.h broker/ticket_seen.c \
	broker/usage.c broker/usage.h \
	broker/stage_watch.c broker/stage_watch.h

# tesserad (the daemon) and tessera (the admin CLI).
sbin_PROGRAMS += tesserad
tesserad_SOURCES = broker/tesserad.c broker/broker.h broker/http.c broker/http.h \
	broker/http_deadline.c broker/http_deadline.h \
	broker/routes.c broker/routes.h broker/runtime.c broker/runtime.h \
	broker/metrics.c broker/metrics.h broker/tickets.c broker/tickets.h \
	broker/state.c broker/state.h broker/sso.c broker/sso.h \
	broker/browser_bind.c broker/browser_bind.h \
	broker/return_url.c broker/return_url.h broker/route_health.c \
	broker/route_metrics.c broker/route_metadata.c broker/route_signin.c \
	broker/route_acs.c broker/route_session.c broker/route_signout.c broker/route_sts.c broker/sts_flow.c \
	broker/sts_flow.h broker/sts_names.c $(TS_GATE_SOURCES) broker/route_gate.c \
	broker/gate_spop.h broker/gate_spop.c broker/gate_ack.h broker/gate_ack.c \
	broker/gate_policy.h broker/gate_policy.c \
	broker/cutover_run.c broker/cutover_run.h broker/request_batch.c broker/request_batch.h
tesserad_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS) $(OPENSSL_CFLAGS)
tesserad_LDADD = libtessera_spop.a $(TS_SAML_LIBS) $(MHD_LIBS) $(GLIB_LIBS) -lpthread

bin_PROGRAMS += tessera
tessera_SOURCES = broker/tessera.c broker/cli.h broker/cli_inspect.c broker/cli_metadata.c \
	broker/cli_key.c broker/cli_sts_key.c broker/sts_names.c \
	broker/cli_pool.c broker/cli_pool.h broker/cli_pool_plan.c broker/cli_pool_except.c \
	broker/cli_runbook.c broker/cli_report.c
tessera_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JANSSON_CFLAGS)
tessera_LDADD = $(TS_SAML_LIBS)

# SPOP (HAProxy's offload protocol): framing and the agent server, linked by
# tesserad, the SPOP tests and the fuzz target.
noinst_LIBRARIES += libtessera_spop.a
libtessera_spop_a_SOURCES = broker/spop.c broker/spop_encode.c broker/spop.h \
	broker/spop_session.c broker/spop_session.h broker/spop_agent.c broker/spop_agent.h
TS_SPOP_LIBS = libtessera_spop.a $(TS_COMMON_LIBS)
