/* Raw signatures over the JWS signing input. Ed25519 is one-shot
 * (EVP_DigestSign with no digest). ES256 is where JOSE and OpenSSL differ:
 * OpenSSL speaks DER ECDSA-Sig-Value, JWS the fixed 64-byte r||s
 * (RFC 7518 section 3.4), so both directions convert here and nowhere else. */
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include "ticket_internal.h"

#define ES256_HALF 32
/* DER of two 33-byte INTEGERs in a SEQUENCE: 2 + 2 * (2 + 33). */
#define ES256_DER_MAX 72

static const char *md_name(enum ts_ticket_alg alg)
{
	return alg == TS_ALG_ES256 ? "SHA256" : NULL;
}

ts_err ts_sig_sign(EVP_PKEY *pkey, enum ts_ticket_alg alg, const void *msg, size_t len,
		   unsigned char sig[TS_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[ES256_DER_MAX];
	const unsigned char *p = der;
	size_t siglen = alg == TS_ALG_ES256 ? sizeof der : TS_SIG_LEN;
	ECDSA_SIG *es = NULL;
	ts_err err = TS_ERR_CRYPTO;

	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, md_name(alg), NULL, NULL, pkey, NULL) != 1 ||
	    EVP_DigestSign(ctx, alg == TS_ALG_ES256 ? der : sig, &siglen, msg, len) != 1)
		goto out;
	if (alg == TS_ALG_EDDSA) {
		err = siglen == TS_SIG_LEN ? TS_ERR_OK : TS_ERR_CRYPTO;
		goto out;
	}
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)siglen)) == NULL ||
	    BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, ES256_HALF) != ES256_HALF ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + ES256_HALF, ES256_HALF) != ES256_HALF)
		goto out;
	err = TS_ERR_OK;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return err;
}

/* JOSE r||s to DER; r and s are checked against the curve by the verify. */
static ts_err es256_to_der(const unsigned char *sig, unsigned char *der, size_t *der_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, ES256_HALF, NULL);
	BIGNUM *s = BN_bin2bn(sig + ES256_HALF, ES256_HALF, NULL);
	unsigned char *p = der;
	ts_err err = TS_ERR_CRYPTO;
	int n;

	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	if (i2d_ECDSA_SIG(es, NULL) > ES256_DER_MAX || (n = i2d_ECDSA_SIG(es, &p)) <= 0)
		goto out;
	*der_len = (size_t)n;
	err = TS_ERR_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return err;
}

ts_err ts_sig_verify(EVP_PKEY *pkey, enum ts_ticket_alg alg, const void *msg, size_t len,
		     const unsigned char *sig, size_t sig_len)
{
	unsigned char der[ES256_DER_MAX];
	size_t der_len = 0;
	EVP_MD_CTX *ctx = NULL;
	ts_err err = TS_ERR_TICKET_SIGNATURE;

	if (sig_len != TS_SIG_LEN)
		goto out;
	if (alg == TS_ALG_ES256 && es256_to_der(sig, der, &der_len) != TS_ERR_OK)
		goto out;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, NULL, md_name(alg), NULL, NULL, pkey, NULL) != 1)
		goto out;
	/* 1 is a good signature; 0 bad, negative an error: both refuse. */
	if (alg == TS_ALG_ES256 ? EVP_DigestVerify(ctx, der, der_len, msg, len) == 1
				: EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1)
		err = TS_ERR_OK;
out:
	/* A refused signature is an answer, not an error to report later: keep
	 * the thread's OpenSSL error queue from filling with forged tokens. */
	if (err != TS_ERR_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return err;
}
