/* FederationMetadata.xml for the pools (their WsFedPassiveMetadataUri):
 * what ADFS publishes about itself as a WS-Fed passive STS. Pools take the
 * issuer and the signing certificates from it (sfb-protocol.md 7), so it
 * lists every certificate a token in flight may be signed with: the next
 * key's (before it signs), the signing key's, and recently replaced ones.
 * Signed as a whole by the signing key, as ADFS signs its own. */
#include <string.h>

#include "sts_internal.h"

static xmlNodePtr add(bool *failed, xmlNodePtr parent, xmlNsPtr ns, const char *name,
		      const char *text)
{
	xmlNodePtr n = parent != NULL ? xmlNewTextChild(parent, ns, BAD_CAST name, BAD_CAST text)
				      : NULL;

	*failed |= n == NULL;
	return n;
}

static void prop(bool *failed, xmlNodePtr n, xmlNsPtr ns, const char *name, const char *value)
{
	*failed |= n == NULL || xmlNewNsProp(n, ns, BAD_CAST name, BAD_CAST value) == NULL;
}

static void key_descriptor(bool *failed, xmlNodePtr role, xmlNsPtr md, xmlNsPtr ds,
			   const char *cert_b64)
{
	xmlNodePtr kd = add(failed, role, md, "KeyDescriptor", NULL);

	prop(failed, kd, NULL, "use", "signing");
	add(failed,
	    add(failed, add(failed, kd, ds, "KeyInfo", NULL), ds, "X509Data", NULL), ds,
	    "X509Certificate", cert_b64);
}

static void endpoint(bool *failed, xmlNodePtr role, xmlNsPtr fed, xmlNsPtr wsa,
		     const char *name, const char *url)
{
	add(failed, add(failed, add(failed, role, fed, name, NULL), wsa, "EndpointReference", NULL),
	    wsa, "Address", url);
}

static void claim_types(bool *failed, xmlNodePtr role, xmlNsPtr fed, xmlNsPtr auth)
{
	xmlNodePtr offered = add(failed, role, fed, "ClaimTypesOffered", NULL);

	for (size_t i = 0; i < ts_sts_n_claims_offered; i++) {
		const struct ts_sts_claim *c = ts_sts_claims_offered[i];
		size_t ns_len = strlen(c->ns), name_len = strlen(c->name);
		char uri[256];
		xmlNodePtr ct;

		if (ns_len + 1 + name_len >= sizeof uri) {
			*failed = true;
			return;
		}
		/* The claim URI is the SAML 1.1 namespace "/" name. */
		memcpy(uri, c->ns, ns_len);
		uri[ns_len] = '/';
		memcpy(uri + ns_len + 1, c->name, name_len + 1);
		ct = add(failed, offered, auth, "ClaimType", NULL);
		prop(failed, ct, NULL, "Uri", uri);
		prop(failed, ct, NULL, "Optional", "true");
		add(failed, ct, auth, "DisplayName", c->display);
	}
}

static xmlDocPtr build(bool *failed, const struct ts_sts_keys *keys, ts_time now,
		       const struct ts_sts_metadata_params *p, const char *id, xmlNodePtr *root_out)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = doc != NULL ? xmlNewDocNode(doc, NULL, BAD_CAST "EntityDescriptor", NULL)
				      : NULL;
	xmlNsPtr md, ds, fed, wsa, xsi, auth;
	xmlNodePtr role;

	*root_out = NULL;
	if (root == NULL) {
		*failed = true;
		return doc;
	}
	xmlDocSetRootElement(doc, root);
	md = xmlNewNs(root, BAD_CAST TS_NS_MD, BAD_CAST "md");
	ds = xmlNewNs(root, BAD_CAST TS_NS_DSIG, BAD_CAST "ds");
	fed = xmlNewNs(root, BAD_CAST TS_NS_FED, BAD_CAST "fed");
	wsa = xmlNewNs(root, BAD_CAST TS_NS_WSA, BAD_CAST "wsa");
	xsi = xmlNewNs(root, BAD_CAST TS_NS_XSI, BAD_CAST "xsi");
	auth = xmlNewNs(root, BAD_CAST TS_NS_AUTH, BAD_CAST "auth");
	if (md == NULL || ds == NULL || fed == NULL || wsa == NULL || xsi == NULL || auth == NULL) {
		*failed = true;
		return doc;
	}
	xmlSetNs(root, md);
	prop(failed, root, NULL, "ID", id);
	prop(failed, root, NULL, "entityID", p->entity_id);

	role = add(failed, root, md, "RoleDescriptor", NULL);
	prop(failed, role, xsi, "type", "fed:SecurityTokenServiceType");
	prop(failed, role, NULL, "protocolSupportEnumeration", TS_NS_FED);
	for (size_t i = 0; i < keys->n; i++) {
		enum ts_sts_key_state s = ts_sts_key_state_at(keys, i, now);
		if (s != TS_STS_KEY_RETIRED)
			key_descriptor(failed, role, md, ds, keys->keys[i].cert_b64);
	}
	claim_types(failed, role, fed, auth);
	/* The schema requires an active endpoint (minOccurs 1) and Tessera has
	 * none; like Azure AD and IdentityServer, it names the passive one. */
	endpoint(failed, role, fed, wsa, "SecurityTokenServiceEndpoint", p->passive_url);
	endpoint(failed, role, fed, wsa, "PassiveRequestorEndpoint", p->passive_url);
	*root_out = root;
	return doc;
}

ts_err ts_sts_metadata(const struct ts_sts_keys *keys, ts_time now,
		       const struct ts_sts_metadata_params *p, char **xml, size_t *len)
{
	const struct ts_sts_key *key = ts_sts_signing_key(keys, now);
	bool failed = false;
	char id[34];
	xmlDocPtr doc = NULL;
	xmlNodePtr root = NULL;
	ts_err err;

	*xml = NULL;
	*len = 0;
	if (p->entity_id == NULL || *p->entity_id == '\0' || p->passive_url == NULL ||
	    *p->passive_url == '\0')
		return TS_ERR_INVALID_ARGUMENT;
	if (!ts_sts_xml_text_ok(p->entity_id) || !ts_sts_xml_text_ok(p->passive_url))
		return TS_ERR_STS_CLAIM_VALUE;
	if (key == NULL || key->xkey == NULL)
		return TS_ERR_STS_KEYS_EMPTY;
	if ((err = ts_sts_random_id(id)) != TS_ERR_OK)
		return err;
	doc = build(&failed, keys, now, p, id, &root);
	if (failed || root == NULL) {
		err = TS_ERR_XML_BUILD;
		goto out;
	}
	if ((err = ts_sts_register_id(root, "ID")) != TS_ERR_OK ||
	    (err = ts_sts_sign(key, root, id, true)) != TS_ERR_OK)
		goto out;
	err = ts_sts_serialize(doc, xml, len);
out:
	xmlFreeDoc(doc);
	return err;
}
