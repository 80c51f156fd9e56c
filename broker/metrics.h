/* Prometheus counters of tesserad: bounded by construction (routes and
 * statuses are fixed tables; IdP x pool pairs are capped), never by traffic. */
#ifndef TS_BROKER_METRICS_H
#define TS_BROKER_METRICS_H

#include <stddef.h>

#include "tessera/err.h"

struct ts_metrics;

/* route_names: the route table's names, n_routes of them (the last one
 * counts requests no route matched). */
struct ts_metrics *ts_metrics_new(const char *const *route_names, size_t n_routes);
void ts_metrics_free(struct ts_metrics *m);

void ts_metrics_request(struct ts_metrics *m, size_t route, int status, double seconds);
void ts_metrics_rejection(struct ts_metrics *m, ts_err err);
void ts_metrics_signin(struct ts_metrics *m, const char *idp, const char *pool);
void ts_metrics_ticket_minted(struct ts_metrics *m);
void ts_metrics_replay(struct ts_metrics *m);
/* A gate decision. kind and outcome are static labels (ts_gate_kind_name,
 * ts_gate_outcome_name); pool is copied. Pool x kind x outcome rows are
 * capped; decisions past the cap are counted as dropped. */
void ts_metrics_gate(struct ts_metrics *m, const char *pool, const char *kind, const char *outcome);
/* A legacy sign-in attempt and what the stage made of it (decision: a
 * static label, passed / would-block / excepted / refused), or that the
 * pool refused one it let through (pool-refused). */
void ts_metrics_legacy(struct ts_metrics *m, const char *pool, const char *kind,
		       const char *decision);

/* The text exposition format (version 0.0.4). *text is malloc'd. */
ts_err ts_metrics_render(struct ts_metrics *m, char **text, size_t *len);

#endif
