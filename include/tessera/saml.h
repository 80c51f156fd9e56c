/* saml/: strict validation of SAML 2.0 responses and WS-Fed (SAML 1.1 or 2.0)
 * tokens, IdP metadata import, SP metadata export, sign-in request building.
 * No libxml2, xmlsec or lasso type crosses this interface. */
#ifndef TESSERA_SAML_H
#define TESSERA_SAML_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/config.h"
#include "tessera/err.h"
#include "tessera/identity.h"

/* The SP's settings and every IdP's trust material, loaded once. Read-only
 * afterwards, so any number of threads may validate with it at once. */
struct ts_saml;

/* Free text for the operator: which value was wrong and what was expected. */
struct ts_saml_diag {
	char text[384];
};

ts_err ts_saml_new(const struct ts_config *cfg, ts_time now, struct ts_saml **out,
		   struct ts_saml_diag *diag);
void ts_saml_free(struct ts_saml *saml);
/* Library set-up and tear-down for the process (libxml2, xmlsec). */
ts_err ts_saml_library_init(void);
void ts_saml_library_shutdown(void);

struct ts_saml_check {
	ts_time now;
	/* The ID of the request this answer must be for; NULL when none is
	 * outstanding (then only an unsolicited answer can pass). */
	const char *in_response_to;
	/* Offline inspection: InResponseTo and the unsolicited rule are skipped
	 * (replay is the caller's, and is skipped there too). */
	bool offline;
};

/* Which endpoint the message arrived at: it decides the expected audience
 * (entity ID or WS-Fed realm) and which shapes are acceptable. */
enum ts_saml_endpoint { TS_SAML_ACS, TS_SAML_WSFED, TS_SAML_ANY };

/* Validates one decoded message (XML text) from IdP idp_name against the
 * whole checklist. On success *out owns the identity; on failure the error
 * names the check and diag says what was found. Every rejection is logged. */
ts_err ts_saml_validate(const struct ts_saml *saml, const char *idp_name,
			enum ts_saml_endpoint endpoint, const char *xml, size_t len,
			const struct ts_saml_check *check, struct ts_identity **out,
			struct ts_saml_diag *diag);

/* When trust in IdP idp_name's metadata ends (the earliest validUntil in
 * its file): from then on its answers are refused as SAML_METADATA_EXPIRED
 * until a reload reads a fresh file. 0: no validUntil (or no such IdP). */
ts_time ts_saml_idp_valid_until(const struct ts_saml *saml, const char *idp_name);

/* Decoders for what a browser posts: the base64 of SAMLResponse (whitespace
 * and CRLF allowed, as SiteMinder wraps it); a Redirect-binding parameter
 * (base64 of raw deflate), inflated up to max_out bytes. *out is malloc'd and
 * NUL-terminated. */
ts_err ts_saml_decode_base64(const char *in, size_t len, size_t max_out, char **out,
			     size_t *out_len);
ts_err ts_saml_decode_redirect(const char *in, size_t len, size_t max_out, char **out,
			       size_t *out_len);

/* A sign-in request to an IdP, in the IdP's protocol: SAML 2.0 AuthnRequest
 * over HTTP-Redirect (deflate + base64, RSA-SHA256 signed when configured),
 * or WS-Fed wsignin1.0. */
struct ts_signin_request {
	const char *idp;
	const char *relay_state; /* RelayState / wctx; may be NULL */
	const char *request_id;	 /* AuthnRequest ID to use; NULL: a random one */
	bool mfa;		 /* ask for a second factor (RequestedAuthnContext / wauth) */
	bool force_authn;	 /* ask again despite an IdP session (ForceAuthn / wfresh=0) */
	ts_time now;
};

/* *url is where to redirect the browser; *request_id the AuthnRequest ID to
 * remember as outstanding (NULL for WS-Fed, which correlates by wctx). */
ts_err ts_saml_signin_url(const struct ts_saml *saml, const struct ts_signin_request *req,
			  char **url, char **request_id, struct ts_saml_diag *diag);

/* Our SP metadata (entity ID, ACS, WS-Fed endpoint, certificates) as XML. */
ts_err ts_saml_sp_metadata(const struct ts_saml *saml, char **xml, size_t *len);

#endif
