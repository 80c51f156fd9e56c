/* The STS's names for itself and for pools: configured values, or the
 * documented guesses (sfb-protocol.md section 6; unverified, hence config). */
#include <glib.h>

#include "sts_flow.h"

char *ts_sts_realm(const struct ts_config_pool *pool)
{
	return *pool->realm != '\0' ? g_strdup(pool->realm)
				    : g_strdup_printf("https://%s/passiveauth", pool->host);
}

char *ts_sts_default_reply(const struct ts_config_pool *pool)
{
	return pool->reply_urls != NULL && pool->reply_urls[0] != NULL
		       ? g_strdup(pool->reply_urls[0])
		       : g_strdup_printf("https://%s/passiveauth/", pool->host);
}

char *ts_sts_entity_id(const struct ts_config *cfg)
{
	return *cfg->sts.entity_id != '\0'
		       ? g_strdup(cfg->sts.entity_id)
		       : g_strconcat(cfg->broker.public_url, "/adfs/services/trust", NULL);
}
