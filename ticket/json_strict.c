/* The JSON of a ticket, read strictly: duplicate member names refused (two
 * "sub" members would let two parsers disagree on who the ticket is for),
 * sizes capped, every known claim of its one allowed type. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_internal.h"

/* More members than any ticket of ours has; a cap on parser work. */
#define CLAIMS_MEMBERS_MAX 32
/* Times beyond year 9999 are nonsense, and keep ts_time sums from overflowing. */
#define TIME_MAX 253402300799

/* The refcounted block behind a struct ts_ticket_claims: strings follow. */
struct claims_box {
	atomic_uint refs;
	struct ts_ticket_claims pub;
	const char *amr[TS_TICKET_AMR_MAX];
	char strings[];
};

#define BOX_OF(c) ((struct claims_box *)(void *)((char *)(c) - offsetof(struct claims_box, pub)))

json_t *ts_json_load_object(const void *text, size_t len, size_t max_len)
{
	json_t *v;

	if (len > max_len)
		return NULL;
	/* JSON_REJECT_DUPLICATES at every depth; NUL inside strings stays refused
	 * (no JSON_ALLOW_NUL); the top level must be an object or array. */
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
	}
	return v;
}

ts_err ts_json_header(const unsigned char *text, size_t len, enum ts_ticket_alg *alg,
		      char kid[TS_KID_LEN + 1])
{
	json_t *h = ts_json_load_object(text, len, TS_JWS_HEADER_MAX);
	json_t *a, *k, *t;
	size_t known;
	ts_err err = TS_ERR_TICKET_JSON;

	if (h == NULL)
		goto out;
	a = json_object_get(h, "alg");
	k = json_object_get(h, "kid");
	t = json_object_get(h, "typ");
	known = (a != NULL) + (k != NULL) + (t != NULL);
	/* Anything else (crit, jku, jwk, x5u, ...) asks for processing we do not
	 * do; RFC 7515 says crit must then be refused, and the rest is refused
	 * so that no header can point verification elsewhere. */
	if (!json_is_string(a) || !json_is_string(k) || known != json_object_size(h))
		goto out;
	if (t != NULL && (!json_is_string(t) || strcmp(json_string_value(t), "JWT") != 0))
		goto out;
	if ((err = ts_ticket_alg_parse(json_string_value(a), json_string_length(a), alg)) !=
	    TS_ERR_OK)
		goto out;
	if (json_string_length(k) != TS_KID_LEN) {
		err = TS_ERR_TICKET_UNKNOWN_KID;
		goto out;
	}
	memcpy(kid, json_string_value(k), TS_KID_LEN + 1);
	err = TS_ERR_OK;
out:
	json_decref(h);
	return err;
}

/* A string claim: NULL when absent and optional; an error when of the
 * wrong type, empty, or too long. */
static ts_err string_claim(const json_t *obj, const char *name, bool required, json_t **out,
			   size_t *bytes)
{
	json_t *v = json_object_get(obj, name);

	*out = NULL;
	if (v == NULL)
		return required ? TS_ERR_TICKET_JSON : TS_ERR_OK;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > TS_TICKET_CLAIM_MAX)
		return TS_ERR_TICKET_JSON;
	*bytes += json_string_length(v) + 1;
	*out = v;
	return TS_ERR_OK;
}

/* A NumericDate: an integer (no fraction, no exponent) in range. */
static ts_err time_claim(const json_t *obj, const char *name, ts_time *out)
{
	json_t *v = json_object_get(obj, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > TIME_MAX)
		return TS_ERR_TICKET_JSON;
	*out = (ts_time)json_integer_value(v);
	return TS_ERR_OK;
}

/* Copies v's text into the box's string area; "" for an absent claim. */
static const char *put_string(char **at, json_t *v, size_t *len)
{
	const char *s = *at;
	size_t n = v != NULL ? json_string_length(v) : 0;

	if (n > 0)
		memcpy(*at, json_string_value(v), n);
	(*at)[n] = '\0';
	*at += n + 1;
	if (len != NULL)
		*len = n;
	return s;
}

ts_err ts_json_claims(const unsigned char *text, size_t len, struct ts_ticket_claims **out,
		      const char **reason)
{
	json_t *obj = ts_json_load_object(text, len, TS_TICKET_MAX_BYTES);
	ts_err err;

	*out = NULL;
	*reason = "not a JSON object without duplicate keys";
	if (obj == NULL)
		return TS_ERR_TICKET_JSON;
	err = ts_json_claims_object(obj, out, reason);
	json_decref(obj);
	return err;
}

ts_err ts_json_claims_object(const json_t *obj, struct ts_ticket_claims **out,
			     const char **reason)
{
	static const char *const string_names[] = {"iss", "sub", "aud", "jti", "upn", "sid", "idp"};
	enum { N_STRINGS = sizeof string_names / sizeof string_names[0], N_REQUIRED = 4 };
	json_t *sv[N_STRINGS], *amr;
	struct claims_box *box = NULL;
	struct ts_ticket_claims c = {0};
	size_t bytes = N_STRINGS + 1, n_amr = 0;
	char *at;
	ts_err err = TS_ERR_TICKET_JSON;

	*out = NULL;
	*reason = "not a JSON object";
	if (!json_is_object(obj))
		goto out;
	*reason = "too many members";
	if (json_object_size(obj) > CLAIMS_MEMBERS_MAX)
		goto out;
	for (size_t i = 0; i < N_STRINGS; i++) {
		*reason = string_names[i];
		if ((err = string_claim(obj, string_names[i], i < N_REQUIRED, &sv[i], &bytes)) !=
		    TS_ERR_OK)
			goto out;
	}
	err = TS_ERR_TICKET_JSON;
	*reason = "iat";
	if (time_claim(obj, "iat", &c.iat) != TS_ERR_OK)
		goto out;
	*reason = "nbf";
	if (time_claim(obj, "nbf", &c.nbf) != TS_ERR_OK)
		goto out;
	*reason = "exp";
	if (time_claim(obj, "exp", &c.exp) != TS_ERR_OK)
		goto out;
	*reason = "amr";
	if ((amr = json_object_get(obj, "amr")) != NULL) {
		json_t *v;
		size_t i;

		if (!json_is_array(amr) || (n_amr = json_array_size(amr)) > TS_TICKET_AMR_MAX)
			goto out;
		json_array_foreach(amr, i, v) {
			if (!json_is_string(v) || json_string_length(v) == 0 ||
			    json_string_length(v) > TS_TICKET_CLAIM_MAX)
				goto out;
			bytes += json_string_length(v) + 1;
		}
	}
	if ((box = malloc(sizeof *box + bytes)) == NULL) {
		err = TS_ERR_NOMEM;
		goto out;
	}
	atomic_init(&box->refs, 1);
	at = box->strings;
	c.iss = put_string(&at, sv[0], NULL);
	c.sub = put_string(&at, sv[1], &c.sub_len);
	c.aud = put_string(&at, sv[2], NULL);
	c.jti = put_string(&at, sv[3], &c.jti_len);
	c.upn = put_string(&at, sv[4], NULL);
	c.sid = put_string(&at, sv[5], NULL);
	c.idp = put_string(&at, sv[6], NULL);
	for (size_t i = 0; i < n_amr; i++)
		box->amr[i] = put_string(&at, json_array_get(amr, i), NULL);
	c.amr = box->amr;
	c.n_amr = n_amr;
	box->pub = c;
	*out = &box->pub;
	*reason = NULL;
	err = TS_ERR_OK;
out:
	return err;
}

const struct ts_ticket_claims *ts_claims_retain(const struct ts_ticket_claims *claims)
{
	atomic_fetch_add_explicit(&BOX_OF(claims)->refs, 1, memory_order_relaxed);
	return claims;
}

void ts_ticket_claims_release(const struct ts_ticket_claims *claims)
{
	struct claims_box *box;

	if (claims == NULL)
		return;
	box = BOX_OF(claims);
	if (atomic_fetch_sub_explicit(&box->refs, 1, memory_order_acq_rel) == 1)
		free(box);
}
