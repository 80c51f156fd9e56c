/* Check suites for common/: error registry, configuration, log escaping,
 * clock and time parsing, number parsing. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tessera/clock.h"
#include "tessera/config.h"
#include "tessera/display.h"
#include "tessera/err.h"
#include "tessera/log.h"
#include "tessera/origin.h"
#include "tessera/util.h"

static const char *srcdir(void)
{
	const char *d = getenv("TS_SRCDIR");
	return d != NULL ? d : ".";
}

/* ---- error registry ---- */

START_TEST(test_err_every_row_is_complete)
{
	for (int i = 0; i < TS_ERR__COUNT; i++) {
		ts_err e = (ts_err)i;
		ck_assert_msg(strlen(ts_strerror(e)) > 5, "row %d has no sentence", i);
		ck_assert_int_ge(ts_err_http_status(e), 200);
		ck_assert_int_le(ts_err_http_status(e), 599);
		ck_assert_int_eq(ts_err_from_name(ts_errname(e)), e);
	}
}
END_TEST

START_TEST(test_err_names_are_unique)
{
	for (int i = 0; i < TS_ERR__COUNT; i++)
		for (int j = i + 1; j < TS_ERR__COUNT; j++)
			ck_assert_str_ne(ts_errname((ts_err)i), ts_errname((ts_err)j));
}
END_TEST

START_TEST(test_err_known_rows)
{
	ck_assert_str_eq(ts_errname(TS_ERR_OK), "OK");
	ck_assert_str_eq(ts_errname(TS_ERR_CONFIG_UNKNOWN_KEY), "CONFIG_UNKNOWN_KEY");
	ck_assert_str_eq(ts_strerror(TS_ERR_CONFIG_UNKNOWN_KEY), "unknown configuration key");
	ck_assert_int_eq(ts_err_http_status(TS_ERR_TOO_LARGE), 413);
	ck_assert_int_eq(ts_err_http_status(TS_ERR_NOT_FOUND), 404);
	ck_assert_int_eq(ts_err_from_name("NO_SUCH_ERROR"), TS_ERR__COUNT);
	ck_assert_int_eq(ts_err_from_name(NULL), TS_ERR__COUNT);
	ck_assert_str_eq(ts_strerror((ts_err)-1), "unknown error");
	ck_assert_str_eq(ts_errname(TS_ERR__COUNT), "UNKNOWN");
}
END_TEST

/* ---- configuration ---- */

static struct ts_config *load_ok(const char *rel)
{
	char path[1024];
	struct ts_config_diag diag = {{0}};
	struct ts_config *cfg = NULL;
	ts_err err;

	snprintf(path, sizeof path, "%s/%s", srcdir(), rel);
	err = ts_config_load(path, &cfg, &diag);
	ck_assert_msg(err == TS_ERR_OK, "%s: %s (%s)", rel, diag.text, ts_errname(err));
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

START_TEST(test_config_shipped_file_documents_every_default)
{
	struct ts_config *shipped = load_ok("conf/tessera.conf");
	struct ts_config *defaults = NULL;
	char path[1024];
	FILE *f;
	char *text;
	long len;

	ck_assert_int_eq(ts_config_defaults(&defaults), TS_ERR_OK);
	ck_assert_str_eq(shipped->broker.listen_address, defaults->broker.listen_address);
	ck_assert_int_eq(shipped->broker.listen_port, defaults->broker.listen_port);
	ck_assert_int_eq(shipped->broker.threads, defaults->broker.threads);
	ck_assert_int_eq(shipped->broker.max_connections, defaults->broker.max_connections);
	ck_assert_int_eq(shipped->broker.connection_timeout, defaults->broker.connection_timeout);
	ck_assert_int_eq(shipped->broker.max_body_bytes, defaults->broker.max_body_bytes);
	ck_assert_int_eq(shipped->log.level, defaults->log.level);
	ck_assert_str_eq(shipped->tickets.key_dir, defaults->tickets.key_dir);
	ck_assert_str_eq(shipped->tickets.algorithm, "EdDSA");
	ck_assert_str_eq(shipped->tickets.issuer, defaults->tickets.issuer);
	ck_assert_int_eq(shipped->tickets.lifetime, 28800);
	ck_assert_int_eq(shipped->tickets.clock_skew, 60);
	ck_assert_int_eq(shipped->tickets.verify_cache_entries,
			 defaults->tickets.verify_cache_entries);
	ck_assert_int_eq(shipped->tickets.keyring_check_interval,
			 defaults->tickets.keyring_check_interval);
	ck_assert_str_eq(shipped->store.path, defaults->store.path);
	ck_assert_int_eq(shipped->store.replay_cache_entries, 1000000);
	ck_assert_int_eq(defaults->store.replay_cache_entries, 1000000);

	/* Every schema key appears in the file as "key = default". */
	snprintf(path, sizeof path, "%s/conf/tessera.conf", srcdir());
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ck_assert_int_eq(fread(text, 1, (size_t)len, f), len);
	fclose(f);
	for (size_t i = 0; ts_config_schema_key(i) != NULL; i++) {
		const struct ts_config_key_info *k = ts_config_schema_key(i);
		char line[256], section[128];
		/* Named sections ([idp NAME]) are documented as a commented template. */
		snprintf(line, sizeof line, "\n%s%s =%s%s\n", k->named ? "# " : "", k->key,
			 *k->default_text != '\0' ? " " : "", k->default_text);
		snprintf(section, sizeof section, "%s[%s%s]\n", k->named ? "# " : "", k->section,
			 k->named ? " NAME" : "");
		ck_assert_msg(strstr(text, line) != NULL, "conf/tessera.conf lacks '%s'", line + 1);
		ck_assert_msg(strstr(text, section) != NULL, "conf/tessera.conf lacks [%s]",
			      k->section);
	}
	free(text);
	ts_config_free(shipped);
	ts_config_free(defaults);
}
END_TEST

START_TEST(test_config_good_file_overrides_defaults)
{
	struct ts_config *cfg = load_ok("tests/data/config/good.conf");

	ck_assert_str_eq(cfg->broker.listen_address, "::1");
	ck_assert_int_eq(cfg->broker.listen_port, 0);
	ck_assert_int_eq(cfg->broker.threads, 4);
	ck_assert_int_eq(cfg->broker.max_connections, 10);
	ck_assert_int_eq(cfg->broker.connection_timeout, 5);
	ck_assert_int_eq(cfg->broker.max_body_bytes, 4096);
	ck_assert_int_eq(cfg->log.level, TS_LOG_WARN);
	ck_assert_ptr_nonnull(strstr(cfg->path, "good.conf"));
	ts_config_free(cfg);
}
END_TEST

/* Each bad file: the error it must give and what the diagnostic must say. */
static const struct {
	const char *file;
	ts_err err;
	const char *diag; /* substring, includes ":LINE:" where a line is known */
} bad_configs[] = {
	{"unknown-key.conf", TS_ERR_CONFIG_UNKNOWN_KEY,
	 "unknown-key.conf:3: unknown key 'listen_prot' in section [broker]"},
	{"unknown-section.conf", TS_ERR_CONFIG_UNKNOWN_SECTION,
	 "unknown-section.conf:5: unknown section [brokr]"},
	{"bad-port.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "bad-port.conf:3: bad value '99999' for listen_port in [broker]: expected an integer "
	 "from 0 to 65535"},
	{"bad-number.conf", TS_ERR_CONFIG_BAD_VALUE, "bad-number.conf:2: bad value '80x'"},
	{"bad-level.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "bad-level.conf:2: bad value 'loud' for level in [log]: expected one of debug, info, "
	 "warn, err"},
	{"duplicate-key.conf", TS_ERR_CONFIG_SYNTAX,
	 "duplicate-key.conf:3: key 'threads' in [broker] repeats line 2"},
	{"duplicate-section.conf", TS_ERR_CONFIG_SYNTAX,
	 "duplicate-section.conf:5: section [broker] appears twice (first at line 1)"},
	{"key-before-section.conf", TS_ERR_CONFIG_SYNTAX,
	 "key-before-section.conf:1: key 'threads' before any [section]"},
	{"no-equals.conf", TS_ERR_CONFIG_SYNTAX, "no-equals.conf:2: expected 'key = value'"},
	{"empty-string.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "empty-string.conf:2: bad value '' for listen_address in [broker]: expected a non-empty "
	 "string"},
	{"does-not-exist.conf", TS_ERR_CONFIG_MISSING_FILE, "does-not-exist.conf: "},
	{"idp-no-name.conf", TS_ERR_CONFIG_SYNTAX, "idp-no-name.conf:1: section [idp] needs a name"},
	{"idp-bad-name.conf", TS_ERR_CONFIG_SYNTAX,
	 "idp-bad-name.conf:1: section [idp bad/name] needs a name"},
	{"idp-bad-choice.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "idp-bad-choice.conf:2: bad value 'saml3' for protocol in [idp a]: expected one of "
	 "saml2, wsfed"},
	{"pool-no-host.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-no-host.conf:4: [pool lync1] needs host"},
	{"pool-bad-idp.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-bad-idp.conf:4: [pool lync1] idp 'okta' is not a configured [idp NAME]"},
	{"pool-bad-origin.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-bad-origin.conf:4: [pool lync1] passive origin 'adfs.example.test' is not "
	 "https://HOST[:PORT] (or null)"},
	{"pool-bad-reply.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-bad-reply.conf:4: [pool lync1] reply URL 'http://h/passiveauth/' is not https on the pool's host or "
	 "gate_hosts with a plain path (letters, digits, '-._~' between '/')"},
	{"pool-reply-fragment.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-reply-fragment.conf:4: [pool lync1] reply URL 'https://h/passiveauth/#top' is not https on the pool's host or "
	 "gate_hosts with a plain path (letters, digits, '-._~' between '/')"},
	{"pool-reply-host.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-reply-host.conf:4: [pool lync1] reply URL 'https://other.test/passiveauth/' is not https on the pool's host or "
	 "gate_hosts with a plain path (letters, digits, '-._~' between '/')"},
	{"pool-reply-path.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-reply-path.conf:4: [pool lync1] reply URL 'https://h/a%2Cb/Done.aspx' is not https on the pool's host or "
	 "gate_hosts with a plain path (letters, digits, '-._~' between '/')"},
	{"pool-reply-dot.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "pool-reply-dot.conf:4: [pool lync1] reply URL 'https://h/sign-in./' is not https on the pool's host or "
	 "gate_hosts with a plain path (letters, digits, '-._~' between '/')"},
	{"bad-public-url.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "[broker] public_url 'tessera.example.test' is not https://HOST[:PORT]"},
	{"bad-alg.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "bad-alg.conf:2: bad value 'RS256' for algorithm in [tickets]: expected one of EdDSA, "
	 "ES256"},
	{"idp-bad-bool.conf", TS_ERR_CONFIG_BAD_VALUE,
	 "idp-bad-bool.conf:2: bad value 'yes' for allow_sha1 in [idp a]: expected true or false"},
	{"idp-twice.conf", TS_ERR_CONFIG_SYNTAX,
	 "idp-twice.conf:3: section [idp a] appears twice (first at line 1)"},
	{"named-plain.conf", TS_ERR_CONFIG_UNKNOWN_SECTION,
	 "named-plain.conf:1: unknown section [broker x] ([broker] takes no name)"},
};

START_TEST(test_config_pools)
{
	struct ts_config *cfg = load_ok("tests/data/config/pool-good.conf");
	const struct ts_config_pool *one = ts_config_find_pool(cfg, "lync1");
	const struct ts_config_pool *two = ts_config_find_pool(cfg, "lync2");

	ck_assert_uint_eq(cfg->n_pools, 2);
	ck_assert_uint_eq(cfg->n_idps, 1);
	ck_assert_str_eq(one->host, "lync1.example.test");
	ck_assert_str_eq(one->idp, "adfs");
	ck_assert(one->mfa);
	ck_assert_str_eq(two->host, "lync2.example.test");
	ck_assert(!two->mfa);
	ck_assert_str_eq(two->passive_origins[0], "https://ADFS.example.test:443/adfs/ls/");
	ck_assert_str_eq(two->passive_origins[1], "null");
	ck_assert_ptr_null(two->passive_origins[2]);
	ck_assert_ptr_null(one->passive_origins[0]);
	ck_assert_str_eq(two->reply_urls[0], "https://lync2.example.test:4443/Sign-In/?from=sts");
	ck_assert_str_eq(two->reply_urls[1], "https://lync2.example.test");
	ck_assert_ptr_null(two->reply_urls[2]);
	ck_assert_ptr_null(ts_config_find_pool(cfg, "adfs"));
	ts_config_free(cfg);
}
END_TEST

START_TEST(test_config_named_sections)
{
	struct ts_config *cfg = load_ok("tests/data/config/idp-good.conf");
	const struct ts_config_idp *adfs = ts_config_find_idp(cfg, "adfs");
	const struct ts_config_idp *okta = ts_config_find_idp(cfg, "okta");

	ck_assert_uint_eq(cfg->n_idps, 2);
	ck_assert_ptr_nonnull(adfs);
	ck_assert_ptr_nonnull(okta);
	ck_assert_ptr_null(ts_config_find_idp(cfg, "other"));
	ck_assert_str_eq(adfs->protocol, "wsfed");
	ck_assert_str_eq(adfs->metadata, "/etc/tessera/adfs.xml");
	ck_assert(adfs->allow_sha1);
	ck_assert(!adfs->allow_unsolicited);
	ck_assert_int_eq(adfs->clock_skew, 120);
	ck_assert_str_eq(adfs->certificates[0], "a.pem");
	ck_assert_str_eq(adfs->certificates[1], "b.pem");
	ck_assert_ptr_null(adfs->certificates[2]);
	/* The other instance keeps the defaults. */
	ck_assert_str_eq(okta->protocol, "saml2");
	ck_assert_str_eq(okta->entity_id, "http://www.okta.com/x");
	ck_assert(!okta->allow_sha1);
	ck_assert_int_eq(okta->clock_skew, 60);
	ck_assert_ptr_null(okta->certificates[0]);
	ck_assert_str_eq(okta->mfa_values[0], "http://schemas.microsoft.com/claims/multipleauthn");
	ck_assert_ptr_null(okta->mfa_values[1]);
	/* Main sections keep their defaults too. */
	ck_assert_str_eq(cfg->sp.entity_id, "https://tessera.example.test/");
	ck_assert_str_eq(cfg->sp.wsfed_realm, "");
	ck_assert(!cfg->sp.sign_authn_requests);
	ts_config_free(cfg);
}
END_TEST

START_TEST(test_config_bad_files)
{
	char path[1024];
	struct ts_config_diag diag = {{0}};
	struct ts_config *cfg = (struct ts_config *)&diag; /* must be reset to NULL */
	ts_err err;

	snprintf(path, sizeof path, "%s/tests/data/config/%s", srcdir(), bad_configs[_i].file);
	err = ts_config_load(path, &cfg, &diag);
	ck_assert_msg(err == bad_configs[_i].err, "%s: got %s, want %s (%s)",
		      bad_configs[_i].file, ts_errname(err), ts_errname(bad_configs[_i].err),
		      diag.text);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(diag.text, bad_configs[_i].diag) != NULL,
		      "%s: diagnostic '%s' lacks '%s'", bad_configs[_i].file, diag.text,
		      bad_configs[_i].diag);
}
END_TEST

/* ---- logging ---- */

static size_t format(char *buf, size_t bufsz, const char *err_name, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, err_name);
	n = ts_log_vformat(buf, bufsz, 1764042000, TS_LOG_WARN, "test_event", err_name, ap);
	va_end(ap);
	return n;
}

START_TEST(test_log_line_shape)
{
	char line[TS_LOG_LINE_MAX];
	size_t n = format(line, sizeof line, NULL, "user", "alice", "pool", "pool one",
			  (const char *)NULL);

	ck_assert_str_eq(line, "ts=2025-11-25T03:40:00Z level=warn event=test_event user=alice "
			       "pool=\"pool one\"\n");
	ck_assert_uint_eq(n, strlen(line));
	format(line, sizeof line, "CONFIG_BAD_VALUE", "k", "v", (const char *)NULL);
	ck_assert_str_eq(line, "ts=2025-11-25T03:40:00Z level=warn event=test_event "
			       "error=CONFIG_BAD_VALUE k=v\n");
}
END_TEST

START_TEST(test_log_escapes_injection)
{
	char out[TS_LOG_VALUE_MAX * 4 + 8];

	/* A newline would forge a second log line; a quote would end the value. */
	ts_log_escape(out, sizeof out, "bob\nts=x level=err event=forged");
	ck_assert_str_eq(out, "\"bob\\x0ats=x level=err event=forged\"");
	ts_log_escape(out, sizeof out, "a\"b\\c");
	ck_assert_str_eq(out, "\"a\\\"b\\\\c\"");
	ts_log_escape(out, sizeof out, "k=v");
	ck_assert_str_eq(out, "\"k=v\"");
	ts_log_escape(out, sizeof out, "\x1b[31mred\r");
	ck_assert_str_eq(out, "\"\\x1b[31mred\\x0d\"");
	ts_log_escape(out, sizeof out, "caf\xc3\xa9");
	ck_assert_str_eq(out, "\"caf\\xc3\\xa9\"");
	ts_log_escape(out, sizeof out, "");
	ck_assert_str_eq(out, "\"\"");
	ts_log_escape(out, sizeof out, NULL);
	ck_assert_str_eq(out, "\"\"");
	ts_log_escape(out, sizeof out, "plain");
	ck_assert_str_eq(out, "plain");
}
END_TEST

START_TEST(test_log_caps_length)
{
	char big[TS_LOG_VALUE_MAX * 3];
	char out[TS_LOG_VALUE_MAX * 4 + 8];
	char small[16];

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ts_log_escape(out, sizeof out, big);
	ck_assert_uint_eq(strlen(out), TS_LOG_VALUE_MAX + 3);
	ck_assert_str_eq(out + TS_LOG_VALUE_MAX, "...");

	/* Escapes count in the output budget; never half an escape. */
	memset(big, '\n', TS_LOG_VALUE_MAX * 2);
	big[TS_LOG_VALUE_MAX * 2] = '\0';
	ts_log_escape(out, sizeof out, big);
	ck_assert_uint_eq(strlen(out), 1 + TS_LOG_VALUE_MAX * 4 + 3 + 1);
	ts_log_escape(small, sizeof small, big);
	ck_assert_uint_lt(strlen(small), sizeof small);
	ck_assert_int_eq((strlen(small) - 1 - 3 - 1) % 4, 0);
}
END_TEST

START_TEST(test_log_line_never_overflows)
{
	char value[TS_LOG_VALUE_MAX];
	char line[300];
	size_t n;

	memset(value, 'v', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	n = format(line, sizeof line, NULL, "a", value, "b", "short", (const char *)NULL);
	ck_assert_uint_lt(n, sizeof line);
	ck_assert_uint_eq(n, strlen(line));
	ck_assert_int_eq(line[n - 1], '\n');
	/* The long field is dropped whole; the short one still fits. */
	ck_assert_ptr_null(strstr(line, " a="));
	ck_assert_ptr_nonnull(strstr(line, " b=short"));
}
END_TEST

START_TEST(test_log_level_filter_and_sink)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	struct ts_clock fixed = ts_clock_fixed(0);
	enum ts_log_level lvl;

	ck_assert_ptr_nonnull(mem);
	ts_log_set_stream(mem);
	ts_log_set_clock(&fixed);
	ts_log_set_level(TS_LOG_WARN);
	ts_log(TS_LOG_INFO, "hidden", "k", "v");
	ts_log_error(TS_LOG_ERR, "shown", TS_ERR_IO, "k", "v");
	fflush(mem);
	ck_assert_str_eq(buf, "ts=1970-01-01T00:00:00Z level=err event=shown error=IO k=v\n");
	ts_log_set_stream(NULL);
	ts_log_set_clock(NULL);
	ts_log_set_level(TS_LOG_INFO);
	fclose(mem);
	free(buf);

	ck_assert_int_eq(ts_log_level_parse("debug", &lvl), TS_ERR_OK);
	ck_assert_int_eq(lvl, TS_LOG_DEBUG);
	ck_assert_int_eq(ts_log_level_parse("DEBUG", &lvl), TS_ERR_INVALID_ARGUMENT);
	ck_assert_str_eq(ts_log_level_name(TS_LOG_ERR), "err");
}
END_TEST

/* ---- clock and time ---- */

START_TEST(test_time_parse_accepts)
{
	static const struct {
		const char *text;
		ts_time want;
	} ok[] = {
		{"1970-01-01T00:00:00Z", 0},
		{"2013-07-11T12:32:02.985Z", 1373545922},
		{"2013-07-11T14:32:02+02:00", 1373545922},
		{"2013-07-11T07:02:02-05:30", 1373545922},
		{"2000-02-29T00:00:00Z", 951782400},
		{"2025-11-25T03:40:00z", 1764042000},
		{"1969-12-31T23:59:59Z", -1},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		ts_time t = 42;
		ck_assert_msg(ts_time_parse(ok[i].text, &t) == TS_ERR_OK, "%s refused", ok[i].text);
		ck_assert_msg(t == ok[i].want, "%s: %lld", ok[i].text, (long long)t);
	}
}
END_TEST

START_TEST(test_time_parse_refuses)
{
	static const char *const bad[] = {
		"", "2013-07-11", "2013-07-11T12:32:02", "2013-07-11 12:32:02Z",
		"2013-13-11T12:32:02Z", "2013-02-29T12:32:02Z", "2013-07-11T24:00:00Z",
		"2013-07-11T12:32:02.Z", "2013-07-11T12:32:02Zjunk", "2013-07-11T12:32:02+2:00",
		"20x3-07-11T12:32:02Z", "2013-07-11T12:32:02+02", "next tuesday",
		"2013-07-11T12:32:02+1", "2013-07-11T12:32:02+", "2013-07-11T12:32:02+02:00x",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ts_time t = 42;
		ck_assert_msg(ts_time_parse(bad[i], &t) == TS_ERR_TIME_FORMAT, "'%s' accepted",
			      bad[i]);
		ck_assert_int_eq(t, 42);
	}
	ck_assert_int_eq(ts_time_parse(NULL, NULL), TS_ERR_TIME_FORMAT);
}
END_TEST

START_TEST(test_time_format_round_trip)
{
	char text[TS_TIME_ISO_LEN];
	ts_time back = 0;

	ts_time_format(1373545922, text);
	ck_assert_str_eq(text, "2013-07-11T12:32:02Z");
	ck_assert_int_eq(ts_time_parse(text, &back), TS_ERR_OK);
	ck_assert_int_eq(back, 1373545922);
}
END_TEST

START_TEST(test_clock_fixed_and_real)
{
	struct ts_clock fixed = ts_clock_fixed(1234);
	struct ts_clock real = ts_clock_real();

	ck_assert_int_eq(ts_clock_now(&fixed), 1234);
	ck_assert_int_gt(ts_clock_now(&real), 1700000000);
	ck_assert_int_gt(ts_clock_now(NULL), 1700000000);
}
END_TEST

/* Timed waits count on CLOCK_MONOTONIC: the deadline is on that clock, and
 * a wait on the condition made for it lasts until then. A condition on the
 * wall clock would take a monotonic deadline (seconds since boot) as long
 * past and return at once; a wall-clock deadline would not be near the
 * monotonic clock. */
START_TEST(test_monotonic_wait)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond;
	struct timespec deadline;
	int64_t before, after, at;
	int rc;

	ck_assert_int_eq(ts_cond_init_monotonic(&cond), 0);
	before = ts_monotonic_ms();
	deadline = ts_monotonic_deadline(1999);
	at = (int64_t)deadline.tv_sec * 1000 + deadline.tv_nsec / 1000000;
	ck_assert_int_ge(at, before + 1999);
	ck_assert_int_lt(at, ts_monotonic_ms() + 1999 + 1000);
	ck_assert_int_lt(deadline.tv_nsec, 1000000000L);

	deadline = ts_monotonic_deadline(150);
	pthread_mutex_lock(&lock);
	do
		rc = pthread_cond_timedwait(&cond, &lock, &deadline);
	while (rc == 0); /* a spurious wake-up */
	pthread_mutex_unlock(&lock);
	after = ts_monotonic_ms();
	ck_assert_int_eq(rc, ETIMEDOUT);
	ck_assert_int_ge(after - before, 150);
	pthread_cond_destroy(&cond);
}
END_TEST

/* ---- text shown on a terminal ---- */

START_TEST(test_display_text)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"CORP\\alice", "CORP\\alice"},
		{"j\xc3\xbcrgen \xe5\xa4\xaa\xe9\x83\x8e", "j\xc3\xbcrgen \xe5\xa4\xaa\xe9\x83\x8e"},
		{"\xc2\xa0", "\xc2\xa0"},				 /* U+00A0, the first shown */
		{"a\x1b[2Jb", "a\\x1b[2Jb"},			 /* ESC */
		{"\x7f\t", "\\x7f\\x09"},				 /* DEL, tab */
		{"\xc2\x9b", "\\xc2\\x9b"},			 /* U+009B, CSI in C1 */
		{"\x9b", "\\x9b"},				 /* raw C1 byte (cp1252 too) */
		{"evil\xe2\x80\xaetxt.exe", "evil\\xe2\\x80\\xaetxt.exe"}, /* RLO */
		{"\xe2\x81\xa6x\xe2\x81\xa9", "\\xe2\\x81\\xa6x\\xe2\\x81\\xa9"}, /* LRI, PDI */
		{"\xd8\x9c", "\\xd8\\x9c"},			 /* ALM */
		{"ad\xe2\x80\x8bmin", "ad\\xe2\\x80\\x8bmin"},	 /* zero-width space */
		{"\xef\xbb\xbf\xc2\xad", "\\xef\\xbb\\xbf\\xc2\\xad"}, /* BOM, soft hyphen */
		{"a\xe2\x80\xa8", "a\\xe2\\x80\\xa8"},		 /* line separator */
		{"\xc3\xa9\x80", "\xc3\xa9\\x80"},		 /* a stray continuation */
		{"a\xc3", "a\\xc3"},				 /* cut short */
		{"\xc0\xaf", "\\xc0\\xaf"},			 /* overlong "/" */
		{"\xed\xa0\x80", "\\xed\\xa0\\x80"},		 /* a surrogate */
		{"", ""},
	};
	char out[64];

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_str_eq(ts_display_text(out, sizeof out, cases[i].in), cases[i].want);
	/* Cut to fit, never inside an escape; what fits exactly is not cut. */
	ck_assert_str_eq(ts_display_text(out, 8, "abcdefghij"), "abcd...");
	ck_assert_str_eq(ts_display_text(out, 11, "abcdefghij"), "abcdefghij");
	ck_assert_str_eq(ts_display_text(out, 8, "ab\x1b" "cdef"), "ab...");
	ck_assert_str_eq(ts_display_text(out, 3, "abcdef"), "");
}
END_TEST

/* ---- numbers ---- */

START_TEST(test_parse_long)
{
	long v = 7;

	ck_assert_int_eq(ts_parse_long("42", 0, 100, &v), TS_ERR_OK);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(ts_parse_long("-5", -10, 10, &v), TS_ERR_OK);
	ck_assert_int_eq(v, -5);
	v = 7;
	ck_assert_int_eq(ts_parse_long("101", 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long(" 4", 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long("4 ", 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long("+4", 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long("", 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long("99999999999999999999", 0, 100, &v),
			 TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(ts_parse_long(NULL, 0, 100, &v), TS_ERR_NUMBER_FORMAT);
	ck_assert_int_eq(v, 7);
}
END_TEST

/* ---- origins ---- */

static const struct {
	const char *in, *out; /* out NULL: refused */
} origins[] = {
	{"https://tessera.example.test", "https://tessera.example.test"},
	{"HTTPS://Tessera.Example.TEST:443/adfs/ls/", "https://tessera.example.test"},
	{"https://tessera.example.test:8443", "https://tessera.example.test:8443"},
	{"http://h.test:80", "http://h.test"},
	{"http://h.test:443", "http://h.test:443"},
	{"https://[::1]:9443", "https://[::1]:9443"},
	{"https://127.0.0.1", "https://127.0.0.1"},
	{"null", "null"},
	{"NULL", NULL},
	{"", NULL},
	{"tessera.example.test", NULL},
	{"ftp://h.test", NULL},
	{"https://", NULL},
	{"https://:443", NULL},
	{"https://h.test:", NULL},
	{"https://h.test:0443", NULL},
	{"https://h.test:65536", NULL},
	{"https://h.test:99999999999999999999", NULL},
	{"https://user@h.test", NULL},
	{"https://h.test\r\nX: y", NULL},
	{"https://h.test?x", NULL},
	{"https://[::1", NULL},
	{"https://[x]", NULL},
};

START_TEST(test_origin_canonical)
{
	char out[TS_ORIGIN_MAX] = "unset";
	const char *in = origins[_i].in;
	ts_err err = ts_origin_canonical(in, strlen(in), out);

	if (origins[_i].out == NULL) {
		ck_assert_msg(err == TS_ERR_INVALID_ARGUMENT, "'%s' accepted as '%s'", in, out);
		return;
	}
	ck_assert_msg(err == TS_ERR_OK, "'%s' refused", in);
	ck_assert_str_eq(out, origins[_i].out);
}
END_TEST

START_TEST(test_origin_too_long)
{
	char in[TS_ORIGIN_MAX + 16], out[TS_ORIGIN_MAX];

	memcpy(in, "https://", 8);
	memset(in + 8, 'a', sizeof in - 8);
	ck_assert_int_eq(ts_origin_canonical(in, TS_ORIGIN_MAX - 1, out), TS_ERR_OK);
	ck_assert_uint_eq(strlen(out), TS_ORIGIN_MAX - 1);
	ck_assert_int_eq(ts_origin_canonical(in, TS_ORIGIN_MAX, out), TS_ERR_INVALID_ARGUMENT);
	/* Only len bytes are read: no NUL needed. */
	ck_assert_int_eq(ts_origin_canonical(in, 9, out), TS_ERR_OK);
	ck_assert_str_eq(out, "https://a");
}
END_TEST

START_TEST(test_origin_of_url)
{
	char out[TS_ORIGIN_MAX];
	const char *path = NULL;

	ck_assert_int_eq(ts_origin_of_url("https://Pool.Test:443/Sign-In/?x=1", out, &path),
			 TS_ERR_OK);
	ck_assert_str_eq(out, "https://pool.test");
	ck_assert_str_eq(path, "/Sign-In/?x=1");
	ck_assert_int_eq(ts_origin_of_url("https://pool.test", out, &path), TS_ERR_OK);
	ck_assert_str_eq(path, "");
	ck_assert_int_eq(ts_origin_of_url("null", out, &path), TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_origin_of_url("https://pool.test?x=1", out, &path),
			 TS_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_origin_on_host)
{
	ck_assert(ts_origin_on_host("https://pool.test", "Pool.Test"));
	ck_assert(ts_origin_on_host("https://pool.test:8443", "pool.test:443"));
	ck_assert(!ts_origin_on_host("http://pool.test", "pool.test"));
	ck_assert(!ts_origin_on_host("https://pool.test.evil.test", "pool.test"));
	ck_assert(!ts_origin_on_host("https://pool.tes", "pool.test"));
	ck_assert(!ts_origin_on_host("null", "pool.test"));
	ck_assert(!ts_origin_on_host("https://pool.test", ""));
	ck_assert(!ts_origin_on_host("https://pool.test", NULL));
	/* An IPv6 literal is compared whole, not cut at its first ":". */
	ck_assert(ts_origin_on_host("https://[2001:db8::1]:8443", "[2001:db8::1]:443"));
	ck_assert(!ts_origin_on_host("https://[2001:db8::2]", "[2001:db8::1]"));
	ck_assert(!ts_origin_on_host("https://[::2]", "[::1]"));
	ck_assert(!ts_origin_on_host("https://[::1", "[::1"));
}
END_TEST

static Suite *common_suite(void)
{
	Suite *s = suite_create("common");
	TCase *tc;

	tc = tcase_create("errors");
	tcase_add_test(tc, test_err_every_row_is_complete);
	tcase_add_test(tc, test_err_names_are_unique);
	tcase_add_test(tc, test_err_known_rows);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_shipped_file_documents_every_default);
	tcase_add_test(tc, test_config_good_file_overrides_defaults);
	tcase_add_test(tc, test_config_named_sections);
	tcase_add_test(tc, test_config_pools);
	tcase_add_loop_test(tc, test_config_bad_files, 0,
			    (int)(sizeof bad_configs / sizeof bad_configs[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("origin");
	tcase_add_loop_test(tc, test_origin_canonical, 0,
			    (int)(sizeof origins / sizeof origins[0]));
	tcase_add_test(tc, test_origin_too_long);
	tcase_add_test(tc, test_origin_of_url);
	tcase_add_test(tc, test_origin_on_host);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_test(tc, test_log_line_shape);
	tcase_add_test(tc, test_log_escapes_injection);
	tcase_add_test(tc, test_log_caps_length);
	tcase_add_test(tc, test_log_line_never_overflows);
	tcase_add_test(tc, test_log_level_filter_and_sink);
	suite_add_tcase(s, tc);

	tc = tcase_create("time");
	tcase_add_test(tc, test_time_parse_accepts);
	tcase_add_test(tc, test_time_parse_refuses);
	tcase_add_test(tc, test_time_format_round_trip);
	tcase_add_test(tc, test_clock_fixed_and_real);
	tcase_add_test(tc, test_monotonic_wait);
	tcase_add_test(tc, test_display_text);
	tcase_add_test(tc, test_parse_long);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(common_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
