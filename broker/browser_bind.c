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

/* The twin follows Google's and Auth0's SameSite guides for browsers that
 * mishandle None. */
const struct ts_browser_cookie ts_browser_req_cookie = {"__Host-tessera-req", "None",
							"__Host-tessera-req-legacy"};
const struct ts_browser_cookie ts_browser_bind_cookie = {"__Host-tessera-bind", "Lax", NULL};

static bool nonce_valid(const char *v)
{
	return v != NULL && strlen(v) == NONCE_LEN &&
	       strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
		       NONCE_LEN;
}

/* The browser's nonce in c: the cookie's; the twin's only when no spelling
 * of the cookie came. NULL when none is well-formed, or when cookie and
 * twin both came and differ: one of them was planted. */
static const char *held_nonce(const struct ts_http_request *req, const struct ts_browser_cookie *c)
{
	unsigned first_seen, twin_seen = 0;
	const char *first = ts_http_cookie_seen(req, c->name, &first_seen);
	const char *twin = c->twin != NULL ? ts_http_cookie_seen(req, c->twin, &twin_seen) : NULL;

	if (first_seen == 0)
		return nonce_valid(twin) ? twin : NULL;
	if (!nonce_valid(first) || (twin_seen > 0 && (twin == NULL || strcmp(twin, first) != 0)))
		return NULL;
	return first;
}

ts_err ts_browser_bind(const struct ts_http_request *req, struct ts_http_response *resp,
		       const struct ts_browser_cookie *c, char hash[65])
{
	const char *held = held_nonce(req, c);
	char *nonce = NULL;
	ts_err err;

	if (held != NULL) {
		ts_state_hash(req->broker, held, hash);
		return TS_ERR_OK;
	}
	if ((err = ts_state_secret_make(req->broker, &nonce, hash)) != TS_ERR_OK)
		return err;
	err = ts_http_set_session_cookie(resp, c->name, nonce, c->same_site);
	if (err == TS_ERR_OK && c->twin != NULL)
		err = ts_http_set_session_cookie(resp, c->twin, nonce, NULL);
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

bool ts_browser_bound(const struct ts_http_request *req, const struct ts_browser_cookie *c,
		      const char *hash)
{
	const char *held = held_nonce(req, c);
	char mine[65];

	if (held == NULL || !ts_store_hash_valid(hash))
		return false;
	ts_state_hash(req->broker, held, mine);
	return CRYPTO_memcmp(mine, hash, 64) == 0;
}
