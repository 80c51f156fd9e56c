/* Minting, behind one function: it needs the active private key and
 * nothing else of the broker, so it can later move into a separate signing
 * process without changing its callers. */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/log.h"
#include "ticket_internal.h"

#define JTI_BYTES 16

static bool claim_ok(const char *s, bool required)
{
	size_t n;

	if (s == NULL)
		return !required;
	n = strnlen(s, TS_TICKET_CLAIM_MAX + 1);
	return n > 0 && n <= TS_TICKET_CLAIM_MAX;
}

/* Adds name: s when s is set (json_string refuses invalid UTF-8). */
static int set_optional(json_t *obj, const char *name, const char *s)
{
	return s == NULL ? 0 : json_object_set_new(obj, name, json_string(s));
}

static ts_err build_claims(const struct ts_tickets *t, const struct ts_ticket_identity *id,
			   const char *audience, ts_time now, const char *jti, json_t **out)
{
	json_t *c = NULL, *amr = NULL;
	ts_err err = TS_ERR_INVALID_ARGUMENT;

	*out = NULL;
	c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "iss", t->issuer, "sub", id->sub,
		      "aud", audience, "iat", (json_int_t)now, "nbf", (json_int_t)now, "exp",
		      (json_int_t)(now + t->lifetime), "jti", jti);
	if (c == NULL || set_optional(c, "upn", id->upn) != 0 ||
	    set_optional(c, "sid", id->sid) != 0 || set_optional(c, "idp", id->idp) != 0)
		goto out;
	if (id->n_amr > 0) {
		if ((amr = json_array()) == NULL)
			goto out;
		for (size_t i = 0; i < id->n_amr; i++)
			if (!claim_ok(id->amr[i], true) ||
			    json_array_append_new(amr, json_string(id->amr[i])) != 0)
				goto out;
		if (json_object_set(c, "amr", amr) != 0)
			goto out;
	}
	*out = c;
	c = NULL;
	err = TS_ERR_OK;
out:
	json_decref(amr);
	json_decref(c);
	return err;
}

/* What ts_ticket_verify would establish for the token just signed, without
 * checking the signature made a moment ago: the claims as verify returns
 * them, the revocation check (a user revocation may already cover a ticket
 * issued now), and an entry in the verify cache so that the ticket's first
 * use costs a lookup, as it did when the minter verified its own ticket. */
static ts_err known_good(struct ts_tickets *t, const struct ts_key *key, uint64_t ring_gen,
			 const json_t *obj, const char *token, size_t token_len,
			 const struct ts_ticket_claims **out)
{
	struct ts_verify_cache_entry meta = {.ring_gen = ring_gen};
	struct ts_ticket_claims *c = NULL;
	unsigned char digest[32];
	const char *reason = NULL;
	ts_err err;

	if ((err = ts_json_claims_object(obj, &c, &reason)) != TS_ERR_OK)
		return err == TS_ERR_TICKET_JSON ? TS_ERR_INVALID_ARGUMENT : err;
	c->alg = key->info.alg;
	memcpy(c->kid, key->info.kid, sizeof c->kid);
	/* Read before the check, as verify does: a revocation landing in
	 * between makes the cached entry look stale, never fresh. */
	meta.rev_gen = t->rev != NULL ? ts_revocations_generation(t->rev) : 0;
	if (t->rev != NULL && ts_revocations_match(t->rev, c)) {
		err = TS_ERR_TICKET_REVOKED;
		goto out;
	}
	meta.valid_from = (c->nbf > c->iat ? c->nbf : c->iat) - t->skew;
	meta.valid_until = c->exp + t->skew;
	if (t->cache != NULL) {
		if (EVP_Digest(token, token_len, digest, NULL, t->sha256, NULL) != 1) {
			err = TS_ERR_CRYPTO;
			goto out;
		}
		ts_verify_cache_put(t->cache, digest, c, &meta);
	}
	*out = c;
	c = NULL;
out:
	ts_ticket_claims_release(c);
	return err;
}

static ts_err mint(struct ts_tickets *t, const struct ts_ticket_identity *id,
		   const char *audience, char **token, size_t *token_len,
		   const struct ts_ticket_claims **claims)
{
	uint64_t ring_gen = 0;
	struct ts_keyring *ring = ts_tickets_ring(t, &ring_gen);
	const ts_time now = ts_clock_now(t->clock);
	unsigned char rnd[JTI_BYTES];
	char jti[TS_KID_LEN + 1], *payload = NULL;
	const char *kid = "-";
	json_t *obj = NULL;
	ts_err err;

	*token = NULL;
	if (claims != NULL)
		*claims = NULL;
	if (ring->active == NULL) {
		err = TS_ERR_KEYRING_EMPTY;
		goto out;
	}
	kid = ring->active->info.kid;
	if (!claim_ok(id->sub, true) || !claim_ok(audience, true) || !claim_ok(id->upn, false) ||
	    !claim_ok(id->sid, false) || !claim_ok(id->idp, false) || id->n_amr > TS_TICKET_AMR_MAX) {
		err = TS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if (RAND_bytes(rnd, sizeof rnd) != 1) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	if ((err = ts_b64url_encode(rnd, sizeof rnd, jti, sizeof jti, NULL)) != TS_ERR_OK ||
	    (err = build_claims(t, id, audience, now, jti, &obj)) != TS_ERR_OK)
		goto out;
	if ((payload = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	err = ts_jws_sign(ring->active, ring->active->header_b64, ring->active->header_b64_len,
			  payload, strlen(payload), token, token_len);
	if (err == TS_ERR_OK && claims != NULL &&
	    (err = known_good(t, ring->active, ring_gen, obj, *token, *token_len, claims)) !=
		    TS_ERR_OK) {
		free(*token);
		*token = NULL;
	}
out:
	if (err == TS_ERR_OK)
		ts_log(TS_LOG_DEBUG, "ticket_minted", "sub", id->sub, "aud", audience, "jti", jti,
		       "kid", kid);
	else if (err == TS_ERR_TICKET_REVOKED) /* policy, not a fault: as verify logs it */
		ts_log_error(TS_LOG_INFO, "ticket_refused", err, "reason", "revoked", "kid", kid,
			     "aud", audience);
	else
		ts_log_error(TS_LOG_ERR, "ticket_mint_failed", err, "kid", kid);
	json_decref(obj);
	free(payload);
	ts_keyring_unref(ring);
	return err;
}

ts_err ts_ticket_mint(struct ts_tickets *t, const struct ts_ticket_identity *id,
		      const char *audience, char **token, size_t *token_len)
{
	return mint(t, id, audience, token, token_len, NULL);
}

ts_err ts_ticket_mint_claims(struct ts_tickets *t, const struct ts_ticket_identity *id,
			     const char *audience, char **token, size_t *token_len,
			     const struct ts_ticket_claims **claims)
{
	return mint(t, id, audience, token, token_len, claims);
}
