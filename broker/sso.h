/* Single sign-on at the broker: the session cookie (a Tessera ticket for the
 * broker itself), and handing a pool its own ticket through a single-use
 * code redeemed on the pool's host. */
#ifndef TS_BROKER_SSO_H
#define TS_BROKER_SSO_H

#include <stdbool.h>

#include "http.h"
#include "tessera/config.h"
#include "tessera/identity.h"
#include "tessera/ticket.h"

#define TS_SSO_COOKIE "__Host-tessera-sso"
#define TS_POOL_COOKIE "__Host-tessera"

/* The SSO cookie's ticket, verified; NULL claims (and OK) when absent. */
ts_err ts_sso_from_cookie(const struct ts_http_request *req,
			  const struct ts_ticket_claims **claims);
/* Can this session serve pool without the IdP: same IdP, and the second
 * factor if the pool requires one. */
bool ts_sso_satisfies(const struct ts_config *cfg, const struct ts_config_pool *pool,
		      const struct ts_ticket_claims *session);
/* Does the session carry one of the pool's IdP's second-factor values. */
bool ts_sso_has_mfa(const struct ts_config *cfg, const struct ts_config_pool *pool,
		    const struct ts_ticket_claims *session);
/* A new SSO session: its ticket minted, nothing stored or sent yet. */
struct ts_sso_new {
	const struct ts_ticket_claims *claims; /* what the ticket says */
	char *token;
	char *extras; /* JSON the session keeps beside its ticket */
};
/* After a validated sign-in: mints the SSO ticket for id. The session is
 * stored with the rest of the sign-in (ts_state_signin_complete), and only
 * then is the cookie set (ts_sso_set_cookie). */
ts_err ts_sso_mint(const struct ts_http_request *req, const struct ts_identity *id,
		   struct ts_sso_new *out);
ts_err ts_sso_set_cookie(const struct ts_http_request *req, struct ts_http_response *resp,
			 const struct ts_sso_new *s);
void ts_sso_new_clear(struct ts_sso_new *s);

/* A single-use code for pool, made but not stored yet. */
struct ts_hand_over {
	char *code;
	char hash[65]; /* what is stored, never the code */
	char *payload; /* what the pool ticket needs, JSON */
	ts_time expires_at;
};
/* bind: the hash of the pool host's nonce (browser_bind.h) that the code
 * will be redeemed with. */
ts_err ts_sso_hand_over_make(const struct ts_http_request *req, const struct ts_config_pool *pool,
			     const char *return_path, const struct ts_ticket_claims *session,
			     const char *bind, struct ts_hand_over *out);
/* The redirect to the pool's /.tessera/session with the code. */
ts_err ts_sso_hand_over_redirect(struct ts_http_response *resp, const struct ts_config_pool *pool,
				 const char *return_path, const struct ts_hand_over *h);
void ts_hand_over_clear(struct ts_hand_over *h);
/* All three for a session that exists: the code stored on its own. */
ts_err ts_sso_hand_over(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *return_path,
			const struct ts_ticket_claims *session, const char *bind);

/* To the pool's IdP with an outstanding request remembered, bound to this
 * browser (browser_bind.h): resume is the checked return path and pool_bind
 * the hash its hand-over code will carry, or, for a pool's wsignin1.0
 * (pool_bind NULL), the STS resume record. */
ts_err ts_signin_to_idp(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *resume, const char *pool_bind,
			bool mfa, bool force);

#endif
