/* NTLMSSP type detection and the names of a type 3 message ([MS-NLMP]
 * 2.2.1.3 AUTHENTICATE_MESSAGE). Every offset and length comes from the
 * client: each is checked against the message before a byte is read. */
#include <string.h>

#include "ntlm.h"

static const uint8_t signature[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', '\0'};

/* Fixed part of a type 3 up to and including NegotiateFlags: signature,
 * type, six 8-byte field descriptors (LM, NT, domain, user, workstation,
 * session key), flags. Older layouts without the last two are not sent by
 * any client a pool serves. */
#define AUTH_HEADER_LEN 64
#define OFF_DOMAIN 28
#define OFF_USER 36
#define OFF_FLAGS 60
#define FLAG_UNICODE 0x00000001u

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

ts_err ts_ntlm_message_type(const uint8_t *msg, size_t len, enum ts_ntlm_type *type)
{
	uint32_t t;

	if (len < 12 || memcmp(msg, signature, sizeof signature) != 0)
		return TS_ERR_GATE_NTLM_MALFORMED;
	t = le32(msg + 8);
	if (t < TS_NTLM_NEGOTIATE || t > TS_NTLM_AUTHENTICATE)
		return TS_ERR_GATE_NTLM_MALFORMED;
	*type = (enum ts_ntlm_type)t;
	return TS_ERR_OK;
}

/* The payload a field descriptor (len u16, maxlen u16, offset u32) names. */
static ts_err field(const uint8_t *msg, size_t len, size_t at, const uint8_t **start,
		    size_t *n)
{
	const size_t flen = le16(msg + at);
	const size_t off = le32(msg + at + 4);

	*start = NULL;
	*n = 0;
	if (flen == 0)
		return TS_ERR_OK;
	/* In the payload, not over the fixed header; no overflow: off <= len. */
	if (off < AUTH_HEADER_LEN || off > len || flen > len - off)
		return TS_ERR_GATE_NTLM_MALFORMED;
	*start = msg + off;
	*n = flen;
	return TS_ERR_OK;
}

static bool put_utf8(char *out, size_t *at, uint32_t cp)
{
	uint8_t buf[4];
	size_t n;

	if (cp < 0x80) {
		buf[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		buf[0] = (uint8_t)(0xc0 | cp >> 6);
		buf[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		buf[0] = (uint8_t)(0xe0 | cp >> 12);
		buf[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		buf[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		buf[0] = (uint8_t)(0xf0 | cp >> 18);
		buf[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		buf[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		buf[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*at + n > TS_NTLM_NAME_MAX)
		return false;
	memcpy(out + *at, buf, n);
	*at += n;
	return true;
}

/* Control characters would let a name forge log fields or records; NUL
 * would cut the C string short of what the pool reads. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

static ts_err utf16le_to_utf8(const uint8_t *in, size_t n, char out[TS_NTLM_NAME_MAX + 1])
{
	size_t at = 0;

	if (n % 2 != 0)
		return TS_ERR_GATE_NTLM_MALFORMED;
	for (size_t i = 0; i < n; i += 2) {
		uint32_t cp = le16(in + i);

		if (cp >= 0xdc00 && cp <= 0xdfff)
			return TS_ERR_GATE_NTLM_MALFORMED; /* low surrogate first */
		if (cp >= 0xd800 && cp <= 0xdbff) {
			uint32_t lo;
			if (i + 4 > n)
				return TS_ERR_GATE_NTLM_MALFORMED;
			lo = le16(in + i + 2);
			if (lo < 0xdc00 || lo > 0xdfff)
				return TS_ERR_GATE_NTLM_MALFORMED;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		if (is_control(cp) || !put_utf8(out, &at, cp))
			return TS_ERR_GATE_NTLM_MALFORMED;
	}
	out[at] = '\0';
	return TS_ERR_OK;
}

static ts_err oem_to_utf8(const uint8_t *in, size_t n, char out[TS_NTLM_NAME_MAX + 1])
{
	if (n > TS_NTLM_NAME_MAX)
		return TS_ERR_GATE_NTLM_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		if (is_control(in[i]) && in[i] < 0x80)
			return TS_ERR_GATE_NTLM_MALFORMED;
		out[i] = in[i] < 0x80 ? (char)in[i] : '?';
	}
	out[n] = '\0';
	return TS_ERR_OK;
}

ts_err ts_ntlm_authenticate_parse(const uint8_t *msg, size_t len, struct ts_ntlm_identity *out)
{
	const uint8_t *user, *domain;
	size_t user_len, domain_len;
	enum ts_ntlm_type type;
	ts_err err;

	memset(out, 0, sizeof *out);
	if ((err = ts_ntlm_message_type(msg, len, &type)) != TS_ERR_OK)
		return err;
	if (type != TS_NTLM_AUTHENTICATE || len < AUTH_HEADER_LEN)
		return TS_ERR_GATE_NTLM_MALFORMED;
	if ((err = field(msg, len, OFF_USER, &user, &user_len)) != TS_ERR_OK ||
	    (err = field(msg, len, OFF_DOMAIN, &domain, &domain_len)) != TS_ERR_OK)
		return err;
	out->unicode = (le32(msg + OFF_FLAGS) & FLAG_UNICODE) != 0;
	if (out->unicode)
		err = utf16le_to_utf8(user, user_len, out->user);
	else
		err = oem_to_utf8(user, user_len, out->user);
	if (err == TS_ERR_OK)
		err = out->unicode ? utf16le_to_utf8(domain, domain_len, out->domain)
				   : oem_to_utf8(domain, domain_len, out->domain);
	if (err != TS_ERR_OK)
		memset(out, 0, sizeof *out);
	return err;
}
