/* The state store: one interface, backends chosen by configuration (SQLite
 * now, Redis later for several brokers). A backend fills in the function
 * pointers and keeps its own state behind impl. Only revocations so far;
 * outstanding requests, the replay cache and sessions come with their issues.
 * Every operation is safe to call from several threads at once. */
#ifndef TESSERA_STORE_H
#define TESSERA_STORE_H

#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/err.h"

enum ts_revocation_kind {
	TS_REVOKE_JTI,  /* one ticket, by its jti */
	TS_REVOKE_USER, /* every ticket of a subject issued before a time */
};

/* One stored revocation. key is the jti or the subject (not NUL-terminated
 * in callbacks: use key_len). before: for TS_REVOKE_USER, tickets with
 * iat < before are revoked. expires_at: once past, the record can go (every
 * ticket it could match has expired). */
struct ts_revocation {
	enum ts_revocation_kind kind;
	const char *key;
	size_t key_len;
	ts_time before;
	ts_time expires_at;
};

typedef ts_err (*ts_revocation_visit)(void *arg, const struct ts_revocation *rev);

struct ts_store {
	/* Records rev; a second TS_REVOKE_USER for one subject keeps the later
	 * before and expires_at (a revocation is never narrowed). */
	ts_err (*revoke)(void *impl, const struct ts_revocation *rev);
	/* Calls visit for every revocation with expires_at > now; an error from
	 * visit stops the walk and is returned. */
	ts_err (*revocations_each)(void *impl, ts_time now, ts_revocation_visit visit, void *arg);
	/* Deletes revocations with expires_at <= now. */
	ts_err (*revocations_prune)(void *impl, ts_time now);
	void (*close)(void *impl);
	void *impl;
};

/* SQLite backend (store/sqlite.c): path is a file (created if missing, WAL
 * journal) or ":memory:" for tests. The schema is created or checked. */
ts_err ts_store_sqlite_open(const char *path, struct ts_store **out);

/* Closes any backend; NULL is ignored. */
void ts_store_close(struct ts_store *store);

#endif
