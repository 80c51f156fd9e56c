/* The browser nonce cookies of browser_bind.h. */
#include <glib.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "browser_bind.h"
#include "state.h"
#include "tessera/store.h"

/* What ts_state_secret_make writes: 32 bytes as base64url, no padding. */
#define NONCE_LEN 43

/* A SameSite=None cookie's twin without SameSite. Safari on iOS 12 and
 * macOS 10.14 read None as Strict and Chrome 51-66 drop such a cookie, so
 * neither would carry it on the IdP's cross-site POST; they do send a cookie
 * without SameSite. Browsers that default to Lax send the first instead.
 * (The twin-cookie convention of Google's and Auth0's SameSite guides.) */
#define LEGACY_SUFFIX "-legacy"
#define LEGACY_NAME_MAX 64

static const char *legacy_name(const char *cookie, char out[LEGACY_NAME_MAX])
{
	int n = snprintf(out, LEGACY_NAME_MAX, "%s" LEGACY_SUFFIX, cookie);

	return n > 0 && n < LEGACY_NAME_MAX ? out : NULL;
}

static bool nonce_valid(const char *v)
{
	return v != NULL && strlen(v) == NONCE_LEN &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		       NONCE_LEN;
}

ts_err ts_browser_bind(const struct ts_http_request *req, struct ts_http_response *resp,
		       const char *cookie, const char *same_site, char hash[65])
{
	char name[LEGACY_NAME_MAX];
	const bool twin = strcmp(same_site, "None") == 0;
	const char *legacy = twin ? legacy_name(cookie, name) : NULL;
	const char *held = ts_http_cookie(req, cookie);
	char *nonce = NULL;
	ts_err err;

	if (!nonce_valid(held) && legacy != NULL)
		held = ts_http_cookie(req, legacy);
	if (nonce_valid(held)) {
		ts_state_hash(req->broker, held, hash);
		return TS_ERR_OK;
	}
	if (twin && legacy == NULL)
		return TS_ERR_INTERNAL;
	if ((err = ts_state_secret_make(req->broker, &nonce, hash)) != TS_ERR_OK)
		return err;
	err = ts_http_set_session_cookie(resp, cookie, nonce, same_site);
	if (err == TS_ERR_OK && legacy != NULL)
		err = ts_http_set_session_cookie(resp, legacy, nonce, NULL);
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

static bool holds(const struct ts_http_request *req, const char *cookie, const char *hash)
{
	const char *held = cookie != NULL ? ts_http_cookie(req, cookie) : NULL;
	char mine[65];

	if (!nonce_valid(held))
		return false;
	ts_state_hash(req->broker, held, mine);
	return CRYPTO_memcmp(mine, hash, 64) == 0;
}

bool ts_browser_bound(const struct ts_http_request *req, const char *cookie, const char *hash)
{
	char name[LEGACY_NAME_MAX];

	return ts_store_hash_valid(hash) &&
	       (holds(req, cookie, hash) || holds(req, legacy_name(cookie, name), hash));
}
