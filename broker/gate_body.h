/* Reading the bodies of ticket-minting requests: form fields of
 * /WebTicket/oauthtoken and the few SOAP elements the gate needs. No XML
 * parser: the gate only needs to know whether an element is there, and a
 * false "there" on these paths never lets a legacy credential through
 * (what the gate cannot read it judges unknown). */
#ifndef TS_BROKER_GATE_BODY_H
#define TS_BROKER_GATE_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "tessera/err.h"

/* Field name of an application/x-www-form-urlencoded text, decoded into out
 * (NUL-terminated, at most cap - 1 bytes). Names are compared decoded and
 * case-insensitively, as ASP.NET's Request.Form does, so "GRANT%5Ftype" is
 * grant_type too. NOT_FOUND when absent; GATE_CREDENTIAL_TWICE when sent
 * twice; GATE_BODY_UNREADABLE for a bad escape, a control byte or a value
 * longer than out. */
ts_err ts_gate_form_field(const char *text, size_t len, const char *name, char *out, size_t cap);

/* The text of the first Username element inside a UsernameToken (WS-Security
 * UsernameToken profile), whitespace trimmed; NOT_FOUND when there is none. */
ts_err ts_gate_soap_username(const char *xml, size_t len, const char **text, size_t *text_len);

/* Whether a Security element (a SOAP wsse:Security header) holds an
 * Assertion element: a web ticket presented in the SOAP message. */
bool ts_gate_soap_has_assertion(const char *xml, size_t len);

#endif
