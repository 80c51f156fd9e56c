/* The minting and verifying context: configuration, the current key ring
 * (swapped under running verifiers on rotation), revocations and cache. */
#include <stdlib.h>
#include <string.h>

#include "ticket_internal.h"

ts_err ts_tickets_new(const struct ts_ticket_params *params, struct ts_keyring *ring,
		      struct ts_revocations *rev, struct ts_tickets **out)
{
	struct ts_tickets *t = calloc(1, sizeof *t);
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	if (t == NULL)
		return err;
	pthread_mutex_init(&t->ring_lock, NULL);
	if (params->issuer == NULL || *params->issuer == '\0' || params->lifetime <= 0 ||
	    params->clock_skew < 0 || ring == NULL) {
		err = TS_ERR_INVALID_ARGUMENT;
		goto out;
	}
	if ((t->issuer = strdup(params->issuer)) == NULL)
		goto out;
	if ((err = ts_verify_cache_new(params->cache_entries, &t->cache)) != TS_ERR_OK)
		goto out;
	if ((t->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	t->lifetime = params->lifetime;
	t->skew = params->clock_skew;
	t->clock = params->clock;
	t->rev = rev;
	t->ring = ts_keyring_ref(ring);
	atomic_init(&t->ring_gen, 1);
	*out = t;
	t = NULL;
	err = TS_ERR_OK;
out:
	ts_tickets_free(t);
	return err;
}

void ts_tickets_free(struct ts_tickets *t)
{
	if (t == NULL)
		return;
	ts_verify_cache_free(t->cache);
	EVP_MD_free(t->sha256);
	ts_keyring_unref(t->ring);
	pthread_mutex_destroy(&t->ring_lock);
	free(t->issuer);
	free(t);
}

void ts_tickets_set_keyring(struct ts_tickets *t, struct ts_keyring *ring)
{
	struct ts_keyring *old;

	ts_keyring_ref(ring);
	pthread_mutex_lock(&t->ring_lock);
	old = t->ring;
	t->ring = ring;
	atomic_fetch_add(&t->ring_gen, 1);
	pthread_mutex_unlock(&t->ring_lock);
	ts_keyring_unref(old); /* freed when the last verifier using it is done */
}

struct ts_keyring *ts_tickets_ring(struct ts_tickets *t, uint64_t *gen)
{
	struct ts_keyring *ring;

	pthread_mutex_lock(&t->ring_lock);
	ring = ts_keyring_ref(t->ring);
	if (gen != NULL)
		*gen = atomic_load(&t->ring_gen);
	pthread_mutex_unlock(&t->ring_lock);
	return ring;
}

uint64_t ts_tickets_ring_generation(struct ts_tickets *t)
{
	return atomic_load(&t->ring_gen);
}

struct ts_keyring *ts_tickets_keyring(struct ts_tickets *t)
{
	return ts_tickets_ring(t, NULL);
}
