/* The broker's sign-in state over the store interface. Secrets that grant
 * something (hand-over codes, session ids) are stored as SHA-256 hashes, so
 * a copy of the database grants nothing. */
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "request_batch.h"
#include "state.h"
#include "tickets.h"
#include "tessera/store.h"
#include "tessera/ticket.h"

void ts_state_hash(struct ts_broker *b, const char *text, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(text, strlen(text), md, &len, ts_broker_sha256(b), NULL);
	for (size_t i = 0; i < sizeof md; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

static ts_err unknown_if_missing(ts_err err, ts_err unknown)
{
	return err == TS_ERR_STORE_NOT_FOUND || err == TS_ERR_STORE_EXPIRED ? unknown : err;
}

void ts_pending_clear(struct ts_pending *p)
{
	free(p->id);
	free(p->pool);
	free(p->idp);
	free(p->return_path);
	memset(p, 0, sizeof *p);
}

ts_err ts_state_pending_put(struct ts_broker *b, const struct ts_pending *p,
			    struct ts_http_hold *hold)
{
	struct ts_store *s = ts_broker_store(b);
	struct ts_signin_pending rec = {
		.id = p->id,
		.pool = p->pool,
		.idp = p->idp,
		.return_url = p->return_path,
		.flags = (p->mfa ? TS_SIGNIN_MFA_REQUIRED : 0) | (p->sts ? TS_SIGNIN_STS : 0),
		.created = ts_clock_now(&b->clock),
		.expires_at = p->expires_at,
	};

	memcpy(rec.browser, p->browser, sizeof rec.browser);
	memcpy(rec.pool_bind, p->pool_bind, sizeof rec.pool_bind);
	if (hold != NULL && b->requests != NULL)
		return ts_request_batch_hold(b->requests, &rec, hold);
	return s->request_put(s->impl, &rec);
}

ts_err ts_state_pending_get(struct ts_broker *b, const char *id, struct ts_pending *out)
{
	struct ts_store *s = ts_broker_store(b);
	struct ts_signin_pending rec = {0};
	ts_err err;

	memset(out, 0, sizeof *out);
	if (strlen(id) > TS_STORE_REQUEST_ID_MAX)
		return TS_ERR_REQUEST_UNKNOWN;
	err = s->request_get(s->impl, id, ts_clock_now(&b->clock), &rec);
	if (err != TS_ERR_OK)
		return unknown_if_missing(err, TS_ERR_REQUEST_UNKNOWN);
	/* The strings move over; only the struct shape differs. */
	out->id = rec.id;
	out->pool = rec.pool;
	out->idp = rec.idp;
	out->return_path = rec.return_url;
	out->mfa = (rec.flags & TS_SIGNIN_MFA_REQUIRED) != 0;
	out->sts = (rec.flags & TS_SIGNIN_STS) != 0;
	out->expires_at = rec.expires_at;
	memcpy(out->browser, rec.browser, sizeof out->browser);
	memcpy(out->pool_bind, rec.pool_bind, sizeof out->pool_bind);
	return TS_ERR_OK;
}

ts_err ts_state_signin_complete(struct ts_broker *b, const struct ts_signin_record *r)
{
	struct ts_store *s = ts_broker_store(b);
	const ts_time now = ts_clock_now(&b->clock);
	char *key = g_strconcat(r->issuer, "\n", r->assertion_id, NULL);
	char session_hash[65];
	struct ts_signin_completion c = {
		.request_id = r->request_id,
		.replay_key = key,
		.replay_expires_at = r->replay_until,
		.session = {
			.id_hash = session_hash,
			.subject = (char *)r->subject,
			.payload = (char *)r->session_extras,
			.payload_len = strlen(r->session_extras),
			.created = now,
			.expires_at = r->session_expires_at,
		},
		.code_hash = r->code_hash,
		.code_payload = r->code_payload,
		.code_payload_len = r->code_payload != NULL ? strlen(r->code_payload) : 0,
		.code_expires_at = r->code_expires_at,
		.now = now,
	};
	ts_err err, row = TS_ERR_OK;

	if (strlen(key) > TS_STORE_REPLAY_KEY_MAX || r->replay_until <= now) {
		g_free(key);
		/* Validated a moment ago, expired since: as the validator says. */
		return r->replay_until <= now ? TS_ERR_SAML_EXPIRED : TS_ERR_SAML_SHAPE;
	}
	ts_state_hash(b, r->session_jti, session_hash);
	err = s->signin_complete_many(s->impl, &c, 1, &row);
	g_free(key);
	return unknown_if_missing(err != TS_ERR_OK ? err : row, TS_ERR_REQUEST_UNKNOWN);
}

ts_err ts_state_secret_make(struct ts_broker *b, char **secret, char hash[65])
{
	unsigned char raw[32];
	char *c;

	*secret = NULL;
	if (RAND_bytes(raw, sizeof raw) != 1)
		return TS_ERR_CRYPTO;
	/* base64url without padding: safe in a query string as it is. */
	c = g_base64_encode(raw, sizeof raw);
	OPENSSL_cleanse(raw, sizeof raw);
	g_strdelimit(c, "+", '-');
	g_strdelimit(c, "/", '_');
	c[strcspn(c, "=")] = '\0';
	ts_state_hash(b, c, hash);
	*secret = strdup(c);
	g_free(c);
	return *secret != NULL ? TS_ERR_OK : TS_ERR_NOMEM;
}

ts_err ts_state_code_put(struct ts_broker *b, const char hash[65], const char *payload,
			 ts_time expires_at)
{
	struct ts_store *s = ts_broker_store(b);

	return s->code_put(s->impl, hash, payload, strlen(payload), expires_at);
}

ts_err ts_state_code_take(struct ts_broker *b, const char *code, char **payload)
{
	struct ts_store *s = ts_broker_store(b);
	char hash[65];
	size_t len = 0;

	*payload = NULL;
	if (strlen(code) > 128)
		return TS_ERR_CODE_UNKNOWN;
	ts_state_hash(b, code, hash);
	return unknown_if_missing(
		s->code_take(s->impl, hash, ts_clock_now(&b->clock), payload, &len),
		TS_ERR_CODE_UNKNOWN);
}

ts_err ts_state_session_payload(struct ts_broker *b, const char *jti, char **payload)
{
	struct ts_store *s = ts_broker_store(b);
	struct ts_sso_session rec = {0};
	char hash[65];
	ts_err err;

	*payload = NULL;
	ts_state_hash(b, jti, hash);
	err = s->session_get(s->impl, hash, ts_clock_now(&b->clock), &rec);
	if (err != TS_ERR_OK)
		return unknown_if_missing(err, TS_ERR_SESSION_UNKNOWN);
	*payload = strdup(rec.payload != NULL ? rec.payload : "{}");
	ts_sso_session_clear(&rec);
	return *payload != NULL ? TS_ERR_OK : TS_ERR_NOMEM;
}

ts_err ts_state_session_ticket_add(struct ts_broker *b, const char *session_jti,
				   const char *jti, ts_time exp)
{
	struct ts_store *s = ts_broker_store(b);
	char hash[65];

	ts_state_hash(b, session_jti, hash);
	/* Gone: signed out (or expired) while its code was on the way. */
	return unknown_if_missing(s->session_ticket_add(s->impl, hash, jti, exp),
				  TS_ERR_SESSION_UNKNOWN);
}

/* The store has committed the revocation: one not held in memory (out of
 * memory; logged by ts_revocations_hold) is held from the next reload of
 * the revocations, and the sign-out stands. */
static ts_err hold_revocation(void *rev, const struct ts_revocation *r)
{
	(void)ts_revocations_hold(rev, r);
	return TS_ERR_OK;
}

ts_err ts_state_session_end(struct ts_broker *b, const char *session_jti, ts_time exp)
{
	struct ts_store *s = ts_broker_store(b);
	const long skew = b->config->tickets.clock_skew;
	struct ts_revocation own = {TS_REVOKE_JTI, session_jti, strlen(session_jti), 0,
				    exp + skew};
	char hash[65];

	ts_state_hash(b, session_jti, hash);
	return s->session_end(s->impl, hash, &own, skew, hold_revocation,
			      ts_broker_revocations(b));
}
