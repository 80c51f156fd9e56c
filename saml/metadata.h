/* Private to saml/: what an IdP's metadata gives us. */
#ifndef TS_SAML_METADATA_H
#define TS_SAML_METADATA_H

#include "internal.h"

struct ts_metadata {
	char *entity_id;
	char *sso_redirect_url; /* SAML 2.0 HTTP-Redirect SingleSignOnService */
	char *passive_url;      /* WS-Fed PassiveRequestorEndpoint */
	xmlSecKeyPtr *keys;     /* signing certificates */
	size_t n_keys;
	ts_time valid_until; /* the earliest validUntil in the file; 0: none */
};

/* pinned: if not NULL, the metadata must carry a valid signature by it.
 * A validUntil already past is kept in md, not refused. */
ts_err ts_metadata_load(const char *path, const char *entity_id, xmlSecKeyPtr pinned,
			struct ts_metadata *md, struct ts_saml_diag *diag);
void ts_metadata_clear(struct ts_metadata *md);

#endif
