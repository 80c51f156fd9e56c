/* The STS for pools: Tessera's token-signing keys (with rollover, as ADFS
 * AutoCertificateRollover does it), the WS-Fed passive token a pool's WIF
 * stack expects from ADFS (WS-Trust 2005 RSTR holding a signed SAML 1.1
 * assertion), and the signed FederationMetadata.xml that pools trust.
 * Implemented in saml/; no libxml2, xmlsec or OpenSSL type crosses here.
 *
 * Key directory (mode 0700, refused when group or others can access it),
 * per key, written in this order, each to a dot-named temporary, fsync'd
 * and renamed:
 *   <id>.key   PKCS#8 PEM RSA private key, mode 0600 (refused otherwise)
 *   <id>.crt   PEM self-signed certificate (CN, validity in years)
 *   <id>.json  {"id", "created", "activates_at"}: written last, it is what
 *              makes the key a member; a crash leaves at most ignored files
 * id = lowercase hex of the first 16 bytes of SHA-256 over the DER
 * SubjectPublicKeyInfo, so it follows from the key.
 *
 * Rollover rules, evaluated at any time `now`:
 *   signing    the key with the latest activates_at <= now (ties: the one
 *              created last) signs tokens and the metadata;
 *   next       activates_at > now: published but never signing yet, so
 *              pools that refresh the metadata learn it beforehand;
 *   published  an older key whose successor activated less than `retain`
 *              seconds ago: tokens it signed may still be in flight;
 *   retired    older than that: neither signs nor is published. */
#ifndef TESSERA_STS_H
#define TESSERA_STS_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/clock.h"
#include "tessera/err.h"

#define TS_STS_KEY_ID_LEN 32
#define TS_STS_KEY_BITS_DEFAULT 2048
#define TS_STS_CERT_YEARS_DEFAULT 1

/* ---- keys ---- */

/* Adds a key to dir (created 0700, parents 0755, when missing) that
 * activates at now + lead_time (0: at once). bits: 2048 or 3072 (0: 2048).
 * subject: the certificate's CN; a URL (the STS entity ID) gives its host.
 * years: certificate validity, 1..20 (0: 1). The new id goes to id_out. */
ts_err ts_sts_keys_rotate(const char *dir, ts_time now, long lead_time, int bits,
			  const char *subject, int years, char id_out[TS_STS_KEY_ID_LEN + 1]);

/* An immutable snapshot of the directory. Private keys are read once, for
 * the keys that may still sign at or after now (signing and next); any
 * number of threads may issue with one snapshot at once. retain: seconds an
 * older certificate stays published after its successor activated (the
 * longest token lifetime plus clock skew). Unsafe permissions are
 * STS_KEYS_PERMISSIONS (directory) or STS_KEY_PERMISSIONS (a .key file),
 * logged with the path and mode. An empty directory loads (nothing signs). */
struct ts_sts_keys;
ts_err ts_sts_keys_load(const char *dir, ts_time now, long retain, struct ts_sts_keys **out);
void ts_sts_keys_free(struct ts_sts_keys *keys);

enum ts_sts_key_state {
	TS_STS_KEY_NEXT,
	TS_STS_KEY_SIGNING,
	TS_STS_KEY_PUBLISHED,
	TS_STS_KEY_RETIRED,
};

/* "next", "signing", "published", "retired". */
const char *ts_sts_key_state_name(enum ts_sts_key_state state);

/* One key as a CLI lists it. */
struct ts_sts_key_info {
	char id[TS_STS_KEY_ID_LEN + 1];
	ts_time created;
	ts_time activates_at;
	ts_time not_after; /* the certificate's end */
	int bits;
	enum ts_sts_key_state state; /* at the now given to ts_sts_keys_list */
};

/* The keys as they stand at now, latest activation first. *out is
 * malloc'd (free() it); *n may be 0. */
ts_err ts_sts_keys_list(const struct ts_sts_keys *keys, ts_time now,
			struct ts_sts_key_info **out, size_t *n);

/* ---- tokens ---- */

/* What the pool's token says. issuer: our STS entity ID (the metadata's
 * entityID); audience: the pool's wtrealm. name_id, upn, name, groups and
 * amr are optional (NULL / 0). */
struct ts_sts_token {
	const char *issuer, *audience, *name_id, *upn, *name, *primary_sid;
	const char *const *groups; /* group SIDs (groupsid claim) */
	size_t n_groups;
	const char *const *amr; /* authnmethodsreferences claim values */
	size_t n_amr;
	bool mfa;	      /* AuthenticationMethod multipleauthn, else password */
	long lifetime;	      /* seconds from now to NotOnOrAfter, > 0 */
	ts_time authn_instant; /* when the user signed in; 0: now */
};

/* The wresult for a WS-Fed passive answer: a t:RequestSecurityTokenResponse
 * whose SAML 1.1 assertion is signed (RSA-SHA256, exclusive c14n) by the
 * signing key at now. *wresult is malloc'd, NUL-terminated, no XML
 * declaration. No primary SID is STS_PRIMARYSID_MISSING; no signing key at
 * now is STS_KEYS_EMPTY. */
ts_err ts_sts_issue(const struct ts_sts_keys *keys, ts_time now, const struct ts_sts_token *t,
		    char **wresult, size_t *len);

/* ---- federation metadata ---- */

struct ts_sts_metadata_params {
	const char *entity_id;	 /* our STS entity ID, = ts_sts_token.issuer */
	const char *passive_url; /* https://broker/adfs/ls/ */
};

/* FederationMetadata.xml as ADFS publishes it: a SecurityTokenServiceType
 * role with one signing KeyDescriptor per published certificate at now,
 * the claims offered and the passive endpoint, the whole document signed
 * by the signing key. *xml is malloc'd and NUL-terminated. */
ts_err ts_sts_metadata(const struct ts_sts_keys *keys, ts_time now,
		       const struct ts_sts_metadata_params *p, char **xml, size_t *len);

#endif
