#include <errno.h>
#include <stdlib.h>

#include "tessera/util.h"

ts_err ts_parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	/* strtol would skip leading space and accept a sign after it. */
	if (s == NULL || *s == '\0' || !(*s == '-' || (*s >= '0' && *s <= '9')))
		return TS_ERR_NUMBER_FORMAT;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return TS_ERR_NUMBER_FORMAT;
	*out = v;
	return TS_ERR_OK;
}
