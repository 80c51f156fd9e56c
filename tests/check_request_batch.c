/* broker/request_batch.c: queued requests are written many per
 * transaction, each answer let go with its own result, a batch is cut at
 * its bound, and after stop a hold is written by whoever starts it. The
 * store is a fake whose first write waits on the test, so what gathers
 * behind it is known exactly (no timing involved). */
#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../broker/request_batch.h"

#define JOBS 300
#define BATCH_MAX 256 /* request_batch.c's bound */

static struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold_first;   /* the first put_many waits until released */
	bool entered;      /* ...and says it is waiting */
	bool released;
	bool fail_all;     /* every transaction fails */
	size_t calls_many; /* put_many calls, and the rows of each */
	size_t rows[JOBS];
	size_t calls_one;
	/* done callbacks */
	size_t done;
	ts_err errs[JOBS];
} F;

static void wait_for(bool (*cond)(void))
{
	struct timespec deadline;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 10;
	pthread_mutex_lock(&F.lock);
	while (!cond())
		ck_assert_int_eq(pthread_cond_timedwait(&F.cond, &F.lock, &deadline), 0);
	pthread_mutex_unlock(&F.lock);
}

static bool first_entered(void)
{
	return F.entered;
}

static size_t want_done;
static bool all_done(void)
{
	return F.done >= want_done;
}

/* A refused row: ids starting "_dup" are duplicates. */
static ts_err row_result(const struct ts_signin_pending *p)
{
	return strncmp(p->id, "_dup", 4) == 0 ? TS_ERR_STORE_DUPLICATE : TS_ERR_OK;
}

static ts_err fake_put_many(void *impl, const struct ts_signin_pending *reqs, size_t n,
			    ts_err *errs)
{
	pthread_mutex_lock(&F.lock);
	if (F.hold_first && F.calls_many == 0) {
		F.entered = true;
		pthread_cond_broadcast(&F.cond);
		while (!F.released)
			pthread_cond_wait(&F.cond, &F.lock);
	}
	F.rows[F.calls_many++] = n;
	pthread_mutex_unlock(&F.lock);
	for (size_t i = 0; i < n; i++)
		errs[i] = F.fail_all ? TS_ERR_STORE_QUERY : row_result(&reqs[i]);
	return F.fail_all ? TS_ERR_STORE_QUERY : TS_ERR_OK;
}

static ts_err fake_put(void *impl, const struct ts_signin_pending *p)
{
	pthread_mutex_lock(&F.lock);
	F.calls_one++;
	pthread_mutex_unlock(&F.lock);
	return row_result(p);
}

static struct ts_store fake_store = {.request_put = fake_put, .request_put_many = fake_put_many};

/* ts_http_hold_done: arg is the job's index. */
static void on_done(void *arg, ts_err err)
{
	pthread_mutex_lock(&F.lock);
	F.errs[(size_t)arg] = err;
	F.done++;
	pthread_cond_broadcast(&F.cond);
	pthread_mutex_unlock(&F.lock);
}

static void start_job(struct ts_request_batch *q, size_t i, const char *prefix)
{
	char id[32];
	struct ts_signin_pending p = {
		.id = id, .pool = "lync", .idp = "adfs", .return_url = "/", .created = 1,
		.expires_at = 2,
	};
	struct ts_http_hold hold = {0};

	snprintf(id, sizeof id, "%s%zu", prefix, i);
	ck_assert_int_eq(ts_request_batch_hold(q, &p, &hold), TS_ERR_OK);
	id[0] = 'X'; /* the hold owns a copy: the caller's strings may go */
	hold.start(hold.work, on_done, (void *)i);
}

static void setup(void)
{
	memset(&F, 0, sizeof F);
	pthread_mutex_init(&F.lock, NULL);
	pthread_cond_init(&F.cond, NULL);
	for (size_t i = 0; i < JOBS; i++)
		F.errs[i] = TS_ERR_INTERNAL; /* not answered yet */
}

/* Job 0 holds the writer; the next ones gather and go in one batch. */
static struct ts_request_batch *gather(size_t n, const char *dup_at_3)
{
	struct ts_request_batch *q = NULL;

	F.hold_first = true;
	ck_assert_int_eq(ts_request_batch_start(&fake_store, &q), TS_ERR_OK);
	start_job(q, 0, "_r");
	wait_for(first_entered);
	for (size_t i = 1; i < n; i++)
		start_job(q, i, i == 3 && dup_at_3 != NULL ? dup_at_3 : "_r");
	pthread_mutex_lock(&F.lock);
	ck_assert_uint_eq(F.done, 0); /* nothing answered before its commit */
	F.released = true;
	pthread_cond_broadcast(&F.cond);
	pthread_mutex_unlock(&F.lock);
	want_done = n;
	wait_for(all_done);
	return q;
}

START_TEST(test_gathered_in_one_transaction)
{
	struct ts_request_batch *q = gather(11, "_dup");

	ck_assert_uint_eq(F.calls_many, 2);
	ck_assert_uint_eq(F.rows[0], 1);
	ck_assert_uint_eq(F.rows[1], 10);
	for (size_t i = 0; i < 11; i++)
		ck_assert_int_eq(F.errs[i], i == 3 ? TS_ERR_STORE_DUPLICATE : TS_ERR_OK);
	ts_request_batch_stop(q);
	ts_request_batch_stop(q); /* again: nothing */
	ts_request_batch_free(q);
}
END_TEST

START_TEST(test_batch_cut_at_bound)
{
	struct ts_request_batch *q = gather(JOBS, NULL);

	ck_assert_uint_eq(F.calls_many, 3);
	ck_assert_uint_eq(F.rows[1], BATCH_MAX);
	ck_assert_uint_eq(F.rows[2], JOBS - 1 - BATCH_MAX);
	ts_request_batch_stop(q);
	ts_request_batch_free(q);
}
END_TEST

START_TEST(test_failed_transaction_fails_each)
{
	struct ts_request_batch *q;

	F.fail_all = true;
	q = gather(5, NULL);
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(F.errs[i], TS_ERR_STORE_QUERY);
	ts_request_batch_stop(q);
	ts_request_batch_free(q);
}
END_TEST

START_TEST(test_after_stop_written_by_starter)
{
	struct ts_request_batch *q = NULL;

	ck_assert_int_eq(ts_request_batch_start(&fake_store, &q), TS_ERR_OK);
	ts_request_batch_stop(q);
	start_job(q, 0, "_late");
	start_job(q, 1, "_dup");
	/* Answered before start returned, by this thread, one write each. */
	ck_assert_uint_eq(F.done, 2);
	ck_assert_int_eq(F.errs[0], TS_ERR_OK);
	ck_assert_int_eq(F.errs[1], TS_ERR_STORE_DUPLICATE);
	ck_assert_uint_eq(F.calls_one, 2);
	ck_assert_uint_eq(F.calls_many, 0);
	ts_request_batch_free(q);
}
END_TEST

START_TEST(test_discarded_hold_never_written)
{
	struct ts_request_batch *q = NULL;
	struct ts_signin_pending p = {
		.id = "_gone", .pool = "lync", .idp = "adfs", .return_url = "/", .created = 1,
		.expires_at = 2,
	};
	struct ts_http_hold hold = {0};

	ck_assert_int_eq(ts_request_batch_start(&fake_store, &q), TS_ERR_OK);
	ck_assert_int_eq(ts_request_batch_hold(q, &p, &hold), TS_ERR_OK);
	hold.discard(hold.work);
	ts_request_batch_stop(q);
	ck_assert_uint_eq(F.calls_many + F.calls_one, 0);
	ck_assert_uint_eq(F.done, 0);
	ts_request_batch_free(q);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("request_batch");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_gathered_in_one_transaction);
	tcase_add_test(tc, test_batch_cut_at_bound);
	tcase_add_test(tc, test_failed_transaction_fails_each);
	tcase_add_test(tc, test_after_stop_written_by_starter);
	tcase_add_test(tc, test_discarded_hold_never_written);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
