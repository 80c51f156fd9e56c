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
};

void ts_pending_clear(struct ts_pending *p);
/* Stores p. With hold (an answer's, http.h) and the batch running, the
 * write is queued and hold set: the answer waits for the commit
 * (broker/request_batch.h); else it is written now. */
ts_err ts_state_pending_put(struct ts_broker *b, const struct ts_pending *p,
			    struct ts_http_hold *hold);
/* Single use: REQUEST_UNKNOWN when absent, already taken or expired. */
ts_err ts_state_pending_take(struct ts_broker *b, const char *id, struct ts_pending *out);

/* SAML_REPLAY when idp + assertion_id was claimed before and has not expired. */
ts_err ts_state_replay_claim(struct ts_broker *b, const char *idp, const char *assertion_id,
			     ts_time expires_at);

/* Hand-over codes: a fresh random code, payload stored under its hash. */
ts_err ts_state_code_new(struct ts_broker *b, const char *payload, ts_time expires_at,
			 char **code);
/* Single use: CODE_UNKNOWN when absent, taken or expired. *payload malloc'd. */
ts_err ts_state_code_take(struct ts_broker *b, const char *code, char **payload);

/* SSO sessions, keyed by the jti of the session's broker ticket. */
/* payload: JSON with what tickets do not carry (groups, display name). */
ts_err ts_state_session_put(struct ts_broker *b, const char *jti, const char *sub,
			    const char *payload, ts_time expires_at);
/* The session's payload (malloc'd); SESSION_UNKNOWN when gone or expired. */
ts_err ts_state_session_payload(struct ts_broker *b, const char *jti, char **payload);
ts_err ts_state_session_ticket_add(struct ts_broker *b, const char *session_jti,
				   const char *jti, ts_time exp);
/* Revokes every ticket of the session and the session's own, then forgets it. */
ts_err ts_state_session_end(struct ts_broker *b, const char *session_jti, ts_time exp);

#endif
