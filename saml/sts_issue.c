/* The token a pool gets from its STS for WS-Fed passive sign-in, shaped as
 * ADFS sends it (sfb-protocol.md 6 and 7): a WS-Trust 2005 RSTR whose
 * RequestedSecurityToken is a SAML 1.1 assertion with the primarysid claim
 * (what the pool maps to the AD user), signed by the current token-signing
 * key. Built straight into a tree with every value escaped by libxml2; the
 * key was loaded once, so a token costs no file I/O. */
#include <string.h>

#include "sts_internal.h"
#include "tessera/log.h"

#define NS_CLAIMS_2008 "http://schemas.microsoft.com/ws/2008/06/identity/claims"
#define NS_CLAIMS_2005 "http://schemas.xmlsoap.org/ws/2005/05/identity/claims"
#define TOKEN_TYPE_SAML11 "urn:oasis:names:tc:SAML:1.0:assertion"
#define REQUEST_ISSUE "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue"
#define KEY_NO_PROOF "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"
#define CM_BEARER "urn:oasis:names:tc:SAML:1.0:cm:bearer"
#define AM_PASSWORD "urn:oasis:names:tc:SAML:1.0:am:password"
#define AM_MULTIPLE "http://schemas.microsoft.com/claims/multipleauthn"

const struct ts_sts_claim ts_sts_claim_primarysid = {NS_CLAIMS_2008, "primarysid",
						     "Primary SID"};
const struct ts_sts_claim ts_sts_claim_upn = {NS_CLAIMS_2005, "upn", "UPN"};
const struct ts_sts_claim ts_sts_claim_name = {NS_CLAIMS_2005, "name", "Name"};
const struct ts_sts_claim ts_sts_claim_groupsid = {NS_CLAIMS_2008, "groupsid", "Group SID"};
const struct ts_sts_claim ts_sts_claim_amr = {"http://schemas.microsoft.com/claims",
					      "authnmethodsreferences",
					      "Authentication Methods References"};
const struct ts_sts_claim *const ts_sts_claims_offered[] = {
	&ts_sts_claim_primarysid, &ts_sts_claim_upn, &ts_sts_claim_name, &ts_sts_claim_groupsid,
	&ts_sts_claim_amr,
};
const size_t ts_sts_n_claims_offered =
	sizeof ts_sts_claims_offered / sizeof ts_sts_claims_offered[0];

/* Tree building with one sticky failure flag: a NULL parent makes every
 * later call return NULL too, so the result is checked once, at the end. */
struct build {
	xmlNsPtr saml;
	bool failed;
};

static xmlNodePtr add(struct build *b, xmlNodePtr parent, xmlNsPtr ns, const char *name,
		      const char *text)
{
	xmlNodePtr n = parent != NULL ? xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text)
				      : NULL;

	b->failed |= n == NULL;
	return n;
}

static void prop(struct build *b, xmlNodePtr n, const char *name, const char *value)
{
	b->failed |= n == NULL || xmlNewProp(n, BAD_CAST name, BAD_CAST value) == NULL;
}

/* The same bearer Subject in both statements, as ADFS writes it. */
static void subject(struct build *b, xmlNodePtr statement, const struct ts_sts_token *t)
{
	xmlNodePtr s = add(b, statement, b->saml, "Subject", NULL);

	if (t->name_id != NULL && *t->name_id != '\0')
		add(b, s, b->saml, "NameIdentifier", t->name_id);
	add(b, add(b, s, b->saml, "SubjectConfirmation", NULL), b->saml, "ConfirmationMethod",
	    CM_BEARER);
}

static void attribute(struct build *b, xmlNodePtr statement, const struct ts_sts_claim *c,
		      const char *const *values, size_t n)
{
	xmlNodePtr a;

	if (n == 0)
		return;
	a = add(b, statement, b->saml, "Attribute", NULL);
	prop(b, a, "AttributeName", c->name);
	prop(b, a, "AttributeNamespace", c->ns);
	for (size_t i = 0; i < n; i++)
		add(b, a, b->saml, "AttributeValue", values[i]);
}

static size_t one(const char *value)
{
	return value != NULL && *value != '\0';
}

static xmlNodePtr assertion(struct build *b, xmlNodePtr parent, const struct ts_sts_token *t,
			    const char *id, const char *now, const char *end, const char *authn)
{
	xmlNodePtr a = add(b, parent, NULL, "Assertion", NULL), cond, st;

	if (a == NULL || (b->saml = xmlNewNs(a, BAD_CAST TS_NS_SAML1, BAD_CAST "saml")) == NULL) {
		b->failed = true;
		return NULL;
	}
	xmlSetNs(a, b->saml);
	prop(b, a, "MajorVersion", "1");
	prop(b, a, "MinorVersion", "1");
	prop(b, a, "AssertionID", id);
	prop(b, a, "Issuer", t->issuer);
	prop(b, a, "IssueInstant", now);
	cond = add(b, a, b->saml, "Conditions", NULL);
	prop(b, cond, "NotBefore", now);
	prop(b, cond, "NotOnOrAfter", end);
	add(b, add(b, cond, b->saml, "AudienceRestrictionCondition", NULL), b->saml, "Audience",
	    t->audience);

	st = add(b, a, b->saml, "AttributeStatement", NULL);
	subject(b, st, t);
	attribute(b, st, &ts_sts_claim_primarysid, &t->primary_sid, 1);
	attribute(b, st, &ts_sts_claim_upn, &t->upn, one(t->upn));
	attribute(b, st, &ts_sts_claim_name, &t->name, one(t->name));
	attribute(b, st, &ts_sts_claim_groupsid, t->groups, t->n_groups);
	attribute(b, st, &ts_sts_claim_amr, t->amr, t->n_amr);

	st = add(b, a, b->saml, "AuthenticationStatement", NULL);
	prop(b, st, "AuthenticationMethod", t->mfa ? AM_MULTIPLE : AM_PASSWORD);
	prop(b, st, "AuthenticationInstant", authn);
	subject(b, st, t);
	return a;
}

/* The RSTR around the assertion; *token is the assertion. */
static xmlDocPtr rstr(struct build *b, const struct ts_sts_token *t, const char *id,
		      ts_time now, xmlNodePtr *token)
{
	char created[TS_TIME_ISO_LEN], expires[TS_TIME_ISO_LEN], authn[TS_TIME_ISO_LEN];
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = doc != NULL ? xmlNewDocNode(doc, NULL,
						      BAD_CAST "RequestSecurityTokenResponse", NULL)
				      : NULL;
	xmlNodePtr lifetime, applies, epr;
	xmlNsPtr trust, ns;

	ts_time_format(now, created);
	ts_time_format(now + t->lifetime, expires);
	ts_time_format(t->authn_instant != 0 ? t->authn_instant : now, authn);
	if (root == NULL || (trust = xmlNewNs(root, BAD_CAST TS_NS_WST2005, BAD_CAST "t")) == NULL) {
		b->failed = true;
		xmlFreeNode(root);
		return doc;
	}
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, trust);

	lifetime = add(b, root, trust, "Lifetime", NULL);
	ns = lifetime != NULL ? xmlNewNs(lifetime, BAD_CAST TS_NS_WSU, BAD_CAST "wsu") : NULL;
	b->failed |= ns == NULL;
	add(b, lifetime, ns, "Created", created);
	add(b, lifetime, ns, "Expires", expires);

	applies = add(b, root, NULL, "AppliesTo", NULL);
	if (applies != NULL && (ns = xmlNewNs(applies, BAD_CAST TS_NS_WSP, BAD_CAST "wsp")) != NULL)
		xmlSetNs(applies, ns);
	else
		b->failed = true;
	epr = add(b, applies, NULL, "EndpointReference", NULL);
	if (epr != NULL && (ns = xmlNewNs(epr, BAD_CAST TS_NS_WSA, BAD_CAST "wsa")) != NULL)
		xmlSetNs(epr, ns);
	else
		b->failed = true;
	add(b, epr, ns, "Address", t->audience);

	*token = assertion(b, add(b, root, trust, "RequestedSecurityToken", NULL), t, id, created,
			   expires, authn);
	add(b, root, trust, "TokenType", TOKEN_TYPE_SAML11);
	add(b, root, trust, "RequestType", REQUEST_ISSUE);
	add(b, root, trust, "KeyType", KEY_NO_PROOF);
	return doc;
}

static bool text_ok(const char *s)
{
	return s == NULL || ts_sts_xml_text_ok(s);
}

/* Everything a caller passes, before any tree is built. */
static ts_err check_token(const struct ts_sts_token *t)
{
	if (t->issuer == NULL || *t->issuer == '\0' || t->audience == NULL ||
	    *t->audience == '\0' || t->lifetime <= 0 || (t->n_groups > 0 && t->groups == NULL) ||
	    (t->n_amr > 0 && t->amr == NULL))
		return TS_ERR_INVALID_ARGUMENT;
	/* The claim the pool's issuance rule passes through and maps to the
	 * AD user (sfb-protocol.md 6): without it the pool refuses the token. */
	if (t->primary_sid == NULL || *t->primary_sid == '\0')
		return TS_ERR_STS_PRIMARYSID_MISSING;
	if (!text_ok(t->issuer) || !text_ok(t->audience) || !text_ok(t->name_id) ||
	    !text_ok(t->upn) || !text_ok(t->name) || !text_ok(t->primary_sid))
		return TS_ERR_STS_CLAIM_VALUE;
	for (size_t i = 0; i < t->n_groups; i++)
		if (t->groups[i] == NULL || !ts_sts_xml_text_ok(t->groups[i]))
			return TS_ERR_STS_CLAIM_VALUE;
	for (size_t i = 0; i < t->n_amr; i++)
		if (t->amr[i] == NULL || !ts_sts_xml_text_ok(t->amr[i]))
			return TS_ERR_STS_CLAIM_VALUE;
	return TS_ERR_OK;
}

ts_err ts_sts_issue(const struct ts_sts_keys *keys, ts_time now, const struct ts_sts_token *t,
		    char **wresult, size_t *len)
{
	const struct ts_sts_key *key = ts_sts_signing_key(keys, now);
	struct build b = {0};
	char id[34];
	xmlDocPtr doc = NULL;
	xmlNodePtr token = NULL;
	ts_err err;

	*wresult = NULL;
	*len = 0;
	if ((err = check_token(t)) != TS_ERR_OK)
		goto out;
	/* No key active yet, or asked for a time before the snapshot's (the
	 * keys older than the load-time signer were never read). */
	if (key == NULL || key->xkey == NULL) {
		err = TS_ERR_STS_KEYS_EMPTY;
		goto out;
	}
	if ((err = ts_sts_random_id(id)) != TS_ERR_OK)
		goto out;
	doc = rstr(&b, t, id, now, &token);
	if (b.failed || token == NULL) {
		err = TS_ERR_XML_BUILD;
		goto out;
	}
	if ((err = ts_sts_register_id(token, "AssertionID")) != TS_ERR_OK ||
	    (err = ts_sts_sign(key, token, id, false)) != TS_ERR_OK ||
	    (err = ts_sts_serialize(doc, wresult, len)) != TS_ERR_OK)
		goto out;
out:
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_WARN, "sts_issue_failed", err, "audience",
			     t->audience != NULL ? t->audience : "");
	xmlFreeDoc(doc);
	return err;
}
