/* Tickets already checked, by SHA-256 of their text: a repeat costs a hash
 * and a lookup instead of a signature check. Set-associative with a fixed
 * number of entries (bounded by configuration, never by traffic); a lock
 * per set keeps threads apart. An entry is never used outside the validity
 * window it was stored with, so caching cannot extend a ticket. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_internal.h"

#define WAYS 4

struct slot {
	unsigned char digest[32];
	const struct ts_ticket_claims *claims; /* NULL: empty */
	struct ts_verify_cache_entry meta;
};

struct set {
	pthread_mutex_t lock;
	unsigned next_victim;
	struct slot slots[WAYS];
};

struct ts_verify_cache {
	struct set *sets;
	size_t nsets; /* a power of two */
};

ts_err ts_verify_cache_new(size_t entries, struct ts_verify_cache **out)
{
	struct ts_verify_cache *c;
	size_t nsets = 1;

	*out = NULL;
	if (entries == 0)
		return TS_ERR_OK;
	/* Rounded down: the configured number is a ceiling, not a hint. */
	while (nsets * 2 * WAYS <= entries)
		nsets *= 2;
	if ((c = calloc(1, sizeof *c)) == NULL || (c->sets = calloc(nsets, sizeof *c->sets)) == NULL) {
		free(c);
		return TS_ERR_NOMEM;
	}
	c->nsets = nsets;
	for (size_t i = 0; i < nsets; i++)
		pthread_mutex_init(&c->sets[i].lock, NULL);
	*out = c;
	return TS_ERR_OK;
}

void ts_verify_cache_free(struct ts_verify_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nsets; i++) {
		for (int w = 0; w < WAYS; w++)
			ts_ticket_claims_release(c->sets[i].slots[w].claims);
		pthread_mutex_destroy(&c->sets[i].lock);
	}
	free(c->sets);
	free(c);
}

/* The digest is SHA-256 output: its first bytes are already uniform. */
static struct set *set_of(struct ts_verify_cache *c, const unsigned char digest[32])
{
	size_t h;

	memcpy(&h, digest, sizeof h);
	return &c->sets[h & (c->nsets - 1)];
}

static struct slot *find(struct set *s, const unsigned char digest[32])
{
	for (int w = 0; w < WAYS; w++)
		if (s->slots[w].claims != NULL && memcmp(s->slots[w].digest, digest, 32) == 0)
			return &s->slots[w];
	return NULL;
}

static void clear(struct slot *slot)
{
	ts_ticket_claims_release(slot->claims);
	slot->claims = NULL;
}

bool ts_verify_cache_get(struct ts_verify_cache *c, const unsigned char digest[32], ts_time now,
			 const struct ts_ticket_claims **claims, struct ts_verify_cache_entry *meta)
{
	struct set *s = set_of(c, digest);
	struct slot *slot;
	bool hit = false;

	pthread_mutex_lock(&s->lock);
	if ((slot = find(s, digest)) != NULL) {
		if (now >= slot->meta.valid_from && now < slot->meta.valid_until) {
			*claims = ts_claims_retain(slot->claims);
			*meta = slot->meta;
			hit = true;
		} else if (now >= slot->meta.valid_until) {
			clear(slot); /* expired: free the way at once */
		}
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

void ts_verify_cache_put(struct ts_verify_cache *c, const unsigned char digest[32],
			 const struct ts_ticket_claims *claims,
			 const struct ts_verify_cache_entry *meta)
{
	struct set *s = set_of(c, digest);
	struct slot *slot;

	pthread_mutex_lock(&s->lock);
	if ((slot = find(s, digest)) == NULL) {
		/* An empty way, else round robin: cheap, and a flood of new
		 * tickets cannot pin old entries. */
		for (int w = 0; w < WAYS && slot == NULL; w++)
			if (s->slots[w].claims == NULL)
				slot = &s->slots[w];
		if (slot == NULL)
			slot = &s->slots[s->next_victim++ % WAYS];
	}
	clear(slot);
	memcpy(slot->digest, digest, 32);
	slot->claims = ts_claims_retain(claims);
	slot->meta = *meta;
	pthread_mutex_unlock(&s->lock);
}

void ts_verify_cache_confirm(struct ts_verify_cache *c, const unsigned char digest[32],
			     uint64_t gen)
{
	struct set *s = set_of(c, digest);
	struct slot *slot;

	pthread_mutex_lock(&s->lock);
	if ((slot = find(s, digest)) != NULL && slot->meta.rev_gen < gen)
		slot->meta.rev_gen = gen;
	pthread_mutex_unlock(&s->lock);
}

void ts_verify_cache_forget(struct ts_verify_cache *c, const unsigned char digest[32])
{
	struct set *s = set_of(c, digest);
	struct slot *slot;

	pthread_mutex_lock(&s->lock);
	if ((slot = find(s, digest)) != NULL)
		clear(slot);
	pthread_mutex_unlock(&s->lock);
}
