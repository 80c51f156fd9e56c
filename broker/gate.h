/* The gate's decision, independent of transport: one function answers both
 * the SPOP agent (HAProxy, with bodies) and GET /gate (nginx auth_request,
 * curl, tests; no bodies). Pipeline: pool by Host → classify
 * (gate_classify.h) → verify a Tessera ticket for that pool → the stage
 * rule → the identity headers, or the pool-like answer (gate_answer.h).
 *
 * The verdict is plain data, so a transport can turn it into variables:
 *   outcome            allow | refuse
 *   kind               ts_gate_kind_name(): "ntlm", "pool-ticket", ...
 *   err                ts_errname(): why refused ("GATE_KIND_REFUSED",
 *                      "TICKET_EXPIRED", ...), or what was wrong with a
 *                      credential that still passed; "OK" otherwise
 *   pool, stage, client->name, client->passive_capable
 *   upstream_headers   when allowed: all five X-Tessera-* names with their
 *                      values ("" when unknown). Set every one, replacing
 *                      what the client sent: a client's own X-Tessera-*
 *                      must never reach the upstream (spoofed_identity
 *                      says it tried).
 *   answer             when refused: status, content_type, headers, body.
 * For HAProxy: one "http-request return status N" rule per status the
 * answers use (302, 400, 401, 403, 500), with content-type, body and
 * headers from variables (sfb-protocol.md 9). */
#ifndef TS_BROKER_GATE_H
#define TS_BROKER_GATE_H

#include <stdbool.h>

#include "gate_answer.h"
#include "gate_classify.h"
#include "gate_request.h"
#include "tessera/config.h"
#include "tessera/ticket.h"

/* A pool's cutover stage (DESIGN "Stages"): legacy passes everything;
 * audit passes everything and records what passive would refuse; passive
 * refuses it. */
enum ts_gate_stage {
	TS_GATE_STAGE_LEGACY,
	TS_GATE_STAGE_AUDIT,
	TS_GATE_STAGE_PASSIVE,
	TS_GATE_STAGE__COUNT
};

const char *ts_gate_stage_name(enum ts_gate_stage stage);
/* "legacy" / "audit" / "passive"; INVALID_ARGUMENT otherwise. */
ts_err ts_gate_stage_parse(const char *text, enum ts_gate_stage *out);

enum ts_gate_outcome { TS_GATE_ALLOW, TS_GATE_REFUSE };

const char *ts_gate_outcome_name(enum ts_gate_outcome outcome);

/* The stage rule: legacy and audit pass everything; passive passes
 * anonymous, passive, pool-ticket and tessera-ticket and refuses the rest
 * (legacy kinds, none, unknown) unless excepted. kind is what the request
 * proved: a Tessera ticket that did not verify comes in as
 * TS_GATE_KIND_NONE. */
enum ts_gate_outcome ts_gate_stage_decide(enum ts_gate_stage stage, enum ts_gate_kind kind,
					  bool excepted);

/* The pool whose host or gate_hosts is host (case-insensitive, any ":port"
 * ignored); NULL when none is. */
const struct ts_config_pool *ts_gate_pool_for_host(const struct ts_config *cfg, const char *host);

struct ts_stage_snapshot;
struct ts_usage;
struct ts_cutover;
struct ts_ticket_seen;

struct ts_gate_policy {
	const struct ts_config *config; /* pools and their gate keys; borrowed */
	struct ts_tickets *tickets;	/* verifies Tessera tickets (aud = pool); NULL: none do */
	/* Runtime stages and exceptions (tessera pool set / except); NULL:
	 * each pool's configured stage, no exceptions. Borrowed. */
	const struct ts_stage_snapshot *stages;
	struct ts_usage *usage; /* legacy sign-ins are recorded here; NULL: not recorded */
	/* Pool tickets the gate saw minted, and by what (tessera pool ...);
	 * NULL: none are looked up. */
	struct ts_cutover *minted;
	struct ts_ticket_seen *seen; /* recent clean look-ups (ticket_seen.h); NULL: none */
	ts_time now;		/* when exceptions are judged and use recorded */
};

#define TS_GATE_UPSTREAM_HEADERS 5
#define TS_GATE_AMR_MAX 2048

struct ts_gate_verdict {
	enum ts_gate_outcome outcome;
	enum ts_gate_kind kind;
	ts_err err;
	const char *pool; /* the pool's name; "" when no pool matched */
	enum ts_gate_stage stage;
	bool excepted;	   /* a pool exception let a refusable request pass */
	bool would_refuse; /* audit: passive would refuse this (not excepted) */
	bool recorded;	   /* counted in usage as a legacy attempt (gate_cutover.h) */
	const struct ts_client_family_info *client;
	bool spoofed_identity;
	/* Identity: a verified Tessera ticket's sub, upn, sid and amr
	 * (identity_verified), or the names a legacy credential claims
	 * (user, domain; unverified: for records only, never sent upstream). */
	bool identity_verified;
	char user[TS_TICKET_CLAIM_MAX + 1];
	char domain[TS_GATE_NAME_MAX + 1];
	char upn[TS_TICKET_CLAIM_MAX + 1];
	char sid[TS_TICKET_CLAIM_MAX + 1];
	char amr[TS_GATE_AMR_MAX + 1]; /* comma-separated */
	char path[TS_GATE_PATH_MAX + 2]; /* as judged; "" when ambiguous */
	struct {
		const char *name;
		const char *value; /* points into this verdict */
	} upstream_headers[TS_GATE_UPSTREAM_HEADERS];
	struct ts_gate_answer answer; /* when refused */
};

/* Decides req under policy into *out (cleared first). Returns an error
 * only when no verdict could be built (NOMEM); every refusal is a verdict.
 * Logs one line (event=gate_decision). ts_gate_verdict_clear() after. */
ts_err ts_gate_decide(const struct ts_gate_policy *policy, const struct ts_gate_request *req,
		      struct ts_gate_verdict *out);
void ts_gate_verdict_clear(struct ts_gate_verdict *v);

#endif
