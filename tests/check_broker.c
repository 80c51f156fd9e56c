/* Check suite for broker/ pieces that need no running daemon: the return
 * URL (open redirect) checks and the metrics exposition. */
#include <check.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "../broker/metrics.h"
#include "../broker/return_url.h"

#define POOL "lync1.test"

/* Values as they reach the check: percent-decoded once (by the HTTP layer),
 * so "%2F" here is what a double-encoded URL becomes. */
static const char *const refused[] = {
	"https://evil.test/",
	"http://lync1.test/",
	"//evil.test",
	"//evil.test/x",
	"///evil.test",
	"////evil.test",
	"/\\evil.test",
	"\\\\evil.test",
	"\\/evil.test",
	"http:evil.test",
	"https:evil.test",
	"https:/evil.test",
	"https:///evil.test",
	"https://lync1.test@evil.test/",
	"https://evil.test@lync1.test/",
	"https://lync1.test:x@evil.test/",
	"https://lync1.test:8443/",
	"https://lync1.test.evil.test/",
	"https://evil.test/https://lync1.test/",
	"HTTPS://EVIL.TEST/",
	"javascript:alert(1)",
	"data:text/html,x",
	"/ok\r\nSet-Cookie: x=1",
	"/ok\tx",
	"/ok x",
	"/%2F%2Fevil.test",
	"/%2fevil.test",
	"%2F%2Fevil.test",
	"/%5Cevil.test",
	"/%5cevil.test",
	"%5C%5Cevil.test",
	"/%09/evil.test",
	"/%0d%0aLocation:%20https://evil.test",
	"/%00",
	"/%zz",
	"/%2",
	"https:%2F%2Fevil.test",
	"%68ttps://evil.test",
	"https://lync1.test/%2F%2Fevil.test",
	"https://lync1.test\\@evil.test",
	"/ok#https://evil.test",
	"evil.test",
	"",
	"/caf\xc3\xa9",
};

START_TEST(test_return_url_refused)
{
	char *path = (char *)"untouched";

	ck_assert_msg(ts_return_url_check(refused[_i], POOL, &path) == TS_ERR_RETURN_URL,
		      "accepted: '%s' as '%s'", refused[_i], path != NULL ? path : "(null)");
	ck_assert_ptr_null(path);
}
END_TEST

static const struct {
	const char *url;
	const char *path;
} accepted[] = {
	{"/", "/"},
	{"/meet/x?a=1&b=2", "/meet/x?a=1&b=2"},
	{"/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.test",
	 "/Autodiscover/AutodiscoverService.svc/root?originalDomain=example.test"},
	{"https://lync1.test/ucwa", "/ucwa"},
	{"https://LYNC1.TEST:443/x", "/x"},
	{"https://lync1.test", "/"},
	{"https://lync1.test?x=1", "/?x=1"},
	{"/a%20b", "/a%20b"},
};

START_TEST(test_return_url_accepted)
{
	char *path = NULL;
	ts_err err = ts_return_url_check(accepted[_i].url, POOL, &path);

	ck_assert_msg(err == TS_ERR_OK, "refused: '%s'", accepted[_i].url);
	ck_assert_str_eq(path, accepted[_i].path);
	g_free(path);
}
END_TEST

START_TEST(test_metrics_exposition)
{
	static const char *const names[] = {"/signin", "/saml/acs", "(none)"};
	struct ts_metrics *m = ts_metrics_new(names, 3);
	char *text = NULL;
	size_t len = 0;

	ts_metrics_request(m, 0, 302, 0.0004);
	ts_metrics_request(m, 0, 302, 0.3);
	ts_metrics_request(m, 1, 403, 0.002);
	ts_metrics_request(m, 2, 418, 0.002);
	ts_metrics_request(m, 7, 200, 0.1); /* no such route: ignored */
	ts_metrics_rejection(m, TS_ERR_SAML_REPLAY);
	ts_metrics_signin(m, "adfs", "pool\"one\n");
	ts_metrics_signin(m, "adfs", "pool\"one\n");
	ts_metrics_ticket_minted(m);
	ts_metrics_replay(m);
	ck_assert_int_eq(ts_metrics_render(m, &text, &len), TS_ERR_OK);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_requests_total{route=\"/signin\",status=\"302\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_requests_total{route=\"/saml/acs\",status=\"403\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_requests_total{route=\"(none)\",status=\"other\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_request_duration_seconds_bucket{route=\"/signin\",le=\"0.0005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_request_duration_seconds_bucket{route=\"/signin\",le=\"0.25\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_request_duration_seconds_bucket{route=\"/signin\",le=\"0.5\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_http_request_duration_seconds_count{route=\"/signin\"} 2\n"));
	/* Label values are escaped: a pool name cannot break the format. */
	ck_assert_ptr_nonnull(strstr(text, "tessera_signins_total{idp=\"adfs\",pool=\"pool\\\"one\\n\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_rejections_total{error=\"SAML_REPLAY\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_tickets_minted_total 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "tessera_replay_hits_total 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE tessera_http_request_duration_seconds histogram\n"));
	g_free(text);
	ts_metrics_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("broker");
	TCase *tc = tcase_create("return_url");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_return_url_refused, 0, (int)(sizeof refused / sizeof refused[0]));
	tcase_add_loop_test(tc, test_return_url_accepted, 0,
			    (int)(sizeof accepted / sizeof accepted[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("metrics");
	tcase_add_test(tc, test_metrics_exposition);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
