/* The error registry's lookups, all generated from TS_ERROR_TABLE. */
#include <string.h>

#include "tessera/err.h"

static const struct {
	const char *name;
	int http_status;
	const char *sentence;
} registry[] = {
#define TS_ERR_ROW(name, status, sentence) {#name, status, sentence},
	TS_ERROR_TABLE(TS_ERR_ROW)
#undef TS_ERR_ROW
};

_Static_assert(sizeof registry / sizeof registry[0] == TS_ERR__COUNT,
	       "error registry and enum disagree");

static int in_range(ts_err err)
{
	return (int)err >= 0 && err < TS_ERR__COUNT;
}

const char *ts_strerror(ts_err err)
{
	return in_range(err) ? registry[err].sentence : "unknown error";
}

const char *ts_errname(ts_err err)
{
	return in_range(err) ? registry[err].name : "UNKNOWN";
}

int ts_err_http_status(ts_err err)
{
	return in_range(err) ? registry[err].http_status : 500;
}

ts_err ts_err_from_name(const char *name)
{
	for (int i = 0; name != NULL && i < TS_ERR__COUNT; i++)
		if (strcmp(registry[i].name, name) == 0)
			return (ts_err)i;
	return TS_ERR__COUNT;
}
