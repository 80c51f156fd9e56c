/* The browser nonce cookies of browser_bind.h. */
#include <glib.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "state.h"
#include "tessera/store.h"

/* What ts_state_secret_make writes: 32 bytes as base64url, no padding. */
#define NONCE_LEN 43

static bool nonce_valid(const char *v)
{
	return v != NULL && strlen(v) == NONCE_LEN &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		       NONCE_LEN;
}

ts_err ts_browser_bind(const struct ts_http_request *req, struct ts_http_response *resp,
		       const char *cookie, const char *same_site, char hash[65])
{
	const char *held = ts_http_cookie(req, cookie);
	char *nonce = NULL;
	ts_err err;

	if (nonce_valid(held)) {
		ts_state_hash(req->broker, held, hash);
		return TS_ERR_OK;
	}
	if ((err = ts_state_secret_make(req->broker, &nonce, hash)) != TS_ERR_OK)
		return err;
	err = ts_http_set_session_cookie(resp, cookie, nonce, same_site);
	OPENSSL_cleanse(nonce, strlen(nonce));
	free(nonce);
	return err;
}

ts_err ts_browser_bind_redirect(struct ts_http_response *resp, const char *pool_host,
				const char *return_path, bool stepup)
{
	char *ret = g_uri_escape_string(return_path, NULL, FALSE);
	char *location = g_strdup_printf("https://%s/.tessera/signin?return=%s%s", pool_host, ret,
					 stepup ? "&stepup=1" : "");
	ts_err err = ts_http_redirect(resp, location);

	g_free(location);
	g_free(ret);
	return err;
}

bool ts_browser_bound(const struct ts_http_request *req, const char *cookie, const char *hash)
{
	const char *held = ts_http_cookie(req, cookie);
	char mine[65];

	if (!nonce_valid(held) || !ts_store_hash_valid(hash))
		return false;
	ts_state_hash(req->broker, held, mine);
	return CRYPTO_memcmp(mine, hash, 64) == 0;
}
