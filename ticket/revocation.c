/* Revocations in memory, written through the state store: verification
 * never waits on the store, and a restart (or another broker, via reload)
 * finds every revocation again. */
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/log.h"
#include "ticket_internal.h"

struct rev_entry {
	struct rev_entry *next;
	uint64_t hash;
	enum ts_revocation_kind kind;
	ts_time before, expires_at;
	size_t len;
	char key[];
};

struct rev_table {
	struct rev_entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

struct ts_revocations {
	struct ts_store *store;
	pthread_rwlock_t lock;
	struct rev_table table;
	_Atomic uint64_t gen;
	uint64_t seed; /* keeps bucket placement unguessable */
};

/* FNV-1a over kind and key, from a random start. */
static uint64_t rev_hash(uint64_t seed, enum ts_revocation_kind kind, const char *key, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ seed;

	h = (h ^ (uint64_t)kind) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	return h;
}

static void table_clear(struct rev_table *t)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct rev_entry *e = t->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t->buckets);
	memset(t, 0, sizeof *t);
}

static const struct rev_entry *table_find(const struct rev_table *t, uint64_t hash,
					  enum ts_revocation_kind kind, const char *key, size_t len)
{
	if (t->nbuckets == 0)
		return NULL;
	for (const struct rev_entry *e = t->buckets[hash & (t->nbuckets - 1)]; e != NULL;
	     e = e->next)
		if (e->hash == hash && e->kind == kind && e->len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

static ts_err table_grow(struct rev_table *t)
{
	size_t n = t->nbuckets == 0 ? 64 : t->nbuckets * 2;
	struct rev_entry **b = calloc(n, sizeof *b);

	if (b == NULL)
		return TS_ERR_NOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct rev_entry *e = t->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return TS_ERR_OK;
}

/* Adds rev, or widens the entry already there (a revocation never narrows). */
static ts_err table_put(struct rev_table *t, uint64_t seed, const struct ts_revocation *rev)
{
	uint64_t hash = rev_hash(seed, rev->kind, rev->key, rev->key_len);
	struct rev_entry *e = (struct rev_entry *)table_find(t, hash, rev->kind, rev->key,
							     rev->key_len);
	ts_err err;

	if (e != NULL) {
		e->before = rev->before > e->before ? rev->before : e->before;
		e->expires_at = rev->expires_at > e->expires_at ? rev->expires_at : e->expires_at;
		return TS_ERR_OK;
	}
	if (t->count >= t->nbuckets && (err = table_grow(t)) != TS_ERR_OK)
		return err;
	if ((e = malloc(sizeof *e + rev->key_len)) == NULL)
		return TS_ERR_NOMEM;
	e->hash = hash;
	e->kind = rev->kind;
	e->before = rev->before;
	e->expires_at = rev->expires_at;
	e->len = rev->key_len;
	memcpy(e->key, rev->key, rev->key_len);
	e->next = t->buckets[hash & (t->nbuckets - 1)];
	t->buckets[hash & (t->nbuckets - 1)] = e;
	t->count++;
	return TS_ERR_OK;
}

struct load_arg {
	struct rev_table *table;
	uint64_t seed;
};

static ts_err load_one(void *arg, const struct ts_revocation *rev)
{
	struct load_arg *a = arg;

	return table_put(a->table, a->seed, rev);
}

ts_err ts_revocations_reload(struct ts_revocations *rev, ts_time now)
{
	struct rev_table fresh = {0}, old;
	struct load_arg arg = {&fresh, rev->seed};
	ts_err err;

	/* Pruning is housekeeping: a failure is logged by the store and the
	 * load below still decides. */
	rev->store->revocations_prune(rev->store->impl, now);
	if ((err = rev->store->revocations_each(rev->store->impl, now, load_one, &arg)) !=
	    TS_ERR_OK) {
		table_clear(&fresh);
		return err;
	}
	pthread_rwlock_wrlock(&rev->lock);
	old = rev->table;
	rev->table = fresh;
	atomic_fetch_add(&rev->gen, 1);
	pthread_rwlock_unlock(&rev->lock);
	table_clear(&old);
	return TS_ERR_OK;
}

ts_err ts_revocations_new(struct ts_store *store, ts_time now, struct ts_revocations **out)
{
	struct ts_revocations *rev = calloc(1, sizeof *rev);
	ts_err err = TS_ERR_NOMEM;

	*out = NULL;
	if (rev == NULL)
		return err;
	rev->store = store;
	pthread_rwlock_init(&rev->lock, NULL);
	atomic_init(&rev->gen, 1);
	if (RAND_bytes((unsigned char *)&rev->seed, sizeof rev->seed) != 1) {
		err = TS_ERR_CRYPTO;
		goto out;
	}
	if ((err = ts_revocations_reload(rev, now)) != TS_ERR_OK)
		goto out;
	*out = rev;
	rev = NULL;
out:
	ts_revocations_free(rev);
	return err;
}

void ts_revocations_free(struct ts_revocations *rev)
{
	if (rev == NULL)
		return;
	table_clear(&rev->table);
	pthread_rwlock_destroy(&rev->lock);
	free(rev);
}

static ts_err hold(struct ts_revocations *rev, const struct ts_revocation *r)
{
	ts_err err;

	pthread_rwlock_wrlock(&rev->lock);
	err = table_put(&rev->table, rev->seed, r);
	atomic_fetch_add(&rev->gen, 1);
	pthread_rwlock_unlock(&rev->lock);
	return err;
}

/* Store first: a revocation that is not durable must not look done. */
static ts_err revoke(struct ts_revocations *rev, const struct ts_revocation *r)
{
	ts_err err;

	if (r->key_len == 0 || r->key_len > TS_TICKET_CLAIM_MAX)
		return TS_ERR_INVALID_ARGUMENT;
	if ((err = rev->store->revoke(rev->store->impl, r)) != TS_ERR_OK)
		return err;
	return hold(rev, r);
}

/* A key as a log value: lengths travel with pointers, and logs want a C string. */
static const char *key_text(char out[TS_LOG_VALUE_MAX + 1], const char *key, size_t len)
{
	size_t n = len < TS_LOG_VALUE_MAX ? len : TS_LOG_VALUE_MAX;

	memcpy(out, key, n);
	out[n] = '\0';
	return out;
}

ts_err ts_revoke_jti(struct ts_revocations *rev, const char *jti, size_t jti_len,
		     ts_time expires_at)
{
	struct ts_revocation r = {TS_REVOKE_JTI, jti, jti_len, 0, expires_at};
	char shown[TS_LOG_VALUE_MAX + 1];
	ts_err err = revoke(rev, &r);

	ts_log_error(err == TS_ERR_OK ? TS_LOG_INFO : TS_LOG_ERR, "ticket_revoked", err, "jti",
		     key_text(shown, jti, jti_len));
	return err;
}

ts_err ts_revocations_hold(struct ts_revocations *rev, const struct ts_revocation *r)
{
	char shown[TS_LOG_VALUE_MAX + 1];
	ts_err err = hold(rev, r);

	/* The store has it: a failure here lasts until the next reload. */
	ts_log_error(err == TS_ERR_OK ? TS_LOG_INFO : TS_LOG_ERR,
		     r->kind == TS_REVOKE_JTI ? "ticket_revoked" : "user_tickets_revoked", err,
		     r->kind == TS_REVOKE_JTI ? "jti" : "sub", key_text(shown, r->key, r->key_len));
	return err;
}

ts_err ts_revoke_user(struct ts_revocations *rev, const char *sub, size_t sub_len, ts_time before,
		      ts_time expires_at)
{
	struct ts_revocation r = {TS_REVOKE_USER, sub, sub_len, before, expires_at};
	char when[TS_TIME_ISO_LEN], shown[TS_LOG_VALUE_MAX + 1];
	ts_err err = revoke(rev, &r);

	ts_time_format(before, when);
	ts_log_error(err == TS_ERR_OK ? TS_LOG_INFO : TS_LOG_ERR, "user_tickets_revoked", err,
		     "sub", key_text(shown, sub, sub_len), "issued_before", when);
	return err;
}

bool ts_revocations_match(struct ts_revocations *rev, const struct ts_ticket_claims *c)
{
	const struct rev_entry *e;
	bool revoked;

	pthread_rwlock_rdlock(&rev->lock);
	revoked = table_find(&rev->table, rev_hash(rev->seed, TS_REVOKE_JTI, c->jti, c->jti_len),
			     TS_REVOKE_JTI, c->jti, c->jti_len) != NULL;
	if (!revoked) {
		e = table_find(&rev->table, rev_hash(rev->seed, TS_REVOKE_USER, c->sub, c->sub_len),
			       TS_REVOKE_USER, c->sub, c->sub_len);
		revoked = e != NULL && c->iat < e->before;
	}
	pthread_rwlock_unlock(&rev->lock);
	return revoked;
}

uint64_t ts_revocations_generation(const struct ts_revocations *rev)
{
	return atomic_load_explicit(&rev->gen, memory_order_acquire);
}
