/* Check suite for store/: every operation's success and each of its
 * refusals as its own test, prune, the migration from schema 1, races
 * between threads, and durability across a kill -9. In-memory databases
 * unless the test is about the file; a fixed time T0 throughout. A test
 * fails when the store logs an error the test did not expect. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tessera/clock.h"
#include "tessera/log.h"
#include "tessera/store.h"
#include "test_dir.h"

#define T0 1764042000 /* 2025-11-25T03:40:00Z */
#define THREADS 8

/* ---- fixture: an in-memory store, a temp dir, the log in memory ---- */

static struct {
	struct ts_store *store;
	char dir[256];
	char path[300];
	char *log;
	size_t log_len;
	FILE *log_stream;
	bool errors_expected; /* the test provokes level=err lines */
} fx;

/* One directory per test case, made and removed in Check's parent process:
 * a test whose assertion fails ends its own process at once, without its
 * teardown, and its files go all the same. */
static char case_dir[200];

static void case_setup(void)
{
	ts_test_dir_make(case_dir, sizeof case_dir, "ts-check-store");
}

static void case_teardown(void)
{
	ck_assert_msg(ts_test_dir_remove(case_dir), "%s: %s",
		      case_dir, strerror(errno));
}

/* The test's database, then its directory: rmdir fails if anything else
 * was left. */
static bool remove_dir(void)
{
	return ts_test_db_remove(fx.path) && rmdir(fx.dir) == 0;
}

/* A fresh, empty log. The old stream is closed first: closing writes its
 * buffer's address back into fx.log. */
static void log_restart(void)
{
	ts_log_set_stream(NULL);
	if (fx.log_stream != NULL)
		fclose(fx.log_stream);
	free(fx.log);
	fx.log = NULL;
	fx.log_stream = open_memstream(&fx.log, &fx.log_len);
	ck_assert_ptr_nonnull(fx.log_stream);
	ts_log_set_stream(fx.log_stream);
}

static void setup(void)
{
	memset(&fx, 0, sizeof fx);
	log_restart();
	ts_log_set_level(TS_LOG_DEBUG);
	snprintf(fx.dir, sizeof fx.dir, "%s/test.XXXXXX", case_dir);
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(fx.path, sizeof fx.path, "%s/state.db", fx.dir);
	ck_assert_int_eq(ts_store_sqlite_open(":memory:", &fx.store), TS_ERR_OK);
}

static void teardown(void)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	fflush(fx.log_stream);
	ck_assert_msg(fx.errors_expected || fx.log == NULL || strstr(fx.log, "level=err") == NULL,
		      "unexpected error logged: %s", fx.log);
	ck_assert_msg(remove_dir(), "%s: files left behind", fx.dir);
	ts_log_set_stream(NULL);
	fclose(fx.log_stream);
	free(fx.log);
	fx.log_stream = NULL;
	fx.log = NULL;
}

static bool logged(const char *needle)
{
	fflush(fx.log_stream);
	return fx.log != NULL && strstr(fx.log, needle) != NULL;
}

/* Replaces the fixture's store by one on path. */
static void reopen(const char *path)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	ck_assert_int_eq(ts_store_sqlite_open(path, &fx.store), TS_ERR_OK);
}

/* The same with at most replay_entries replay keys and requests
 * outstanding requests. */
static void reopen_with_caps(const char *path, size_t replay_entries, size_t requests)
{
	struct ts_store_limits limits = {replay_entries, requests};

	ts_store_close(fx.store);
	fx.store = NULL;
	ck_assert_int_eq(ts_store_sqlite_open_limits(path, &limits, &fx.store), TS_ERR_OK);
}

/* The store under test and its backend state, as every call takes them. */
#define STORE (fx.store)
#define IMPL (fx.store->impl)

static ts_err count_revocation(void *arg, const struct ts_revocation *rev)
{
	(void)rev;
	++*(size_t *)arg;
	return TS_ERR_OK;
}

/* The two calls most tests make most often. */
static ts_err claim(const char *key, ts_time expires_at, ts_time now)
{
	return fx.store->replay_claim(fx.store->impl, key, expires_at, now);
}

static ts_err take_code(const char *code_hash, ts_time now, char **payload, size_t *len)
{
	return fx.store->code_take(fx.store->impl, code_hash, now, payload, len);
}

/* ---- outstanding sign-in requests ---- */

/* Binding hashes (broker/browser_bind.h) as the broker stores them. */
#define BROWSER_HASH "5d41402abc4b2a76b9719d911017c592ae2f2ae8b6e3d5c5f1f3b8a7e6d4c3b2"
#define POOL_BIND_HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct ts_signin_pending request(char *id, ts_time expires_at)
{
	struct ts_signin_pending p = {
		.id = id,
		.pool = "pool1.example.org",
		.idp = "adfs",
		.return_url = "https://pool1.example.org/passiveauth?x=1",
		.flags = TS_SIGNIN_MFA_REQUIRED | TS_SIGNIN_FORCE_AUTHN,
		.created = T0,
		.expires_at = expires_at,
		.browser = BROWSER_HASH,
		.pool_bind = POOL_BIND_HASH,
	};
	return p;
}

START_TEST(test_request_put_take_single_use)
{
	struct ts_signin_pending in = request("_a1b2c3", T0 + 300), out;

	ck_assert_int_eq(STORE->request_put(IMPL, &in), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_take(IMPL, "_a1b2c3", T0 + 299, &out), TS_ERR_OK);
	ck_assert_str_eq(out.id, "_a1b2c3");
	ck_assert_str_eq(out.pool, in.pool);
	ck_assert_str_eq(out.idp, in.idp);
	ck_assert_str_eq(out.return_url, in.return_url);
	ck_assert_uint_eq(out.flags, TS_SIGNIN_MFA_REQUIRED | TS_SIGNIN_FORCE_AUTHN);
	ck_assert_int_eq(out.created, T0);
	ck_assert_int_eq(out.expires_at, T0 + 300);
	ck_assert_str_eq(out.browser, BROWSER_HASH);
	ck_assert_str_eq(out.pool_bind, POOL_BIND_HASH);
	ts_signin_pending_clear(&out);
	ck_assert_ptr_null(out.id);
	ck_assert_int_eq(STORE->request_take(IMPL, "_a1b2c3", T0 + 1, &out),
			 TS_ERR_STORE_NOT_FOUND);
	ck_assert_ptr_null(out.id);
}
END_TEST

/* A binding is a hash or nothing: anything else is refused, not stored. */
START_TEST(test_request_binding_checked)
{
	struct ts_signin_pending in = request("_bind", T0 + 300), out;

	snprintf(in.browser, sizeof in.browser, "%s", "not a hash");
	ck_assert_int_eq(STORE->request_put(IMPL, &in), TS_ERR_INVALID_ARGUMENT);
	snprintf(in.browser, sizeof in.browser, "%s", BROWSER_HASH);
	in.pool_bind[10] = 'X';
	ck_assert_int_eq(STORE->request_put(IMPL, &in), TS_ERR_INVALID_ARGUMENT);
	/* A pool's wsignin1.0 has no hand-over code to bind. */
	in.pool_bind[0] = '\0';
	ck_assert_int_eq(STORE->request_put(IMPL, &in), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_get(IMPL, "_bind", T0, &out), TS_ERR_OK);
	ck_assert_str_eq(out.browser, BROWSER_HASH);
	ck_assert_str_eq(out.pool_bind, "");
	ts_signin_pending_clear(&out);
}
END_TEST

START_TEST(test_request_take_after_expiry)
{
	struct ts_signin_pending in = request("_exp", T0 + 300), out;

	ck_assert_int_eq(STORE->request_put(IMPL, &in), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_take(IMPL, "_exp", T0 + 300, &out), TS_ERR_STORE_EXPIRED);
	ck_assert_ptr_null(out.id);
	/* Used up by the expired take: it is gone, not waiting for prune. */
	ck_assert_int_eq(STORE->request_take(IMPL, "_exp", T0, &out), TS_ERR_STORE_NOT_FOUND);
}
END_TEST

START_TEST(test_request_unknown)
{
	struct ts_signin_pending out;

	ck_assert_int_eq(STORE->request_take(IMPL, "_never", T0, &out), TS_ERR_STORE_NOT_FOUND);
	ck_assert_ptr_null(out.pool);
}
END_TEST

START_TEST(test_request_duplicate_put_refused)
{
	struct ts_signin_pending first = request("_dup", T0 + 300),
				 second = request("_dup", T0 + 900), out;

	second.pool = "pool2.example.org";
	ck_assert_int_eq(STORE->request_put(IMPL, &first), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &second), TS_ERR_STORE_DUPLICATE);
	/* The first stands as it was. */
	ck_assert_int_eq(STORE->request_take(IMPL, "_dup", T0, &out), TS_ERR_OK);
	ck_assert_str_eq(out.pool, "pool1.example.org");
	ck_assert_int_eq(out.expires_at, T0 + 300);
	ts_signin_pending_clear(&out);
}
END_TEST

/* A batch is one transaction, but a refused request refuses only itself. */
START_TEST(test_request_put_many)
{
	struct ts_signin_pending reqs[4] = {request("_b1", T0 + 300), request("_b2", T0 + 300),
					    request("_b1", T0 + 600), request("_b4", T0)},
				 out;
	ts_err errs[4];

	ck_assert_int_eq(STORE->request_put_many(IMPL, reqs, 4, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[0], TS_ERR_OK);
	ck_assert_int_eq(errs[1], TS_ERR_OK);
	ck_assert_int_eq(errs[2], TS_ERR_STORE_DUPLICATE);
	ck_assert_int_eq(errs[3], TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(STORE->request_take(IMPL, "_b1", T0, &out), TS_ERR_OK);
	ck_assert_int_eq(out.expires_at, T0 + 300); /* the first _b1, not the refused one */
	ts_signin_pending_clear(&out);
	ck_assert_int_eq(STORE->request_take(IMPL, "_b2", T0, &out), TS_ERR_OK);
	ts_signin_pending_clear(&out);
	ck_assert_int_eq(STORE->request_take(IMPL, "_b4", T0, &out), TS_ERR_STORE_NOT_FOUND);
	ck_assert_int_eq(STORE->request_put_many(IMPL, reqs, 0, errs), TS_ERR_OK);
}
END_TEST

START_TEST(test_request_bad_arguments)
{
	char id[TS_STORE_REQUEST_ID_MAX + 2];
	struct ts_signin_pending p = request(id, T0 + 300), out;

	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_TOO_LARGE);
	ck_assert_int_eq(STORE->request_take(IMPL, id, T0, &out), TS_ERR_TOO_LARGE);
	id[TS_STORE_REQUEST_ID_MAX] = '\0'; /* exactly the maximum */
	ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_OK);
	p.id = "";
	ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_INVALID_ARGUMENT);
	p.id = "_x", p.idp = NULL;
	ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_INVALID_ARGUMENT);
	p = request("_x", T0);
	ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

/* At most outstanding_requests: a flood of /signin fills no disk. A take
 * or a prune makes room; an unexpired request is never evicted. */
START_TEST(test_request_cap_refuses_then_frees)
{
	struct ts_signin_pending r1 = request("_c1", T0 + 100), r2 = request("_c2", T0 + 100),
				 r3 = request("_c3", T0 + 200), r4 = request("_c4", T0 + 300), out;
	struct ts_store_prune_counts c;

	reopen_with_caps(":memory:", 10, 3);
	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &r2), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &r3), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &r4), TS_ERR_STORE_FULL);
	ck_assert(logged("level=warn event=signin_requests_full error=STORE_FULL entries=3"
			 " refused=1"));
	/* Full is no excuse to forget: every request stands. */
	ck_assert_int_eq(STORE->request_take(IMPL, "_c1", T0, &out), TS_ERR_OK);
	ts_signin_pending_clear(&out);
	ck_assert_int_eq(STORE->request_put(IMPL, &r4), TS_ERR_OK);
	r1.id = "_c5";
	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_STORE_FULL);
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 100, &c), TS_ERR_OK);
	ck_assert_uint_eq(c.requests, 1);
	r1.expires_at = T0 + 400;
	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_get(IMPL, "_c3", T0, &out), TS_ERR_OK);
	ts_signin_pending_clear(&out);
}
END_TEST

/* A full batch sweeps expired requests first; what still does not fit is
 * refused row by row, the rest stored. */
START_TEST(test_request_full_batch_sweeps_expired)
{
	struct ts_signin_pending old = request("_old", T0 + 10), live = request("_live", T0 + 50),
				 batch[3] = {request("_n1", T0 + 60), request("_n1", T0 + 60),
					     request("_n2", T0 + 60)},
				 out;
	ts_err errs[3];

	reopen_with_caps(":memory:", 10, 3);
	ck_assert_int_eq(STORE->request_put(IMPL, &old), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &live), TS_ERR_OK);
	for (int i = 0; i < 3; i++)
		batch[i].created = T0 + 10;
	ck_assert_int_eq(STORE->request_put_many(IMPL, batch, 3, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[0], TS_ERR_OK);
	ck_assert_int_eq(errs[1], TS_ERR_STORE_DUPLICATE); /* takes no place */
	ck_assert_int_eq(errs[2], TS_ERR_OK);
	ck_assert_int_eq(STORE->request_get(IMPL, "_old", T0, &out), TS_ERR_STORE_NOT_FOUND);
	ck_assert_int_eq(STORE->request_get(IMPL, "_live", T0, &out), TS_ERR_OK);
	ts_signin_pending_clear(&out);
	batch[0].id = "_n3";
	ck_assert_int_eq(STORE->request_put_many(IMPL, batch, 1, errs), TS_ERR_OK);
	ck_assert_int_eq(errs[0], TS_ERR_STORE_FULL);
}
END_TEST

/* ---- replay cache ---- */

START_TEST(test_replay_first_claim_then_replay)
{
	ck_assert_int_eq(claim("adfs\n_id1", T0 + 600, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_id1", T0 + 600, T0 + 1), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(claim("adfs\n_id1", T0 + 900, T0 + 599), TS_ERR_SAML_REPLAY);
	/* The same ID from another IdP is another assertion. */
	ck_assert_int_eq(claim("okta\n_id1", T0 + 600, T0), TS_ERR_OK);
}
END_TEST

START_TEST(test_replay_after_expiry)
{
	ck_assert_int_eq(claim("adfs\n_id2", T0 + 600, T0), TS_ERR_OK);
	/* Expired: the validator refuses the assertion itself by then, so the
	 * key may be claimed again (and is guarded anew). */
	ck_assert_int_eq(claim("adfs\n_id2", T0 + 1200, T0 + 600), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_id2", T0 + 1200, T0 + 601), TS_ERR_SAML_REPLAY);
}
END_TEST

START_TEST(test_replay_bad_arguments)
{
	char key[TS_STORE_REPLAY_KEY_MAX + 2];

	memset(key, 'k', sizeof key - 1);
	key[sizeof key - 1] = '\0';
	ck_assert_int_eq(claim(key, T0 + 60, T0), TS_ERR_TOO_LARGE);
	ck_assert_int_eq(claim("", T0 + 60, T0), TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(claim("adfs\n_late", T0, T0), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_replay_cap_refuses_then_prune_frees)
{
	struct ts_store_prune_counts c;

	reopen_with_caps(":memory:", 3, TS_STORE_REQUESTS_DEFAULT);
	ck_assert_int_eq(claim("adfs\n_1", T0 + 100, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_2", T0 + 100, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 200, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_4", T0 + 100, T0 + 1), TS_ERR_STORE_FULL);
	ck_assert(logged("level=warn event=replay_cache_full error=STORE_FULL entries=3"));
	/* Full is no excuse to forget: every claimed key is still a replay. */
	ck_assert_int_eq(claim("adfs\n_1", T0 + 100, T0 + 1), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 200, T0 + 1), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(claim("adfs\n_4", T0 + 100, T0 + 1), TS_ERR_STORE_FULL);
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 100, &c), TS_ERR_OK);
	ck_assert_uint_eq(c.replay, 2);
	ck_assert_int_eq(claim("adfs\n_4", T0 + 300, T0 + 100), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_5", T0 + 300, T0 + 100), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_6", T0 + 300, T0 + 100), TS_ERR_STORE_FULL);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 200, T0 + 100), TS_ERR_SAML_REPLAY);
}
END_TEST

START_TEST(test_replay_full_claim_sweeps_expired)
{
	reopen_with_caps(":memory:", 2, TS_STORE_REQUESTS_DEFAULT);
	ck_assert_int_eq(claim("adfs\n_1", T0 + 10, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_2", T0 + 50, T0), TS_ERR_OK);
	/* Full, but _1 has expired: the claim sweeps it and fits. */
	ck_assert_int_eq(claim("adfs\n_3", T0 + 50, T0 + 10), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_4", T0 + 50, T0 + 10), TS_ERR_STORE_FULL);
	ck_assert_int_eq(claim("adfs\n_2", T0 + 50, T0 + 10), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 50, T0 + 10), TS_ERR_SAML_REPLAY);
}
END_TEST

START_TEST(test_zero_limits_refused)
{
	struct ts_store_limits no_replay = {0, 1}, no_requests = {1, 0};
	struct ts_store *store = NULL;

	ck_assert_int_eq(ts_store_sqlite_open_limits(":memory:", &no_replay, &store),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_store_sqlite_open_limits(":memory:", &no_requests, &store),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(store);
}
END_TEST

/* ---- single-use codes ---- */

START_TEST(test_code_single_use)
{
	static const char payload[] = "{\"sub\":\"alice\",\"pool\":\"pool1\"}";
	char *got = NULL;
	size_t len = 0;

	ck_assert_int_eq(STORE->code_put(IMPL, "h(code1)", payload, sizeof payload - 1, T0 + 60),
			 TS_ERR_OK);
	ck_assert_int_eq(take_code("h(code1)", T0 + 59, &got, &len), TS_ERR_OK);
	ck_assert_uint_eq(len, sizeof payload - 1);
	ck_assert_str_eq(got, payload); /* NUL-terminated after len */
	free(got);
	ck_assert_int_eq(take_code("h(code1)", T0 + 1, &got, &len), TS_ERR_STORE_NOT_FOUND);
	ck_assert_ptr_null(got);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(take_code("h(never)", T0, &got, &len), TS_ERR_STORE_NOT_FOUND);
}
END_TEST

START_TEST(test_code_take_after_expiry)
{
	char *got = NULL;
	size_t len = 0;

	ck_assert_int_eq(STORE->code_put(IMPL, "h(code2)", "x", 1, T0 + 60), TS_ERR_OK);
	ck_assert_int_eq(take_code("h(code2)", T0 + 60, &got, &len), TS_ERR_STORE_EXPIRED);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(take_code("h(code2)", T0, &got, &len), TS_ERR_STORE_NOT_FOUND);
}
END_TEST

START_TEST(test_code_duplicate_put_refused)
{
	char *got = NULL;
	size_t len = 0;

	ck_assert_int_eq(STORE->code_put(IMPL, "h(code3)", "first", 5, T0 + 60), TS_ERR_OK);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(code3)", "second", 6, T0 + 60),
			 TS_ERR_STORE_DUPLICATE);
	ck_assert_int_eq(take_code("h(code3)", T0, &got, &len), TS_ERR_OK);
	ck_assert_str_eq(got, "first");
	free(got);
}
END_TEST

START_TEST(test_code_binary_and_empty_payload)
{
	static const char bin[] = {'a', '\0', 'b', '\n', '\xff'};
	char *got = NULL, *big = calloc(1, TS_STORE_PAYLOAD_MAX + 1);
	size_t len = 0;

	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(bin)", bin, sizeof bin, T0 + 60), TS_ERR_OK);
	ck_assert_int_eq(take_code("h(bin)", T0, &got, &len), TS_ERR_OK);
	ck_assert_uint_eq(len, sizeof bin);
	ck_assert_mem_eq(got, bin, sizeof bin);
	free(got);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(empty)", "", 0, T0 + 60), TS_ERR_OK);
	ck_assert_int_eq(take_code("h(empty)", T0, &got, &len), TS_ERR_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(got, "");
	free(got);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(null)", NULL, 0, T0 + 60),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(big)", big, TS_STORE_PAYLOAD_MAX + 1, T0 + 60),
			 TS_ERR_TOO_LARGE);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(max)", big, TS_STORE_PAYLOAD_MAX, T0 + 60),
			 TS_ERR_OK);
	free(big);
}
END_TEST

/* ---- SSO sessions and their tickets ---- */

static const char session_json[] = "{\"sub\":\"alice\",\"mfa\":true}";

static void put_session(char *id_hash, ts_time expires_at)
{
	struct ts_sso_session s = {.id_hash = id_hash,
				   .subject = "alice@example.org",
				   .payload = (char *)session_json,
				   .payload_len = sizeof session_json - 1,
				   .created = T0,
				   .expires_at = expires_at};

	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_OK);
}

START_TEST(test_session_put_get)
{
	struct ts_sso_session out;

	put_session("h(sess1)", T0 + 3600);
	ck_assert_int_eq(STORE->session_get(IMPL, "h(sess1)", T0 + 3599, &out), TS_ERR_OK);
	ck_assert_str_eq(out.id_hash, "h(sess1)");
	ck_assert_str_eq(out.subject, "alice@example.org");
	ck_assert_uint_eq(out.payload_len, sizeof session_json - 1);
	ck_assert_str_eq(out.payload, session_json);
	ck_assert_int_eq(out.created, T0);
	ck_assert_int_eq(out.expires_at, T0 + 3600);
	ts_sso_session_clear(&out);
	ck_assert_ptr_null(out.payload);
	/* A get is not a take. */
	ck_assert_int_eq(STORE->session_get(IMPL, "h(sess1)", T0, &out), TS_ERR_OK);
	ts_sso_session_clear(&out);
	ck_assert_int_eq(STORE->session_get(IMPL, "h(nosuch)", T0, &out), TS_ERR_STORE_NOT_FOUND);
	ck_assert_ptr_null(out.subject);
}
END_TEST

START_TEST(test_session_expired)
{
	struct ts_sso_session out;

	put_session("h(sess2)", T0 + 3600);
	ck_assert_int_eq(STORE->session_get(IMPL, "h(sess2)", T0 + 3600, &out),
			 TS_ERR_STORE_EXPIRED);
	ck_assert_ptr_null(out.payload);
}
END_TEST

START_TEST(test_session_end_unknown)
{
	struct ts_revocation own = {TS_REVOKE_JTI, "sess-jti", 8, 0, T0 + 3700};
	struct ts_sso_session out;
	size_t held = 0, revoked = 0;

	put_session("h(sess3)", T0 + 3600);
	ck_assert_int_eq(STORE->session_end(IMPL, "h(sess3)", &own, 60, count_revocation, &held),
			 TS_ERR_OK);
	ck_assert_int_eq(STORE->session_get(IMPL, "h(sess3)", T0, &out), TS_ERR_STORE_NOT_FOUND);
	/* Gone (signed out before, or pruned): its own ticket is revoked all the same. */
	own.key = "jti-2", own.key_len = 5;
	ck_assert_int_eq(STORE->session_end(IMPL, "h(sess3)", &own, 60, count_revocation, &held),
			 TS_ERR_OK);
	ck_assert_uint_eq(held, 2);
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, count_revocation, &revoked), TS_ERR_OK);
	ck_assert_uint_eq(revoked, 2);
	own.kind = TS_REVOKE_USER;
	ck_assert_int_eq(STORE->session_end(IMPL, "h(sess3)", &own, 60, count_revocation, &held),
			 TS_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_session_duplicate_and_bad_arguments)
{
	struct ts_sso_session s = {"h(sess4)", "bob", "{}", 2, T0, T0 + 60};

	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_STORE_DUPLICATE);
	s.id_hash = "h(sess5)", s.payload_len = 0;
	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_INVALID_ARGUMENT);
	s.payload_len = TS_STORE_PAYLOAD_MAX + 1;
	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_TOO_LARGE);
	s.payload_len = 2, s.expires_at = T0;
	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_INVALID_ARGUMENT);
	s.expires_at = T0 + 60, s.subject = "";
	ck_assert_int_eq(STORE->session_put(IMPL, &s), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

struct seen {
	char jti[8][32];
	ts_time exp[8];
	size_t n;
	size_t fail_at; /* visit number n (from 1) fails; 0: none */
};

static ts_err see_revocation(void *arg, const struct ts_revocation *rev)
{
	struct seen *seen = arg;

	ck_assert_int_eq(rev->kind, TS_REVOKE_JTI);
	ck_assert_uint_lt(seen->n, 8);
	ck_assert_uint_lt(rev->key_len, sizeof seen->jti[0]);
	memcpy(seen->jti[seen->n], rev->key, rev->key_len);
	seen->jti[seen->n][rev->key_len] = '\0';
	seen->exp[seen->n++] = rev->expires_at;
	return seen->n == seen->fail_at ? TS_ERR_TICKET_REVOKED : TS_ERR_OK;
}

static ts_time seen_exp(const struct seen *seen, const char *jti)
{
	for (size_t i = 0; i < seen->n; i++)
		if (strcmp(seen->jti[i], jti) == 0)
			return seen->exp[i];
	return -1;
}

static ts_err end_session(const char *id_hash, struct seen *seen)
{
	struct ts_revocation own = {TS_REVOKE_JTI, "own", 3, 0, T0 + 4000};

	return STORE->session_end(IMPL, id_hash, &own, 60, see_revocation, seen);
}

START_TEST(test_session_end_revokes_its_tickets)
{
	struct seen seen = {0}, stored = {0};

	put_session("h(sess6)", T0 + 3600);
	put_session("h(other)", T0 + 3600);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-a", T0 + 100), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-b", T0 + 200), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-c", T0 + 300), TS_ERR_OK);
	/* Again: the later exp stays, and no second record. */
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-a", T0 + 150), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-a", T0 + 50), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(other)", "jti-z", T0 + 100), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(nosuch)", "jti-y", T0 + 100),
			 TS_ERR_STORE_NOT_FOUND);

	ck_assert_int_eq(end_session("h(sess6)", &seen), TS_ERR_OK);
	ck_assert_uint_eq(seen.n, 4);
	ck_assert_str_eq(seen.jti[0], "own");
	ck_assert_int_eq(seen.exp[0], T0 + 4000);
	ck_assert_int_eq(seen_exp(&seen, "jti-a"), T0 + 150 + 60);
	ck_assert_int_eq(seen_exp(&seen, "jti-b"), T0 + 200 + 60);
	ck_assert_int_eq(seen_exp(&seen, "jti-c"), T0 + 300 + 60);
	/* What visit saw is what the store holds. */
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, see_revocation, &stored), TS_ERR_OK);
	ck_assert_uint_eq(stored.n, 4);
	ck_assert_int_eq(seen_exp(&stored, "jti-b"), T0 + 200 + 60);

	/* The session and its records are gone; a ticket added now is refused. */
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(sess6)", "jti-d", T0 + 100),
			 TS_ERR_STORE_NOT_FOUND);
	memset(&seen, 0, sizeof seen);
	ck_assert_int_eq(end_session("h(sess6)", &seen), TS_ERR_OK);
	ck_assert_uint_eq(seen.n, 1);

	/* An error from visit comes back but stops no visit: each revocation
	 * is written. The other session's record was kept and is revoked. */
	memset(&seen, 0, sizeof seen);
	seen.fail_at = 1;
	ck_assert_int_eq(end_session("h(other)", &seen), TS_ERR_TICKET_REVOKED);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_int_eq(seen_exp(&seen, "jti-z"), T0 + 100 + 60);
	memset(&stored, 0, sizeof stored);
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, see_revocation, &stored), TS_ERR_OK);
	ck_assert_int_eq(seen_exp(&stored, "jti-z"), T0 + 100 + 60);
}
END_TEST

/* A sign-out racing code redemptions: every ticket whose record was added
 * is revoked, and every add after the sign-out is refused. */
#define RACE_ADDS_MAX 100000

struct adder {
	_Atomic size_t added;
	ts_err last;
};

static void *add_until_refused(void *arg)
{
	struct adder *a = arg;
	char jti[32];

	for (size_t n = 0; n < RACE_ADDS_MAX; n++) {
		snprintf(jti, sizeof jti, "race-%zu", n);
		if ((a->last = STORE->session_ticket_add(IMPL, "h(race)", jti, T0 + 100)) !=
		    TS_ERR_OK)
			break;
		atomic_store(&a->added, n + 1);
	}
	return NULL;
}

/* Until the adder has added n, for at most 10 s. */
static bool wait_added(struct adder *a, size_t n)
{
	const int64_t end = ts_monotonic_ms() + 10000;

	while (atomic_load(&a->added) < n) {
		if (ts_monotonic_ms() >= end)
			return false;
		sched_yield();
	}
	return true;
}

struct race_revoked {
	size_t added, race, own;
};

static ts_err count_race_revocation(void *arg, const struct ts_revocation *rev)
{
	struct race_revoked *r = arg;
	unsigned long n;
	char key[32];

	ck_assert_uint_lt(rev->key_len, sizeof key);
	memcpy(key, rev->key, rev->key_len);
	key[rev->key_len] = '\0';
	if (strcmp(key, "own") == 0)
		r->own++;
	else if (sscanf(key, "race-%lu", &n) == 1 && n < r->added)
		r->race++;
	else
		ck_abort_msg("revoked a ticket that was never added: %s", key);
	return TS_ERR_OK;
}

START_TEST(test_session_end_races_ticket_add)
{
	struct ts_revocation own = {TS_REVOKE_JTI, "own", 3, 0, T0 + 4000};
	struct race_revoked held = {0}, stored = {0};
	struct adder a = {.last = TS_ERR_OK};
	size_t added;
	pthread_t t;

	reopen(fx.path); /* a file: durable commits take a while, as in production */
	put_session("h(race)", T0 + 3600);
	ck_assert_int_eq(pthread_create(&t, NULL, add_until_refused, &a), 0);
	ck_assert(wait_added(&a, 3));
	held.added = RACE_ADDS_MAX;
	ck_assert_int_eq(STORE->session_end(IMPL, "h(race)", &own, 0, count_race_revocation,
					    &held),
			 TS_ERR_OK);
	pthread_join(t, NULL);
	added = atomic_load(&a.added);
	ck_assert_int_eq(a.last, TS_ERR_STORE_NOT_FOUND);
	/* Every add that succeeded, revoked: none after the list slipped through. */
	ck_assert_uint_eq(held.own, 1);
	ck_assert_uint_eq(held.race, added);
	stored.added = added;
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, count_race_revocation, &stored),
			 TS_ERR_OK);
	ck_assert_uint_eq(stored.race, stored.added);
	ck_assert_uint_eq(stored.own, 1);
}
END_TEST

/* ---- prune ---- */

START_TEST(test_prune_counts)
{
	struct ts_signin_pending r1 = request("_r1", T0 + 10), r2 = request("_r2", T0 + 1000), out;
	struct ts_revocation jti = {TS_REVOKE_JTI, "j-old", 5, 0, T0 + 10};
	struct ts_revocation user = {TS_REVOKE_USER, "mallory", 7, T0, T0 + 10};
	struct ts_revocation keep = {TS_REVOKE_JTI, "j-new", 5, 0, T0 + 1000};
	struct ts_store_prune_counts c;
	struct ts_sso_session sess;
	struct seen seen = {0};
	size_t revocations = 0;
	char *payload;
	size_t len;

	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &r2), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_1", T0 + 10, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_2", T0 + 5, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 1000, T0), TS_ERR_OK);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(c1)", "p", 1, T0 + 10), TS_ERR_OK);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(c2)", "p", 1, T0 + 1000), TS_ERR_OK);
	put_session("h(s-old)", T0 + 10);
	put_session("h(s-new)", T0 + 1000);
	/* The expired session takes its ticket records along, even unexpired ones. */
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(s-old)", "t1", T0 + 500), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(s-new)", "t2", T0 + 10), TS_ERR_OK);
	ck_assert_int_eq(STORE->session_ticket_add(IMPL, "h(s-new)", "t3", T0 + 500), TS_ERR_OK);
	ck_assert_int_eq(STORE->revoke(IMPL, &jti), TS_ERR_OK);
	ck_assert_int_eq(STORE->revoke(IMPL, &user), TS_ERR_OK);
	ck_assert_int_eq(STORE->revoke(IMPL, &keep), TS_ERR_OK);

	ck_assert_int_eq(STORE->prune(IMPL, T0 + 10, &c), TS_ERR_OK);
	ck_assert_uint_eq(c.requests, 1);
	ck_assert_uint_eq(c.replay, 2);
	ck_assert_uint_eq(c.codes, 1);
	ck_assert_uint_eq(c.sessions, 1);
	ck_assert_uint_eq(c.session_tickets, 2);
	ck_assert_uint_eq(c.revocations, 2);

	/* Nothing left to go; counts may be NULL. */
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 10, &c), TS_ERR_OK);
	ck_assert_uint_eq(c.requests + c.replay + c.codes + c.sessions + c.session_tickets +
				  c.revocations,
			  0);
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 10, NULL), TS_ERR_OK);

	/* What had not expired is all there. */
	ck_assert_int_eq(STORE->request_take(IMPL, "_r2", T0 + 10, &out), TS_ERR_OK);
	ts_signin_pending_clear(&out);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 1000, T0 + 10), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(take_code("h(c2)", T0 + 10, &payload, &len), TS_ERR_OK);
	free(payload);
	ck_assert_int_eq(STORE->session_get(IMPL, "h(s-new)", T0 + 10, &sess), TS_ERR_OK);
	ts_sso_session_clear(&sess);
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0 + 10, count_revocation, &revocations),
			 TS_ERR_OK);
	ck_assert_uint_eq(revocations, 1);
	ck_assert_int_eq(end_session("h(s-new)", &seen), TS_ERR_OK);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_str_eq(seen.jti[1], "t3");
}
END_TEST

/* More expired rows than one prune chunk: all go, over several
 * transactions, and the bound's count follows every one. */
START_TEST(test_prune_in_chunks)
{
	enum { N = 2500 };
	static struct ts_signin_pending reqs[N];
	static char ids[N][16];
	static ts_err errs[N];
	struct ts_signin_pending extra = request("_extra", T0 + 1000);
	struct ts_store_prune_counts c;

	reopen_with_caps(":memory:", 10, N + 1);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof ids[i], "_p%d", i);
		reqs[i] = request(ids[i], T0 + 10);
	}
	ck_assert_int_eq(STORE->request_put_many(IMPL, reqs, N, errs), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &extra), TS_ERR_OK);
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 10, &c), TS_ERR_OK);
	ck_assert_uint_eq(c.requests, N);
	/* Room for exactly N again: the count lost each chunk's rows. */
	for (int i = 0; i < N; i++)
		reqs[i].expires_at = T0 + 1000;
	ck_assert_int_eq(STORE->request_put_many(IMPL, reqs, N, errs), TS_ERR_OK);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(errs[i], TS_ERR_OK);
	extra.id = "_one_more";
	ck_assert_int_eq(STORE->request_put(IMPL, &extra), TS_ERR_STORE_FULL);
}
END_TEST

START_TEST(test_prune_keeps_replay_bound_exact)
{
	/* prune's deletions count against the bound like a claim's sweep. */
	reopen_with_caps(":memory:", 2, TS_STORE_REQUESTS_DEFAULT);
	ck_assert_int_eq(claim("adfs\n_1", T0 + 10, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_2", T0 + 10, T0), TS_ERR_OK);
	ck_assert_int_eq(STORE->prune(IMPL, T0 + 10, NULL), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_3", T0 + 100, T0 + 10), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_4", T0 + 100, T0 + 10), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_5", T0 + 100, T0 + 10), TS_ERR_STORE_FULL);
}
END_TEST

/* ---- schema ---- */

/* Version 1 exactly as it shipped (store/sqlite.c before version 2). */
static const char schema_v1[] =
	"CREATE TABLE schema_version (version INTEGER NOT NULL);"
	"CREATE TABLE revoked_jti (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);"
	"CREATE TABLE revoked_user (sub TEXT PRIMARY KEY, before INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX revoked_jti_expires ON revoked_jti (expires_at);"
	"CREATE INDEX revoked_user_expires ON revoked_user (expires_at);"
	"INSERT INTO schema_version (version) VALUES (1);";

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(db);
}

static long long schema_version(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &st, 0),
			 SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE); /* one row, not one per upgrade */
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The schema as SQLite keeps it: every table and index, in name order. */
static char *schema_text(const char *path)
{
	static const char sql[] = "SELECT type, name, coalesce(sql, '') FROM sqlite_master"
				  " ORDER BY name";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		fprintf(out, "%s %s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	sqlite3_close(db);
	fclose(out);
	return text;
}

/* The schema of the fixture's store as it is (the store closed), returned,
 * before sql takes the file back to an older version. */
static char *schema_then(const char *path, const char *sql)
{
	char *now;

	ts_store_close(fx.store);
	fx.store = NULL;
	now = schema_text(path);
	exec_sql(path, sql);
	return now;
}

/* The upgraded file's schema is the one a new store has (fresh, freed). */
static void assert_schema_is(const char *path, char *fresh)
{
	char *upgraded = schema_text(path);

	ck_assert_str_eq(upgraded, fresh);
	free(fresh);
	free(upgraded);
}

START_TEST(test_migration_v1_to_v2)
{
	size_t revocations = 0;
	char *fresh;

	/* What a new database looks like, to hold the upgraded one against. */
	reopen(fx.path);
	ts_store_close(fx.store);
	fx.store = NULL;
	fresh = schema_text(fx.path);
	ck_assert(ts_test_db_remove(fx.path));

	exec_sql(fx.path, schema_v1);
	exec_sql(fx.path, "INSERT INTO revoked_jti (jti, expires_at) VALUES ('j1', 1764045600)");
	ck_assert_int_eq(schema_version(fx.path), 1);
	reopen(fx.path);
	ck_assert(logged("event=store_schema_upgraded"));
	ck_assert(logged("from=1 to=5"));
	ck_assert_int_eq(schema_version(fx.path), 5);
	assert_schema_is(fx.path, fresh);
	/* What version 1 held is still there. */
	ck_assert_int_eq(STORE->revocations_each(IMPL, T0, count_revocation, &revocations),
			 TS_ERR_OK);
	ck_assert_uint_eq(revocations, 1);

	/* Opened again: already version 5, nothing to upgrade. */
	log_restart();
	reopen(fx.path);
	ck_assert(!logged("store_schema_upgraded"));
	ck_assert_int_eq(schema_version(fx.path), 5);
	/* And version 5 serves: a claim made now is there after a reopen. */
	ck_assert_int_eq(claim("adfs\n_m", T0 + 60, T0), TS_ERR_OK);
	reopen(fx.path);
	ck_assert_int_eq(claim("adfs\n_m", T0 + 60, T0), TS_ERR_SAML_REPLAY);
}
END_TEST

/* 3 -> 4 counts the requests and replay keys already stored: the bounds
 * hold from the first write after the upgrade. */
START_TEST(test_migration_v3_to_v4_counts)
{
	struct ts_signin_pending r1 = request("_u1", T0 + 300), r2 = request("_u2", T0 + 300),
				 r3 = request("_u3", T0 + 300);
	char *fresh;
	sqlite3 *db = NULL;

	reopen(fx.path);
	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_put(IMPL, &r2), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_u1", T0 + 60, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_u2", T0 + 60, T0), TS_ERR_OK);
	/* Back to version 3: no request count, no triggers, and a replay count
	 * kept by hand, here gone wrong (the upgrade recounts it). */
	fresh = schema_then(fx.path, "ALTER TABLE signin_request DROP COLUMN browser;"
				     " ALTER TABLE signin_request DROP COLUMN pool_bind;"
				     " DROP TRIGGER signin_request_removed;"
				     " DROP TRIGGER replay_added; DROP TRIGGER replay_removed;"
				     " DROP TABLE request_rows; DROP TABLE replay_rows;"
				     " CREATE TABLE replay_count (n INTEGER NOT NULL);"
				     " INSERT INTO replay_count (n) VALUES (0);"
				     " UPDATE schema_version SET version = 3");
	reopen_with_caps(fx.path, 3, 3);
	ck_assert(logged("from=3 to=5"));
	assert_schema_is(fx.path, fresh);
	ck_assert_int_eq(STORE->request_put(IMPL, &r3), TS_ERR_OK);
	r3.id = "_u4";
	ck_assert_int_eq(STORE->request_put(IMPL, &r3), TS_ERR_STORE_FULL);
	ck_assert_int_eq(claim("adfs\n_u3", T0 + 60, T0), TS_ERR_OK);
	ck_assert_int_eq(claim("adfs\n_u4", T0 + 60, T0), TS_ERR_STORE_FULL);
	/* A version-3 broker still running on the file counted by hand on top
	 * of the triggers: its count update now fails instead. */
	ck_assert_int_eq(sqlite3_open(fx.path, &db), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db, "UPDATE replay_count SET n = n + 1", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
}
END_TEST

/* 4 -> 5: a request made before the upgrade is kept, bound to no browser
 * (the broker refuses its answer: browser_bind.h). */
START_TEST(test_migration_v4_to_v5_unbound)
{
	struct ts_signin_pending r1 = request("_v5", T0 + 300), out;
	char *fresh;

	reopen(fx.path);
	fresh = schema_then(fx.path, "ALTER TABLE signin_request DROP COLUMN browser;"
				     " ALTER TABLE signin_request DROP COLUMN pool_bind;"
				     " INSERT INTO signin_request (id, pool, idp, return_url, flags,"
				     " created, expires_at)"
				     " VALUES ('_v4', 'p', 'adfs', '/', 0, 1764042000, 1764042300);"
				     " UPDATE request_rows SET n = 1;"
				     " UPDATE schema_version SET version = 4");
	reopen(fx.path);
	ck_assert(logged("from=4 to=5"));
	assert_schema_is(fx.path, fresh);
	ck_assert_int_eq(STORE->request_get(IMPL, "_v4", T0, &out), TS_ERR_OK);
	ck_assert_str_eq(out.browser, "");
	ck_assert_str_eq(out.pool_bind, "");
	ts_signin_pending_clear(&out);
	/* One made now keeps its binding. */
	ck_assert_int_eq(STORE->request_put(IMPL, &r1), TS_ERR_OK);
	ck_assert_int_eq(STORE->request_get(IMPL, "_v5", T0, &out), TS_ERR_OK);
	ck_assert_str_eq(out.browser, BROWSER_HASH);
	ts_signin_pending_clear(&out);
}
END_TEST

START_TEST(test_newer_schema_refused)
{
	struct ts_store *store = NULL;

	fx.errors_expected = true;
	reopen(fx.path);
	ts_store_close(fx.store);
	fx.store = NULL;
	exec_sql(fx.path, "UPDATE schema_version SET version = 6");
	ck_assert_int_eq(ts_store_sqlite_open(fx.path, &store), TS_ERR_STORE_SCHEMA);
	ck_assert_ptr_null(store);
	ck_assert(logged("event=store_open_failed error=STORE_SCHEMA"));
	ck_assert(logged("version=6 want=5"));
	/* Refused, not rewritten. */
	ck_assert_int_eq(schema_version(fx.path), 6);
}
END_TEST

/* ---- races: exactly one taker wins ---- */

enum race_kind { RACE_CODE, RACE_REQUEST, RACE_REPLAY };

struct race {
	pthread_barrier_t start;
	enum race_kind kind;
	ts_err result[THREADS];
};

struct racer {
	struct race *race;
	int i;
};

static void *race_one(void *arg)
{
	struct racer *r = arg;
	struct ts_signin_pending p;
	char *payload = NULL;
	size_t len;
	ts_err err;

	/* All threads leave the barrier together: the takes overlap. */
	pthread_barrier_wait(&r->race->start);
	switch (r->race->kind) {
	case RACE_CODE:
		err = take_code("h(race)", T0, &payload, &len);
		free(payload);
		break;
	case RACE_REQUEST:
		err = STORE->request_take(IMPL, "_race", T0, &p);
		ts_signin_pending_clear(&p);
		break;
	default:
		err = claim("adfs\n_race", T0 + 60, T0);
		break;
	}
	r->race->result[r->i] = err;
	return NULL;
}

/* Runs THREADS racers; returns how many got OK, checks the others got lose. */
static int race_run(enum race_kind kind, ts_err lose)
{
	struct race race = {.kind = kind};
	struct racer racers[THREADS];
	pthread_t threads[THREADS];
	int wins = 0;

	ck_assert_int_eq(pthread_barrier_init(&race.start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		racers[i] = (struct racer){&race, i};
		ck_assert_int_eq(pthread_create(&threads[i], NULL, race_one, &racers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&race.start);
	for (int i = 0; i < THREADS; i++) {
		if (race.result[i] == TS_ERR_OK)
			wins++;
		else
			ck_assert_msg(race.result[i] == lose, "thread %d: %s", i,
				      ts_errname(race.result[i]));
	}
	return wins;
}

START_TEST(test_race_code_take)
{
	for (int round = 0; round < 50; round++) {
		ck_assert_int_eq(STORE->code_put(IMPL, "h(race)", "p", 1, T0 + 60), TS_ERR_OK);
		ck_assert_int_eq(race_run(RACE_CODE, TS_ERR_STORE_NOT_FOUND), 1);
	}
}
END_TEST

START_TEST(test_race_request_take)
{
	struct ts_signin_pending p = request("_race", T0 + 60);

	for (int round = 0; round < 50; round++) {
		ck_assert_int_eq(STORE->request_put(IMPL, &p), TS_ERR_OK);
		ck_assert_int_eq(race_run(RACE_REQUEST, TS_ERR_STORE_NOT_FOUND), 1);
	}
}
END_TEST

/* Puts from many threads at once: every row is there afterwards, and of
 * the threads putting one id in the same round exactly one is told OK, the
 * others STORE_DUPLICATE. */
#define PUT_ROUNDS 40

struct putter {
	pthread_barrier_t *start;
	int i;
	ts_err own[PUT_ROUNDS], shared[PUT_ROUNDS];
};

static void *put_many(void *arg)
{
	struct putter *r = arg;
	char id[40];

	pthread_barrier_wait(r->start);
	for (int round = 0; round < PUT_ROUNDS; round++) {
		struct ts_signin_pending p = request(id, T0 + 60);

		snprintf(id, sizeof id, "_t%d_r%d", r->i, round);
		r->own[round] = STORE->request_put(IMPL, &p);
		snprintf(id, sizeof id, "_shared_r%d", round);
		r->shared[round] = STORE->request_put(IMPL, &p);
	}
	return NULL;
}

START_TEST(test_race_request_put)
{
	pthread_barrier_t start;
	struct putter putters[THREADS];
	pthread_t threads[THREADS];
	struct ts_signin_pending out;
	char id[40];

	reopen(fx.path); /* on a file: WAL, as tesserad runs */
	ck_assert_int_eq(pthread_barrier_init(&start, NULL, THREADS), 0);
	for (int i = 0; i < THREADS; i++) {
		putters[i] = (struct putter){.start = &start, .i = i};
		ck_assert_int_eq(pthread_create(&threads[i], NULL, put_many, &putters[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
	pthread_barrier_destroy(&start);
	for (int round = 0; round < PUT_ROUNDS; round++) {
		int wins = 0;

		for (int i = 0; i < THREADS; i++) {
			ck_assert_int_eq(putters[i].own[round], TS_ERR_OK);
			snprintf(id, sizeof id, "_t%d_r%d", i, round);
			ck_assert_int_eq(STORE->request_take(IMPL, id, T0, &out), TS_ERR_OK);
			ck_assert_str_eq(out.id, id);
			ck_assert_str_eq(out.return_url, "https://pool1.example.org/passiveauth?x=1");
			ts_signin_pending_clear(&out);
			if (putters[i].shared[round] == TS_ERR_OK)
				wins++;
			else
				ck_assert_int_eq(putters[i].shared[round], TS_ERR_STORE_DUPLICATE);
		}
		ck_assert_int_eq(wins, 1);
		snprintf(id, sizeof id, "_shared_r%d", round);
		ck_assert_int_eq(STORE->request_take(IMPL, id, T0, &out), TS_ERR_OK);
		ts_signin_pending_clear(&out);
		ck_assert_int_eq(STORE->request_take(IMPL, id, T0, &out), TS_ERR_STORE_NOT_FOUND);
	}
}
END_TEST

START_TEST(test_race_replay_claim)
{
	/* On a file, so the threads go through WAL and the durable commits. */
	reopen(fx.path);
	ck_assert_int_eq(race_run(RACE_REPLAY, TS_ERR_SAML_REPLAY), 1);
}
END_TEST

/* ---- durability: what a call committed survives kill -9 ---- */

/* In the child: no Check assertions, just the results down the pipe. */
static void child_claims(const char *path, int out_fd)
{
	struct ts_store *store = NULL;
	ts_err results[3] = {TS_ERR_INTERNAL, TS_ERR_INTERNAL, TS_ERR_INTERNAL};
	char *payload = NULL;
	size_t len;

	if (ts_store_sqlite_open(path, &store) == TS_ERR_OK) {
		results[0] = store->replay_claim(store->impl, "adfs\n_killed", T0 + 600, T0);
		results[1] = store->code_take(store->impl, "h(before)", T0, &payload, &len);
		results[2] = store->code_put(store->impl, "h(child)", "c", 1, T0 + 600);
	}
	if (write(out_fd, results, sizeof results) != (ssize_t)sizeof results)
		_exit(2);
	/* Right after the calls returned: no close, no checkpoint, no exit. */
	raise(SIGKILL);
	_exit(3);
}

START_TEST(test_durable_across_kill9)
{
	ts_err results[3];
	char *payload = NULL;
	size_t len;
	int fds[2], status;
	pid_t pid;

	reopen(fx.path);
	ck_assert_int_eq(STORE->code_put(IMPL, "h(before)", "b", 1, T0 + 600), TS_ERR_OK);
	/* No connection may cross the fork. */
	ts_store_close(fx.store);
	fx.store = NULL;

	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		child_claims(fx.path, fds[1]);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], results, sizeof results), (ssize_t)sizeof results);
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	ck_assert_int_eq(results[0], TS_ERR_OK);
	ck_assert_int_eq(results[1], TS_ERR_OK);
	ck_assert_int_eq(results[2], TS_ERR_OK);

	reopen(fx.path);
	ck_assert_int_eq(claim("adfs\n_killed", T0 + 600, T0 + 1), TS_ERR_SAML_REPLAY);
	ck_assert_int_eq(take_code("h(before)", T0 + 1, &payload, &len), TS_ERR_STORE_NOT_FOUND);
	ck_assert_int_eq(take_code("h(child)", T0 + 1, &payload, &len), TS_ERR_OK);
	ck_assert_str_eq(payload, "c");
	free(payload);
}
END_TEST

/* ---- which commits sync: a VFS that counts xSync ---- */

/* A file of the counting VFS: its methods, then the real file's. */
struct count_file {
	sqlite3_file base;
	sqlite3_file *real;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs count_vfs;
static _Atomic int syncs;

#define REAL(f) (((struct count_file *)(f))->real)

static int c_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}
static int c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int c_sync(sqlite3_file *f, int flags)
{
	syncs++;
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int c_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int c_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}
static int c_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}
static int c_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int c_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int c_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int c_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int c_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, out);
}
static int c_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}
static void c_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int c_shm_unmap(sqlite3_file *f, int delete_flag)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), delete_flag);
}
static int c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **out)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, out);
}
static int c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods count_io = {
	.iVersion = 3,
	.xClose = c_close,
	.xRead = c_read,
	.xWrite = c_write,
	.xTruncate = c_truncate,
	.xSync = c_sync,
	.xFileSize = c_file_size,
	.xLock = c_lock,
	.xUnlock = c_unlock,
	.xCheckReservedLock = c_check_reserved,
	.xFileControl = c_file_control,
	.xSectorSize = c_sector_size,
	.xDeviceCharacteristics = c_device,
	.xShmMap = c_shm_map,
	.xShmLock = c_shm_lock,
	.xShmBarrier = c_shm_barrier,
	.xShmUnmap = c_shm_unmap,
	.xFetch = c_fetch,
	.xUnfetch = c_unfetch,
};

static int c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out_flags)
{
	struct count_file *cf = (struct count_file *)f;
	int rc;

	(void)vfs;
	cf->real = (sqlite3_file *)(cf + 1);
	rc = real_vfs->xOpen(real_vfs, name, cf->real, flags, out_flags);
	/* SQLite closes a file whose open failed only if pMethods is set. */
	cf->base.pMethods = rc == SQLITE_OK && cf->real->pMethods != NULL ? &count_io : NULL;
	return rc;
}

/* Makes the counting VFS the default: the real one's methods (they read
 * only its fields, which the copy has), but files opened through c_open. */
static void count_syncs_begin(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	ck_assert_ptr_nonnull(real_vfs);
	ck_assert_int_ge(real_vfs->iVersion, 1);
	count_vfs = *real_vfs;
	count_vfs.zName = "ts-count-syncs";
	count_vfs.szOsFile = (int)sizeof(struct count_file) + real_vfs->szOsFile;
	count_vfs.xOpen = c_open;
	count_vfs.pNext = NULL;
	ck_assert_int_eq(sqlite3_vfs_register(&count_vfs, 1), SQLITE_OK);
}

static void count_syncs_end(void)
{
	ts_store_close(fx.store);
	fx.store = NULL;
	sqlite3_vfs_unregister(&count_vfs);
}

/* Runs one call, which must succeed, and checks whether it synced. */
#define CHECK_SYNCS(call, want)                                                                    \
	do {                                                                                       \
		int before_ = syncs;                                                               \
		ck_assert_int_eq((call), TS_ERR_OK);                                               \
		ck_assert_msg((syncs != before_) == (want), "%s %s", #call,                        \
			      (want) ? "did not sync" : "synced");                                 \
	} while (0)

START_TEST(test_durable_writes_sync_hot_writes_do_not)
{
	struct ts_revocation rev = {TS_REVOKE_JTI, "j-sync", 6, 0, T0 + 60};
	struct ts_signin_pending p = request("_sync", T0 + 60), out;
	char *payload = NULL;
	size_t len, ended = 0;
	struct ts_sso_session sess = {"h(sync)", "alice", "{}", 2, T0, T0 + 60};

	count_syncs_begin();
	reopen(fx.path);
	/* Per-request writes: kept across a kill -9 (test_durable_across_kill9),
	 * not synced; store/sqlite.c says what a power cut could cost. */
	CHECK_SYNCS(STORE->revocations_prune(IMPL, T0), false);
	CHECK_SYNCS(STORE->request_put(IMPL, &p), false);
	CHECK_SYNCS(STORE->code_put(IMPL, "h(sync)", "p", 1, T0 + 60), false);
	CHECK_SYNCS(STORE->session_put(IMPL, &sess), false);
	CHECK_SYNCS(STORE->session_ticket_add(IMPL, "h(sync)", "j1", T0 + 60), false);
	CHECK_SYNCS(STORE->prune(IMPL, T0, NULL), false);
	CHECK_SYNCS(claim("adfs\n_sync", T0 + 60, T0), false);
	CHECK_SYNCS(STORE->request_take(IMPL, "_sync", T0, &out), false);
	ts_signin_pending_clear(&out);
	CHECK_SYNCS(take_code("h(sync)", T0, &payload, &len), false);
	free(payload);
	/* Rare writes that must survive a power cut: the WAL is synced before
	 * they return, and the connection goes back to NORMAL after each. */
	CHECK_SYNCS(STORE->revoke(IMPL, &rev), true);
	CHECK_SYNCS(STORE->revocations_prune(IMPL, T0), false);
	CHECK_SYNCS(STORE->session_end(IMPL, "h(sync)", &rev, 0, count_revocation, &ended), true);
	count_syncs_end();
}
END_TEST

START_TEST(test_file_mode_0600)
{
	struct stat st;

	reopen(fx.path);
	ck_assert_int_eq(stat(fx.path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

/* write_check answers whether a write commits: not while another
 * connection holds the write lock (within about a second, the probe's own
 * busy timeout, not the store's 5 s), and again once it lets go. */
START_TEST(test_write_check)
{
	sqlite3 *other = NULL;
	int64_t t0;
	struct stat before, after;
	char wal[600];
	ts_err err;

	reopen(fx.path);
	/* The check writes: a frame lands in the WAL (a check that wrote
	 * nothing would pass on a full disk). */
	snprintf(wal, sizeof wal, "%s-wal", fx.path);
	ck_assert_int_eq(stat(wal, &before), 0);
	ck_assert_int_eq(STORE->write_check(IMPL), TS_ERR_OK);
	ck_assert_int_eq(stat(wal, &after), 0);
	ck_assert_int_gt(after.st_size, before.st_size);
	ck_assert_int_eq(sqlite3_open(fx.path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	/* A check within a second of the last gives its answer: wait for a
	 * fresh one, which must be the refusal. */
	t0 = ts_monotonic_ms();
	do
		err = STORE->write_check(IMPL);
	while (err == TS_ERR_OK && ts_monotonic_ms() - t0 < 10000);
	ck_assert_int_eq(err, TS_ERR_STORE_QUERY);
	ck_assert_msg(ts_monotonic_ms() - t0 < 4000, "the check waited %lld ms",
		      (long long)(ts_monotonic_ms() - t0));
	ck_assert(logged("query=begin"));
	fx.errors_expected = true;
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	t0 = ts_monotonic_ms();
	do
		err = STORE->write_check(IMPL);
	while (err != TS_ERR_OK && ts_monotonic_ms() - t0 < 10000);
	ck_assert_int_eq(err, TS_ERR_OK);
	ck_assert_int_eq(sqlite3_close(other), SQLITE_OK);
}
END_TEST

/* A test case with a directory of its own and the fixture per test. */
static TCase *add_case(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, case_setup, case_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	suite_add_tcase(s, tc);
	return tc;
}

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = add_case(s, "requests");
	tcase_add_test(tc, test_request_put_take_single_use);
	tcase_add_test(tc, test_request_binding_checked);
	tcase_add_test(tc, test_request_put_many);
	tcase_add_test(tc, test_request_take_after_expiry);
	tcase_add_test(tc, test_request_unknown);
	tcase_add_test(tc, test_request_duplicate_put_refused);
	tcase_add_test(tc, test_request_bad_arguments);
	tcase_add_test(tc, test_request_cap_refuses_then_frees);
	tcase_add_test(tc, test_request_full_batch_sweeps_expired);

	tc = add_case(s, "replay");
	tcase_add_test(tc, test_replay_first_claim_then_replay);
	tcase_add_test(tc, test_replay_after_expiry);
	tcase_add_test(tc, test_replay_bad_arguments);
	tcase_add_test(tc, test_replay_cap_refuses_then_prune_frees);
	tcase_add_test(tc, test_replay_full_claim_sweeps_expired);
	tcase_add_test(tc, test_zero_limits_refused);

	tc = add_case(s, "codes");
	tcase_add_test(tc, test_code_single_use);
	tcase_add_test(tc, test_code_take_after_expiry);
	tcase_add_test(tc, test_code_duplicate_put_refused);
	tcase_add_test(tc, test_code_binary_and_empty_payload);

	tc = add_case(s, "sessions");
	tcase_add_test(tc, test_session_put_get);
	tcase_add_test(tc, test_session_expired);
	tcase_add_test(tc, test_session_end_unknown);
	tcase_add_test(tc, test_session_duplicate_and_bad_arguments);
	tcase_add_test(tc, test_session_end_revokes_its_tickets);
	tcase_add_test(tc, test_session_end_races_ticket_add);

	tc = add_case(s, "prune");
	tcase_add_test(tc, test_prune_counts);
	tcase_add_test(tc, test_prune_keeps_replay_bound_exact);
	tcase_add_test(tc, test_prune_in_chunks);

	tc = add_case(s, "schema");
	tcase_add_test(tc, test_migration_v1_to_v2);
	tcase_add_test(tc, test_migration_v3_to_v4_counts);
	tcase_add_test(tc, test_migration_v4_to_v5_unbound);
	tcase_add_test(tc, test_newer_schema_refused);
	tcase_add_test(tc, test_file_mode_0600);
	tcase_add_test(tc, test_write_check);

	tc = add_case(s, "concurrency");
	tcase_add_test(tc, test_race_code_take);
	tcase_add_test(tc, test_race_request_take);
	tcase_add_test(tc, test_race_replay_claim);
	tcase_add_test(tc, test_race_request_put);

	tc = add_case(s, "durability");
	tcase_add_test(tc, test_durable_across_kill9);
	tcase_add_test(tc, test_durable_writes_sync_hot_writes_do_not);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());

	return ts_test_run(sr, "check_store");
}
