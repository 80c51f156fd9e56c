/* What the gate reads from Windows authentication tokens: the NTLMSSP
 * message type, the user and domain of a type 3 (AUTHENTICATE) message, and
 * whether a Negotiate token carries NTLM (raw, or inside SPNEGO) or
 * Kerberos. Nothing here verifies a credential: the pool does; the gate
 * only needs the kind and, for its records, who claims to be signing in.
 * Layout from [MS-NLMP] 2.2.1.3 and SPNEGO from RFC 4178. */
#ifndef TS_BROKER_NTLM_H
#define TS_BROKER_NTLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tessera/err.h"

/* Longest user or domain name kept, in UTF-8 bytes; longer is malformed
 * (Windows caps user names at 256 characters, [MS-NLMP] leaves it open). */
#define TS_NTLM_NAME_MAX 256
/* Decoded tokens longer than this are not read (a type 3 with NTLMv2 target
 * information is a few hundred bytes; larger Negotiate tokens are Kerberos
 * tickets, whose contents the gate does not need). */
#define TS_NTLM_TOKEN_MAX 16384

enum ts_ntlm_type {
	TS_NTLM_NEGOTIATE = 1,
	TS_NTLM_CHALLENGE = 2,
	TS_NTLM_AUTHENTICATE = 3,
};

struct ts_ntlm_identity {
	char user[TS_NTLM_NAME_MAX + 1];
	char domain[TS_NTLM_NAME_MAX + 1];
	bool unicode; /* NEGOTIATE_UNICODE was set: names were UTF-16LE */
};

/* The message type of an NTLMSSP message ("NTLMSSP\0" then a type 1..3).
 * GATE_NTLM_MALFORMED otherwise. */
ts_err ts_ntlm_message_type(const uint8_t *msg, size_t len, enum ts_ntlm_type *type);

/* User and domain of a type 3 message, every field checked against len:
 * offset and length within the message and past the fixed header, even
 * lengths for UTF-16, no NUL or control character, valid surrogate pairs,
 * at most TS_NTLM_NAME_MAX bytes of UTF-8 each. OEM names keep ASCII and
 * show other bytes as '?' (the code page is the client's secret). */
ts_err ts_ntlm_authenticate_parse(const uint8_t *msg, size_t len, struct ts_ntlm_identity *out);

enum ts_negotiate_mech {
	TS_NEGOTIATE_KERBEROS, /* Kerberos, raw or in SPNEGO (or another GSS mechanism) */
	TS_NEGOTIATE_NTLM,     /* NTLMSSP raw, or SPNEGO carrying or naming it */
};

/* Looks inside a decoded Negotiate token with a bounded DER walk. *ntlm and
 * *ntlm_len point at the NTLMSSP message inside tok when there is one
 * (NULL, 0 when SPNEGO only names NTLM as its mechanism). A token that is
 * neither NTLMSSP nor well-formed GSS/SPNEGO is GATE_NEGOTIATE_MALFORMED. */
ts_err ts_negotiate_inspect(const uint8_t *tok, size_t len, enum ts_negotiate_mech *mech,
			    const uint8_t **ntlm, size_t *ntlm_len);

#endif
