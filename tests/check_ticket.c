/* Check suites for ticket/ and store/: base64url, round trips per
 * algorithm, every refusal the issue lists (each its own test, from one
 * table), key ring states and permissions, JWKS, revocation through the
 * store, and the verify cache's bounds. A fixed clock throughout; every
 * refusal must also leave its log line. */
#include <check.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../ticket/ticket_internal.h"
#include "tessera/log.h"
#include "tessera/store.h"
#include "tessera/ticket.h"
#include "test_dir.h"

#define T0 1764042000 /* 2025-11-25T03:40:00Z */
#define LIFETIME 28800
#define SKEW 60
#define POOL "pool1.example.org"
#define ISSUER "https://tessera.example.org"

/* ---- fixture: a key ring in a temp dir, an in-memory store, a context ---- */

static struct {
	char dir[256];
	struct ts_clock clock;
	struct ts_keyring *ring;
	struct ts_store *store;
	struct ts_revocations *rev;
	struct ts_tickets *t;
	char *log;
	size_t log_len;
	FILE *log_stream;
} fx;

static const char *const amr[] = {"urn:oasis:names:tc:SAML:2.0:ac:classes:Password",
				  "http://schemas.microsoft.com/claims/multipleauthn"};
static const struct ts_ticket_identity alice = {
	.sub = "S-1-5-21-1004336348-1177238915-682003330-1105",
	.upn = "alice@example.org",
	.sid = "S-1-5-21-1004336348-1177238915-682003330-1105",
	.idp = "http://adfs.example.org/adfs/services/trust",
	.amr = amr,
	.n_amr = 2,
};

/* mkdtemp makes it 0700, as a key directory must be. */
static void make_dir(char *out, size_t outsz)
{
	ts_test_dir_make(out, outsz, "ts-check-ticket");
}

static void remove_dir(const char *dir)
{
	ck_assert_msg(ts_test_dir_remove(dir), "%s left behind", dir);
}

static struct ts_tickets *new_tickets(const char *issuer, struct ts_keyring *ring,
				      size_t cache_entries)
{
	struct ts_ticket_params p = {issuer, LIFETIME, SKEW, cache_entries, &fx.clock};
	struct ts_tickets *t = NULL;

	ck_assert_int_eq(ts_tickets_new(&p, ring, fx.rev, &t), TS_ERR_OK);
	return t;
}

static void reload_ring(void)
{
	struct ts_keyring *ring = NULL;

	ck_assert_int_eq(ts_keyring_load(fx.dir, LIFETIME + SKEW, &ring), TS_ERR_OK);
	ts_tickets_set_keyring(fx.t, ring);
	ts_keyring_unref(fx.ring);
	fx.ring = ring;
}

static void setup_alg(enum ts_ticket_alg alg)
{
	char kid[TS_KID_LEN + 1];

	memset(&fx, 0, sizeof fx);
	fx.log_stream = open_memstream(&fx.log, &fx.log_len);
	ts_log_set_stream(fx.log_stream);
	ts_log_set_level(TS_LOG_DEBUG);
	fx.clock = ts_clock_fixed(T0);
	ts_log_set_clock(&fx.clock);
	make_dir(fx.dir, sizeof fx.dir);
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, alg, T0 - 3600, kid), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_load(fx.dir, LIFETIME + SKEW, &fx.ring), TS_ERR_OK);
	ck_assert_int_eq(ts_store_sqlite_open(":memory:", &fx.store), TS_ERR_OK);
	ck_assert_int_eq(ts_revocations_new(fx.store, T0, &fx.rev), TS_ERR_OK);
	fx.t = new_tickets(ISSUER, fx.ring, 64);
}

static void setup(void)
{
	setup_alg(TS_ALG_EDDSA);
}

static void teardown(void)
{
	ts_tickets_free(fx.t);
	ts_revocations_free(fx.rev);
	ts_store_close(fx.store);
	ts_keyring_unref(fx.ring);
	remove_dir(fx.dir);
	ts_log_set_stream(NULL);
	ts_log_set_clock(NULL);
	fclose(fx.log_stream);
	free(fx.log);
}

static bool logged(const char *needle)
{
	fflush(fx.log_stream);
	return fx.log != NULL && strstr(fx.log, needle) != NULL;
}

static char *mint(struct ts_tickets *t)
{
	char *token = NULL;
	size_t len = 0;

	ck_assert_int_eq(ts_ticket_mint(t, &alice, POOL, &token, &len), TS_ERR_OK);
	ck_assert_uint_eq(strlen(token), len);
	return token;
}

static ts_err verify(const char *token, size_t len)
{
	const struct ts_ticket_claims *c = NULL;
	ts_err err = ts_ticket_verify(fx.t, token, len, POOL, &c);

	ck_assert(err == TS_ERR_OK ? c != NULL : c == NULL);
	ts_ticket_claims_release(c);
	return err;
}

static ts_err verify_str(const char *token)
{
	return verify(token, strlen(token));
}

static char *b64(const void *data, size_t n)
{
	char *out = malloc(ts_b64url_len(n) + 1);

	ck_assert_int_eq(ts_b64url_encode(data, n, out, ts_b64url_len(n) + 1, NULL), TS_ERR_OK);
	return out;
}

/* A token with any header and payload, signed by the active key: the
 * shapes no correct minter produces. */
static char *forge_signed(const char *header_json, const char *payload)
{
	char *h = b64(header_json, strlen(header_json)), *token = NULL;
	size_t len;

	ck_assert_int_eq(ts_jws_sign(fx.ring->active, h, strlen(h), payload, strlen(payload),
				     &token, &len),
			 TS_ERR_OK);
	free(h);
	return token;
}

/* {"alg":ALG,"kid":<the active kid>EXTRA}: extra adds or repeats members. */
static const char *header_json(const char *alg, const char *extra)
{
	static char h[256];

	snprintf(h, sizeof h, "{\"alg\":\"%s\",\"kid\":\"%s\"%s}", alg,
		 fx.ring->active->info.kid, extra);
	return h;
}

static const char *std_header(void)
{
	return header_json(ts_ticket_alg_name(fx.ring->active->info.alg), ",\"typ\":\"JWT\"");
}

static char *std_payload(ts_time iat, const char *extra)
{
	static char p[1024];

	snprintf(p, sizeof p,
		 "{\"iss\":\"" ISSUER "\",\"sub\":\"bob\",\"aud\":\"" POOL "\",\"iat\":%lld,"
		 "\"nbf\":%lld,\"exp\":%lld,\"jti\":\"j1\"%s}",
		 (long long)iat, (long long)iat, (long long)iat + LIFETIME, extra);
	return p;
}

/* Replaces part i (0 header, 1 payload, 2 signature) of token. */
static char *with_part(const char *token, int i, const char *part)
{
	struct ts_jws_parts p;
	char *out = malloc(strlen(token) + strlen(part) + 3);
	const char *parts[3];
	size_t lens[3];

	ck_assert_int_eq(ts_jws_split(token, strlen(token), &p), TS_ERR_OK);
	parts[0] = p.header, lens[0] = p.header_len;
	parts[1] = p.payload, lens[1] = p.payload_len;
	parts[2] = p.sig, lens[2] = p.sig_len;
	parts[i] = part, lens[i] = strlen(part);
	snprintf(out, strlen(token) + strlen(part) + 3, "%.*s.%.*s.%.*s", (int)lens[0], parts[0],
		 (int)lens[1], parts[1], (int)lens[2], parts[2]);
	return out;
}

/* ---- base64url ---- */

START_TEST(test_b64url_round_trip)
{
	unsigned char in[64], back[64];
	char text[128];
	size_t n, m;

	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof in; len++) {
		ck_assert_int_eq(ts_b64url_encode(in, len, text, sizeof text, &n), TS_ERR_OK);
		ck_assert_uint_eq(n, ts_b64url_len(len));
		ck_assert_ptr_null(strpbrk(text, "+/="));
		ck_assert_int_eq(ts_b64url_decode(text, n, back, sizeof back, &m), TS_ERR_OK);
		ck_assert_uint_eq(m, len);
		ck_assert_int_eq(memcmp(in, back, len), 0);
	}
	ck_assert_int_eq(ts_b64url_encode("\xfb\xff", 2, text, sizeof text, &n), TS_ERR_OK);
	ck_assert_str_eq(text, "-_8");
}
END_TEST

START_TEST(test_b64url_strict)
{
	static const char *const bad[] = {
		"YQ==",  /* padding */
		"YQ=",   /* padding */
		"Y",     /* 4k+1 characters */
		"YR",    /* "a" is YQ: the low bits of R are not zero */
		"YWJ",   /* "ab" is YWI: non-canonical last character */
		"Y+E",   /* standard base64 alphabet */
		"Y/E",   /* standard base64 alphabet */
		"YW E",  /* space */
		"YW\nE", /* newline */
		"YW\x80" "E", /* non-ASCII */
	};
	unsigned char out[16];
	size_t n;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ts_b64url_decode(bad[i], strlen(bad[i]), out, sizeof out, &n) ==
				      TS_ERR_TICKET_MALFORMED,
			      "'%s' accepted", bad[i]);
	ck_assert_int_eq(ts_b64url_decode("YWJj", 4, out, 2, &n), TS_ERR_TICKET_TOO_LARGE);
	ck_assert_int_eq(ts_b64url_decode("YWI", 3, out, sizeof out, &n), TS_ERR_OK);
	ck_assert_uint_eq(n, 2);
}
END_TEST

/* ---- round trip ---- */

START_TEST(test_round_trip)
{
	const enum ts_ticket_alg alg = _i == 0 ? TS_ALG_EDDSA : TS_ALG_ES256;
	const struct ts_ticket_claims *c = NULL, *again = NULL;
	struct ts_jws_parts parts;
	unsigned char sig[80];
	size_t sig_len;
	char *token;

	teardown();
	setup_alg(alg);
	token = mint(fx.t);
	ck_assert_int_eq(ts_ticket_verify(fx.t, token, strlen(token), POOL, &c), TS_ERR_OK);
	ck_assert_str_eq(c->iss, ISSUER);
	ck_assert_str_eq(c->sub, alice.sub);
	ck_assert_uint_eq(c->sub_len, strlen(alice.sub));
	ck_assert_str_eq(c->aud, POOL);
	ck_assert_str_eq(c->upn, alice.upn);
	ck_assert_str_eq(c->sid, alice.sid);
	ck_assert_str_eq(c->idp, alice.idp);
	ck_assert_uint_eq(c->n_amr, 2);
	ck_assert_str_eq(c->amr[0], amr[0]);
	ck_assert_str_eq(c->amr[1], amr[1]);
	ck_assert_int_eq(c->iat, T0);
	ck_assert_int_eq(c->nbf, T0);
	ck_assert_int_eq(c->exp, T0 + LIFETIME);
	ck_assert_uint_eq(strlen(c->jti), 22);
	ck_assert_int_eq(c->alg, alg);
	ck_assert_str_eq(c->kid, ts_keyring_active(fx.ring)->kid);
	/* The second look is the cache's: the same claims object. */
	ck_assert_int_eq(ts_ticket_verify(fx.t, token, strlen(token), POOL, &again), TS_ERR_OK);
	ck_assert_ptr_eq(again, c);
	/* Both algorithms put 64 raw bytes in the signature (ES256: r||s, not DER). */
	ck_assert_int_eq(ts_jws_split(token, strlen(token), &parts), TS_ERR_OK);
	ck_assert_int_eq(ts_b64url_decode(parts.sig, parts.sig_len, sig, sizeof sig, &sig_len),
			 TS_ERR_OK);
	ck_assert_uint_eq(sig_len, 64);
	ts_ticket_claims_release(c);
	ts_ticket_claims_release(again);
	free(token);
}
END_TEST

START_TEST(test_two_mints_differ_in_jti)
{
	char *a = mint(fx.t), *b = mint(fx.t);
	const struct ts_ticket_claims *ca = NULL, *cb = NULL;

	ck_assert_str_ne(a, b);
	ck_assert_int_eq(ts_ticket_verify(fx.t, a, strlen(a), POOL, &ca), TS_ERR_OK);
	ck_assert_int_eq(ts_ticket_verify(fx.t, b, strlen(b), POOL, &cb), TS_ERR_OK);
	ck_assert_str_ne(ca->jti, cb->jti);
	ts_ticket_claims_release(ca);
	ts_ticket_claims_release(cb);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_mint_refuses_bad_identity)
{
	struct ts_ticket_identity nobody = {.sub = ""};
	char long_sub[TS_TICKET_CLAIM_MAX + 2];
	char *token = (char *)"x";
	size_t len;

	ck_assert_int_eq(ts_ticket_mint(fx.t, &nobody, POOL, &token, &len), TS_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(token);
	memset(long_sub, 'a', sizeof long_sub - 1);
	long_sub[sizeof long_sub - 1] = '\0';
	nobody.sub = long_sub;
	ck_assert_int_eq(ts_ticket_mint(fx.t, &nobody, POOL, &token, &len), TS_ERR_INVALID_ARGUMENT);
	nobody.sub = "bad \xff utf-8";
	ck_assert_int_eq(ts_ticket_mint(fx.t, &nobody, POOL, &token, &len), TS_ERR_INVALID_ARGUMENT);
	ck_assert(logged("event=ticket_mint_failed error=INVALID_ARGUMENT"));
}
END_TEST

/* ---- refusals: one table, each row its own test ---- */

/* Each case makes a token (and may move the clock or change the ring). */
typedef char *(*make_token)(void);

static char *tok_expired(void)
{
	char *t = mint(fx.t);
	fx.clock.fixed_at = T0 + LIFETIME + SKEW;
	return t;
}

static char *tok_not_yet_valid(void)
{
	char *t = mint(fx.t);
	fx.clock.fixed_at = T0 - SKEW - 1;
	return t;
}

static char *tok_iat_future(void)
{
	return forge_signed(std_header(), std_payload(T0 + SKEW + 1, ""));
}

static char *tok_wrong_audience(void)
{
	char *token = NULL;
	size_t len;

	ck_assert_int_eq(ts_ticket_mint(fx.t, &alice, "pool2.example.org", &token, &len), TS_ERR_OK);
	return token;
}

static char *tok_wrong_issuer(void)
{
	struct ts_tickets *other = new_tickets("https://evil.example.org", fx.ring, 0);
	char *t = mint(other);
	ts_tickets_free(other);
	return t;
}

static char *tok_unknown_kid(void)
{
	char dir[256], kid[TS_KID_LEN + 1], *t;
	struct ts_keyring *ring = NULL;
	struct ts_tickets *other;

	make_dir(dir, sizeof dir);
	ck_assert_int_eq(ts_keyring_rotate(dir, TS_ALG_EDDSA, T0, kid), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_load(dir, LIFETIME + SKEW, &ring), TS_ERR_OK);
	other = new_tickets(ISSUER, ring, 0);
	t = mint(other);
	ts_tickets_free(other);
	ts_keyring_unref(ring);
	remove_dir(dir);
	return t;
}

/* Minted, key rotated out, its files deleted, ring reloaded. */
static char *tok_retired_deleted_kid(void)
{
	char *t = mint(fx.t), kid[TS_KID_LEN + 1], path[512];
	const char *old = fx.ring->active->info.kid;

	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0 + 1, kid), TS_ERR_OK);
	snprintf(path, sizeof path, "%s/%s.key", fx.dir, old);
	ck_assert_int_eq(unlink(path), 0);
	snprintf(path, sizeof path, "%s/%s.json", fx.dir, old);
	ck_assert_int_eq(unlink(path), 0);
	reload_ring();
	return t;
}

/* Still in the ring, but retired longer ago than any ticket lives. */
static char *tok_retired_expired_kid(void)
{
	char *t = mint(fx.t), kid[TS_KID_LEN + 1];

	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0 + 1, kid), TS_ERR_OK);
	reload_ring();
	fx.clock.fixed_at = T0 + 1 + LIFETIME + SKEW;
	return t;
}

static char *tok_revoked_jti(void)
{
	char *t = mint(fx.t);
	const struct ts_ticket_claims *c = NULL;

	/* Verified (and cached) first: the revocation must still bite. */
	ck_assert_int_eq(ts_ticket_verify(fx.t, t, strlen(t), POOL, &c), TS_ERR_OK);
	ck_assert_int_eq(ts_revoke_jti(fx.rev, c->jti, c->jti_len, c->exp + SKEW), TS_ERR_OK);
	ts_ticket_claims_release(c);
	return t;
}

static char *tok_revoked_user(void)
{
	char *t = mint(fx.t);

	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	ck_assert_int_eq(ts_revoke_user(fx.rev, alice.sub, strlen(alice.sub), T0 + 1,
					T0 + 1 + LIFETIME + SKEW),
			 TS_ERR_OK);
	return t;
}

static char *tok_tampered_header(void)
{
	/* Same meaning, other bytes: the signature covers the text. */
	char h[160], *t = mint(fx.t), *hb, *out;

	snprintf(h, sizeof h, "{\"alg\": \"EdDSA\", \"kid\": \"%s\", \"typ\": \"JWT\"}",
		 fx.ring->active->info.kid);
	hb = b64(h, strlen(h));
	out = with_part(t, 0, hb);
	free(hb);
	free(t);
	return out;
}

static char *tok_tampered_payload(void)
{
	char *t = mint(fx.t), *pb, *out;
	const char *p = std_payload(T0, "");

	pb = b64(p, strlen(p));
	out = with_part(t, 1, pb);
	free(pb);
	free(t);
	return out;
}

static char *tok_tampered_signature(void)
{
	struct ts_jws_parts parts;
	unsigned char sig[80];
	size_t n;
	char *t = mint(fx.t), *sb, *out;

	ck_assert_int_eq(ts_jws_split(t, strlen(t), &parts), TS_ERR_OK);
	ck_assert_int_eq(ts_b64url_decode(parts.sig, parts.sig_len, sig, sizeof sig, &n), TS_ERR_OK);
	sig[10] ^= 0x01;
	sb = b64(sig, n);
	out = with_part(t, 2, sb);
	free(sb);
	free(t);
	return out;
}

static char *tok_alg_none(void)
{
	const char *h = header_json("none", ",\"typ\":\"JWT\"");
	char *hb, *t = mint(fx.t), *out, *none;

	hb = b64(h, strlen(h));
	out = with_part(t, 0, hb);
	none = with_part(out, 2, "");
	free(hb);
	free(out);
	free(t);
	return none;
}

/* The classic confusion: HS256 keyed with the public key the JWKS gives. */
static char *tok_alg_hs256(void)
{
	const char *h = header_json("HS256", ",\"typ\":\"JWT\""), *p = std_payload(T0, "");
	char *hb, *pb, *input, *sb, *out;
	unsigned char pub[32], mac[32];
	size_t publen = sizeof pub;
	unsigned int maclen = 0;

	hb = b64(h, strlen(h));
	pb = b64(p, strlen(p));
	input = malloc(strlen(hb) + strlen(pb) + 2);
	snprintf(input, strlen(hb) + strlen(pb) + 2, "%s.%s", hb, pb);
	ck_assert_int_eq(EVP_PKEY_get_raw_public_key(fx.ring->active->pkey, pub, &publen), 1);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), pub, (int)publen, (unsigned char *)input,
				   strlen(input), mac, &maclen));
	sb = b64(mac, maclen);
	out = malloc(strlen(input) + strlen(sb) + 2);
	snprintf(out, strlen(input) + strlen(sb) + 2, "%s.%s", input, sb);
	free(hb);
	free(pb);
	free(input);
	free(sb);
	return out;
}

static char *tok_alg_mismatch(void)
{
	return forge_signed(header_json("ES256", ",\"typ\":\"JWT\""), std_payload(T0, ""));
}

static char *tok_oversize(void)
{
	char *t = calloc(1, TS_TICKET_MAX_BYTES + 2);

	memset(t, 'a', TS_TICKET_MAX_BYTES + 1);
	t[100] = '.', t[200] = '.';
	return t;
}

static char *tok_bad_b64_payload(void)
{
	char *t = mint(fx.t), *out = with_part(t, 1, "eyJzdWIiOiJib2IifQ==");
	free(t);
	return out;
}

static char *tok_bad_b64_header(void)
{
	char *t = mint(fx.t), *out = with_part(t, 0, "eyJhbGciOiJFZERTQSJ9+");
	free(t);
	return out;
}

static char *tok_bad_b64_sig(void)
{
	char *t = mint(fx.t);

	t[strlen(t) - 1] = '*';
	return t;
}

static char *tok_non_json(void)
{
	return forge_signed(std_header(), "not json at all");
}

static char *tok_json_array(void)
{
	return forge_signed(std_header(), "[\"sub\",\"bob\"]");
}

static char *tok_duplicate_claim(void)
{
	return forge_signed(std_header(), std_payload(T0, ",\"sub\":\"admin\""));
}

static char *tok_duplicate_header_key(void)
{
	return forge_signed(header_json("EdDSA", ",\"alg\":\"none\""), std_payload(T0, ""));
}

static char *tok_header_extra_member(void)
{
	return forge_signed(header_json("EdDSA", ",\"jku\":\"https://evil/\""),
			    std_payload(T0, ""));
}

static char *tok_exp_string(void)
{
	return forge_signed(std_header(),
			    "{\"iss\":\"" ISSUER "\",\"sub\":\"bob\",\"aud\":\"" POOL "\","
			    "\"iat\":1764042000,\"nbf\":1764042000,\"exp\":\"1764070800\","
			    "\"jti\":\"j1\"}");
}

static char *tok_exp_fraction(void)
{
	return forge_signed(std_header(),
			    "{\"iss\":\"" ISSUER "\",\"sub\":\"bob\",\"aud\":\"" POOL "\","
			    "\"iat\":1764042000,\"nbf\":1764042000,\"exp\":1764070800.5,"
			    "\"jti\":\"j1\"}");
}

static char *tok_missing_sub(void)
{
	return forge_signed(std_header(),
			    "{\"iss\":\"" ISSUER "\",\"aud\":\"" POOL "\",\"iat\":1764042000,"
			    "\"nbf\":1764042000,\"exp\":1764070800,\"jti\":\"j1\"}");
}

static char *tok_aud_array(void)
{
	return forge_signed(std_header(),
			    "{\"iss\":\"" ISSUER "\",\"sub\":\"bob\",\"aud\":[\"" POOL "\"],"
			    "\"iat\":1764042000,\"nbf\":1764042000,\"exp\":1764070800,"
			    "\"jti\":\"j1\"}");
}

static char *tok_lifetime_too_long(void)
{
	return forge_signed(std_header(),
			    "{\"iss\":\"" ISSUER "\",\"sub\":\"bob\",\"aud\":\"" POOL "\","
			    "\"iat\":1764042000,\"nbf\":1764042000,\"exp\":1864070800,"
			    "\"jti\":\"j1\"}");
}

static char *tok_two_parts(void)
{
	char *t = mint(fx.t);

	*strrchr(t, '.') = '\0';
	return t;
}

static char *tok_four_parts(void)
{
	char *t = mint(fx.t), *out = malloc(strlen(t) + 3);

	snprintf(out, strlen(t) + 3, "%s.x", t);
	free(t);
	return out;
}

static char *tok_empty(void)
{
	return calloc(1, 1);
}

static const struct {
	const char *name;
	make_token make;
	ts_err want;
} refusals[] = {
	{"expired", tok_expired, TS_ERR_TICKET_EXPIRED},
	{"not yet valid", tok_not_yet_valid, TS_ERR_TICKET_NOT_YET_VALID},
	{"iat in the future", tok_iat_future, TS_ERR_TICKET_NOT_YET_VALID},
	{"wrong audience", tok_wrong_audience, TS_ERR_TICKET_AUDIENCE},
	{"wrong issuer", tok_wrong_issuer, TS_ERR_TICKET_ISSUER},
	{"unknown kid", tok_unknown_kid, TS_ERR_TICKET_UNKNOWN_KID},
	{"retired and deleted kid", tok_retired_deleted_kid, TS_ERR_TICKET_UNKNOWN_KID},
	{"retired past retention", tok_retired_expired_kid, TS_ERR_TICKET_UNKNOWN_KID},
	{"revoked jti", tok_revoked_jti, TS_ERR_TICKET_REVOKED},
	{"revoked user", tok_revoked_user, TS_ERR_TICKET_REVOKED},
	{"tampered header", tok_tampered_header, TS_ERR_TICKET_SIGNATURE},
	{"tampered payload", tok_tampered_payload, TS_ERR_TICKET_SIGNATURE},
	{"tampered signature", tok_tampered_signature, TS_ERR_TICKET_SIGNATURE},
	{"alg none", tok_alg_none, TS_ERR_TICKET_ALG},
	{"alg swapped to HS256", tok_alg_hs256, TS_ERR_TICKET_ALG},
	{"alg ES256 on an EdDSA key", tok_alg_mismatch, TS_ERR_TICKET_ALG},
	{"oversize token", tok_oversize, TS_ERR_TICKET_TOO_LARGE},
	{"bad base64url payload", tok_bad_b64_payload, TS_ERR_TICKET_MALFORMED},
	{"bad base64url header", tok_bad_b64_header, TS_ERR_TICKET_MALFORMED},
	{"bad base64url signature", tok_bad_b64_sig, TS_ERR_TICKET_MALFORMED},
	{"non-JSON payload", tok_non_json, TS_ERR_TICKET_JSON},
	{"JSON array payload", tok_json_array, TS_ERR_TICKET_JSON},
	{"duplicate claim", tok_duplicate_claim, TS_ERR_TICKET_JSON},
	{"duplicate header key", tok_duplicate_header_key, TS_ERR_TICKET_JSON},
	{"header member we do not process", tok_header_extra_member, TS_ERR_TICKET_JSON},
	{"exp as a string", tok_exp_string, TS_ERR_TICKET_JSON},
	{"exp with a fraction", tok_exp_fraction, TS_ERR_TICKET_JSON},
	{"sub missing", tok_missing_sub, TS_ERR_TICKET_JSON},
	{"aud as an array", tok_aud_array, TS_ERR_TICKET_JSON},
	{"lifetime longer than configured", tok_lifetime_too_long, TS_ERR_TICKET_EXPIRED},
	{"two parts", tok_two_parts, TS_ERR_TICKET_MALFORMED},
	{"four parts", tok_four_parts, TS_ERR_TICKET_MALFORMED},
	{"empty", tok_empty, TS_ERR_TICKET_MALFORMED},
};

START_TEST(test_refusal)
{
	char *token = refusals[_i].make();
	char line[128];
	ts_err err = verify_str(token);

	ck_assert_msg(err == refusals[_i].want, "%s: got %s, want %s", refusals[_i].name,
		      ts_errname(err), ts_errname(refusals[_i].want));
	ck_assert_int_eq(ts_err_http_status(err), 401);
	snprintf(line, sizeof line, "event=ticket_refused error=%s", ts_errname(err));
	ck_assert_msg(logged(line), "%s: no '%s' in the log:\n%s", refusals[_i].name, line, fx.log);
	/* A second try (the cache must not have kept it) gives the same. */
	ck_assert_int_eq(verify_str(token), refusals[_i].want);
	free(token);
}
END_TEST

/* The control for the table: the same helpers make a good token. */
START_TEST(test_forged_shape_control)
{
	char *t = forge_signed(std_header(), std_payload(T0, ",\"extra\":{\"a\":[1,2]}"));

	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	free(t);
}
END_TEST

/* ---- time edges ---- */

START_TEST(test_skew_edges)
{
	char *t = mint(fx.t);

	fx.clock.fixed_at = T0 + LIFETIME + SKEW - 1;
	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	fx.clock.fixed_at = T0 - SKEW;
	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	free(t);
}
END_TEST

START_TEST(test_cache_never_extends_exp)
{
	char *t = mint(fx.t);

	ck_assert_int_eq(verify_str(t), TS_ERR_OK); /* now cached */
	fx.clock.fixed_at = T0 + LIFETIME + SKEW;
	ck_assert_int_eq(verify_str(t), TS_ERR_TICKET_EXPIRED);
	/* Nor before nbf, with a clock that went back. */
	fx.clock.fixed_at = T0;
	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	fx.clock.fixed_at = T0 - SKEW - 1;
	ck_assert_int_eq(verify_str(t), TS_ERR_TICKET_NOT_YET_VALID);
	free(t);
}
END_TEST

START_TEST(test_cache_hit_checks_audience)
{
	const struct ts_ticket_claims *c = NULL;
	char *t = mint(fx.t);

	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	ck_assert_int_eq(ts_ticket_verify(fx.t, t, strlen(t), "pool2.example.org", &c),
			 TS_ERR_TICKET_AUDIENCE);
	ck_assert_ptr_null(c);
	free(t);
}
END_TEST

START_TEST(test_revoke_user_spares_later_tickets)
{
	char *before = mint(fx.t), *after;

	ck_assert_int_eq(ts_revoke_user(fx.rev, alice.sub, strlen(alice.sub), T0 + 10,
					T0 + 10 + LIFETIME + SKEW),
			 TS_ERR_OK);
	fx.clock.fixed_at = T0 + 10;
	after = mint(fx.t);
	ck_assert_int_eq(verify_str(before), TS_ERR_TICKET_REVOKED);
	ck_assert_int_eq(verify_str(after), TS_ERR_OK);
	ck_assert(logged("event=user_tickets_revoked"));
	free(before);
	free(after);
}
END_TEST

/* The claims the minter hands back are the ones verify finds in the
 * token, and the token is already in the verify cache. */
START_TEST(test_mint_claims_match_verify)
{
	const struct ts_ticket_claims *m = NULL, *v = NULL;
	char *token = NULL;
	size_t len = 0;

	ck_assert_int_eq(ts_ticket_mint_claims(fx.t, &alice, POOL, &token, &len, &m), TS_ERR_OK);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(ts_ticket_verify(fx.t, token, len, POOL, &v), TS_ERR_OK);
	ck_assert_ptr_eq(m, v); /* a cache hit hands out the minted claims */
	ck_assert_str_eq(m->iss, ISSUER);
	ck_assert_str_eq(m->sub, alice.sub);
	ck_assert_uint_eq(m->sub_len, strlen(alice.sub));
	ck_assert_str_eq(m->aud, POOL);
	ck_assert_str_eq(m->upn, alice.upn);
	ck_assert_str_eq(m->sid, alice.sid);
	ck_assert_str_eq(m->idp, alice.idp);
	ck_assert_uint_eq(m->n_amr, 2);
	ck_assert_str_eq(m->amr[0], amr[0]);
	ck_assert_str_eq(m->amr[1], amr[1]);
	ck_assert_uint_eq(m->jti_len, TS_KID_LEN);
	ck_assert_uint_eq(strlen(m->jti), m->jti_len);
	ck_assert_int_eq(m->iat, T0);
	ck_assert_int_eq(m->nbf, T0);
	ck_assert_int_eq(m->exp, T0 + LIFETIME);
	ck_assert_int_eq(m->alg, fx.ring->active->info.alg);
	ck_assert_str_eq(m->kid, fx.ring->active->info.kid);
	ts_ticket_claims_release(v);
	ts_ticket_claims_release(m);
	/* Another audience is still refused on the cached entry. */
	ck_assert_int_eq(ts_ticket_verify(fx.t, token, len, "pool2.example.org", &v),
			 TS_ERR_TICKET_AUDIENCE);
	free(token);
}
END_TEST

/* A revocation of the jti the minter handed back bites on the cached entry;
 * a user revocation already covering a ticket minted now refuses the mint. */
START_TEST(test_mint_claims_revocations)
{
	const struct ts_ticket_claims *m = NULL;
	char *token = NULL;
	size_t len = 0;

	ck_assert_int_eq(ts_ticket_mint_claims(fx.t, &alice, POOL, &token, &len, &m), TS_ERR_OK);
	ck_assert_int_eq(ts_revoke_jti(fx.rev, m->jti, m->jti_len, m->exp + SKEW), TS_ERR_OK);
	ck_assert_int_eq(verify(token, len), TS_ERR_TICKET_REVOKED);
	ts_ticket_claims_release(m);
	free(token);
	ck_assert_int_eq(ts_revoke_user(fx.rev, alice.sub, strlen(alice.sub), T0 + 1,
					T0 + 1 + LIFETIME + SKEW),
			 TS_ERR_OK);
	token = (char *)"unchanged";
	ck_assert_int_eq(ts_ticket_mint_claims(fx.t, &alice, POOL, &token, &len, &m),
			 TS_ERR_TICKET_REVOKED);
	ck_assert_ptr_null(token);
	ck_assert_ptr_null(m);
	ck_assert(logged("event=ticket_refused error=TICKET_REVOKED reason=revoked"));
}
END_TEST

START_TEST(test_ring_swap_rechecks_cached)
{
	char *t = mint(fx.t), dir[256], kid[TS_KID_LEN + 1];
	struct ts_keyring *other = NULL;

	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	make_dir(dir, sizeof dir);
	ck_assert_int_eq(ts_keyring_rotate(dir, TS_ALG_EDDSA, T0, kid), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_load(dir, LIFETIME + SKEW, &other), TS_ERR_OK);
	ts_tickets_set_keyring(fx.t, other);
	ck_assert_int_eq(verify_str(t), TS_ERR_TICKET_UNKNOWN_KID);
	ts_tickets_set_keyring(fx.t, fx.ring);
	ck_assert_int_eq(verify_str(t), TS_ERR_OK);
	ts_keyring_unref(other);
	remove_dir(dir);
	free(t);
}
END_TEST

/* ---- verify cache bounds ---- */

START_TEST(test_verify_cache_is_bounded)
{
	struct ts_verify_cache *c = NULL;
	const struct ts_ticket_claims *claims = NULL, *got;
	struct ts_verify_cache_entry meta = {T0 - 10, T0 + 10, 1, 1}, m;
	unsigned char digest[32];
	char *t = mint(fx.t);
	int hits = 0;

	ck_assert_int_eq(ts_ticket_verify(fx.t, t, strlen(t), POOL, &claims), TS_ERR_OK);
	ck_assert_int_eq(ts_verify_cache_new(0, &c), TS_ERR_OK);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(ts_verify_cache_new(8, &c), TS_ERR_OK);
	for (int i = 0; i < 1000; i++) {
		memset(digest, 0, sizeof digest);
		memcpy(digest, &i, sizeof i);
		digest[31] = 1;
		ts_verify_cache_put(c, digest, claims, &meta);
	}
	for (int i = 0; i < 1000; i++) {
		memset(digest, 0, sizeof digest);
		memcpy(digest, &i, sizeof i);
		digest[31] = 1;
		if (ts_verify_cache_get(c, digest, T0, &got, &m)) {
			hits++;
			ts_ticket_claims_release(got);
		}
	}
	ck_assert_int_ge(hits, 1);
	ck_assert_int_le(hits, 8);
	/* Outside the stored window it is a miss. */
	memcpy(digest, &(int){999}, sizeof(int));
	ck_assert(!ts_verify_cache_get(c, digest, T0 + 10, &got, &m));
	ts_verify_cache_free(c);
	ts_ticket_claims_release(claims);
	free(t);
}
END_TEST

/* ---- key ring ---- */

START_TEST(test_keyring_rotate_and_states)
{
	char kid2[TS_KID_LEN + 1], kid3[TS_KID_LEN + 1], first[TS_KID_LEN + 1];
	const struct ts_key_info *k;

	memcpy(first, ts_keyring_active(fx.ring)->kid, sizeof first);
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_ES256, T0, kid2), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0 + 100, kid3), TS_ERR_OK);
	reload_ring();
	ck_assert_uint_eq(ts_keyring_count(fx.ring), 3);
	k = ts_keyring_info(fx.ring, 0);
	ck_assert_str_eq(k->kid, kid3);
	ck_assert(k->active);
	ck_assert_int_eq(k->alg, TS_ALG_EDDSA);
	ck_assert_int_eq(k->created, T0 + 100);
	ck_assert_ptr_eq(ts_keyring_active(fx.ring), k);
	k = ts_keyring_info(fx.ring, 1);
	ck_assert_str_eq(k->kid, kid2);
	ck_assert(!k->active);
	ck_assert_int_eq(k->alg, TS_ALG_ES256);
	ck_assert_int_eq(k->retired_at, T0 + 100);
	ck_assert_int_eq(k->deletable_after, T0 + 100 + LIFETIME + SKEW);
	k = ts_keyring_info(fx.ring, 2);
	ck_assert_str_eq(k->kid, first);
	ck_assert_int_eq(k->retired_at, T0);
	ck_assert_ptr_null(ts_keyring_info(fx.ring, 3));
}
END_TEST

START_TEST(test_keyring_two_rotations_in_one_second)
{
	char kid2[TS_KID_LEN + 1], kid3[TS_KID_LEN + 1];

	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid2), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid3), TS_ERR_OK);
	reload_ring();
	ck_assert_str_eq(ts_keyring_active(fx.ring)->kid, kid3);
	ck_assert_str_eq(ts_keyring_info(fx.ring, 0)->kid, kid3);
	ck_assert_str_eq(ts_keyring_info(fx.ring, 1)->kid, kid2);
	ck_assert(!ts_keyring_info(fx.ring, 1)->active);
}
END_TEST

START_TEST(test_keyring_rotation_keeps_old_tickets)
{
	char *old = mint(fx.t), *fresh, kid[TS_KID_LEN + 1];
	const struct ts_ticket_claims *c = NULL;

	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_ES256, T0, kid), TS_ERR_OK);
	reload_ring();
	fresh = mint(fx.t);
	ck_assert_int_eq(verify_str(old), TS_ERR_OK);
	ck_assert_int_eq(ts_ticket_verify(fx.t, fresh, strlen(fresh), POOL, &c), TS_ERR_OK);
	ck_assert_str_eq(c->kid, kid);
	ck_assert_int_eq(c->alg, TS_ALG_ES256);
	ts_ticket_claims_release(c);
	free(old);
	free(fresh);
}
END_TEST

START_TEST(test_keyring_file_names_and_modes)
{
	const char *kid = ts_keyring_active(fx.ring)->kid;
	char path[512];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s.key", fx.dir, kid);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	snprintf(path, sizeof path, "%s/%s.json", fx.dir, kid);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(strlen(kid), TS_KID_LEN);
	ck_assert_ptr_null(strpbrk(kid, "+/="));
}
END_TEST

START_TEST(test_keyring_refuses_open_dir)
{
	static const mode_t modes[] = {0750, 0705, 0770, 0701};
	struct ts_keyring *ring = (struct ts_keyring *)&fx;

	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		ck_assert_int_eq(chmod(fx.dir, modes[i]), 0);
		ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &ring), TS_ERR_KEYRING_PERMISSIONS);
		ck_assert_ptr_null(ring);
	}
	ck_assert(logged("event=keyring_refused error=KEYRING_PERMISSIONS"));
	ck_assert(logged("mode=0701"));
	ck_assert_int_eq(chmod(fx.dir, 0700), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &ring), TS_ERR_OK);
	ts_keyring_unref(ring);
	ck_assert_int_eq(ts_keyring_load("/nonexistent/tessera-keys", 60, &ring),
			 TS_ERR_KEYRING_DIR);
}
END_TEST

START_TEST(test_keyring_refuses_readable_key)
{
	struct ts_keyring *ring = NULL;
	char path[512], want[600], kid[TS_KID_LEN + 1];

	snprintf(path, sizeof path, "%s/%s.key", fx.dir, ts_keyring_active(fx.ring)->kid);
	ck_assert_int_eq(chmod(path, 0640), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &ring), TS_ERR_KEY_PERMISSIONS);
	ck_assert_ptr_null(ring);
	snprintf(want, sizeof want, "error=KEY_PERMISSIONS path=%s mode=0640", path);
	ck_assert_msg(logged(want), "no '%s' in:\n%s", want, fx.log);
	/* Rotation refuses too: it must not add a key beside an exposed one. */
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid), TS_ERR_KEY_PERMISSIONS);
	ck_assert_int_eq(chmod(path, 0400), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &ring), TS_ERR_OK);
	ts_keyring_unref(ring);
}
END_TEST

START_TEST(test_keyring_survives_unfinished_rotation)
{
	char kid[TS_KID_LEN + 1], path[512], meta[512], cmd[1200];
	const char *first = ts_keyring_active(fx.ring)->kid;
	struct ts_keyring *ring = NULL;

	/* A crash after the new .json but before the old key was retired:
	 * rewrite the old key's metadata without retired_at. */
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid), TS_ERR_OK);
	snprintf(meta, sizeof meta, "%s/%s.json", fx.dir, first);
	snprintf(cmd, sizeof cmd,
		 "printf '{\"kid\":\"%s\",\"alg\":\"EdDSA\",\"created\":\"2025-11-25T02:40:00Z\"}' >%s",
		 first, meta);
	ck_assert_int_eq(system(cmd), 0);
	/* And a stray key with no metadata: a crash before its .json. */
	snprintf(path, sizeof path, "%s/AAAAAAAAAAAAAAAAAAAAAA.key", fx.dir);
	snprintf(cmd, sizeof cmd, "echo junk >%s && chmod 600 %s", path, path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 100, &ring), TS_ERR_OK);
	ck_assert_uint_eq(ts_keyring_count(ring), 2);
	ck_assert_str_eq(ts_keyring_active(ring)->kid, kid);
	ck_assert_int_eq(ts_keyring_info(ring, 1)->retired_at, T0);
	ck_assert_int_eq(ts_keyring_info(ring, 1)->deletable_after, T0 + 100);
	ck_assert(logged("event=keyring_skipped"));
	ts_keyring_unref(ring);
}
END_TEST

START_TEST(test_keyring_refuses_mismatched_metadata)
{
	char kid[TS_KID_LEN + 1], cmd[1200];
	const char *first = ts_keyring_active(fx.ring)->kid;
	struct ts_keyring *ring = NULL;

	/* The metadata claims ES256 for an Ed25519 key. */
	snprintf(cmd, sizeof cmd,
		 "printf '{\"kid\":\"%s\",\"alg\":\"ES256\",\"created\":\"2025-11-25T02:40:00Z\"}' "
		 ">%s/%s.json",
		 first, fx.dir, first);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 100, &ring), TS_ERR_KEY_LOAD);
	/* A key renamed to another kid. */
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid), TS_ERR_KEY_LOAD);
	snprintf(cmd, sizeof cmd,
		 /* ./ because a kid may begin with '-' (base64url). */
		 "cd %s && rm -f ./*.json && mv ./%s.key BBBBBBBBBBBBBBBBBBBBBB.key && printf "
		 "'{\"kid\":\"BBBBBBBBBBBBBBBBBBBBBB\",\"alg\":\"EdDSA\",\"created\":\"2025-11-25T02:"
		 "40:00Z\"}' >BBBBBBBBBBBBBBBBBBBBBB.json",
		 fx.dir, first);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 100, &ring), TS_ERR_KEYRING_METADATA);
	ck_assert(logged("reason=\"kid is not the hash of this key\""));
}
END_TEST

START_TEST(test_keyring_same_files)
{
	struct ts_keyring *a = NULL, *b = NULL;
	char kid[TS_KID_LEN + 1];

	ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &a), TS_ERR_OK);
	ck_assert(ts_keyring_same_files(a, fx.ring));
	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_EDDSA, T0, kid), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_load(fx.dir, 60, &b), TS_ERR_OK);
	ck_assert(!ts_keyring_same_files(a, b));
	ts_keyring_unref(a);
	ts_keyring_unref(b);
}
END_TEST

START_TEST(test_mint_without_active_key)
{
	char cmd[1200], *token = NULL;
	const char *kid = ts_keyring_active(fx.ring)->kid;
	size_t len;

	snprintf(cmd, sizeof cmd,
		 "printf '{\"kid\":\"%s\",\"alg\":\"EdDSA\",\"created\":\"2025-11-25T02:40:00Z\","
		 "\"retired_at\":\"2025-11-25T03:00:00Z\"}' >%s/%s.json",
		 kid, fx.dir, kid);
	ck_assert_int_eq(system(cmd), 0);
	reload_ring();
	ck_assert_ptr_null(ts_keyring_active(fx.ring));
	ck_assert_int_eq(ts_ticket_mint(fx.t, &alice, POOL, &token, &len), TS_ERR_KEYRING_EMPTY);
	ck_assert_ptr_null(token);
}
END_TEST

/* ---- JWKS ---- */

START_TEST(test_jwks_lists_active_and_retained)
{
	char kid2[TS_KID_LEN + 1], *json = NULL;
	const char *first;
	size_t len = 0;
	json_t *doc, *keys, *k;

	ck_assert_int_eq(ts_keyring_rotate(fx.dir, TS_ALG_ES256, T0, kid2), TS_ERR_OK);
	reload_ring();
	first = ts_keyring_info(fx.ring, 1)->kid;
	ck_assert_int_eq(ts_jwks_build(fx.ring, T0, &json, &len), TS_ERR_OK);
	ck_assert_uint_eq(strlen(json), len);
	doc = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_ptr_nonnull(doc);
	keys = json_object_get(doc, "keys");
	ck_assert_uint_eq(json_array_size(keys), 2);
	k = json_array_get(keys, 0);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kid")), kid2);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kty")), "EC");
	ck_assert_str_eq(json_string_value(json_object_get(k, "crv")), "P-256");
	ck_assert_str_eq(json_string_value(json_object_get(k, "alg")), "ES256");
	ck_assert_str_eq(json_string_value(json_object_get(k, "use")), "sig");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "x"))), 43);
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "y"))), 43);
	ck_assert_ptr_null(json_object_get(k, "d")); /* never the private part */
	k = json_array_get(keys, 1);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kid")), first);
	ck_assert_str_eq(json_string_value(json_object_get(k, "kty")), "OKP");
	ck_assert_str_eq(json_string_value(json_object_get(k, "crv")), "Ed25519");
	ck_assert_uint_eq(strlen(json_string_value(json_object_get(k, "x"))), 43);
	ck_assert_ptr_null(json_object_get(k, "d"));
	json_decref(doc);
	free(json);

	/* Once no ticket of the retired key can be valid, it leaves the set. */
	ck_assert_int_eq(ts_jwks_build(fx.ring, T0 + LIFETIME + SKEW, &json, &len), TS_ERR_OK);
	doc = json_loads(json, 0, NULL);
	keys = json_object_get(doc, "keys");
	ck_assert_uint_eq(json_array_size(keys), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(keys, 0), "kid")), kid2);
	json_decref(doc);
	free(json);
}
END_TEST

/* ---- revocation through the store ---- */

START_TEST(test_revocations_survive_restart)
{
	char path[512];
	struct stat st;
	struct ts_store *store = NULL;
	struct ts_revocations *rev = NULL;
	struct ts_ticket_claims c = {.jti = "jti-1", .jti_len = 5, .sub = "carol", .sub_len = 5,
				     .iat = T0};

	snprintf(path, sizeof path, "%s/state.db", fx.dir);
	ck_assert_int_eq(ts_store_sqlite_open(path, &store), TS_ERR_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(ts_revocations_new(store, T0, &rev), TS_ERR_OK);
	ck_assert(!ts_revocations_match(rev, &c));
	ck_assert_int_eq(ts_revoke_jti(rev, "jti-1", 5, T0 + 100), TS_ERR_OK);
	ck_assert_int_eq(ts_revoke_user(rev, "dave", 4, T0 + 5, T0 + 200), TS_ERR_OK);
	ck_assert(ts_revocations_match(rev, &c));
	ts_revocations_free(rev);
	ts_store_close(store);

	/* A new process: the set comes back from the file. */
	ck_assert_int_eq(ts_store_sqlite_open(path, &store), TS_ERR_OK);
	ck_assert_int_eq(ts_revocations_new(store, T0, &rev), TS_ERR_OK);
	ck_assert(ts_revocations_match(rev, &c));
	c.jti = "jti-2", c.sub = "dave", c.sub_len = 4;
	ck_assert(ts_revocations_match(rev, &c));
	c.iat = T0 + 5;
	ck_assert(!ts_revocations_match(rev, &c));
	/* Past their expiry the rows are pruned on reload. */
	ck_assert_int_eq(ts_revocations_reload(rev, T0 + 200), TS_ERR_OK);
	c.jti = "jti-1", c.iat = T0;
	ck_assert(!ts_revocations_match(rev, &c));
	ts_revocations_free(rev);
	ts_store_close(store);
}
END_TEST

START_TEST(test_revocation_widens_never_narrows)
{
	struct ts_ticket_claims c = {.jti = "x", .jti_len = 1, .sub = "erin", .sub_len = 4,
				     .iat = T0 + 50};
	struct ts_revocations *rev = NULL;
	uint64_t gen = ts_revocations_generation(fx.rev);

	ck_assert_int_eq(ts_revoke_user(fx.rev, "erin", 4, T0 + 100, T0 + 1000), TS_ERR_OK);
	ck_assert_uint_gt(ts_revocations_generation(fx.rev), gen);
	ck_assert_int_eq(ts_revoke_user(fx.rev, "erin", 4, T0 + 10, T0 + 500), TS_ERR_OK);
	ck_assert(ts_revocations_match(fx.rev, &c));
	/* The store kept the wider one too. */
	ck_assert_int_eq(ts_revocations_new(fx.store, T0, &rev), TS_ERR_OK);
	ck_assert(ts_revocations_match(rev, &c));
	ts_revocations_free(rev);
	ck_assert_int_eq(ts_revoke_jti(fx.rev, "", 0, T0), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

static ts_err hold_in(void *rev, const struct ts_revocation *r)
{
	return ts_revocations_hold(rev, r);
}

/* A sign-out writes its revocations in a store transaction of its own;
 * holding them in memory makes a ticket verified (and cached) before fail. */
START_TEST(test_session_end_held_in_memory)
{
	struct ts_sso_session sess = {"h(s)", "alice", "{}", 2, T0, T0 + 600};
	struct ts_revocation own = {TS_REVOKE_JTI, "sso-jti", 7, 0, T0 + 700};
	struct ts_ticket_claims sso = {.jti = "sso-jti", .jti_len = 7, .sub = "x", .sub_len = 1};
	const struct ts_ticket_claims *c = NULL;
	char *t = mint(fx.t), line[128];

	ck_assert_int_eq(ts_ticket_verify(fx.t, t, strlen(t), POOL, &c), TS_ERR_OK);
	ck_assert_int_eq(fx.store->session_put(fx.store->impl, &sess), TS_ERR_OK);
	ck_assert_int_eq(fx.store->session_ticket_add(fx.store->impl, "h(s)", c->jti, c->exp),
			 TS_ERR_OK);
	ck_assert_int_eq(fx.store->session_end(fx.store->impl, "h(s)", &own, SKEW, hold_in, fx.rev),
			 TS_ERR_OK);
	ck_assert_int_eq(verify_str(t), TS_ERR_TICKET_REVOKED);
	ck_assert(ts_revocations_match(fx.rev, &sso));
	snprintf(line, sizeof line, "event=ticket_revoked error=OK jti=%.*s", (int)c->jti_len,
		 c->jti);
	ck_assert(logged(line));
	ts_ticket_claims_release(c);
	free(t);
}
END_TEST

START_TEST(test_store_refuses_newer_schema)
{
	char path[512];
	struct ts_store *store = NULL;
	sqlite3 *db = NULL;

	snprintf(path, sizeof path, "%s/state.db", fx.dir);
	ck_assert_int_eq(ts_store_sqlite_open(path, &store), TS_ERR_OK);
	ts_store_close(store);
	store = NULL;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE schema_version SET version = 99", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(ts_store_sqlite_open(path, &store), TS_ERR_STORE_SCHEMA);
	ck_assert_ptr_null(store);
	ck_assert(logged("event=store_open_failed error=STORE_SCHEMA"));
	ck_assert_int_eq(ts_store_sqlite_open("/nonexistent/dir/state.db", &store), TS_ERR_STORE_OPEN);
}
END_TEST

static Suite *ticket_suite(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc;

	tc = tcase_create("base64url");
	tcase_add_test(tc, test_b64url_round_trip);
	tcase_add_test(tc, test_b64url_strict);
	suite_add_tcase(s, tc);

	tc = tcase_create("mint_verify");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_round_trip, 0, 2);
	tcase_add_test(tc, test_two_mints_differ_in_jti);
	tcase_add_test(tc, test_mint_refuses_bad_identity);
	tcase_add_test(tc, test_forged_shape_control);
	tcase_add_test(tc, test_skew_edges);
	tcase_add_test(tc, test_cache_never_extends_exp);
	tcase_add_test(tc, test_cache_hit_checks_audience);
	tcase_add_test(tc, test_revoke_user_spares_later_tickets);
	tcase_add_test(tc, test_mint_claims_match_verify);
	tcase_add_test(tc, test_mint_claims_revocations);
	tcase_add_test(tc, test_ring_swap_rechecks_cached);
	tcase_add_test(tc, test_verify_cache_is_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("refusals");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refusal, 0, (int)(sizeof refusals / sizeof refusals[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("keyring");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_keyring_rotate_and_states);
	tcase_add_test(tc, test_keyring_two_rotations_in_one_second);
	tcase_add_test(tc, test_keyring_rotation_keeps_old_tickets);
	tcase_add_test(tc, test_keyring_file_names_and_modes);
	tcase_add_test(tc, test_keyring_refuses_open_dir);
	tcase_add_test(tc, test_keyring_refuses_readable_key);
	tcase_add_test(tc, test_keyring_survives_unfinished_rotation);
	tcase_add_test(tc, test_keyring_refuses_mismatched_metadata);
	tcase_add_test(tc, test_keyring_same_files);
	tcase_add_test(tc, test_mint_without_active_key);
	tcase_add_test(tc, test_jwks_lists_active_and_retained);
	suite_add_tcase(s, tc);

	tc = tcase_create("revocation");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_revocations_survive_restart);
	tcase_add_test(tc, test_revocation_widens_never_narrows);
	tcase_add_test(tc, test_session_end_held_in_memory);
	tcase_add_test(tc, test_store_refuses_newer_schema);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ticket_suite());

	return ts_test_run(sr, "check_ticket");
}
