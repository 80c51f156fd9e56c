/* Which client sent a request, from its User-Agent, and whether that client
 * can sign in passively: the "who would break" answer of a cutover. */
#ifndef TS_BROKER_CLIENT_FAMILY_H
#define TS_BROKER_CLIENT_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

enum ts_client_family {
	TS_CLIENT_UNKNOWN,
	TS_CLIENT_LYNC_2010,
	TS_CLIENT_LYNC_2013,
	TS_CLIENT_SFB,
	TS_CLIENT_LYNC_MAC,
	TS_CLIENT_PHONE_EDITION,
	TS_CLIENT_MOBILE_IOS,
	TS_CLIENT_MOBILE_ANDROID,
	TS_CLIENT_MOBILE_WINDOWS_PHONE,
	TS_CLIENT_BROWSER, /* Lync Web App, SfB Web App, Web SDK, any browser */
	TS_CLIENT_THIRD_PARTY,
	TS_CLIENT__COUNT
};

struct ts_client_family_info {
	enum ts_client_family family;
	const char *name; /* stable label for logs, metrics and reports */
	bool passive_capable;
};

/* The family of user_agent (NULL or "" is unknown); never NULL. */
const struct ts_client_family_info *ts_client_family(const char *user_agent, size_t len);
/* The row of a family; never NULL. */
const struct ts_client_family_info *ts_client_family_info(enum ts_client_family family);

#endif
