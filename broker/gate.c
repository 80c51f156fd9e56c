/* The decision pipeline and its log line. */
#include <glib.h>
#include <string.h>

#include "gate.h"
#include "gate_cutover.h"
#include "gate_path.h"
#include "tessera/log.h"

static bool host_is(const char *host, size_t len, const char *name)
{
	return strlen(name) == len && g_ascii_strncasecmp(host, name, len) == 0;
}

const struct ts_config_pool *ts_gate_pool_for_host(const struct ts_config *cfg, const char *host)
{
	size_t len;

	/* A list or padding ("a.test, b.test") could be routed one way and
	 * judged another: no pool. */
	if (host == NULL || strpbrk(host, ", \t") != NULL)
		return NULL;
	len = strcspn(host, ":");
	for (size_t i = 0; i < cfg->n_pools; i++) {
		const struct ts_config_pool *p = &cfg->pools[i];
		if (host_is(host, len, p->host))
			return p;
		for (size_t k = 0; p->gate_hosts != NULL && p->gate_hosts[k] != NULL; k++)
			if (host_is(host, len, p->gate_hosts[k]))
				return p;
	}
	return NULL;
}

/* A claim as a header value: no control character may reach a header. */
static bool copy_claim(char *dst, size_t cap, const char *src)
{
	const size_t n = strlen(src);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			return false;
	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static ts_err take_identity(struct ts_gate_verdict *v, const struct ts_ticket_claims *c)
{
	size_t at = 0;

	if (!copy_claim(v->user, sizeof v->user, c->sub) ||
	    !copy_claim(v->upn, sizeof v->upn, c->upn) || !copy_claim(v->sid, sizeof v->sid, c->sid))
		return TS_ERR_GATE_CLAIM_VALUE;
	for (size_t i = 0; i < c->n_amr; i++) {
		const size_t n = strlen(c->amr[i]);
		if (at + n + 1 >= sizeof v->amr || strchr(c->amr[i], ',') != NULL)
			return TS_ERR_GATE_CLAIM_VALUE;
		if (i > 0)
			v->amr[at++] = ',';
		if (!copy_claim(v->amr + at, sizeof v->amr - at, c->amr[i]))
			return TS_ERR_GATE_CLAIM_VALUE;
		at += n;
	}
	v->identity_verified = true;
	return TS_ERR_OK;
}

/* A Tessera ticket proves the kind only when it verifies for this pool;
 * otherwise the request proved nothing (kind none to the stage rule). */
static enum ts_gate_kind verify_ticket(const struct ts_gate_policy *policy,
				       const struct ts_config_pool *pool,
				       const struct ts_gate_class *cls, struct ts_gate_verdict *v)
{
	const struct ts_ticket_claims *claims = NULL;
	ts_err err;

	if (policy->tickets == NULL)
		err = TS_ERR_TICKET_UNKNOWN_KID;
	else if ((err = ts_ticket_verify(policy->tickets, cls->ticket, cls->ticket_len, pool->name,
					 &claims)) == TS_ERR_OK) {
		err = take_identity(v, claims);
		ts_ticket_claims_release(claims);
	}
	if (err == TS_ERR_OK)
		return TS_GATE_KIND_TESSERA_TICKET;
	memset(v->user, 0, sizeof v->user);
	v->err = err;
	return TS_GATE_KIND_NONE;
}

static void set_upstream_headers(struct ts_gate_verdict *v)
{
	static const char *const names[TS_GATE_UPSTREAM_HEADERS] = {
		"X-Tessera-User", "X-Tessera-Upn", "X-Tessera-Sid", "X-Tessera-Amr",
		"X-Tessera-Auth"};
	/* A Tessera ticket that did not verify proved nothing. */
	const enum ts_gate_kind auth = v->kind == TS_GATE_KIND_TESSERA_TICKET && !v->identity_verified
					       ? TS_GATE_KIND_NONE
					       : v->kind;
	const char *values[TS_GATE_UPSTREAM_HEADERS] = {"", "", "", "", ts_gate_kind_name(auth)};

	/* Only a verified ticket names the user to the upstream: a name from
	 * NTLM or Basic is a claim the pool has not checked yet. */
	if (v->identity_verified) {
		values[0] = v->user;
		values[1] = v->upn;
		values[2] = v->sid;
		values[3] = v->amr;
	}
	for (size_t i = 0; i < TS_GATE_UPSTREAM_HEADERS; i++) {
		v->upstream_headers[i].name = names[i];
		v->upstream_headers[i].value = values[i];
	}
}

static void log_decision(const struct ts_gate_verdict *v, const struct ts_gate_request *req)
{
	/* Refusals, legacy use and what passive would refuse (audit's record
	 * of what a flip breaks) are what an operator acts on; the rest is
	 * debug, so the log does not carry one line per request. */
	const enum ts_log_level level = v->outcome == TS_GATE_REFUSE ||
						ts_gate_kind_is_legacy(v->kind) || v->would_refuse
						? TS_LOG_INFO
						: TS_LOG_DEBUG;

	ts_log_error(level, "gate_decision", v->err, "pool", v->pool, "stage",
		     ts_gate_stage_name(v->stage), "kind", ts_gate_kind_name(v->kind), "outcome",
		     ts_gate_outcome_name(v->outcome), "excepted", v->excepted ? "yes" : "no",
		     "would_refuse", v->would_refuse ? "yes" : "no", "answer",
		     v->outcome == TS_GATE_REFUSE ? ts_gate_shape_name(v->answer.shape) : "",
		     "client", v->client->name, "user", v->user, "domain", v->domain, "method",
		     req->method, "path", v->path[0] != '\0' ? v->path : "(ambiguous)", "source",
		     req->source != NULL ? req->source : "");
	if (v->spoofed_identity)
		ts_log(TS_LOG_WARN, "gate_spoofed_identity", "pool", v->pool, "source",
		       req->source != NULL ? req->source : "", "path", v->path);
}

static ts_err refuse(struct ts_gate_verdict *v, const struct ts_config_pool *pool,
		     const struct ts_gate_class *cls, const struct ts_gate_request *req)
{
	const bool sfb = pool == NULL || strcmp(pool->upstream, "sfb") == 0;
	struct ts_gate_answer_params p = {
		.host = pool != NULL ? pool->host : "tessera",
		.grant_types = pool != NULL ? pool->challenge_grant_types : "",
		.return_path = req->path,
		.return_path_len = req->path_len,
	};
	GString *ret = NULL;
	ts_err err;

	v->outcome = TS_GATE_REFUSE;
	if (req->query != NULL) {
		ret = g_string_new_len(req->path, (gssize)req->path_len);
		g_string_append_c(ret, '?');
		g_string_append_len(ret, req->query, (gssize)req->query_len);
		p.return_path = ret->str;
		p.return_path_len = ret->len;
	}
	err = ts_gate_answer_render(ts_gate_answer_shape(sfb, cls->path, req, cls->client), &p,
				    &v->answer);
	if (ret != NULL)
		g_string_free(ret, TRUE);
	return err;
}

/* Who may post a token into an SfB pool's passive sign-in: the configured
 * origins, else the broker's own (its STS pages post the token). */
static char *const *passive_origins(const struct ts_config *cfg,
				    const struct ts_config_pool *pool, char *broker_origin[2])
{
	if (pool == NULL || strcmp(pool->upstream, "sfb") != 0)
		return NULL;
	if (pool->passive_origins != NULL && pool->passive_origins[0] != NULL)
		return pool->passive_origins;
	broker_origin[0] = cfg->broker.public_url;
	broker_origin[1] = NULL;
	return broker_origin;
}

ts_err ts_gate_decide(const struct ts_gate_policy *policy, const struct ts_gate_request *req,
		      struct ts_gate_verdict *out)
{
	const struct ts_config_pool *pool = ts_gate_pool_for_host(policy->config, req->host);
	char *broker_origin[2];
	struct ts_gate_class cls;
	enum ts_gate_kind proved;
	ts_err err = TS_ERR_OK;

	memset(out, 0, sizeof *out);
	out->pool = pool != NULL ? pool->name : "";
	if (pool != NULL)
		out->stage = ts_gate_pool_stage(policy, pool);
	ts_gate_classify(&(struct ts_gate_classify_config){
				 .anonymous_paths = pool != NULL ? pool->anonymous_paths : NULL,
				 .anonymous_grants = pool != NULL ? pool->anonymous_grants : NULL,
				 .passive_origins = passive_origins(policy->config, pool,
								    broker_origin),
				 .reply_urls = pool != NULL ? pool->reply_urls : NULL},
			 req, &cls);
	out->kind = proved = cls.kind;
	out->err = cls.detail;
	out->client = cls.client;
	out->spoofed_identity = cls.spoofed_identity;
	memcpy(out->path, cls.path, sizeof out->path);
	memcpy(out->user, cls.user, sizeof cls.user);
	memcpy(out->domain, cls.domain, sizeof out->domain);
	if (pool == NULL) {
		out->err = TS_ERR_GATE_HOST_UNKNOWN;
		err = refuse(out, NULL, &cls, req);
		goto out;
	}
	if (cls.kind == TS_GATE_KIND_TESSERA_TICKET)
		proved = verify_ticket(policy, pool, &cls, out);
	if (proved == TS_GATE_KIND_POOL_TICKET) {
		/* Looked up in every stage at CertProv (its certificate outlives
		 * the flip), and in passive everywhere. */
		const bool certprov = ts_gate_path_match("/CertProv/*", cls.path);
		if (certprov || out->stage == TS_GATE_STAGE_PASSIVE) {
			switch (ts_gate_ticket_minted(policy, out, req, certprov)) {
			case TS_GATE_MINTED_LEGACY:
				/* Minted by NTLM & co. before the flip: not for its
				 * remaining hours. */
				if (out->stage == TS_GATE_STAGE_PASSIVE) {
					proved = TS_GATE_KIND_NONE;
					out->err = TS_ERR_GATE_TICKET_LEGACY;
				}
				break;
			case TS_GATE_MINTED_UNREADABLE:
				proved = TS_GATE_KIND_UNKNOWN;
				out->err = TS_ERR_GATE_TICKET_UNREADABLE;
				break;
			case TS_GATE_MINTED_UNKNOWN:
				break;
			}
		}
	}
	if (out->stage != TS_GATE_STAGE_LEGACY &&
	    ts_gate_stage_decide(TS_GATE_STAGE_PASSIVE, proved, false) == TS_GATE_REFUSE) {
		out->excepted = ts_gate_pool_excepted(policy, pool, out, req);
		out->would_refuse = out->stage == TS_GATE_STAGE_AUDIT && !out->excepted;
	}
	ts_gate_record(policy, out, req);
	if (ts_gate_stage_decide(out->stage, proved, out->excepted) == TS_GATE_ALLOW) {
		out->outcome = TS_GATE_ALLOW;
		set_upstream_headers(out);
		goto out;
	}
	if (out->err == TS_ERR_OK)
		out->err = TS_ERR_GATE_KIND_REFUSED;
	err = refuse(out, pool, &cls, req);
out:
	if (err == TS_ERR_OK)
		log_decision(out, req);
	return err;
}

void ts_gate_verdict_clear(struct ts_gate_verdict *v)
{
	ts_gate_answer_clear(&v->answer);
}
