/* What a validated assertion says about the user: the only thing saml/
 * hands to the rest of Tessera. */
#ifndef TESSERA_IDENTITY_H
#define TESSERA_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"

struct ts_identity_attr {
	char *name; /* claim URI; SAML 1.1: AttributeNamespace "/" AttributeName */
	char **values;
	size_t n_values;
};

struct ts_identity {
	char *idp;      /* configured IdP name */
	char *issuer;   /* its entity ID */
	char *protocol; /* "saml2", "wsfed-saml11" or "wsfed-saml2" */
	char *subject;  /* NameID / NameIdentifier; NULL if the assertion has none */
	char *subject_format;
	char *upn;
	char *primary_sid;
	char **groups; /* group SIDs */
	size_t n_groups;
	char **amr; /* authentication methods, every spelling */
	size_t n_amr;
	bool mfa;
	ts_time authn_instant;
	ts_time session_expiry;   /* SessionNotOnOrAfter, else the assertion's end */
	ts_time not_on_or_after;  /* the assertion's end: how long to remember its ID */
	char *assertion_id;
	char *in_response_to;
	struct ts_identity_attr *attrs;
	size_t n_attrs;
};

void ts_identity_free(struct ts_identity *id);
/* The values of one attribute, or NULL. */
const struct ts_identity_attr *ts_identity_attr(const struct ts_identity *id, const char *name);

#endif
