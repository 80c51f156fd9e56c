/* See gate_attempt.h. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "gate_attempt.h"
#include "gate_cutover.h"

/* The pool's answer refusing a credential of each kind (sfb-protocol.md 3):
 * IIS answers a wrong Windows or Basic password 401, oauthtoken a wrong
 * password grant 400 invalid_grant, /Auth a wrong PIN a SOAP fault 500 with
 * ErrorId 28020 "No valid security token." (its other faults are other
 * errors). A windows grant's 401 is the challenge, and 403 is a credential
 * taken, then denied: neither is here. */
static const struct refusal {
	const char *kind;
	long status;
	const char *body_has; /* NULL: the status says it all */
} refusals[] = {
	{"ntlm", 401, NULL},
	{"negotiate", 401, NULL},
	{"basic", 401, NULL},
	{"password", 400, NULL},
	{"pin", 500, "<ErrorId>28020</ErrorId>"},
};

/* kind's row in refusals; NULL for a kind without one. */
static const struct refusal *refusal_of(const char *kind)
{
	for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++)
		if (strcmp(kind, refusals[i].kind) == 0)
			return &refusals[i];
	return NULL;
}

bool ts_gate_attempt_refused_by(const char *kind, long status, const char *body, size_t len)
{
	const struct refusal *r = refusal_of(kind);

	return r != NULL && status == r->status &&
	       (r->body_has == NULL ||
		(body != NULL && g_strstr_len(body, (gssize)len, r->body_has) != NULL));
}

enum field { POOL, USER, FAMILY, CAPABLE, KIND, IP, AGENT, AT, N_FIELDS };
static const char *const field_names[N_FIELDS] = {"pool", "user", "family", "capable",
						  "kind", "ip",	  "agent",  "at"};

char *ts_gate_attempt_encode(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
			     const struct ts_gate_request *req)
{
	char agent[TS_CUTOVER_AGENT_MAX + 1];
	struct ts_usage_event ev;
	const char *values[N_FIELDS];
	char at[24];
	GString *out;

	/* Only an attempt counted can be taken off: a refusal of one the full
	 * table dropped would take off someone else's sign-in. */
	if (!v->recorded || !ts_gate_usage_event(policy, v, req, agent, &ev) ||
	    refusal_of(ev.kind) == NULL)
		return NULL;
	values[POOL] = ev.pool;
	values[USER] = ev.user;
	values[FAMILY] = ev.family;
	values[CAPABLE] = ev.passive_capable ? "1" : "0";
	values[KIND] = ev.kind;
	values[IP] = ev.ip;
	values[AGENT] = ev.agent;
	snprintf(at, sizeof at, "%lld", (long long)ev.now);
	values[AT] = at;
	out = g_string_new(NULL);
	for (int f = 0; f < N_FIELDS; f++) {
		g_string_append_printf(out, "%s%s=", f > 0 ? "&" : "", field_names[f]);
		g_string_append_uri_escaped(out, values[f], NULL, FALSE);
	}
	return g_string_free(out, FALSE);
}

static int field_of(const char *name, size_t len)
{
	for (int f = 0; f < N_FIELDS; f++)
		if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
			return f;
	return -1;
}

ts_err ts_gate_attempt_decode(const char *text, size_t len, struct ts_gate_attempt *out)
{
	char *values[N_FIELDS] = {0};
	char *copy = g_strndup(text, len);
	char **pairs = g_strsplit(copy, "&", -1);
	gint64 at = 0;
	ts_err err = strlen(copy) == len ? TS_ERR_OK : TS_ERR_INVALID_ARGUMENT;

	memset(out, 0, sizeof *out);
	for (char **p = pairs; err == TS_ERR_OK && *p != NULL; p++) {
		const char *eq = strchr(*p, '=');
		const int f = eq != NULL ? field_of(*p, (size_t)(eq - *p)) : -1;
		if (f < 0 || values[f] != NULL)
			err = TS_ERR_INVALID_ARGUMENT;
		/* NULL for a bad escape or an escaped NUL. */
		else if ((values[f] = g_uri_unescape_string(eq + 1, NULL)) == NULL)
			err = TS_ERR_INVALID_ARGUMENT;
	}
	for (int f = 0; err == TS_ERR_OK && f < N_FIELDS; f++)
		if (values[f] == NULL)
			err = TS_ERR_INVALID_ARGUMENT;
	if (err == TS_ERR_OK &&
	    ((strcmp(values[CAPABLE], "0") != 0 && strcmp(values[CAPABLE], "1") != 0) ||
	     refusal_of(values[KIND]) == NULL ||
	     !g_ascii_string_to_signed(values[AT], 10, 0, G_MAXINT64, &at, NULL)))
		err = TS_ERR_INVALID_ARGUMENT;
	if (err == TS_ERR_OK) {
		*out = (struct ts_gate_attempt){values[POOL],  values[USER], values[FAMILY],
						values[KIND],  values[IP],   values[AGENT],
						values[CAPABLE][0] == '1', (ts_time)at};
		g_free(values[CAPABLE]);
		g_free(values[AT]);
	} else {
		for (int f = 0; f < N_FIELDS; f++)
			g_free(values[f]);
	}
	g_strfreev(pairs);
	g_free(copy);
	return err;
}

void ts_gate_attempt_clear(struct ts_gate_attempt *a)
{
	g_free(a->pool);
	g_free(a->user);
	g_free(a->family);
	g_free(a->kind);
	g_free(a->ip);
	g_free(a->agent);
	memset(a, 0, sizeof *a);
}

struct ts_usage_event ts_gate_attempt_refused(const struct ts_gate_attempt *a, ts_time now)
{
	return (struct ts_usage_event){.pool = a->pool,
				       .user = a->user,
				       .family = a->family,
				       .passive_capable = a->passive_capable,
				       .kind = refusal_of(a->kind)->kind, /* a static label */
				       .ip = a->ip,
				       .agent = a->agent,
				       .decision = TS_DECISION_POOL_REFUSED,
				       .now = a->at < now ? a->at : now};
}
