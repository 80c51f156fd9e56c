/* The pools' STS: /adfs/ls/ answers a pool's wsignin1.0 with a signed token
 * posted to its registered wreply, straight from the SSO session when it
 * satisfies the pool, or after a trip to the IdP (resumed at the ACS). */
#ifndef TS_BROKER_STS_FLOW_H
#define TS_BROKER_STS_FLOW_H

#include "http.h"
#include "tessera/config.h"
#include "tessera/identity.h"
#include "tessera/ticket.h"

#define TS_STS_WCTX_MAX 4096

/* The pool's relying-party identifier and default reply URL (config or the
 * documented guesses); malloc'd. */
char *ts_sts_realm(const struct ts_config_pool *pool);
char *ts_sts_default_reply(const struct ts_config_pool *pool);

/* The STS's entity ID: [sts] entity_id, or public_url + /adfs/services/trust. */
char *ts_sts_entity_id(const struct ts_config *cfg);

/* Where to resume after the IdP: kept in the outstanding request. */
char *ts_sts_resume_encode(const char *wreply, const char *wctx);
ts_err ts_sts_resume_decode(const char *text, char **wreply, char **wctx);

/* Can a pool's token be issued for this identity: OK, or
 * STS_PRIMARYSID_MISSING (the pool finds its AD user by primary SID only),
 * or NOT_READY (no STS key loaded). */
ts_err ts_sts_can_issue(const struct ts_http_request *req, const char *primary_sid);

/* Issues the pool's token for session (groups and name from its record)
 * and answers the auto-post page to wreply. */
ts_err ts_sts_answer(const struct ts_http_request *req, struct ts_http_response *resp,
		     const struct ts_config_pool *pool, const struct ts_ticket_claims *session,
		     const char *wreply, const char *wctx);

#endif
