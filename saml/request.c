/* Sign-in requests to IdPs: SAML 2.0 AuthnRequest over HTTP-Redirect, or
 * WS-Fed wsignin1.0. Built with the tree API, so configured values are
 * escaped, never pasted into XML. */
#include <glib.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

#define SIGALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define POST_BINDING "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

static ts_err random_id(char **out)
{
	unsigned char raw[16];
	char hex[2 * sizeof raw + 2] = "_";

	if (RAND_bytes(raw, sizeof raw) != 1)
		return TS_ERR_CRYPTO;
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(hex + 1 + 2 * i, 3, "%02x", raw[i]);
	*out = g_strdup(hex);
	return TS_ERR_OK;
}

static void append_param(GString *url, const char *name, const char *value)
{
	char *enc = g_uri_escape_string(value, NULL, FALSE);

	g_string_append_printf(url, "%s%s=%s", url->len > 0 ? "&" : "", name, enc);
	g_free(enc);
}

static char *authn_request_xml(const struct ts_saml *saml, const struct ts_saml_idp *idp,
			       const struct ts_signin_request *req, const char *id)
{
	char instant[TS_TIME_ISO_LEN];
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "AuthnRequest", NULL);
	xmlNsPtr p = xmlNewNs(root, BAD_CAST TS_NS_SAML2P, BAD_CAST "samlp");
	xmlNsPtr a = xmlNewNs(root, BAD_CAST TS_NS_SAML2, BAD_CAST "saml");
	xmlNodePtr policy;
	xmlBufferPtr buf = xmlBufferCreate();
	char *out;

	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, p);
	ts_time_format(req->now, instant);
	xmlNewProp(root, BAD_CAST "ID", BAD_CAST id);
	xmlNewProp(root, BAD_CAST "Version", BAD_CAST "2.0");
	xmlNewProp(root, BAD_CAST "IssueInstant", BAD_CAST instant);
	xmlNewProp(root, BAD_CAST "Destination", BAD_CAST idp->sso_url);
	xmlNewProp(root, BAD_CAST "AssertionConsumerServiceURL", BAD_CAST saml->acs_url);
	xmlNewProp(root, BAD_CAST "ProtocolBinding", BAD_CAST POST_BINDING);
	if (req->force_authn)
		xmlNewProp(root, BAD_CAST "ForceAuthn", BAD_CAST "true");
	xmlNewTextChild(root, a, BAD_CAST "Issuer", BAD_CAST saml->entity_id);
	policy = xmlNewChild(root, p, BAD_CAST "NameIDPolicy", NULL);
	xmlNewProp(policy, BAD_CAST "AllowCreate", BAD_CAST "true");
	if (req->mfa && idp->mfa_values != NULL && idp->mfa_values[0] != NULL) {
		xmlNodePtr rac = xmlNewChild(root, p, BAD_CAST "RequestedAuthnContext", NULL);
		xmlNewProp(rac, BAD_CAST "Comparison", BAD_CAST "exact");
		xmlNewTextChild(rac, a, BAD_CAST "AuthnContextClassRef", BAD_CAST idp->mfa_values[0]);
	}
	xmlNodeDump(buf, doc, root, 0, 0);
	out = g_strndup((const char *)xmlBufferContent(buf), (gsize)xmlBufferLength(buf));
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return out;
}

/* Raw deflate then base64: the HTTP-Redirect encoding (SAML bindings 3.4.4.1). */
static ts_err deflate_b64(const char *xml, char **out)
{
	uLong cap = compressBound((uLong)strlen(xml)) + 16;
	unsigned char *packed = g_malloc(cap);
	z_stream z = {0};
	ts_err err = TS_ERR_CRYPTO;

	/* Stored blocks (level 0): still the DEFLATE the binding names (RFC
	 * 1951 3.2.4), read by every inflater. A ~500-byte request compresses
	 * to ~75% at any level, but deflating it cost ~14 us whatever the
	 * level, window or strategy (the 512-byte window and the smallest
	 * state were the best of them), against ~0.4 us to store it: about a
	 * quarter of a GET /signin under load, for ~170 bytes more of URL. */
	if (deflateInit2(&z, Z_NO_COMPRESSION, Z_DEFLATED, -9, 1, Z_DEFAULT_STRATEGY) != Z_OK)
		goto out;
	z.next_in = (Bytef *)xml;
	z.avail_in = (uInt)strlen(xml);
	z.next_out = packed;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END) {
		*out = g_base64_encode(packed, z.total_out);
		err = TS_ERR_OK;
	}
	deflateEnd(&z);
out:
	g_free(packed);
	return err;
}

static ts_err sign_query(EVP_PKEY *key, GString *query, struct ts_saml_diag *diag)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sig[1024];
	size_t sig_len = sizeof sig;
	ts_err err = TS_ERR_CRYPTO;

	append_param(query, "SigAlg", SIGALG_RSA_SHA256);
	if (md != NULL && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)query->str, query->len) == 1) {
		char *b64 = g_base64_encode(sig, sig_len);
		append_param(query, "Signature", b64);
		g_free(b64);
		err = TS_ERR_OK;
	} else {
		ts_saml_fail(diag, err, "signing the AuthnRequest failed");
	}
	EVP_MD_CTX_free(md);
	return err;
}

static ts_err saml2_url(const struct ts_saml *saml, const struct ts_saml_idp *idp,
			const struct ts_signin_request *req, GString *query, char **request_id,
			struct ts_saml_diag *diag)
{
	char *xml = NULL, *b64 = NULL;
	ts_err err;

	if (req->request_id != NULL)
		*request_id = g_strdup(req->request_id);
	else if ((err = random_id(request_id)) != TS_ERR_OK)
		return err;
	xml = authn_request_xml(saml, idp, req, *request_id);
	err = deflate_b64(xml, &b64);
	g_free(xml);
	if (err != TS_ERR_OK)
		return ts_saml_fail(diag, err, "deflate failed");
	/* The signed string is exactly the query in this order (bindings 3.4.4.1). */
	append_param(query, "SAMLRequest", b64);
	g_free(b64);
	if (req->relay_state != NULL)
		append_param(query, "RelayState", req->relay_state);
	if (saml->sign_authn_requests)
		return sign_query(saml->signing_key, query, diag);
	return TS_ERR_OK;
}

static void wsfed_url(const struct ts_saml *saml, const struct ts_saml_idp *idp,
		      const struct ts_signin_request *req, GString *query)
{
	char now[TS_TIME_ISO_LEN];

	ts_time_format(req->now, now);
	append_param(query, "wa", "wsignin1.0");
	append_param(query, "wtrealm", saml->realm);
	append_param(query, "wreply", saml->wsfed_url);
	if (req->relay_state != NULL)
		append_param(query, "wctx", req->relay_state);
	append_param(query, "wct", now);
	if (req->mfa && idp->mfa_values != NULL && idp->mfa_values[0] != NULL)
		append_param(query, "wauth", idp->mfa_values[0]);
	if (req->force_authn)
		append_param(query, "wfresh", "0");
}

ts_err ts_saml_signin_url(const struct ts_saml *saml, const struct ts_signin_request *req,
			  char **url, char **request_id, struct ts_saml_diag *diag)
{
	const struct ts_saml_idp *idp = ts_saml_find_idp(saml, req->idp);
	GString *query = g_string_new(NULL);
	ts_err err = TS_ERR_OK;

	*url = NULL;
	*request_id = NULL;
	if (idp == NULL) {
		err = ts_saml_fail(diag, TS_ERR_SAML_UNKNOWN_IDP, "idp '%.64s'", req->idp);
		goto out;
	}
	if (idp->sso_url == NULL || *idp->sso_url == '\0') {
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "[idp %s] has no sign-in URL",
				   idp->name);
		goto out;
	}
	if (strcmp(idp->protocol, "wsfed") == 0)
		wsfed_url(saml, idp, req, query);
	else
		err = saml2_url(saml, idp, req, query, request_id, diag);
	if (err == TS_ERR_OK)
		*url = g_strconcat(idp->sso_url, strchr(idp->sso_url, '?') != NULL ? "&" : "?",
				   query->str, NULL);
out:
	if (err != TS_ERR_OK) {
		g_free(*request_id);
		*request_id = NULL;
	}
	g_string_free(query, TRUE);
	return err;
}
