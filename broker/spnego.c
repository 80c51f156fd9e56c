/* Negotiate tokens (RFC 4559): raw NTLMSSP (what Windows sends when it
 * falls back without SPNEGO), or a GSS token: SPNEGO (RFC 4178) NegTokenInit
 * or NegTokenResp, or a bare Kerberos AP-REQ. A bounded DER walk: definite
 * lengths of at most four bytes, each checked against what is left. */
#include <string.h>

#include "ntlm.h"

static const uint8_t oid_spnego[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static const uint8_t oid_ntlmssp[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
static const uint8_t ntlm_signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', '\0'};

struct der {
	const uint8_t *p;
	size_t left;
};

/* One TLV from d: its tag and contents; d moves past it. Multi-byte tags
 * and indefinite lengths do not occur in SPNEGO and are refused. */
static bool tlv(struct der *d, uint8_t *tag, struct der *value)
{
	size_t len = 0, n;

	if (d->left < 2 || (d->p[0] & 0x1f) == 0x1f)
		return false;
	*tag = d->p[0];
	if (d->p[1] < 0x80) {
		len = d->p[1];
		n = 2;
	} else {
		const size_t bytes = d->p[1] & 0x7f;
		if (bytes == 0 || bytes > 4 || d->left < 2 + bytes)
			return false;
		for (size_t i = 0; i < bytes; i++)
			len = len << 8 | d->p[2 + i];
		n = 2 + bytes;
	}
	if (len > d->left - n)
		return false;
	value->p = d->p + n;
	value->left = len;
	d->p += n + len;
	d->left -= n + len;
	return true;
}

static bool oid_is(const struct der *v, const uint8_t *oid, size_t len)
{
	return v->left == len && memcmp(v->p, oid, len) == 0;
}

static bool is_ntlmssp(const struct der *v)
{
	return v->left >= sizeof ntlm_signature &&
	       memcmp(v->p, ntlm_signature, sizeof ntlm_signature) == 0;
}

/* The body of NegTokenInit or NegTokenResp (a SEQUENCE of context-tagged
 * fields): the token at [2] when it is NTLMSSP, or the mechanism named
 * first, at [0] (mechTypes, init) or [1] (supportedMech, resp). */
static ts_err neg_token(struct der body, bool init, enum ts_negotiate_mech *mech,
			const uint8_t **ntlm, size_t *ntlm_len)
{
	struct der seq, field;
	bool names_ntlm = false;
	uint8_t tag;

	if (!tlv(&body, &tag, &seq) || tag != 0x30 || body.left != 0)
		return TS_ERR_GATE_NEGOTIATE_MALFORMED;
	while (seq.left > 0) {
		struct der inner, first;
		uint8_t t;

		if (!tlv(&seq, &tag, &field))
			return TS_ERR_GATE_NEGOTIATE_MALFORMED;
		if (tag == 0xa2) { /* mechToken / responseToken: OCTET STRING */
			if (!tlv(&field, &t, &inner) || t != 0x04)
				return TS_ERR_GATE_NEGOTIATE_MALFORMED;
			if (is_ntlmssp(&inner)) {
				*mech = TS_NEGOTIATE_NTLM;
				*ntlm = inner.p;
				*ntlm_len = inner.left;
				return TS_ERR_OK;
			}
		} else if (init && tag == 0xa0) { /* mechTypes: SEQUENCE OF OID */
			if (!tlv(&field, &t, &inner) || t != 0x30 || !tlv(&inner, &t, &first) ||
			    t != 0x06)
				return TS_ERR_GATE_NEGOTIATE_MALFORMED;
			names_ntlm = oid_is(&first, oid_ntlmssp, sizeof oid_ntlmssp);
		} else if (!init && tag == 0xa1) { /* supportedMech: OID */
			if (!tlv(&field, &t, &first) || t != 0x06)
				return TS_ERR_GATE_NEGOTIATE_MALFORMED;
			names_ntlm = oid_is(&first, oid_ntlmssp, sizeof oid_ntlmssp);
		}
	}
	*mech = names_ntlm ? TS_NEGOTIATE_NTLM : TS_NEGOTIATE_KERBEROS;
	return TS_ERR_OK;
}

ts_err ts_negotiate_inspect(const uint8_t *tok, size_t len, enum ts_negotiate_mech *mech,
			    const uint8_t **ntlm, size_t *ntlm_len)
{
	struct der d = {tok, len}, outer, oid;
	uint8_t tag;

	*mech = TS_NEGOTIATE_KERBEROS;
	*ntlm = NULL;
	*ntlm_len = 0;
	if (len >= sizeof ntlm_signature && memcmp(tok, ntlm_signature, sizeof ntlm_signature) == 0) {
		*mech = TS_NEGOTIATE_NTLM;
		*ntlm = tok;
		*ntlm_len = len;
		return TS_ERR_OK;
	}
	if (!tlv(&d, &tag, &outer) || d.left != 0)
		return TS_ERR_GATE_NEGOTIATE_MALFORMED;
	if (tag == 0xa1) /* NegTokenResp: later legs of a SPNEGO exchange */
		return neg_token(outer, false, mech, ntlm, ntlm_len);
	/* [APPLICATION 0] GSS framing (RFC 2743 3.1): mechanism OID, then its
	 * token. SPNEGO's is NegTokenInit at [0]; any other mechanism (the
	 * Kerberos OIDs, Microsoft's among them) is Kerberos to the gate. */
	if (tag != 0x60 || !tlv(&outer, &tag, &oid) || tag != 0x06)
		return TS_ERR_GATE_NEGOTIATE_MALFORMED;
	if (!oid_is(&oid, oid_spnego, sizeof oid_spnego))
		return TS_ERR_OK;
	if (!tlv(&outer, &tag, &d) || tag != 0xa0 || outer.left != 0)
		return TS_ERR_GATE_NEGOTIATE_MALFORMED;
	return neg_token(d, true, mech, ntlm, ntlm_len);
}
