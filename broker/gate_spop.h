/* The gate as HAProxy's SPOP agent's decision (gate_spop.c says which
 * message arguments it reads and which variables it sets). */
#ifndef TS_BROKER_GATE_SPOP_H
#define TS_BROKER_GATE_SPOP_H
#include <stddef.h>

#include "spop.h"

/* A ts_spop_notify_fn; ctx is the struct ts_broker. */
void ts_gate_spop_notify(void *ctx, const struct ts_spop_message *msgs, size_t n,
			 struct ts_spop_ack *ack);
#endif
