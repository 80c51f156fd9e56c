/* Tessera web tickets: JWS compact (JWT) signed with EdDSA (Ed25519) or
 * ES256, claims iss sub aud iat nbf exp jti amr upn sid idp. Minting is one
 * narrow function (ts_ticket_mint) because the signing key will move to a
 * separate process; verification accepts only the algorithm of the key the
 * kid names, checks iss, aud, times with skew and revocation, and remembers
 * good tickets in a bounded cache. Safe to use from many threads. */
#ifndef TESSERA_TICKET_H
#define TESSERA_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/clock.h"
#include "tessera/err.h"
#include "tessera/keyring.h"
#include "tessera/store.h"

/* Longer tokens are refused before any parsing (a real one is ~700 bytes). */
#define TS_TICKET_MAX_BYTES 8192
/* Longest string claim accepted (a UPN, a SID, an IdP entity ID). */
#define TS_TICKET_CLAIM_MAX 1024
/* Most amr values in one ticket. */
#define TS_TICKET_AMR_MAX 16

/* What the broker knows about the user when it mints. sub is required;
 * absent optional claims are NULL (amr: n_amr 0). */
struct ts_ticket_identity {
	const char *sub;
	const char *upn;
	const char *sid;
	const char *idp;
	const char *const *amr;
	size_t n_amr;
};

/* A verified ticket: immutable, shared by reference between the verify
 * cache and callers; release with ts_ticket_claims_release(). Optional
 * claims that were absent are "" (amr: n_amr 0). */
struct ts_ticket_claims {
	const char *iss, *sub, *aud, *jti, *upn, *sid, *idp;
	size_t sub_len, jti_len;
	const char *const *amr;
	size_t n_amr;
	ts_time iat, nbf, exp;
	enum ts_ticket_alg alg;
	char kid[TS_KID_LEN + 1];
};

void ts_ticket_claims_release(const struct ts_ticket_claims *claims);

/* ---- revocation: by jti, and by user ("tickets of sub issued before T") ---- */

struct ts_revocations;

/* An in-memory set backed by store (borrowed; must outlive the set),
 * loaded at once. */
ts_err ts_revocations_new(struct ts_store *store, ts_time now, struct ts_revocations **out);
void ts_revocations_free(struct ts_revocations *rev);
/* Re-reads the store (revocations made by other brokers) and prunes expired
 * rows; the in-memory set is swapped only when the read succeeded. */
ts_err ts_revocations_reload(struct ts_revocations *rev, ts_time now);
/* Written through the store first, then applied in memory. expires_at: when
 * the record may be dropped (the ticket's exp plus skew; for a user, before
 * plus lifetime plus skew). */
ts_err ts_revoke_jti(struct ts_revocations *rev, const char *jti, size_t jti_len,
		     ts_time expires_at);
ts_err ts_revoke_user(struct ts_revocations *rev, const char *sub, size_t sub_len, ts_time before,
		      ts_time expires_at);
/* Holds r in memory, and logs it as ts_revoke_* do, when a store operation
 * of its own has already written it (a sign-out's session_end). */
ts_err ts_revocations_hold(struct ts_revocations *rev, const struct ts_revocation *r);
/* True when the ticket is revoked by jti, or its sub was revoked for
 * tickets issued before a time later than iat. */
bool ts_revocations_match(struct ts_revocations *rev, const struct ts_ticket_claims *claims);
/* Changes whenever the set may have grown; the verify cache compares it. */
uint64_t ts_revocations_generation(const struct ts_revocations *rev);

/* ---- minting and verification ---- */

struct ts_ticket_params {
	const char *issuer;    /* copied */
	long lifetime;         /* seconds, exp - iat */
	long clock_skew;       /* seconds of leeway on nbf, iat and exp */
	size_t cache_entries;  /* verify cache bound; 0 disables it */
	const struct ts_clock *clock; /* borrowed: tests move a fixed clock */
};

struct ts_tickets;

/* ring: a reference is taken. rev: borrowed, may be NULL (no revocation). */
ts_err ts_tickets_new(const struct ts_ticket_params *params, struct ts_keyring *ring,
		      struct ts_revocations *rev, struct ts_tickets **out);
void ts_tickets_free(struct ts_tickets *t);
/* Swaps the key ring under running verifiers (a reference is taken); tickets
 * cached under the old ring are checked again on their next use. */
void ts_tickets_set_keyring(struct ts_tickets *t, struct ts_keyring *ring);
/* The current ring, as a new reference (ts_keyring_unref it). */
struct ts_keyring *ts_tickets_keyring(struct ts_tickets *t);

/* Mints a ticket for audience (the pool) with the ring's active key:
 * iat = nbf = now, exp = now + lifetime, a random 128-bit jti. *token is
 * NUL-terminated, *token_len excludes the NUL; free() it. */
ts_err ts_ticket_mint(struct ts_tickets *t, const struct ts_ticket_identity *id,
		      const char *audience, char **token, size_t *token_len);
/* As ts_ticket_mint, and *claims (a reference: ts_ticket_claims_release
 * it) holds the claims the ticket carries, as ts_ticket_verify would return
 * them for audience, so the minter need not verify its own ticket to learn
 * its jti and exp. The ticket is remembered as verified (its first use is a
 * cache hit). A ticket that a user revocation already covers is refused as
 * verify would refuse it: TICKET_REVOKED, and no token. */
ts_err ts_ticket_mint_claims(struct ts_tickets *t, const struct ts_ticket_identity *id,
			     const char *audience, char **token, size_t *token_len,
			     const struct ts_ticket_claims **claims);

/* Verifies token for audience. On success *out holds a reference. Every
 * refusal returns a TICKET_* error and logs event=ticket_refused. */
ts_err ts_ticket_verify(struct ts_tickets *t, const char *token, size_t token_len,
			const char *audience, const struct ts_ticket_claims **out);

/* ---- JWKS ---- */

/* {"keys":[...]} with the public keys of the active key and of retired keys
 * whose tickets may still be valid at now (RFC 7517, RFC 8037 OKP for
 * Ed25519, EC P-256 for ES256), each with kid, alg and use "sig". *json is
 * NUL-terminated; free() it. */
ts_err ts_jwks_build(const struct ts_keyring *ring, ts_time now, char **json, size_t *json_len);

#endif
