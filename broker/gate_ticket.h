/* A pool web ticket's identity, the same whichever way it travels, so the
 * gate can recognise a ticket it saw the pool mint: "cwt=..." for OAuth
 * tickets (oauthtoken's access_token, then Authorization: Bearer), the
 * SAML AssertionID for web tickets (WebTicketService's answer, then a SOAP
 * wsse:Security header or X-MS-WebTicket: opaque=BASE64). */
#ifndef TS_BROKER_GATE_TICKET_H
#define TS_BROKER_GATE_TICKET_H
#include <stdbool.h>
#include <stddef.h>

#include "gate_request.h"

/* Longest identity kept; a longer one cannot be recognised. */
#define TS_GATE_TICKET_ID_MAX 4096

/* Called with each identity; return true to stop. */
typedef bool (*ts_gate_ticket_id_fn)(void *arg, const char *id, size_t len);

/* Calls fn with the identity of every pool ticket the request carries, in
 * every place one can travel (Authorization, X-MS-WebTicket, each
 * AssertionID in the body: a decoy before the real one is no hiding
 * place). Returns false when a carrier is there but no identity could be
 * read from it (bad base64, an assertion without a readable AssertionID,
 * an identity longer than TS_GATE_TICKET_ID_MAX): such a ticket cannot be
 * told apart from a recorded one. */
bool ts_gate_ticket_ids(const struct ts_gate_request *req, ts_gate_ticket_id_fn fn, void *arg);

/* The identity of the ticket in a pool's minting answer (oauthtoken JSON or
 * WebTicketService SOAP), NUL-terminated in id; false if none. */
bool ts_gate_ticket_id_of_answer(const char *body, size_t len, char *id, size_t cap);
#endif
