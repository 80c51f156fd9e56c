/* How a request authenticates: one table (gate_classify.c), first match
 * wins, most specific first, as in ../shared/DESIGN.md "The gate". The
 * result is what the request claims; only a Tessera ticket is verified, by
 * the caller (gate.c), since that needs the key ring and the pool. */
#ifndef TS_BROKER_GATE_CLASSIFY_H
#define TS_BROKER_GATE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "client_family.h"
#include "gate_path.h"
#include "gate_request.h"
#include "ntlm.h"

enum ts_gate_kind {
	TS_GATE_KIND_ANONYMOUS,
	TS_GATE_KIND_NTLM,
	TS_GATE_KIND_NEGOTIATE,
	TS_GATE_KIND_BASIC,
	TS_GATE_KIND_PASSWORD,
	TS_GATE_KIND_WINDOWS,
	TS_GATE_KIND_PIN,
	TS_GATE_KIND_TLS_DSK,
	TS_GATE_KIND_PASSIVE,
	TS_GATE_KIND_POOL_TICKET,
	TS_GATE_KIND_TESSERA_TICKET,
	TS_GATE_KIND_NONE,
	TS_GATE_KIND_UNKNOWN,
	TS_GATE_KIND__COUNT
};

/* "ntlm", "pool-ticket", ...: the labels of logs, metrics, X-Tessera-Auth. */
const char *ts_gate_kind_name(enum ts_gate_kind kind);
/* NTLM, Negotiate, Basic, password and windows grants, PIN, TLS-DSK. */
bool ts_gate_kind_is_legacy(enum ts_gate_kind kind);

/* What classification may be configured with ([gate] in tessera.conf). */
struct ts_gate_classify_config {
	char *const *anonymous_paths;  /* NULL-terminated ts_gate_path_match patterns */
	char *const *anonymous_grants; /* NULL-terminated oauthtoken grant_type values */
	/* Origins that may POST into the pool's passive sign-in (NULL-terminated;
	 * NULL: no check, as for web upstreams). */
	char *const *passive_origins;
	/* The pool's registered wreply URLs (NULL-terminated, or NULL): their
	 * paths are guarded as /passiveauth/ is. */
	char *const *reply_urls;
};

/* Longest name kept from a credential (NTLM, Basic, PIN, password grant). */
#define TS_GATE_NAME_MAX TS_NTLM_NAME_MAX

struct ts_gate_class {
	enum ts_gate_kind kind;
	/* OK, or why: the kind is unknown, or a credential of a known kind was
	 * malformed (GATE_NTLM_MALFORMED with kind ntlm). */
	ts_err detail;
	/* Who the credential claims to be (unverified: the pool checks it),
	 * for records only; "" when the kind reveals no name. */
	char user[TS_GATE_NAME_MAX + 1];
	char domain[TS_GATE_NAME_MAX + 1];
	/* Kind tessera-ticket: the token, pointing into the request. */
	const char *ticket;
	size_t ticket_len;
	/* The path judged (gate_path.h); "" when it was ambiguous. */
	char path[TS_GATE_PATH_MAX + 2];
	const struct ts_client_family_info *client;
	/* The client sent X-Tessera-* headers itself: they must not reach the
	 * upstream (the transport overwrites them), and the attempt is logged. */
	bool spoofed_identity;
};

/* Classifies req into *out. Never fails: what cannot be read is kind
 * unknown with a detail. */
void ts_gate_classify(const struct ts_gate_classify_config *cfg, const struct ts_gate_request *req,
		      struct ts_gate_class *out);

/* Paths that pick an answer shape and a rule (gate_classify.c). */
#define TS_GATE_PATH_OAUTHTOKEN "/WebTicket/oauthtoken/*"
#define TS_GATE_PATH_WEBTICKET "/WebTicket/WebTicketService.svc/*"
#define TS_GATE_PATH_WEBTICKET_AUTH "/WebTicket/WebTicketService.svc/Auth/*"
#define TS_GATE_PATH_WEBTICKET_CERT "/WebTicket/WebTicketService.svc/Cert/*"
/* The pool's WS-Fed relying party, which takes a posted token anywhere
 * below it (sfb-protocol.md 6). */
#define TS_GATE_PATH_PASSIVEAUTH "/passiveauth/*"

#endif
