/* Checks SAML 2.0 and SAML 1.1 share: validity windows with skew,
 * InResponseTo and the unsolicited rule, and building the identity. */
#include <glib.h>
#include <string.h>

#include "internal.h"

static ts_err parse_time(struct ts_check_ctx *c, const char *text, const char *what,
			 ts_time *out)
{
	if (ts_time_parse(text, out) != TS_ERR_OK)
		return ts_saml_fail(c->diag, TS_ERR_SAML_SHAPE, "%s '%.40s' is not a time", what,
				    text);
	return TS_ERR_OK;
}

ts_err ts_check_time_window(struct ts_check_ctx *c, const char *not_before,
			    const char *not_on_or_after, const char *what)
{
	const ts_time now = c->check->now;
	const long skew = c->idp->clock_skew;
	ts_time t;
	ts_err err;

	if (not_before != NULL) {
		if ((err = parse_time(c, not_before, "NotBefore", &t)) != TS_ERR_OK)
			return err;
		if (now + skew < t)
			return ts_saml_fail(c->diag, TS_ERR_SAML_NOT_YET_VALID,
					    "%s NotBefore %s is %lld s ahead (skew %ld s)", what,
					    not_before, (long long)(t - now), skew);
	}
	if (not_on_or_after != NULL) {
		if ((err = parse_time(c, not_on_or_after, "NotOnOrAfter", &t)) != TS_ERR_OK)
			return err;
		if (now - skew >= t)
			return ts_saml_fail(c->diag, TS_ERR_SAML_EXPIRED,
					    "%s NotOnOrAfter %s passed %lld s ago (skew %ld s)", what,
					    not_on_or_after, (long long)(now - t), skew);
		if (c->id->not_on_or_after == 0 || t < c->id->not_on_or_after)
			c->id->not_on_or_after = t;
	}
	return TS_ERR_OK;
}

ts_err ts_check_conditions(struct ts_check_ctx *c, const xmlNode *assertion, const char *ns,
			   const char *restriction)
{
	xmlNodePtr cond = ts_xml_child(assertion, ns, "Conditions");
	size_t restrictions = 0;
	ts_err err;

	if (cond == NULL)
		return ts_saml_fail(c->diag, TS_ERR_SAML_AUDIENCE, "no Conditions");
	if ((err = ts_check_time_window(c, ts_xml_attr(cond, "NotBefore"),
					ts_xml_attr(cond, "NotOnOrAfter"), "Conditions")) !=
	    TS_ERR_OK)
		return err;
	/* Every audience restriction must name us (they are ANDed). */
	for (xmlNodePtr ar = cond->children; ar != NULL; ar = ar->next) {
		bool ours = false;

		if (!ts_xml_is(ar, ns, restriction))
			continue;
		restrictions++;
		for (xmlNodePtr a = ar->children; a != NULL && !ours; a = a->next) {
			char *text = NULL;
			if (!ts_xml_is(a, ns, "Audience"))
				continue;
			if ((err = ts_xml_text(a, &text, c->diag)) != TS_ERR_OK)
				return err;
			ours = strcmp(text, c->audience) == 0;
			g_free(text);
		}
		if (!ours)
			return ts_saml_fail(c->diag, TS_ERR_SAML_AUDIENCE,
					    "audience restriction does not name '%.100s'",
					    c->audience);
	}
	if (restrictions == 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_AUDIENCE, "no %s", restriction);
	return TS_ERR_OK;
}

ts_err ts_check_in_response_to(struct ts_check_ctx *c, const char *value)
{
	const char *want = c->check->in_response_to;

	if (c->check->offline)
		return TS_ERR_OK;
	if (value == NULL || *value == '\0') {
		if (want != NULL)
			return ts_saml_fail(c->diag, TS_ERR_SAML_UNSOLICITED,
					    "no InResponseTo, request %.64s outstanding", want);
		if (!c->idp->allow_unsolicited)
			return ts_saml_fail(c->diag, TS_ERR_SAML_UNSOLICITED,
					    "IdP %s does not allow unsolicited responses",
					    c->idp->name);
		return TS_ERR_OK;
	}
	if (want == NULL || strcmp(value, want) != 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_IN_RESPONSE_TO,
				    "InResponseTo '%.64s', expected '%.64s'", value,
				    want != NULL ? want : "(none outstanding)");
	if (c->id->in_response_to == NULL)
		c->id->in_response_to = g_strdup(value);
	return TS_ERR_OK;
}

static void push(char ***list, size_t *n, const char *value)
{
	*list = g_renew(char *, *list, *n + 2);
	(*list)[(*n)++] = g_strdup(value);
	(*list)[*n] = NULL;
}

ts_err ts_identity_add_amr(struct ts_identity *id, const char *method)
{
	for (size_t i = 0; i < id->n_amr; i++)
		if (strcmp(id->amr[i], method) == 0)
			return TS_ERR_OK;
	if (id->n_amr >= 64)
		return TS_ERR_SAML_XML_LIMITS;
	push(&id->amr, &id->n_amr, method);
	return TS_ERR_OK;
}

ts_err ts_identity_add_attr(struct ts_identity *id, const char *name, const xmlNode *attr,
			    const char *value_ns, const char *value_name, struct ts_saml_diag *diag)
{
	struct ts_identity_attr *a = NULL;
	ts_err err = TS_ERR_OK;

	for (size_t i = 0; i < id->n_attrs; i++)
		if (strcmp(id->attrs[i].name, name) == 0)
			a = &id->attrs[i];
	if (a == NULL) {
		if (id->n_attrs >= 256)
			return ts_saml_fail(diag, TS_ERR_SAML_XML_LIMITS, "over 256 attributes");
		id->attrs = g_renew(struct ts_identity_attr, id->attrs, id->n_attrs + 1);
		a = &id->attrs[id->n_attrs++];
		memset(a, 0, sizeof *a);
		a->name = g_strdup(name);
	}
	for (const xmlNode *v = attr->children; v != NULL && err == TS_ERR_OK; v = v->next) {
		char *text = NULL;

		if (!ts_xml_is(v, value_ns, value_name))
			continue;
		if (a->n_values >= TS_MAX_ATTR_VALUES)
			return ts_saml_fail(diag, TS_ERR_SAML_XML_LIMITS,
					    "attribute %.80s has over %d values", name,
					    TS_MAX_ATTR_VALUES);
		/* A structured value (eduPersonTargetedID's NameID) reads as its own
		 * text only, as the claim-based IdPs' consumers read it. */
		if ((err = ts_xml_value_text(v, &text, diag)) == TS_ERR_OK)
			push(&a->values, &a->n_values, text);
		g_free(text);
	}
	return err;
}

/* Known claims into their fields; MFA from every spelling of the method. */
ts_err ts_identity_finish(struct ts_check_ctx *c)
{
	struct ts_identity *id = c->id;
	const struct ts_identity_attr *a;
	ts_err err;

	if ((a = ts_identity_attr(id, TS_CLAIM_UPN)) != NULL && a->n_values > 0)
		id->upn = g_strdup(a->values[0]);
	if ((a = ts_identity_attr(id, TS_CLAIM_PRIMARYSID)) != NULL && a->n_values > 0)
		id->primary_sid = g_strdup(a->values[0]);
	if ((a = ts_identity_attr(id, TS_CLAIM_GROUPSID)) != NULL)
		for (size_t i = 0; i < a->n_values; i++)
			push(&id->groups, &id->n_groups, a->values[i]);
	if ((a = ts_identity_attr(id, TS_CLAIM_AMR)) != NULL)
		for (size_t i = 0; i < a->n_values; i++)
			if ((err = ts_identity_add_amr(id, a->values[i])) != TS_ERR_OK)
				return ts_saml_fail(c->diag, err, "too many authentication methods");
	for (size_t i = 0; i < id->n_amr && !id->mfa; i++)
		for (char **m = c->idp->mfa_values; m != NULL && *m != NULL; m++)
			if (strcmp(id->amr[i], *m) == 0)
				id->mfa = true;
	if (id->not_on_or_after == 0)
		return ts_saml_fail(c->diag, TS_ERR_SAML_SHAPE,
				    "no NotOnOrAfter anywhere: an assertion must expire");
	/* An assertion without NameID is valid SAML (ADFS sends such); what a
	 * pool needs (primarysid) is the STS's to demand, with its own error. */
	if (id->session_expiry == 0)
		id->session_expiry = id->not_on_or_after;
	id->idp = g_strdup(c->idp->name);
	id->issuer = g_strdup(c->idp->entity_id);
	return TS_ERR_OK;
}
