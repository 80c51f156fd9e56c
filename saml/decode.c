/* What arrives over HTTP before it is XML: base64 (POST binding), and
 * base64 of raw deflate (Redirect binding), both bounded on output. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

/* Each base64 digit's value plus one; 0 for anything else. A table: the
 * branchy lookup was ~6 percent of a sign-in (a SAMLResponse is ~13 KB of
 * base64). */
static const unsigned char b64_digit[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8,
	['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15,
	['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29,
	['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36,
	['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42, ['q'] = 43,
	['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49, ['x'] = 50,
	['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

static bool b64_blank(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

ts_err ts_saml_decode_base64(const char *in, size_t len, size_t max_out, char **out,
			     size_t *out_len)
{
	unsigned char *buf;
	size_t n = 0, pad = 0, quad = 0, tail = len;
	unsigned int acc = 0;

	*out = NULL;
	if (len / 4 * 3 > max_out + 3)
		return TS_ERR_SAML_TOO_LARGE;
	if ((buf = malloc(len / 4 * 3 + 4)) == NULL)
		return TS_ERR_NOMEM;
	for (size_t i = 0; i < len; i++) {
		const unsigned char *q = (const unsigned char *)in + i;
		unsigned char ch = *q;

		/* Four digits at a quad's start: the common case, in one step. */
		if (quad == 0 && i + 4 <= len && b64_digit[q[0]] && b64_digit[q[1]] &&
		    b64_digit[q[2]] && b64_digit[q[3]]) {
			acc = (unsigned int)(b64_digit[q[0]] - 1) << 18 |
			      (unsigned int)(b64_digit[q[1]] - 1) << 12 |
			      (unsigned int)(b64_digit[q[2]] - 1) << 6 | (unsigned int)(b64_digit[q[3]] - 1);
			buf[n++] = (unsigned char)(acc >> 16);
			buf[n++] = (unsigned char)(acc >> 8);
			buf[n++] = (unsigned char)acc;
			acc = 0;
			i += 3;
			continue;
		}
		/* Line breaks and blanks: SiteMinder and PEM-style wrapping. */
		if (b64_blank(ch))
			continue;
		if (ch == '=') {
			if (++pad > 2 || quad < 2)
				goto bad;
			quad++;
		} else {
			if (pad > 0 || b64_digit[ch] == 0)
				goto bad;
			acc = (acc << 6) | (unsigned int)(b64_digit[ch] - 1);
			quad++;
		}
		if (quad == 4) {
			if (pad > 0)
				acc <<= 6 * pad;
			buf[n++] = (unsigned char)(acc >> 16);
			if (pad < 2)
				buf[n++] = (unsigned char)(acc >> 8);
			if (pad < 1)
				buf[n++] = (unsigned char)acc;
			acc = 0;
			quad = 0;
			if (pad > 0) {
				tail = i + 1;
				break;
			}
		}
	}
	/* Nothing may follow the padding but blanks (one pass, within len). */
	for (size_t i = tail; pad > 0 && i < len; i++)
		if (!b64_blank((unsigned char)in[i]))
			goto bad;
	if (quad != 0 || n == 0)
		goto bad;
	if (n > max_out) {
		free(buf);
		return TS_ERR_SAML_TOO_LARGE;
	}
	buf[n] = '\0';
	*out = (char *)buf;
	*out_len = n;
	return TS_ERR_OK;
bad:
	free(buf);
	return TS_ERR_SAML_ENCODING;
}

ts_err ts_saml_decode_redirect(const char *in, size_t len, size_t max_out, char **out,
			       size_t *out_len)
{
	z_stream z = {0};
	char *raw = NULL, *buf = NULL;
	size_t raw_len = 0;
	int zr;
	ts_err err;

	*out = NULL;
	if ((err = ts_saml_decode_base64(in, len, max_out, &raw, &raw_len)) != TS_ERR_OK)
		return err;
	if ((buf = malloc(max_out + 1)) == NULL) {
		free(raw);
		return TS_ERR_NOMEM;
	}
	err = TS_ERR_SAML_INFLATE;
	if (inflateInit2(&z, -MAX_WBITS) != Z_OK) /* raw deflate, no zlib header */
		goto out;
	z.next_in = (Bytef *)raw;
	z.avail_in = (uInt)raw_len;
	z.next_out = (Bytef *)buf;
	z.avail_out = (uInt)max_out;
	zr = inflate(&z, Z_FINISH);
	/* Z_BUF_ERROR with no room left: the output would pass max_out (a
	 * deflate bomb); anything but a clean end is refused. */
	if (zr == Z_STREAM_END && z.avail_in == 0) {
		buf[z.total_out] = '\0';
		*out = buf;
		*out_len = z.total_out;
		buf = NULL;
		err = TS_ERR_OK;
	}
	inflateEnd(&z);
out:
	free(buf);
	free(raw);
	return err;
}
