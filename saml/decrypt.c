/* Encrypted assertions (SAML 2.0 EncryptedAssertion, ADFS token encryption
 * in an RSTR). The session key is unwrapped here with OpenSSL so that only
 * RSA-OAEP is ever used (no PKCS#1 v1.5 oracle) and no key is looked up from
 * the message; xmlsec then decrypts the data with that key only. */
#include <openssl/rsa.h>
#include <string.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/crypto.h>

#include "internal.h"

#define XENC11 "http://www.w3.org/2009/xmlenc11#"
/* RSA decryption writes up to the modulus size (OpenSSL insists on room for
 * it); the AES key is then its first 16 to 32 bytes. */
#define TS_UNWRAP_MAX 1024
#define MAX_KEY_TRIES 2

struct data_alg {
	const char *uri;
	size_t key_len;
};

static const struct data_alg data_algs[] = {
	{TS_NS_XENC "aes128-cbc", 16}, {TS_NS_XENC "aes192-cbc", 24},
	{TS_NS_XENC "aes256-cbc", 32}, {XENC11 "aes128-gcm", 16},
	{XENC11 "aes192-gcm", 24},     {XENC11 "aes256-gcm", 32},
};

static const EVP_MD *digest_by_uri(const char *uri)
{
	if (uri == NULL || strcmp(uri, "http://www.w3.org/2000/09/xmldsig#sha1") == 0)
		return EVP_sha1(); /* the OAEP default; not a signature digest */
	if (strcmp(uri, "http://www.w3.org/2001/04/xmlenc#sha256") == 0)
		return EVP_sha256();
	if (strcmp(uri, "http://www.w3.org/2001/04/xmlenc#sha512") == 0)
		return EVP_sha512();
	return NULL;
}

static const EVP_MD *mgf_by_uri(const char *uri)
{
	if (uri == NULL || strcmp(uri, XENC11 "mgf1sha1") == 0)
		return EVP_sha1();
	if (strcmp(uri, XENC11 "mgf1sha256") == 0)
		return EVP_sha256();
	if (strcmp(uri, XENC11 "mgf1sha512") == 0)
		return EVP_sha512();
	return NULL;
}

static const char *alg_of(const xmlNode *n, const char *ns, const char *name)
{
	xmlNodePtr c = ts_xml_child(n, ns, name);
	return c != NULL ? ts_xml_attr(c, "Algorithm") : NULL;
}

static ts_err b64_of(const xmlNode *cipher_data_parent, unsigned char **out, size_t *out_len,
		     struct ts_saml_diag *diag)
{
	xmlNodePtr cd = ts_xml_child(cipher_data_parent, TS_NS_XENC, "CipherData");
	xmlNodePtr cv = ts_xml_child(cd, TS_NS_XENC, "CipherValue");
	char *text = NULL, *raw = NULL;
	size_t raw_len = 0;
	ts_err err;

	if (cv == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "no CipherValue");
	if ((err = ts_xml_text(cv, &text, diag)) != TS_ERR_OK)
		return err;
	err = ts_saml_decode_base64(text, strlen(text), 4096, &raw, &raw_len);
	free(text);
	if (err != TS_ERR_OK)
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "CipherValue is not base64");
	*out = (unsigned char *)raw;
	*out_len = raw_len;
	return TS_ERR_OK;
}

/* RSA-OAEP unwrap of one EncryptedKey. */
static ts_err unwrap_key(EVP_PKEY *pkey, const xmlNode *ek, unsigned char *key, size_t *key_len,
			 struct ts_saml_diag *diag)
{
	xmlNodePtr method = ts_xml_child(ek, TS_NS_XENC, "EncryptionMethod");
	const char *alg = method != NULL ? ts_xml_attr(method, "Algorithm") : NULL;
	const EVP_MD *md, *mgf;
	EVP_PKEY_CTX *ctx = NULL;
	unsigned char *wrapped = NULL;
	size_t wrapped_len = 0;
	ts_err err;

	if (alg == NULL || (strcmp(alg, TS_NS_XENC "rsa-oaep-mgf1p") != 0 &&
			    strcmp(alg, XENC11 "rsa-oaep") != 0))
		return ts_saml_fail(diag, TS_ERR_SAML_ENCRYPTION_ALGORITHM, "key transport '%.80s'",
				    alg != NULL ? alg : "(none)");
	md = digest_by_uri(alg_of(method, TS_NS_DSIG, "DigestMethod"));
	mgf = strcmp(alg, XENC11 "rsa-oaep") == 0 ? mgf_by_uri(alg_of(method, XENC11, "MGF"))
						   : EVP_sha1();
	if (md == NULL || mgf == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_ENCRYPTION_ALGORITHM, "OAEP digest or MGF");
	if ((err = b64_of(ek, &wrapped, &wrapped_len, diag)) != TS_ERR_OK)
		return err;
	err = ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "EncryptedKey does not open with our key");
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (ctx != NULL && EVP_PKEY_decrypt_init(ctx) > 0 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) > 0 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0 && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, mgf) > 0 &&
	    EVP_PKEY_decrypt(ctx, key, key_len, wrapped, wrapped_len) > 0)
		err = TS_ERR_OK;
	EVP_PKEY_CTX_free(ctx);
	free(wrapped);
	return err;
}

/* EncryptedKey candidates: inside the data's KeyInfo, or beside the data in
 * an EncryptedAssertion (Okta's detached form). */
static ts_err find_session_key(EVP_PKEY *pkey, const xmlNode *enc_data, size_t want_len,
			       unsigned char *key, struct ts_saml_diag *diag)
{
	const xmlNode *places[2] = {ts_xml_child(enc_data, TS_NS_DSIG, "KeyInfo"),
				    enc_data->parent};
	ts_err err = ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "no EncryptedKey");
	size_t tried = 0;

	for (size_t p = 0; p < 2; p++) {
		for (const xmlNode *c = places[p] != NULL ? places[p]->children : NULL; c != NULL;
		     c = c->next) {
			size_t len = TS_UNWRAP_MAX;

			if (!ts_xml_is(c, TS_NS_XENC, "EncryptedKey"))
				continue;
			/* Each try is a private-key operation: bound the work a
			 * message full of EncryptedKeys can cause. */
			if (++tried > MAX_KEY_TRIES)
				return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT,
						    "more than %d EncryptedKey elements",
						    MAX_KEY_TRIES);
			err = unwrap_key(pkey, c, key, &len, diag);
			if (err == TS_ERR_OK && len != want_len)
				err = ts_saml_fail(diag, TS_ERR_SAML_DECRYPT,
						   "session key is %zu bytes, want %zu", len,
						   want_len);
			if (err == TS_ERR_OK)
				return TS_ERR_OK;
			OPENSSL_cleanse(key, TS_UNWRAP_MAX);
			if (err == TS_ERR_SAML_ENCRYPTION_ALGORITHM)
				return err;
		}
	}
	return err;
}

/* The data must be inline (CipherValue), never a CipherReference that would
 * make xmlsec fetch a URI, and only the AES transform may run on it. */
static bool inline_cipher_data(const xmlNode *enc_data)
{
	xmlNodePtr cd = ts_xml_child(enc_data, TS_NS_XENC, "CipherData");
	xmlNodePtr only = ts_xml_first_element(cd);

	return only != NULL && ts_xml_is(only, TS_NS_XENC, "CipherValue") &&
	       ts_xml_count_children(cd, TS_NS_XENC, "CipherValue") == 1 &&
	       ts_xml_count_children(cd, TS_NS_XENC, "CipherReference") == 0;
}

static int restrict_decryption(xmlSecEncCtxPtr ctx)
{
	const xmlSecTransformId aes[] = {
		xmlSecTransformAes128CbcId, xmlSecTransformAes192CbcId, xmlSecTransformAes256CbcId,
		xmlSecTransformAes128GcmId, xmlSecTransformAes192GcmId, xmlSecTransformAes256GcmId,
	};

	ctx->transformCtx.enabledUris = xmlSecTransformUriTypeNone;
	for (size_t i = 0; i < sizeof aes / sizeof aes[0]; i++)
		if (xmlSecPtrListAdd(&ctx->transformCtx.enabledTransforms, (void *)aes[i]) < 0)
			return -1;
	return 0;
}

static bool is_assertion(const xmlNode *n)
{
	return ts_xml_is(n, TS_NS_SAML2, "Assertion") || ts_xml_is(n, TS_NS_SAML1, "Assertion");
}

ts_err ts_xml_decrypt(const struct ts_saml *saml, xmlNodePtr container, xmlNodePtr *assertion,
		      struct ts_saml_diag *diag)
{
	xmlNodePtr enc_data = ts_xml_is(container, TS_NS_XENC, "EncryptedData")
				      ? container
				      : ts_xml_child(container, TS_NS_XENC, "EncryptedData");
	xmlNodePtr parent;
	const struct data_alg *alg = NULL;
	const char *alg_uri, *type;
	unsigned char key[TS_UNWRAP_MAX];
	xmlSecEncCtxPtr ctx = NULL;
	ts_err err;

	*assertion = NULL;
	if (saml->decryption_key == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT,
				    "encrypted assertion but no [sp] decryption_key");
	if (enc_data == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "no EncryptedData");
	type = ts_xml_attr(enc_data, "Type");
	if (type != NULL && strcmp(type, TS_NS_XENC "Element") != 0)
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "EncryptedData Type '%.80s'", type);
	alg_uri = alg_of(enc_data, TS_NS_XENC, "EncryptionMethod");
	for (size_t i = 0; alg_uri != NULL && i < sizeof data_algs / sizeof data_algs[0]; i++)
		if (strcmp(alg_uri, data_algs[i].uri) == 0)
			alg = &data_algs[i];
	if (alg == NULL)
		return ts_saml_fail(diag, TS_ERR_SAML_ENCRYPTION_ALGORITHM, "data encryption '%.80s'",
				    alg_uri != NULL ? alg_uri : "(none)");
	if (!inline_cipher_data(enc_data))
		return ts_saml_fail(diag, TS_ERR_SAML_DECRYPT,
				    "CipherData must hold one CipherValue (no CipherReference)");
	if ((err = find_session_key(saml->decryption_key, enc_data, alg->key_len, key, diag)) !=
	    TS_ERR_OK)
		return err;
	parent = enc_data->parent;
	/* One detail for every failure past this point: telling a padding error
	 * from a parse error would hand out a CBC decryption oracle. */
	err = ts_saml_fail(diag, TS_ERR_SAML_DECRYPT, "EncryptedData does not decrypt to one "
						      "assertion");
	ctx = xmlSecEncCtxCreate(NULL);
	if (ctx == NULL || restrict_decryption(ctx) < 0)
		goto out;
	ctx->encKey = xmlSecKeyReadMemory(xmlSecKeyDataAesId, key, (xmlSecSize)alg->key_len);
	if (ctx->encKey == NULL)
		goto out;
	/* Replaces EncryptedData by the parsed plaintext (xmlsec parses it with
	 * the options set in ts_saml_library_init: no entities, no network). */
	if (xmlSecEncCtxDecrypt(ctx, enc_data) < 0 || ctx->result == NULL || !ctx->resultReplaced)
		goto out;
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next) {
		if (!is_assertion(c))
			continue;
		if (*assertion != NULL) {
			err = ts_saml_fail(diag, TS_ERR_SAML_ASSERTION_COUNT,
					   "encrypted data holds more than one assertion");
			goto out;
		}
		*assertion = c;
	}
	err = *assertion != NULL ? TS_ERR_OK
				 : ts_saml_fail(diag, TS_ERR_SAML_DECRYPT,
						"decrypted data is not an assertion");
out:
	OPENSSL_cleanse(key, sizeof key);
	if (ctx != NULL)
		xmlSecEncCtxDestroy(ctx);
	if (err != TS_ERR_OK)
		*assertion = NULL;
	return err;
}
