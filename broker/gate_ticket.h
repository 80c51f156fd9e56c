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

/* Longest identity kept; a longer one is not recognised. */
#define TS_GATE_TICKET_ID_MAX 4096

/* The identity of the pool ticket a request presents; false if none. */
bool ts_gate_ticket_id_of_request(const struct ts_gate_request *req, char *id, size_t cap);
/* The identity of the ticket in a pool's minting answer (oauthtoken JSON or
 * WebTicketService SOAP); false if none. */
bool ts_gate_ticket_id_of_answer(const char *body, size_t len, char *id, size_t cap);
#endif
