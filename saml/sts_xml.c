/* What the STS token and metadata builders share: value checks, IDs, the
 * enveloped signature as ADFS makes it, and serialisation. */
#include <libxml/parser.h>
#include <libxml/valid.h>
#include <libxml/xmlsave.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "sts_internal.h"

bool ts_sts_xml_text_ok(const char *s)
{
	/* XML 1.0 cannot carry other C0 controls, not even as references. */
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
			return false;
	return xmlCheckUTF8((const xmlChar *)s) != 0;
}

ts_err ts_sts_random_id(char out[34])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[16];

	if (RAND_bytes(raw, sizeof raw) != 1)
		return TS_ERR_CRYPTO;
	/* An NCName (xs:ID) may not start with a digit: ADFS uses "_" too. */
	out[0] = '_';
	for (size_t i = 0; i < sizeof raw; i++) {
		out[1 + 2 * i] = hex[raw[i] >> 4];
		out[2 + 2 * i] = hex[raw[i] & 0x0f];
	}
	out[33] = '\0';
	return TS_ERR_OK;
}

ts_err ts_sts_register_id(xmlNodePtr elem, const char *attr)
{
	xmlAttrPtr a = xmlHasProp(elem, (const xmlChar *)attr);
	xmlChar *value = a != NULL ? xmlNodeGetContent((xmlNodePtr)a) : NULL;
	ts_err err = TS_ERR_STS_ISSUE;

	/* So that the signature's URI="#id" resolves to exactly this element. */
	if (value != NULL && xmlAddID(NULL, elem->doc, value, a) != NULL)
		err = TS_ERR_OK;
	xmlFree(value);
	return err;
}

/* xmlsec wraps base64 at 64 columns; ADFS sends one line. SignatureValue
 * is outside SignedInfo, so its whitespace is not signed. */
static ts_err unwrap_signature_value(xmlNodePtr sig)
{
	xmlNodePtr sv = ts_xml_child(sig, TS_NS_DSIG, "SignatureValue");
	xmlChar *text = sv != NULL ? xmlNodeGetContent(sv) : NULL;
	size_t w = 0;

	if (text == NULL)
		return TS_ERR_STS_ISSUE;
	for (size_t r = 0; text[r] != '\0'; r++)
		if (text[r] != '\n' && text[r] != '\r' && text[r] != ' ' && text[r] != '\t')
			text[w++] = text[r];
	text[w] = '\0';
	xmlNodeSetContent(sv, text); /* base64 has nothing to escape */
	xmlFree(text);
	return TS_ERR_OK;
}

/* xmlsec's template puts a newline between its elements; ADFS sends
 * none. Removed before signing, so what is signed is what is sent. */
static void drop_layout(xmlNodePtr n)
{
	xmlNodePtr next;

	for (xmlNodePtr c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE) {
			drop_layout(c);
		}
	}
}

/* KeyInfo is not signed either: it is added after signing, from the
 * base64 made once at load, rather than by xmlsec from a certificate
 * attached to the key (which it would copy for every token). */
static ts_err add_key_info(const struct ts_sts_key *key, xmlNodePtr sig)
{
	xmlNsPtr ds = sig->ns;
	xmlNodePtr ki = xmlNewChild(sig, ds, BAD_CAST "KeyInfo", NULL);
	xmlNodePtr x509 = ki != NULL ? xmlNewChild(ki, ds, BAD_CAST "X509Data", NULL) : NULL;

	if (x509 == NULL ||
	    xmlNewTextChild(x509, ds, BAD_CAST "X509Certificate", BAD_CAST key->cert_b64) == NULL)
		return TS_ERR_STS_ISSUE;
	return TS_ERR_OK;
}

ts_err ts_sts_sign(const struct ts_sts_key *key, xmlNodePtr elem, const char *id, bool first)
{
	char uri[64];
	xmlNodePtr sig, ref;
	xmlSecDSigCtx ctx;
	bool ctx_ready = false, linked = false;
	ts_err err = TS_ERR_STS_ISSUE;

	if (key->xkey == NULL || (size_t)snprintf(uri, sizeof uri, "#%s", id) >= sizeof uri)
		return TS_ERR_STS_ISSUE;
	sig = xmlSecTmplSignatureCreateNsPref(elem->doc, xmlSecTransformExclC14NId,
					      xmlSecTransformRsaSha256Id, NULL, BAD_CAST "ds");
	if (sig == NULL)
		goto out;
	/* Where the schemas want it: last in a SAML 1.1 assertion, first in
	 * an EntityDescriptor. */
	if (first && elem->children != NULL)
		linked = xmlAddPrevSibling(elem->children, sig) != NULL;
	else
		linked = xmlAddChild(elem, sig) != NULL;
	ref = linked ? xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha256Id, NULL,
						       BAD_CAST uri, NULL)
		     : NULL;
	if (ref == NULL || xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		goto out;
	drop_layout(sig);
	/* On the stack: one allocation fewer per token. */
	if (xmlSecDSigCtxInitialize(&ctx, NULL) < 0)
		goto out;
	ctx_ready = true;
	/* A reference to the shared key (xmlsec takes one on the EVP_PKEY),
	 * so concurrent tokens never share mutable state. */
	if ((ctx.signKey = xmlSecKeyDuplicate(key->xkey)) == NULL)
		goto out;
	if (xmlSecDSigCtxSign(&ctx, sig) < 0 || ctx.status != xmlSecDSigStatusSucceeded)
		goto out;
	if ((err = unwrap_signature_value(sig)) != TS_ERR_OK)
		goto out;
	err = add_key_info(key, sig);
out:
	if (ctx_ready)
		xmlSecDSigCtxFinalize(&ctx);
	if (sig != NULL && !linked)
		xmlFreeNode(sig);
	return err;
}

ts_err ts_sts_serialize(xmlDocPtr doc, char **out, size_t *len)
{
	xmlBufferPtr buf = xmlBufferCreateSize(8192);
	xmlSaveCtxtPtr save = NULL;
	char *copy = NULL;
	size_t n;
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	*len = 0;
	if (buf == NULL)
		goto out;
	/* No declaration (ADFS sends none in wresult) and no indentation:
	 * whitespace added after signing would change the signed content. */
	if ((save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_NO_DECL)) == NULL ||
	    xmlSaveDoc(save, doc) < 0) {
		err = TS_ERR_XML_BUILD;
		goto out;
	}
	if (xmlSaveClose(save) < 0) {
		save = NULL;
		err = TS_ERR_XML_BUILD;
		goto out;
	}
	save = NULL;
	n = (size_t)xmlBufferLength(buf);
	/* xmlSaveDoc ends the document with a newline; the wresult does not
	 * need it. */
	while (n > 0 && xmlBufferContent(buf)[n - 1] == '\n')
		n--;
	if ((copy = malloc(n + 1)) == NULL)
		goto out;
	memcpy(copy, xmlBufferContent(buf), n);
	copy[n] = '\0';
	*out = copy;
	*len = n;
	err = TS_ERR_OK;
out:
	if (save != NULL)
		xmlSaveClose(save);
	if (buf != NULL)
		xmlBufferFree(buf);
	return err;
}
