/* Backend-independent helpers of the state store interface. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/store.h"

bool ts_store_hash_valid(const char *text)
{
	return text != NULL && strnlen(text, 65) == 64 && strspn(text, "0123456789abcdef") == 64;
}

void ts_store_close(struct ts_store *store)
{
	if (store == NULL)
		return;
	if (store->close != NULL)
		store->close(store->impl);
	free(store);
}

void ts_signin_pending_clear(struct ts_signin_pending *p)
{
	if (p == NULL)
		return;
	free(p->id);
	free(p->pool);
	free(p->idp);
	free(p->return_url);
	memset(p, 0, sizeof *p);
}

void ts_sso_session_clear(struct ts_sso_session *s)
{
	if (s == NULL)
		return;
	/* The payload carries the user's identity claims. */
	if (s->payload != NULL)
		OPENSSL_cleanse(s->payload, s->payload_len);
	free(s->id_hash);
	free(s->subject);
	free(s->payload);
	memset(s, 0, sizeof *s);
}
