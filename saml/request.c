/* Sign-in requests to IdPs: SAML 2.0 AuthnRequest over HTTP-Redirect, or
 * WS-Fed wsignin1.0. Every value in the XML is escaped, never pasted. */
#include <glib.h>
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

/* name=value, value percent-encoded but for RFC 3986's unreserved
 * characters. By hand: GLib's escaper, a call per byte, was a tenth of a
 * GET /signin (the SAMLRequest alone is ~900 bytes). */
static void append_param(GString *url, const char *name, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t at;

	if (url->len > 0)
		g_string_append_c(url, '&');
	g_string_append(url, name);
	g_string_append_c(url, '=');
	at = url->len;
	g_string_set_size(url, at + 3 * strlen(value)); /* the most it can take */
	for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
		if (g_ascii_isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
			url->str[at++] = (char)*c;
		} else {
			url->str[at++] = '%';
			url->str[at++] = hex[*c >> 4];
			url->str[at++] = hex[*c & 0xf];
		}
	}
	g_string_truncate(url, at);
}

/* value as XML attribute text or element content: markup characters, and
 * the whitespace attribute normalisation would turn into spaces, as
 * references. */
static void append_xml_text(GString *out, const char *value)
{
	for (const unsigned char *c = (const unsigned char *)value; *c != '\0'; c++) {
		switch (*c) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		default:
			if (*c < 0x20)
				g_string_append_printf(out, "&#%u;", *c);
			else
				g_string_append_c(out, (char)*c);
		}
	}
}

static void append_attr(GString *out, const char *name, const char *value)
{
	g_string_append_c(out, ' ');
	g_string_append(out, name);
	g_string_append(out, "=\"");
	append_xml_text(out, value);
	g_string_append_c(out, '"');
}

/* Written as text, every value through append_xml_text: a tree built and
 * serialised by libxml2 was half of a GET /signin's own time. */
static char *authn_request_xml(const struct ts_saml *saml, const struct ts_saml_idp *idp,
			       const struct ts_signin_request *req, const char *id)
{
	char instant[TS_TIME_ISO_LEN];
	GString *x = g_string_sized_new(768);

	ts_time_format(req->now, instant);
	g_string_append(x, "<samlp:AuthnRequest xmlns:samlp=\"" TS_NS_SAML2P
			   "\" xmlns:saml=\"" TS_NS_SAML2 "\"");
	append_attr(x, "ID", id);
	append_attr(x, "Version", "2.0");
	append_attr(x, "IssueInstant", instant);
	append_attr(x, "Destination", idp->sso_url);
	append_attr(x, "AssertionConsumerServiceURL", saml->acs_url);
	append_attr(x, "ProtocolBinding", POST_BINDING);
	if (req->force_authn)
		append_attr(x, "ForceAuthn", "true");
	g_string_append(x, "><saml:Issuer>");
	append_xml_text(x, saml->entity_id);
	g_string_append(x, "</saml:Issuer><samlp:NameIDPolicy AllowCreate=\"true\"/>");
	if (req->mfa && idp->mfa_values != NULL && idp->mfa_values[0] != NULL) {
		g_string_append(x, "<samlp:RequestedAuthnContext Comparison=\"exact\">"
				   "<saml:AuthnContextClassRef>");
		append_xml_text(x, idp->mfa_values[0]);
		g_string_append(x, "</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>");
	}
	g_string_append(x, "</samlp:AuthnRequest>");
	return g_string_free(x, FALSE);
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
	if ((err = ts_saml_idp_current(idp, req->now, diag)) != TS_ERR_OK)
		goto out;
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
