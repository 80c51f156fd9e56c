/* ts_saml_validate: the one entry point. Parses, picks the checks by the
 * message's shape and the endpoint it came to, logs every rejection. */
#include <glib.h>
#include <libxml/parser.h>
#include <string.h>

#include "internal.h"
#include "tessera/log.h"

/* Checked at each use, not at load (saml/metadata.c says why): a daemon
 * outliving its metadata must stop trusting the keys in it, as SAML SPs
 * do. */
ts_err ts_saml_idp_current(const struct ts_saml_idp *idp, ts_time now, struct ts_saml_diag *diag)
{
	char until[TS_TIME_ISO_LEN];

	if (idp->valid_until == 0 || now < idp->valid_until)
		return TS_ERR_OK;
	ts_time_format(idp->valid_until, until);
	return ts_saml_fail(diag, TS_ERR_SAML_METADATA_EXPIRED,
			    "[idp %s] metadata validUntil %s has passed", idp->name, until);
}

ts_time ts_saml_idp_valid_until(const struct ts_saml *saml, const char *idp_name)
{
	const struct ts_saml_idp *idp = ts_saml_find_idp(saml, idp_name);

	return idp != NULL ? idp->valid_until : 0;
}

const struct ts_saml_idp *ts_saml_find_idp(const struct ts_saml *saml, const char *name)
{
	for (size_t i = 0; name != NULL && i < saml->n_idps; i++)
		if (strcmp(saml->idps[i].name, name) == 0)
			return &saml->idps[i];
	return NULL;
}

static ts_err dispatch(struct ts_check_ctx *c, enum ts_saml_endpoint endpoint, xmlNodePtr root)
{
	const bool acs_ok = endpoint != TS_SAML_WSFED, wsfed_ok = endpoint != TS_SAML_ACS;

	if (acs_ok && ts_xml_is(root, TS_NS_SAML2P, "Response")) {
		c->audience = c->saml->entity_id;
		c->id->protocol = g_strdup("saml2");
		return ts_saml2_check_response(c, root);
	}
	if (wsfed_ok && (ts_xml_is(root, TS_NS_WST2005, "RequestSecurityTokenResponse") ||
			 ts_xml_is(root, TS_NS_WST13, "RequestSecurityTokenResponse") ||
			 ts_xml_is(root, TS_NS_WST13, "RequestSecurityTokenResponseCollection"))) {
		c->audience = c->saml->realm;
		return ts_wsfed_check_rstr(c, root);
	}
	/* A bare assertion: WS-Fed tokens as some STSes post them, and captures. */
	if (wsfed_ok && ts_xml_is(root, TS_NS_SAML1, "Assertion")) {
		c->audience = c->saml->realm;
		return ts_wsfed_check_token(c, root, NULL);
	}
	if (wsfed_ok && ts_xml_is(root, TS_NS_SAML2, "Assertion")) {
		c->audience = endpoint == TS_SAML_WSFED ? c->saml->realm : c->saml->entity_id;
		return ts_wsfed_check_token(c, root,
					    endpoint == TS_SAML_WSFED ? c->saml->wsfed_url
								      : c->saml->acs_url);
	}
	return ts_saml_fail(c->diag, TS_ERR_SAML_SHAPE, "root element <%.60s> (%.80s)",
			    (const char *)root->name,
			    root->ns != NULL ? (const char *)root->ns->href : "no namespace");
}

ts_err ts_saml_validate(const struct ts_saml *saml, const char *idp_name,
			enum ts_saml_endpoint endpoint, const char *xml, size_t len,
			const struct ts_saml_check *check, struct ts_identity **out,
			struct ts_saml_diag *diag)
{
	struct ts_saml_diag local = {{0}};
	struct ts_identity *id = NULL;
	struct ts_check_ctx c = {.saml = saml, .check = check, .diag = diag != NULL ? diag : &local};
	xmlDocPtr doc = NULL;
	ts_err err;

	*out = NULL;
	c.diag->text[0] = '\0';
	c.idp = ts_saml_find_idp(saml, idp_name);
	if (c.idp == NULL) {
		err = ts_saml_fail(c.diag, TS_ERR_SAML_UNKNOWN_IDP, "idp '%.64s'", idp_name);
		goto out;
	}
	if ((err = ts_saml_idp_current(c.idp, check->now, c.diag)) != TS_ERR_OK)
		goto out;
	if ((err = ts_xml_parse(xml, len, saml->max_message_bytes, &doc, c.diag)) != TS_ERR_OK ||
	    (err = ts_xml_check_limits_and_ids(doc, c.diag)) != TS_ERR_OK)
		goto out;
	id = g_new0(struct ts_identity, 1);
	c.id = id;
	if ((err = dispatch(&c, endpoint, xmlDocGetRootElement(doc))) != TS_ERR_OK ||
	    (err = ts_identity_finish(&c)) != TS_ERR_OK)
		goto out;
	*out = id;
	id = NULL;
out:
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_WARN, "saml_rejected", err, "idp", idp_name, "detail",
			     c.diag->text);
	ts_identity_free(id);
	xmlFreeDoc(doc);
	return err;
}
