/* IdP metadata: ADFS FederationMetadata.xml (an IDPSSODescriptor and a WS-Fed
 * SecurityTokenServiceType RoleDescriptor in one EntityDescriptor) or plain
 * SAML 2.0 IdP metadata. Signing certificates become keys; encryption ones
 * are ignored. Optionally the file must be signed by a pinned certificate. */
#include <glib.h>
#include <string.h>
#include <xmlsec/crypto.h>

#include "metadata.h"

#define MAX_METADATA_BYTES (4 * 1024 * 1024)
#define REDIRECT_BINDING "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

void ts_metadata_clear(struct ts_metadata *md)
{
	g_free(md->entity_id);
	g_free(md->sso_redirect_url);
	g_free(md->passive_url);
	for (size_t i = 0; i < md->n_keys; i++)
		xmlSecKeyDestroy(md->keys[i]);
	g_free(md->keys);
	memset(md, 0, sizeof *md);
}

static ts_err add_cert(struct ts_metadata *md, const xmlNode *x509cert, struct ts_saml_diag *diag)
{
	char *text = NULL, *der = NULL;
	size_t der_len = 0;
	xmlSecKeyPtr key;
	ts_err err;

	if ((err = ts_xml_text(x509cert, &text, diag)) != TS_ERR_OK)
		return err;
	err = ts_saml_decode_base64(text, strlen(text), 65536, &der, &der_len);
	g_free(text);
	if (err != TS_ERR_OK)
		return ts_saml_fail(diag, TS_ERR_SAML_METADATA, "X509Certificate is not base64");
	key = xmlSecCryptoAppKeyLoadMemory((const xmlSecByte *)der, (xmlSecSize)der_len,
					   xmlSecKeyDataFormatCertDer, NULL, NULL, NULL);
	free(der);
	if (key == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_METADATA, "X509Certificate does not load");
	md->keys = g_renew(xmlSecKeyPtr, md->keys, md->n_keys + 1);
	md->keys[md->n_keys++] = key;
	return TS_ERR_OK;
}

/* KeyDescriptors of one role: use="signing" or no use at all. */
static ts_err read_role_keys(struct ts_metadata *md, const xmlNode *role, struct ts_saml_diag *diag)
{
	for (xmlNodePtr kd = role->children; kd != NULL; kd = kd->next) {
		const char *use;
		xmlNodePtr x509;

		if (!ts_xml_is(kd, TS_NS_MD, "KeyDescriptor"))
			continue;
		use = ts_xml_attr(kd, "use");
		if (use != NULL && strcmp(use, "signing") != 0)
			continue;
		x509 = ts_xml_child(ts_xml_child(kd, TS_NS_DSIG, "KeyInfo"), TS_NS_DSIG, "X509Data");
		for (xmlNodePtr c = x509 != NULL ? x509->children : NULL; c != NULL; c = c->next) {
			ts_err err;
			if (ts_xml_is(c, TS_NS_DSIG, "X509Certificate") &&
			    (err = add_cert(md, c, diag)) != TS_ERR_OK)
				return err;
		}
	}
	return TS_ERR_OK;
}

/* Keeps the earliest validUntil met in md (the aggregate, the entity, the
 * roles read): trust ends there. One already past is not refused here but
 * at each use (saml/validate.c), so that one IdP's stale file, at start or
 * reload, does not stop the others. */
static ts_err note_valid_until(const xmlNode *n, struct ts_metadata *md, struct ts_saml_diag *diag)
{
	const char *until = ts_xml_attr(n, "validUntil");
	ts_time t;

	if (until == NULL)
		return TS_ERR_OK;
	if (ts_time_parse(until, &t) != TS_ERR_OK)
		return ts_saml_fail(diag, TS_ERR_SAML_METADATA, "validUntil '%.40s'", until);
	if (md->valid_until == 0 || t < md->valid_until)
		md->valid_until = t;
	return TS_ERR_OK;
}

static bool is_sts_role(const xmlNode *n)
{
	const char *type;

	if (!ts_xml_is(n, TS_NS_MD, "RoleDescriptor"))
		return false;
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (strcmp((const char *)a->name, "type") == 0 && a->children != NULL &&
		    (type = (const char *)a->children->content) != NULL)
			return g_str_has_suffix(type, ":SecurityTokenServiceType") ||
			       strcmp(type, "SecurityTokenServiceType") == 0;
	return false;
}

static ts_err read_entity(struct ts_metadata *md, const xmlNode *ed, struct ts_saml_diag *diag)
{
	ts_err err;

	md->entity_id = g_strdup(ts_xml_attr(ed, "entityID"));
	for (xmlNodePtr role = ed->children; role != NULL; role = role->next) {
		if (ts_xml_is(role, TS_NS_MD, "IDPSSODescriptor")) {
			if ((err = note_valid_until(role, md, diag)) != TS_ERR_OK ||
			    (err = read_role_keys(md, role, diag)) != TS_ERR_OK)
				return err;
			for (xmlNodePtr s = role->children; s != NULL; s = s->next) {
				const char *binding = ts_xml_attr(s, "Binding");
				if (ts_xml_is(s, TS_NS_MD, "SingleSignOnService") && binding != NULL &&
				    strcmp(binding, REDIRECT_BINDING) == 0 &&
				    md->sso_redirect_url == NULL)
					md->sso_redirect_url = g_strdup(ts_xml_attr(s, "Location"));
			}
		} else if (is_sts_role(role)) {
			xmlNodePtr pre = ts_xml_child(role, TS_NS_FED, "PassiveRequestorEndpoint");
			xmlNodePtr epr = ts_xml_child(pre, TS_NS_WSA, "EndpointReference");
			xmlNodePtr addr = ts_xml_child(epr, TS_NS_WSA, "Address");

			if ((err = note_valid_until(role, md, diag)) != TS_ERR_OK ||
			    (err = read_role_keys(md, role, diag)) != TS_ERR_OK)
				return err;
			if (addr != NULL && md->passive_url == NULL &&
			    (err = ts_xml_text(addr, &md->passive_url, diag)) != TS_ERR_OK)
				return err;
		}
	}
	return TS_ERR_OK;
}

ts_err ts_metadata_load(const char *path, const char *entity_id, xmlSecKeyPtr pinned,
			struct ts_metadata *md, struct ts_saml_diag *diag)
{
	gchar *text = NULL;
	gsize len = 0;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, ed = NULL;
	ts_err err;

	memset(md, 0, sizeof *md);
	if (!g_file_get_contents(path, &text, &len, NULL)) {
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "cannot read %s", path);
		goto out;
	}
	if ((err = ts_xml_parse(text, len, MAX_METADATA_BYTES, &doc, diag)) != TS_ERR_OK ||
	    (err = ts_xml_check_limits_and_ids(doc, diag)) != TS_ERR_OK)
		goto out;
	root = xmlDocGetRootElement(doc);
	if (pinned != NULL) {
		bool is_signed = false;
		const char *id = ts_xml_attr(root, "ID");

		err = id == NULL ? ts_saml_fail(diag, TS_ERR_SAML_METADATA_SIGNATURE,
						"metadata root has no ID to sign")
				 : ts_xml_register_id(root, "ID", diag);
		if (err == TS_ERR_OK)
			err = ts_xml_verify_with_keys(root, id, &pinned, 1, false, &is_signed, diag);
		if (err == TS_ERR_OK && !is_signed)
			err = ts_saml_fail(diag, TS_ERR_SAML_METADATA_SIGNATURE, "metadata is unsigned");
		if (err != TS_ERR_OK) {
			if (err != TS_ERR_SAML_METADATA_SIGNATURE)
				err = TS_ERR_SAML_METADATA_SIGNATURE;
			goto out;
		}
	}
	if ((err = note_valid_until(root, md, diag)) != TS_ERR_OK)
		goto out;
	if (ts_xml_is(root, TS_NS_MD, "EntityDescriptor")) {
		ed = root;
	} else if (ts_xml_is(root, TS_NS_MD, "EntitiesDescriptor") && entity_id != NULL) {
		for (xmlNodePtr c = root->children; c != NULL && ed == NULL; c = c->next)
			if (ts_xml_is(c, TS_NS_MD, "EntityDescriptor") &&
			    g_strcmp0(ts_xml_attr(c, "entityID"), entity_id) == 0)
				ed = c;
	}
	if (ed == NULL) {
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "no EntityDescriptor%s%s",
				   entity_id != NULL ? " for " : "", entity_id != NULL ? entity_id : "");
		goto out;
	}
	if ((err = note_valid_until(ed, md, diag)) != TS_ERR_OK ||
	    (err = read_entity(md, ed, diag)) != TS_ERR_OK)
		goto out;
	if (md->entity_id == NULL || *md->entity_id == '\0')
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "EntityDescriptor without entityID");
	else if (entity_id != NULL && *entity_id != '\0' && strcmp(entity_id, md->entity_id) != 0)
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "entityID '%.100s', configured '%.100s'",
				   md->entity_id, entity_id);
out:
	if (err != TS_ERR_OK)
		ts_metadata_clear(md);
	xmlFreeDoc(doc);
	g_free(text);
	return err;
}
