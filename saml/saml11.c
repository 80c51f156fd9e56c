/* SAML 1.1 assertions, as ADFS issues them to WS-Fed relying parties (and as
 * lasso does not cover). Claims are AttributeNamespace "/" AttributeName. */
#include <glib.h>
#include <string.h>

#include "internal.h"

#define BEARER "urn:oasis:names:tc:SAML:1.0:cm:bearer"

/* Each statement's Subject: one NameIdentifier across all of them, and a
 * bearer confirmation somewhere. */
static ts_err read_subject(struct ts_check_ctx *c, const xmlNode *statement, bool *bearer)
{
	xmlNodePtr subject = ts_xml_child(statement, TS_NS_SAML1, "Subject");
	xmlNodePtr nid = ts_xml_child(subject, TS_NS_SAML1, "NameIdentifier");
	xmlNodePtr sc = ts_xml_child(subject, TS_NS_SAML1, "SubjectConfirmation");
	ts_err err;

	if (subject == NULL)
		return ts_saml_fail(c->diag, TS_ERR_SAML_SUBJECT, "statement without Subject");
	for (xmlNodePtr m = sc != NULL ? sc->children : NULL; m != NULL; m = m->next) {
		char *text = NULL;
		if (!ts_xml_is(m, TS_NS_SAML1, "ConfirmationMethod"))
			continue;
		if ((err = ts_xml_text(m, &text, c->diag)) != TS_ERR_OK)
			return err;
		*bearer |= strcmp(text, BEARER) == 0;
		g_free(text);
	}
	if (nid != NULL) {
		char *text = NULL;
		if ((err = ts_xml_text(nid, &text, c->diag)) != TS_ERR_OK)
			return err;
		if (c->id->subject != NULL && strcmp(c->id->subject, text) != 0) {
			g_free(text);
			return ts_saml_fail(c->diag, TS_ERR_SAML_SUBJECT,
					    "statements name different subjects");
		}
		if (c->id->subject == NULL) {
			c->id->subject = text;
			if (ts_xml_attr(nid, "Format") != NULL)
				c->id->subject_format = g_strdup(ts_xml_attr(nid, "Format"));
		} else {
			g_free(text);
		}
	}
	return TS_ERR_OK;
}

static ts_err read_statements(struct ts_check_ctx *c, const xmlNode *assertion)
{
	bool bearer = false;
	ts_err err;

	for (xmlNodePtr st = assertion->children; st != NULL; st = st->next) {
		if (ts_xml_is(st, TS_NS_SAML1, "AuthenticationStatement")) {
			const char *method = ts_xml_attr(st, "AuthenticationMethod");
			const char *instant = ts_xml_attr(st, "AuthenticationInstant");
			ts_time t;

			if ((err = read_subject(c, st, &bearer)) != TS_ERR_OK)
				return err;
			if (instant != NULL && ts_time_parse(instant, &t) == TS_ERR_OK)
				c->id->authn_instant = t;
			if (method != NULL && ts_identity_add_amr(c->id, method) != TS_ERR_OK)
				return ts_saml_fail(c->diag, TS_ERR_SAML_XML_LIMITS, "too many methods");
		} else if (ts_xml_is(st, TS_NS_SAML1, "AttributeStatement")) {
			if ((err = read_subject(c, st, &bearer)) != TS_ERR_OK)
				return err;
			for (xmlNodePtr a = st->children; a != NULL; a = a->next) {
				const char *ns = ts_xml_attr(a, "AttributeNamespace");
				const char *name = ts_xml_attr(a, "AttributeName");
				char *claim;

				if (!ts_xml_is(a, TS_NS_SAML1, "Attribute") || name == NULL)
					continue;
				claim = ns != NULL && *ns != '\0' ? g_strconcat(ns, "/", name, NULL)
								  : g_strdup(name);
				err = ts_identity_add_attr(c->id, claim, a, TS_NS_SAML1,
							   "AttributeValue", c->diag);
				g_free(claim);
				if (err != TS_ERR_OK)
					return err;
			}
		}
	}
	if (!bearer)
		return ts_saml_fail(c->diag, TS_ERR_SAML_BEARER, "no bearer ConfirmationMethod");
	return TS_ERR_OK;
}

ts_err ts_saml11_check_assertion(struct ts_check_ctx *c, xmlNodePtr assertion)
{
	const char *major = ts_xml_attr(assertion, "MajorVersion");
	const char *minor = ts_xml_attr(assertion, "MinorVersion");
	const char *id = ts_xml_attr(assertion, "AssertionID");
	const char *issuer = ts_xml_attr(assertion, "Issuer");
	bool is_signed = false;
	ts_err err;

	if (major == NULL || minor == NULL || strcmp(major, "1") != 0 || strcmp(minor, "1") != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_VERSION, "SAML %.4s.%.4s",
				    major != NULL ? major : "?", minor != NULL ? minor : "?");
	if ((err = ts_xml_register_id(assertion, "AssertionID", c->diag)) != TS_ERR_OK ||
	    (err = ts_xml_verify_enveloped(assertion, id, c->idp, &is_signed, c->diag)) !=
		    TS_ERR_OK)
		return err;
	if (!is_signed)
		return ts_saml_fail(c->diag, TS_ERR_SAML_UNSIGNED, "assertion %.64s is unsigned",
				    id);
	if (issuer == NULL || strcmp(issuer, c->idp->entity_id) != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_ISSUER, "issuer '%.100s', expected '%.100s'",
				    issuer != NULL ? issuer : "(none)", c->idp->entity_id);
	err = ts_check_conditions(c, assertion, TS_NS_SAML1, "AudienceRestrictionCondition");
	if (err != TS_ERR_OK || (err = read_statements(c, assertion)) != TS_ERR_OK)
		return err;
	c->id->assertion_id = g_strdup(id);
	return TS_ERR_OK;
}
