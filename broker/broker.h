/* The process-wide context of tesserad, passed explicitly to everything. */
#ifndef TS_BROKER_BROKER_H
#define TS_BROKER_BROKER_H

#include <pthread.h>
#include <stdatomic.h>

#include "tessera/clock.h"
#include "tessera/config.h"

struct ts_broker_tickets;
struct ts_runtime;
struct ts_metrics;
struct ts_cutover;
struct ts_usage;
struct ts_stage_watch;
struct ts_ticket_seen;
struct ts_request_batch;
struct ts_spop_agent;

struct ts_broker {
	/* The configuration tesserad started with: listen settings, the key
	 * ring and the store, which change only with a restart. What a reload
	 * may change lives in runtime. */
	const struct ts_config *config;
	const char *config_path;
	struct ts_clock clock;
	unsigned short bound_port;
	void *http; /* the HTTP layer's own state */
	struct ts_broker_tickets *tickets; /* broker/tickets.c */
	pthread_mutex_t runtime_lock;
	struct ts_runtime *runtime; /* broker/runtime.c */
	struct ts_metrics *metrics; /* broker/metrics.c */
	/* The gate's SPOP agent, when configured; set once it listens. */
	_Atomic(struct ts_spop_agent *) spop;
	/* Per-pool cutover (broker/cutover_run.c): the gate records legacy use
	 * in usage and reads stages and exceptions from stage_watch. */
	struct ts_cutover *cutover;
	struct ts_usage *usage;
	struct ts_stage_watch *stage_watch;
	struct ts_ticket_seen *tickets_seen; /* broker/ticket_seen.c */
	/* Outstanding sign-in requests written in batches (request_batch.c). */
	struct ts_request_batch *requests;
};

#endif
