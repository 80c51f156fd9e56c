/* Private to saml/: trust material and the helpers the checks share. */
#ifndef TS_SAML_INTERNAL_H
#define TS_SAML_INTERNAL_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <xmlsec/keys.h>

#include "tessera/saml.h"

#define TS_NS_SAML2 "urn:oasis:names:tc:SAML:2.0:assertion"
#define TS_NS_SAML2P "urn:oasis:names:tc:SAML:2.0:protocol"
#define TS_NS_SAML1 "urn:oasis:names:tc:SAML:1.0:assertion"
#define TS_NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define TS_NS_XENC "http://www.w3.org/2001/04/xmlenc#"
#define TS_NS_WST2005 "http://schemas.xmlsoap.org/ws/2005/02/trust"
#define TS_NS_WST13 "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
#define TS_NS_WSP "http://schemas.xmlsoap.org/ws/2004/09/policy"
#define TS_NS_WSA "http://www.w3.org/2005/08/addressing"
#define TS_NS_MD "urn:oasis:names:tc:SAML:2.0:metadata"
#define TS_NS_FED "http://docs.oasis-open.org/wsfed/federation/200706"

#define TS_CLAIM_UPN "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
#define TS_CLAIM_PRIMARYSID "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid"
#define TS_CLAIM_GROUPSID "http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid"
#define TS_CLAIM_AMR "http://schemas.microsoft.com/claims/authnmethodsreferences"

/* Limits applied while parsing, before any check looks at content. */
#define TS_XML_MAX_DEPTH 48
#define TS_XML_MAX_ATTRS 32
#define TS_XML_MAX_NODES 20000
#define TS_MAX_ATTR_VALUES 2048
#define TS_MAX_TEXT 8192

struct ts_saml_idp {
	char *name;
	char *entity_id;
	char *protocol;
	char *sso_url;
	xmlSecKeyPtr *keys; /* signing keys: metadata and pinned certs */
	size_t n_keys;
	ts_time valid_until; /* metadata's validUntil: trust ends there; 0: none */
	bool allow_sha1;
	bool allow_unsolicited;
	long clock_skew;
	char **mfa_values; /* NULL-terminated, owned by the config copy */
};

struct ts_saml {
	char *entity_id;
	char *acs_url;
	char *wsfed_url;
	char *realm;
	size_t max_message_bytes;
	EVP_PKEY *decryption_key; /* NULL: encrypted assertions refused */
	EVP_PKEY *signing_key;	  /* NULL: AuthnRequests go unsigned */
	bool sign_authn_requests;
	char *signing_cert_b64;	   /* DER, base64, for our metadata; NULL if none */
	char *decryption_cert_b64;
	struct ts_saml_idp *idps;
	size_t n_idps;
};

const struct ts_saml_idp *ts_saml_find_idp(const struct ts_saml *saml, const char *name);
/* SAML_METADATA_EXPIRED once now reaches the metadata's validUntil. */
ts_err ts_saml_idp_current(const struct ts_saml_idp *idp, ts_time now, struct ts_saml_diag *diag);

/* diag helpers: set text and return err, so checks read `return fail(...)`. */
ts_err ts_saml_fail(struct ts_saml_diag *diag, ts_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* xml_safe.c: parsing with caps, and reading the tree strictly. */
ts_err ts_xml_parse(const char *buf, size_t len, size_t max_len, xmlDocPtr *out,
		    struct ts_saml_diag *diag);
ts_err ts_xml_check_limits_and_ids(xmlDocPtr doc, struct ts_saml_diag *diag);
bool ts_xml_is(const xmlNode *n, const char *ns, const char *name);
xmlNodePtr ts_xml_child(const xmlNode *parent, const char *ns, const char *name);
size_t ts_xml_count_children(const xmlNode *parent, const char *ns, const char *name);
size_t ts_xml_count_descendants(const xmlNode *root, const char *ns, const char *name);
xmlNodePtr ts_xml_first_element(const xmlNode *parent);
/* The text of an element as the signature saw it: all text children joined
 * (comments dropped), an element child is an error. Caller frees. */
ts_err ts_xml_text(const xmlNode *n, char **out, struct ts_saml_diag *diag);
/* The same for attribute values: element children are skipped, not refused. */
ts_err ts_xml_value_text(const xmlNode *n, char **out, struct ts_saml_diag *diag);
/* An attribute's value, or NULL. The pointer lives as long as the doc. */
const char *ts_xml_attr(const xmlNode *n, const char *name);
/* Registers attr of n as an ID so a same-document reference can resolve it. */
ts_err ts_xml_register_id(xmlNodePtr n, const char *attr, struct ts_saml_diag *diag);

/* signature.c: the one enveloped signature of elem, by elem's ID, with the
 * IdP's keys only. *is_signed false (and OK) when elem carries none. */
ts_err ts_xml_verify_enveloped(xmlNodePtr elem, const char *id, const struct ts_saml_idp *idp,
			       bool *is_signed, struct ts_saml_diag *diag);
/* The same with one explicit key (metadata signed by a pinned cert). */
ts_err ts_xml_verify_with_keys(xmlNodePtr elem, const char *id, xmlSecKeyPtr *keys,
			       size_t n_keys, bool allow_sha1, bool *is_signed,
			       struct ts_saml_diag *diag);

/* decrypt.c: replaces an EncryptedAssertion's (or RSTR's) EncryptedData
 * with its plaintext assertion; *assertion is that element. */
ts_err ts_xml_decrypt(const struct ts_saml *saml, xmlNodePtr container, xmlNodePtr *assertion,
		      struct ts_saml_diag *diag);

/* conditions.c: checks both protocols share. */
struct ts_check_ctx {
	const struct ts_saml *saml;
	const struct ts_saml_idp *idp;
	const struct ts_saml_check *check;
	const char *audience; /* entity ID (SAML 2.0 ACS) or realm (WS-Fed) */
	struct ts_identity *id;
	struct ts_saml_diag *diag;
};
ts_err ts_check_time_window(struct ts_check_ctx *c, const char *not_before,
			    const char *not_on_or_after, const char *what);
/* Conditions: the validity window, and every audience restriction (named
 * restriction in namespace ns) naming c->audience. */
ts_err ts_check_conditions(struct ts_check_ctx *c, const xmlNode *assertion, const char *ns,
			   const char *restriction);
ts_err ts_check_in_response_to(struct ts_check_ctx *c, const char *value);
ts_err ts_identity_add_attr(struct ts_identity *id, const char *name, const xmlNode *attr,
			    const char *value_ns, const char *value_name, struct ts_saml_diag *diag);
ts_err ts_identity_add_amr(struct ts_identity *id, const char *method);
ts_err ts_identity_finish(struct ts_check_ctx *c);

/* saml2.c, saml11.c, wsfed.c: the protocol checks. */
ts_err ts_saml2_check_response(struct ts_check_ctx *c, xmlNodePtr response);
/* recipient: the endpoint a SubjectConfirmationData Recipient must name;
 * recipient_required: the SAML 2.0 Web SSO profile demands one. */
ts_err ts_saml2_check_assertion(struct ts_check_ctx *c, xmlNodePtr assertion,
				bool signed_outside, const char *recipient, bool recipient_required);
ts_err ts_saml11_check_assertion(struct ts_check_ctx *c, xmlNodePtr assertion);
ts_err ts_wsfed_check_rstr(struct ts_check_ctx *c, xmlNodePtr rstr);
/* A bare assertion (either version) received as a WS-Fed token. */
ts_err ts_wsfed_check_token(struct ts_check_ctx *c, xmlNodePtr token, const char *recipient);

#endif
