/* Strict, bounded base64 (RFC 4648 section 4, padding required) for the
 * credentials the gate reads: NTLM and Negotiate tokens, Basic, the PIN
 * UsernameToken. Nothing is allocated: the caller's buffer is the bound. */
#ifndef TS_BROKER_GATE_BASE64_H
#define TS_BROKER_GATE_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "tessera/err.h"

/* Decodes in[0..in_len) into out (at most cap bytes). GATE_BASE64 for a
 * character outside the alphabet, wrong padding, non-zero pad bits, or a
 * result longer than cap. */
ts_err ts_gate_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap,
			     size_t *out_len);

#endif
