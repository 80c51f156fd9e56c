/* The state store: one interface, backends chosen by configuration (SQLite
 * now, Redis later for several brokers). A backend fills in the function
 * pointers and keeps its own state behind impl. It holds revocations,
 * outstanding sign-in requests, the replay cache, single-use codes and SSO
 * sessions. Every operation is safe to call from several threads at once,
 * every write is one transaction, and a write that returned TS_ERR_OK
 * survives the process being killed (kill -9).
 *
 * Strings in are NUL-terminated and bounded by the TS_STORE_*_MAX below
 * (TOO_LARGE past them, INVALID_ARGUMENT when empty or NULL). Records are
 * looked up by exact bytes. */
#ifndef TESSERA_STORE_H
#define TESSERA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/clock.h"
#include "tessera/err.h"

/* A sign-in request ID: SAML AuthnRequest ID or WS-Fed wctx. */
#define TS_STORE_REQUEST_ID_MAX 128
/* A replay cache key: "idp\n" + assertion ID. */
#define TS_STORE_REPLAY_KEY_MAX 1024
/* Any other string field: pool, IdP, return URL, subject, hashes, jti. */
#define TS_STORE_TEXT_MAX 8192
/* A code's payload or a session's JSON. */
#define TS_STORE_PAYLOAD_MAX 65536
/* [store] replay_cache_entries when the caller sets none. */
#define TS_STORE_REPLAY_ENTRIES_DEFAULT 1000000
/* [store] outstanding_requests when the caller sets none. */
#define TS_STORE_REQUESTS_DEFAULT 100000

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

/* ts_signin_pending.flags */
#define TS_SIGNIN_MFA_REQUIRED 0x1u /* the pool's policy asks for a second factor */
#define TS_SIGNIN_FORCE_AUTHN 0x2u  /* the IdP was asked to authenticate afresh */
#define TS_SIGNIN_STS 0x4u	     /* a pool's wsignin1.0 waits: return_url holds where to post */

/* A sign-in Tessera sent to an IdP and has not seen come back. From
 * request_take the strings are the caller's: ts_signin_pending_clear(). */
struct ts_signin_pending {
	char *id; /* AuthnRequest ID or wctx, at most TS_STORE_REQUEST_ID_MAX bytes */
	char *pool;
	char *idp;
	char *return_url;
	unsigned flags;
	ts_time created;
	ts_time expires_at;
	/* Hex SHA-256 of the nonces that bind the sign-in to its browser
	 * (broker/browser_bind.h), "" for none: the broker's cookie, and the
	 * pool host's for the hand-over code. */
	char browser[65];
	char pool_bind[65];
};

/* An SSO session at the broker. id_hash is a hash of the cookie value, never
 * the value. payload is JSON text (payload_len bytes; from session_get also
 * NUL-terminated). From session_get the strings are the caller's:
 * ts_sso_session_clear(). */
struct ts_sso_session {
	char *id_hash;
	char *subject;
	char *payload;
	size_t payload_len;
	ts_time created;
	ts_time expires_at;
};

/* A completed sign-in: its outstanding request taken (as request_take,
 * still unexpired at now), its assertion's key claimed until
 * replay_expires_at (as replay_claim), its SSO session stored (as
 * session_put) and, when code_hash is set, its hand-over code stored (as
 * code_put). Either all of it is written or none: a refused sign-in leaves
 * no session, and its request outstanding. */
struct ts_signin_completion {
	const char *request_id;
	const char *replay_key;
	ts_time replay_expires_at;
	struct ts_sso_session session;
	const char *code_hash; /* NULL: no hand-over (the STS answers the pool) */
	const char *code_payload;
	size_t code_payload_len;
	ts_time code_expires_at;
	ts_time now;
};

/* What prune removed, per table, for metrics. */
struct ts_store_prune_counts {
	uint64_t requests;
	uint64_t replay;
	uint64_t codes;
	uint64_t sessions;
	uint64_t session_tickets;
	uint64_t revocations;
};

struct ts_store {
	/* Records rev; a second TS_REVOKE_USER for one subject keeps the later
	 * before and expires_at (a revocation is never narrowed). */
	ts_err (*revoke)(void *impl, const struct ts_revocation *rev);
	/* Calls visit for every revocation with expires_at > now; an error from
	 * visit stops the walk and is returned. */
	ts_err (*revocations_each)(void *impl, ts_time now, ts_revocation_visit visit, void *arg);
	/* Deletes revocations with expires_at <= now. */
	ts_err (*revocations_prune)(void *impl, ts_time now);

	/* Records an outstanding sign-in; an id already stored (expired or
	 * not) is STORE_DUPLICATE. At most outstanding_requests are held:
	 * when full, a chunk of expired ones is swept, and if that freed
	 * nothing the request is refused with STORE_FULL (an unexpired one is
	 * never evicted). */
	ts_err (*request_put)(void *impl, const struct ts_signin_pending *p);
	/* request_put of n requests in one transaction, so its commit is paid
	 * once. errs[i] is what request_put would say of reqs[i]; a refused
	 * request (bad input, duplicate id) does not stop the others. Returns
	 * OK, or what failed the transaction itself: then nothing was stored
	 * and every errs[i] is that error. */
	ts_err (*request_put_many)(void *impl, const struct ts_signin_pending *reqs, size_t n,
				   ts_err *errs);
	/* Deletes the request id and returns it in *out: single use, atomic
	 * (two takers never both get it). Unknown or already taken:
	 * STORE_NOT_FOUND; expires_at <= now: STORE_EXPIRED (it is deleted all
	 * the same). On error *out is zeroed. */
	ts_err (*request_take)(void *impl, const char *id, ts_time now,
			       struct ts_signin_pending *out);

	/* Copies the request id into *out and leaves it outstanding: only a
	 * completed sign-in takes it (signin_complete_many). Unknown:
	 * STORE_NOT_FOUND; expires_at <= now: STORE_EXPIRED. On error *out is
	 * zeroed. */
	ts_err (*request_get)(void *impl, const char *id, ts_time now,
			      struct ts_signin_pending *out);
	/* What completed sign-ins write, each all or nothing, the n in one
	 * transaction so its commit is paid once: see struct
	 * ts_signin_completion. errs[i] says why c[i] was not written: its
	 * request gone (STORE_NOT_FOUND) or expired (STORE_EXPIRED), its key
	 * claimed (SAML_REPLAY), the cache full (STORE_FULL), a session or code
	 * hash already stored (STORE_DUPLICATE), bad input as the single
	 * operations say. Returns OK, or what failed the transaction itself:
	 * then nothing was written and every errs[i] is that error. */
	ts_err (*signin_complete_many)(void *impl, const struct ts_signin_completion *c,
				       size_t n, ts_err *errs);

	/* Claims key ("idp\n" + assertion ID) until expires_at (> now). A key
	 * already claimed and not expired: SAML_REPLAY. At most
	 * replay_cache_entries unexpired keys are held: when full, expired
	 * keys are swept, and if none were, the claim is refused with
	 * STORE_FULL (an unexpired key is never evicted: that would reopen its
	 * replay). Like every write, kept across a kill -9; not synced to
	 * disk per claim (store/sqlite.c says why). */
	ts_err (*replay_claim)(void *impl, const char *key, ts_time expires_at, ts_time now);

	/* Stores payload under code_hash (the caller hashes the code and never
	 * stores the code) until expires_at; an existing hash: STORE_DUPLICATE. */
	ts_err (*code_put)(void *impl, const char *code_hash, const char *payload,
			   size_t payload_len, ts_time expires_at);
	/* Deletes code_hash and returns its payload (malloc'd, NUL-terminated
	 * after len bytes, the caller's): single use, atomic. Unknown or used:
	 * STORE_NOT_FOUND; expired: STORE_EXPIRED (deleted all the same). */
	ts_err (*code_take)(void *impl, const char *code_hash, ts_time now, char **payload,
			    size_t *len);

	/* Stores a new session; an existing id_hash is STORE_DUPLICATE (a
	 * changed session gets a new id). */
	ts_err (*session_put)(void *impl, const struct ts_sso_session *s);
	/* Copies the session into *out. Unknown: STORE_NOT_FOUND; expires_at
	 * <= now: STORE_EXPIRED. On error *out is zeroed. */
	ts_err (*session_get)(void *impl, const char *id_hash, ts_time now,
			      struct ts_sso_session *out);
	/* Records that ticket jti (valid until exp) was minted in the session;
	 * a session that is not stored: STORE_NOT_FOUND. Adding a jti again
	 * keeps the later exp. */
	ts_err (*session_ticket_add)(void *impl, const char *id_hash, const char *jti, ts_time exp);
	/* A sign-out, in one durable transaction: revokes own (the session's
	 * ticket, a TS_REVOKE_JTI) and every ticket recorded in the session
	 * until its exp + grace, then deletes the session and its records. A
	 * ticket added meanwhile is either revoked here or refused (its session
	 * gone). An unknown session has no records: only own is revoked. After
	 * the commit, visit is called for each revocation written (own first),
	 * for the caller's copy in memory; an error from visit does not stop
	 * the walk, the first one is returned, and the revocations stay
	 * written. */
	ts_err (*session_end)(void *impl, const char *id_hash, const struct ts_revocation *own,
			      ts_time grace, ts_revocation_visit visit, void *arg);

	/* Deletes every row with expires_at <= now (exp for session tickets) in
	 * every table, and the ticket records of expired sessions, in short
	 * transactions of at most a thousand rows each, so a large backlog
	 * does not hold other writes back. counts (may be NULL) says how many
	 * went, also when an error stopped it. */
	ts_err (*prune)(void *impl, ts_time now, struct ts_store_prune_counts *counts);

	/* Whether a write commits now: a counter bumped in a transaction of
	 * its own (the write lock within a second, a journal frame). What /readyz
	 * asks, since a store that reads but cannot write stores no sign-in.
	 * At most one check a second: calls within it get its answer. */
	ts_err (*write_check)(void *impl);

	void (*close)(void *impl);
	void *impl;
};

/* Limits a backend enforces, from [store]. */
struct ts_store_limits {
	size_t replay_cache_entries; /* >= 1 */
	size_t outstanding_requests; /* >= 1 */
};

/* SQLite backend (store/sqlite*.c): path is a file (created 0600 if missing,
 * WAL journal) or ":memory:" for tests. The schema is created, upgraded
 * from an older version, or refused (STORE_SCHEMA) when newer. limits NULL:
 * the defaults above. */
ts_err ts_store_sqlite_open_limits(const char *path, const struct ts_store_limits *limits,
				   struct ts_store **out);
/* The same with the default limits. */
ts_err ts_store_sqlite_open(const char *path, struct ts_store **out);

/* Closes any backend; NULL is ignored. */
void ts_store_close(struct ts_store *store);

/* Is text the hex of a SHA-256, the form hashes are stored in: 64
 * lowercase hex digits (and nothing after them). */
bool ts_store_hash_valid(const char *text);

/* Free the strings request_take and session_get handed out and zero the
 * record (the session payload is wiped first); NULL is ignored. */
void ts_signin_pending_clear(struct ts_signin_pending *p);
void ts_sso_session_clear(struct ts_sso_session *s);

#endif
