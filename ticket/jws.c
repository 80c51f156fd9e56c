/* JWS compact serialisation: splitting a token into its three parts, and
 * assembling a signed one. */
#include <stdlib.h>
#include <string.h>

#include "ticket_internal.h"

ts_err ts_jws_split(const char *token, size_t len, struct ts_jws_parts *out)
{
	const char *dot1 = memchr(token, '.', len), *dot2;

	if (dot1 == NULL)
		return TS_ERR_TICKET_MALFORMED;
	dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
	/* A third dot would make a JWE-like or nested shape: refused. */
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL)
		return TS_ERR_TICKET_MALFORMED;
	out->header = token;
	out->header_len = (size_t)(dot1 - token);
	out->payload = dot1 + 1;
	out->payload_len = (size_t)(dot2 - dot1 - 1);
	out->sig = dot2 + 1;
	out->sig_len = len - (size_t)(dot2 + 1 - token);
	out->signing_input_len = (size_t)(dot2 - token);
	/* An empty signature (an unsecured JWS) passes here so that its header
	 * is refused for what it is: alg "none" is TICKET_ALG. */
	if (out->header_len == 0 || out->payload_len == 0)
		return TS_ERR_TICKET_MALFORMED;
	return TS_ERR_OK;
}

ts_err ts_jws_sign(const struct ts_key *key, const char *header_b64, size_t header_b64_len,
		   const void *payload, size_t payload_len, char **token, size_t *token_len)
{
	const size_t payload_b64 = ts_b64url_len(payload_len);
	const size_t sig_b64 = ts_b64url_len(TS_SIG_LEN);
	const size_t total = header_b64_len + 1 + payload_b64 + 1 + sig_b64;
	unsigned char sig[TS_SIG_LEN];
	char *buf = NULL;
	size_t at, n;
	ts_err err;

	*token = NULL;
	if (total > TS_TICKET_MAX_BYTES) {
		err = TS_ERR_TICKET_TOO_LARGE;
		goto out;
	}
	if ((buf = malloc(total + 1)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, header_b64, header_b64_len);
	at = header_b64_len;
	buf[at++] = '.';
	if ((err = ts_b64url_encode(payload, payload_len, buf + at, total + 1 - at, &n)) !=
	    TS_ERR_OK)
		goto out;
	at += n;
	if ((err = ts_sig_sign(key->pkey, key->info.alg, buf, at, sig)) != TS_ERR_OK)
		goto out;
	buf[at++] = '.';
	if ((err = ts_b64url_encode(sig, sizeof sig, buf + at, total + 1 - at, &n)) != TS_ERR_OK)
		goto out;
	*token = buf;
	*token_len = at + n;
	buf = NULL;
out:
	free(buf);
	return err;
}
