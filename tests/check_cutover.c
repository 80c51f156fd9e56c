/* Check suite for the per-pool cutover: the store (compare-and-swap,
 * all-or-nothing --all, rollback and journal, a crash half-way), exception
 * matching (expiry on its date, CIDR v4/v6 edges, agent globs), the usage
 * aggregator (bounds, dropped counter, batch flush, threads), plan and
 * tickets, and the stage watch (a change seen, a vanished store survived).
 * Files in a temp directory per test; fixed times; waits have deadlines. */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../broker/stage_watch.h"
#include "../broker/usage.h"
#include "tessera/cutover.h"
#include "tessera/log.h"
#include "test_dir.h"

#define T0 1764042000 /* 2025-11-25T03:40:00Z */

static char dir[256], db[300];

static void setup(void)
{
	ts_test_dir_make(dir, sizeof dir, "ts-check-cutover");
	snprintf(db, sizeof db, "%s/tessera.db", dir);
	ts_log_set_level(TS_LOG_ERR);
}

static void teardown(void)
{
	char moved[400];

	snprintf(moved, sizeof moved, "%s.moved", db);
	ts_test_db_remove(db);
	ts_test_db_remove(moved);
	ck_assert_msg(rmdir(dir) == 0, "%s: %s", dir, strerror(errno));
}

static struct ts_cutover *open_db(void)
{
	struct ts_cutover *c = NULL;

	ck_assert_int_eq(ts_cutover_open(db, true, &c), TS_ERR_OK);
	return c;
}

static const struct ts_change_meta meta = {"alice", "because", false, T0};

static ts_err set1(struct ts_cutover *c, const char *pool, int64_t version, enum ts_stage to)
{
	struct ts_stage_change ch = {pool, TS_STAGE_LEGACY, version, to};
	return ts_cutover_set(c, &ch, 1, &meta, NULL, NULL, NULL);
}

static enum ts_stage stage_of(struct ts_cutover *c, const char *pool, int64_t *version)
{
	struct ts_pool_stage st;
	enum ts_stage s;

	ck_assert_int_eq(ts_cutover_stage_get(c, pool, TS_STAGE_LEGACY, &st), TS_ERR_OK);
	s = st.stage;
	if (version != NULL)
		*version = st.version;
	ts_pool_stage_clear(&st);
	return s;
}

static size_t journal_len(struct ts_cutover *c, const char *pool)
{
	struct ts_journal j;
	size_t n;

	ck_assert_int_eq(ts_cutover_history(c, pool, &j), TS_ERR_OK);
	n = j.n;
	ts_journal_clear(&j);
	return n;
}

/* ---- stages ---- */

START_TEST(test_unset_pool_is_at_its_configured_stage)
{
	struct ts_cutover *c = open_db();
	struct ts_pool_stage st;

	ck_assert_int_eq(ts_cutover_stage_get(c, "lync", TS_STAGE_AUDIT, &st), TS_ERR_OK);
	ck_assert_int_eq(st.stage, TS_STAGE_AUDIT);
	ck_assert_int_eq(st.version, 0);
	ts_pool_stage_clear(&st);
	ts_cutover_close(c);
}
END_TEST

START_TEST(test_cas_two_connections_one_wins)
{
	struct ts_cutover *a = open_db(), *b = open_db();
	int64_t va, vb;

	ck_assert_int_eq(set1(a, "lync", 0, TS_STAGE_AUDIT), TS_ERR_OK);
	ck_assert_int_eq(set1(a, "lync", 1, TS_STAGE_LEGACY), TS_ERR_OK);
	ck_assert_int_eq(set1(a, "lync", 2, TS_STAGE_AUDIT), TS_ERR_OK);
	stage_of(a, "lync", &va);
	stage_of(b, "lync", &vb);
	ck_assert_int_eq(va, 3);
	ck_assert_int_eq(vb, 3);
	ck_assert_int_eq(set1(a, "lync", va, TS_STAGE_PASSIVE), TS_ERR_OK);
	ck_assert_int_eq(set1(b, "lync", vb, TS_STAGE_LEGACY), TS_ERR_CUTOVER_CONFLICT);
	ck_assert_int_eq(stage_of(b, "lync", &vb), TS_STAGE_PASSIVE);
	ck_assert_int_eq(vb, 4);
	ck_assert_uint_eq(journal_len(b, "lync"), 4);
	ts_cutover_close(a);
	ts_cutover_close(b);
}
END_TEST

static ts_err refuse_pool_b(void *arg, struct ts_cutover *c, const char *pool,
			    enum ts_stage from, enum ts_stage to)
{
	return strcmp(pool, "b") == 0 ? TS_ERR_CUTOVER_WOULD_BREAK : TS_ERR_OK;
}

START_TEST(test_all_is_all_or_nothing)
{
	struct ts_cutover *c = open_db();
	struct ts_stage_change ch[] = {{"a", TS_STAGE_LEGACY, 0, TS_STAGE_PASSIVE},
				       {"b", TS_STAGE_LEGACY, 0, TS_STAGE_PASSIVE},
				       {"c", TS_STAGE_LEGACY, 0, TS_STAGE_PASSIVE}};
	const char *failed = NULL;

	/* A check refusing one pool. */
	ck_assert_int_eq(ts_cutover_set(c, ch, 3, &meta, refuse_pool_b, NULL, &failed),
			 TS_ERR_CUTOVER_WOULD_BREAK);
	ck_assert_str_eq(failed, "b");
	/* A stale version on the last pool. */
	ch[2].expected_version = 7;
	ck_assert_int_eq(ts_cutover_set(c, ch, 3, &meta, NULL, NULL, &failed),
			 TS_ERR_CUTOVER_CONFLICT);
	ck_assert_str_eq(failed, "c");
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(stage_of(c, ch[i].pool, NULL), TS_STAGE_LEGACY);
		ck_assert_uint_eq(journal_len(c, ch[i].pool), 0);
	}
	ch[2].expected_version = 0;
	ck_assert_int_eq(ts_cutover_set(c, ch, 3, &meta, NULL, NULL, &failed), TS_ERR_OK);
	ck_assert_int_eq(stage_of(c, "a", NULL), TS_STAGE_PASSIVE);
	ck_assert_int_eq(stage_of(c, "c", NULL), TS_STAGE_PASSIVE);
	ts_cutover_close(c);
}
END_TEST

START_TEST(test_rollback_restores_and_journals)
{
	struct ts_cutover *c = open_db();
	struct ts_change_meta rb = {"bob (sudo as root)", "pilot broke", false, T0 + 60};
	struct ts_journal j;
	enum ts_stage to;

	ck_assert_int_eq(ts_cutover_rollback(c, "lync", TS_STAGE_LEGACY, 0, &rb, NULL, NULL, &to),
			 TS_ERR_CUTOVER_NO_HISTORY);
	ck_assert_int_eq(set1(c, "lync", 0, TS_STAGE_AUDIT), TS_ERR_OK);
	ck_assert_int_eq(set1(c, "lync", 1, TS_STAGE_PASSIVE), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_rollback(c, "lync", TS_STAGE_LEGACY, 1, &rb, NULL, NULL, &to),
			 TS_ERR_CUTOVER_CONFLICT);
	ck_assert_int_eq(ts_cutover_rollback(c, "lync", TS_STAGE_LEGACY, 2, &rb, NULL, NULL, &to),
			 TS_ERR_OK);
	ck_assert_int_eq(to, TS_STAGE_AUDIT);
	ck_assert_int_eq(stage_of(c, "lync", NULL), TS_STAGE_AUDIT);
	ck_assert_int_eq(ts_cutover_history(c, "lync", &j), TS_ERR_OK);
	ck_assert_uint_eq(j.n, 3);
	ck_assert(j.items[2].rollback);
	ck_assert_int_eq(j.items[2].from, TS_STAGE_PASSIVE);
	ck_assert_int_eq(j.items[2].to, TS_STAGE_AUDIT);
	ck_assert_int_eq(j.items[2].version, 3);
	ck_assert_int_eq(j.items[2].at, T0 + 60);
	ck_assert_str_eq(j.items[2].by, "bob (sudo as root)");
	ck_assert_str_eq(j.items[2].reason, "pilot broke");
	ts_journal_clear(&j);
	ts_cutover_close(c);
}
END_TEST

/* The check runs between the first pool's writes and the second's: a
 * kill -9 there leaves an open transaction with one pool written. */
static ts_err die_at_pool_b(void *arg, struct ts_cutover *c, const char *pool,
			    enum ts_stage from, enum ts_stage to)
{
	if (strcmp(pool, "b") == 0)
		raise(SIGKILL);
	return TS_ERR_OK;
}

static void run_child_flip(bool die)
{
	pid_t pid = fork();
	int status = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ts_cutover *c = NULL;
		struct ts_stage_change ch[] = {{"a", TS_STAGE_LEGACY, 0, TS_STAGE_PASSIVE},
					       {"b", TS_STAGE_LEGACY, 0, TS_STAGE_PASSIVE}};
		if (ts_cutover_open(db, true, &c) != TS_ERR_OK)
			_exit(3);
		if (ts_cutover_set(c, ch, 2, &meta, die ? die_at_pool_b : NULL, NULL, NULL) !=
		    TS_ERR_OK)
			_exit(4);
		raise(SIGKILL); /* after the commit: no clean close either */
		_exit(5);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
}

START_TEST(test_kill_during_flip_leaves_old_or_new)
{
	struct ts_cutover *c = open_db(); /* tables made before the child runs */

	ts_cutover_close(c);
	run_child_flip(true);
	c = open_db();
	ck_assert_int_eq(stage_of(c, "a", NULL), TS_STAGE_LEGACY);
	ck_assert_int_eq(stage_of(c, "b", NULL), TS_STAGE_LEGACY);
	ck_assert_uint_eq(journal_len(c, NULL), 0);
	ts_cutover_close(c);
	run_child_flip(false);
	c = open_db();
	ck_assert_int_eq(stage_of(c, "a", NULL), TS_STAGE_PASSIVE);
	ck_assert_int_eq(stage_of(c, "b", NULL), TS_STAGE_PASSIVE);
	ck_assert_uint_eq(journal_len(c, NULL), 2);
	ts_cutover_close(c);
}
END_TEST

/* ---- exceptions ---- */

START_TEST(test_exception_expires_on_its_date)
{
	struct ts_cutover *c = open_db();
	struct ts_cutover_exceptions ex;
	struct ts_exception_new e = {"lync", TS_EXCEPT_USER, "CORP\\Bob", 0, "CEO", "alice", T0};
	ts_time until, day;
	int64_t id;

	ck_assert_int_eq(ts_cutover_until_parse("2026-03-01", T0, &until), TS_ERR_OK);
	ck_assert_int_eq(ts_time_parse("2026-03-01T00:00:00Z", &day), TS_ERR_OK);
	ck_assert_int_eq(until, day);
	ck_assert_int_eq(ts_cutover_until_parse("2025-01-01", T0, &until), TS_ERR_CUTOVER_UNTIL);
	ck_assert_int_eq(ts_cutover_until_parse("tomorrow", T0, &until), TS_ERR_CUTOVER_UNTIL);
	e.until = day;
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_except_list(c, "lync", false, T0, &ex), TS_ERR_OK);
	ck_assert_uint_eq(ex.n, 1);
	ck_assert_ptr_nonnull(ts_cutover_excepted(&ex, "corp\\bob", NULL, NULL, day - 1));
	ck_assert_ptr_null(ts_cutover_excepted(&ex, "corp\\bob", NULL, NULL, day));
	ck_assert_ptr_null(ts_cutover_excepted(&ex, "corp\\bobby", NULL, NULL, day - 1));
	ts_cutover_exceptions_clear(&ex);
	/* Listed after its date only when expired ones are asked for. */
	ck_assert_int_eq(ts_cutover_except_list(c, "lync", false, day, &ex), TS_ERR_OK);
	ck_assert_uint_eq(ex.n, 0);
	ts_cutover_exceptions_clear(&ex);
	ck_assert_int_eq(ts_cutover_except_list(c, "lync", true, day, &ex), TS_ERR_OK);
	ck_assert_uint_eq(ex.n, 1);
	ts_cutover_exceptions_clear(&ex);
	ck_assert_int_eq(ts_cutover_except_rm(c, "other", id), TS_ERR_CUTOVER_EXCEPTION_UNKNOWN);
	ck_assert_int_eq(ts_cutover_except_rm(c, "lync", id), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_except_rm(c, "lync", id), TS_ERR_CUTOVER_EXCEPTION_UNKNOWN);
	/* Validation on the way in. */
	e.kind = TS_EXCEPT_CIDR, e.value = "10.1.2.3/8";
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_CUTOVER_CIDR);
	e.kind = TS_EXCEPT_AGENT, e.value = "***";
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_CUTOVER_PATTERN);
	e.kind = TS_EXCEPT_USER, e.value = "x", e.until = T0;
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_CUTOVER_UNTIL);
	ts_cutover_close(c);
}
END_TEST

static const struct {
	const char *net;
	ts_err parse;
	const char *ip;
	bool in;
} cidr_cases[] = {
	{"192.0.2.0/24", TS_ERR_OK, "192.0.2.0", true},
	{"192.0.2.0/24", TS_ERR_OK, "192.0.2.255", true},
	{"192.0.2.0/24", TS_ERR_OK, "192.0.3.0", false},
	{"192.0.2.0/24", TS_ERR_OK, "::ffff:192.0.2.9", true}, /* mapped = IPv4 */
	{"192.0.2.0/24", TS_ERR_OK, "2001:db8::1", false},
	{"0.0.0.0/0", TS_ERR_OK, "203.0.113.1", true},
	{"0.0.0.0/0", TS_ERR_OK, "2001:db8::1", false}, /* families never mix */
	{"10.0.0.0/9", TS_ERR_OK, "10.127.255.255", true},
	{"10.0.0.0/9", TS_ERR_OK, "10.128.0.0", false},
	{"198.51.100.7", TS_ERR_OK, "198.51.100.7", true}, /* bare: /32 */
	{"198.51.100.7", TS_ERR_OK, "198.51.100.8", false},
	{"2001:db8::/32", TS_ERR_OK, "2001:db8:ffff::1", true},
	{"2001:db8::/32", TS_ERR_OK, "2001:db9::1", false},
	{"2001:db8:0:80::/57", TS_ERR_OK, "2001:db8:0:ff::1", true},
	{"2001:db8:0:80::/57", TS_ERR_OK, "2001:db8:0:7f::1", false},
	{"::/0", TS_ERR_OK, "::1", true},
	{"2001:db8::1", TS_ERR_OK, "2001:db8::1", true}, /* bare: /128 */
	{"2001:db8::1", TS_ERR_OK, "not-an-ip", false},
	{"10.0.0.1/8", TS_ERR_CUTOVER_CIDR, NULL, false}, /* host bits */
	{"2001:db8::1/64", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"10.0.0.0/33", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"2001:db8::/129", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"10.0.0.0/", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"10.0.0.0/-1", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"10.0.0.0/8x", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"10.0.0/8", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"/8", TS_ERR_CUTOVER_CIDR, NULL, false},
	{"", TS_ERR_CUTOVER_CIDR, NULL, false},
};

START_TEST(test_cidr_table)
{
	struct ts_cidr net;
	size_t i = (size_t)_i;

	ck_assert_msg(ts_cidr_parse(cidr_cases[i].net, &net) == cidr_cases[i].parse, "parse %s",
		      cidr_cases[i].net);
	if (cidr_cases[i].parse == TS_ERR_OK)
		ck_assert_msg(ts_cidr_contains(&net, cidr_cases[i].ip) == cidr_cases[i].in,
			      "%s in %s", cidr_cases[i].ip, cidr_cases[i].net);
}
END_TEST

static const struct {
	const char *pattern;
	const char *agent;
	bool match;
} agent_cases[] = {
	{"*Lync 2010*", "UCCAPI/4.0.7577.0 OC/4.0.7577.0 (Microsoft Lync 2010)", true},
	{"*lync 2010*", "UCCAPI/4.0.7577.0 OC/4.0.7577.0 (Microsoft LYNC 2010)", true},
	{"*Lync 2010*", "UCCAPI/15.0 OC/15.0 (Microsoft Lync)", false},
	{"UCCAPI/*", "UCCAPI/16.0", true},
	{"UCCAPI/*", "xUCCAPI/16.0", false}, /* whole string, not substring */
	{"*OCPhone", "CPE/4.0 OCPhone", true},
	{"*OCPhone", "CPE/4.0 OCPhone/1", false},
	{"CPE/?.0*", "CPE/4.0 OCPhone", true},
	{"a*b*c", "aXXbYYc", true},
	{"a*b*c", "aXXbYY", false},
};

START_TEST(test_agent_pattern_table)
{
	size_t i = (size_t)_i;

	ck_assert_int_eq(ts_agent_pattern_check(agent_cases[i].pattern), TS_ERR_OK);
	ck_assert_msg(ts_agent_pattern_match(agent_cases[i].pattern, agent_cases[i].agent) ==
			      agent_cases[i].match,
		      "%s ~ %s", agent_cases[i].pattern, agent_cases[i].agent);
}
END_TEST

START_TEST(test_agent_pattern_bounds)
{
	char long_pattern[TS_CUTOVER_AGENT_MAX + 2];

	memset(long_pattern, 'a', sizeof long_pattern - 1);
	long_pattern[sizeof long_pattern - 1] = '\0';
	ck_assert_int_eq(ts_agent_pattern_check(long_pattern), TS_ERR_CUTOVER_PATTERN);
	ck_assert_int_eq(ts_agent_pattern_check("*a*b*c*d*e*f*g*h*"), TS_ERR_CUTOVER_PATTERN);
	ck_assert_int_eq(ts_agent_pattern_check("*a*b*c*d*e*f*g*"), TS_ERR_OK);
	ck_assert_int_eq(ts_agent_pattern_check("a\nb"), TS_ERR_CUTOVER_PATTERN);
	ck_assert_int_eq(ts_agent_pattern_check(""), TS_ERR_CUTOVER_PATTERN);
}
END_TEST

/* ---- usage, plan, report ---- */

static struct ts_usage_event event(const char *user, const char *family, bool capable,
				   const char *ip, ts_time now)
{
	return (struct ts_usage_event){"lync", user, family, capable, "ntlm", ip,
				       "UCCAPI/4.0 (Microsoft Lync 2010)", TS_DECISION_WOULD_BLOCK,
				       now};
}

START_TEST(test_usage_bounds_dropped_and_flush)
{
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(2);
	struct ts_usage_event ev = event("alice", "lync2010", false, "192.0.2.10", T0);
	struct ts_report r;
	size_t entries;
	uint64_t dropped;

	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ev.ip = "192.0.2.99"; /* same /24: same row */
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ev.user = "bob";
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ev.user = "carol"; /* a third row: the table holds two */
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_STORE_FULL);
	ev.ip = "not-an-ip";
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_INVALID_ARGUMENT);
	ts_usage_stats(u, &entries, &dropped);
	ck_assert_uint_eq(entries, 2);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ts_usage_stats(u, &entries, &dropped);
	ck_assert_uint_eq(entries, 0);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_int_eq(ts_cutover_report(c, NULL, T0 - 3600, &r), TS_ERR_OK);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_str_eq(r.items[0].user, "alice");
	ck_assert_uint_eq(r.items[0].count, 2);
	ck_assert_int_eq(r.items[0].decision, TS_DECISION_WOULD_BLOCK);
	ts_report_clear(&r);
	/* A second flush adds to the same rows. */
	ev = event("alice", "lync2010", false, "192.0.2.10", T0 + 5);
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_report(c, "lync", T0 - 3600, &r), TS_ERR_OK);
	ck_assert_uint_eq(r.items[0].count, 3);
	ck_assert_int_eq(r.items[0].last_seen, T0 + 5);
	ts_report_clear(&r);
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

#define THREADS 4
#define PER_THREAD 2000

static void *record_many(void *arg)
{
	struct ts_usage *u = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		struct ts_usage_event ev = event(i % 2 ? "alice" : "bob", "sfb", true, "2001:db8::1",
						 T0 + i);
		ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	}
	return NULL;
}

START_TEST(test_usage_threads_and_flush_thread)
{
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(1000);
	struct ts_clock clock = ts_clock_fixed(T0 + 3 * 3600);
	pthread_t t[THREADS];
	struct ts_report r;
	uint64_t total = 0;

	ck_assert_int_eq(ts_usage_start(u, c, 3600, 90, &clock), TS_ERR_OK);
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, record_many, u), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ts_usage_stop(u); /* the last flush writes everything */
	ck_assert_int_eq(ts_cutover_report(c, NULL, T0 - 3600, &r), TS_ERR_OK);
	for (size_t i = 0; i < r.n; i++)
		total += r.items[i].count;
	ck_assert_uint_eq(total, THREADS * PER_THREAD);
	ts_report_clear(&r);
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

struct flush_job {
	struct ts_usage *u;
	struct ts_cutover *c;
	ts_err err;
};

static void *flush_job_run(void *arg)
{
	struct flush_job *j = arg;

	j->err = ts_usage_flush(j->u, j->c, 0);
	return NULL;
}

/* Polls (deadline 10 s) until the table holds want rows. */
static bool wait_usage_entries(struct ts_usage *u, size_t want)
{
	gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	size_t entries;

	do {
		ts_usage_stats(u, &entries, NULL);
		if (entries == want)
			return true;
		g_usleep(1000);
	} while (g_get_monotonic_time() < deadline);
	return false;
}

static void sql(sqlite3 *conn, const char *statements)
{
	char *msg = NULL;

	ck_assert_msg(sqlite3_exec(conn, statements, NULL, NULL, &msg) == SQLITE_OK, "%s: %s",
		      statements, msg);
}

/* The first column of query's first row as text (g_free it); false when
 * the query fails or has no row. */
static bool query_text(sqlite3 *conn, const char *query, char **out)
{
	sqlite3_stmt *st = NULL;
	bool found;

	*out = NULL;
	if (sqlite3_prepare_v2(conn, query, -1, &st, NULL) != SQLITE_OK)
		return false;
	found = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL;
	if (found)
		*out = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return found;
}

/* A failed flush puts back what it took, even past max_entries when new
 * attempts came in meanwhile: a counted attempt lost here would let its
 * refusal take off another sign-in. The test holds the write lock so the
 * flush waits with the table taken, records, then makes the write fail. */
START_TEST(test_usage_failed_flush_keeps_rows)
{
	const char *before[] = {"alice", "bob"}, *during[] = {"carol", "dave"};
	struct ts_cutover *c = open_db();
	struct flush_job job = {ts_usage_new(2), c, TS_ERR_OK};
	struct ts_usage_event ev = event("alice", "lync2010", false, "192.0.2.10", T0);
	struct ts_report r;
	sqlite3 *holder;
	pthread_t t;
	size_t entries;
	uint64_t dropped;

	for (size_t i = 0; i < 2; i++) {
		ev.user = before[i];
		ck_assert_int_eq(ts_usage_record(job.u, &ev), TS_ERR_OK);
	}
	ck_assert_int_eq(sqlite3_open(db, &holder), SQLITE_OK);
	sql(holder, "BEGIN IMMEDIATE");
	ck_assert_int_eq(pthread_create(&t, NULL, flush_job_run, &job), 0);
	ck_assert(wait_usage_entries(job.u, 0));
	for (size_t i = 0; i < 2; i++) {
		ev.user = during[i];
		ck_assert_int_eq(ts_usage_record(job.u, &ev), TS_ERR_OK);
	}
	sql(holder, "CREATE TRIGGER refuse_usage BEFORE INSERT ON cutover_usage"
		    " BEGIN SELECT RAISE(ABORT, 'test: write refused'); END; COMMIT");
	pthread_join(t, NULL);
	ck_assert_int_ne(job.err, TS_ERR_OK);
	ts_usage_stats(job.u, &entries, &dropped);
	ck_assert_uint_eq(entries, 4);
	ck_assert_uint_eq(dropped, 0);
	/* New attempts still stop at max_entries. */
	ev.user = "erin";
	ck_assert_int_eq(ts_usage_record(job.u, &ev), TS_ERR_STORE_FULL);

	sql(holder, "DROP TRIGGER refuse_usage");
	ck_assert_int_eq(sqlite3_close(holder), SQLITE_OK);
	ck_assert_int_eq(ts_usage_flush(job.u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_report(c, "lync", T0 - 3600, &r), TS_ERR_OK);
	ck_assert_uint_eq(r.n, 4);
	for (size_t i = 0; i < r.n; i++)
		ck_assert_uint_eq(r.items[i].count, 1);
	ts_report_clear(&r);
	ts_usage_free(job.u);
	ts_cutover_close(c);
}
END_TEST

START_TEST(test_plan_split_by_capability_and_exceptions)
{
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(100);
	struct ts_exception_new e = {"lync", TS_EXCEPT_USER, "dave", T0 + 86400, "ok", "alice", T0};
	struct ts_plan plan;
	int64_t id;
	const struct {
		const char *user, *family;
		bool capable;
		const char *ip, *agent;
	} seen[] = {
		{"alice", "lync2010", false, "192.0.2.1", "UCCAPI (Microsoft Lync 2010)"},
		{"bob", "sfb", true, "192.0.2.2", "UCCAPI (Skype for Business)"},
		{"carol", "phone", false, "198.51.100.3", "CPE/4.0 OCPhone"},
		{"dave", "lync2010", false, "192.0.2.4", "UCCAPI (Microsoft Lync 2010)"},
		{"erin", "mac", false, "203.0.113.5", "Microsoft Lync for Mac"},
		{"frank", "lync2010", false, "2001:db8:1:2::5", "x"},
	};

	for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
		struct ts_usage_event ev = event(seen[i].user, seen[i].family, seen[i].capable,
						 seen[i].ip, T0);
		ev.agent = seen[i].agent;
		ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	}
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK); /* dave by user */
	e.kind = TS_EXCEPT_AGENT, e.value = "*OCPhone";			 /* carol by agent */
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
	e.kind = TS_EXCEPT_CIDR, e.value = "2001:db8:1::/48"; /* frank's /64 inside */
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
	e.value = "203.0.113.5"; /* one host does not cover erin's /24 */
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);

	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 60, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 3);
	ck_assert_uint_eq(plan.breaks, 2);
	ck_assert_str_eq(plan.items[0].user, "alice");
	ck_assert(!plan.items[0].passive_capable);
	ck_assert_str_eq(plan.items[1].user, "erin");
	ck_assert_str_eq(plan.items[2].user, "bob");
	ck_assert(plan.items[2].passive_capable);
	ck_assert_uint_eq(plan.items[2].count, 1);
	ts_plan_clear(&plan);
	/* After the exceptions end, dave, carol and frank break too. */
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 86400, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.breaks, 5);
	ts_plan_clear(&plan);
	/* Outside the window: nothing. */
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 + 3600, T0 + 3600, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 0);
	ts_plan_clear(&plan);
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

/* Attempts the pool refused (a spray: many names, wrong passwords) are
 * taken off: a user none of whose attempts signed in is not in the plan.
 * Refusals count within their hour only, and never below none there. */
START_TEST(test_plan_leaves_out_what_the_pool_refused)
{
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(100);
	const struct {
		const char *user;
		int attempts, refused;
		ts_time refused_at; /* T0 + this */
	} seen[] = {{"alice", 3, 1, 0},	   {"sprayed", 2, 2, 0},   {"bob", 1, 0, 0},
		    {"excess", 1, 3, 0},   {"late", 1, 1, 3600}, {"unpaired", 2, 3, 3600}};
	struct ts_plan plan;
	struct ts_report r;
	uint64_t attempts;

	for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
		struct ts_usage_event ev = event(seen[i].user, "lync2010", false, "192.0.2.1", T0);
		for (int k = 0; k < seen[i].attempts; k++)
			ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
		ev.decision = TS_DECISION_POOL_REFUSED;
		ev.now = T0 + seen[i].refused_at;
		for (int k = 0; k < seen[i].refused; k++)
			ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	}
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 7200, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 4);
	ck_assert_str_eq(plan.items[0].user, "alice");
	ck_assert_uint_eq(plan.items[0].count, 2);
	ck_assert_str_eq(plan.items[1].user, "bob");
	/* Refusals of another hour take nothing off: over-counting is safe. */
	ck_assert_str_eq(plan.items[2].user, "late");
	ck_assert_uint_eq(plan.items[2].count, 1);
	ck_assert_str_eq(plan.items[3].user, "unpaired");
	ck_assert_uint_eq(plan.items[3].count, 2);
	ts_plan_clear(&plan);
	/* The report keeps every row: the refused ones show the spray. */
	ck_assert_int_eq(ts_cutover_report(c, "lync", T0 - 3600, &r), TS_ERR_OK);
	ck_assert_uint_eq(r.n, 11);
	for (size_t i = 0; i < r.n; i++)
		if (strcmp(r.items[i].user, "sprayed") == 0 &&
		    r.items[i].decision == TS_DECISION_POOL_REFUSED)
			ck_assert_uint_eq(r.items[i].count, 2);
	ts_report_clear(&r);
	/* pool status counts attempts: each refusal is of one counted. */
	ck_assert_int_eq(ts_cutover_usage_count(c, "lync", T0 - 3600, &attempts), TS_ERR_OK);
	ck_assert_uint_eq(attempts, 10);
	ck_assert_str_eq(ts_usage_decision_name(TS_DECISION_POOL_REFUSED), "pool-refused");
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

/* An hour a spray left with nothing counts for nothing: not its last use,
 * not its agent, which an agent exception would have excepted the line by. */
START_TEST(test_plan_spray_hour_counts_for_nothing)
{
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(100);
	struct ts_exception_new e = {"lync", TS_EXCEPT_AGENT, "Spray*", T0 + 86400, "ok", "op", T0};
	struct ts_usage_event ev = event("alice", "lync2010", false, "192.0.2.1", T0 + 10);
	struct ts_plan plan;
	int64_t id;

	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK); /* alice, really */
	ev.agent = "SprayTool/1.0";
	ev.now = T0 + 3600 + 5;
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ev.decision = TS_DECISION_POOL_REFUSED;
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 7200, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 1);
	ck_assert_str_eq(plan.items[0].user, "alice");
	ck_assert_uint_eq(plan.items[0].count, 1);
	ck_assert_int_eq(plan.items[0].last_seen, T0 + 10);
	ts_plan_clear(&plan);
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

/* Agent exceptions are judged per User-Agent: a line stays while any agent
 * that no exception matches signed in. Not decided by an older hour's agent
 * (though that hour saw a passive-capable client), nor by a refused
 * attempt's, even one made after the user's last real sign-in in the same
 * hour and network, nor by the latest of a user's two clients. */
START_TEST(test_plan_judges_each_agent)
{
	static const char *const patterns[] = {"Old*", "Spray*", "New*"};
	static const struct {
		const char *user, *agent;
		bool capable;
		enum ts_usage_decision decision;
		ts_time at; /* T0 + this */
	} uses[] = {
		{"alice", "Old/1", true, TS_DECISION_WOULD_BLOCK, 10},
		/* alice's next hour: a refused spray, then another client. */
		{"alice", "Spray/1", true, TS_DECISION_WOULD_BLOCK, 3650},
		{"alice", "Spray/1", true, TS_DECISION_POOL_REFUSED, 3650},
		{"alice", "New/2", false, TS_DECISION_WOULD_BLOCK, 3660},
		/* bob: a real sign-in, then in the same hour and network a
		 * spray attempt under his name that the pool refused. */
		{"bob", "New/2", false, TS_DECISION_WOULD_BLOCK, 10},
		{"bob", "Spray/2", false, TS_DECISION_WOULD_BLOCK, 20},
		{"bob", "Spray/2", false, TS_DECISION_POOL_REFUSED, 20},
		/* carol: two clients in one hour and network, the excepted
		 * one last. */
		{"carol", "New/2", false, TS_DECISION_WOULD_BLOCK, 10},
		{"carol", "Old/1", false, TS_DECISION_WOULD_BLOCK, 30},
	};
	struct ts_cutover *c = open_db();
	struct ts_usage *u = ts_usage_new(100);
	struct ts_plan plan;
	int64_t id;

	for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
		struct ts_usage_event ev = event(uses[i].user, "lync2010", uses[i].capable,
						 "192.0.2.1", T0 + uses[i].at);
		ev.agent = uses[i].agent;
		ev.decision = uses[i].decision;
		ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	}
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	/* No exception yet: a line shows its latest use and that use's agent,
	 * and breaks if any of its agents does (alice's New/2; Old/1, capable,
	 * is read last). */
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 7200, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 3);
	ck_assert_uint_eq(plan.breaks, 3);
	ck_assert_str_eq(plan.items[0].user, "alice");
	ck_assert(!plan.items[0].passive_capable);
	ck_assert_str_eq(plan.items[2].user, "carol");
	ck_assert_uint_eq(plan.items[2].count, 2);
	ck_assert_int_eq(plan.items[2].last_seen, T0 + 30);
	ck_assert_str_eq(plan.items[2].agent, "Old/1");
	ts_plan_clear(&plan);

	for (size_t i = 0; i < 3; i++) {
		struct ts_exception_new e = {"lync", TS_EXCEPT_AGENT, patterns[i], T0 + 86400, "ok",
					     "op", T0};
		ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
		ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 7200, &plan), TS_ERR_OK);
		if (i < 2) {
			/* Old/1 excepted, alice still breaks by New/2; bob's line
			 * is his own sign-in, untouched by the spray; carol's is
			 * the client that is not excepted. */
			ck_assert_uint_eq(plan.n, 3);
			ck_assert_uint_eq(plan.breaks, 3);
			ck_assert_str_eq(plan.items[0].user, "alice");
			ck_assert_uint_eq(plan.items[0].count, 1);
			ck_assert_int_eq(plan.items[0].last_seen, T0 + 3600 + 60);
			ck_assert_str_eq(plan.items[0].agent, "New/2");
			for (size_t k = 1; k < 3; k++) {
				ck_assert_str_eq(plan.items[k].user, k == 1 ? "bob" : "carol");
				ck_assert_uint_eq(plan.items[k].count, 1);
				ck_assert_int_eq(plan.items[k].last_seen, T0 + 10);
				ck_assert_str_eq(plan.items[k].agent, "New/2");
			}
		} else {
			ck_assert_msg(plan.n == 0, "after %s: %zu lines", patterns[i], plan.n);
		}
		ts_plan_clear(&plan);
	}
	ts_usage_free(u);
	ts_cutover_close(c);
}
END_TEST

/* Turns the store at db into one as cutover schema 1 left it (usage keyed
 * without the agent), holding rows, and an operator's view on the table. */
static void make_v1_store(const char *rows)
{
	struct ts_cutover *c = open_db();
	sqlite3 *raw = NULL;

	ts_cutover_close(c);
	ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
	sql(raw, "DROP TABLE cutover_usage;"
		 "CREATE TABLE cutover_usage (pool TEXT NOT NULL, user TEXT NOT NULL,"
		 " family TEXT NOT NULL, kind TEXT NOT NULL, network TEXT NOT NULL,"
		 " decision TEXT NOT NULL, hour INTEGER NOT NULL, passive_capable INTEGER NOT NULL,"
		 " first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, count INTEGER NOT NULL,"
		 " agent TEXT NOT NULL,"
		 " PRIMARY KEY (pool, user, family, kind, network, decision, hour)) WITHOUT ROWID;"
		 "CREATE INDEX cutover_usage_hour ON cutover_usage (hour);"
		 "CREATE VIEW usage_by_user AS SELECT user, sum(count) AS n FROM cutover_usage"
		 " GROUP BY user;"
		 "UPDATE cutover_schema SET version = 1;");
	sql(raw, rows);
	ck_assert_int_eq(sqlite3_close(raw), SQLITE_OK);
}

/* A store of cutover schema 1 is upgraded when opened, once, and says so:
 * its rows kept and judged as schema 1 judged them (bob's refusals, whose
 * row took another agent than his attempts', still net them off), the
 * agent in the key from then on, the index and an operator's view intact.
 * A newer schema is refused. */
START_TEST(test_usage_schema_upgrade)
{
	struct ts_usage *u = ts_usage_new(100);
	struct ts_usage_event ev = event("alice", "lync2010", false, "192.0.2.1", T0);
	struct ts_cutover *c;
	struct ts_report r;
	struct ts_plan plan;
	sqlite3 *raw = NULL;
	char *rows, *text = NULL, *log = NULL;
	const char *upgraded;
	size_t log_len = 0;
	FILE *log_stream = open_memstream(&log, &log_len);

	rows = sqlite3_mprintf(
		"INSERT INTO cutover_usage VALUES"
		" ('lync', 'alice', 'lync2010', 'ntlm', '192.0.2.0/24', 'would-block', %d, 0, %d,"
		"  %d, 2, 'Old/1'),"
		" ('lync', 'bob', 'lync2010', 'ntlm', '192.0.2.0/24', 'would-block', %d, 0, %d,"
		"  %d, 2, 'Spray/B'),"
		" ('lync', 'bob', 'lync2010', 'ntlm', '192.0.2.0/24', 'pool-refused', %d, 0, %d,"
		"  %d, 2, 'Spray/A')",
		T0 / 3600, T0, T0, T0 / 3600, T0, T0 + 20, T0 / 3600, T0, T0 + 30);
	make_v1_store(rows);
	sqlite3_free(rows);

	ck_assert_ptr_nonnull(log_stream);
	ts_log_set_stream(log_stream);
	ts_log_set_level(TS_LOG_INFO);
	c = open_db();
	ts_cutover_close(c);
	c = open_db(); /* upgraded already: not again */
	fflush(log_stream);
	ts_log_set_stream(NULL);
	ts_log_set_level(TS_LOG_ERR);
	upgraded = strstr(log, "event=cutover_schema_upgraded");
	ck_assert_msg(upgraded != NULL && strstr(upgraded, "from=1 to=2 ms=") != NULL &&
			      strstr(upgraded + 1, "event=cutover_schema_upgraded") == NULL,
		      "%s", log);
	fclose(log_stream);
	free(log);

	ev.agent = "New/2";
	ck_assert_int_eq(ts_usage_record(u, &ev), TS_ERR_OK);
	ck_assert_int_eq(ts_usage_flush(u, c, 0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_report(c, "lync", T0 - 3600, &r), TS_ERR_OK);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.items[0].user, "alice");
	ck_assert_uint_eq(r.items[0].count, 3);
	ts_report_clear(&r);
	ck_assert_int_eq(ts_cutover_plan(c, "lync", T0 - 3600, T0 + 60, &plan), TS_ERR_OK);
	ck_assert_uint_eq(plan.n, 1);
	ck_assert_str_eq(plan.items[0].user, "alice");
	ck_assert_uint_eq(plan.items[0].count, 3);
	ts_plan_clear(&plan);
	ts_cutover_close(c);

	ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
	ck_assert(query_text(raw, "SELECT group_concat(agent || '=' || count, ' ') FROM"
				  " (SELECT agent, count FROM cutover_usage WHERE user = 'alice'"
				  "  ORDER BY agent)",
			     &text));
	ck_assert_str_eq(text, "New/2=1 Old/1=2");
	g_free(text);
	/* Both of bob's rows take his latest use's agent, not his latest
	 * refusal's. */
	ck_assert(query_text(raw, "SELECT group_concat(agent, ' ') FROM cutover_usage"
				  " WHERE user = 'bob'",
			     &text));
	ck_assert_str_eq(text, "Spray/B Spray/B");
	g_free(text);
	ck_assert(query_text(raw, "SELECT version FROM cutover_schema", &text));
	ck_assert_str_eq(text, "2");
	g_free(text);
	ck_assert(query_text(raw, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"
				  " AND name = 'cutover_usage_hour' AND tbl_name = 'cutover_usage'",
			     &text));
	ck_assert_str_eq(text, "1");
	g_free(text);
	ck_assert(query_text(raw, "SELECT n FROM usage_by_user WHERE user = 'alice'", &text));
	ck_assert_str_eq(text, "3");
	g_free(text);
	ck_assert(query_text(raw, "PRAGMA integrity_check", &text));
	ck_assert_str_eq(text, "ok");
	g_free(text);
	sql(raw, "UPDATE cutover_schema SET version = 3");
	ck_assert_int_eq(sqlite3_close(raw), SQLITE_OK);
	c = NULL;
	ck_assert_int_eq(ts_cutover_open(db, true, &c), TS_ERR_STORE_SCHEMA);
	ck_assert_ptr_null(c);
	ts_usage_free(u);
}
END_TEST

/* An open that finds another process holding the write lock past the busy
 * timeout (a long upgrade) says the store is busy, not that its schema is
 * unknown. */
START_TEST(test_open_busy_is_not_schema)
{
	struct ts_cutover *c = NULL;
	sqlite3 *holder = NULL;

	make_v1_store("SELECT 1");
	ck_assert_int_eq(sqlite3_open(db, &holder), SQLITE_OK);
	sql(holder, "BEGIN IMMEDIATE");
	ck_assert_int_eq(ts_cutover_open(db, true, &c), TS_ERR_STORE_OPEN);
	ck_assert_ptr_null(c);
	sql(holder, "ROLLBACK");
	ck_assert_int_eq(sqlite3_close(holder), SQLITE_OK);
	c = open_db();
	ts_cutover_close(c);
}
END_TEST

START_TEST(test_network_aggregation)
{
	char net[TS_CUTOVER_NETWORK_MAX];

	ck_assert_int_eq(ts_cutover_network_of("192.0.2.77", net), TS_ERR_OK);
	ck_assert_str_eq(net, "192.0.2.0/24");
	ck_assert_int_eq(ts_cutover_network_of("::ffff:198.51.100.9", net), TS_ERR_OK);
	ck_assert_str_eq(net, "198.51.100.0/24");
	ck_assert_int_eq(ts_cutover_network_of("2001:db8:1:2:3:4:5:6", net), TS_ERR_OK);
	ck_assert_str_eq(net, "2001:db8:1:2::/64");
	ck_assert_int_eq(ts_cutover_network_of("host.example", net), TS_ERR_INVALID_ARGUMENT);
}
END_TEST

/* ---- pool tickets ---- */

START_TEST(test_tickets_minted_kind_bound_and_revoke)
{
	struct ts_cutover *c = open_db();
	struct ts_pool_ticket t[3] = {{"", "lync", "ntlm", "alice@example.test", T0 + 8 * 3600},
				      {"", "lync", "passive", "bob@example.test", T0 + 8 * 3600},
				      {"", "lync", "ntlm", "CORP\\carol", T0 + 60}};
	struct ts_pool_ticket got;
	struct ts_revoke_list rv;

	ck_assert_int_eq(ts_cutover_ticket_hash("cwt=AAA", 7, t[0].hash), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_ticket_hash("cwt=BBB", 7, t[1].hash), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_ticket_hash("cwt=CCC", 7, t[2].hash), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_set_ticket_max(c, 2), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_tickets_put(c, t, 3, T0), TS_ERR_CUTOVER_TICKETS_FULL);
	ck_assert_int_eq(ts_cutover_ticket_get(c, t[0].hash, T0, &got), TS_ERR_STORE_NOT_FOUND);
	ck_assert_int_eq(ts_cutover_tickets_put(c, t, 2, T0), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_tickets_put(c, t, 2, T0), TS_ERR_OK); /* again: no growth */
	ck_assert_int_eq(ts_cutover_ticket_get(c, t[0].hash, T0, &got), TS_ERR_OK);
	ck_assert_str_eq(got.kind, "ntlm");
	ck_assert_str_eq(got.user, "alice@example.test");
	ts_pool_ticket_clear(&got);
	ck_assert_int_eq(ts_cutover_ticket_get(c, t[0].hash, T0 + 8 * 3600, &got),
			 TS_ERR_STORE_NOT_FOUND);
	/* Once those expire, room again. */
	ck_assert_int_eq(ts_cutover_tickets_put(c, &t[2], 1, T0 + 8 * 3600 - 30),
			 TS_ERR_CUTOVER_TICKETS_FULL);
	ck_assert_int_eq(ts_cutover_tickets_put(c, &t[2], 1, T0 + 8 * 3600), TS_ERR_OK);
	/* CertProv use is remembered past the ticket's expiry. */
	ck_assert_int_eq(ts_cutover_ticket_certprov(c, t[2].hash, T0 + 8 * 3600), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_revoke_candidates(c, "lync", true, T0 + 9 * 3600, &rv),
			 TS_ERR_OK);
	ck_assert_uint_eq(rv.n, 1);
	ck_assert_str_eq(rv.items[0].user, "CORP\\carol");
	ts_revoke_list_clear(&rv);
	ts_cutover_close(c);
}
END_TEST

/* ---- stage watch ---- */

static enum ts_stage watched(struct ts_stage_watch *w, const char *pool, int64_t *version)
{
	struct ts_stage_snapshot *s = ts_stage_watch_acquire(w);
	const struct ts_stage_pool *p = ts_stage_snapshot_pool(s, pool);
	enum ts_stage st;

	ck_assert_ptr_nonnull(p);
	st = p->stage;
	if (version != NULL)
		*version = p->version;
	ts_stage_snapshot_release(s);
	return st;
}

/* Waits (deadline 5 s, in poll rounds) until pool is at want. */
static bool wait_stage(struct ts_stage_watch *w, const char *pool, enum ts_stage want)
{
	for (int i = 0; i < 100; i++) {
		if (watched(w, pool, NULL) == want)
			return true;
		if (!ts_stage_watch_wait_rounds(w, 1, 5000))
			return false;
	}
	return false;
}

/* Is pool in the watch's snapshot? */
static bool watches(struct ts_stage_watch *w, const char *pool)
{
	struct ts_stage_snapshot *s = ts_stage_watch_acquire(w);
	bool there = ts_stage_snapshot_pool(s, pool) != NULL;

	ts_stage_snapshot_release(s);
	return there;
}

/* Waits (deadline 10 s) until the watch's snapshot is of the store's
 * current generation. */
static bool wait_generation_seen(struct ts_stage_watch *w, struct ts_cutover *c)
{
	int64_t generation = 0;

	ck_assert_int_eq(ts_cutover_generation(c, &generation), TS_ERR_OK);
	for (int i = 0; i < 10; i++) {
		struct ts_stage_snapshot *s = ts_stage_watch_acquire(w);
		bool seen = s->generation == generation;

		ts_stage_snapshot_release(s);
		if (seen)
			return true;
		if (!ts_stage_watch_wait_rounds(w, 1, 5000))
			return false;
	}
	return false;
}

/* A reload's pools (SIGHUP): one added has its stored stage at once, a
 * changed configured stage applies to a pool never flipped, and a pool the
 * new list lacks stays watched. The interval is long, so only the reload
 * can have read the store. */
START_TEST(test_stage_watch_takes_reloaded_pools)
{
	struct ts_cutover *c = open_db();
	const char *first[] = {"lync"}, *second[] = {"web", "lync"}, *third[] = {"web"},
		   *fourth[] = {"late"};
	const enum ts_stage first_conf[] = {TS_STAGE_LEGACY},
			    second_conf[] = {TS_STAGE_LEGACY, TS_STAGE_AUDIT},
			    third_conf[] = {TS_STAGE_LEGACY}, fourth_conf[] = {TS_STAGE_LEGACY};
	struct ts_stage_watch *w = NULL;
	struct ts_stage_snapshot *s;
	char moved[400];

	ck_assert_int_eq(set1(c, "web", 0, TS_STAGE_PASSIVE), TS_ERR_OK);
	ck_assert_int_eq(ts_stage_watch_start(db, first, first_conf, 1, 2000, &w), TS_ERR_OK);
	s = ts_stage_watch_acquire(w);
	ck_assert_ptr_null(ts_stage_snapshot_pool(s, "web"));
	ts_stage_snapshot_release(s);

	ck_assert_int_eq(ts_stage_watch_set_pools(w, second, second_conf, 2, 5000), TS_ERR_OK);
	ck_assert_int_eq(watched(w, "web", NULL), TS_STAGE_PASSIVE);
	ck_assert_int_eq(watched(w, "lync", NULL), TS_STAGE_AUDIT);

	ck_assert_int_eq(ts_stage_watch_set_pools(w, third, third_conf, 1, 5000), TS_ERR_OK);
	ck_assert_int_eq(watched(w, "web", NULL), TS_STAGE_PASSIVE);
	ck_assert_int_eq(watched(w, "lync", NULL), TS_STAGE_AUDIT);

	/* A reload while the store is away: not ready, and the pool comes in
	 * with its stored stage once the store is back, though nothing in the
	 * store changed meanwhile. */
	ck_assert_int_eq(set1(c, "late", 0, TS_STAGE_PASSIVE), TS_ERR_OK);
	ck_assert(wait_generation_seen(w, c));
	snprintf(moved, sizeof moved, "%s.moved", db);
	ck_assert_int_eq(rename(db, moved), 0);
	ck_assert_int_eq(ts_stage_watch_set_pools(w, fourth, fourth_conf, 1, 5000),
			 TS_ERR_NOT_READY);
	ck_assert_int_eq(rename(moved, db), 0);
	for (int i = 0; i < 10 && !watches(w, "late"); i++)
		ck_assert(ts_stage_watch_wait_rounds(w, 1, 5000));
	ck_assert_int_eq(watched(w, "late", NULL), TS_STAGE_PASSIVE);
	ts_stage_watch_stop(w);
	ts_cutover_close(c);
}
END_TEST

START_TEST(test_stage_watch_sees_change_and_survives_lost_store)
{
	struct ts_cutover *c = open_db();
	const char *pools[] = {"lync", "web"};
	const enum ts_stage conf[] = {TS_STAGE_LEGACY, TS_STAGE_AUDIT};
	struct ts_stage_watch *w = NULL;
	struct ts_exception_new e = {"lync", TS_EXCEPT_CIDR, "192.0.2.0/24", (ts_time)T0 * 2, "office",
				     "alice", T0};
	struct ts_stage_snapshot *s;
	char moved[400], why[256];
	int64_t id, v;

	ck_assert_int_eq(ts_stage_watch_start(db, pools, conf, 2, 50, &w), TS_ERR_OK);
	ck_assert(ts_stage_watch_ready(w, NULL, 0));
	ck_assert_int_eq(watched(w, "web", NULL), TS_STAGE_AUDIT);
	ck_assert_int_eq(set1(c, "lync", 0, TS_STAGE_PASSIVE), TS_ERR_OK);
	ck_assert_int_eq(ts_cutover_except_add(c, &e, &id), TS_ERR_OK);
	ck_assert(wait_stage(w, "lync", TS_STAGE_PASSIVE));
	ck_assert(ts_stage_watch_wait_rounds(w, 2, 5000)); /* the exception's change too */
	s = ts_stage_watch_acquire(w);
	ck_assert_uint_eq(ts_stage_snapshot_pool(s, "lync")->exceptions.n, 1);
	ck_assert_ptr_nonnull(ts_cutover_excepted(&ts_stage_snapshot_pool(s, "lync")->exceptions,
						  NULL, NULL, "192.0.2.8", T0 + 60));
	ck_assert_uint_eq(ts_stage_snapshot_pool(s, "web")->exceptions.n, 0);

	/* The store goes away: last stages kept, not ready; the snapshot a
	 * request holds stays valid throughout. */
	snprintf(moved, sizeof moved, "%s.moved", db);
	ck_assert_int_eq(rename(db, moved), 0);
	ck_assert(ts_stage_watch_wait_rounds(w, 2, 5000));
	ck_assert(!ts_stage_watch_ready(w, why, sizeof why));
	ck_assert_msg(strstr(why, "store") != NULL, "%s", why);
	ck_assert_int_eq(watched(w, "lync", &v), TS_STAGE_PASSIVE);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(ts_stage_snapshot_pool(s, "lync")->stage, TS_STAGE_PASSIVE);
	ts_stage_snapshot_release(s);

	/* Back: ready again, and a change made meanwhile is picked up. */
	ck_assert_int_eq(set1(c, "lync", 1, TS_STAGE_AUDIT), TS_ERR_OK); /* c has the file open */
	ck_assert_int_eq(rename(moved, db), 0);
	ck_assert(wait_stage(w, "lync", TS_STAGE_AUDIT));
	ck_assert(ts_stage_watch_ready(w, NULL, 0));
	ts_stage_watch_stop(w);
	ts_cutover_close(c);
}
END_TEST

static Suite *cutover_suite(void)
{
	Suite *s = suite_create("cutover");
	TCase *tc = tcase_create("store");

	/* Some tests wait out a store's 5 s busy timeout: more than Check's
	 * default of 4 s when run by hand, without the suite's setting. */
	tcase_set_timeout(tc, 60);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unset_pool_is_at_its_configured_stage);
	tcase_add_test(tc, test_cas_two_connections_one_wins);
	tcase_add_test(tc, test_all_is_all_or_nothing);
	tcase_add_test(tc, test_rollback_restores_and_journals);
	tcase_add_test(tc, test_kill_during_flip_leaves_old_or_new);
	tcase_add_test(tc, test_exception_expires_on_its_date);
	tcase_add_test(tc, test_usage_bounds_dropped_and_flush);
	tcase_add_test(tc, test_usage_threads_and_flush_thread);
	tcase_add_test(tc, test_usage_failed_flush_keeps_rows);
	tcase_add_test(tc, test_plan_split_by_capability_and_exceptions);
	tcase_add_test(tc, test_plan_leaves_out_what_the_pool_refused);
	tcase_add_test(tc, test_plan_spray_hour_counts_for_nothing);
	tcase_add_test(tc, test_plan_judges_each_agent);
	tcase_add_test(tc, test_usage_schema_upgrade);
	tcase_add_test(tc, test_open_busy_is_not_schema);
	tcase_add_test(tc, test_tickets_minted_kind_bound_and_revoke);
	tcase_add_test(tc, test_stage_watch_sees_change_and_survives_lost_store);
	tcase_add_test(tc, test_stage_watch_takes_reloaded_pools);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_cidr_table, 0, sizeof cidr_cases / sizeof cidr_cases[0]);
	tcase_add_loop_test(tc, test_agent_pattern_table, 0,
			    sizeof agent_cases / sizeof agent_cases[0]);
	tcase_add_test(tc, test_agent_pattern_bounds);
	tcase_add_test(tc, test_network_aggregation);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cutover_suite());

	return ts_test_run(sr, "check_cutover");
}
