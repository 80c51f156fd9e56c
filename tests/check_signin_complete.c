/* Check suite for what a completed sign-in writes (store op
 * signin_complete_many, store/sqlite_complete.c) and the read that comes
 * before it (request_get): all of a sign-in or none of it, one refused
 * sign-in in a batch undoing only itself, and of racing completions of one
 * request exactly one winning, also between two handles on one file. In-memory
 * stores otherwise, a fixed time T0. */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tessera/store.h"
#include "test_dir.h"

#define T0 1764042000 /* 2025-11-25T03:40:00Z */
#define THREADS 8

static struct ts_store *store;
/* A second handle: the same as store, except in the file case, where it is
 * another connection to store's file (as a second process would have). */
static struct ts_store *other;

static void setup(void)
{
	ck_assert_int_eq(ts_store_sqlite_open(":memory:", &store), TS_ERR_OK);
	other = store;
}

static void teardown(void)
{
	if (other != store)
		ts_store_close(other);
	ts_store_close(store);
	store = other = NULL;
}

static char dir[200], path[260];

/* The directory is made and removed in Check's parent process: a failing
 * test ends its own process without its teardown, and its files go all the
 * same. One test per case: each starts on a new file. */
static void file_case_setup(void)
{
	ts_test_dir_make(dir, sizeof dir, "ts-check-complete");
	snprintf(path, sizeof path, "%s/state.db", dir);
}

/* The directory only goes if nothing else was left in it. */
static void file_case_teardown(void)
{
	ck_assert_msg(ts_test_db_remove(path) && rmdir(dir) == 0, "%s: files left behind", dir);
}

static void file_setup(void)
{
	ck_assert_int_eq(ts_store_sqlite_open(path, &store), TS_ERR_OK);
	ck_assert_int_eq(ts_store_sqlite_open(path, &other), TS_ERR_OK);
}

static void put_request(char *id, ts_time expires_at)
{
	struct ts_signin_pending p = {
		.id = id,
		.pool = "pool1",
		.idp = "adfs",
		.return_url = "/meet",
		.created = T0,
		.expires_at = expires_at,
	};

	ck_assert_int_eq(store->request_put(store->impl, &p), TS_ERR_OK);
}

static const char extras[] = "{\"groups\":[],\"name\":\"Alice\"}";
static const char code_payload[] = "{\"pool\":\"pool1\"}";

/* A sign-in answering request id with assertion key; its session and code
 * hashes are named after tag. c points into the struct: init it in place. */
struct signin {
	char session_hash[32];
	char code_hash[32];
	char id[32], key[48]; /* when batch_with_replay made them */
	struct ts_signin_completion c;
};

static void signin_init(struct signin *s, const char *id, const char *key, const char *tag)
{
	snprintf(s->session_hash, sizeof s->session_hash, "s(%.24s)", tag);
	snprintf(s->code_hash, sizeof s->code_hash, "c(%.24s)", tag);
	s->c = (struct ts_signin_completion){
		.request_id = id,
		.replay_key = key,
		.replay_expires_at = T0 + 600,
		.session = {.id_hash = s->session_hash,
			    .subject = "alice@example.org",
			    .payload = (char *)extras,
			    .payload_len = sizeof extras - 1,
			    .created = T0,
			    .expires_at = T0 + 3600},
		.code_hash = s->code_hash,
		.code_payload = code_payload,
		.code_payload_len = sizeof code_payload - 1,
		.code_expires_at = T0 + 30,
		.now = T0,
	};
}

static ts_err complete(const struct ts_signin_completion *c)
{
	ts_err row = TS_ERR_INTERNAL;
	ts_err err = store->signin_complete_many(store->impl, c, 1, &row);

	ck_assert_int_eq(err, TS_ERR_OK);
	return row;
}

/* Is tag's sign-in stored: its session, its code (taken by the check),
 * each with the sign-in's payload. */
static bool session_stored(const char *tag)
{
	struct ts_sso_session s;
	char hash[32];
	ts_err err;
	bool same;

	snprintf(hash, sizeof hash, "s(%s)", tag);
	err = store->session_get(store->impl, hash, T0, &s);
	ck_assert(err == TS_ERR_OK || err == TS_ERR_STORE_NOT_FOUND);
	same = err == TS_ERR_OK && strcmp(s.payload, extras) == 0;
	ts_sso_session_clear(&s);
	return same;
}

static bool code_stored(const char *tag)
{
	char hash[32], *payload = NULL;
	size_t len = 0;
	ts_err err;
	bool same;

	snprintf(hash, sizeof hash, "c(%s)", tag);
	err = store->code_take(store->impl, hash, T0, &payload, &len);
	ck_assert(err == TS_ERR_OK || err == TS_ERR_STORE_NOT_FOUND);
	same = err == TS_ERR_OK && strcmp(payload, code_payload) == 0;
	free(payload);
	return same;
}

/* Claims key now: true when it was claimed before (a replay). */
static bool key_claimed(const char *key)
{
	ts_err err = store->replay_claim(store->impl, key, T0 + 600, T0);

	ck_assert(err == TS_ERR_OK || err == TS_ERR_SAML_REPLAY);
	return err == TS_ERR_SAML_REPLAY;
}

static ts_err get_request(const char *id, ts_time now)
{
	struct ts_signin_pending out;
	ts_err err = store->request_get(store->impl, id, now, &out);

	if (err == TS_ERR_OK) {
		ck_assert_str_eq(out.id, id);
		ck_assert_str_eq(out.pool, "pool1");
		ck_assert_str_eq(out.return_url, "/meet");
	} else {
		ck_assert_ptr_null(out.id);
	}
	ts_signin_pending_clear(&out);
	return err;
}

/* Nothing of s was written: no session, no code, and what reading its
 * request at T0 says is request (OK: still outstanding). */
static void assert_nothing_written(const struct signin *s, ts_err request)
{
	const char *tag = s->session_hash + 2; /* "s(" */
	char name[32];

	snprintf(name, sizeof name, "%.*s", (int)strlen(tag) - 1, tag);
	ck_assert_msg(!session_stored(name), "session of %s written", name);
	ck_assert_msg(!code_stored(name), "code of %s written", name);
	ck_assert_int_eq(get_request(s->c.request_id, T0), request);
}

START_TEST(test_request_get_leaves_it)
{
	put_request("_r1", T0 + 300);
	ck_assert_int_eq(get_request("_r1", T0 + 299), TS_ERR_OK);
	ck_assert_int_eq(get_request("_r1", T0 + 299), TS_ERR_OK);
	ck_assert_int_eq(get_request("_r1", T0 + 300), TS_ERR_STORE_EXPIRED);
	ck_assert_int_eq(get_request("_none", T0), TS_ERR_STORE_NOT_FOUND);
	ck_assert_int_eq(get_request("", T0), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_complete_writes_everything)
{
	struct signin one;

	signin_init(&one, "_r1", "adfs\n_a1", "one");
	put_request("_r1", T0 + 300);
	ck_assert_int_eq(complete(&one.c), TS_ERR_OK);
	ck_assert_int_eq(get_request("_r1", T0), TS_ERR_STORE_NOT_FOUND);
	ck_assert(session_stored("one"));
	ck_assert(code_stored("one"));
	ck_assert(key_claimed("adfs\n_a1"));
}
END_TEST

START_TEST(test_complete_without_code)
{
	struct signin sts;

	signin_init(&sts, "_r1", "adfs\n_a1", "sts");
	sts.c.code_hash = NULL;
	put_request("_r1", T0 + 300);
	ck_assert_int_eq(complete(&sts.c), TS_ERR_OK);
	ck_assert(session_stored("sts"));
	ck_assert(!code_stored("sts"));
}
END_TEST

/* Each refusal writes nothing: no session, no code, no key, and the
 * request, when there was one, still outstanding. */
START_TEST(test_complete_request_gone_writes_nothing)
{
	struct signin gone;

	signin_init(&gone, "_never", "adfs\n_a1", "gone");
	ck_assert_int_eq(complete(&gone.c), TS_ERR_STORE_NOT_FOUND);
	assert_nothing_written(&gone, TS_ERR_STORE_NOT_FOUND);
	ck_assert(!key_claimed("adfs\n_a1"));
}
END_TEST

START_TEST(test_complete_request_expired)
{
	struct signin late;

	signin_init(&late, "_r1", "adfs\n_a1", "late");
	put_request("_r1", T0 + 300);
	late.c.now = T0 + 300;
	ck_assert_int_eq(complete(&late.c), TS_ERR_STORE_EXPIRED);
	assert_nothing_written(&late, TS_ERR_OK); /* prune's to delete */
	ck_assert(!key_claimed("adfs\n_a1"));
}
END_TEST

START_TEST(test_complete_replay_writes_nothing)
{
	struct signin replayed;

	signin_init(&replayed, "_r2", "adfs\n_a1", "replayed");
	ck_assert(!key_claimed("adfs\n_a1"));
	put_request("_r2", T0 + 300);
	ck_assert_int_eq(complete(&replayed.c), TS_ERR_SAML_REPLAY);
	assert_nothing_written(&replayed, TS_ERR_OK);
}
END_TEST

START_TEST(test_complete_duplicate_code_undoes_the_rest)
{
	struct signin dup;

	signin_init(&dup, "_r3", "adfs\n_a3", "dup");
	ck_assert_int_eq(store->code_put(store->impl, dup.code_hash, "x", 1, T0 + 30), TS_ERR_OK);
	put_request("_r3", T0 + 300);
	ck_assert_int_eq(complete(&dup.c), TS_ERR_STORE_DUPLICATE);
	assert_nothing_written(&dup, TS_ERR_OK);
	ck_assert(!key_claimed("adfs\n_a3"));
}
END_TEST

START_TEST(test_complete_bad_input)
{
	struct signin bad;

	put_request("_r4", T0 + 300);
	signin_init(&bad, "_r4", "adfs\n_a4", "bad");
	bad.c.session.payload_len = 0;
	ck_assert_int_eq(complete(&bad.c), TS_ERR_INVALID_ARGUMENT);
	signin_init(&bad, "_r4", "adfs\n_a4", "bad");
	bad.c.replay_expires_at = T0;
	ck_assert_int_eq(complete(&bad.c), TS_ERR_INVALID_ARGUMENT);
	signin_init(&bad, "_r4", "adfs\n_a4", "bad");
	bad.c.code_payload = NULL;
	ck_assert_int_eq(complete(&bad.c), TS_ERR_INVALID_ARGUMENT);
	assert_nothing_written(&bad, TS_ERR_OK);
	ck_assert(!key_claimed("adfs\n_a4"));
}
END_TEST

/* Three sign-ins tagged P0..P2, their requests _P0.._P2 outstanding, the
 * middle one's assertion claimed before (a replay). */
static void batch_with_replay(const char *p, struct signin m[3], struct ts_signin_completion c[3])
{
	for (int i = 0; i < 3; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "%s%d", p, i);
		snprintf(m[i].id, sizeof m[i].id, "_%s", tag);
		snprintf(m[i].key, sizeof m[i].key, "adfs\n_%s", i == 1 ? "taken" : tag);
		signin_init(&m[i], m[i].id, m[i].key, tag);
		c[i] = m[i].c;
		put_request(m[i].id, T0 + 300);
	}
	ck_assert(!key_claimed("adfs\n_taken"));
}

/* Three in one transaction, the middle one a replay: the others stand. */
START_TEST(test_complete_many_refuses_one)
{
	struct signin m[3];
	struct ts_signin_completion c[3];
	ts_err errs[3];

	batch_with_replay("m", m, c);
	ck_assert_int_eq(store->signin_complete_many(store->impl, c, 3, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[0], TS_ERR_OK);
	ck_assert_int_eq(errs[1], TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(errs[2], TS_ERR_OK);
	ck_assert(session_stored("m0") && code_stored("m0"));
	assert_nothing_written(&m[1], TS_ERR_OK);
	ck_assert(session_stored("m2") && code_stored("m2"));
	ck_assert(key_claimed("adfs\n_m0") && key_claimed("adfs\n_m2"));
}
END_TEST

/* The bound on outstanding requests counts what the batch really took: a
 * refused sign-in's take is rolled back with its savepoint, count and all. */
START_TEST(test_complete_many_request_count_follows_rollback)
{
	struct ts_store_limits limits = {TS_STORE_REPLAY_ENTRIES_DEFAULT, 3};
	struct ts_signin_pending more = {.pool = "pool1", .idp = "adfs", .return_url = "/",
					 .created = T0, .expires_at = T0 + 300};
	struct signin m[3];
	struct ts_signin_completion c[3];
	ts_err errs[3];

	ts_store_close(store);
	ck_assert_int_eq(ts_store_sqlite_open_limits(":memory:", &limits, &store), TS_ERR_OK);
	other = store;
	batch_with_replay("k", m, c);
	ck_assert_int_eq(store->signin_complete_many(store->impl, c, 3, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[1], TS_ERR_SAML_REPLAY);
	/* _k1 stands: two places free, not three. */
	more.id = "_more1";
	ck_assert_int_eq(store->request_put(store->impl, &more), TS_ERR_OK);
	more.id = "_more2";
	ck_assert_int_eq(store->request_put(store->impl, &more), TS_ERR_OK);
	more.id = "_more3";
	ck_assert_int_eq(store->request_put(store->impl, &more), TS_ERR_STORE_FULL);
}
END_TEST

/* Two sign-ins of one batch answering the same request: the first wins. */
START_TEST(test_complete_many_same_request)
{
	struct signin first, second;
	struct ts_signin_completion c[2];
	ts_err errs[2];

	signin_init(&first, "_same", "adfs\n_c0", "first");
	signin_init(&second, "_same", "adfs\n_c1", "second");
	c[0] = first.c;
	c[1] = second.c;

	put_request("_same", T0 + 300);
	ck_assert_int_eq(store->signin_complete_many(store->impl, c, 2, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[0], TS_ERR_OK);
	ck_assert_int_eq(errs[1], TS_ERR_STORE_NOT_FOUND);
	ck_assert(session_stored("first"));
	ck_assert(!session_stored("second"));
	ck_assert(!key_claimed("adfs\n_c1"));
}
END_TEST

/* THREADS threads complete one request at once, each with its own
 * assertion, half of them through the other handle: exactly one sign-in is
 * written. */
struct racer {
	pthread_barrier_t *start;
	struct ts_store *on;
	struct signin s;
	ts_err result, row;
};

static void *race_one(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->start);
	r->result = r->on->signin_complete_many(r->on->impl, &r->s.c, 1, &r->row);
	return NULL;
}

START_TEST(test_race_one_request)
{
	for (int round = 0; round < 20; round++) {
		pthread_barrier_t start;
		struct racer racers[THREADS];
		pthread_t threads[THREADS];
		char keys[THREADS][32], tags[THREADS][32], id[32];
		int wins = 0;

		snprintf(id, sizeof id, "_race%d", round);
		put_request(id, T0 + 300);
		ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
		for (int i = 0; i < THREADS; i++) {
			snprintf(keys[i], sizeof keys[i], "adfs\n_r%d_%d", round, i);
			snprintf(tags[i], sizeof tags[i], "r%d_%d", round, i);
			racers[i] = (struct racer){.start = &start, .on = i % 2 ? other : store};
			signin_init(&racers[i].s, id, keys[i], tags[i]);
			ck_assert_int_eq(pthread_create(&threads[i], NULL, race_one, &racers[i]), 0);
		}
		for (int i = 0; i < THREADS; i++)
			ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < THREADS; i++) {
			ck_assert_int_eq(racers[i].result, TS_ERR_OK);
			if (racers[i].row == TS_ERR_OK) {
				wins++;
				ck_assert(session_stored(tags[i]));
			} else {
				ck_assert_int_eq(racers[i].row, TS_ERR_STORE_NOT_FOUND);
				ck_assert(!session_stored(tags[i]));
			}
		}
		ck_assert_int_eq(wins, 1);
	}
}
END_TEST

static Suite *complete_suite(void)
{
	Suite *s = suite_create("signin_complete");
	TCase *tc = tcase_create("complete");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_request_get_leaves_it);
	tcase_add_test(tc, test_complete_writes_everything);
	tcase_add_test(tc, test_complete_without_code);
	tcase_add_test(tc, test_complete_request_gone_writes_nothing);
	tcase_add_test(tc, test_complete_request_expired);
	tcase_add_test(tc, test_complete_replay_writes_nothing);
	tcase_add_test(tc, test_complete_duplicate_code_undoes_the_rest);
	tcase_add_test(tc, test_complete_bad_input);
	tcase_add_test(tc, test_complete_many_refuses_one);
	tcase_add_test(tc, test_complete_many_request_count_follows_rollback);
	tcase_add_test(tc, test_complete_many_same_request);
	tcase_add_test(tc, test_race_one_request);
	suite_add_tcase(s, tc);

	/* Two connections to one file: WAL, BEGIN IMMEDIATE and the busy
	 * timeout between them, as between two processes. */
	tc = tcase_create("file");
	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, file_case_setup, file_case_teardown);
	tcase_add_checked_fixture(tc, file_setup, teardown);
	tcase_add_test(tc, test_race_one_request);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(complete_suite());

	return ts_test_run(sr, "check_signin_complete");
}
