/* What arrives over HTTP before it is XML: base64 (POST binding), and
 * base64 of raw deflate (Redirect binding), both bounded on output. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "internal.h"

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
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
		unsigned char ch = (unsigned char)in[i];
		int v;

		/* Line breaks and blanks: SiteMinder and PEM-style wrapping. */
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
			continue;
		if (ch == '=') {
			if (++pad > 2 || quad < 2)
				goto bad;
			quad++;
		} else {
			if (pad > 0 || (v = b64_value(ch)) < 0)
				goto bad;
			acc = (acc << 6) | (unsigned int)v;
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
		if (in[i] != ' ' && in[i] != '\t' && in[i] != '\r' && in[i] != '\n')
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
