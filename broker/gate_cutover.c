/* What the cutover adds to a decision: the pool's runtime stage and
 * exceptions (from the stage watch's snapshot), and the record of every
 * legacy sign-in attempt with what became of it (aggregated in memory by
 * broker/usage.c, never a store write per request). */
#include <glib.h>
#include <string.h>

#include "gate.h"
#include "gate_cutover.h"
#include "gate_ticket.h"
#include "ticket_seen.h"
#include "stage_watch.h"
#include "tessera/log.h"
#include "usage.h"

/* The User-Agent as a string ("" when absent, sent twice or too long). */
static void user_agent(const struct ts_gate_request *req, char out[TS_CUTOVER_AGENT_MAX + 1])
{
	const char *value;
	size_t len;

	out[0] = '\0';
	if (ts_gate_header_get(req, "User-Agent", &value, &len) == 1 && len <= TS_CUTOVER_AGENT_MAX) {
		memcpy(out, value, len);
		out[len] = '\0';
	}
}

/* The pool's entry in the stage snapshot; NULL without one. */
static const struct ts_stage_pool *runtime_state(const struct ts_gate_policy *policy,
						 const struct ts_config_pool *pool)
{
	return policy->stages != NULL ? ts_stage_snapshot_pool(policy->stages, pool->name) : NULL;
}

enum ts_gate_stage ts_gate_pool_stage(const struct ts_gate_policy *policy,
				      const struct ts_config_pool *pool)
{
	const struct ts_stage_pool *sp = runtime_state(policy, pool);
	enum ts_gate_stage stage;

	if (sp != NULL) {
		switch (sp->stage) {
		case TS_STAGE_LEGACY:
			return TS_GATE_STAGE_LEGACY;
		case TS_STAGE_AUDIT:
			return TS_GATE_STAGE_AUDIT;
		case TS_STAGE_PASSIVE:
			return TS_GATE_STAGE_PASSIVE;
		}
	}
	/* config.c admits only the three names; anything else fails closed. */
	return ts_gate_stage_parse(pool->stage, &stage) == TS_ERR_OK ? stage
								      : TS_GATE_STAGE_PASSIVE;
}

bool ts_gate_pool_excepted(const struct ts_gate_policy *policy, const struct ts_config_pool *pool,
			   const struct ts_gate_verdict *v, const struct ts_gate_request *req)
{
	const struct ts_stage_pool *sp = runtime_state(policy, pool);
	char agent[TS_CUTOVER_AGENT_MAX + 1];

	if (sp == NULL || sp->exceptions.n == 0)
		return false;
	/* An NTLM type 1 names nobody: let the handshake go on to the type 3
	 * (which does name the user, and is judged then) whenever a user
	 * exception could apply. The pool authenticates nobody on a type 1. */
	if (v->kind == TS_GATE_KIND_NTLM && v->user[0] == '\0' && v->err == TS_ERR_OK)
		for (size_t i = 0; i < sp->exceptions.n; i++)
			if (sp->exceptions.items[i].kind == TS_EXCEPT_USER &&
			    policy->now < sp->exceptions.items[i].until)
				return true;
	user_agent(req, agent);
	return ts_cutover_excepted(&sp->exceptions, v->user[0] != '\0' ? v->user : NULL,
				   agent[0] != '\0' ? agent : NULL, req->source, policy->now) != NULL;
}

enum ts_usage_decision ts_gate_legacy_decision(const struct ts_gate_verdict *v)
{
	if (v->excepted)
		return TS_DECISION_EXCEPTED;
	if (v->stage == TS_GATE_STAGE_AUDIT)
		return TS_DECISION_WOULD_BLOCK;
	return v->stage == TS_GATE_STAGE_PASSIVE ? TS_DECISION_REFUSED : TS_DECISION_PASSED;
}

bool ts_gate_usage_event(const struct ts_gate_policy *policy, const struct ts_gate_verdict *v,
			 const struct ts_gate_request *req, char agent[TS_CUTOVER_AGENT_MAX + 1],
			 struct ts_usage_event *out)
{
	if (v->pool[0] == '\0' || !ts_gate_kind_is_legacy(v->kind))
		return false;
	/* An NTLM type 1 is half a handshake: its type 3 names the user and is
	 * the one recorded. Other attempts without a name (Kerberos, a
	 * malformed token) still count, as "(unnamed)". */
	if (v->user[0] == '\0' && v->kind == TS_GATE_KIND_NTLM)
		return false;
	user_agent(req, agent);
	*out = (struct ts_usage_event){.pool = v->pool,
				       .user = v->user[0] != '\0' ? v->user : "(unnamed)",
				       .family = v->client->name,
				       .passive_capable = v->client->passive_capable,
				       .kind = ts_gate_kind_name(v->kind),
				       .ip = req->source,
				       .agent = agent,
				       .decision = ts_gate_legacy_decision(v),
				       .now = policy->now};
	return true;
}

void ts_gate_record(const struct ts_gate_policy *policy, struct ts_gate_verdict *v,
		    const struct ts_gate_request *req)
{
	char agent[TS_CUTOVER_AGENT_MAX + 1];
	struct ts_usage_event ev;

	/* A full table counts a drop (ts_usage_stats); the request goes on. */
	v->recorded = policy->usage != NULL && ts_gate_usage_event(policy, v, req, agent, &ev) &&
		      ts_usage_record(policy->usage, &ev) == TS_ERR_OK;
}

struct minted_lookup {
	const struct ts_gate_policy *policy;
	struct ts_gate_verdict *v;
	bool legacy;
	bool certprov; /* note each legacy-minted one as used at CertProv */
};

/* One identity: was it recorded as minted by a legacy sign-in here? */
static bool look_up(void *arg, const char *id, size_t len)
{
	struct minted_lookup *m = arg;
	char hash[TS_CUTOVER_HASH_LEN + 1];
	struct ts_pool_ticket t = {0};
	ts_err err;

	if (ts_cutover_ticket_hash(id, len, hash) != TS_ERR_OK)
		return false;
	/* At CertProv the look-up notes a use: never skipped there. */
	if (!m->certprov && ts_ticket_seen_clean(m->policy->seen, hash, m->policy->now))
		return false;
	if ((err = ts_cutover_ticket_get(m->policy->minted, hash, m->policy->now, &t)) != TS_ERR_OK) {
		if (err == TS_ERR_STORE_NOT_FOUND)
			ts_ticket_seen_put_clean(m->policy->seen, hash, m->policy->now);
		return false;
	}
	/* Only sign-ins that proved neither passive nor a ticket are recorded
	 * (a password grant the gate could not read, kind unknown, too). */
	if (strcmp(t.pool, m->v->pool) == 0) {
		m->legacy = true;
		/* Its user, for the records and for a user exception. */
		if (t.user != NULL)
			g_strlcpy(m->v->user, t.user, sizeof m->v->user);
		if (m->certprov &&
		    ts_cutover_ticket_certprov(m->policy->minted, hash, m->policy->now) == TS_ERR_OK)
			ts_log(TS_LOG_INFO, "certprov_with_legacy_ticket", "pool", t.pool, "user",
			       t.user != NULL ? t.user : "", "detail",
			       "a client certificate is being provisioned with a ticket minted by a "
			       "legacy sign-in (pool runbook lists its user for Revoke-CsClientCertificate)");
	}
	ts_pool_ticket_clear(&t);
	return m->legacy && !m->certprov;
}

enum ts_gate_minted ts_gate_ticket_minted(const struct ts_gate_policy *policy,
					  struct ts_gate_verdict *v, const struct ts_gate_request *req,
					  bool at_certprov)
{
	struct minted_lookup m = {policy, v, false, at_certprov};
	bool readable;

	if (policy->minted == NULL)
		return TS_GATE_MINTED_UNKNOWN;
	readable = ts_gate_ticket_ids(req, look_up, &m);
	if (m.legacy)
		return TS_GATE_MINTED_LEGACY;
	return readable ? TS_GATE_MINTED_UNKNOWN : TS_GATE_MINTED_UNREADABLE;
}
