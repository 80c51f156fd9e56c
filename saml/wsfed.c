/* WS-Federation passive: the wresult is a WS-Trust RSTR (2005/02 as ADFS
 * sends it, or a WS-Trust 1.3 collection) whose RequestedSecurityToken holds
 * one SAML 1.1 or SAML 2.0 assertion, possibly encrypted. */
#include <glib.h>
#include <string.h>

#include "internal.h"

#define WSA_2004 "http://schemas.xmlsoap.org/ws/2004/08/addressing"

static bool is_rstr(const xmlNode *n)
{
	return ts_xml_is(n, TS_NS_WST2005, "RequestSecurityTokenResponse") ||
	       ts_xml_is(n, TS_NS_WST13, "RequestSecurityTokenResponse");
}

static const char *trust_ns(const xmlNode *rstr)
{
	return (const char *)rstr->ns->href;
}

static ts_err check_applies_to(struct ts_check_ctx *c, const xmlNode *rstr)
{
	xmlNodePtr applies = ts_xml_child(rstr, TS_NS_WSP, "AppliesTo");
	xmlNodePtr epr, addr;
	char *text = NULL;
	ts_err err;

	if (applies == NULL)
		return TS_ERR_OK; /* the assertion's audience is checked regardless */
	epr = ts_xml_child(applies, TS_NS_WSA, "EndpointReference");
	if (epr == NULL)
		epr = ts_xml_child(applies, WSA_2004, "EndpointReference");
	addr = epr != NULL ? ts_xml_child(epr, (const char *)epr->ns->href, "Address") : NULL;
	if (addr == NULL)
		return ts_saml_fail(c->diag, TS_ERR_SAML_AUDIENCE, "AppliesTo without an Address");
	if ((err = ts_xml_text(addr, &text, c->diag)) != TS_ERR_OK)
		return err;
	if (strcmp(text, c->audience) != 0)
		err = ts_saml_fail(c->diag, TS_ERR_SAML_AUDIENCE,
				   "AppliesTo '%.100s', expected '%.100s'", text, c->audience);
	g_free(text);
	return err;
}

/* A bare assertion or the content of RequestedSecurityToken. */
ts_err ts_wsfed_check_token(struct ts_check_ctx *c, xmlNodePtr token, const char *recipient)
{
	if (ts_xml_is(token, TS_NS_SAML1, "Assertion")) {
		c->id->protocol = g_strdup("wsfed-saml11");
		return ts_saml11_check_assertion(c, token);
	}
	c->id->protocol = g_strdup("wsfed-saml2");
	/* No Recipient is required in a WS-Fed token; one that is there must
	 * name our WS-Fed endpoint. */
	return ts_saml2_check_assertion(c, token, false, recipient, false);
}

ts_err ts_wsfed_check_rstr(struct ts_check_ctx *c, xmlNodePtr root)
{
	xmlNodePtr rstr = root, rst_token, token = NULL;
	size_t anywhere;
	ts_err err;

	if (ts_xml_is(root, TS_NS_WST13, "RequestSecurityTokenResponseCollection")) {
		if (ts_xml_count_children(root, TS_NS_WST13, "RequestSecurityTokenResponse") != 1)
			return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
					    "collection must hold exactly one RSTR");
		rstr = ts_xml_child(root, TS_NS_WST13, "RequestSecurityTokenResponse");
	}
	if (!is_rstr(rstr))
		return ts_saml_fail(c->diag, TS_ERR_SAML_SHAPE, "not a WS-Trust RSTR");
	if ((err = check_applies_to(c, rstr)) != TS_ERR_OK)
		return err;
	rst_token = ts_xml_child(rstr, trust_ns(rstr), "RequestedSecurityToken");
	for (xmlNodePtr n = rst_token != NULL ? rst_token->children : NULL; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (token != NULL)
			return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
					    "RequestedSecurityToken holds more than one token");
		token = n;
	}
	anywhere = ts_xml_count_descendants(root, TS_NS_SAML1, "Assertion") +
		   ts_xml_count_descendants(root, TS_NS_SAML2, "Assertion") +
		   ts_xml_count_descendants(root, TS_NS_SAML2, "EncryptedAssertion") +
		   ts_xml_count_descendants(root, TS_NS_XENC, "EncryptedData");
	if (token == NULL || anywhere != 1)
		return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
				    "%zu tokens in the RSTR, want 1", token == NULL ? 0 : anywhere);
	if (ts_xml_is(token, TS_NS_XENC, "EncryptedData") ||
	    ts_xml_is(token, TS_NS_SAML2, "EncryptedAssertion")) {
		if ((err = ts_xml_decrypt(c->saml, token, &token, c->diag)) != TS_ERR_OK ||
		    (err = ts_xml_check_limits_and_ids(root->doc, c->diag)) != TS_ERR_OK)
			return err;
		if (ts_xml_count_descendants(root, TS_NS_SAML1, "Assertion") +
			    ts_xml_count_descendants(root, TS_NS_SAML2, "Assertion") !=
		    1)
			return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
					    "decrypted token carries another assertion");
	}
	if (!ts_xml_is(token, TS_NS_SAML1, "Assertion") &&
	    !ts_xml_is(token, TS_NS_SAML2, "Assertion"))
		return ts_saml_fail(c->diag, TS_ERR_SAML_SHAPE, "token <%s> is not an assertion",
				    (const char *)token->name);
	return ts_wsfed_check_token(c, token, c->saml->wsfed_url);
}
