/* Parsing untrusted XML, and reading the tree without the classic traps:
 * no DTD or entities, no network, bounded size, depth and width; IDs unique
 * document-wide; text read the way the signature saw it. */
#include <glib.h>
#include <libxml/parser.h>
#include <libxml/valid.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

ts_err ts_saml_fail(struct ts_saml_diag *diag, ts_err err, const char *fmt, ...)
{
	va_list ap;

	if (diag != NULL) {
		va_start(ap, fmt);
		vsnprintf(diag->text, sizeof diag->text, fmt, ap);
		va_end(ap);
	}
	return err;
}

ts_err ts_xml_parse(const char *buf, size_t len, size_t max_len, xmlDocPtr *out,
		    struct ts_saml_diag *diag)
{
	/* NONET: no fetching; no NOENT/DTDLOAD/DTDATTR: entities stay unexpanded
	 * and no external subset is read. The encoding is forced to UTF-8 so a
	 * UTF-16 document cannot hide a DOCTYPE from the byte scan below. */
	const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
	xmlDocPtr doc;

	*out = NULL;
	if (len > max_len)
		return ts_saml_fail(diag, TS_ERR_SAML_TOO_LARGE, "%zu bytes, limit %zu", len,
				    max_len);
	if (len > (size_t)INT32_MAX)
		return ts_saml_fail(diag, TS_ERR_SAML_TOO_LARGE, "%zu bytes", len);
	if (g_strstr_len(buf, (gssize)len, "<!DOCTYPE") != NULL ||
	    g_strstr_len(buf, (gssize)len, "<!ENTITY") != NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_DOCTYPE, "DOCTYPE or ENTITY in the message");
	doc = xmlReadMemory(buf, (int)len, "message.xml", "UTF-8", options);
	if (doc == NULL) {
		const xmlError *e = xmlGetLastError();
		ts_err err = ts_saml_fail(diag, TS_ERR_SAML_XML_MALFORMED, "line %d: %s",
					  e != NULL ? e->line : 0,
					  e != NULL && e->message != NULL ? e->message : "parse error");
		size_t n = strlen(diag != NULL ? diag->text : "");
		if (diag != NULL && n > 0 && diag->text[n - 1] == '\n')
			diag->text[n - 1] = '\0';
		xmlResetLastError();
		return err;
	}
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		xmlFreeDoc(doc);
		return ts_saml_fail(diag, TS_ERR_SAML_DOCTYPE, "document type declaration");
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		xmlFreeDoc(doc);
		return ts_saml_fail(diag, TS_ERR_SAML_XML_MALFORMED, "no root element");
	}
	*out = doc;
	return TS_ERR_OK;
}

/* Attributes that can name an element for a same-document reference. */
static bool is_id_attr(const xmlAttr *a)
{
	const char *name = (const char *)a->name;

	if (a->ns != NULL)
		return strcmp(name, "Id") == 0 || strcmp(name, "id") == 0; /* wsu:Id, xml:id */
	return strcmp(name, "ID") == 0 || strcmp(name, "Id") == 0 ||
	       strcmp(name, "AssertionID") == 0;
}

struct walk {
	GHashTable *ids;
	size_t nodes;
	struct ts_saml_diag *diag;
};

static ts_err walk_node(struct walk *w, const xmlNode *n, size_t depth)
{
	for (; n != NULL; n = n->next) {
		size_t attrs = 0;
		ts_err err;

		if (n->type == XML_ENTITY_REF_NODE || n->type == XML_ENTITY_NODE ||
		    n->type == XML_DTD_NODE || n->type == XML_ENTITY_DECL)
			return ts_saml_fail(w->diag, TS_ERR_SAML_DOCTYPE, "entity reference");
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (++w->nodes > TS_XML_MAX_NODES)
			return ts_saml_fail(w->diag, TS_ERR_SAML_XML_LIMITS, "more than %d elements",
					    TS_XML_MAX_NODES);
		if (depth > TS_XML_MAX_DEPTH)
			return ts_saml_fail(w->diag, TS_ERR_SAML_XML_LIMITS, "deeper than %d",
					    TS_XML_MAX_DEPTH);
		for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
			xmlChar *v;

			if (++attrs > TS_XML_MAX_ATTRS)
				return ts_saml_fail(w->diag, TS_ERR_SAML_XML_LIMITS,
						    "more than %d attributes on <%s>",
						    TS_XML_MAX_ATTRS, (const char *)n->name);
			if (!is_id_attr(a))
				continue;
			v = xmlNodeGetContent((const xmlNode *)a);
			if (v == NULL)
				continue;
			if (g_hash_table_contains(w->ids, v)) {
				ts_saml_fail(w->diag, TS_ERR_SAML_DUPLICATE_ID,
					     "ID '%.64s' appears twice", (const char *)v);
				xmlFree(v);
				return TS_ERR_SAML_DUPLICATE_ID;
			}
			g_hash_table_add(w->ids, g_strdup((const char *)v));
			xmlFree(v);
		}
		if ((err = walk_node(w, n->children, depth + 1)) != TS_ERR_OK)
			return err;
	}
	return TS_ERR_OK;
}

ts_err ts_xml_check_limits_and_ids(xmlDocPtr doc, struct ts_saml_diag *diag)
{
	struct walk w = {
		.ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
		.diag = diag,
	};
	ts_err err = walk_node(&w, doc->children, 0);

	g_hash_table_destroy(w.ids);
	return err;
}

bool ts_xml_is(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       strcmp((const char *)n->name, name) == 0 &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

xmlNodePtr ts_xml_child(const xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
		if (ts_xml_is(c, ns, name))
			return c;
	return NULL;
}

size_t ts_xml_count_children(const xmlNode *parent, const char *ns, const char *name)
{
	size_t n = 0;

	for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
		n += ts_xml_is(c, ns, name);
	return n;
}

size_t ts_xml_count_descendants(const xmlNode *root, const char *ns, const char *name)
{
	size_t n = ts_xml_is(root, ns, name);

	for (xmlNodePtr c = root->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			n += ts_xml_count_descendants(c, ns, name);
	return n;
}

xmlNodePtr ts_xml_first_element(const xmlNode *parent)
{
	for (xmlNodePtr c = parent != NULL ? parent->children : NULL; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

static ts_err text_of(const xmlNode *n, bool elements_allowed, char **out,
		      struct ts_saml_diag *diag)
{
	GString *s = g_string_new(NULL);

	*out = NULL;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
			g_string_append(s, (const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE && !elements_allowed) {
			g_string_free(s, TRUE);
			return ts_saml_fail(diag, TS_ERR_SAML_SHAPE, "element inside <%s>",
					    (const char *)n->name);
		}
		/* Comments and processing instructions are outside the signed
		 * c14n form; a value split by a comment reads as one. */
		if (s->len > TS_MAX_TEXT) {
			g_string_free(s, TRUE);
			return ts_saml_fail(diag, TS_ERR_SAML_XML_LIMITS, "<%s> text over %d bytes",
					    (const char *)n->name, TS_MAX_TEXT);
		}
	}
	*out = g_string_free(s, FALSE);
	return TS_ERR_OK;
}

ts_err ts_xml_text(const xmlNode *n, char **out, struct ts_saml_diag *diag)
{
	return text_of(n, false, out, diag);
}

ts_err ts_xml_value_text(const xmlNode *n, char **out, struct ts_saml_diag *diag)
{
	return text_of(n, true, out, diag);
}

const char *ts_xml_attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0)
			return a->children != NULL && a->children->type == XML_TEXT_NODE &&
					       a->children->next == NULL
				       ? (const char *)a->children->content
				       : "";
	return NULL;
}

ts_err ts_xml_register_id(xmlNodePtr n, const char *attr, struct ts_saml_diag *diag)
{
	xmlAttrPtr a = xmlHasProp(n, (const xmlChar *)attr);
	const char *value = ts_xml_attr(n, attr);

	if (a == NULL || value == NULL || *value == '\0')
		return ts_saml_fail(diag, TS_ERR_SAML_SHAPE, "<%s> has no %s",
				    (const char *)n->name, attr);
	if (xmlGetID(n->doc, (const xmlChar *)value) != NULL)
		return xmlGetID(n->doc, (const xmlChar *)value)->parent == n
			       ? TS_ERR_OK
			       : ts_saml_fail(diag, TS_ERR_SAML_DUPLICATE_ID, "ID '%.64s' reused",
					      value);
	if (xmlAddID(NULL, n->doc, (const xmlChar *)value, a) == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_DUPLICATE_ID, "ID '%.64s' not registrable",
				    value);
	return TS_ERR_OK;
}
