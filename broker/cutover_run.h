/* tesserad's cutover side: the store connection the usage flush writes
 * through, the usage aggregator and the stage watch, started after the
 * state store (which creates the file) and stopped with a last flush. */
#ifndef TS_BROKER_CUTOVER_RUN_H
#define TS_BROKER_CUTOVER_RUN_H

#include "tessera/err.h"

struct ts_broker;
struct ts_config;

ts_err ts_broker_cutover_start(struct ts_broker *broker);
/* SIGHUP, before the new configuration is installed: the stage watch
 * takes its pools, so a pool added or a [pool] stage changed has its
 * stored stage and exceptions from the first request on. */
ts_err ts_broker_cutover_reload(struct ts_broker *broker, const struct ts_config *next);
void ts_broker_cutover_stop(struct ts_broker *broker);

#endif
