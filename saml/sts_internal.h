/* Private to the STS files of saml/: the loaded key snapshot and the
 * helpers the key, token and metadata files share. */
#ifndef TS_STS_INTERNAL_H
#define TS_STS_INTERNAL_H

#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/types.h>
#include <xmlsec/keys.h>

#include "internal.h"
#include "tessera/sts.h"

#define TS_NS_WSU "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define TS_NS_AUTH "http://docs.oasis-open.org/wsfed/authorization/200706"
#define TS_NS_XSI "http://www.w3.org/2001/XMLSchema-instance"

/* Claims the STS issues and its metadata offers: SAML 1.1 spells a claim
 * URI as AttributeNamespace "/" AttributeName, so both halves are kept. */
struct ts_sts_claim {
	const char *ns;
	const char *name;
	const char *display; /* for ClaimTypesOffered */
};
extern const struct ts_sts_claim ts_sts_claim_primarysid, ts_sts_claim_upn, ts_sts_claim_name,
	ts_sts_claim_groupsid, ts_sts_claim_amr;
extern const struct ts_sts_claim *const ts_sts_claims_offered[];
extern const size_t ts_sts_n_claims_offered;

struct ts_sts_key {
	struct ts_sts_key_info info; /* state is not kept here: it depends on now */
	char *cert_b64;		     /* DER, base64 on one line: KeyInfo and metadata */
	EVP_PKEY *pkey;		     /* NULL for keys that can no longer sign */
	xmlSecKeyPtr xkey;	     /* the same private key for xmlsec, or NULL */
};

struct ts_sts_keys {
	struct ts_sts_key *keys; /* latest activation first */
	size_t n;
	long retain;
};

/* sts_keys.c: a key's state at now; the signing key at now or NULL. */
enum ts_sts_key_state ts_sts_key_state_at(const struct ts_sts_keys *keys, size_t i, ts_time now);
const struct ts_sts_key *ts_sts_signing_key(const struct ts_sts_keys *keys, ts_time now);

/* sts_files.c: the key directory's file habits (those of ticket/'s key
 * ring; saml/ cannot call into ticket/, so they live here too). */
ts_err ts_sts_check_dir(const char *dir);
ts_err ts_sts_make_dirs(const char *dir);
/* Reads a whole small regular file, opened without following links; the
 * buffer is NUL-terminated and wiped by ts_sts_free_file. */
ts_err ts_sts_read_file(const char *path, size_t max, unsigned char **buf, size_t *len,
			mode_t *mode);
void ts_sts_free_file(unsigned char *buf, size_t len);
/* The id a public key has in the directory. */
ts_err ts_sts_key_id(EVP_PKEY *pkey, char id[TS_STS_KEY_ID_LEN + 1]);

/* sts_cert.c: a self-signed certificate for a fresh key. */
ts_err ts_sts_make_cert(EVP_PKEY *pkey, const char *subject, ts_time now, int years,
			X509 **out);

/* sts_xml.c: tree building and signing shared by tokens and metadata. */
/* Text safe for XML 1.0: valid UTF-8, no C0 control but tab, LF, CR. */
bool ts_sts_xml_text_ok(const char *s);
/* "_" followed by 32 random hex digits. */
ts_err ts_sts_random_id(char out[34]);
/* Registers elem's attribute attr (already set to id) as an XML ID. */
ts_err ts_sts_register_id(xmlNodePtr elem, const char *attr);
/* Signs elem (enveloped, exclusive c14n, RSA-SHA256, SHA-256 digest, one
 * reference to #id) with key; the Signature becomes elem's first child
 * when first, else its last; KeyInfo carries the key's certificate. */
ts_err ts_sts_sign(const struct ts_sts_key *key, xmlNodePtr elem, const char *id, bool first);
/* The document's root, serialised without XML declaration, malloc'd. */
ts_err ts_sts_serialize(xmlDocPtr doc, char **out, size_t *len);

#endif
