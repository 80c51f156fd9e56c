/* Check suite for the STS for pools (saml/sts_*.c): the token-signing key
 * directory and its rollover rules, the RSTR a pool gets (checked by the
 * xmlsec1 CLI, by lxml, and by our own validator through the metadata we
 * publish), and the federation metadata across a rollover. Times are fixed;
 * every key is made at run time in a temporary directory. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tessera/config.h"
#include "tessera/log.h"
#include "tessera/saml.h"
#include "tessera/sts.h"
#include "test_dir.h"

#define NOW "2026-01-01T00:00:00Z"
#define ENTITY "https://sts.tessera.example.test/adfs/services/trust"
#define PASSIVE "https://sts.tessera.example.test/adfs/ls/"
#define REALM "urn:pool:lync.example.test"
#define MFA "http://schemas.microsoft.com/claims/multipleauthn"
#define PASSWORD "urn:oasis:names:tc:SAML:1.0:am:password"
#define SID "S-1-5-21-1-2-3-1104"
#define LEAD 86400L
#define RETAIN 3600L

static char dir[256];
static ts_time now;

/* ---- helpers ---- */

/* Runs argv; returns its stdout (and its stderr too when merge) and sets
 * *status to its exit status (-1 when it did not exit). */
static char *run(char *const argv[], bool merge, int *status)
{
	int out[2], raw = 0;
	GString *buf = g_string_new(NULL);
	char chunk[65536];
	ssize_t n;
	pid_t pid;

	*status = -1;
	/* No ck_assert here: main() runs this outside any test. */
	if (pipe(out) != 0)
		return g_string_free(buf, FALSE);
	if ((pid = fork()) < 0) {
		close(out[0]);
		close(out[1]);
		return g_string_free(buf, FALSE);
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		if (merge)
			dup2(out[1], STDERR_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while ((n = read(out[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(buf, chunk, n);
	close(out[0]);
	waitpid(pid, &raw, 0);
	*status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
	return g_string_free(buf, FALSE);
}

static char *path_in(const char *sub, const char *name)
{
	return g_strdup_printf("%s/%s/%s", dir, sub, name);
}

static char *key_file(const char *sub, const char *id, const char *ext)
{
	return g_strdup_printf("%s/%s/%s.%s", dir, sub, id, ext);
}

static void rotate(const char *sub, ts_time at, long lead, char id[TS_STS_KEY_ID_LEN + 1])
{
	char *d = g_strdup_printf("%s/%s", dir, sub);
	ts_err err = ts_sts_keys_rotate(d, at, lead, 0, ENTITY, 0, id);

	ck_assert_msg(err == TS_ERR_OK, "rotate %s: %s", sub, ts_errname(err));
	g_free(d);
}

static struct ts_sts_keys *load(const char *sub, ts_time at)
{
	char *d = g_strdup_printf("%s/%s", dir, sub);
	struct ts_sts_keys *keys = NULL;
	ts_err err = ts_sts_keys_load(d, at, RETAIN, &keys);

	ck_assert_msg(err == TS_ERR_OK, "load %s: %s", sub, ts_errname(err));
	g_free(d);
	return keys;
}

/* The state of key id at time at, as ts_sts_keys_list reports it. */
static const char *state_of(const struct ts_sts_keys *keys, ts_time at, const char *id)
{
	struct ts_sts_key_info *list = NULL;
	size_t n = 0;
	const char *state = "absent";

	ck_assert_int_eq(ts_sts_keys_list(keys, at, &list, &n), TS_ERR_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].id, id) == 0)
			state = ts_sts_key_state_name(list[i].state);
	free(list);
	return state;
}

static char *write_temp(const char *name, const char *data, size_t len)
{
	char *path = g_strdup_printf("%s/%s", dir, name);

	ck_assert(g_file_set_contents(path, data, (gssize)len, NULL));
	return path;
}

/* xmlsec1 --verify of file with cert as the only key: KeyInfo's own
 * certificate is not consulted (only key-name key data is enabled), so a
 * pass means cert's key made the signature. xmlsec1 takes "--id-attr:NAME"
 * and the element as two arguments. */
static void expect_verify(const char *file, const char *cert, bool metadata, bool want_ok)
{
	const char *xmlsec1 = getenv("XMLSEC1");
	char *argv[] = {(char *)xmlsec1,
			"--verify",
			"--enabled-key-data",
			"key-name",
			"--pubkey-cert-pem",
			(char *)cert,
			metadata ? "--id-attr:ID" : "--id-attr:AssertionID",
			metadata ? "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"
				 : "urn:oasis:names:tc:SAML:1.0:assertion:Assertion",
			(char *)file,
			NULL};
	int status = -1;
	char *out;

	ck_assert_msg(xmlsec1 != NULL && *xmlsec1 != '\0', "configure found no xmlsec1");
	out = run(argv, true, &status);
	ck_assert_msg((status == 0) == want_ok, "xmlsec1 --verify %s with %s: status %d, want %s\n%s",
		      file, cert, status, want_ok ? "success" : "failure", out);
	g_free(out);
}

/* Reads the token with lxml, independently of our parser: one line per
 * fact, claims in document order. */
static const char claims_py[] =
	"import sys\n"
	"from lxml import etree\n"
	"ns = {'t': 'http://schemas.xmlsoap.org/ws/2005/02/trust',\n"
	"      'wsu': 'http://docs.oasis-open.org/wss/2004/01/"
	"oasis-200401-wss-wssecurity-utility-1.0.xsd',\n"
	"      'wsp': 'http://schemas.xmlsoap.org/ws/2004/09/policy',\n"
	"      'wsa': 'http://www.w3.org/2005/08/addressing',\n"
	"      's': 'urn:oasis:names:tc:SAML:1.0:assertion',\n"
	"      'ds': 'http://www.w3.org/2000/09/xmldsig#'}\n"
	"parser = etree.XMLParser(resolve_entities=False, no_network=True)\n"
	"r = etree.parse(sys.argv[1], parser).getroot()\n"
	"def one(node, xp):\n"
	"    v = node.xpath(xp, namespaces=ns)\n"
	"    assert len(v) == 1, (xp, v)\n"
	"    return str(v[0])\n"
	"out = ['root=' + r.tag]\n"
	"out.append('created=' + one(r, 't:Lifetime/wsu:Created/text()'))\n"
	"out.append('expires=' + one(r, 't:Lifetime/wsu:Expires/text()'))\n"
	"out.append('applies_to=' + one(r, 'wsp:AppliesTo/wsa:EndpointReference/wsa:Address/text()'))\n"
	"out.append('token_type=' + one(r, 't:TokenType/text()'))\n"
	"out.append('request_type=' + one(r, 't:RequestType/text()'))\n"
	"out.append('key_type=' + one(r, 't:KeyType/text()'))\n"
	"a = r.xpath('t:RequestedSecurityToken/s:Assertion', namespaces=ns)\n"
	"assert len(a) == 1\n"
	"a = a[0]\n"
	"out.append('version=%s.%s' % (a.get('MajorVersion'), a.get('MinorVersion')))\n"
	"out.append('id_ok=%s' % (a.get('AssertionID').startswith('_') and "
	"len(a.get('AssertionID')) == 33))\n"
	"out.append('issuer=' + a.get('Issuer'))\n"
	"out.append('issue_instant=' + a.get('IssueInstant'))\n"
	"c = a.xpath('s:Conditions', namespaces=ns)[0]\n"
	"out.append('not_before=' + c.get('NotBefore'))\n"
	"out.append('not_on_or_after=' + c.get('NotOnOrAfter'))\n"
	"out.append('audience=' + one(c, 's:AudienceRestrictionCondition/s:Audience/text()'))\n"
	"for st in a.xpath('s:AttributeStatement|s:AuthenticationStatement', namespaces=ns):\n"
	"    out.append('statement=' + etree.QName(st).localname)\n"
	"    out.append('name_id=' + '|'.join(st.xpath('s:Subject/s:NameIdentifier/text()', "
	"namespaces=ns)))\n"
	"    out.append('confirmation=' + one(st, "
	"'s:Subject/s:SubjectConfirmation/s:ConfirmationMethod/text()'))\n"
	"    if st.get('AuthenticationMethod') is not None:\n"
	"        out.append('method=' + st.get('AuthenticationMethod'))\n"
	"        out.append('authn_instant=' + st.get('AuthenticationInstant'))\n"
	"    for at in st.xpath('s:Attribute', namespaces=ns):\n"
	"        vals = at.xpath('s:AttributeValue/text()', namespaces=ns)\n"
	"        out.append('claim %s/%s=%s' % (at.get('AttributeNamespace'), "
	"at.get('AttributeName'), '|'.join(vals)))\n"
	"sig = a[len(a) - 1]\n"
	"out.append('signature_last=%s' % (sig.tag == '{http://www.w3.org/2000/09/xmldsig#}Signature'))\n"
	"sys.stdout.write('\\n'.join(out) + '\\n')\n";

static char *lxml_claims(const char *file)
{
	const char *python = getenv("SYSTEM_PYTHON3");
	char *argv[] = {(char *)python, "-c", (char *)claims_py, (char *)file, NULL};
	int status = -1;
	char *out;

	ck_assert_msg(python != NULL && *python != '\0', "no Debian python3 (SYSTEM_PYTHON3)");
	out = run(argv, false, &status);
	ck_assert_msg(status == 0, "lxml could not read the token:\n%s", out);
	return out;
}

/* What lxml must read back for token t issued at `at`. */
static char *expected_claims(const struct ts_sts_token *t, ts_time at)
{
	char a[TS_TIME_ISO_LEN], e[TS_TIME_ISO_LEN];
	GString *s = g_string_new(NULL);
	const char *nid = t->name_id != NULL ? t->name_id : "";

	ts_time_format(at, a);
	ts_time_format(at + t->lifetime, e);
	g_string_append_printf(s,
			       "root={http://schemas.xmlsoap.org/ws/2005/02/trust}"
			       "RequestSecurityTokenResponse\n"
			       "created=%s\nexpires=%s\napplies_to=%s\n"
			       "token_type=urn:oasis:names:tc:SAML:1.0:assertion\n"
			       "request_type=http://schemas.xmlsoap.org/ws/2005/02/trust/Issue\n"
			       "key_type=http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey\n"
			       "version=1.1\nid_ok=True\nissuer=%s\nissue_instant=%s\n"
			       "not_before=%s\nnot_on_or_after=%s\naudience=%s\n"
			       "statement=AttributeStatement\nname_id=%s\n"
			       "confirmation=urn:oasis:names:tc:SAML:1.0:cm:bearer\n"
			       "claim http://schemas.microsoft.com/ws/2008/06/identity/claims/"
			       "primarysid=%s\n",
			       a, e, t->audience, t->issuer, a, a, e, t->audience, nid,
			       t->primary_sid);
	if (t->upn != NULL)
		g_string_append_printf(
			s, "claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn=%s\n",
			t->upn);
	if (t->name != NULL)
		g_string_append_printf(
			s, "claim http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name=%s\n",
			t->name);
	if (t->n_groups > 0) {
		g_string_append(s, "claim http://schemas.microsoft.com/ws/2008/06/identity/claims/"
				   "groupsid=");
		for (size_t i = 0; i < t->n_groups; i++)
			g_string_append_printf(s, "%s%s", i > 0 ? "|" : "", t->groups[i]);
		g_string_append_c(s, '\n');
	}
	if (t->n_amr > 0) {
		g_string_append(s, "claim http://schemas.microsoft.com/claims/"
				   "authnmethodsreferences=");
		for (size_t i = 0; i < t->n_amr; i++)
			g_string_append_printf(s, "%s%s", i > 0 ? "|" : "", t->amr[i]);
		g_string_append_c(s, '\n');
	}
	g_string_append_printf(s,
			       "statement=AuthenticationStatement\nname_id=%s\n"
			       "confirmation=urn:oasis:names:tc:SAML:1.0:cm:bearer\n"
			       "method=%s\nauthn_instant=%s\nsignature_last=True\n",
			       nid, t->mfa ? MFA : PASSWORD, a);
	return g_string_free(s, FALSE);
}

static const char *const groups[] = {"S-1-5-21-1-2-3-513", "S-1-5-21-1-2-3-2001"};
static const char *const amr[] = {MFA, "http://schemas.microsoft.com/ws/2012/12/authmethod/otp"};

static struct ts_sts_token full_token(void)
{
	return (struct ts_sts_token){
		.issuer = ENTITY,
		.audience = REALM,
		.name_id = "alice@example.test",
		.upn = "alice@example.test",
		.name = "EXAMPLE\\alice",
		.primary_sid = SID,
		.groups = groups,
		.n_groups = 2,
		.amr = amr,
		.n_amr = 2,
		.mfa = true,
		.lifetime = 3600,
	};
}

/* Issues t at `at`, writes it to a file; *path owns the file name. */
static char *issue_to_file(const struct ts_sts_keys *keys, ts_time at,
			   const struct ts_sts_token *t, const char *name, char **path)
{
	char *xml = NULL;
	size_t len = 0;
	ts_err err = ts_sts_issue(keys, at, t, &xml, &len);

	ck_assert_msg(err == TS_ERR_OK, "issue: %s", ts_errname(err));
	ck_assert_uint_eq(strlen(xml), len);
	*path = write_temp(name, xml, len);
	return xml;
}

static char *metadata_to_file(const struct ts_sts_keys *keys, ts_time at, const char *name,
			      char **path)
{
	const struct ts_sts_metadata_params p = {.entity_id = ENTITY, .passive_url = PASSIVE};
	char *xml = NULL;
	size_t len = 0;
	ts_err err = ts_sts_metadata(keys, at, &p, &xml, &len);

	ck_assert_msg(err == TS_ERR_OK, "metadata: %s", ts_errname(err));
	*path = write_temp(name, xml, len);
	return xml;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The base64 DER of a PEM certificate file, as metadata carries it. */
static char *cert_b64(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = x != NULL ? i2d_X509(x, &der) : -1;
	char *b64;

	ck_assert_int_gt(n, 0);
	b64 = g_base64_encode(der, (gsize)n);
	OPENSSL_free(der);
	X509_free(x);
	fclose(f);
	return b64;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Log lines written while fn ran. */
static FILE *log_capture;

static void capture_start(void)
{
	ck_assert_ptr_nonnull(log_capture = tmpfile());
	ts_log_set_stream(log_capture);
}

static char *capture_end(void)
{
	long n;
	char *text;

	ts_log_set_stream(stderr);
	n = ftell(log_capture);
	text = g_malloc0((gsize)n + 1);
	rewind(log_capture);
	ck_assert_uint_eq(fread(text, 1, (size_t)n, log_capture), (size_t)n);
	fclose(log_capture);
	return text;
}

/* Loading d must fail with want, and say so in the log (captured, so the
 * test output shows only what nobody expected). */
static void expect_refused(const char *d, ts_err want, const char *must_mention)
{
	struct ts_sts_keys *keys = NULL;
	char *log, name[64];
	ts_err err;

	capture_start();
	err = ts_sts_keys_load(d, now, RETAIN, &keys);
	log = capture_end();
	ck_assert_msg(err == want, "load %s: %s, want %s", d, ts_errname(err), ts_errname(want));
	ck_assert_ptr_null(keys);
	snprintf(name, sizeof name, "error=%s", ts_errname(want));
	ck_assert_msg(strstr(log, name) != NULL, "no %s logged: %s", name, log);
	ck_assert_msg(must_mention == NULL || strstr(log, must_mention) != NULL,
		      "the refusal must mention %s: %s", must_mention, log);
	g_free(log);
}

/* ---- keys: layout, permissions, rollover ---- */

START_TEST(test_rotate_layout)
{
	char id[TS_STS_KEY_ID_LEN + 1], *p, *text = NULL;
	struct ts_sts_keys *keys;
	struct ts_sts_key_info *list = NULL;
	size_t n = 0;

	rotate("layout/deeper", now, 0, id);
	p = path_in("layout", "deeper");
	ck_assert_uint_eq(mode_of(p), 0700);
	g_free(p);
	ck_assert_uint_eq(strlen(id), TS_STS_KEY_ID_LEN);
	p = key_file("layout/deeper", id, "key");
	ck_assert_uint_eq(mode_of(p), 0600);
	ck_assert(g_file_get_contents(p, &text, NULL, NULL));
	ck_assert_msg(g_str_has_prefix(text, "-----BEGIN PRIVATE KEY-----"), "not PKCS#8: %.40s",
		      text);
	g_free(text);
	g_free(p);
	p = key_file("layout/deeper", id, "json");
	ck_assert(g_file_get_contents(p, &text, NULL, NULL));
	ck_assert_ptr_nonnull(strstr(text, "\"created\": \"" NOW "\""));
	ck_assert_ptr_nonnull(strstr(text, "\"activates_at\": \"" NOW "\""));
	g_free(text);
	g_free(p);

	keys = load("layout/deeper", now);
	ck_assert_int_eq(ts_sts_keys_list(keys, now, &list, &n), TS_ERR_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(list[0].id, id);
	ck_assert_int_eq(list[0].created, now);
	ck_assert_int_eq(list[0].activates_at, now);
	ck_assert_int_eq(list[0].bits, 2048);
	ck_assert_int_eq(list[0].state, TS_STS_KEY_SIGNING);
	ck_assert_int_eq(list[0].not_after, now + 365 * 86400); /* 2026 is no leap year */
	free(list);
	ts_sts_keys_free(keys);
}
END_TEST

START_TEST(test_rotate_arguments)
{
	char id[TS_STS_KEY_ID_LEN + 1], *d = g_strdup_printf("%s/args", dir);
	struct ts_sts_keys *keys;

	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 1024, ENTITY, 0, id),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 4096, ENTITY, 0, id),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, -1, 0, ENTITY, 0, id),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 0, "", 0, id), TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 0, ENTITY, 21, id),
			 TS_ERR_INVALID_ARGUMENT);
	/* A CN longer than X.509 allows. */
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 0,
					    "a-very-long-host-name-that-does-not-fit-in-a-common"
					    "-name.example.test",
					    0, id),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 3072, "STS Signing", 2, id), TS_ERR_OK);
	keys = load("args", now);
	{
		struct ts_sts_key_info *list = NULL;
		size_t n = 0;
		char *crt = key_file("args", id, "crt");
		FILE *f = fopen(crt, "r");
		X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
		char cn[80];

		ck_assert_int_eq(ts_sts_keys_list(keys, now, &list, &n), TS_ERR_OK);
		ck_assert_uint_eq(n, 1);
		ck_assert_int_eq(list[0].bits, 3072);
		ck_assert_int_eq(list[0].not_after, now + (365 + 365) * 86400);
		ck_assert_int_gt(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
							   NID_commonName, cn, sizeof cn),
				 0);
		ck_assert_str_eq(cn, "STS Signing");
		X509_free(x);
		fclose(f);
		g_free(crt);
		free(list);
	}
	ts_sts_keys_free(keys);
	g_free(d);
}
END_TEST

START_TEST(test_cert_subject_from_entity_id)
{
	char id[TS_STS_KEY_ID_LEN + 1], cn[80], *crt;
	FILE *f;
	X509 *x;

	rotate("cn", now, 0, id);
	crt = key_file("cn", id, "crt");
	f = fopen(crt, "r");
	x = PEM_read_X509(f, NULL, NULL, NULL);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_gt(
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn),
		0);
	ck_assert_str_eq(cn, "sts.tessera.example.test");
	/* Self-signed: issuer = subject, and its own key verifies it. */
	ck_assert_int_eq(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
	ck_assert_int_eq(X509_verify(x, X509_get0_pubkey(x)), 1);
	X509_free(x);
	fclose(f);
	g_free(crt);
}
END_TEST

START_TEST(test_permissions_refused)
{
	char id[TS_STS_KEY_ID_LEN + 1], *d = g_strdup_printf("%s/perm", dir), *key;
	struct ts_sts_keys *keys = NULL;

	rotate("perm", now, 0, id);
	key = key_file("perm", id, "key");

	/* The refusal names the file and its mode. */
	ck_assert_int_eq(chmod(key, 0644), 0);
	expect_refused(d, TS_ERR_STS_KEY_PERMISSIONS, key);
	expect_refused(d, TS_ERR_STS_KEY_PERMISSIONS, "mode=0644");
	ck_assert_int_eq(chmod(key, 0640), 0);
	expect_refused(d, TS_ERR_STS_KEY_PERMISSIONS, "mode=0640");
	ck_assert_int_eq(chmod(key, 0400), 0); /* stricter is fine */
	ck_assert_int_eq(ts_sts_keys_load(d, now, RETAIN, &keys), TS_ERR_OK);
	ts_sts_keys_free(keys);
	keys = NULL;
	ck_assert_int_eq(chmod(key, 0600), 0);

	/* So does the directory's. */
	ck_assert_int_eq(chmod(d, 0755), 0);
	expect_refused(d, TS_ERR_STS_KEYS_PERMISSIONS, d);
	expect_refused(d, TS_ERR_STS_KEYS_PERMISSIONS, "mode=0755");
	/* Nor is a key written into a directory others can read. */
	capture_start();
	ck_assert_int_eq(ts_sts_keys_rotate(d, now, 0, 0, ENTITY, 0, id),
			 TS_ERR_STS_KEYS_PERMISSIONS);
	g_free(capture_end());
	ck_assert_int_eq(chmod(d, 0700), 0);
	ck_assert_int_eq(ts_sts_keys_load(d, now, RETAIN, &keys), TS_ERR_OK);
	ts_sts_keys_free(keys);
	g_free(key);
	g_free(d);
}
END_TEST

START_TEST(test_damaged_directory)
{
	char a[TS_STS_KEY_ID_LEN + 1], b[TS_STS_KEY_ID_LEN + 1];
	char *d = g_strdup_printf("%s/damaged", dir), *json, *crt_a, *crt_b, *stray, *text = NULL;
	struct ts_sts_keys *keys = NULL;

	rotate("damaged", now, 0, a);
	/* An unfinished rotation (no .json) and foreign files are skipped. */
	stray = path_in("damaged", "0123456789abcdef0123456789abcdef.key");
	ck_assert(g_file_set_contents(stray, "half a key", -1, NULL));
	ck_assert_int_eq(ts_sts_keys_load(d, now, RETAIN, &keys), TS_ERR_OK);
	ts_sts_keys_free(keys);
	keys = NULL;
	unlink(stray);

	/* A certificate that is not the key's. */
	rotate("damaged", now, 0, b);
	crt_a = key_file("damaged", a, "crt");
	crt_b = key_file("damaged", b, "crt");
	ck_assert(g_file_get_contents(crt_a, &text, NULL, NULL));
	ck_assert(g_file_set_contents(crt_b, text, -1, NULL));
	expect_refused(d, TS_ERR_STS_KEY_INVALID, crt_b);
	g_free(text);

	/* Metadata that is not what rotate writes. */
	json = key_file("damaged", b, "json");
	ck_assert(g_file_set_contents(json, "{\"id\":\"x\"}", -1, NULL));
	expect_refused(d, TS_ERR_STS_KEYS_METADATA, "id does not match");
	ck_assert(g_file_set_contents(json, "{\"id\":\"a\",\"id\":\"b\"}", -1, NULL));
	expect_refused(d, TS_ERR_STS_KEYS_METADATA, "duplicate");
	g_free(json);
	g_free(crt_a);
	g_free(crt_b);
	g_free(stray);
	g_free(d);
}
END_TEST

/* A (signing from now), then B added later with a lead time. */
START_TEST(test_rollover_states)
{
	char a[TS_STS_KEY_ID_LEN + 1], b[TS_STS_KEY_ID_LEN + 1];
	ts_time t1 = now + 1000, tb = t1 + LEAD;
	struct ts_sts_keys *keys;

	rotate("roll", now, 0, a);
	rotate("roll", t1, LEAD, b);
	keys = load("roll", t1);
	ck_assert_str_eq(state_of(keys, t1, a), "signing");
	ck_assert_str_eq(state_of(keys, t1, b), "next");
	ck_assert_str_eq(state_of(keys, tb - 1, b), "next");
	ck_assert_str_eq(state_of(keys, tb, b), "signing");
	ck_assert_str_eq(state_of(keys, tb, a), "published");
	ck_assert_str_eq(state_of(keys, tb + RETAIN - 1, a), "published");
	ck_assert_str_eq(state_of(keys, tb + RETAIN, a), "retired");
	ck_assert_str_eq(state_of(keys, tb + RETAIN, b), "signing");
	/* Before any key activates nothing signs; a lone next key is listed. */
	ck_assert_str_eq(state_of(keys, now - 1, a), "next");
	ts_sts_keys_free(keys);
}
END_TEST

/* ---- tokens ---- */

START_TEST(test_issue_verifies_and_reads_back)
{
	char a[TS_STS_KEY_ID_LEN + 1], other[TS_STS_KEY_ID_LEN + 1];
	char *path, *xml, *got, *want, *crt, *other_crt;
	struct ts_sts_token t = full_token();
	struct ts_sts_keys *keys;

	rotate("issue", now, 0, a);
	rotate("issue-other", now, 0, other);
	keys = load("issue", now + 10);
	xml = issue_to_file(keys, now + 10, &t, "token.xml", &path);
	crt = key_file("issue", a, "crt");
	other_crt = key_file("issue-other", other, "crt");
	expect_verify(path, crt, false, true);
	expect_verify(path, other_crt, false, false);
	got = lxml_claims(path);
	want = expected_claims(&t, now + 10);
	ck_assert_str_eq(got, want);
	/* ADFS's shape: no declaration, one-line base64, the cert in KeyInfo. */
	ck_assert(g_str_has_prefix(xml, "<t:RequestSecurityTokenResponse"));
	ck_assert_ptr_nonnull(strstr(xml, "<ds:X509Certificate>"));
	ck_assert_ptr_nonnull(strstr(xml, "rsa-sha256"));
	ck_assert_ptr_nonnull(strstr(xml, "xml-exc-c14n#"));
	ck_assert_ptr_null(strstr(xml, "\n"));
	g_free(got);
	g_free(want);
	g_free(xml);
	g_free(path);
	g_free(crt);
	g_free(other_crt);
	ts_sts_keys_free(keys);
}
END_TEST

START_TEST(test_issue_minimal_password)
{
	char a[TS_STS_KEY_ID_LEN + 1], *path, *xml, *got, *want, *crt;
	struct ts_sts_token t = {.issuer = ENTITY, .audience = REALM, .primary_sid = SID,
				 .lifetime = 28800};
	struct ts_sts_keys *keys;

	rotate("minimal", now, 0, a);
	keys = load("minimal", now);
	xml = issue_to_file(keys, now, &t, "minimal.xml", &path);
	crt = key_file("minimal", a, "crt");
	expect_verify(path, crt, false, true);
	got = lxml_claims(path);
	want = expected_claims(&t, now);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(got, "method=" PASSWORD));
	g_free(got);
	g_free(want);
	g_free(xml);
	g_free(path);
	g_free(crt);
	ts_sts_keys_free(keys);
}
END_TEST

START_TEST(test_issue_escapes_values)
{
	static const char *const evil_groups[] = {"S-1-5-21-1-2-3-513\"><x a='1'>&amp;"};
	char a[TS_STS_KEY_ID_LEN + 1], *path, *xml, *got, *want, *crt;
	struct ts_sts_token t = full_token();
	struct ts_sts_keys *keys;

	t.upn = "o'brien&co<\"x\">@example.test";
	t.name = "</saml:AttributeValue><saml:AttributeValue>admin";
	t.name_id = "a&b<c>\"d'";
	t.audience = "urn:pool:x?a=1&b=\"2\"<3>";
	t.groups = evil_groups;
	t.n_groups = 1;
	rotate("escape", now, 0, a);
	keys = load("escape", now);
	xml = issue_to_file(keys, now, &t, "escape.xml", &path);
	crt = key_file("escape", a, "crt");
	expect_verify(path, crt, false, true);
	got = lxml_claims(path);
	want = expected_claims(&t, now);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(xml, "o'brien&amp;co&lt;\"x\"&gt;@example.test"));
	ck_assert_ptr_null(strstr(xml, "<x a="));
	/* sid, upn, name, one group, two amr: the name's markup stays text */
	ck_assert_uint_eq(count(xml, "<saml:AttributeValue>"), 6);
	g_free(got);
	g_free(want);
	g_free(xml);
	g_free(path);
	g_free(crt);
	ts_sts_keys_free(keys);
}
END_TEST

START_TEST(test_issue_refusals)
{
	static const char *const bad_group[] = {"S-1\x01"};
	char a[TS_STS_KEY_ID_LEN + 1], *xml = (char *)"untouched";
	size_t len = 1;
	struct ts_sts_token t = full_token();
	struct ts_sts_keys *keys;

	rotate("refuse", now, 0, a);
	keys = load("refuse", now);
	t.primary_sid = NULL;
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_STS_PRIMARYSID_MISSING);
	ck_assert_ptr_null(xml);
	ck_assert_uint_eq(len, 0);
	t.primary_sid = "";
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_STS_PRIMARYSID_MISSING);
	t = full_token();
	t.upn = "bad\x02upn";
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_STS_CLAIM_VALUE);
	t = full_token();
	t.name = "\xff\xfe not UTF-8";
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_STS_CLAIM_VALUE);
	t = full_token();
	t.groups = bad_group;
	t.n_groups = 1;
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_STS_CLAIM_VALUE);
	t = full_token();
	t.audience = NULL;
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_INVALID_ARGUMENT);
	t = full_token();
	t.lifetime = 0;
	ck_assert_int_eq(ts_sts_issue(keys, now, &t, &xml, &len), TS_ERR_INVALID_ARGUMENT);
	/* Before the only key activates, nothing may sign. */
	t = full_token();
	ck_assert_int_eq(ts_sts_issue(keys, now - 1, &t, &xml, &len), TS_ERR_STS_KEYS_EMPTY);
	ts_sts_keys_free(keys);
}
END_TEST

START_TEST(test_issue_follows_rollover)
{
	char a[TS_STS_KEY_ID_LEN + 1], b[TS_STS_KEY_ID_LEN + 1];
	char *path, *xml, *crt_a, *crt_b;
	ts_time t1 = now + 1000, tb = t1 + LEAD;
	struct ts_sts_token t = full_token();
	struct ts_sts_keys *keys;

	rotate("issue-roll", now, 0, a);
	rotate("issue-roll", t1, LEAD, b);
	crt_a = key_file("issue-roll", a, "crt");
	crt_b = key_file("issue-roll", b, "crt");
	/* Loaded while A signs: B is published but must not sign yet. */
	keys = load("issue-roll", t1);
	xml = issue_to_file(keys, tb - 1, &t, "before.xml", &path);
	expect_verify(path, crt_a, false, true);
	expect_verify(path, crt_b, false, false);
	g_free(xml);
	g_free(path);
	/* The same snapshot signs with B from its activation on. */
	xml = issue_to_file(keys, tb, &t, "after.xml", &path);
	expect_verify(path, crt_b, false, true);
	expect_verify(path, crt_a, false, false);
	g_free(xml);
	g_free(path);
	ts_sts_keys_free(keys);
	/* Loaded after the switch: A is never read again, B signs. */
	keys = load("issue-roll", tb + 5);
	xml = issue_to_file(keys, tb + 5, &t, "later.xml", &path);
	expect_verify(path, crt_b, false, true);
	g_free(xml);
	g_free(path);
	ts_sts_keys_free(keys);
	g_free(crt_a);
	g_free(crt_b);
}
END_TEST

/* Our own validator, trusting the STS only through the metadata it
 * publishes (pinned to the signing certificate), as a pool would. */
static ts_err validate_with_metadata(const char *sub, const char *md_path, const char *pin,
				     const char *wresult, ts_time at, struct ts_identity **id,
				     struct ts_saml_diag *diag)
{
	char *conf_path = g_strdup_printf("%s/%s.conf", dir, sub);
	char *conf = g_strdup_printf("[sp]\nwsfed_realm = " REALM "\n"
				     "[idp sts]\nprotocol = wsfed\nmetadata = %s\n"
				     "metadata_signing_cert = %s\n",
				     md_path, pin);
	struct ts_config *cfg = NULL;
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml *saml = NULL;
	struct ts_saml_check check = {.now = at};
	ts_err err;

	*id = NULL;
	ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
	ck_assert_msg(ts_config_load(conf_path, &cfg, &cdiag) == TS_ERR_OK, "%s", cdiag.text);
	if ((err = ts_saml_new(cfg, now, &saml, diag)) == TS_ERR_OK)
		err = ts_saml_validate(saml, "sts", TS_SAML_WSFED, wresult, strlen(wresult), &check,
				       id, diag);
	ts_saml_free(saml);
	ts_config_free(cfg);
	g_free(conf);
	g_free(conf_path);
	return err;
}

START_TEST(test_issue_accepted_by_our_validator)
{
	char a[TS_STS_KEY_ID_LEN + 1], *md_path, *md, *tok_path, *xml, *crt;
	struct ts_sts_token t = full_token();
	struct ts_sts_keys *keys;
	struct ts_identity *id = NULL;
	struct ts_saml_diag diag = {{0}};
	ts_err err;

	rotate("ours", now, 0, a);
	keys = load("ours", now);
	crt = key_file("ours", a, "crt");
	md = metadata_to_file(keys, now, "ours-md.xml", &md_path);

	xml = issue_to_file(keys, now + 5, &t, "ours-mfa.xml", &tok_path);
	err = validate_with_metadata("ours", md_path, crt, xml, now + 10, &id, &diag);
	ck_assert_msg(err == TS_ERR_OK, "%s (%s)", ts_errname(err), diag.text);
	ck_assert_str_eq(id->primary_sid, SID);
	ck_assert_str_eq(id->issuer, ENTITY);
	ck_assert_str_eq(id->upn, "alice@example.test");
	ck_assert_str_eq(id->subject, "alice@example.test");
	ck_assert_str_eq(id->protocol, "wsfed-saml11");
	ck_assert_uint_eq(id->n_groups, 2);
	ck_assert_str_eq(id->groups[1], groups[1]);
	ck_assert(id->mfa);
	ck_assert_int_eq(id->not_on_or_after, now + 5 + 3600);
	ts_identity_free(id);
	g_free(xml);
	g_free(tok_path);

	/* Without MFA evidence (method password, no amr) it says so. */
	t.mfa = false;
	t.n_amr = 0;
	xml = issue_to_file(keys, now + 5, &t, "ours-pw.xml", &tok_path);
	err = validate_with_metadata("ours", md_path, crt, xml, now + 10, &id, &diag);
	ck_assert_msg(err == TS_ERR_OK, "%s (%s)", ts_errname(err), diag.text);
	ck_assert_str_eq(id->primary_sid, SID);
	ck_assert(!id->mfa);
	ts_identity_free(id);

	/* And its checks still bite: expired, or for another realm. */
	err = validate_with_metadata("ours", md_path, crt, xml, now + 5 + 3600 + 61, &id, &diag);
	ck_assert_int_eq(err, TS_ERR_SAML_EXPIRED);
	g_free(xml);
	g_free(tok_path);
	t.audience = "urn:pool:other";
	xml = issue_to_file(keys, now + 5, &t, "ours-other.xml", &tok_path);
	err = validate_with_metadata("ours", md_path, crt, xml, now + 10, &id, &diag);
	ck_assert_int_eq(err, TS_ERR_SAML_AUDIENCE);
	g_free(xml);
	g_free(tok_path);
	g_free(md);
	g_free(md_path);
	g_free(crt);
	ts_sts_keys_free(keys);
}
END_TEST

/* ---- metadata ---- */

/* lxml lists the role's children and the signing certificates in document order. */
static const char certs_py[] =
	"import sys\n"
	"from lxml import etree\n"
	"ns = {'md': 'urn:oasis:names:tc:SAML:2.0:metadata',\n"
	"      'ds': 'http://www.w3.org/2000/09/xmldsig#',\n"
	"      'fed': 'http://docs.oasis-open.org/wsfed/federation/200706',\n"
	"      'wsa': 'http://www.w3.org/2005/08/addressing',\n"
	"      'auth': 'http://docs.oasis-open.org/wsfed/authorization/200706',\n"
	"      'xsi': 'http://www.w3.org/2001/XMLSchema-instance'}\n"
	"r = etree.parse(sys.argv[1], etree.XMLParser(resolve_entities=False, "
	"no_network=True)).getroot()\n"
	"assert r.tag == '{urn:oasis:names:tc:SAML:2.0:metadata}EntityDescriptor'\n"
	"assert r[0].tag == '{http://www.w3.org/2000/09/xmldsig#}Signature'\n"
	"roles = r.xpath('md:RoleDescriptor', namespaces=ns)\n"
	"assert len(roles) == 1\n"
	"role = roles[0]\n"
	"print('entity=' + r.get('entityID'))\n"
	"print('type=' + role.get('{http://www.w3.org/2001/XMLSchema-instance}type'))\n"
	"print('protocols=' + role.get('protocolSupportEnumeration'))\n"
	"order = [etree.QName(c).localname for c in role]\n"
	"runs = [n for i, n in enumerate(order) if i == 0 or order[i - 1] != n]\n"
	"print('children=' + ','.join(runs))\n"
	"for e in ('SecurityTokenServiceEndpoint', 'PassiveRequestorEndpoint'):\n"
	"    print(e + '=' + ','.join(role.xpath('fed:' + e + '/wsa:EndpointReference/"
	"wsa:Address/text()', namespaces=ns)))\n"
	"for c in role.xpath('fed:ClaimTypesOffered/auth:ClaimType/@Uri', namespaces=ns):\n"
	"    print('claim=' + c)\n"
	"for kd in role.xpath('md:KeyDescriptor', namespaces=ns):\n"
	"    print('cert ' + kd.get('use') + '=' + kd.xpath('ds:KeyInfo/ds:X509Data/"
	"ds:X509Certificate/text()', namespaces=ns)[0])\n";

static char *lxml_metadata(const char *file)
{
	const char *python = getenv("SYSTEM_PYTHON3");
	char *argv[] = {(char *)python, "-c", (char *)certs_py, (char *)file, NULL};
	int status = -1;
	char *out = run(argv, false, &status);

	ck_assert_msg(status == 0, "lxml could not read the metadata:\n%s", out);
	return out;
}

static char *expected_metadata(const char *sub, const char *const *ids, size_t n)
{
	GString *s = g_string_new(
		"entity=" ENTITY "\ntype=fed:SecurityTokenServiceType\n"
		"protocols=http://docs.oasis-open.org/wsfed/federation/200706\n"
		/* In the order the WS-Federation schema gives: a KeyDescriptor per
		 * certificate, then the one active endpoint it requires. */
		"children=KeyDescriptor,ClaimTypesOffered,SecurityTokenServiceEndpoint,"
		"PassiveRequestorEndpoint\n"
		"SecurityTokenServiceEndpoint=" PASSIVE "\n"
		"PassiveRequestorEndpoint=" PASSIVE "\n"
		"claim=http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid\n"
		"claim=http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn\n"
		"claim=http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name\n"
		"claim=http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid\n"
		"claim=http://schemas.microsoft.com/claims/authnmethodsreferences\n");

	for (size_t i = 0; i < n; i++) {
		char *crt = key_file(sub, ids[i], "crt"), *b64 = cert_b64(crt);
		g_string_append_printf(s, "cert signing=%s\n", b64);
		g_free(b64);
		g_free(crt);
	}
	return g_string_free(s, FALSE);
}

/* Metadata at `at`: verified by xmlsec1 with the signing cert (and not
 * with wrong_crt), read by lxml, loaded by ts_saml_new pinned to the
 * signing cert and refused when pinned to wrong_crt. */
static void check_metadata(const struct ts_sts_keys *keys, ts_time at, const char *sub,
			   const char *signer, const char *wrong_crt, const char *const *published,
			   size_t n_published)
{
	char *path, *xml = metadata_to_file(keys, at, "md.xml", &path);
	char *crt = key_file(sub, signer, "crt");
	char *got = lxml_metadata(path), *want = expected_metadata(sub, published, n_published);
	char *conf_path = g_strdup_printf("%s/md.conf", dir), *conf;
	const char *pins[2] = {crt, wrong_crt};
	const ts_err want_err[2] = {TS_ERR_OK, TS_ERR_SAML_METADATA_SIGNATURE};

	expect_verify(path, crt, true, true);
	expect_verify(path, wrong_crt, true, false);
	ck_assert_uint_eq(count(xml, "<md:KeyDescriptor"), n_published);
	ck_assert_str_eq(got, want);
	for (size_t i = 0; i < 2; i++) {
		struct ts_config *cfg = NULL;
		struct ts_saml *saml = NULL;
		struct ts_saml_diag diag = {{0}};
		ts_err err;

		conf = g_strdup_printf("[idp sts]\nprotocol = wsfed\nmetadata = %s\n"
				       "metadata_signing_cert = %s\n",
				       path, pins[i]);
		ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
		ck_assert_int_eq(ts_config_load(conf_path, &cfg, NULL), TS_ERR_OK);
		err = ts_saml_new(cfg, at, &saml, &diag);
		ck_assert_msg(err == want_err[i], "pinned to %s: %s (%s)", pins[i], ts_errname(err),
			      diag.text);
		ts_saml_free(saml);
		ts_config_free(cfg);
		g_free(conf);
	}
	g_free(conf_path);
	g_free(got);
	g_free(want);
	g_free(crt);
	g_free(xml);
	g_free(path);
}

START_TEST(test_metadata_across_rollover)
{
	char a[TS_STS_KEY_ID_LEN + 1], b[TS_STS_KEY_ID_LEN + 1], c[TS_STS_KEY_ID_LEN + 1];
	char *crt_a, *crt_b, *crt_c;
	ts_time t1 = now + 1000, tb = t1 + LEAD;
	struct ts_sts_keys *keys;

	rotate("md-roll", now, 0, a);
	rotate("md-other", now, 0, c);
	crt_a = key_file("md-roll", a, "crt");
	crt_c = key_file("md-other", c, "crt");
	keys = load("md-roll", now);
	{
		/* Only A; a key from elsewhere is the wrong certificate. */
		const char *pub[] = {a};
		check_metadata(keys, now, "md-roll", a, crt_c, pub, 1);
	}
	ts_sts_keys_free(keys);

	rotate("md-roll", t1, LEAD, b);
	crt_b = key_file("md-roll", b, "crt");
	keys = load("md-roll", t1);
	{
		/* B is announced before it signs; A still signs. */
		const char *pub[] = {b, a};
		check_metadata(keys, t1, "md-roll", a, crt_b, pub, 2);
	}
	{
		/* B signs; A stays published while its tokens may be in flight. */
		const char *pub[] = {b, a};
		check_metadata(keys, tb, "md-roll", b, crt_a, pub, 2);
	}
	{
		/* After retain, A is gone. */
		const char *pub[] = {b};
		check_metadata(keys, tb + RETAIN, "md-roll", b, crt_a, pub, 1);
	}
	ts_sts_keys_free(keys);
	g_free(crt_a);
	g_free(crt_b);
	g_free(crt_c);
}
END_TEST

START_TEST(test_metadata_refusals)
{
	char a[TS_STS_KEY_ID_LEN + 1], *xml = NULL;
	size_t len = 0;
	struct ts_sts_metadata_params p = {.entity_id = ENTITY, .passive_url = PASSIVE};
	struct ts_sts_keys *keys;

	rotate("md-refuse", now + 100, 0, a);
	keys = load("md-refuse", now);
	ck_assert_int_eq(ts_sts_metadata(keys, now, &p, &xml, &len), TS_ERR_STS_KEYS_EMPTY);
	p.entity_id = NULL;
	ck_assert_int_eq(ts_sts_metadata(keys, now + 100, &p, &xml, &len),
			 TS_ERR_INVALID_ARGUMENT);
	ck_assert_ptr_null(xml);
	ts_sts_keys_free(keys);
}
END_TEST

/* ---- set-up ---- */

int main(void)
{
	Suite *s = suite_create("sts");
	SRunner *sr;
	TCase *tc;
	int failed;

	snprintf(dir, sizeof dir, "%s/tessera-sts.XXXXXX", g_get_tmp_dir());
	if (mkdtemp(dir) == NULL || ts_saml_library_init() != TS_ERR_OK)
		return EXIT_FAILURE;
	ts_log_set_level(TS_LOG_ERR); /* refusals are expected here */
	ts_time_parse(NOW, &now);

	tc = tcase_create("keys");
	tcase_add_test(tc, test_rotate_layout);
	tcase_add_test(tc, test_rotate_arguments);
	tcase_add_test(tc, test_cert_subject_from_entity_id);
	tcase_add_test(tc, test_permissions_refused);
	tcase_add_test(tc, test_damaged_directory);
	tcase_add_test(tc, test_rollover_states);
	suite_add_tcase(s, tc);

	tc = tcase_create("issue");
	tcase_add_test(tc, test_issue_verifies_and_reads_back);
	tcase_add_test(tc, test_issue_minimal_password);
	tcase_add_test(tc, test_issue_escapes_values);
	tcase_add_test(tc, test_issue_refusals);
	tcase_add_test(tc, test_issue_follows_rollover);
	tcase_add_test(tc, test_issue_accepted_by_our_validator);
	suite_add_tcase(s, tc);

	tc = tcase_create("metadata");
	tcase_add_test(tc, test_metadata_across_rollover);
	tcase_add_test(tc, test_metadata_refusals);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ts_saml_library_shutdown();
	if (!ts_test_dir_remove(dir)) {
		fprintf(stderr, "check_sts: %s left behind\n", dir);
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
