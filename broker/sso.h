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
/* After a validated sign-in: mints the SSO ticket, records the session and
 * sets the cookie; *session holds the ticket's claims. */
ts_err ts_sso_start(const struct ts_http_request *req, struct ts_http_response *resp,
		    const struct ts_identity *id, const struct ts_ticket_claims **session);
/* A single-use code for pool, and the redirect to its /.tessera/session. */
ts_err ts_sso_hand_over(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *return_path,
			const struct ts_ticket_claims *session);

/* To the pool's IdP with an outstanding request remembered: resume is the
 * checked return path, or (sts) the STS resume record. */
ts_err ts_signin_to_idp(const struct ts_http_request *req, struct ts_http_response *resp,
			const struct ts_config_pool *pool, const char *resume, bool sts, bool mfa,
			bool force);

#endif
