/* base64url without padding (RFC 7515 section 2), strict on input: one
 * encoding per value, so a token cannot be altered into another text that
 * decodes the same (which would also defeat the verify cache's hash). */
#include <stdint.h>

#include "ticket_internal.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* 0..63 for alphabet bytes, 0xff for everything else. */
static const uint8_t rev[256] = {
#define R16 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	R16, R16,
	/* 0x20 */ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 62, 0xff, 0xff,
	/* 0x30 */ 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	/* 0x40 */ 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	/* 0x50 */ 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 0xff, 0xff, 0xff, 0xff, 63,
	/* 0x60 */ 0xff, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	/* 0x70 */ 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 0xff, 0xff, 0xff, 0xff, 0xff,
	R16, R16, R16, R16, R16, R16, R16, R16,
#undef R16
};

size_t ts_b64url_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

ts_err ts_b64url_encode(const void *in, size_t n, char *out, size_t outsz, size_t *out_len)
{
	const unsigned char *p = in;
	size_t at = 0, i = 0;

	if (outsz < ts_b64url_len(n) + 1)
		return TS_ERR_TOO_LARGE;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[at++] = alphabet[v >> 18];
		out[at++] = alphabet[(v >> 12) & 63];
		out[at++] = alphabet[(v >> 6) & 63];
		out[at++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		out[at++] = alphabet[p[i] >> 2];
		out[at++] = alphabet[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
		out[at++] = alphabet[v >> 10];
		out[at++] = alphabet[(v >> 4) & 63];
		out[at++] = alphabet[(v & 15) << 2];
	}
	out[at] = '\0';
	if (out_len != NULL)
		*out_len = at;
	return TS_ERR_OK;
}

ts_err ts_b64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
			size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t at = 0, i = 0;
	uint32_t v;

	if (n % 4 == 1)
		return TS_ERR_TICKET_MALFORMED; /* 6 bits cannot end a byte */
	if (n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1) > outsz)
		return TS_ERR_TICKET_TOO_LARGE;
	for (; i + 4 <= n; i += 4) {
		uint8_t a = rev[p[i]], b = rev[p[i + 1]], c = rev[p[i + 2]], d = rev[p[i + 3]];
		if ((a | b | c | d) & 0xc0)
			return TS_ERR_TICKET_MALFORMED;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
		out[at++] = (unsigned char)(v >> 16);
		out[at++] = (unsigned char)(v >> 8);
		out[at++] = (unsigned char)v;
	}
	if (n - i == 2) {
		uint8_t a = rev[p[i]], b = rev[p[i + 1]];
		/* The low 4 bits of b are padding and must be zero. */
		if ((a | b) & 0xc0 || (b & 15) != 0)
			return TS_ERR_TICKET_MALFORMED;
		out[at++] = (unsigned char)(a << 2 | b >> 4);
	} else if (n - i == 3) {
		uint8_t a = rev[p[i]], b = rev[p[i + 1]], c = rev[p[i + 2]];
		/* The low 2 bits of c are padding and must be zero. */
		if ((a | b | c) & 0xc0 || (c & 3) != 0)
			return TS_ERR_TICKET_MALFORMED;
		v = (uint32_t)a << 10 | (uint32_t)b << 4 | c >> 2;
		out[at++] = (unsigned char)(v >> 8);
		out[at++] = (unsigned char)v;
	}
	*out_len = at;
	return TS_ERR_OK;
}
