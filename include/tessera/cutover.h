/* Per-pool staged cutover: the persistent side (store/cutover*.c).
 *
 * A pool moves legacy -> audit -> passive (and back). Its runtime stage,
 * the journal of every change, exceptions, aggregated legacy use and the
 * pool tickets the gate saw minted live in the state store's SQLite file
 * ([store] path) but in tables of their own (cutover_*), through a
 * connection of their own: stage changes are rare admin writes that must be
 * durable (synchronous=FULL) and must not wait on, or be reworked with, the
 * hot sign-in store.
 *
 * Every write is one transaction: a process killed in the middle (kill -9)
 * leaves the old state or the new one, with the journal to match. A stage
 * change carries the version its caller read (compare-and-swap): two
 * operators at once, one wins, the other gets CUTOVER_CONFLICT.
 *
 * A connection is safe to use from several threads (calls are serialised).
 * Strings in are NUL-terminated; strings out are owned by the struct that
 * holds them and freed by its _clear / _free function. */
#ifndef TESSERA_CUTOVER_H
#define TESSERA_CUTOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tessera/clock.h"
#include "tessera/err.h"

enum ts_stage { TS_STAGE_LEGACY, TS_STAGE_AUDIT, TS_STAGE_PASSIVE };

/* "legacy", "audit", "passive". */
const char *ts_stage_name(enum ts_stage stage);
/* CUTOVER_STAGE for anything else (exact, lower case). */
ts_err ts_stage_parse(const char *text, enum ts_stage *out);

/* What the gate records about a request: the decision per stage. */
enum ts_usage_decision {
	TS_DECISION_PASSED,	 /* legacy stage: let through, recorded */
	TS_DECISION_WOULD_BLOCK, /* audit stage: let through, would be refused in passive */
	TS_DECISION_REFUSED,	 /* passive stage: answered as refused */
	TS_DECISION_EXCEPTED,	 /* audit or passive: let through by an exception */
	/* The pool refused the credential one of the above let through (its
	 * 400, 401 or 403, seen through HAProxy: a wrong password, a spray):
	 * that attempt signed nobody in, and plan does not count it. */
	TS_DECISION_POOL_REFUSED,
	TS_DECISION__COUNT
};
/* "passed", "would-block", "refused", "excepted", "pool-refused". */
const char *ts_usage_decision_name(enum ts_usage_decision d);
ts_err ts_usage_decision_parse(const char *text, enum ts_usage_decision *out);

/* The kinds (gate classification names, DESIGN.md "The gate") that count as
 * legacy sign-in: ntlm, negotiate, basic, password, windows, pin, tls-dsk. */
bool ts_cutover_kind_is_legacy(const char *kind);

/* Bounds on what the tables take (TOO_LARGE past them). */
#define TS_CUTOVER_NAME_MAX 256	   /* pool, user, family, kind, who */
#define TS_CUTOVER_REASON_MAX 1024 /* reasons */
#define TS_CUTOVER_AGENT_MAX 256   /* agent pattern and the User-Agent kept */
#define TS_CUTOVER_AGENT_STARS 8   /* '*' in one pattern: bounds the matching work */
#define TS_CUTOVER_HASH_LEN 64	   /* SHA-256 in lower-case hex */

struct ts_cutover;

/* Opens (creating the file 0600 and the cutover tables when missing, with
 * create) the cutover tables of the store file at path. Without create a
 * missing file is STORE_OPEN: a broker watching for changes must not make
 * an empty store where the real one vanished. A newer schema is
 * STORE_SCHEMA. */
ts_err ts_cutover_open(const char *path, bool create, struct ts_cutover **out);
void ts_cutover_close(struct ts_cutover *c);
/* Bounds: ticket records held (0: unbounded is refused, INVALID_ARGUMENT). */
ts_err ts_cutover_set_ticket_max(struct ts_cutover *c, size_t max);

/* ---- stages ---- */

/* A pool's runtime stage. A pool without a row is at its configured stage,
 * version 0, since 0, by and reason "". */
struct ts_pool_stage {
	char *pool;
	enum ts_stage stage;
	ts_time since;
	char *by;
	char *reason;
	int64_t version; /* +1 per change */
};
void ts_pool_stage_clear(struct ts_pool_stage *s);

ts_err ts_cutover_stage_get(struct ts_cutover *c, const char *pool, enum ts_stage configured,
			    struct ts_pool_stage *out);
/* What a broker applies, read in one transaction so a `set --all` is seen
 * whole or not at all: the stage of pools[i] (configured[i] when it has no
 * row) in stages[i], every pool's unexpired exceptions, and the generation
 * the read saw. */
struct ts_cutover_exception;
struct ts_cutover_state {
	struct ts_pool_stage *stages;
	size_t n;
	struct ts_cutover_exception *exceptions; /* ordered by pool, then id */
	size_t n_exceptions;
	int64_t generation;
};
void ts_cutover_state_clear(struct ts_cutover_state *s);
ts_err ts_cutover_state_read(struct ts_cutover *c, const char *const *pools,
			     const enum ts_stage *configured, size_t n, ts_time now,
			     struct ts_cutover_state *out);

/* One pool's change in a ts_cutover_set call. */
struct ts_stage_change {
	const char *pool;
	enum ts_stage configured;  /* its stage when it has no row yet */
	int64_t expected_version;  /* what the caller read: CUTOVER_CONFLICT otherwise */
	enum ts_stage to;
};

/* Called inside the transaction for each pool before it is written, with
 * the stage it is at: refusing (any error) undoes the whole call. The CLI's
 * "who would break" check runs here so the plan it reads and the flip are
 * one atomic step. */
typedef ts_err (*ts_stage_check)(void *arg, struct ts_cutover *c, const char *pool,
				 enum ts_stage from, enum ts_stage to);

/* Who changes what, and why; journaled with each pool's change. */
struct ts_change_meta {
	const char *by;	    /* the OS user running the CLI (and SUDO_USER) */
	const char *reason; /* non-empty */
	bool forced;	    /* the caller overrode the who-would-break check */
	ts_time now;
};

/* Changes every pool of changes[0..n) in one transaction: all or nothing.
 * Per pool: version check, check(), stage row, journal row. A pool already
 * at its target is still journaled (the operator said so, with a reason).
 * On error *failed_pool (if not NULL) names the pool that refused (a
 * pointer into changes). */
ts_err ts_cutover_set(struct ts_cutover *c, const struct ts_stage_change *changes, size_t n,
		      const struct ts_change_meta *meta, ts_stage_check check, void *check_arg,
		      const char **failed_pool);
/* Back to the stage before the pool's last change (from the journal),
 * journaled as a rollback; CUTOVER_NO_HISTORY without one. Rolling back a
 * rollback redoes the change. *to says where it went. */
ts_err ts_cutover_rollback(struct ts_cutover *c, const char *pool, enum ts_stage configured,
			   int64_t expected_version, const struct ts_change_meta *meta,
			   ts_stage_check check, void *check_arg, enum ts_stage *to);

/* One journal row: who changed what when, and why. */
struct ts_journal_entry {
	int64_t id;
	char *pool;
	ts_time at;
	char *by;
	enum ts_stage from, to;
	int64_t version; /* the version the change made */
	char *reason;
	bool forced;
	bool rollback;
};
struct ts_journal {
	struct ts_journal_entry *items;
	size_t n;
};
void ts_journal_clear(struct ts_journal *j);
/* The pool's journal, oldest first (pool NULL: every pool). */
ts_err ts_cutover_history(struct ts_cutover *c, const char *pool, struct ts_journal *out);

/* A counter that moves with every stage or exception change committed by
 * any process: a broker polls it and reloads its snapshot when it moves. */
ts_err ts_cutover_generation(struct ts_cutover *c, int64_t *out);

/* ---- exceptions ---- */

enum ts_exception_kind { TS_EXCEPT_USER, TS_EXCEPT_AGENT, TS_EXCEPT_CIDR };
const char *ts_exception_kind_name(enum ts_exception_kind k);

/* A parsed network: family AF_INET or AF_INET6, 4 or 16 address bytes. */
struct ts_cidr {
	int family;
	unsigned char addr[16];
	unsigned bits;
};
/* "192.0.2.0/24", "2001:db8::/32", or a bare address (/32, /128). Host bits
 * set, a prefix out of range or junk: CUTOVER_CIDR. */
ts_err ts_cidr_parse(const char *text, struct ts_cidr *out);
/* ip is a numeric address; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * counts as the IPv4 address. */
bool ts_cidr_contains(const struct ts_cidr *net, const char *ip);
/* Writes the /24 (IPv4) or /64 (IPv6) network of ip, e.g. "192.0.2.0/24",
 * into out; INVALID_ARGUMENT if ip is not numeric. */
#define TS_CUTOVER_NETWORK_MAX 64
ts_err ts_cutover_network_of(const char *ip, char out[TS_CUTOVER_NETWORK_MAX]);

/* Agent patterns: a glob over the whole User-Agent, ASCII case-insensitive,
 * '*' any run of bytes, '?' one byte, nothing else special; "*Lync 2010*"
 * for a substring. At most TS_CUTOVER_AGENT_MAX bytes and
 * TS_CUTOVER_AGENT_STARS stars (CUTOVER_PATTERN). */
ts_err ts_agent_pattern_check(const char *pattern);
bool ts_agent_pattern_match(const char *pattern, const char *agent);

struct ts_cutover_exception {
	int64_t id;
	char *pool;
	enum ts_exception_kind kind;
	char *value; /* user name, agent pattern or network as given */
	struct ts_cidr net; /* kind CIDR */
	ts_time until;	    /* stops applying at this time */
	char *reason;
	char *created_by;
	ts_time created_at;
};
struct ts_cutover_exceptions {
	struct ts_cutover_exception *items;
	size_t n;
};
void ts_cutover_exceptions_clear(struct ts_cutover_exceptions *e);

/* The exception that lets this request through, or NULL. user is compared
 * ASCII case-insensitively and exactly; agent by pattern; ip (numeric,
 * either family) by network. Any may be NULL (that kind cannot match).
 * Applies while now < until: an exception until 2026-03-01 no longer
 * applies from 2026-03-01T00:00:00Z on. Pure: no store, no lock. */
const struct ts_cutover_exception *ts_cutover_excepted(const struct ts_cutover_exceptions *e,
						       const char *user, const char *agent,
						       const char *ip, ts_time now);

/* An --until value: YYYY-MM-DD (00:00 UTC that day) or full ISO 8601.
 * CUTOVER_UNTIL if not a date, or not after now. */
ts_err ts_cutover_until_parse(const char *text, ts_time now, ts_time *out);

/* Adds one, validated (value by kind, until > now, reason non-empty);
 * *id_out gets its ID. Moves the generation. */
struct ts_exception_new {
	const char *pool;
	enum ts_exception_kind kind;
	const char *value;
	ts_time until;
	const char *reason;
	const char *by;
	ts_time now;
};
ts_err ts_cutover_except_add(struct ts_cutover *c, const struct ts_exception_new *e,
			     int64_t *id_out);
/* CUTOVER_EXCEPTION_UNKNOWN if the pool has no exception id. */
ts_err ts_cutover_except_rm(struct ts_cutover *c, const char *pool, int64_t id);
/* The pool's exceptions (pool NULL: every pool), oldest first; with
 * include_expired false only those with until > now. */
ts_err ts_cutover_except_list(struct ts_cutover *c, const char *pool, bool include_expired,
			      ts_time now, struct ts_cutover_exceptions *out);

/* ---- legacy use ---- */

/* One aggregated row: the key (pool .. decision, the hour it falls in and
 * the User-Agent) and what was seen. network is the /24 or /64 of the
 * source. */
struct ts_usage_row {
	const char *pool, *user, *family, *kind, *network;
	bool passive_capable; /* of the client family, as the gate's table says */
	enum ts_usage_decision decision;
	int64_t hour; /* unix time / 3600 */
	ts_time first_seen, last_seen;
	uint64_t count;
	const char *agent; /* the User-Agent, may be NULL (kept as "") */
};
/* Adds rows[0..n) in one transaction (counts add up, first/last widen) and
 * prunes rows older than retention_before (0: none). */
ts_err ts_cutover_usage_add(struct ts_cutover *c, const struct ts_usage_row *rows, size_t n,
			    ts_time retention_before);

/* ---- pool tickets and the kind that minted them ---- */

struct ts_pool_ticket {
	char hash[TS_CUTOVER_HASH_LEN + 1]; /* ts_cutover_ticket_hash of the ticket */
	char *pool;
	char *kind;
	char *user;
	ts_time expires_at;
};
void ts_pool_ticket_clear(struct ts_pool_ticket *t);
/* SHA-256 hex of the ticket's bytes: the store never holds a usable ticket. */
ts_err ts_cutover_ticket_hash(const char *ticket, size_t len,
			      char out[TS_CUTOVER_HASH_LEN + 1]);
/* Records tickets[0..n) in one transaction (a hash seen again is updated).
 * Expired records are swept first; past the bound: CUTOVER_TICKETS_FULL,
 * nothing recorded. */
ts_err ts_cutover_tickets_put(struct ts_cutover *c, const struct ts_pool_ticket *tickets,
			      size_t n, ts_time now);
/* STORE_NOT_FOUND if unknown or expired. */
ts_err ts_cutover_ticket_get(struct ts_cutover *c, const char *hash, ts_time now,
			     struct ts_pool_ticket *out);
/* The gate saw the ticket authenticate a CertProv request: if a legacy kind
 * minted it, its user's certificate came through legacy sign-in and
 * `pool runbook` lists them for Revoke-CsClientCertificate. Kept after the
 * ticket expires (the certificate lives on). STORE_NOT_FOUND if unknown. */
ts_err ts_cutover_ticket_certprov(struct ts_cutover *c, const char *hash, ts_time now);

/* ---- queries for the CLI ---- */

/* Legacy use counts for status: the attempts in rows with last use since
 * then (a pool-refused row is not counted again: its attempt is). */
ts_err ts_cutover_usage_count(struct ts_cutover *c, const char *pool, ts_time since,
			      uint64_t *count);

/* One plan line: a user who signed in with a legacy kind in the window and
 * whom no exception covers now. */
struct ts_plan_entry {
	char *user, *family, *kind;
	bool passive_capable; /* false: breaks in passive; true: moves to passive */
	uint64_t count;
	ts_time last_seen;
	char *agent; /* the User-Agent of that last use ("" when none was sent) */
};
struct ts_plan {
	struct ts_plan_entry *items;
	size_t n;
	size_t breaks; /* entries with passive_capable false */
};
void ts_plan_clear(struct ts_plan *p);
/* Groups by user, family and kind; a row (one source network and
 * User-Agent) is left out when a user exception names the user, an agent
 * exception matches its User-Agent, or a cidr exception covers its whole
 * source network. Breaks first. */
ts_err ts_cutover_plan(struct ts_cutover *c, const char *pool, ts_time since, ts_time now,
		       struct ts_plan *out);

/* One report row: legacy use and refusals by pool, user, family, kind and
 * decision since a time. */
struct ts_report_row {
	char *pool, *user, *family, *kind;
	enum ts_usage_decision decision;
	bool passive_capable;
	uint64_t count;
	ts_time first_seen, last_seen;
};
struct ts_report {
	struct ts_report_row *items;
	size_t n;
};
void ts_report_clear(struct ts_report *r);
/* pool NULL: every pool. Ordered by pool, user, family, kind, decision. */
ts_err ts_cutover_report(struct ts_cutover *c, const char *pool, ts_time since,
			 struct ts_report *out);

/* Users to pass to Revoke-CsClientCertificate: their certificate was
 * provisioned with a ticket a legacy kind minted (certprov true), or, with
 * certprov false, users holding unexpired legacy-minted tickets (what is
 * known before the gate records CertProv use). */
struct ts_revoke_entry {
	char *user, *kind;
	ts_time last_seen;
};
struct ts_revoke_list {
	struct ts_revoke_entry *items;
	size_t n;
};
void ts_revoke_list_clear(struct ts_revoke_list *l);
ts_err ts_cutover_revoke_candidates(struct ts_cutover *c, const char *pool, bool certprov,
				    ts_time now, struct ts_revoke_list *out);

#endif
