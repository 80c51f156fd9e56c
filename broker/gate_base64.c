/* Hand-written rather than OpenSSL's EVP_DecodeBlock: that one skips
 * whitespace, accepts missing padding in places and reports lengths that
 * include the pad bytes, and a credential read two ways is a credential an
 * attacker can make the gate and the pool read differently. */
#include "gate_base64.h"

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ts_err ts_gate_base64_decode(const char *in, size_t in_len, uint8_t *out, size_t cap,
			     size_t *out_len)
{
	size_t pad = 0, n = 0;

	*out_len = 0;
	if (in_len == 0 || in_len % 4 != 0)
		return TS_ERR_GATE_BASE64;
	if (in[in_len - 1] == '=')
		pad = in[in_len - 2] == '=' ? 2 : 1;
	if (in_len / 4 * 3 - pad > cap)
		return TS_ERR_GATE_BASE64;
	for (size_t i = 0; i < in_len; i += 4) {
		int v[4];
		const int last = i + 4 == in_len;

		for (int k = 0; k < 4; k++) {
			const int is_pad = last && k >= 4 - (int)pad;
			v[k] = is_pad ? 0 : value_of((unsigned char)in[i + (size_t)k]);
			if (v[k] < 0)
				return TS_ERR_GATE_BASE64;
		}
		/* The bits a pad drops must be zero: one encoding per value. */
		if (last && ((pad == 1 && (v[2] & 0x3)) || (pad == 2 && (v[1] & 0xf))))
			return TS_ERR_GATE_BASE64;
		out[n++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			out[n++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			out[n++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
	}
	*out_len = n;
	return TS_ERR_OK;
}
