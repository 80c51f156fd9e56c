/* tesserad's side of the web tickets: opening the store, loading the key
 * ring (refusing to start on unsafe permissions, creating the ring on first
 * start), and picking up rotations and other brokers' revocations without a
 * restart, on SIGHUP and every keyring_check_interval seconds. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "broker.h"
#include "tickets.h"
#include "tessera/log.h"
#include "tessera/ticket.h"

struct ts_broker_tickets {
	struct ts_store *store;
	struct ts_revocations *rev;
	struct ts_tickets *tickets;
	/* Fetched once: EVP_sha256() fetches the implementation again on
	 * every digest, under OpenSSL's method-store lock. */
	EVP_MD *sha256;
	const struct ts_config *config;
	const struct ts_clock *clock;
	/* One thread does every reload, so two never race: it waits on cond
	 * until the interval passes, SIGHUP sets wake, or stop is set. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool wake;
	bool stop;
	bool thread_started;
	pthread_t thread;
};

static long retention(const struct ts_config *cfg)
{
	return cfg->tickets.lifetime + cfg->tickets.clock_skew;
}

/* First start: no directory yet, or one without a signing key. */
static ts_err create_first_key(const struct ts_config *cfg, const struct ts_clock *clock)
{
	enum ts_ticket_alg alg;
	char kid[TS_KID_LEN + 1];
	ts_err err;

	if ((err = ts_ticket_alg_parse(cfg->tickets.algorithm, strlen(cfg->tickets.algorithm),
				       &alg)) != TS_ERR_OK ||
	    (err = ts_keyring_rotate(cfg->tickets.key_dir, alg, ts_clock_now(clock), kid)) !=
		    TS_ERR_OK)
		return err;
	ts_log(TS_LOG_INFO, "keyring_created", "dir", cfg->tickets.key_dir, "kid", kid, "alg",
	       cfg->tickets.algorithm);
	return TS_ERR_OK;
}

static ts_err load_ring(const struct ts_config *cfg, const struct ts_clock *clock,
			struct ts_keyring **out)
{
	struct stat st;
	ts_err err;

	if (stat(cfg->tickets.key_dir, &st) != 0 && errno == ENOENT &&
	    (err = create_first_key(cfg, clock)) != TS_ERR_OK)
		return err;
	if ((err = ts_keyring_load(cfg->tickets.key_dir, retention(cfg), out)) != TS_ERR_OK)
		return err;
	if (ts_keyring_count(*out) == 0) {
		ts_keyring_unref(*out);
		*out = NULL;
		if ((err = create_first_key(cfg, clock)) != TS_ERR_OK)
			return err;
		return ts_keyring_load(cfg->tickets.key_dir, retention(cfg), out);
	}
	return TS_ERR_OK;
}

static void log_ring(const char *event, const struct ts_keyring *ring)
{
	const struct ts_key_info *active = ts_keyring_active(ring);
	char n[24];

	snprintf(n, sizeof n, "%zu", ts_keyring_count(ring));
	ts_log(active != NULL ? TS_LOG_INFO : TS_LOG_WARN, event, "keys", n, "active",
	       active != NULL ? active->kid : "none (every key retired: minting fails)");
}

/* Re-reads the key ring; a ring that fails to load (a key left readable by
 * a careless copy) is refused and the running one stays. */
static void reload_ring(struct ts_broker_tickets *bt, const char *trigger)
{
	struct ts_keyring *next = NULL, *current = ts_tickets_keyring(bt->tickets);
	ts_err err = ts_keyring_load(bt->config->tickets.key_dir, retention(bt->config), &next);

	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "keyring_reload_refused", err, "dir",
			     bt->config->tickets.key_dir, "trigger", trigger, "kept", "running key ring");
	} else if (!ts_keyring_same_files(next, current)) {
		ts_tickets_set_keyring(bt->tickets, next);
		log_ring("keyring_reloaded", next);
	}
	ts_keyring_unref(next);
	ts_keyring_unref(current);
}

/* Expired sign-in state goes on the same beat: outstanding requests,
 * replay keys past their assertion's end, codes, sessions. */
static void sweep_store(struct ts_broker_tickets *bt)
{
	struct ts_store_prune_counts n = {0};
	char removed[32];
	ts_err err = bt->store->prune(bt->store->impl, ts_clock_now(bt->clock), &n);

	if (err != TS_ERR_OK) {
		ts_log_error(TS_LOG_ERR, "store_prune_failed", err, "kept", "expired rows");
		return;
	}
	snprintf(removed, sizeof removed, "%llu",
		 (unsigned long long)(n.requests + n.replay + n.codes + n.sessions +
				      n.session_tickets + n.revocations));
	ts_log(TS_LOG_DEBUG, "store_pruned", "rows", removed);
}

static void reload_all(struct ts_broker_tickets *bt, const char *trigger)
{
	ts_err err;

	reload_ring(bt, trigger);
	if ((err = ts_revocations_reload(bt->rev, ts_clock_now(bt->clock))) != TS_ERR_OK)
		ts_log_error(TS_LOG_ERR, "revocations_reload_failed", err, "trigger", trigger);
	sweep_store(bt);
}

static void *periodic(void *arg)
{
	struct ts_broker_tickets *bt = arg;
	struct timespec deadline;

	pthread_mutex_lock(&bt->lock);
	while (!bt->stop) {
		const char *trigger = "periodic";

		deadline = ts_monotonic_deadline((int64_t)bt->config->tickets.keyring_check_interval *
						 1000);
		while (!bt->stop && !bt->wake &&
		       pthread_cond_timedwait(&bt->cond, &bt->lock, &deadline) != ETIMEDOUT)
			;
		if (bt->stop)
			break;
		if (bt->wake)
			trigger = "SIGHUP";
		bt->wake = false;
		pthread_mutex_unlock(&bt->lock);
		reload_all(bt, trigger);
		pthread_mutex_lock(&bt->lock);
	}
	pthread_mutex_unlock(&bt->lock);
	return NULL;
}

static void tickets_free(struct ts_broker_tickets *bt)
{
	if (bt == NULL)
		return;
	if (bt->thread_started) {
		pthread_mutex_lock(&bt->lock);
		bt->stop = true;
		pthread_cond_signal(&bt->cond);
		pthread_mutex_unlock(&bt->lock);
		pthread_join(bt->thread, NULL);
	}
	ts_tickets_free(bt->tickets);
	ts_revocations_free(bt->rev);
	ts_store_close(bt->store);
	EVP_MD_free(bt->sha256);
	pthread_cond_destroy(&bt->cond);
	pthread_mutex_destroy(&bt->lock);
	free(bt);
}

ts_err ts_broker_tickets_start(struct ts_broker *broker)
{
	const struct ts_config *cfg = broker->config;
	struct ts_broker_tickets *bt = calloc(1, sizeof *bt);
	struct ts_ticket_params params = {cfg->tickets.issuer, cfg->tickets.lifetime,
					  cfg->tickets.clock_skew,
					  (size_t)cfg->tickets.verify_cache_entries, &broker->clock};
	struct ts_store_limits limits = {(size_t)cfg->store.replay_cache_entries,
					 (size_t)cfg->store.outstanding_requests};
	struct ts_keyring *ring = NULL;
	ts_err err = TS_ERR_NOMEM;

	if (bt == NULL)
		goto out;
	bt->config = cfg;
	bt->clock = &broker->clock;
	pthread_mutex_init(&bt->lock, NULL);
	ts_cond_init_monotonic(&bt->cond);
	if ((bt->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		err = TS_ERR_CRYPTO;
		ts_log_error(TS_LOG_ERR, "start_failed", err, "reason",
			     "OpenSSL has no SHA-256 (providers not loaded?)");
		goto out;
	}
	/* The key ring first: its refusal is the one an operator most needs
	 * to see, and creating it may create the state directory too. */
	if ((err = load_ring(cfg, bt->clock, &ring)) != TS_ERR_OK ||
	    (err = ts_store_sqlite_open_limits(cfg->store.path, &limits, &bt->store)) !=
		    TS_ERR_OK ||
	    (err = ts_revocations_new(bt->store, ts_clock_now(bt->clock), &bt->rev)) != TS_ERR_OK ||
	    (err = ts_tickets_new(&params, ring, bt->rev, &bt->tickets)) != TS_ERR_OK)
		goto out;
	log_ring("keyring_loaded", ring);
	if (pthread_create(&bt->thread, NULL, periodic, bt) != 0) {
		err = TS_ERR_INTERNAL;
		goto out;
	}
	bt->thread_started = true;
	broker->tickets = bt;
	bt = NULL;
	err = TS_ERR_OK;
out:
	if (err != TS_ERR_OK)
		ts_log_error(TS_LOG_ERR, "start_refused", err, "reason", ts_strerror(err));
	ts_keyring_unref(ring);
	tickets_free(bt);
	return err;
}

void ts_broker_tickets_reload(struct ts_broker *broker)
{
	struct ts_broker_tickets *bt = broker->tickets;

	if (bt == NULL)
		return;
	pthread_mutex_lock(&bt->lock);
	bt->wake = true;
	pthread_cond_signal(&bt->cond);
	pthread_mutex_unlock(&bt->lock);
}

void ts_broker_tickets_stop(struct ts_broker *broker)
{
	tickets_free(broker->tickets);
	broker->tickets = NULL;
}

struct ts_tickets *ts_broker_ticketing(struct ts_broker *broker)
{
	return broker->tickets != NULL ? broker->tickets->tickets : NULL;
}

struct ts_store *ts_broker_store(struct ts_broker *broker)
{
	return broker->tickets != NULL ? broker->tickets->store : NULL;
}

const EVP_MD *ts_broker_sha256(struct ts_broker *broker)
{
	return broker->tickets != NULL ? broker->tickets->sha256 : NULL;
}

struct ts_revocations *ts_broker_revocations(struct ts_broker *broker)
{
	return broker->tickets != NULL ? broker->tickets->rev : NULL;
}
