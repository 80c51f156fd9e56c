/* Check suite for the gate's decision (broker/gate*.c, ntlm.c, spnego.c,
 * client_family.c): classification of every kind, the stage rule, the
 * answers a pool would give, path normalisation, NTLM and SPNEGO parsing
 * (curl's own tokens and hostile ones), Tessera tickets verified for the
 * pool. (tests/fuzz/fuzz_ntlm replays the NTLM fuzz corpus.) */
#include <check.h>
#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../broker/gate.h"
#include "../broker/gate_ack.h"
#include "../broker/gate_attempt.h"
#include "../broker/gate_base64.h"
#include "../broker/gate_ticket.h"
#include "../broker/ticket_seen.h"
#include "../broker/stage_watch.h"
#include "../broker/usage.h"
#include "tessera/log.h"
#include "tessera/store.h"
#include "test_dir.h"

#define T0 1767225600 /* 2026-01-01 */
#define LIFETIME 3600
#define SKEW 60


static const char *srcdir(void)
{
	const char *d = getenv("TS_SRCDIR");
	return d != NULL ? d : ".";
}

/* ---- fixture: a config with three pools, a key ring, revocations ---- */

static struct {
	char dir[256];
	struct ts_config *config;
	struct ts_clock clock;
	struct ts_keyring *ring;
	struct ts_store *store;
	struct ts_revocations *rev;
	struct ts_tickets *tickets;
	const struct ts_stage_snapshot *stages; /* runtime stages; NULL: config's */
	struct ts_usage *usage;
	FILE *log_stream;
	char *log;
	size_t log_len;
} fx;

static void setup(void)
{
	struct ts_config_diag diag;
	struct ts_ticket_params p = {"https://broker.test", LIFETIME, SKEW, 16, &fx.clock};
	char path[300], kid[TS_KID_LEN + 1];
	FILE *f;

	memset(&fx, 0, sizeof fx);
	fx.log_stream = open_memstream(&fx.log, &fx.log_len);
	ts_log_set_stream(fx.log_stream);
	ts_log_set_level(TS_LOG_DEBUG);
	fx.clock = ts_clock_fixed(T0);
	ts_test_dir_make(fx.dir, sizeof fx.dir, "check_gate");
	snprintf(path, sizeof path, "%s/tessera.conf", fx.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[idp fx]\n"
	      "[pool lync1]\nhost = lync1.test\nidp = fx\n"
	      "gate_hosts = lyncdiscover.example.test; meet.example.test\n"
	      "[pool lync2]\nhost = lync2.test\nidp = fx\nstage = passive\n"
	      "[pool app]\nhost = app.test\nidp = fx\nstage = passive\nupstream = web\n"
	      "anonymous_paths = /.tessera/*; /public/*; /passiveauth/*\n"
	      "[pool lync3]\nhost = lync3.test\nidp = fx\nstage = passive\n"
	      "passive_origins = https://ADFS.example.test:443/adfs/ls/; null\n"
	      "gate_hosts = lync3.example.test\n"
	      "reply_urls = https://lync3.test/Sign-In/Done.aspx?from=sts; "
	      "https://LYNC3.example.test:8443/App/\n",
	      f);
	fclose(f);
	ck_assert_msg(ts_config_load(path, &fx.config, &diag) == TS_ERR_OK, "%s", diag.text);
	snprintf(path, sizeof path, "%s/keys", fx.dir);
	ck_assert_int_eq(ts_keyring_rotate(path, TS_ALG_EDDSA, T0 - 60, kid), TS_ERR_OK);
	ck_assert_int_eq(ts_keyring_load(path, LIFETIME + SKEW, &fx.ring), TS_ERR_OK);
	ck_assert_int_eq(ts_store_sqlite_open(":memory:", &fx.store), TS_ERR_OK);
	ck_assert_int_eq(ts_revocations_new(fx.store, T0, &fx.rev), TS_ERR_OK);
	ck_assert_int_eq(ts_tickets_new(&p, fx.ring, fx.rev, &fx.tickets), TS_ERR_OK);
	fx.usage = ts_usage_new(1000);
	ck_assert_ptr_nonnull(fx.usage);
}

static void teardown(void)
{
	ts_usage_free(fx.usage);
	ts_tickets_free(fx.tickets);
	ts_revocations_free(fx.rev);
	ts_store_close(fx.store);
	ts_keyring_unref(fx.ring);
	ts_config_free(fx.config);
	ck_assert_msg(ts_test_dir_remove(fx.dir), "%s left behind", fx.dir);
	ts_log_set_stream(NULL);
	fclose(fx.log_stream);
	free(fx.log);
}

static bool logged(const char *needle)
{
	fflush(fx.log_stream);
	return fx.log != NULL && strstr(fx.log, needle) != NULL;
}

/* ---- building requests ---- */

#define MAX_H 8

struct req_spec {
	const char *host;
	const char *method;
	const char *target; /* path?query */
	const char *headers[MAX_H]; /* "Name: value" */
	const char *body;	    /* NULL: no body sent */
	bool truncated;		    /* only part of the body was buffered */
};

struct built {
	struct ts_gate_request req;
	struct ts_gate_header h[MAX_H];
	char *path;
};

static void build(const struct req_spec *s, struct built *b)
{
	const char *q = strchr(s->target, '?');

	memset(b, 0, sizeof *b);
	b->path = g_strndup(s->target, q != NULL ? (gsize)(q - s->target) : strlen(s->target));
	b->req.method = s->method != NULL ? s->method : "GET";
	b->req.host = s->host != NULL ? s->host : "lync1.test";
	b->req.source = "192.0.2.7";
	b->req.path = b->path;
	b->req.path_len = strlen(b->path);
	b->req.query = q != NULL ? q + 1 : NULL;
	b->req.query_len = q != NULL ? strlen(q + 1) : 0;
	for (size_t i = 0; i < MAX_H && s->headers[i] != NULL; i++) {
		const char *colon = strchr(s->headers[i], ':');
		b->h[i] = (struct ts_gate_header){s->headers[i], (size_t)(colon - s->headers[i]),
						  colon + 2, strlen(colon + 2)};
		b->req.n_headers++;
	}
	b->req.headers = b->h;
	b->req.content_length = -1;
	if (s->body != NULL) {
		b->req.body = (const uint8_t *)s->body;
		b->req.body_len = strlen(s->body);
		b->req.content_length = (long long)b->req.body_len + (s->truncated ? 100 : 0);
		b->req.body_complete = !s->truncated;
	}
}

static struct ts_gate_verdict *decide(const struct req_spec *s)
{
	struct ts_gate_policy policy = {.config = fx.config,
					.tickets = fx.tickets,
					.stages = fx.stages,
					.usage = fx.usage,
					.now = ts_clock_now(&fx.clock)};
	struct ts_gate_verdict *v = g_new0(struct ts_gate_verdict, 1);
	struct built b;

	build(s, &b);
	ck_assert_int_eq(ts_gate_decide(&policy, &b.req, v), TS_ERR_OK);
	g_free(b.path);
	return v;
}

static void verdict_free(struct ts_gate_verdict *v)
{
	ts_gate_verdict_clear(v);
	g_free(v);
}

static const char *answer_header(const struct ts_gate_verdict *v, const char *name, size_t nth)
{
	for (size_t i = 0; i < v->answer.n_headers; i++)
		if (strcmp(v->answer.headers[i].name, name) == 0 && nth-- == 0)
			return v->answer.headers[i].value;
	return NULL;
}

static const char *upstream(const struct ts_gate_verdict *v, const char *name)
{
	for (size_t i = 0; i < TS_GATE_UPSTREAM_HEADERS; i++)
		if (v->upstream_headers[i].name != NULL &&
		    strcmp(v->upstream_headers[i].name, name) == 0)
			return v->upstream_headers[i].value;
	return NULL;
}

static char *b64(const void *data, size_t len)
{
	return g_base64_encode(data, len);
}

/* A Basic sign-in on lync1 as user_pw ("user:password") from agent,
 * decided under policy; basic_done frees it. */
struct basic_try {
	char *credential, *agent;
	struct built b;
	struct ts_gate_verdict *v;
};

static void basic_decide(const struct ts_gate_policy *policy, const char *user_pw,
			 const char *agent, struct basic_try *t)
{
	char *enc = b64(user_pw, strlen(user_pw));

	t->credential = g_strdup_printf("Authorization: Basic %s", enc);
	t->agent = g_strdup_printf("User-Agent: %s", agent);
	build(&(struct req_spec){.target = "/ucwa/x", .headers = {t->credential, t->agent}},
	      &t->b);
	t->v = g_new0(struct ts_gate_verdict, 1);
	ck_assert_int_eq(ts_gate_decide(policy, &t->b.req, t->v), TS_ERR_OK);
	g_free(enc);
}

static void basic_done(struct basic_try *t)
{
	verdict_free(t->v);
	g_free(t->b.path);
	g_free(t->credential);
	g_free(t->agent);
}

/* The decoded token of a corpus file. */
static uint8_t *corpus(const char *name, size_t *len)
{
	char path[512];
	gchar *data = NULL;
	gsize n = 0;

	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/ntlm/%s", srcdir(), name);
	ck_assert_msg(g_file_get_contents(path, &data, &n, NULL), "cannot read %s", path);
	*len = n;
	return (uint8_t *)data;
}

static char *auth_header(const char *scheme, const char *corpus_name)
{
	size_t len;
	uint8_t *raw = corpus(corpus_name, &len);
	char *enc = b64(raw, len);
	char *h = g_strdup_printf("Authorization: %s %s", scheme, enc);

	g_free(raw);
	g_free(enc);
	return h;
}

/* ---- NTLM: curl's own tokens and built ones ---- */

/* A type 3 with the given domain and user payloads and flags. */
static size_t make_type3(uint8_t *out, const uint8_t *domain, size_t dlen, const uint8_t *user,
			 size_t ulen, uint32_t flags)
{
	static const uint8_t sig[8] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
	const uint32_t fields[6][2] = {{0, 64},		  {0, 64},
				       {(uint32_t)dlen, 64}, {(uint32_t)ulen, 64 + (uint32_t)dlen},
				       {0, 64},		  {0, 64}};

	memset(out, 0, 64);
	memcpy(out, sig, 8);
	out[8] = 3;
	for (int i = 0; i < 6; i++) {
		uint8_t *f = out + 12 + 8 * i;
		f[0] = (uint8_t)fields[i][0];
		f[1] = (uint8_t)(fields[i][0] >> 8);
		f[2] = f[0];
		f[3] = f[1];
		for (int k = 0; k < 4; k++)
			f[4 + k] = (uint8_t)(fields[i][1] >> (8 * k));
	}
	for (int k = 0; k < 4; k++)
		out[60 + k] = (uint8_t)(flags >> (8 * k));
	memcpy(out + 64, domain, dlen);
	memcpy(out + 64 + dlen, user, ulen);
	return 64 + dlen + ulen;
}

START_TEST(test_ntlm_curl_tokens)
{
	struct ts_ntlm_identity id;
	enum ts_ntlm_type type;
	size_t len;
	uint8_t *t1 = corpus("curl-type1.bin", &len);

	ck_assert_int_eq(ts_ntlm_message_type(t1, len, &type), TS_ERR_OK);
	ck_assert_int_eq(type, TS_NTLM_NEGOTIATE);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(t1, len, &id), TS_ERR_GATE_NTLM_MALFORMED);
	g_free(t1);
	/* curl --ntlm -u 'DOM\alice:s3cret' (OEM: curl asks for no Unicode). */
	t1 = corpus("curl-type3-oem.bin", &len);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(t1, len, &id), TS_ERR_OK);
	ck_assert_str_eq(id.user, "alice");
	ck_assert_str_eq(id.domain, "DOM");
	ck_assert(!id.unicode);
	g_free(t1);
}
END_TEST

static const char *const hostile_tokens[] = {
	"curl-type3-truncated.bin", "type3-offset-past-end.bin", "type3-huge-length.bin",
	"type3-offset-wrap.bin",    "type3-offset-in-header.bin", "signature-only.bin",
};

START_TEST(test_ntlm_hostile_tokens)
{
	struct ts_ntlm_identity id;
	size_t len;
	uint8_t *t = corpus(hostile_tokens[_i], &len);

	ck_assert_msg(ts_ntlm_authenticate_parse(t, len, &id) == TS_ERR_GATE_NTLM_MALFORMED,
		      "%s accepted", hostile_tokens[_i]);
	ck_assert_str_eq(id.user, "");
	g_free(t);
}
END_TEST

START_TEST(test_ntlm_unicode)
{
	/* "Dom\u00e4ne" and "\u00fcser\U0001F600" in UTF-16LE. */
	static const uint8_t dom[] = {'D', 0, 'o', 0, 'm', 0, 0xe4, 0, 'n', 0, 'e', 0};
	static const uint8_t user[] = {0xfc, 0, 's', 0, 'e', 0, 'r', 0, 0x3d, 0xd8, 0x00, 0xde};
	static const uint8_t lone[] = {'a', 0, 0x3d, 0xd8};
	static const uint8_t low_first[] = {0x00, 0xde, 'a', 0};
	static const uint8_t odd[] = {'a', 0, 'b'};
	static const uint8_t ctrl[] = {'a', 0, '\n', 0};
	static const uint8_t nul[] = {'a', 0, 0, 0};
	uint8_t msg[2048], big[600];
	struct ts_ntlm_identity id;
	size_t n = make_type3(msg, dom, sizeof dom, user, sizeof user, 0x1);

	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_OK);
	ck_assert_str_eq(id.domain, "Dom\xc3\xa4ne");
	ck_assert_str_eq(id.user, "\xc3\xbcser\xf0\x9f\x98\x80");
	ck_assert(id.unicode);
	n = make_type3(msg, dom, sizeof dom, lone, sizeof lone, 0x1);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	n = make_type3(msg, dom, sizeof dom, low_first, sizeof low_first, 0x1);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	n = make_type3(msg, dom, sizeof dom, odd, sizeof odd, 0x1);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	n = make_type3(msg, dom, sizeof dom, ctrl, sizeof ctrl, 0x1);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	n = make_type3(msg, dom, sizeof dom, nul, sizeof nul, 0x1);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	/* OEM: ASCII kept, other bytes shown as '?', controls refused. */
	n = make_type3(msg, (const uint8_t *)"D\xe4", 2, (const uint8_t *)"bob", 3, 0x2);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_OK);
	ck_assert_str_eq(id.domain, "D?");
	ck_assert_str_eq(id.user, "bob");
	n = make_type3(msg, (const uint8_t *)"D", 1, (const uint8_t *)"b\rb", 3, 0x2);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	/* Names longer than TS_NTLM_NAME_MAX bytes are refused, not cut. */
	memset(big, 'a', sizeof big);
	n = make_type3(msg, (const uint8_t *)"D", 1, big, TS_NTLM_NAME_MAX + 1, 0x2);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_GATE_NTLM_MALFORMED);
	n = make_type3(msg, (const uint8_t *)"D", 1, big, TS_NTLM_NAME_MAX, 0x2);
	ck_assert_int_eq(ts_ntlm_authenticate_parse(msg, n, &id), TS_ERR_OK);
	ck_assert_uint_eq(strlen(id.user), TS_NTLM_NAME_MAX);
}
END_TEST

START_TEST(test_negotiate_inspect)
{
	static const struct {
		const char *file;
		enum ts_negotiate_mech mech;
		bool inner;
		ts_err err;
	} rows[] = {
		{"spnego-init-ntlm.bin", TS_NEGOTIATE_NTLM, true, TS_ERR_OK},
		{"spnego-resp-type3.bin", TS_NEGOTIATE_NTLM, true, TS_ERR_OK},
		{"curl-type3-oem.bin", TS_NEGOTIATE_NTLM, true, TS_ERR_OK},
		{"kerberos-ap-req.bin", TS_NEGOTIATE_KERBEROS, false, TS_ERR_OK},
		{"spnego-length-past-end.bin", TS_NEGOTIATE_KERBEROS, false,
		 TS_ERR_GATE_NEGOTIATE_MALFORMED},
		{"spnego-indefinite.bin", TS_NEGOTIATE_KERBEROS, false,
		 TS_ERR_GATE_NEGOTIATE_MALFORMED},
	};

	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		enum ts_negotiate_mech mech;
		const uint8_t *inner = NULL;
		size_t len, inner_len = 0;
		uint8_t *t = corpus(rows[i].file, &len);

		ck_assert_msg(ts_negotiate_inspect(t, len, &mech, &inner, &inner_len) == rows[i].err,
			      "%s", rows[i].file);
		if (rows[i].err == TS_ERR_OK) {
			ck_assert_msg(mech == rows[i].mech, "%s", rows[i].file);
			ck_assert_msg((inner != NULL) == rows[i].inner, "%s", rows[i].file);
			if (inner != NULL)
				ck_assert(inner >= t && inner + inner_len <= t + len);
		}
		g_free(t);
	}
}
END_TEST

START_TEST(test_base64_strict)
{
	static const char *const bad[] = {"", "A", "AB=", "A===", "AB=C", "AB C", "QQ=\n",
					  "QR==", "QUJ=", "Q-==", "QUJD\n"};
	uint8_t out[8];
	size_t n;

	ck_assert_int_eq(ts_gate_base64_decode("QUJD", 4, out, sizeof out, &n), TS_ERR_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(ts_gate_base64_decode("QUI=", 4, out, sizeof out, &n), TS_ERR_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ts_gate_base64_decode("QQ==", 4, out, sizeof out, &n), TS_ERR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ts_gate_base64_decode("QUJDREVGR0hJ", 12, out, sizeof out, &n),
			 TS_ERR_GATE_BASE64); /* 9 bytes > 8 */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ts_gate_base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n) ==
				      TS_ERR_GATE_BASE64,
			      "accepted '%s'", bad[i]);
}
END_TEST

/* ---- paths: as IIS will read them, or refused ---- */

static const struct {
	const char *in;
	const char *out; /* NULL: ambiguous */
} paths[] = {
	{"/", "/"},
	{"/ucwa/oauth/v1/applications", "/ucwa/oauth/v1/applications"},
	{"/meet/../ucwa", "/ucwa"},
	{"/meet/%2e%2e/ucwa", "/ucwa"},
	{"/meet/%2E%2E/WebTicket//oauthtoken", "/WebTicket/oauthtoken"},
	{"//WebTicket///oauthtoken", "/WebTicket/oauthtoken"},
	{"/meet/./x/", "/meet/x/"},
	{"/meet/x/.", "/meet/x/"},
	{"/meet/x/..", "/meet/"},
	{"/a/b/../../c", "/c"},
	{"/%41utodiscover", "/Autodiscover"},
	{"/a%7Eb%2Dc", "/a~b-c"},
	{"/a%20b", "/a%20b"},
	{"/a%3bb", "/a%3Bb"},
	{"/PassiveAuth/", "/PassiveAuth/"},
	{"", NULL},
	{"ucwa", NULL},
	{"http://lync1.test/ucwa", NULL},
	{"/..", NULL},
	{"/meet/../../ucwa", NULL},
	{"/meet/%2e%2e/%2e%2e/ucwa", NULL},
	{"/meet%2F..%2Fucwa", NULL},
	{"/meet%2f..%2fucwa", NULL},
	{"/meet%5C..%5Cucwa", NULL},
	{"/meet\\..\\ucwa", NULL},
	{"/meet/%252e%252e/ucwa", NULL},
	{"/%u002e%u002e/ucwa", NULL},
	{"/a%", NULL},
	{"/a%4", NULL},
	{"/a%zz", NULL},
	{"/a%00b", NULL},
	{"/a%0d%0ab", NULL},
	{"/a b", NULL},
	{"/a\tb", NULL},
	{"/caf\xc3\xa9", NULL},
	{"/a%C3%A9", NULL},
	{"/WebTicket/oauthtoken.", NULL},
	{"/WebTicket/oauthtoken%2e", NULL},
	{"/WebTicket/oauthtoken%20", NULL},
	{"/WebTicket/WebTicketService.svc./Auth", NULL},
	{"/a?b", NULL},
	{"/a#b", NULL},
};

START_TEST(test_path_normalise)
{
	char out[TS_GATE_PATH_MAX + 2] = "untouched";
	size_t n = 0;
	ts_err err = ts_gate_path_normalise(paths[_i].in, strlen(paths[_i].in), out, sizeof out, &n);

	if (paths[_i].out == NULL) {
		ck_assert_msg(err == TS_ERR_GATE_PATH_AMBIGUOUS, "'%s' became '%s'", paths[_i].in,
			      out);
	} else {
		ck_assert_msg(err == TS_ERR_OK, "'%s' refused", paths[_i].in);
		ck_assert_str_eq(out, paths[_i].out);
		ck_assert_uint_eq(n, strlen(out));
	}
}
END_TEST

START_TEST(test_path_limits_and_match)
{
	char *long_path = g_strnfill(TS_GATE_PATH_MAX + 1, 'a');
	char out[TS_GATE_PATH_MAX + 2];
	size_t n;

	long_path[0] = '/';
	ck_assert_int_eq(ts_gate_path_normalise(long_path, strlen(long_path), out, sizeof out, &n),
			 TS_ERR_GATE_PATH_AMBIGUOUS);
	g_free(long_path);
	ck_assert(ts_gate_path_match("/PassiveAuth/*", "/passiveauth/PassiveAuth.aspx"));
	ck_assert(ts_gate_path_match("/PassiveAuth/*", "/PASSIVEAUTH"));
	ck_assert(!ts_gate_path_match("/PassiveAuth/*", "/PassiveAuthX"));
	ck_assert(ts_gate_path_match("*/mex", "/WebTicket/WebTicketService.svc/MEX"));
	ck_assert(ts_gate_path_match("*/mex", "/mex/"));
	ck_assert(!ts_gate_path_match("*/mex", "/WebTicket/Xmex"));
	ck_assert(ts_gate_path_match("/", "/"));
	ck_assert(!ts_gate_path_match("/", "/ucwa"));
	ck_assert(ts_gate_path_match("/Autodiscover/AutodiscoverService.svc/root",
				     "/autodiscover/autodiscoverservice.svc/ROOT/"));
	ck_assert(!ts_gate_path_match("/Autodiscover/AutodiscoverService.svc/root",
				      "/Autodiscover/AutodiscoverService.svc/root/oauth/user"));
}
END_TEST

/* ---- every kind, and what each stage does with it ---- */

#define NTLM3 "NTLM curl-type3-oem.bin"
#define FORM "Content-Type: application/x-www-form-urlencoded;charset=UTF-8"
#define OAUTH "/WebTicket/oauthtoken"
#define WTS "/WebTicket/WebTicketService.svc"
#define UCWA "/ucwa/oauth/v1/applications"
#define USER_RES "/Autodiscover/AutodiscoverService.svc/root/oauth/user"
#define SOAP_TICKET                                                                              \
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>"          \
	"<wsse:Security xmlns:wsse=\"x\"><saml:Assertion xmlns:saml=\"y\" "                      \
	"AssertionID=\"SamlSecurityToken-1\"/></wsse:Security></s:Header><s:Body/></s:Envelope>"
#define SOAP_PIN                                                                                 \
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header>"          \
	"<o:Security xmlns:o=\"x\"><o:UsernameToken><o:Username> RE9NXGRhdmU= </o:Username>"     \
	"<o:Password>c2VjcmV0</o:Password></o:UsernameToken></o:Security></s:Header>"            \
	"<s:Body/></s:Envelope>"
#define SOAP_RST                                                                                 \
	"<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"            \
	"<RequestSecurityToken/></s:Body></s:Envelope>"

struct kind_row {
	const char *what;
	struct req_spec req;
	const char *auth_file; /* "SCHEME corpus-file": an Authorization header from the corpus */
	enum ts_gate_kind kind;
	ts_err detail;
	const char *user, *domain;
	/* In a passive pool: allowed, or the answer's shape and status. */
	bool passive_allows;
	enum ts_gate_shape shape;
	int status;
};

static const struct kind_row kinds[] = {
	{"NTLM type 3 from curl", {.method = "POST", .target = WTS}, NTLM3, TS_GATE_KIND_NTLM,
	 TS_ERR_OK, "alice", "DOM", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"NTLM type 1", {.method = "POST", .target = OAUTH}, "NTLM curl-type1.bin",
	 TS_GATE_KIND_NTLM, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"NTLM type 3 truncated", {.target = UCWA}, "NTLM curl-type3-truncated.bin",
	 TS_GATE_KIND_NTLM, TS_ERR_GATE_NTLM_MALFORMED, "", "", false, TS_GATE_SHAPE_BEARER, 401},
	{"NTLM not base64", {.target = WTS, .headers = {"Authorization: NTLM !!!!"}}, NULL,
	 TS_GATE_KIND_NTLM, TS_ERR_GATE_BASE64, "", "", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"NTLM on an anonymous path binds the connection", {.target = WTS "/mex"}, NTLM3,
	 TS_GATE_KIND_NTLM, TS_ERR_OK, "alice", "DOM", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"Negotiate raw NTLMSSP", {.target = WTS}, "Negotiate curl-type3-oem.bin", TS_GATE_KIND_NTLM,
	 TS_ERR_OK, "alice", "DOM", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"Negotiate SPNEGO init naming NTLM", {.target = WTS}, "Negotiate spnego-init-ntlm.bin",
	 TS_GATE_KIND_NTLM, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"Negotiate SPNEGO resp with type 3", {.target = WTS}, "Negotiate spnego-resp-type3.bin",
	 TS_GATE_KIND_NTLM, TS_ERR_OK, "alice", "DOM", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"Negotiate Kerberos", {.target = UCWA}, "Negotiate kerberos-ap-req.bin",
	 TS_GATE_KIND_NEGOTIATE, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_BEARER, 401},
	{"Negotiate garbage", {.target = "/abs/handler", .headers = {"Authorization: Negotiate AAAA"}},
	 NULL, TS_GATE_KIND_NEGOTIATE, TS_ERR_GATE_NEGOTIATE_MALFORMED, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
	{"Basic: the user, never the password",
	 {.target = "/abs/handler", .headers = {"Authorization: basic RE9NXGJvYjpwdw=="}}, NULL,
	 TS_GATE_KIND_BASIC, TS_ERR_OK, "bob", "DOM", false, TS_GATE_SHAPE_FORBIDDEN, 403},
	{"Basic without a colon", {.target = "/abs", .headers = {"Authorization: Basic Ym9i"}}, NULL,
	 TS_GATE_KIND_BASIC, TS_ERR_GATE_BASE64, "", "", false, TS_GATE_SHAPE_FORBIDDEN, 403},
	{"Digest", {.target = UCWA, .headers = {"Authorization: Digest x=1"}}, NULL,
	 TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_SCHEME_UNKNOWN, "", "", false, TS_GATE_SHAPE_BEARER, 401},
	{"two Authorization headers",
	 {.target = UCWA, .headers = {"Authorization: Bearer cwt=AAEB", "Authorization: NTLM x"}},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE, "", "", false,
	 TS_GATE_SHAPE_BEARER, 401},
	{"password grant",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "grant_type=password&username=DOM%5Ccarol&password=p%40ss"},
	 NULL, TS_GATE_KIND_PASSWORD, TS_ERR_OK, "carol", "DOM", false, TS_GATE_SHAPE_OAUTH, 400},
	{"password grant with a UPN",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "username=carol%40example.test&grant_type=password&password=x"},
	 NULL, TS_GATE_KIND_PASSWORD, TS_ERR_OK, "carol@example.test", "", false,
	 TS_GATE_SHAPE_OAUTH, 400},
	{"windows grant",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "grant_type=urn%3Amicrosoft.rtc%3Awindows"},
	 NULL, TS_GATE_KIND_WINDOWS, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"passive grant",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "grant_type=urn:microsoft.rtc:passive"},
	 NULL, TS_GATE_KIND_PASSIVE, TS_ERR_OK, "", "", true, 0, 0},
	{"passive grant on a path spelled another way",
	 {.method = "POST", .target = "/meet/%2e%2e/webticket//OAUTHTOKEN", .headers = {FORM},
	  .body = "grant_type=urn:microsoft.rtc:passive"},
	 NULL, TS_GATE_KIND_PASSIVE, TS_ERR_OK, "", "", true, 0, 0},
	{"password grant under */mex is still judged by its grant",
	 {.method = "POST", .target = OAUTH "/mex", .headers = {FORM},
	  .body = "grant_type=password&username=x"},
	 NULL, TS_GATE_KIND_PASSWORD, TS_ERR_OK, "x", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"password grant behind ../",
	 {.method = "POST", .target = "/meet/../WebTicket/oauthtoken",
	  .body = "grant_type=password&username=x",
	  .headers = {FORM, "Authorization: Bearer cwt=AAEB"}},
	 NULL, TS_GATE_KIND_PASSWORD, TS_ERR_OK, "x", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"lower-case method is judged too",
	 {.method = "post", .target = OAUTH, .headers = {FORM}, .body = "grant_type=password"},
	 NULL, TS_GATE_KIND_PASSWORD, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"anonymous meeting grant",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "grant_type=urn:microsoft.rtc:anonmeeting&password=k&ms_rtc_conferenceuri=x"},
	 NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"oauthtoken without its body (GET /gate)", {.method = "POST", .target = OAUTH}, NULL,
	 TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE, "", "", false, TS_GATE_SHAPE_OAUTH, 400},
	{"oauthtoken body cut short",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "grant_type=urn:microsoft.rtc:passive", .truncated = true},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE, "", "", false, TS_GATE_SHAPE_OAUTH,
	 400},
	{"grant_type twice, once encoded and in another case",
	 {.method = "POST", .target = OAUTH, .headers = {FORM},
	  .body = "GRANT%5Ftype=password&grant_type=urn:microsoft.rtc:passive"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE, "", "", false,
	 TS_GATE_SHAPE_OAUTH, 400},
	{"grant_type in the query too",
	 {.method = "POST", .target = OAUTH "?grant_type=password", .headers = {FORM},
	  .body = "grant_type=urn:microsoft.rtc:passive"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE, "", "", false,
	 TS_GATE_SHAPE_OAUTH, 400},
	{"unknown grant",
	 {.method = "POST", .target = OAUTH, .headers = {FORM}, .body = "grant_type=refresh_token"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_GRANT_UNKNOWN, "", "", false, TS_GATE_SHAPE_OAUTH,
	 400},
	{"oauthtoken body not a form",
	 {.method = "POST", .target = OAUTH, .headers = {"Content-Type: multipart/form-data; b=x"},
	  .body = "grant_type=password"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_UNREADABLE, "", "", false, TS_GATE_SHAPE_OAUTH,
	 400},
	{"PIN UsernameToken on /Auth", {.method = "POST", .target = WTS "/auth", .body = SOAP_PIN},
	 NULL, TS_GATE_KIND_PIN, TS_ERR_OK, "dave", "DOM", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"/Auth without UsernameToken", {.method = "POST", .target = WTS "/Auth", .body = SOAP_RST},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_UNREADABLE, "", "", false,
	 TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"/Auth body cut short",
	 {.method = "POST", .target = WTS "/Auth", .body = SOAP_PIN, .truncated = true}, NULL,
	 TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE, "", "", false, TS_GATE_SHAPE_SOAP_FAULT,
	 500},
	{"/Cert is TLS-DSK", {.method = "POST", .target = WTS "/Cert", .body = SOAP_RST}, NULL,
	 TS_GATE_KIND_TLS_DSK, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"lyncdiscover root", {.target = "/?sipuri=alice@example.test"}, NULL,
	 TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"Autodiscover root", {.target = "/Autodiscover/AutodiscoverService.svc/root?x=1"}, NULL,
	 TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"WebTicketService mex", {.target = WTS "/mex"}, NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK,
	 "", "", true, 0, 0},
	{"passiveauth metadata",
	 {.target = "/passiveauth/federationmetadata/2007-06/federationmetadata.xml"}, NULL,
	 TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"meet page", {.target = "/meet/alice/AB12CD"}, NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "",
	 "", true, 0, 0},
	{"UCWA with a pool ticket", {.target = UCWA, .headers = {"Authorization: Bearer cwt=AAEB"}},
	 NULL, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK, "", "", true, 0, 0},
	{"XML Autodiscover with X-MS-WebTicket",
	 {.target = "/Autodiscover/AutodiscoverService.svc/root/user",
	  .headers = {"X-MS-WebTicket: opaque=PHNhbWw="}},
	 NULL, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK, "", "", true, 0, 0},
	{"CertProv with a web ticket in wsse:Security",
	 {.method = "POST", .target = "/CertProv/CertProvisioningService.svc", .body = SOAP_TICKET},
	 NULL, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK, "", "", true, 0, 0},
	{"CertProv without a ticket",
	 {.method = "POST", .target = "/CertProv/CertProvisioningService.svc", .body = SOAP_RST},
	 NULL, TS_GATE_KIND_NONE, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"CertProv body cut short",
	 {.method = "POST", .target = "/CertProv/CertProvisioningService.svc", .body = SOAP_TICKET,
	  .truncated = true},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE, "", "", false,
	 TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"two Tessera cookies",
	 {.target = UCWA, .headers = {"Cookie: __Host-tessera=a.b.c; x=1", "Cookie: __Host-tessera=d"}},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE, "", "", false,
	 TS_GATE_SHAPE_BEARER, 401},
	{"token posted to passive sign-in by the broker's page",
	 {.method = "POST", .target = "/PassiveAuth/", .headers = {FORM,
	  "Origin: https://Tessera.example.test:443"}, .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"token posted to passive sign-in with no Origin",
	 {.method = "POST", .target = "/passiveauth/", .headers = {FORM},
	  .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"token posted to passive sign-in from another site",
	 {.method = "POST", .target = "/passiveauth/x.aspx", .headers = {FORM,
	  "Origin: https://evil.test"}, .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_ORIGIN_FOREIGN, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
	{"token posted to passive sign-in from a page with no origin",
	 {.method = "POST", .target = "/passiveauth/", .headers = {FORM, "Origin: null"},
	  .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_ORIGIN_FOREIGN, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
	{"token posted to passive sign-in with two Origins",
	 {.method = "POST", .target = "/passiveauth/", .headers = {FORM,
	  "Origin: https://tessera.example.test", "Origin: https://evil.test"},
	  .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_ORIGIN_FOREIGN, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
	{"token posted from another site by a browser sending only Referer",
	 {.method = "POST", .target = "/passiveauth/", .headers = {FORM,
	  "Referer: https://evil.test/page?x=1"}, .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_ORIGIN_FOREIGN, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
	{"token posted by the broker's page, Referer only",
	 {.method = "POST", .target = "/passiveauth/", .headers = {FORM,
	  "Referer: https://tessera.example.test/saml/acs"}, .body = "wa=wsignin1.0&wresult=x"},
	 NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"passive sign-in page fetched from another site's link",
	 {.target = "/passiveauth/", .headers = {"Origin: https://evil.test"}},
	 NULL, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK, "", "", true, 0, 0},
	{"Tessera cookie beside another spelling of it",
	 {.target = UCWA, .headers = {"Cookie: __host-tessera=a.b.c; __Host-tessera=d"}},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE, "", "", false,
	 TS_GATE_SHAPE_BEARER, 401},
	{"another spelling of the Tessera cookie alone",
	 {.target = UCWA, .headers = {"Cookie: __HOST-TESSERA=a.b.c"}},
	 NULL, TS_GATE_KIND_NONE, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_BEARER, 401},
	{"Bearer that is neither cwt= nor JWS", {.target = UCWA, .headers = {"Authorization: Bearer x"}},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_SCHEME_UNKNOWN, "", "", false, TS_GATE_SHAPE_BEARER,
	 401},
	{"no credential: JSON Autodiscover user", {.target = USER_RES}, NULL, TS_GATE_KIND_NONE,
	 TS_ERR_OK, "", "", false, TS_GATE_SHAPE_BEARER, 401},
	{"no credential: XML Autodiscover user",
	 {.target = USER_RES, .headers = {"Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1"}},
	 NULL, TS_GATE_KIND_NONE, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_WEBTICKET_URL, 401},
	{"no credential: WebTicketService RST", {.method = "POST", .target = WTS, .body = SOAP_RST},
	 NULL, TS_GATE_KIND_NONE, TS_ERR_OK, "", "", false, TS_GATE_SHAPE_SOAP_FAULT, 500},
	{"ambiguous path", {.target = "/meet/..%2Fucwa"}, NULL, TS_GATE_KIND_UNKNOWN,
	 TS_ERR_GATE_PATH_AMBIGUOUS, "", "", false, TS_GATE_SHAPE_FORBIDDEN, 403},
	{"encoded slash cannot hide oauthtoken behind /meet",
	 {.method = "POST", .target = "/meet%2F..%2FWebTicket%2Foauthtoken", .headers = {FORM},
	  .body = "grant_type=password"},
	 NULL, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_PATH_AMBIGUOUS, "", "", false,
	 TS_GATE_SHAPE_FORBIDDEN, 403},
};

static struct ts_gate_verdict *decide_row(const struct kind_row *row, const char *host)
{
	struct req_spec s = row->req;
	struct ts_gate_verdict *v;
	char *auth = NULL;

	s.host = host;
	if (row->auth_file != NULL) {
		const char *space = strchr(row->auth_file, ' ');
		char *scheme = g_strndup(row->auth_file, (gsize)(space - row->auth_file));
		size_t i = 0;

		auth = auth_header(scheme, space + 1);
		g_free(scheme);
		while (s.headers[i] != NULL)
			i++;
		s.headers[i] = auth;
	}
	v = decide(&s);
	g_free(auth);
	return v;
}

START_TEST(test_kinds_legacy)
{
	const struct kind_row *row = &kinds[_i];
	struct ts_gate_verdict *v = decide_row(row, "lync1.test");

	ck_assert_msg(v->kind == row->kind, "%s: kind %s", row->what, ts_gate_kind_name(v->kind));
	ck_assert_msg(v->err == row->detail, "%s: detail %s", row->what, ts_errname(v->err));
	ck_assert_msg(strcmp(v->user, row->user) == 0, "%s: user '%s'", row->what, v->user);
	ck_assert_msg(strcmp(v->domain, row->domain) == 0, "%s: domain '%s'", row->what, v->domain);
	/* legacy: everything passes, named by its kind, with no identity. */
	ck_assert_msg(v->outcome == TS_GATE_ALLOW, "%s refused in legacy", row->what);
	ck_assert_str_eq(upstream(v, "X-Tessera-Auth"), ts_gate_kind_name(row->kind));
	ck_assert_str_eq(upstream(v, "X-Tessera-User"), "");
	ck_assert_str_eq(v->pool, "lync1");
	verdict_free(v);
}
END_TEST

START_TEST(test_kinds_passive)
{
	const struct kind_row *row = &kinds[_i];
	struct ts_gate_verdict *v = decide_row(row, "LYNC2.test:443");

	ck_assert_msg(v->kind == row->kind, "%s: kind %s", row->what, ts_gate_kind_name(v->kind));
	ck_assert_str_eq(v->pool, "lync2");
	if (row->passive_allows) {
		ck_assert_msg(v->outcome == TS_GATE_ALLOW, "%s refused: %s", row->what,
			      ts_errname(v->err));
		ck_assert_uint_eq(v->answer.status, 0);
	} else {
		ck_assert_msg(v->outcome == TS_GATE_REFUSE, "%s allowed", row->what);
		ck_assert_msg(v->answer.shape == row->shape, "%s: shape %s", row->what,
			      ts_gate_shape_name(v->answer.shape));
		ck_assert_int_eq(v->answer.status, row->status);
		ck_assert(v->err != TS_ERR_OK);
		ck_assert(row->detail == TS_ERR_OK ? v->err == TS_ERR_GATE_KIND_REFUSED
						   : v->err == row->detail);
		ck_assert(logged("event=gate_decision"));
		ck_assert(logged("outcome=refuse"));
	}
	verdict_free(v);
}
END_TEST

/* ---- the stage matrix: every kind x audit / passive x excepted or not ---- */

START_TEST(test_kinds_stage_matrix)
{
	const struct kind_row *row = &kinds[_i];
	static const enum ts_stage stages[] = {TS_STAGE_LEGACY, TS_STAGE_AUDIT, TS_STAGE_PASSIVE};

	for (size_t st = 0; st < 3; st++)
		for (int exc = 0; exc < 2; exc++) {
			/* Every request of the table comes from 192.0.2.7. */
			struct ts_cutover_exception e = {.id = 1, .kind = TS_EXCEPT_CIDR,
							 .value = "192.0.2.0/24",
							 .until = T0 + 86400};
			struct ts_stage_pool pool = {.pool = "lync2", .stage = stages[st],
						     .exceptions = {&e, exc ? 1 : 0}};
			struct ts_stage_snapshot snap = {.pools = &pool, .n = 1};
			const bool refusable = !row->passive_allows;
			struct ts_gate_verdict *v;
			size_t before, after;
			uint64_t dropped;

			ck_assert_int_eq(ts_cidr_parse(e.value, &e.net), TS_ERR_OK);
			fx.stages = &snap;
			ts_usage_stats(fx.usage, &before, &dropped);
			v = decide_row(row, "lync2.test");
			ts_usage_stats(fx.usage, &after, &dropped);
			fx.stages = NULL;
			ck_assert_str_eq(ts_gate_stage_name(v->stage), ts_stage_name(stages[st]));
			ck_assert_msg(v->excepted == (refusable && exc && st > 0), "%s: excepted",
				      row->what);
			ck_assert_msg(v->would_refuse == (refusable && !exc && st == 1),
				      "%s: would_refuse in %s", row->what, ts_stage_name(stages[st]));
			if (st < 2 || !refusable || exc) {
				ck_assert_msg(v->outcome == TS_GATE_ALLOW, "%s refused in %s%s",
					      row->what, ts_stage_name(stages[st]),
					      exc ? ", excepted" : "");
			} else {
				ck_assert_msg(v->outcome == TS_GATE_REFUSE, "%s passed", row->what);
				ck_assert_int_eq(v->answer.shape, row->shape);
				ck_assert_int_eq(v->answer.status, row->status);
			}
			/* Legacy kinds are recorded, whatever the stage (but an NTLM
			 * type 1: its type 3 is); others never. */
			ck_assert_msg(ts_gate_kind_is_legacy(v->kind) &&
					      !(v->kind == TS_GATE_KIND_NTLM && v->user[0] == '\0')
				      ? after >= 1 && after >= before
				      : after == before,
				      "%s: usage %zu -> %zu", row->what, before, after);
			verdict_free(v);
		}
}
END_TEST

/* ---- pool ticket identities: the same minted and presented ---- */

/* Collects the identities ts_gate_ticket_ids finds, ';'-separated. */
static bool collect(void *arg, const char *id, size_t len)
{
	g_string_append_len(arg, id, (gssize)len);
	g_string_append_c(arg, ';');
	return false;
}

/* The identities in a request with these headers and body, and whether
 * all carriers could be read ("!" appended when not). */
static char *ids_of(const char *h1, const char *h2, const char *body)
{
	struct req_spec spec = {.method = body != NULL ? "POST" : "GET",
				.target = "/CertProv/CertProvisioningService.svc",
				.headers = {h1, h2},
				.body = body};
	GString *out = g_string_new(NULL);
	struct built b;

	build(&spec, &b);
	if (!ts_gate_ticket_ids(&b.req, collect, out))
		g_string_append_c(out, '!');
	g_free(b.path);
	return g_string_free(out, FALSE);
}

START_TEST(test_pool_ticket_ids)
{
	char id[128];
	const char *json = "{\"access_token\" : \"cwt=AbC.d\",\"expires_in\":28800}";
	const char *soap = "<s:Envelope><wsse:Security><saml:Assertion MajorVersion=\"1\" "
			   "AssertionID=\"_a1b2\">x</saml:Assertion></wsse:Security></s:Envelope>";
	const char *decoy = "<s:Envelope><wsse:Security><!-- AssertionID=\"decoy\" -->"
			    "<saml:Assertion AssertionID='_real'>x</saml:Assertion>"
			    "</wsse:Security></s:Envelope>";
	const char *no_id = "<s:Envelope><wsse:Security><saml:Assertion ID=\"x\"/>"
			    "</wsse:Security></s:Envelope>";
	gchar *opaque = g_base64_encode((const guchar *)soap, strlen(soap));
	gchar *webticket = g_strdup_printf("X-MS-WebTicket: Opaque=%s", opaque);
	gchar *bare = g_strdup_printf("X-MS-WebTicket:  %s", opaque);
	const struct {
		const char *h1, *h2, *body, *want;
	} cases[] = {
		{"Authorization: Bearer cwt=AbC.d", NULL, NULL, "cwt=AbC.d;"},
		{"Authorization: bearer \t cwt=AbC.d ", NULL, NULL, "cwt=AbC.d;"},
		{"Authorization: Bearer eyJ.a.b", NULL, NULL, ""},
		{webticket, NULL, NULL, "_a1b2;"},
		{bare, NULL, NULL, "_a1b2;"},
		{"X-MS-WebTicket: opaque=***", NULL, NULL, "!"},
		{NULL, NULL, soap, "_a1b2;"},
		{NULL, NULL, decoy, "decoy;_real;"},
		{NULL, NULL, no_id, "!"},
		{"Authorization: Bearer cwt=junk", NULL, soap, "cwt=junk;_a1b2;"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = ids_of(cases[i].h1, cases[i].h2, cases[i].body);
		ck_assert_msg(strcmp(got, cases[i].want) == 0, "case %zu: '%s', want '%s'", i, got,
			      cases[i].want);
		g_free(got);
	}
	ck_assert(ts_gate_ticket_id_of_answer(json, strlen(json), id, sizeof id));
	ck_assert_str_eq(id, "cwt=AbC.d");
	ck_assert(ts_gate_ticket_id_of_answer(soap, strlen(soap), id, sizeof id));
	ck_assert_str_eq(id, "_a1b2");
	ck_assert(!ts_gate_ticket_id_of_answer("{\"access_token\":\"eyJ\"}", 20, id, sizeof id));
	ck_assert(!ts_gate_ticket_id_of_answer("AssertionID=\"unterminated", 25, id, sizeof id));
	ck_assert(!ts_gate_ticket_id_of_answer(json, strlen(json), id, 5)); /* too long for id */
	g_free(bare);
	g_free(webticket);
	g_free(opaque);
}
END_TEST

START_TEST(test_ticket_seen)
{
	struct ts_ticket_seen *seen = ts_ticket_seen_new();
	const char *a = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	const char *b = "0123456789abcdef0123456789abcdeeffffffffffffffffffffffffffffffff";

	ck_assert_ptr_nonnull(seen);
	ck_assert(!ts_ticket_seen_clean(seen, a, T0));
	ts_ticket_seen_put_clean(seen, a, T0);
	ck_assert(ts_ticket_seen_clean(seen, a, T0 + TS_TICKET_SEEN_TTL - 1));
	ck_assert(!ts_ticket_seen_clean(seen, a, T0 + TS_TICKET_SEEN_TTL)); /* expired */
	ck_assert(!ts_ticket_seen_clean(seen, b, T0));			      /* same slot, other key */
	ts_ticket_seen_put_clean(seen, b, T0);
	ck_assert(!ts_ticket_seen_clean(seen, a, T0)); /* replaced */
	ck_assert(!ts_ticket_seen_clean(seen, "short", T0));
	ts_ticket_seen_free(seen);
}
END_TEST

/* ---- Tessera tickets: verified for the pool the Host names ---- */

static char *mint_for(const char *pool, const char *sub)
{
	static const char *const amr[] = {"pwd", "mfa"};
	struct ts_ticket_identity id = {.sub = sub,
					.upn = "alice@example.test",
					.sid = "S-1-5-21-1-2-3-1104",
					.idp = "fx",
					.amr = amr,
					.n_amr = 2};
	char *token = NULL;
	size_t len = 0;

	ck_assert_int_eq(ts_ticket_mint(fx.tickets, &id, pool, &token, &len), TS_ERR_OK);
	return token;
}

static struct ts_gate_verdict *with_ticket(const char *host, const char *token, bool cookie)
{
	char *h = g_strdup_printf(cookie ? "Cookie: a=1; __Host-tessera=%s" : "Authorization: Bearer %s",
				  token);
	struct req_spec s = {.host = host, .target = "/app/page?x=1", .headers = {h,
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
		"X-Tessera-User: admin"}};
	struct ts_gate_verdict *v = decide(&s);

	g_free(h);
	return v;
}

START_TEST(test_tessera_ticket_identity)
{
	char *token = mint_for("app", "alice@example.test");
	struct ts_gate_verdict *v = with_ticket("app.test", token, _i == 1);

	ck_assert_int_eq(v->outcome, TS_GATE_ALLOW);
	ck_assert_int_eq(v->kind, TS_GATE_KIND_TESSERA_TICKET);
	ck_assert(v->identity_verified);
	ck_assert_str_eq(upstream(v, "X-Tessera-User"), "alice@example.test");
	ck_assert_str_eq(upstream(v, "X-Tessera-Upn"), "alice@example.test");
	ck_assert_str_eq(upstream(v, "X-Tessera-Sid"), "S-1-5-21-1-2-3-1104");
	ck_assert_str_eq(upstream(v, "X-Tessera-Amr"), "pwd,mfa");
	ck_assert_str_eq(upstream(v, "X-Tessera-Auth"), "tessera-ticket");
	/* The client's own X-Tessera-User is noticed; the verdict's value is
	 * what the transport sets in its place. */
	ck_assert(v->spoofed_identity);
	ck_assert(logged("event=gate_spoofed_identity"));
	/* No ticket text in the log. */
	ck_assert(!logged(token));
	verdict_free(v);
	free(token);
}
END_TEST

START_TEST(test_tessera_ticket_refused)
{
	char *other = mint_for("lync1", "alice@example.test");
	char *mine = mint_for("app", "alice@example.test");
	const struct ts_ticket_claims *claims = NULL;
	struct ts_gate_verdict *v;

	/* Another pool's ticket: refused with its reason; browser → sign-in. */
	v = with_ticket("app.test", other, true);
	ck_assert_int_eq(v->outcome, TS_GATE_REFUSE);
	ck_assert_int_eq(v->kind, TS_GATE_KIND_TESSERA_TICKET);
	ck_assert_int_eq(v->err, TS_ERR_TICKET_AUDIENCE);
	ck_assert_int_eq(v->answer.status, 302);
	ck_assert_str_eq(answer_header(v, "Location", 0), "/.tessera/signin?return=/app/page%3Fx%3D1");
	ck_assert(!v->identity_verified);
	verdict_free(v);
	/* In a legacy pool it passes, but names nobody. */
	v = with_ticket("lync1.test", mine, false);
	ck_assert_int_eq(v->outcome, TS_GATE_ALLOW);
	ck_assert_int_eq(v->err, TS_ERR_TICKET_AUDIENCE);
	ck_assert_str_eq(upstream(v, "X-Tessera-User"), "");
	ck_assert_str_eq(upstream(v, "X-Tessera-Auth"), "none");
	verdict_free(v);
	/* Revoked. */
	ck_assert_int_eq(ts_ticket_verify(fx.tickets, mine, strlen(mine), "app", &claims), TS_ERR_OK);
	ck_assert_int_eq(ts_revoke_jti(fx.rev, claims->jti, claims->jti_len, claims->exp + SKEW),
			 TS_ERR_OK);
	ts_ticket_claims_release(claims);
	v = with_ticket("app.test", mine, true);
	ck_assert_int_eq(v->outcome, TS_GATE_REFUSE);
	ck_assert_int_eq(v->err, TS_ERR_TICKET_REVOKED);
	verdict_free(v);
	/* Expired: the clock moves past exp + skew. */
	free(mine);
	mine = mint_for("app", "bob@example.test");
	fx.clock = ts_clock_fixed(T0 + LIFETIME + SKEW + 1);
	v = with_ticket("app.test", mine, false);
	ck_assert_int_eq(v->err, TS_ERR_TICKET_EXPIRED);
	ck_assert_int_eq(v->outcome, TS_GATE_REFUSE);
	/* Not a browser: 401 with a Bearer challenge. */
	verdict_free(v);
	{
		char *h = g_strdup_printf("Authorization: Bearer %s", mine);
		struct req_spec s = {.host = "app.test", .target = "/api", .headers = {h}};
		v = decide(&s);
		g_free(h);
	}
	ck_assert_int_eq(v->answer.status, 401);
	ck_assert_str_eq(answer_header(v, "WWW-Authenticate", 0), "Bearer realm=\"app.test\"");
	verdict_free(v);
	free(mine);
	free(other);
}
END_TEST

/* A pool's own passive_origins replace the broker's origin; a web upstream
 * has no passive sign-in to guard. */
START_TEST(test_passive_origins_configured)
{
	static const struct {
		const char *host, *origin;
		enum ts_gate_outcome outcome;
	} cases[] = {
		{"lync3.test", "Origin: https://adfs.example.test", TS_GATE_ALLOW},
		{"lync3.test", "Origin: null", TS_GATE_ALLOW},
		{"lync3.test", "Origin: https://tessera.example.test", TS_GATE_REFUSE},
		{"lync3.test", "Origin: https://adfs.example.test:8443", TS_GATE_REFUSE},
		/* The pool's own page posting back, on any port. */
		{"lync3.test", "Origin: https://LYNC3.test:8443", TS_GATE_ALLOW},
		{"lync3.test", "Origin: http://lync3.test", TS_GATE_REFUSE},
		{"lync3.test", "Origin: https://lync3.test.evil.test", TS_GATE_REFUSE},
		{"app.test", "Origin: https://evil.test", TS_GATE_ALLOW},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct req_spec s = {.host = cases[i].host, .method = "POST",
				     .target = "/passiveauth/", .headers = {FORM, cases[i].origin},
				     .body = "wa=wsignin1.0&wresult=x"};
		struct ts_gate_verdict *v = decide(&s);

		ck_assert_msg(v->outcome == cases[i].outcome, "%s %s: %s", cases[i].host,
			      cases[i].origin, ts_errname(v->err));
		ck_assert_int_eq(v->err, cases[i].outcome == TS_GATE_ALLOW
						 ? TS_ERR_OK
						 : TS_ERR_GATE_ORIGIN_FOREIGN);
		verdict_free(v);
	}
}
END_TEST

/* A registered wreply outside /passiveauth/ is guarded as it is: its
 * directory and everything below. */
START_TEST(test_passive_reply_paths)
{
	static const struct {
		const char *host, *target, *origin;
		bool foreign;
	} cases[] = {
		{"lync3.test", "/sign-in/DONE.aspx", "Origin: https://evil.test", true},
		{"lync3.test", "/Sign-In/./Done.aspx/?from=elsewhere", "Origin: https://evil.test",
		 true},
		{"lync3.test", "/Sign-In/Done.aspx", "Referer: https://evil.test/x", true},
		{"lync3.test", "/Sign-In/Done.aspx/more", "Origin: https://evil.test", true},
		{"lync3.test", "/Sign-In/Other.aspx", "Origin: https://evil.test", true},
		{"lync3.test", "/Sign-In", "Origin: https://evil.test", true},
		{"lync3.test", "/%53ign-In/x", "Origin: https://evil.test", true},
		{"lync3.example.test", "/app/x", "Origin: https://evil.test", true},
		{"lync3.test", "/App", "Origin: https://evil.test", true},
		{"lync3.test", "/Sign-In/Done.aspx", "Origin: https://adfs.example.test", false},
		{"lync3.test", "/SignIn/Done.aspx", "Origin: https://evil.test", false},
		{"lync3.test", "/Sign-In2/", "Origin: https://evil.test", false},
		{"lync3.test", "/App2/", "Origin: https://evil.test", false},
		{"lync3.test", "/", "Origin: https://evil.test", false},
		{"lync2.test", "/Sign-In/Done.aspx", "Origin: https://evil.test", false},
	};

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct req_spec s = {.host = cases[i].host, .method = "POST",
				     .target = cases[i].target, .headers = {FORM, cases[i].origin},
				     .body = "wa=wsignin1.0&wresult=x"};
		struct ts_gate_verdict *v = decide(&s);

		ck_assert_msg((v->err == TS_ERR_GATE_ORIGIN_FOREIGN) == cases[i].foreign,
			      "%s %s %s: %s", cases[i].host, cases[i].target, cases[i].origin,
			      ts_errname(v->err));
		ck_assert_msg(!cases[i].foreign || v->outcome == TS_GATE_REFUSE, "%s",
			      cases[i].target);
		verdict_free(v);
	}
}
END_TEST

/* The txn variables of an ACK, in order, as "name,name,...". */
static char *ack_var_names(struct ts_spop_ack *ack)
{
	size_t len = ts_spop_ack_finish(ack);
	GString *names = g_string_new(NULL);
	struct ts_spop_frame f;
	struct ts_spop_reader r;
	struct ts_spop_action a;
	uint32_t n;

	ck_assert_uint_gt(len, TS_SPOP_LENGTH_SIZE);
	ck_assert_int_eq(ts_spop_frame_length(ack->w.buf, ack->max_frame_size, &n), TS_ERR_OK);
	ck_assert_uint_eq(n + TS_SPOP_LENGTH_SIZE, len);
	ck_assert_int_eq(ts_spop_frame_decode(ack->w.buf + TS_SPOP_LENGTH_SIZE, n, &f), TS_ERR_OK);
	ck_assert_uint_eq(f.type, TS_SPOP_FRAME_ACK);
	r = (struct ts_spop_reader){f.payload.ptr, f.payload.ptr + f.payload.len};
	while (r.pos < r.end) {
		ck_assert_int_eq(ts_spop_action_decode(&r, &a), TS_ERR_OK);
		ck_assert(a.type == TS_SPOP_ACTION_SET_VAR && a.scope == TS_SPOP_SCOPE_TXN);
		g_string_append_printf(names, "%s%.*s", names->len > 0 ? "," : "",
				       (int)a.name.len, (const char *)a.name.ptr);
	}
	return g_string_free(names, FALSE);
}

/* The verdict is written whole and first; the attempt after it only if it
 * still fits, so a small frame loses the attempt, never the verdict. */
START_TEST(test_ack_verdict_before_attempt)
{
	static uint8_t buf[16384];
	struct ts_gate_policy policy = {.config = fx.config, .usage = fx.usage,
					.now = ts_clock_now(&fx.clock)};
	struct ts_gate_verdict *v;
	struct ts_spop_ack ack;
	struct basic_try t;
	char *attempt, *names;
	uint32_t verdict_only;

	basic_decide(&policy, "alice:pw", "UCCAPI/16.0 (Skype for Business)", &t);
	v = t.v;
	ck_assert_int_eq(v->outcome, TS_GATE_ALLOW);
	attempt = ts_gate_attempt_encode(&policy, v, &t.b.req);
	ck_assert_ptr_nonnull(attempt);

	ts_spop_ack_begin(&ack, buf, sizeof buf, sizeof buf - TS_SPOP_LENGTH_SIZE, 1, 1);
	ck_assert_int_eq(ts_gate_ack_verdict(&ack, v, NULL), TS_ERR_OK);
	verdict_only = (uint32_t)(ts_spop_ack_finish(&ack) - TS_SPOP_LENGTH_SIZE);

	ts_spop_ack_begin(&ack, buf, sizeof buf, sizeof buf - TS_SPOP_LENGTH_SIZE, 1, 1);
	ck_assert_int_eq(ts_gate_ack_verdict(&ack, v, attempt), TS_ERR_OK);
	names = ack_var_names(&ack);
	ck_assert_msg(g_str_has_suffix(names, ",verdict,attempt"), "%s", names);
	g_free(names);
	/* Room for the verdict only: it is there, the attempt is not. */
	ts_spop_ack_begin(&ack, buf, sizeof buf, verdict_only, 1, 1);
	ck_assert_int_eq(ts_gate_ack_verdict(&ack, v, attempt), TS_ERR_OK);
	names = ack_var_names(&ack);
	ck_assert_msg(g_str_has_suffix(names, ",verdict"), "%s", names);
	g_free(names);
	/* A byte less: no verdict at all, and the caller is told. */
	ts_spop_ack_begin(&ack, buf, sizeof buf, verdict_only - 1, 1, 1);
	ck_assert_int_eq(ts_gate_ack_verdict(&ack, v, attempt), TS_ERR_SPOP_ACK_FULL);
	names = ack_var_names(&ack);
	ck_assert_msg(strstr(names, "verdict") == NULL, "%s", names);
	g_free(names);
	g_free(attempt);
	basic_done(&t);
}
END_TEST

/* The attempt carried to the pool's answer reads back as it was recorded,
 * whatever the name and agent hold; anything else is refused. */
START_TEST(test_attempt_round_trip)
{
	struct ts_usage *one_row = ts_usage_new(1);
	struct ts_gate_policy policy = {.config = fx.config,
					.usage = one_row,
					.now = ts_clock_now(&fx.clock)};
	struct ts_gate_attempt a;
	struct ts_usage_event ev;
	struct basic_try t;
	char *text;

	basic_decide(&policy, "a&b=c%d+e:pw", "UCCAPI/16.0 (Skype for Business) a&agent=x", &t);
	text = ts_gate_attempt_encode(&policy, t.v, &t.b.req);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(ts_gate_attempt_decode(text, strlen(text), &a), TS_ERR_OK);
	ck_assert_str_eq(a.pool, "lync1");
	ck_assert_str_eq(a.user, "a&b=c%d+e");
	ck_assert_str_eq(a.kind, "basic");
	ck_assert_str_eq(a.family, t.v->client->name);
	ck_assert(a.passive_capable == t.v->client->passive_capable);
	ck_assert_str_eq(a.ip, "192.0.2.7");
	ck_assert_str_eq(a.agent, "UCCAPI/16.0 (Skype for Business) a&agent=x");
	ck_assert_int_eq(a.at, policy.now);
	/* Dated as the attempt, in its hour, however late the pool answers;
	 * never later than now. */
	ev = ts_gate_attempt_refused(&a, policy.now + 7200);
	ck_assert_int_eq(ev.decision, TS_DECISION_POOL_REFUSED);
	ck_assert_int_eq(ev.now, policy.now);
	ck_assert_str_eq(ev.user, a.user);
	ck_assert_int_eq(ts_gate_attempt_refused(&a, policy.now - 5).now, policy.now - 5);
	ts_gate_attempt_clear(&a);
	/* A NUL inside: not what was made. */
	ck_assert_int_eq(ts_gate_attempt_decode(text, strlen(text) + 1, &a), TS_ERR_INVALID_ARGUMENT);
	g_free(text);
	basic_done(&t);
	/* Another user: the one-row table is full, the attempt is not counted,
	 * so no refusal of it may be taken off (it would be someone else's). */
	basic_decide(&policy, "other:pw", "UCCAPI/16.0 (Skype for Business) a&agent=x", &t);
	ck_assert(!t.v->recorded);
	ck_assert_ptr_null(ts_gate_attempt_encode(&policy, t.v, &t.b.req));
	basic_done(&t);
	ts_usage_free(one_row);
	/* Which answers refuse which credential. */
	{
		static const char fault[] = "<s:Fault><faultcode>a:FailedAuthentication</faultcode>"
					    "<detail><OCSDiagnosticsFault><Ms-Diagnostics-Fault>"
					    "<ErrorId>28020</ErrorId><Reason>No valid security token."
					    "</Reason></Ms-Diagnostics-Fault>";
		static const char other[] = "<Ms-Diagnostics-Fault><ErrorId>28032</ErrorId>";

		ck_assert(ts_gate_attempt_refused_by("ntlm", 401, NULL, 0));
		ck_assert(!ts_gate_attempt_refused_by("ntlm", 400, NULL, 0));
		ck_assert(!ts_gate_attempt_refused_by("ntlm", 500, fault, sizeof fault - 1));
		ck_assert(!ts_gate_attempt_refused_by("basic", 403, NULL, 0));
		ck_assert(ts_gate_attempt_refused_by("password", 400, NULL, 0));
		ck_assert(!ts_gate_attempt_refused_by("password", 401, NULL, 0));
		ck_assert(ts_gate_attempt_refused_by("pin", 500, fault, sizeof fault - 1));
		ck_assert(!ts_gate_attempt_refused_by("pin", 500, fault, 60)); /* cut short */
		ck_assert(!ts_gate_attempt_refused_by("pin", 500, other, sizeof other - 1));
		ck_assert(!ts_gate_attempt_refused_by("pin", 500, NULL, 0));
		ck_assert(!ts_gate_attempt_refused_by("pin", 401, fault, sizeof fault - 1));
		ck_assert(!ts_gate_attempt_refused_by("windows", 401, NULL, 0));
		ck_assert(!ts_gate_attempt_refused_by("tls-dsk", 500, fault, sizeof fault - 1));
	}
	{
		static const char *const bad[] = {
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1",
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&agent=b&at=5",
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&x=1&at=5",
			"pool=p&user=u%00v&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=5",
			"pool=p&user=u%zz&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=5",
			"pool=p&user=u&family=f&capable=2&kind=ntlm&ip=192.0.2.1&agent=a&at=5",
			"pool=p&user=u&family=f&capable=1&kind=passive&ip=192.0.2.1&agent=a&at=5",
			"pool=p&user&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=5",
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=x",
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=-1",
			"pool=p&user=u&family=f&capable=1&kind=ntlm&ip=192.0.2.1&agent=a&at=",
			"",
		};
		static const char good[] =
			"pool=p&user=u&family=f&capable=0&kind=ntlm&ip=192.0.2.1&agent=&at=5";
		ck_assert_int_eq(ts_gate_attempt_decode(good, sizeof good - 1, &a), TS_ERR_OK);
		ck_assert_str_eq(a.agent, "");
		ck_assert_int_eq(a.at, 5);
		ts_gate_attempt_clear(&a);
		for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
			ck_assert_msg(ts_gate_attempt_decode(bad[i], strlen(bad[i]), &a) ==
					      TS_ERR_INVALID_ARGUMENT,
				      "%s", bad[i]);
			ck_assert_ptr_null(a.pool);
		}
	}
	/* A request without a credential is no attempt. */
	{
		struct req_spec none = {.target = "/ucwa/x"};
		struct ts_gate_verdict *v = decide(&none);
		struct built b;

		build(&none, &b);
		ck_assert_ptr_null(ts_gate_attempt_encode(&policy, v, &b.req));
		g_free(b.path);
		verdict_free(v);
	}
}
END_TEST

START_TEST(test_web_upstream_anonymous_and_hosts)
{
	struct req_spec pub = {.host = "app.test", .target = "/public/logo.png"};
	struct req_spec root = {.host = "app.test", .target = "/"};
	struct req_spec alias = {.host = "Meet.Example.Test", .target = "/ucwa"};
	struct req_spec stranger = {.host = "evil.test", .target = "/meet/x"};
	struct req_spec nohost = {.host = NULL, .target = "/"};
	struct ts_gate_verdict *v = decide(&pub);

	ck_assert_int_eq(v->outcome, TS_GATE_ALLOW);
	ck_assert_int_eq(v->kind, TS_GATE_KIND_ANONYMOUS);
	verdict_free(v);
	/* The web pool's own list replaces the SfB default: "/" needs sign-in. */
	v = decide(&root);
	ck_assert_int_eq(v->outcome, TS_GATE_REFUSE);
	ck_assert_int_eq(v->answer.shape, TS_GATE_SHAPE_WEB_401);
	verdict_free(v);
	v = decide(&alias);
	ck_assert_str_eq(v->pool, "lync1");
	verdict_free(v);
	v = decide(&stranger);
	ck_assert_int_eq(v->outcome, TS_GATE_REFUSE);
	ck_assert_int_eq(v->err, TS_ERR_GATE_HOST_UNKNOWN);
	ck_assert_int_eq(v->answer.status, 403);
	ck_assert_str_eq(v->pool, "");
	verdict_free(v);
	nohost.host = NULL;
	{
		struct ts_gate_policy policy = {.config = fx.config, .tickets = fx.tickets};
		struct built b;
		v = g_new0(struct ts_gate_verdict, 1);
		build(&nohost, &b);
		b.req.host = NULL;
		ck_assert_int_eq(ts_gate_decide(&policy, &b.req, v), TS_ERR_OK);
		g_free(b.path);
	}
	ck_assert_int_eq(v->err, TS_ERR_GATE_HOST_UNKNOWN);
	verdict_free(v);
}
END_TEST

/* ---- the answers, as a pool gives them (sfb-protocol.md 2, 3, 8.5) ---- */

START_TEST(test_answers_exact)
{
	struct ts_gate_answer_params p = {.host = "lync2.test",
					  .grant_types = "urn:microsoft.rtc:passive,"
							 "urn:microsoft.rtc:anonmeeting",
					  .return_path = "/x y", .return_path_len = 4};
	const char *diag = "28029;source=\"lync2.test\";reason=\"Authentication type not allowed.\"";
	struct ts_gate_answer a;

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_OAUTH, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 400);
	ck_assert_str_eq(a.content_type, "application/json");
	ck_assert_str_eq(a.body, "{\"error\":\"unsupported_grant_type\"}");
	ck_assert_str_eq(a.headers[0].name, "X-Ms-diagnostics");
	ck_assert_str_eq(a.headers[0].value, diag);
	ts_gate_answer_clear(&a);

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_SOAP_FAULT, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 500);
	ck_assert_str_eq(a.content_type, "text/xml; charset=utf-8");
	ck_assert_str_eq(a.headers[0].value, diag);
	ck_assert_ptr_nonnull(strstr(a.body, "<OCSDiagnosticsFault xmlns=\"urn:component:Microsoft."
					     "Rtc.WebAuthentication.2010\""));
	ck_assert_ptr_nonnull(strstr(a.body, "<ErrorId>28029</ErrorId><Reason>Authentication type "
					     "not allowed.</Reason>"));
	ck_assert_ptr_nonnull(strstr(a.body, ">a:FailedAuthentication</faultcode>"));
	ck_assert_uint_eq(a.body_len, strlen(a.body));
	ts_gate_answer_clear(&a);

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_BEARER, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 401);
	ck_assert_uint_eq(a.n_headers, 2);
	ck_assert_str_eq(a.headers[0].name, "WWW-Authenticate");
	ck_assert_str_eq(a.headers[0].value,
			 "Bearer trusted_issuers=\"\",client_id=\"00000004-0000-0ff1-ce00-000000000000\"");
	ck_assert_str_eq(a.headers[1].value,
			 "MsRtcOAuth href=\"https://lync2.test/WebTicket/oauthtoken\","
			 "grant_type=\"urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting\"");
	ts_gate_answer_clear(&a);

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_WEBTICKET_URL, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 401);
	ck_assert_str_eq(a.headers[0].name, "X-MS-WebTicketURL");
	ck_assert_str_eq(a.headers[0].value, "https://lync2.test/WebTicket/WebTicketService.svc");
	ts_gate_answer_clear(&a);

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_SIGNIN, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 302);
	ck_assert_str_eq(a.headers[0].value, "/.tessera/signin?return=/x%20y");
	ts_gate_answer_clear(&a);

	ck_assert_int_eq(ts_gate_answer_render(TS_GATE_SHAPE_FORBIDDEN, &p, &a), TS_ERR_OK);
	ck_assert_int_eq(a.status, 403);
	ck_assert_str_eq(a.headers[0].value, diag);
	ts_gate_answer_clear(&a);
}
END_TEST

START_TEST(test_stage_rule)
{
	for (int k = 0; k < TS_GATE_KIND__COUNT; k++) {
		const bool passes = k == TS_GATE_KIND_ANONYMOUS || k == TS_GATE_KIND_PASSIVE ||
				    k == TS_GATE_KIND_POOL_TICKET || k == TS_GATE_KIND_TESSERA_TICKET;

		ck_assert(ts_gate_stage_decide(TS_GATE_STAGE_LEGACY, k, false) == TS_GATE_ALLOW);
		ck_assert_msg((ts_gate_stage_decide(TS_GATE_STAGE_PASSIVE, k, false) == TS_GATE_ALLOW) ==
				      passes,
			      "passive and %s", ts_gate_kind_name(k));
		ck_assert(ts_gate_stage_decide(TS_GATE_STAGE_PASSIVE, k, true) == TS_GATE_ALLOW);
		ck_assert(!ts_gate_kind_is_legacy(k) || !passes);
	}
}
END_TEST

/* ---- client families (sfb-protocol.md 4) ---- */

static const struct {
	const char *ua;
	const char *family;
	bool capable;
} agents[] = {
	{"UCCAPI/4.0.7577.314 OC/4.0.7577.314 (Microsoft Lync 2010)", "lync-2010", false},
	{"UCCAPI/15.0.4481.1000 OC/15.0.4481.1000 (Microsoft Lync)", "lync-2013", true},
	{"UCCAPI/16.0.12527.20122 OC/16.0.12527.20194 (Skype for Business)", "skype-for-business",
	 true},
	{"Microsoft Lync for Mac 14.0.11", "lync-mac", false},
	{"CPE/4.0.7423.1 OCPhone/4.0.7423.1 (Microsoft Lync 2010 (Beta) Phone Edition)",
	 "phone-edition", false},
	{"iPhoneLync/6.2", "mobile-ios", true},
	{"Lync/6.2 CFNetwork/758 Darwin/15.0.0", "mobile-ios", true},
	{"AndroidLync/6.2", "mobile-android", true},
	{"ACOMO/6.2 (Linux; Android 9)", "mobile-android", true},
	{"WPLync/5.4", "mobile-windows-phone", true},
	{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 Safari/605.1.15",
	 "browser", true},
	{"Pidgin/2.14 SIPE/1.25", "third-party", false},
	{"curl/7.88.1", "third-party", false},
	{"UCCAPI/16.0.13328.20130 OC/16.0.13426.20234", "unknown", false},
	{"", "unknown", false},
};

START_TEST(test_client_family)
{
	const struct ts_client_family_info *f =
		ts_client_family(agents[_i].ua, strlen(agents[_i].ua));

	ck_assert_msg(strcmp(f->name, agents[_i].family) == 0, "'%s' is %s", agents[_i].ua, f->name);
	ck_assert_int_eq(f->passive_capable, agents[_i].capable);
	ck_assert_str_eq(ts_client_family(NULL, 0)->name, "unknown");
}
END_TEST

/* The shipped defaults are DESIGN's anonymous paths. */
START_TEST(test_default_pool_keys)
{
	const struct ts_config_pool *p = ts_config_find_pool(fx.config, "lync2");
	const char *const want[] = {"/", "/Autodiscover/AutodiscoverService.svc/root",
				    "/Autodiscover/XFrame/*", "*/mex",
				    "/WebTicket/WebTicketService.svc/Anon", "/PassiveAuth/*",
				    "/meet/*", "/dialin/*", "/.tessera/*", NULL};

	for (size_t i = 0; want[i] != NULL; i++) {
		ck_assert_ptr_nonnull(p->anonymous_paths[i]);
		ck_assert_str_eq(p->anonymous_paths[i], want[i]);
	}
	ck_assert_str_eq(p->anonymous_grants[0], "urn:microsoft.rtc:anonmeeting");
	ck_assert_str_eq(ts_config_find_pool(fx.config, "lync1")->stage, "legacy");
	ck_assert_str_eq(p->upstream, "sfb");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gate");
	TCase *tc = tcase_create("gate");
	SRunner *sr;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ntlm_curl_tokens);
	tcase_add_loop_test(tc, test_ntlm_hostile_tokens, 0,
			    (int)(sizeof hostile_tokens / sizeof hostile_tokens[0]));
	tcase_add_test(tc, test_ntlm_unicode);
	tcase_add_test(tc, test_negotiate_inspect);
	tcase_add_test(tc, test_base64_strict);
	tcase_add_loop_test(tc, test_path_normalise, 0, (int)(sizeof paths / sizeof paths[0]));
	tcase_add_test(tc, test_path_limits_and_match);
	tcase_add_loop_test(tc, test_kinds_legacy, 0, (int)(sizeof kinds / sizeof kinds[0]));
	tcase_add_loop_test(tc, test_kinds_passive, 0, (int)(sizeof kinds / sizeof kinds[0]));
	tcase_add_loop_test(tc, test_kinds_stage_matrix, 0, (int)(sizeof kinds / sizeof kinds[0]));
	tcase_add_test(tc, test_pool_ticket_ids);
	tcase_add_test(tc, test_ticket_seen);
	tcase_add_loop_test(tc, test_tessera_ticket_identity, 0, 2);
	tcase_add_test(tc, test_tessera_ticket_refused);
	tcase_add_test(tc, test_passive_origins_configured);
	tcase_add_test(tc, test_passive_reply_paths);
	tcase_add_test(tc, test_attempt_round_trip);
	tcase_add_test(tc, test_ack_verdict_before_attempt);
	tcase_add_test(tc, test_web_upstream_anonymous_and_hosts);
	tcase_add_test(tc, test_answers_exact);
	tcase_add_test(tc, test_stage_rule);
	tcase_add_loop_test(tc, test_client_family, 0, (int)(sizeof agents / sizeof agents[0]));
	tcase_add_test(tc, test_default_pool_keys);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	return ts_test_run(sr, "check_gate");
}
