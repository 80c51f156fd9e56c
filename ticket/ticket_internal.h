/* Private to ticket/: the pieces mint.c and verify.c are made of. Tests
 * include it to build tokens the public API would never mint. */
#ifndef TS_TICKET_INTERNAL_H
#define TS_TICKET_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/ticket.h"

/* Both algorithms sign with 64 bytes: Ed25519, and P-256 r||s (JOSE). */
#define TS_SIG_LEN 64
/* Decoded header cap: {"alg","kid","typ"} is ~60 bytes. */
#define TS_JWS_HEADER_MAX 256

/* ---- base64url (ticket/b64url.c), RFC 4648 section 5 without padding ---- */

/* Encoded length of n bytes. */
size_t ts_b64url_len(size_t n);
/* Writes ts_b64url_len(n) characters and a NUL; outsz must hold them. */
ts_err ts_b64url_encode(const void *in, size_t n, char *out, size_t outsz, size_t *out_len);
/* Strict: only the URL-safe alphabet, no padding, no length of 4k+1, and
 * the unused bits of the last character zero (one encoding per value).
 * Anything else is TICKET_MALFORMED; a result over outsz is TICKET_TOO_LARGE. */
ts_err ts_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
			size_t *out_len);

/* ---- JWS compact (ticket/jws.c) ---- */

struct ts_jws_parts {
	const char *header;   /* base64url text, not NUL-terminated */
	size_t header_len;
	const char *payload;
	size_t payload_len;
	const char *sig;
	size_t sig_len;
	size_t signing_input_len; /* header "." payload, from token[0] */
};

/* Exactly three parts separated by '.'; header and payload non-empty. */
ts_err ts_jws_split(const char *token, size_t len, struct ts_jws_parts *out);
/* header_b64 "." base64url(payload) "." base64url(sig) signed by key;
 * *token is malloc'd and NUL-terminated. */
struct ts_key;
ts_err ts_jws_sign(const struct ts_key *key, const char *header_b64, size_t header_b64_len,
		   const void *payload, size_t payload_len, char **token, size_t *token_len);

/* ---- strict JSON (ticket/json_strict.c) ---- */

/* jansson with duplicate keys refused and a size cap; an object only. */
json_t *ts_json_load_object(const void *text, size_t len, size_t max_len);
/* The header: alg and kid (strings), typ optional and "JWT", nothing else. */
ts_err ts_json_header(const unsigned char *text, size_t len, enum ts_ticket_alg *alg,
		      char kid[TS_KID_LEN + 1]);
/* The claims, type-checked and copied into one refcounted block. *reason
 * names the claim at fault for the log. */
ts_err ts_json_claims(const unsigned char *text, size_t len, struct ts_ticket_claims **out,
		      const char **reason);
/* The same checks and copy on an object already in memory: the minter
 * hands back what it wrote without printing and parsing it again. */
ts_err ts_json_claims_object(const json_t *obj, struct ts_ticket_claims **out,
			     const char **reason);
/* Another reference to claims (the verify cache hands these out). */
const struct ts_ticket_claims *ts_claims_retain(const struct ts_ticket_claims *claims);

/* ---- signatures (ticket/sig.c) ---- */

ts_err ts_sig_sign(EVP_PKEY *pkey, enum ts_ticket_alg alg, const void *msg, size_t len,
		   unsigned char sig[TS_SIG_LEN]);
/* TS_ERR_OK only for a good signature; any failure is TICKET_SIGNATURE. */
ts_err ts_sig_verify(EVP_PKEY *pkey, enum ts_ticket_alg alg, const void *msg, size_t len,
		     const unsigned char *sig, size_t sig_len);

/* ---- key ring internals (ticket/keyring.c) ---- */

struct ts_key {
	struct ts_key_info info;
	EVP_PKEY *pkey; /* private key; its public half verifies */
	/* base64url of {"alg":...,"kid":...,"typ":"JWT"}, made once for minting */
	char header_b64[TS_JWS_HEADER_MAX];
	size_t header_b64_len;
};

struct ts_keyring {
	atomic_uint refs;
	struct ts_key *keys; /* newest first */
	size_t n;
	struct ts_key *active; /* NULL when every key is retired */
	unsigned char files_digest[32];
};

/* The key named kid (22 bytes), or NULL. */
const struct ts_key *ts_keyring_find(const struct ts_keyring *ring, const char *kid);
/* kid of a public key, as the key ring names it. */
ts_err ts_key_kid(EVP_PKEY *pkey, char kid[TS_KID_LEN + 1]);

/* ---- verify cache (ticket/verify_cache.c) ---- */

struct ts_verify_cache;

/* At most entries (rounded down to a power of two times the set size of 4,
 * never fewer than 4); 0 gives NULL (off). */
ts_err ts_verify_cache_new(size_t entries, struct ts_verify_cache **out);
void ts_verify_cache_free(struct ts_verify_cache *c);

/* What the full check established, remembered beside the claims. */
struct ts_verify_cache_entry {
	ts_time valid_from;  /* nbf - skew */
	ts_time valid_until; /* exp + skew, never later */
	uint64_t rev_gen;    /* revocation generation checked against */
	uint64_t ring_gen;   /* key ring the signature was checked with */
};

/* A hit only while valid_from <= now < valid_until; *claims is a new
 * reference. */
bool ts_verify_cache_get(struct ts_verify_cache *c, const unsigned char digest[32], ts_time now,
			 const struct ts_ticket_claims **claims, struct ts_verify_cache_entry *meta);
/* Takes a new reference to claims. */
void ts_verify_cache_put(struct ts_verify_cache *c, const unsigned char digest[32],
			 const struct ts_ticket_claims *claims,
			 const struct ts_verify_cache_entry *meta);
/* Records that the entry was re-checked against revocation generation gen. */
void ts_verify_cache_confirm(struct ts_verify_cache *c, const unsigned char digest[32],
			     uint64_t gen);
void ts_verify_cache_forget(struct ts_verify_cache *c, const unsigned char digest[32]);

/* ---- the minting and verifying context (ticket/tickets.c) ---- */

struct ts_tickets {
	char *issuer;
	long lifetime, skew;
	const struct ts_clock *clock;
	pthread_mutex_t ring_lock; /* guards ring; ring_gen is written under it */
	struct ts_keyring *ring;
	_Atomic uint64_t ring_gen;
	struct ts_revocations *rev; /* may be NULL */
	struct ts_verify_cache *cache; /* NULL when off */
	/* Fetched once: SHA256() fetches the algorithm on every call, which
	 * is most of the cost of a cache hit. */
	EVP_MD *sha256;
};

/* The current ring (a new reference) and its generation. */
struct ts_keyring *ts_tickets_ring(struct ts_tickets *t, uint64_t *gen);
uint64_t ts_tickets_ring_generation(struct ts_tickets *t);

#endif
