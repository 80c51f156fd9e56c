/* What a SIGHUP may replace while requests run: the configuration and the
 * SAML context built from it (IdP metadata, keys). Each request holds a
 * reference to one snapshot from start to end, so a reload never changes
 * what a request sees halfway and never frees what one still uses. */
#ifndef TS_BROKER_RUNTIME_H
#define TS_BROKER_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>

#include "tessera/config.h"
#include "tessera/saml.h"

struct ts_broker;

struct ts_sts_keys;

struct ts_runtime {
	atomic_int refs;
	struct ts_config *config;
	struct ts_saml *saml;
	struct ts_sts_keys *sts_keys; /* NULL: the STS has no key directory yet */
};

/* Loads path, builds the SAML context and reads the STS keys; with
 * create_sts a missing STS key directory is made with a first key (first
 * start, as for the ticket key ring). On failure why says what. */
ts_err ts_runtime_load(const char *path, ts_time now, bool create_sts, struct ts_runtime **out,
		       char *why, size_t why_len);
struct ts_runtime *ts_runtime_acquire(struct ts_broker *broker);
void ts_runtime_release(struct ts_runtime *rt);
/* Installs next (the broker takes its reference); the old snapshot goes
 * when its last request ends. */
void ts_runtime_install(struct ts_broker *broker, struct ts_runtime *next);

#endif
