/* Our SP metadata, for the IdP administrator: one EntityDescriptor with a
 * SAML 2.0 SPSSODescriptor and, for ADFS relying-party trusts over WS-Fed,
 * a fed:ApplicationServiceType RoleDescriptor. (lasso only reads metadata,
 * it does not write it; the suite loads this output into lasso.) */
#include <glib.h>
#include <libxml/tree.h>
#include <string.h>

#include "internal.h"

#define XSI "http://www.w3.org/2001/XMLSchema-instance"

static void key_descriptor(xmlNodePtr role, xmlNsPtr md, xmlNsPtr ds, const char *use,
			   const char *cert_b64)
{
	xmlNodePtr kd = xmlNewChild(role, md, BAD_CAST "KeyDescriptor", NULL);
	xmlNodePtr ki = xmlNewChild(kd, ds, BAD_CAST "KeyInfo", NULL);
	xmlNodePtr x509 = xmlNewChild(ki, ds, BAD_CAST "X509Data", NULL);

	xmlNewProp(kd, BAD_CAST "use", BAD_CAST use);
	xmlNewTextChild(x509, ds, BAD_CAST "X509Certificate", BAD_CAST cert_b64);
}

static void endpoint_reference(xmlNodePtr parent, xmlNsPtr ns, const char *name, xmlNsPtr wsa,
			       const char *address)
{
	xmlNodePtr n = xmlNewChild(parent, ns, BAD_CAST name, NULL);
	xmlNodePtr epr = xmlNewChild(n, wsa, BAD_CAST "EndpointReference", NULL);

	xmlNewTextChild(epr, wsa, BAD_CAST "Address", BAD_CAST address);
}

ts_err ts_saml_sp_metadata(const struct ts_saml *saml, char **xml, size_t *len)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "EntityDescriptor", NULL);
	xmlNsPtr md = xmlNewNs(root, BAD_CAST TS_NS_MD, BAD_CAST "md");
	xmlNsPtr ds = xmlNewNs(root, BAD_CAST TS_NS_DSIG, BAD_CAST "ds");
	xmlNsPtr fed = xmlNewNs(root, BAD_CAST TS_NS_FED, BAD_CAST "fed");
	xmlNsPtr wsa = xmlNewNs(root, BAD_CAST TS_NS_WSA, BAD_CAST "wsa");
	xmlNsPtr xsi = xmlNewNs(root, BAD_CAST XSI, BAD_CAST "xsi");
	xmlNodePtr sp, acs, rp;
	xmlChar *out = NULL;
	int out_len = 0;

	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, md);
	xmlNewProp(root, BAD_CAST "entityID", BAD_CAST saml->entity_id);

	sp = xmlNewChild(root, md, BAD_CAST "SPSSODescriptor", NULL);
	xmlNewProp(sp, BAD_CAST "AuthnRequestsSigned",
		   BAD_CAST(saml->sign_authn_requests ? "true" : "false"));
	xmlNewProp(sp, BAD_CAST "WantAssertionsSigned", BAD_CAST "true");
	xmlNewProp(sp, BAD_CAST "protocolSupportEnumeration", BAD_CAST TS_NS_SAML2P);
	if (saml->signing_cert_b64 != NULL)
		key_descriptor(sp, md, ds, "signing", saml->signing_cert_b64);
	if (saml->decryption_cert_b64 != NULL)
		key_descriptor(sp, md, ds, "encryption", saml->decryption_cert_b64);
	acs = xmlNewChild(sp, md, BAD_CAST "AssertionConsumerService", NULL);
	xmlNewProp(acs, BAD_CAST "Binding",
		   BAD_CAST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
	xmlNewProp(acs, BAD_CAST "Location", BAD_CAST saml->acs_url);
	xmlNewProp(acs, BAD_CAST "index", BAD_CAST "0");
	xmlNewProp(acs, BAD_CAST "isDefault", BAD_CAST "true");

	rp = xmlNewChild(root, md, BAD_CAST "RoleDescriptor", NULL);
	xmlNewNsProp(rp, xsi, BAD_CAST "type", BAD_CAST "fed:ApplicationServiceType");
	xmlNewProp(rp, BAD_CAST "protocolSupportEnumeration", BAD_CAST TS_NS_FED);
	if (saml->decryption_cert_b64 != NULL)
		key_descriptor(rp, md, ds, "encryption", saml->decryption_cert_b64);
	endpoint_reference(rp, fed, "TargetScopes", wsa, saml->realm);
	/* The schema requires an application endpoint (minOccurs 1); the
	 * passive one is the only one there is, as in Azure AD's metadata. */
	endpoint_reference(rp, fed, "ApplicationServiceEndpoint", wsa, saml->wsfed_url);
	endpoint_reference(rp, fed, "PassiveRequestorEndpoint", wsa, saml->wsfed_url);

	xmlDocDumpFormatMemoryEnc(doc, &out, &out_len, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (out == NULL)
		return TS_ERR_XML_BUILD;
	*xml = g_strndup((const char *)out, (gsize)out_len);
	*len = (size_t)out_len;
	xmlFree(out);
	return TS_ERR_OK;
}
