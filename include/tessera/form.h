/* application/x-www-form-urlencoded: what browsers post to /saml/acs and
 * /wsfed, and what query strings carry. */
#ifndef TESSERA_FORM_H
#define TESSERA_FORM_H

#include <stddef.h>

#include "tessera/err.h"

/* Finds field name in body and percent-decodes its value ('+' is a space)
 * into a malloc'd, NUL-terminated *out. NOT_FOUND if absent, INVALID_ARGUMENT
 * for a bad %-escape, a decoded NUL, or the field given twice. */
ts_err ts_form_get(const char *body, size_t len, const char *name, char **out,
		   size_t *out_len);

#endif
