/* Enveloped XML signatures, checked the strict way: exactly one signature,
 * one reference to exactly the element we then read, enveloped + exclusive
 * c14n only, allowlisted algorithms, keys only from configuration, and the
 * verify status read (xmlSecDSigCtxVerify returning 0 is not success). */
#include <string.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>

#include "internal.h"

#define ALG_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

struct alg {
	const char *uri;
	bool sha1;
};

static const struct alg signature_algs[] = {
	{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", false},
	{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", false},
	{"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", false},
	{"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", false},
	{"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", false},
	{"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", false},
	{"http://www.w3.org/2000/09/xmldsig#rsa-sha1", true},
};

static const struct alg digest_algs[] = {
	{"http://www.w3.org/2001/04/xmlenc#sha256", false},
	{"http://www.w3.org/2001/04/xmldsig-more#sha384", false},
	{"http://www.w3.org/2001/04/xmlenc#sha512", false},
	{"http://www.w3.org/2000/09/xmldsig#sha1", true},
};

static ts_err check_alg(const struct alg *algs, size_t n, const char *uri, bool allow_sha1,
			const char *what, struct ts_saml_diag *diag)
{
	for (size_t i = 0; uri != NULL && i < n; i++) {
		if (strcmp(algs[i].uri, uri) != 0)
			continue;
		if (algs[i].sha1 && !allow_sha1)
			return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_ALGORITHM,
					    "%s %s needs allow_sha1 for this IdP", what, uri);
		return TS_ERR_OK;
	}
	return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_ALGORITHM, "%s '%.100s' not allowed", what,
			    uri != NULL ? uri : "(none)");
}

static const char *child_alg(const xmlNode *parent, const char *name)
{
	xmlNodePtr n = ts_xml_child(parent, TS_NS_DSIG, name);
	return n != NULL ? ts_xml_attr(n, "Algorithm") : NULL;
}

/* The shape of SignedInfo, before any cryptography. */
static ts_err check_signed_info(const xmlNode *sig, const char *id, bool allow_sha1,
				struct ts_saml_diag *diag)
{
	xmlNodePtr si = ts_xml_child(sig, TS_NS_DSIG, "SignedInfo");
	xmlNodePtr ref, transforms;
	const char *uri, *c14n;
	bool enveloped = false, exc = false;
	ts_err err;

	if (si == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_REFERENCE, "no SignedInfo");
	c14n = child_alg(si, "CanonicalizationMethod");
	if (c14n == NULL || strcmp(c14n, ALG_EXC_C14N) != 0)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_TRANSFORMS,
				    "canonicalization '%.100s'", c14n != NULL ? c14n : "(none)");
	if ((err = check_alg(signature_algs, sizeof signature_algs / sizeof signature_algs[0],
			     child_alg(si, "SignatureMethod"), allow_sha1, "signature method",
			     diag)) != TS_ERR_OK)
		return err;
	if (ts_xml_count_children(si, TS_NS_DSIG, "Reference") != 1)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_REFERENCE,
				    "%zu references, want 1",
				    ts_xml_count_children(si, TS_NS_DSIG, "Reference"));
	ref = ts_xml_child(si, TS_NS_DSIG, "Reference");
	uri = ts_xml_attr(ref, "URI");
	if (uri == NULL || uri[0] != '#' || strcmp(uri + 1, id) != 0)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_REFERENCE,
				    "reference '%.80s' is not '#%.80s'", uri != NULL ? uri : "",
				    id);
	if ((err = check_alg(digest_algs, sizeof digest_algs / sizeof digest_algs[0],
			     child_alg(ref, "DigestMethod"), allow_sha1, "digest method",
			     diag)) != TS_ERR_OK)
		return err;
	transforms = ts_xml_child(ref, TS_NS_DSIG, "Transforms");
	for (xmlNodePtr t = transforms != NULL ? transforms->children : NULL; t != NULL;
	     t = t->next) {
		const char *alg;

		if (t->type != XML_ELEMENT_NODE)
			continue;
		alg = ts_xml_is(t, TS_NS_DSIG, "Transform") ? ts_xml_attr(t, "Algorithm") : NULL;
		if (alg != NULL && strcmp(alg, ALG_ENVELOPED) == 0 && !enveloped)
			enveloped = true;
		else if (alg != NULL && strcmp(alg, ALG_EXC_C14N) == 0 && !exc)
			exc = true;
		else
			return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_TRANSFORMS,
					    "transform '%.100s'", alg != NULL ? alg : "(none)");
	}
	if (!enveloped)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_TRANSFORMS,
				    "no enveloped-signature transform");
	return TS_ERR_OK;
}

/* Only these transforms may run, whatever the document asks for. */
static int restrict_transforms(xmlSecDSigCtxPtr ctx, bool allow_sha1)
{
	xmlSecTransformId ref[] = {
		xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId, xmlSecTransformSha256Id,
		xmlSecTransformSha384Id, xmlSecTransformSha512Id,
	};
	xmlSecTransformId sig[] = {
		xmlSecTransformExclC14NId,	  xmlSecTransformRsaSha256Id,
		xmlSecTransformRsaSha384Id,	  xmlSecTransformRsaSha512Id,
		xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id,
		xmlSecTransformEcdsaSha512Id,
	};

	for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
		if (xmlSecDSigCtxEnableReferenceTransform(ctx, ref[i]) < 0)
			return -1;
	for (size_t i = 0; i < sizeof sig / sizeof sig[0]; i++)
		if (xmlSecDSigCtxEnableSignatureTransform(ctx, sig[i]) < 0)
			return -1;
	if (allow_sha1 && (xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha1Id) < 0 ||
			   xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha1Id) < 0))
		return -1;
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	return 0;
}

/* One attempt with one key: 1 verified, 0 not, -1 processing error. */
static int verify_once(xmlNodePtr sig, xmlSecKeyPtr key, bool allow_sha1)
{
	xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
	int verified = -1;

	if (ctx == NULL)
		return -1;
	if (restrict_transforms(ctx, allow_sha1) < 0)
		goto out;
	/* A key set here means KeyInfo is never consulted for one. */
	ctx->signKey = xmlSecKeyDuplicate(key);
	if (ctx->signKey == NULL)
		goto out;
	if (xmlSecDSigCtxVerify(ctx, sig) < 0)
		goto out;
	verified = ctx->status == xmlSecDSigStatusSucceeded ? 1 : 0;
out:
	xmlSecDSigCtxDestroy(ctx);
	return verified;
}

ts_err ts_xml_verify_with_keys(xmlNodePtr elem, const char *id, xmlSecKeyPtr *keys,
			       size_t n_keys, bool allow_sha1, bool *is_signed,
			       struct ts_saml_diag *diag)
{
	size_t count = ts_xml_count_children(elem, TS_NS_DSIG, "Signature");
	xmlNodePtr sig = ts_xml_child(elem, TS_NS_DSIG, "Signature");
	xmlAttrPtr target;
	bool processing_error = false;
	ts_err err;

	*is_signed = false;
	if (count == 0)
		return TS_ERR_OK;
	if (count > 1)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_COUNT, "%zu signatures on <%s>",
				    count, (const char *)elem->name);
	if ((err = check_signed_info(sig, id, allow_sha1, diag)) != TS_ERR_OK)
		return err;
	/* The ID must lead back to this very element: nothing else may answer
	 * to it (IDs were checked unique document-wide before). */
	target = xmlGetID(elem->doc, (const xmlChar *)id);
	if (target == NULL || target->parent != elem)
		return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_REFERENCE,
				    "ID '%.80s' does not resolve to <%s>", id,
				    (const char *)elem->name);
	for (size_t i = 0; i < n_keys; i++) {
		int r = verify_once(sig, keys[i], allow_sha1);
		if (r == 1) {
			*is_signed = true;
			return TS_ERR_OK;
		}
		processing_error |= r < 0;
	}
	return ts_saml_fail(diag, TS_ERR_SAML_SIGNATURE_INVALID,
			    "signature on <%s> %s with %zu configured key(s)",
			    (const char *)elem->name,
			    processing_error ? "could not be processed" : "does not verify", n_keys);
}

ts_err ts_xml_verify_enveloped(xmlNodePtr elem, const char *id, const struct ts_saml_idp *idp,
			       bool *is_signed, struct ts_saml_diag *diag)
{
	return ts_xml_verify_with_keys(elem, id, idp->keys, idp->n_keys, idp->allow_sha1,
				       is_signed, diag);
}
