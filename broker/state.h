/* The broker's sign-in state, over the store interface: outstanding
 * requests, the replay cache, hand-over codes, SSO sessions. Codes and
 * session ids are stored as SHA-256 hashes, never as themselves. */
#ifndef TS_BROKER_STATE_H
#define TS_BROKER_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/err.h"

struct ts_broker;
struct ts_http_hold;

struct ts_pending {
	char *id;	   /* AuthnRequest ID, or the wctx we sent */
	char *pool;
	char *idp;
	char *return_path; /* already checked: a path on the pool's host */
	bool mfa;
	bool sts; /* return_path holds the STS resume record, not a path */
	ts_time expires_at;
	char browser[65];   /* hash of the broker's nonce cookie (browser_bind.h) */
	char pool_bind[65]; /* the pool host's, for the hand-over code; "" for sts */
};

void ts_pending_clear(struct ts_pending *p);
/* Stores p. With hold (an answer's, http.h) and the batch running, the
 * write is queued and hold set: the answer waits for the commit
 * (broker/request_batch.h); else it is written now. */
ts_err ts_state_pending_put(struct ts_broker *b, const struct ts_pending *p,
			    struct ts_http_hold *hold);
/* Reads the request id, which stays outstanding until a completed sign-in
 * takes it: REQUEST_UNKNOWN when absent, taken or expired. */
ts_err ts_state_pending_get(struct ts_broker *b, const char *id, struct ts_pending *out);

/* What a completed sign-in stores (ts_state_signin_complete). */
struct ts_signin_record {
	const char *request_id;	    /* the outstanding request answered */
	const char *issuer;	    /* the IdP's entity ID; with assertion_id the
				     * replay cache's key: [idp] sections that
				     * share one IdP share its assertions */
	const char *assertion_id;
	ts_time replay_until;
	const char *session_jti;    /* the SSO ticket's: the session's id */
	const char *subject;
	const char *session_extras; /* JSON that tickets do not carry */
	ts_time session_expires_at;
	const char *code_hash;	    /* NULL when no code is handed over */
	const char *code_payload;
	ts_time code_expires_at;
};
/* Takes the request, claims the assertion against replay, stores the
 * session and the code: all in one transaction, or none of it.
 * REQUEST_UNKNOWN when the request is gone (used meanwhile) or expired,
 * SAML_REPLAY when the assertion was claimed before and has not expired. */
ts_err ts_state_signin_complete(struct ts_broker *b, const struct ts_signin_record *r);

/* Hex of SHA-256(text): 64 characters and a NUL. */
void ts_state_hash(struct ts_broker *b, const char *text, char out[65]);
/* A fresh random secret (256 bits as 43 base64url characters, *secret
 * malloc'd) and its hash, the only form that is stored: hand-over codes
 * (ts_state_code_put, or a completed sign-in) and browser nonces
 * (browser_bind.h). */
ts_err ts_state_secret_make(struct ts_broker *b, char **secret, char hash[65]);
ts_err ts_state_code_put(struct ts_broker *b, const char hash[65], const char *payload,
			 ts_time expires_at);
/* Single use: CODE_UNKNOWN when absent, taken or expired. *payload malloc'd. */
ts_err ts_state_code_take(struct ts_broker *b, const char *code, char **payload);

/* SSO sessions, keyed by the jti of the session's broker ticket. */
/* The session's payload (malloc'd); SESSION_UNKNOWN when gone or expired. */
ts_err ts_state_session_payload(struct ts_broker *b, const char *jti, char **payload);
ts_err ts_state_session_ticket_add(struct ts_broker *b, const char *session_jti,
				   const char *jti, ts_time exp);
/* Revokes every ticket of the session and the session's own, then forgets it. */
ts_err ts_state_session_end(struct ts_broker *b, const char *session_jti, ts_time exp);

#endif
