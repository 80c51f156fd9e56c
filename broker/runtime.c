/* Reference-counted runtime snapshots, swapped under a short lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>
#include <sys/stat.h>

#include "broker.h"
#include "runtime.h"
#include "sts_flow.h"
#include "tessera/log.h"
#include "tessera/sts.h"

/* The STS keys: created on first start, then loaded (a missing directory
 * without create_sts leaves the STS unready rather than failing a check). */
static ts_err load_sts_keys(const struct ts_config *cfg, ts_time now, bool create,
			    struct ts_sts_keys **out, char *why, size_t why_len)
{
	char *entity = ts_sts_entity_id(cfg);
	char id[TS_STS_KEY_ID_LEN + 1];
	struct stat st;
	ts_err err = TS_ERR_OK;

	if (stat(cfg->sts.key_dir, &st) != 0) {
		if (!create)
			goto out;
		err = ts_sts_keys_rotate(cfg->sts.key_dir, now, 0, (int)cfg->sts.key_bits, entity, 0,
					 id);
		if (err != TS_ERR_OK) {
			snprintf(why, why_len, "cannot create the STS key in %s", cfg->sts.key_dir);
			goto out;
		}
		ts_log(TS_LOG_INFO, "sts_key_created", "dir", cfg->sts.key_dir, "id", id);
	}
	/* Older certificates stay published while tokens they signed may live. */
	err = ts_sts_keys_load(cfg->sts.key_dir, now, cfg->sts.token_lifetime + 300, out);
	if (err != TS_ERR_OK)
		snprintf(why, why_len, "STS keys in %s: %s", cfg->sts.key_dir, ts_strerror(err));
out:
	g_free(entity);
	return err;
}

ts_err ts_runtime_load(const char *path, ts_time now, bool create_sts, struct ts_runtime **out,
		       char *why, size_t why_len)
{
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml_diag sdiag = {{0}};
	struct ts_runtime *rt = calloc(1, sizeof *rt);
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	if (rt == NULL)
		goto out;
	atomic_init(&rt->refs, 1);
	if ((err = ts_config_load(path, &rt->config, &cdiag)) != TS_ERR_OK) {
		snprintf(why, why_len, "%s", cdiag.text);
		goto out;
	}
	/* Every answer must match a request stored for the browser that made
	 * it (route_acs.c); an IdP-initiated one has none, whatever this says. */
	for (size_t i = 0; i < rt->config->n_idps; i++)
		if (rt->config->idps[i].allow_unsolicited)
			ts_log(TS_LOG_WARN, "config_ignored", "idp", rt->config->idps[i].name, "key",
			       "allow_unsolicited", "reason",
			       "tesserad accepts no IdP-initiated sign-in (login CSRF)");
	if ((err = ts_saml_new(rt->config, now, &rt->saml, &sdiag)) != TS_ERR_OK) {
		snprintf(why, why_len, "%s", sdiag.text);
		goto out;
	}
	if ((err = load_sts_keys(rt->config, now, create_sts, &rt->sts_keys, why, why_len)) !=
	    TS_ERR_OK)
		goto out;
	*out = rt;
	rt = NULL;
out:
	ts_runtime_release(rt);
	return err;
}

struct ts_runtime *ts_runtime_acquire(struct ts_broker *broker)
{
	struct ts_runtime *rt;

	pthread_mutex_lock(&broker->runtime_lock);
	rt = broker->runtime;
	atomic_fetch_add(&rt->refs, 1);
	pthread_mutex_unlock(&broker->runtime_lock);
	return rt;
}

void ts_runtime_release(struct ts_runtime *rt)
{
	if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
		return;
	ts_sts_keys_free(rt->sts_keys);
	ts_saml_free(rt->saml);
	ts_config_free(rt->config);
	free(rt);
}

void ts_runtime_install(struct ts_broker *broker, struct ts_runtime *next)
{
	struct ts_runtime *old;

	pthread_mutex_lock(&broker->runtime_lock);
	old = broker->runtime;
	broker->runtime = next;
	pthread_mutex_unlock(&broker->runtime_lock);
	ts_runtime_release(old);
}
