/* SAML 2.0: the Response (POST binding) and the assertion, checked item by
 * item against the checklist in DESIGN.md. */
#include <glib.h>
#include <string.h>

#include "internal.h"

#define BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"

static ts_err check_issuer(struct ts_check_ctx *c, const xmlNode *parent, bool required)
{
	xmlNodePtr issuer = ts_xml_child(parent, TS_NS_SAML2, "Issuer");
	char *text = NULL;
	ts_err err;

	if (issuer == NULL)
		return required ? ts_saml_fail(c->diag, TS_ERR_SAML_ISSUER, "no Issuer") : TS_ERR_OK;
	if ((err = ts_xml_text(issuer, &text, c->diag)) != TS_ERR_OK)
		return err;
	if (strcmp(text, c->idp->entity_id) != 0)
		err = ts_saml_fail(c->diag, TS_ERR_SAML_ISSUER, "issuer '%.100s', expected '%.100s'",
				   text, c->idp->entity_id);
	g_free(text);
	return err;
}

static ts_err check_status(struct ts_check_ctx *c, const xmlNode *response)
{
	xmlNodePtr status = ts_xml_child(response, TS_NS_SAML2P, "Status");
	xmlNodePtr code = ts_xml_child(status, TS_NS_SAML2P, "StatusCode");
	const char *value = code != NULL ? ts_xml_attr(code, "Value") : NULL;
	xmlNodePtr sub;

	if (value != NULL && strcmp(value, SUCCESS) == 0)
		return TS_ERR_OK;
	sub = ts_xml_child(code, TS_NS_SAML2P, "StatusCode");
	return ts_saml_fail(c->diag, TS_ERR_SAML_STATUS, "status '%.100s' / '%.100s'",
			    value != NULL ? value : "(none)",
			    sub != NULL && ts_xml_attr(sub, "Value") != NULL ? ts_xml_attr(sub, "Value")
									 : "");
}

/* One bearer SubjectConfirmation with its data, for recipient. */
static ts_err check_one_confirmation(struct ts_check_ctx *c, const xmlNode *sc,
				     const char *recipient, bool recipient_required)
{
	xmlNodePtr data = ts_xml_child(sc, TS_NS_SAML2, "SubjectConfirmationData");
	const char *rcpt = data != NULL ? ts_xml_attr(data, "Recipient") : NULL;
	ts_err err;

	if (rcpt == NULL && recipient_required)
		return ts_saml_fail(c->diag, TS_ERR_SAML_RECIPIENT, "no Recipient, expected '%.100s'",
				    recipient);
	if (rcpt != NULL && recipient != NULL && strcmp(rcpt, recipient) != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_RECIPIENT,
				    "recipient '%.100s', expected '%.100s'", rcpt, recipient);
	/* Some IdPs (Secureworks) add NotBefore here too: a bound like any other. */
	if (data != NULL && (err = ts_check_time_window(c, ts_xml_attr(data, "NotBefore"),
							ts_xml_attr(data, "NotOnOrAfter"),
							"SubjectConfirmationData")) != TS_ERR_OK)
		return err;
	if (data != NULL && ts_xml_attr(data, "InResponseTo") != NULL)
		return ts_check_in_response_to(c, ts_xml_attr(data, "InResponseTo"));
	return TS_ERR_OK;
}

static ts_err check_subject(struct ts_check_ctx *c, const xmlNode *assertion,
			    const char *recipient, bool recipient_required)
{
	xmlNodePtr subject = ts_xml_child(assertion, TS_NS_SAML2, "Subject");
	xmlNodePtr nameid = ts_xml_child(subject, TS_NS_SAML2, "NameID");
	ts_err first = TS_ERR_OK;
	char first_diag[sizeof c->diag->text] = "";
	ts_err err;

	if (subject == NULL)
		return ts_saml_fail(c->diag, TS_ERR_SAML_SUBJECT, "no Subject");
	if (nameid != NULL) {
		if ((err = ts_xml_text(nameid, &c->id->subject, c->diag)) != TS_ERR_OK)
			return err;
		if (ts_xml_attr(nameid, "Format") != NULL)
			c->id->subject_format = g_strdup(ts_xml_attr(nameid, "Format"));
	}
	/* Any one bearer confirmation that passes every check will do; report
	 * the first failure otherwise, so the error names the broken item. */
	for (xmlNodePtr sc = subject->children; sc != NULL; sc = sc->next) {
		const char *method;

		if (!ts_xml_is(sc, TS_NS_SAML2, "SubjectConfirmation"))
			continue;
		method = ts_xml_attr(sc, "Method");
		if (method == NULL || strcmp(method, BEARER) != 0)
			continue;
		err = check_one_confirmation(c, sc, recipient, recipient_required);
		if (err == TS_ERR_OK)
			return TS_ERR_OK;
		if (first == TS_ERR_OK) {
			first = err;
			memcpy(first_diag, c->diag->text, sizeof first_diag);
		}
	}
	if (first == TS_ERR_OK)
		return ts_saml_fail(c->diag, TS_ERR_SAML_BEARER, "no bearer SubjectConfirmation");
	memcpy(c->diag->text, first_diag, sizeof first_diag);
	return first;
}

static ts_err read_statements(struct ts_check_ctx *c, const xmlNode *assertion)
{
	ts_err err;

	for (xmlNodePtr st = assertion->children; st != NULL; st = st->next) {
		if (ts_xml_is(st, TS_NS_SAML2, "AuthnStatement")) {
			xmlNodePtr ctx = ts_xml_child(st, TS_NS_SAML2, "AuthnContext");
			xmlNodePtr ref = ts_xml_child(ctx, TS_NS_SAML2, "AuthnContextClassRef");
			const char *sess = ts_xml_attr(st, "SessionNotOnOrAfter");
			const char *instant = ts_xml_attr(st, "AuthnInstant");
			ts_time t;

			if (instant != NULL && ts_time_parse(instant, &t) == TS_ERR_OK)
				c->id->authn_instant = t;
			if (sess != NULL && ts_time_parse(sess, &t) == TS_ERR_OK &&
			    (c->id->session_expiry == 0 || t < c->id->session_expiry))
				c->id->session_expiry = t;
			if (ref != NULL) {
				char *text = NULL;
				if ((err = ts_xml_text(ref, &text, c->diag)) != TS_ERR_OK)
					return err;
				err = ts_identity_add_amr(c->id, text);
				g_free(text);
				if (err != TS_ERR_OK)
					return ts_saml_fail(c->diag, err, "too many methods");
			}
		} else if (ts_xml_is(st, TS_NS_SAML2, "AttributeStatement")) {
			for (xmlNodePtr a = st->children; a != NULL; a = a->next) {
				const char *name = ts_xml_attr(a, "Name");
				if (!ts_xml_is(a, TS_NS_SAML2, "Attribute") || name == NULL)
					continue;
				if ((err = ts_identity_add_attr(c->id, name, a, TS_NS_SAML2,
								"AttributeValue", c->diag)) !=
				    TS_ERR_OK)
					return err;
			}
		}
	}
	return TS_ERR_OK;
}

ts_err ts_saml2_check_assertion(struct ts_check_ctx *c, xmlNodePtr assertion,
				bool signed_outside, const char *recipient, bool recipient_required)
{
	const char *version = ts_xml_attr(assertion, "Version");
	const char *id = ts_xml_attr(assertion, "ID");
	bool is_signed = false;
	ts_err err;

	if (version == NULL || strcmp(version, "2.0") != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_VERSION, "assertion Version '%.10s'",
				    version != NULL ? version : "");
	if ((err = ts_xml_register_id(assertion, "ID", c->diag)) != TS_ERR_OK ||
	    (err = ts_xml_verify_enveloped(assertion, id, c->idp, &is_signed, c->diag)) !=
		    TS_ERR_OK)
		return err;
	if (!is_signed && !signed_outside)
		return ts_saml_fail(c->diag, TS_ERR_SAML_UNSIGNED, "assertion %.64s is unsigned",
				    id);
	if ((err = check_issuer(c, assertion, true)) != TS_ERR_OK ||
	    (err = ts_check_conditions(c, assertion, TS_NS_SAML2, "AudienceRestriction")) !=
		    TS_ERR_OK ||
	    (err = check_subject(c, assertion, recipient, recipient_required)) != TS_ERR_OK ||
	    (err = read_statements(c, assertion)) != TS_ERR_OK)
		return err;
	c->id->assertion_id = g_strdup(id);
	return TS_ERR_OK;
}

ts_err ts_saml2_check_response(struct ts_check_ctx *c, xmlNodePtr response)
{
	const char *version = ts_xml_attr(response, "Version");
	const char *id = ts_xml_attr(response, "ID");
	const char *dest = ts_xml_attr(response, "Destination");
	const char *irt = ts_xml_attr(response, "InResponseTo");
	xmlNodePtr assertion = NULL;
	size_t direct, anywhere;
	bool is_signed = false;
	ts_err err;

	if (version == NULL || strcmp(version, "2.0") != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_VERSION, "response Version '%.10s'",
				    version != NULL ? version : "");
	/* Exactly one assertion in the whole document: a second one anywhere
	 * (Extensions, Advice, ds:Object) is how wrapping attacks start. */
	direct = ts_xml_count_children(response, TS_NS_SAML2, "Assertion") +
		 ts_xml_count_children(response, TS_NS_SAML2, "EncryptedAssertion");
	anywhere = ts_xml_count_descendants(response, TS_NS_SAML2, "Assertion") +
		   ts_xml_count_descendants(response, TS_NS_SAML2, "EncryptedAssertion") +
		   ts_xml_count_descendants(response, TS_NS_SAML1, "Assertion");
	if (direct != 1 || anywhere != 1)
		return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
				    "%zu assertion(s) in the response, %zu in the document", direct,
				    anywhere);
	if ((err = ts_xml_register_id(response, "ID", c->diag)) != TS_ERR_OK ||
	    (err = ts_xml_verify_enveloped(response, id, c->idp, &is_signed, c->diag)) !=
		    TS_ERR_OK)
		return err;
	if (dest != NULL ? strcmp(dest, c->saml->acs_url) != 0 : is_signed)
		return ts_saml_fail(c->diag, TS_ERR_SAML_DESTINATION,
				    "destination '%.100s', expected '%.100s'",
				    dest != NULL ? dest : "(none on a signed response)",
				    c->saml->acs_url);
	if ((err = check_issuer(c, response, false)) != TS_ERR_OK ||
	    (err = check_status(c, response)) != TS_ERR_OK)
		return err;
	if (irt != NULL && (err = ts_check_in_response_to(c, irt)) != TS_ERR_OK)
		return err;
	/* An unsigned Response's InResponseTo is the sender's word only: it may
	 * not make an unsolicited assertion look solicited. */
	if (!is_signed) {
		g_free(c->id->in_response_to);
		c->id->in_response_to = NULL;
	}
	assertion = ts_xml_child(response, TS_NS_SAML2, "Assertion");
	if (assertion == NULL) {
		xmlNodePtr enc = ts_xml_child(response, TS_NS_SAML2, "EncryptedAssertion");
		if ((err = ts_xml_decrypt(c->saml, enc, &assertion, c->diag)) != TS_ERR_OK ||
		    (err = ts_xml_check_limits_and_ids(response->doc, c->diag)) != TS_ERR_OK)
			return err;
		if (ts_xml_count_descendants(response, TS_NS_SAML2, "Assertion") +
			    ts_xml_count_descendants(response, TS_NS_SAML1, "Assertion") !=
		    1)
			return ts_saml_fail(c->diag, TS_ERR_SAML_ASSERTION_COUNT,
					    "decrypted assertion carries another assertion");
	}
	if ((err = ts_saml2_check_assertion(c, assertion, is_signed, c->saml->acs_url, true)) !=
	    TS_ERR_OK)
		return err;
	/* Neither the response nor the confirmation named a request. */
	if (c->id->in_response_to == NULL)
		return ts_check_in_response_to(c, NULL);
	return TS_ERR_OK;
}
