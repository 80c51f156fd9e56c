/* Reference-counted runtime snapshots, swapped under a short lock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "broker.h"
#include "runtime.h"

ts_err ts_runtime_load(const char *path, ts_time now, struct ts_runtime **out, char *why,
		       size_t why_len)
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
	if ((err = ts_saml_new(rt->config, now, &rt->saml, &sdiag)) != TS_ERR_OK) {
		snprintf(why, why_len, "%s", sdiag.text);
		goto out;
	}
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
