/* Form and query-string fields, decoded strictly: a field given twice is
 * refused (which copy would a check have seen?), and so is a bad escape. */
#include <stdlib.h>
#include <string.h>

#include "tessera/form.h"

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static ts_err decode(const char *in, size_t len, char **out, size_t *out_len)
{
	char *buf = malloc(len + 1);
	size_t n = 0;

	if (buf == NULL)
		return TS_ERR_NOMEM;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '+') {
			buf[n++] = ' ';
		} else if (in[i] == '%') {
			int hi = i + 2 < len ? hex(in[i + 1]) : -1;
			int lo = i + 2 < len ? hex(in[i + 2]) : -1;
			/* A decoded NUL would cut C strings short of what was checked. */
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(buf);
				return TS_ERR_INVALID_ARGUMENT;
			}
			buf[n++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			buf[n++] = in[i];
		}
	}
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return TS_ERR_OK;
}

ts_err ts_form_get(const char *body, size_t len, const char *name, char **out,
		   size_t *out_len)
{
	const size_t name_len = strlen(name);
	const char *value = NULL;
	size_t value_len = 0;

	*out = NULL;
	for (size_t at = 0; at < len;) {
		const char *field = body + at;
		const char *amp = memchr(field, '&', len - at);
		size_t field_len = amp != NULL ? (size_t)(amp - field) : len - at;

		if (field_len > name_len && field[name_len] == '=' &&
		    memcmp(field, name, name_len) == 0) {
			if (value != NULL)
				return TS_ERR_INVALID_ARGUMENT;
			value = field + name_len + 1;
			value_len = field_len - name_len - 1;
		}
		at += field_len + 1;
	}
	if (value == NULL)
		return TS_ERR_NOT_FOUND;
	return decode(value, value_len, out, out_len);
}
