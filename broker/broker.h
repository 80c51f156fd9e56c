/* The process-wide context of tesserad, passed explicitly to everything. */
#ifndef TS_BROKER_BROKER_H
#define TS_BROKER_BROKER_H

#include "tessera/clock.h"
#include "tessera/config.h"

struct ts_broker_tickets;

struct ts_broker {
	/* Read-only while serving: a reload applies what can change live
	 * (the log level) without swapping this structure under handlers. */
	const struct ts_config *config;
	struct ts_clock clock;
	unsigned short bound_port;
	void *http; /* the HTTP layer's own state */
	struct ts_broker_tickets *tickets; /* broker/tickets.c */
};

#endif
