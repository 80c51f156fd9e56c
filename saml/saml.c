/* The SAML context: library set-up, and loading what we trust (IdP keys from
 * metadata and pinned certificates, our decryption key) once, up front. */
#include <glib.h>
#include <libxml/globals.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/io.h>
#include <xmlsec/parser.h>
#include <xmlsec/xmlsec.h>

#include "metadata.h"
#include "tessera/log.h"

/* xmlsec reports every failed check on stderr; ours are named and logged
 * already, so its reasons go to the debug level only. */
/* libxml2 reports some errors even with XML_PARSE_NOERROR (xml:id
 * validity): message text is the sender's, so it is dropped, never printed. */
static void on_xml_error(void *ctx, const char *fmt, ...)
{
}

static void on_xml_structured_error(void *ctx, xmlErrorPtr error)
{
}

static void on_xmlsec_error(const char *file, int line, const char *func, const char *object,
			    const char *subject, int reason, const char *msg)
{
	ts_log(TS_LOG_DEBUG, "xmlsec", "func", func, "subject", subject, "message", msg);
}

ts_err ts_saml_library_init(void)
{
	xmlInitParser();
	/* The plaintext of encrypted assertions is parsed by xmlsec: the same
	 * rules as for the message itself (no entities, no network). */
	xmlSecParserSetDefaultOptions(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 ||
	    xmlSecCryptoInit() < 0)
		return TS_ERR_CRYPTO;
	xmlSecErrorsSetCallback(on_xmlsec_error);
	/* Per thread in libxml2: set now and as the default of new threads. */
	xmlSetGenericErrorFunc(NULL, on_xml_error);
	xmlSetStructuredErrorFunc(NULL, on_xml_structured_error);
	xmlThrDefSetGenericErrorFunc(NULL, on_xml_error);
	xmlThrDefSetStructuredErrorFunc(NULL, on_xml_structured_error);
	/* xmlsec may never fetch anything (file, http): nothing we verify or
	 * decrypt has a reason to, whatever a message asks for. */
	xmlSecIOCleanupCallbacks();
	return TS_ERR_OK;
}

void ts_saml_library_shutdown(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
}

static void idp_clear(struct ts_saml_idp *idp)
{
	g_free(idp->name);
	g_free(idp->entity_id);
	g_free(idp->protocol);
	g_free(idp->sso_url);
	g_strfreev(idp->mfa_values);
	for (size_t i = 0; i < idp->n_keys; i++)
		xmlSecKeyDestroy(idp->keys[i]);
	g_free(idp->keys);
}

void ts_saml_free(struct ts_saml *saml)
{
	if (saml == NULL)
		return;
	for (size_t i = 0; i < saml->n_idps; i++)
		idp_clear(&saml->idps[i]);
	g_free(saml->idps);
	g_free(saml->entity_id);
	g_free(saml->acs_url);
	g_free(saml->wsfed_url);
	g_free(saml->realm);
	g_free(saml->signing_cert_b64);
	g_free(saml->decryption_cert_b64);
	EVP_PKEY_free(saml->decryption_key);
	EVP_PKEY_free(saml->signing_key);
	g_free(saml);
}

static ts_err load_cert_key(const char *path, xmlSecKeyPtr *out, struct ts_saml_diag *diag)
{
	*out = xmlSecCryptoAppKeyLoad(path, xmlSecKeyDataFormatCertPem, NULL, NULL, NULL);
	if (*out == NULL)
		return ts_saml_fail(diag, TS_ERR_KEY_LOAD, "certificate %s does not load", path);
	return TS_ERR_OK;
}

static ts_err load_private_key(const char *path, EVP_PKEY **out, struct ts_saml_diag *diag)
{
	struct stat st;
	FILE *f = fopen(path, "r");

	*out = NULL;
	if (f == NULL)
		return ts_saml_fail(diag, TS_ERR_KEY_LOAD, "cannot open %s", path);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		ts_log(TS_LOG_WARN, "key_permissions", "file", path, "advice",
		       "private key readable by group or others: chmod 600");
	*out = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (*out == NULL || EVP_PKEY_get_base_id(*out) != EVP_PKEY_RSA) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return ts_saml_fail(diag, TS_ERR_KEY_LOAD, "%s is not a PEM RSA private key", path);
	}
	return TS_ERR_OK;
}

/* A PEM certificate as the base64 DER that metadata carries. */
static ts_err load_cert_b64(const char *path, char **out, struct ts_saml_diag *diag)
{
	FILE *f = fopen(path, "r");
	X509 *cert = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int len = cert != NULL ? i2d_X509(cert, &der) : -1;

	if (f != NULL)
		fclose(f);
	X509_free(cert);
	if (len <= 0)
		return ts_saml_fail(diag, TS_ERR_KEY_LOAD, "certificate %s does not load", path);
	*out = g_base64_encode(der, (gsize)len);
	OPENSSL_free(der);
	return TS_ERR_OK;
}

/* Keeps what verification needs of a configured certificate (metadata or
 * pinned): its public key alone; cert_key is consumed. xmlsec duplicates
 * the key it is given for every signature it checks, and with the
 * certificate attached that was an X509_dup (a DER parse and a decoder
 * set-up) per validation, about half of its cost; the bare key value is
 * duplicated by reference (EVP_PKEY_up_ref). Nothing verification reads is
 * lost: the certificate is only a key container here (its dates are not
 * checked), and the key still comes only from configuration, never from
 * KeyInfo. */
static ts_err add_key(struct ts_saml_idp *idp, xmlSecKeyPtr cert_key, const char *from,
		      struct ts_saml_diag *diag)
{
	xmlSecKeyDataPtr value = NULL;
	xmlSecKeyPtr key = xmlSecKeyCreate();
	ts_err err = TS_ERR_OK;

	if (key == NULL || xmlSecKeyGetValue(cert_key) == NULL ||
	    (value = xmlSecKeyDataDuplicate(xmlSecKeyGetValue(cert_key))) == NULL ||
	    xmlSecKeySetValue(key, value) < 0) {
		if (value != NULL)
			xmlSecKeyDataDestroy(value);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		err = ts_saml_fail(diag, TS_ERR_KEY_LOAD, "no public key in the certificate of %s",
				   from);
		goto out;
	}
	key->usage = cert_key->usage;
	idp->keys = g_renew(xmlSecKeyPtr, idp->keys, idp->n_keys + 1);
	idp->keys[idp->n_keys++] = key;
out:
	xmlSecKeyDestroy(cert_key);
	return err;
}

static ts_err load_idp(const struct ts_config_idp *cfg, ts_time now, struct ts_saml_idp *idp,
		       struct ts_saml_diag *diag)
{
	struct ts_metadata md = {0};
	xmlSecKeyPtr pinned = NULL;
	ts_err err = TS_ERR_OK;

	idp->name = g_strdup(cfg->name);
	idp->protocol = g_strdup(cfg->protocol);
	idp->allow_sha1 = cfg->allow_sha1;
	idp->allow_unsolicited = cfg->allow_unsolicited;
	idp->clock_skew = cfg->clock_skew;
	idp->mfa_values = g_strdupv(cfg->mfa_values);
	if (*cfg->metadata != '\0') {
		if (*cfg->metadata_signing_cert != '\0' &&
		    (err = load_cert_key(cfg->metadata_signing_cert, &pinned, diag)) != TS_ERR_OK)
			goto out;
		err = ts_metadata_load(cfg->metadata, *cfg->entity_id != '\0' ? cfg->entity_id : NULL,
				       pinned, &md, diag);
		if (err != TS_ERR_OK)
			goto out;
		idp->entity_id = g_strdup(md.entity_id);
		idp->valid_until = md.valid_until;
		struct ts_saml_diag expired = {{0}};
		if (ts_saml_idp_current(idp, now, &expired) != TS_ERR_OK)
			ts_log(TS_LOG_WARN, "idp_metadata_expired", "detail", expired.text, "then",
			       "its sign-ins are refused until a fresh file loads");
		idp->sso_url = g_strdup(strcmp(cfg->protocol, "wsfed") == 0 && md.passive_url != NULL
						? md.passive_url
						: md.sso_redirect_url);
		for (size_t i = 0; i < md.n_keys; i++) {
			xmlSecKeyPtr k = md.keys[i];
			md.keys[i] = NULL; /* moved: add_key consumes it */
			if (err == TS_ERR_OK)
				err = add_key(idp, k, cfg->metadata, diag);
			else
				xmlSecKeyDestroy(k);
		}
		md.n_keys = 0;
		if (err != TS_ERR_OK)
			goto out;
	} else {
		idp->entity_id = g_strdup(cfg->entity_id);
	}
	if (*cfg->sso_url != '\0') {
		g_free(idp->sso_url);
		idp->sso_url = g_strdup(cfg->sso_url);
	}
	for (char **c = cfg->certificates; c != NULL && *c != NULL; c++) {
		xmlSecKeyPtr key;
		if ((err = load_cert_key(*c, &key, diag)) != TS_ERR_OK ||
		    (err = add_key(idp, key, *c, diag)) != TS_ERR_OK)
			goto out;
	}
	if (idp->entity_id == NULL || *idp->entity_id == '\0')
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "no entity_id and no metadata");
	else if (idp->n_keys == 0)
		err = ts_saml_fail(diag, TS_ERR_SAML_METADATA, "no signing certificate");
out:
	ts_metadata_clear(&md);
	if (pinned != NULL)
		xmlSecKeyDestroy(pinned);
	return err;
}

ts_err ts_saml_new(const struct ts_config *cfg, ts_time now, struct ts_saml **out,
		   struct ts_saml_diag *diag)
{
	struct ts_saml *saml = g_new0(struct ts_saml, 1);
	ts_err err = TS_ERR_OK;

	*out = NULL;
	saml->entity_id = g_strdup(cfg->sp.entity_id);
	saml->acs_url = g_strdup(cfg->sp.acs_url);
	saml->wsfed_url = g_strdup(cfg->sp.wsfed_url);
	saml->realm = g_strdup(*cfg->sp.wsfed_realm != '\0' ? cfg->sp.wsfed_realm
							   : cfg->sp.entity_id);
	saml->max_message_bytes = (size_t)cfg->sp.max_message_bytes;
	saml->sign_authn_requests = cfg->sp.sign_authn_requests;
	if (*cfg->sp.decryption_key != '\0' &&
	    (err = load_private_key(cfg->sp.decryption_key, &saml->decryption_key, diag)) !=
		    TS_ERR_OK)
		goto out;
	if (*cfg->sp.signing_key != '\0' &&
	    (err = load_private_key(cfg->sp.signing_key, &saml->signing_key, diag)) != TS_ERR_OK)
		goto out;
	if (saml->sign_authn_requests && saml->signing_key == NULL) {
		err = ts_saml_fail(diag, TS_ERR_KEY_LOAD,
				   "[sp] sign_authn_requests needs signing_key");
		goto out;
	}
	if ((*cfg->sp.signing_cert != '\0' &&
	     (err = load_cert_b64(cfg->sp.signing_cert, &saml->signing_cert_b64, diag)) !=
		     TS_ERR_OK) ||
	    (*cfg->sp.decryption_cert != '\0' &&
	     (err = load_cert_b64(cfg->sp.decryption_cert, &saml->decryption_cert_b64, diag)) !=
		     TS_ERR_OK))
		goto out;
	saml->idps = g_new0(struct ts_saml_idp, cfg->n_idps + 1);
	for (size_t i = 0; i < cfg->n_idps; i++) {
		saml->n_idps++;
		if ((err = load_idp(&cfg->idps[i], now, &saml->idps[i], diag)) != TS_ERR_OK) {
			char detail[sizeof diag->text];
			memcpy(detail, diag->text, sizeof detail);
			ts_saml_fail(diag, err, "[idp %s]: %s", cfg->idps[i].name, detail);
			goto out;
		}
	}
	*out = saml;
	saml = NULL;
out:
	ts_saml_free(saml);
	return err;
}
