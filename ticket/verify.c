/* Verification. Cheap refusals come first (size, shape, header, alg and kid
 * against the ring) so a forged token costs little; the signature is
 * checked before the claims are parsed, so unauthenticated JSON never
 * reaches the claims parser; a ticket that passed is remembered and costs one
 * hash lookup next time. */
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>

#include "tessera/log.h"
#include "ticket_internal.h"

/* Largest decoded payload of a token within TS_TICKET_MAX_BYTES. */
#define PAYLOAD_MAX (TS_TICKET_MAX_BYTES / 4 * 3)

/* What the log line of a refusal says beyond the error name. */
struct refusal {
	const char *reason;
	char kid[TS_KID_LEN + 1];
};

static ts_err check_times(const struct ts_tickets *t, const struct ts_ticket_claims *c,
			  ts_time now, struct refusal *why)
{
	if (now >= c->exp + t->skew) {
		why->reason = "exp";
		return TS_ERR_TICKET_EXPIRED;
	}
	if (now < c->nbf - t->skew) {
		why->reason = "nbf";
		return TS_ERR_TICKET_NOT_YET_VALID;
	}
	if (now < c->iat - t->skew) {
		why->reason = "iat in the future";
		return TS_ERR_TICKET_NOT_YET_VALID;
	}
	/* A user revocation is kept for lifetime + skew after its time; a
	 * longer-lived ticket would come back to life after that. */
	if (c->exp - c->iat > t->lifetime) {
		why->reason = "lifetime longer than configured";
		return TS_ERR_TICKET_EXPIRED;
	}
	return TS_ERR_OK;
}

/* The signature, header and claims: everything but the cache. */
static ts_err full_check(struct ts_tickets *t, const char *token, size_t len,
			 const char *audience, ts_time now, struct ts_ticket_claims **out,
			 struct ts_verify_cache_entry *meta, struct refusal *why)
{
	unsigned char header[TS_JWS_HEADER_MAX], sig[TS_SIG_LEN + 3], payload[PAYLOAD_MAX];
	size_t header_len, sig_len, payload_len;
	struct ts_jws_parts parts;
	struct ts_keyring *ring = NULL;
	const struct ts_key *key;
	struct ts_ticket_claims *c = NULL;
	enum ts_ticket_alg alg;
	ts_err err;

	why->reason = "not three base64url parts";
	if ((err = ts_jws_split(token, len, &parts)) != TS_ERR_OK ||
	    (err = ts_b64url_decode(parts.header, parts.header_len, header, sizeof header,
				    &header_len)) != TS_ERR_OK)
		goto out;
	why->reason = "header";
	if ((err = ts_json_header(header, header_len, &alg, why->kid)) != TS_ERR_OK)
		goto out;
	ring = ts_tickets_ring(t, &meta->ring_gen);
	why->reason = "kid";
	if ((key = ts_keyring_find(ring, why->kid)) == NULL) {
		err = TS_ERR_TICKET_UNKNOWN_KID;
		goto out;
	}
	if (!key->info.active && now >= key->info.deletable_after) {
		why->reason = "key retired longer than the ticket lifetime";
		err = TS_ERR_TICKET_UNKNOWN_KID;
		goto out;
	}
	/* The key decides the algorithm, never the token: no "none", no HMAC
	 * keyed with a public key, no ES256 claim on an Ed25519 key. */
	why->reason = "alg differs from the key's";
	if (alg != key->info.alg) {
		err = TS_ERR_TICKET_ALG;
		goto out;
	}
	why->reason = "not base64url";
	if ((err = ts_b64url_decode(parts.sig, parts.sig_len, sig, sizeof sig, &sig_len)) !=
		    TS_ERR_OK ||
	    (err = ts_b64url_decode(parts.payload, parts.payload_len, payload, sizeof payload,
				    &payload_len)) != TS_ERR_OK)
		goto out;
	why->reason = "signature";
	if ((err = ts_sig_verify(key->pkey, alg, token, parts.signing_input_len, sig, sig_len)) !=
	    TS_ERR_OK)
		goto out;
	if ((err = ts_json_claims(payload, payload_len, &c, &why->reason)) != TS_ERR_OK)
		goto out;
	c->alg = alg;
	memcpy(c->kid, why->kid, sizeof c->kid);
	why->reason = "iss";
	if (strcmp(c->iss, t->issuer) != 0) {
		err = TS_ERR_TICKET_ISSUER;
		goto out;
	}
	why->reason = "aud";
	if (strcmp(c->aud, audience) != 0) {
		err = TS_ERR_TICKET_AUDIENCE;
		goto out;
	}
	if ((err = check_times(t, c, now, why)) != TS_ERR_OK)
		goto out;
	/* The generation is read before the check: a revocation landing in
	 * between makes the cached entry look stale, never fresh. */
	meta->rev_gen = t->rev != NULL ? ts_revocations_generation(t->rev) : 0;
	why->reason = "revoked";
	if (t->rev != NULL && ts_revocations_match(t->rev, c)) {
		err = TS_ERR_TICKET_REVOKED;
		goto out;
	}
	meta->valid_from = (c->nbf > c->iat ? c->nbf : c->iat) - t->skew;
	meta->valid_until = c->exp + t->skew;
	*out = c;
	c = NULL;
	err = TS_ERR_OK;
out:
	ts_ticket_claims_release(c);
	ts_keyring_unref(ring);
	return err;
}

/* A cache hit still answers to the audience asked for, to revocations made
 * since it was stored, and to a key ring swapped since (checked in full). */
static bool cached(struct ts_tickets *t, const unsigned char digest[32], const char *audience,
		   ts_time now, const struct ts_ticket_claims **out, struct refusal *why,
		   ts_err *err)
{
	const struct ts_ticket_claims *c = NULL;
	struct ts_verify_cache_entry meta;
	uint64_t rev_gen;
	bool hit = false;

	if (!ts_verify_cache_get(t->cache, digest, now, &c, &meta))
		return false;
	if (meta.ring_gen != ts_tickets_ring_generation(t))
		goto out;
	hit = true;
	*err = TS_ERR_OK;
	memcpy(why->kid, c->kid, sizeof why->kid);
	if (strcmp(c->aud, audience) != 0) {
		why->reason = "aud";
		*err = TS_ERR_TICKET_AUDIENCE;
		goto out;
	}
	if (t->rev != NULL && meta.rev_gen != (rev_gen = ts_revocations_generation(t->rev))) {
		if (ts_revocations_match(t->rev, c)) {
			ts_verify_cache_forget(t->cache, digest);
			why->reason = "revoked";
			*err = TS_ERR_TICKET_REVOKED;
			goto out;
		}
		ts_verify_cache_confirm(t->cache, digest, rev_gen);
	}
	*out = c;
	c = NULL;
out:
	ts_ticket_claims_release(c);
	return hit;
}

ts_err ts_ticket_verify(struct ts_tickets *t, const char *token, size_t token_len,
			const char *audience, const struct ts_ticket_claims **out)
{
	const ts_time now = ts_clock_now(t->clock);
	unsigned char digest[SHA256_DIGEST_LENGTH];
	struct ts_verify_cache_entry meta = {0};
	struct ts_ticket_claims *c = NULL;
	struct refusal why = {.reason = "size", .kid = "-"};
	ts_err err;

	*out = NULL;
	if (token_len > TS_TICKET_MAX_BYTES) {
		err = TS_ERR_TICKET_TOO_LARGE;
		goto out;
	}
	if (t->cache != NULL) {
		if (EVP_Digest(token, token_len, digest, NULL, t->sha256, NULL) != 1) {
			why.reason = "hash";
			err = TS_ERR_CRYPTO;
			goto out;
		}
		if (cached(t, digest, audience, now, out, &why, &err))
			goto out;
	}
	if ((err = full_check(t, token, token_len, audience, now, &c, &meta, &why)) != TS_ERR_OK)
		goto out;
	if (t->cache != NULL)
		ts_verify_cache_put(t->cache, digest, c, &meta);
	*out = c;
out:
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_INFO, "ticket_refused", err, "reason", why.reason, "kid",
			     why.kid, "aud", audience);
	return err;
}
