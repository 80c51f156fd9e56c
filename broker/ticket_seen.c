/* See ticket_seen.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_seen.h"

#define SLOTS 8192
#define KEY_LEN 32 /* hex digits of the SHA-256 kept: 128 bits */

struct slot {
	char key[KEY_LEN];
	ts_time until;
};

struct ts_ticket_seen {
	pthread_mutex_t lock;
	struct slot slots[SLOTS];
};

struct ts_ticket_seen *ts_ticket_seen_new(void)
{
	struct ts_ticket_seen *s = calloc(1, sizeof *s);

	if (s != NULL)
		pthread_mutex_init(&s->lock, NULL);
	return s;
}

void ts_ticket_seen_free(struct ts_ticket_seen *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static unsigned slot_of(const char *hash)
{
	unsigned v = 0;

	for (int i = 0; i < 8; i++)
		v = v * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : hash[i] - 'a' + 10);
	return v % SLOTS;
}

bool ts_ticket_seen_clean(struct ts_ticket_seen *s, const char *hash, ts_time now)
{
	struct slot *sl;
	bool clean;

	if (s == NULL || strlen(hash) < KEY_LEN)
		return false;
	sl = &s->slots[slot_of(hash)];
	pthread_mutex_lock(&s->lock);
	clean = now < sl->until && memcmp(sl->key, hash, KEY_LEN) == 0;
	pthread_mutex_unlock(&s->lock);
	return clean;
}

void ts_ticket_seen_put_clean(struct ts_ticket_seen *s, const char *hash, ts_time now)
{
	struct slot *sl;

	if (s == NULL || strlen(hash) < KEY_LEN)
		return;
	sl = &s->slots[slot_of(hash)];
	pthread_mutex_lock(&s->lock);
	memcpy(sl->key, hash, KEY_LEN);
	sl->until = now + TS_TICKET_SEEN_TTL;
	pthread_mutex_unlock(&s->lock);
}
