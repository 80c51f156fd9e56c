/* The JWKS document (RFC 7517): what an upstream needs to verify Tessera
 * tickets on its own. Ed25519 keys as OKP (RFC 8037), P-256 keys as EC with
 * x and y. A retired key stays listed until no ticket it signed can still be
 * valid, so a rotation never breaks a verifier that fetched the set before. */
#include <openssl/core_names.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_internal.h"

static ts_err set_b64(json_t *jwk, const char *name, const unsigned char *raw, size_t n)
{
	char text[64];

	if (ts_b64url_encode(raw, n, text, sizeof text, NULL) != TS_ERR_OK ||
	    json_object_set_new(jwk, name, json_string(text)) != 0)
		return TS_ERR_NOMEM;
	return TS_ERR_OK;
}

static ts_err jwk_of(const struct ts_key *key, json_t **out)
{
	unsigned char pub[65];
	size_t len = 0;
	json_t *jwk = json_pack("{s:s, s:s, s:s}", "kid", key->info.kid, "alg",
				ts_ticket_alg_name(key->info.alg), "use", "sig");
	ts_err err = TS_ERR_NOMEM;

	if (jwk == NULL)
		goto out;
	if (key->info.alg == TS_ALG_EDDSA) {
		len = 32;
		if (EVP_PKEY_get_raw_public_key(key->pkey, pub, &len) != 1 || len != 32) {
			err = TS_ERR_CRYPTO;
			goto out;
		}
		if (json_object_set_new(jwk, "kty", json_string("OKP")) != 0 ||
		    json_object_set_new(jwk, "crv", json_string("Ed25519")) != 0 ||
		    (err = set_b64(jwk, "x", pub, 32)) != TS_ERR_OK)
			goto out;
	} else {
		/* Uncompressed point: 0x04 || x || y, 32 bytes each. */
		if (EVP_PKEY_get_octet_string_param(key->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						    pub, sizeof pub, &len) != 1 ||
		    len != 65 || pub[0] != 0x04) {
			err = TS_ERR_CRYPTO;
			goto out;
		}
		if (json_object_set_new(jwk, "kty", json_string("EC")) != 0 ||
		    json_object_set_new(jwk, "crv", json_string("P-256")) != 0 ||
		    (err = set_b64(jwk, "x", pub + 1, 32)) != TS_ERR_OK ||
		    (err = set_b64(jwk, "y", pub + 33, 32)) != TS_ERR_OK)
			goto out;
	}
	*out = jwk;
	jwk = NULL;
	err = TS_ERR_OK;
out:
	json_decref(jwk);
	return err;
}

ts_err ts_jwks_build(const struct ts_keyring *ring, ts_time now, char **json, size_t *json_len)
{
	json_t *keys = json_array(), *doc = NULL, *jwk = NULL;
	ts_err err = TS_ERR_NOMEM;

	*json = NULL;
	if (keys == NULL)
		goto out;
	for (size_t i = 0; i < ring->n; i++) {
		const struct ts_key *key = &ring->keys[i];

		if (!key->info.active && now >= key->info.deletable_after)
			continue;
		if ((err = jwk_of(key, &jwk)) != TS_ERR_OK)
			goto out;
		if (json_array_append_new(keys, jwk) != 0) {
			err = TS_ERR_NOMEM;
			goto out;
		}
	}
	if ((doc = json_pack("{s:O}", "keys", keys)) == NULL ||
	    (*json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	*json_len = strlen(*json);
	err = TS_ERR_OK;
out:
	json_decref(doc);
	json_decref(keys);
	return err;
}
