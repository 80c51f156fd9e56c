/* tesserad's web ticket state (broker/tickets.c): store, revocations, key
 * ring and the minting/verifying context, kept current without a restart. */
#ifndef TS_BROKER_TICKETS_H
#define TS_BROKER_TICKETS_H

#include "tessera/err.h"

struct ts_broker;
struct ts_tickets;
struct ts_store;
struct ts_revocations;

/* Opens the store, loads revocations and the key ring (creating it with a
 * first key when key_dir does not exist), and starts the periodic check.
 * Unsafe key ring permissions refuse the start, logged with path and mode. */
ts_err ts_broker_tickets_start(struct ts_broker *broker);
/* SIGHUP: re-read the key ring and revocations now (on the check thread). */
void ts_broker_tickets_reload(struct ts_broker *broker);
void ts_broker_tickets_stop(struct ts_broker *broker);

/* What the routes use: minting and verifying, the store, revocations. */
struct ts_tickets *ts_broker_ticketing(struct ts_broker *broker);
struct ts_store *ts_broker_store(struct ts_broker *broker);
struct ts_revocations *ts_broker_revocations(struct ts_broker *broker);
/* SHA-256, fetched once for the process (the state's hashes of codes and
 * session ids). */
const struct evp_md_st *ts_broker_sha256(struct ts_broker *broker);

#endif
