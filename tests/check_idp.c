/* tessera-idp: keys, signed tokens that the independent xmlsec1 CLI
 * accepts (and rejects once tampered with), encryption, determinism, the
 * POST body and its error exits. Every command runs through posix_spawn;
 * a failing one prints its command line and stderr.
 *
 * Environment: TS_BUILDDIR (where tessera-idp is), XMLSEC1 (path of the
 * xmlsec1 CLI; empty: the round-trip cases are left out and, if the rest
 * passes, the program exits 77 so automake reports SKIP). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <openssl/evp.h>

#include "test_dir.h"

extern char **environ;

#define NOW "2024-05-01T12:00:00Z"
#define FIXED_ID "check-idp-1"
#define UPN "alice.upn@example.test"
#define SAML2_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
#define SAML2_RESPONSE "urn:oasis:names:tc:SAML:2.0:protocol:Response"
#define SAML11_ASSERTION "urn:oasis:names:tc:SAML:1.0:assertion:Assertion"
#define MAX_ARGS 64

static char tmpdir[PATH_MAX];
static char idp_bin[PATH_MAX];
static const char *xmlsec1;
static pid_t tmpdir_owner;

/* ---- files and processes ---- */

static void tpath(char *out, size_t outsz, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", tmpdir, name);
	ck_assert_msg(n > 0 && (size_t)n < outsz, "path too long for %s", name);
}

/* The whole file, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *bigger = realloc(buf, cap + 65536);
			if (bigger == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "cannot create %s", path);
	ck_assert(fwrite(data, 1, len, f) == len);
	ck_assert(fclose(f) == 0);
}

/* Runs argv with stdout and stderr in files; returns the exit status
 * (128 + signal if killed, -1 if it could not start). */
static int run(const char *const argv[], const char *out_path, const char *err_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1, rc;

	/* No ck_assert here: main() uses this before any test runs. */
	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 1, out_path,
						      O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(&fa, 2, err_path,
						      O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (rc == 0)
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

/* What a reader of the test log needs to reproduce a failing command. */
static void explain(const char *const argv[], int status, const char *err_path)
{
	char *err = slurp(err_path, NULL);

	/* Shell-quoted, so the line can be pasted to rerun the command. */
	fputs("check_idp: command:", stderr);
	for (size_t i = 0; argv[i] != NULL; i++) {
		fputs(" '", stderr);
		for (const char *p = argv[i]; *p != '\0'; p++)
			if (*p == '\'')
				fputs("'\\''", stderr);
			else
				fputc(*p, stderr);
		fputc('\'', stderr);
	}
	fprintf(stderr, "\ncheck_idp: exit status %d; stderr:\n%s\n", status,
		err != NULL ? err : "(none)");
	free(err);
}

/* Runs argv (stdout to out_name in the temp dir) and returns the status;
 * explains the command whenever the status is not `expect`. */
static int run_expect(const char *const argv[], const char *out_name, int expect)
{
	char out[PATH_MAX], err[PATH_MAX], errname[PATH_MAX];
	int status;

	snprintf(errname, sizeof(errname), "%s.stderr", out_name);
	tpath(out, sizeof(out), out_name);
	tpath(err, sizeof(err), errname);
	status = run(argv, out, err);
	if (status != expect)
		explain(argv, status, err);
	return status;
}

/* ---- tessera-idp and xmlsec1 command lines ---- */

struct argv {
	const char *v[MAX_ARGS + 1];
	size_t n;
	char keep[8][PATH_MAX]; /* storage for paths built here */
	size_t nkeep;
};

static void arg(struct argv *a, const char *s)
{
	ck_assert_msg(a->n < MAX_ARGS, "too many arguments");
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static const char *keep_path(struct argv *a, const char *name)
{
	ck_assert(a->nkeep < 8);
	tpath(a->keep[a->nkeep], PATH_MAX, name);
	return a->keep[a->nkeep++];
}

/* tessera-idp sign with the suite's keys, clock and ID, plus extra args. */
static void sign_argv(struct argv *a, const char *const extra[])
{
	*a = (struct argv){0};
	arg(a, idp_bin);
	arg(a, "sign");
	arg(a, "--key");
	arg(a, keep_path(a, "keys/idp.key"));
	arg(a, "--cert");
	arg(a, keep_path(a, "keys/idp.crt"));
	arg(a, "--now");
	arg(a, NOW);
	arg(a, "--id");
	arg(a, FIXED_ID);
	arg(a, "--upn");
	arg(a, UPN);
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++)
		arg(a, extra[i]);
}

/* Signs into out_name and fails the test unless tessera-idp exits 0. */
static void sign_ok(const char *out_name, const char *const extra[])
{
	struct argv a;
	int status;

	sign_argv(&a, extra);
	status = run_expect(a.v, out_name, 0);
	ck_assert_msg(status == 0, "tessera-idp sign -> %s exited %d (see log)", out_name, status);
}

/* xmlsec1 --verify against cert_name, only keys given on the command line
 * (never KeyInfo), of the ds:Signature xpath selects (NULL: the only one).
 * tag names the files its output goes to. Returns the status. */
static int verify_at(const char *file, const char *cert_name, const char *xpath, const char *tag,
		     int expect)
{
	struct argv a = {0};
	char out[PATH_MAX];

	arg(&a, xmlsec1);
	arg(&a, "--verify");
	arg(&a, "--enabled-key-data");
	arg(&a, "key-name");
	arg(&a, "--pubkey-cert-pem");
	arg(&a, keep_path(&a, cert_name));
	arg(&a, "--id-attr:ID");
	arg(&a, SAML2_ASSERTION);
	arg(&a, "--id-attr:ID");
	arg(&a, SAML2_RESPONSE);
	arg(&a, "--id-attr:AssertionID");
	arg(&a, SAML11_ASSERTION);
	if (xpath != NULL) {
		arg(&a, "--node-xpath");
		arg(&a, xpath);
	}
	arg(&a, keep_path(&a, file));
	snprintf(out, sizeof(out), "%s.%s", file, tag);
	return run_expect(a.v, out, expect);
}

/* nth > 0 picks the nth ds:Signature in document order. */
static int verify(const char *file, const char *cert_name, int nth, int expect)
{
	char xpath[128], tag[32];

	snprintf(xpath, sizeof(xpath), "(//*[local-name()='Signature'])[%d]", nth);
	snprintf(tag, sizeof(tag), "verify%d", nth);
	return verify_at(file, cert_name, nth > 0 ? xpath : NULL, tag, expect);
}

static void verify_ok(const char *file, int nth)
{
	int status = verify(file, "keys/idp.crt", nth, 0);
	ck_assert_msg(status == 0, "xmlsec1 rejected signature %d of %s (exit %d)", nth, file,
		      status);
}

static void decrypt_ok(const char *file, const char *out_name)
{
	struct argv a = {0};
	int status;

	arg(&a, xmlsec1);
	arg(&a, "--decrypt");
	arg(&a, "--privkey-pem");
	arg(&a, keep_path(&a, "keys/sp.key"));
	arg(&a, "--id-attr:Id");
	arg(&a, "http://www.w3.org/2001/04/xmlenc#:EncryptedKey");
	arg(&a, "--output");
	arg(&a, keep_path(&a, out_name));
	arg(&a, keep_path(&a, file));
	status = run_expect(a.v, "decrypt.stdout", 0);
	ck_assert_msg(status == 0, "xmlsec1 could not decrypt %s (exit %d)", file, status);
}

static char *read_tmp(const char *name, size_t *len)
{
	char path[PATH_MAX];
	char *data;

	tpath(path, sizeof(path), name);
	data = slurp(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	return data;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- keys and metadata ---- */

static char *pem_body(const char *pem)
{
	char *out = calloc(1, strlen(pem) + 1);
	const char *p = pem;
	size_t o = 0;

	ck_assert(out != NULL);
	while (*p != '\0') {
		const char *eol = strchr(p, '\n');
		size_t len = eol != NULL ? (size_t)(eol - p) : strlen(p);
		if (strncmp(p, "-----", 5) != 0)
			for (size_t i = 0; i < len; i++)
				if (p[i] != '\r')
					out[o++] = p[i];
		p += len + (eol != NULL);
	}
	return out;
}

static char *xpath_string(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr obj = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	char *s;

	ck_assert_msg(obj != NULL, "bad XPath %s", expr);
	s = (char *)xmlXPathCastToString(obj);
	xmlXPathFreeObject(obj);
	ck_assert(s != NULL);
	return s;
}

static void assert_xpath(xmlXPathContextPtr ctx, const char *expr, const char *want)
{
	char *got = xpath_string(ctx, expr);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got '%.80s', want '%.80s'", expr, got, want);
	xmlFree(got);
}

static void assert_mode(const char *name, unsigned want)
{
	char path[PATH_MAX];
	struct stat st;

	tpath(path, sizeof(path), name);
	ck_assert_msg(stat(path, &st) == 0, "%s missing", path);
	ck_assert_msg((st.st_mode & 0777) == want, "%s has mode %04o, want %04o", path,
		      (unsigned)(st.st_mode & 0777), want);
}

START_TEST(keys_and_metadata)
{
	char path[PATH_MAX];
	char *crt = read_tmp("keys/idp.crt", NULL);
	char *body = pem_body(crt);
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;

	assert_mode("keys/idp.key", 0600);
	assert_mode("keys/sp.key", 0600);
	assert_mode("keys/idp.crt", 0644);
	assert_mode("keys/sp.crt", 0644);
	tpath(path, sizeof(path), "keys/idp-metadata.xml");
	/* No NOENT, no DTDLOAD: metadata is parsed as any input would be. */
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ck_assert_msg(doc != NULL, "%s does not parse", path);
	ctx = xmlXPathNewContext(doc);
	ck_assert(ctx != NULL);
	xmlXPathRegisterNs(ctx, BAD_CAST "md", BAD_CAST "urn:oasis:names:tc:SAML:2.0:metadata");
	xmlXPathRegisterNs(ctx, BAD_CAST "ds", BAD_CAST "http://www.w3.org/2000/09/xmldsig#");
	xmlXPathRegisterNs(ctx, BAD_CAST "fed",
			   BAD_CAST "http://docs.oasis-open.org/wsfed/federation/200706");
	xmlXPathRegisterNs(ctx, BAD_CAST "xsi", BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
	xmlXPathRegisterNs(ctx, BAD_CAST "wsa", BAD_CAST "http://www.w3.org/2005/08/addressing");
	assert_xpath(ctx, "string(/md:EntityDescriptor/@entityID)",
		     "https://idp.example.test/adfs/services/trust");
	assert_xpath(ctx, "count(/md:EntityDescriptor/md:IDPSSODescriptor)", "1");
	assert_xpath(ctx,
		     "count(/md:EntityDescriptor/md:RoleDescriptor[@xsi:type='fed:SecurityTokenServiceType']"
		     "[@protocolSupportEnumeration='http://docs.oasis-open.org/wsfed/federation/200706'])",
		     "1");
	assert_xpath(ctx,
		     "normalize-space(//md:IDPSSODescriptor/md:KeyDescriptor[@use='signing']"
		     "/ds:KeyInfo/ds:X509Data/ds:X509Certificate)",
		     body);
	assert_xpath(ctx,
		     "normalize-space(//md:RoleDescriptor/md:KeyDescriptor[@use='signing']"
		     "/ds:KeyInfo/ds:X509Data/ds:X509Certificate)",
		     body);
	assert_xpath(ctx,
		     "string(//md:RoleDescriptor/fed:PassiveRequestorEndpoint/wsa:EndpointReference/wsa:Address)",
		     "https://idp.example.test/adfs/ls/");
	assert_xpath(ctx,
		     "count(//md:IDPSSODescriptor/md:SingleSignOnService[@Location='https://idp.example.test/adfs/ls/'])",
		     "2");
	assert_xpath(ctx, "count(//md:IDPSSODescriptor/md:NameIDFormat) > 0", "true");
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	free(body);
	free(crt);
}
END_TEST

START_TEST(keys_refuse_overwrite_and_escape)
{
	char dir[PATH_MAX];
	struct argv a = {0};
	char *before, *after, *md;

	tpath(dir, sizeof(dir), "keys2");
	arg(&a, idp_bin);
	arg(&a, "keys");
	arg(&a, dir);
	arg(&a, "--entity-id");
	arg(&a, "https://idp2.example.test/e?a=1&b=<2>");
	arg(&a, "--sso-url");
	arg(&a, "https://idp2.example.test/ls/?x=1&y=2");
	arg(&a, "--days");
	arg(&a, "30");
	ck_assert_int_eq(run_expect(a.v, "keys2.out", 0), 0);
	before = read_tmp("keys2/idp.crt", NULL);
	/* A second run must not replace keys unless told to. */
	ck_assert_int_eq(run_expect(a.v, "keys2.again", 1), 1);
	after = read_tmp("keys2/idp.crt", NULL);
	ck_assert_str_eq(before, after);
	free(after);
	arg(&a, "--force");
	ck_assert_int_eq(run_expect(a.v, "keys2.force", 0), 0);
	after = read_tmp("keys2/idp.crt", NULL);
	ck_assert_msg(strcmp(before, after) != 0, "--force did not make a new certificate");
	/* User text went through the tree API, so it arrives escaped. */
	md = read_tmp("keys2/idp-metadata.xml", NULL);
	ck_assert_ptr_nonnull(strstr(md, "entityID=\"https://idp2.example.test/e?a=1&amp;b=&lt;2&gt;\""));
	ck_assert_ptr_nonnull(strstr(md, "https://idp2.example.test/ls/?x=1&amp;y=2"));
	free(md);
	free(after);
	free(before);
}
END_TEST

/* ---- round trips through xmlsec1 ---- */

START_TEST(saml2_response_signed)
{
	const char *extra[] = {"--xml", NULL};
	char *xml;

	sign_ok("r-resp.xml", extra);
	xml = read_tmp("r-resp.xml", NULL);
	ck_assert_uint_eq(count(xml, "<ds:Signature xmlns"), 1);
	ck_assert_ptr_nonnull(strstr(xml, "URI=\"#_" FIXED_ID "\""));
	free(xml);
	verify_ok("r-resp.xml", 0);
}
END_TEST

START_TEST(saml2_assertion_signed)
{
	const char *extra[] = {"--xml", "--sign", "assertion", NULL};
	char *xml;

	sign_ok("r-asrt.xml", extra);
	xml = read_tmp("r-asrt.xml", NULL);
	ck_assert_uint_eq(count(xml, "<ds:Signature xmlns"), 1);
	ck_assert_ptr_nonnull(strstr(xml, "URI=\"#_" FIXED_ID "-a\""));
	free(xml);
	verify_ok("r-asrt.xml", 0);
}
END_TEST

START_TEST(saml2_both_signed)
{
	const char *extra[] = {"--xml", "--sign", "both", "--in-response-to", "_req1", NULL};
	char *xml;

	sign_ok("r-both.xml", extra);
	xml = read_tmp("r-both.xml", NULL);
	ck_assert_uint_eq(count(xml, "<ds:Signature xmlns"), 2);
	free(xml);
	verify_ok("r-both.xml", 1);
	verify_ok("r-both.xml", 2);
}
END_TEST

START_TEST(wsfed_saml11)
{
	const char *extra[] = {"--xml", "--protocol", "wsfed", "--group", "S-1-5-32-544", NULL};
	char *xml;

	sign_ok("w-11.xml", extra);
	xml = read_tmp("w-11.xml", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "MajorVersion=\"1\""));
	ck_assert_ptr_nonnull(strstr(xml, "AttributeName=\"upn\""));
	ck_assert_ptr_nonnull(strstr(xml, "<t:RequestSecurityTokenResponse"));
	/* SAML 1.1 puts the signature last in the assertion. */
	ck_assert_ptr_nonnull(strstr(xml, "</ds:Signature></saml:Assertion>"));
	free(xml);
	verify_ok("w-11.xml", 0);
}
END_TEST

START_TEST(wsfed_saml2)
{
	const char *extra[] = {"--xml", "--protocol", "wsfed", "--token", "saml2", NULL};
	char *xml;

	sign_ok("w-2.xml", extra);
	xml = read_tmp("w-2.xml", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "<t:RequestedSecurityToken><saml:Assertion"));
	free(xml);
	verify_ok("w-2.xml", 0);
}
END_TEST

START_TEST(sha1_variant)
{
	const char *extra[] = {"--xml", "--digest", "sha1", "--sigalg", "rsa-sha1", NULL};
	char *xml;

	sign_ok("r-sha1.xml", extra);
	xml = read_tmp("r-sha1.xml", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
	ck_assert_ptr_nonnull(strstr(xml, "http://www.w3.org/2000/09/xmldsig#sha1"));
	free(xml);
	verify_ok("r-sha1.xml", 0);
}
END_TEST

START_TEST(sha512_variant)
{
	const char *extra[] = {"--xml", "--digest", "sha512", "--sigalg", "rsa-sha512",
			       "--protocol", "wsfed", NULL};
	char *xml;

	sign_ok("w-sha512.xml", extra);
	xml = read_tmp("w-sha512.xml", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"));
	ck_assert_ptr_nonnull(strstr(xml, "http://www.w3.org/2001/04/xmlenc#sha512"));
	free(xml);
	verify_ok("w-sha512.xml", 0);
}
END_TEST

/* ---- negative controls: the round trips above can fail ---- */

START_TEST(wrong_cert_rejected)
{
	const char *extra[] = {"--xml", NULL};
	int status;

	sign_ok("n-cert.xml", extra);
	status = verify("n-cert.xml", "keys/sp.crt", 0, 1);
	ck_assert_msg(status != 0, "xmlsec1 accepted a signature against the wrong certificate");
}
END_TEST

static void tamper_and_reject(const char *name, const char *const extra[])
{
	char tampered[PATH_MAX], path[PATH_MAX];
	size_t len;
	char *xml, *at;
	int status;

	sign_ok(name, extra);
	xml = read_tmp(name, &len);
	at = strstr(xml, ">" UPN "<");
	ck_assert_msg(at != NULL, "UPN not found in %s", name);
	at[1] = 'e'; /* alice -> elice, same length */
	snprintf(tampered, sizeof(tampered), "%s.tampered", name);
	tpath(path, sizeof(path), tampered);
	spit(path, xml, len);
	free(xml);
	verify_ok(name, 0); /* untouched copy still verifies */
	status = verify(tampered, "keys/idp.crt", 0, 1);
	ck_assert_msg(status != 0, "xmlsec1 accepted %s after the UPN was changed", tampered);
}

START_TEST(tampered_saml2_rejected)
{
	const char *extra[] = {"--xml", NULL};
	tamper_and_reject("n-t2.xml", extra);
}
END_TEST

START_TEST(tampered_saml11_rejected)
{
	const char *extra[] = {"--xml", "--protocol", "wsfed", NULL};
	tamper_and_reject("n-t11.xml", extra);
}
END_TEST

/* ---- encryption ---- */

static void encrypt_round_trip(const char *name, const char *const extra[], int sig_after)
{
	char dec[PATH_MAX], sp[PATH_MAX];
	const char *args[16];
	size_t n = 0;
	char *enc_xml, *dec_xml;

	tpath(sp, sizeof(sp), "keys/sp.crt");
	args[n++] = "--xml";
	args[n++] = "--encrypt-to";
	args[n++] = sp;
	for (size_t i = 0; extra[i] != NULL; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	sign_ok(name, args);
	enc_xml = read_tmp(name, NULL);
	ck_assert_msg(strstr(enc_xml, UPN) == NULL, "%s shows the UPN in clear", name);
	ck_assert_ptr_nonnull(strstr(enc_xml, "EncryptedData"));
	free(enc_xml);
	snprintf(dec, sizeof(dec), "%s.dec", name);
	decrypt_ok(name, dec);
	dec_xml = read_tmp(dec, NULL);
	ck_assert_msg(strstr(dec_xml, UPN) != NULL, "decrypted %s lacks the UPN", name);
	free(dec_xml);
	verify_ok(dec, sig_after);
}

START_TEST(encrypted_saml2)
{
	const char *extra[] = {"--sign", "assertion", NULL};
	encrypt_round_trip("e-2.xml", extra, 0);
}
END_TEST

START_TEST(encrypted_saml2_gcm_both_signed)
{
	const char *extra[] = {"--sign", "both", "--enc-alg", "aes128-gcm", NULL};

	encrypt_round_trip("e-2g.xml", extra, 2);
	/* The response signature covers the ciphertext: checked before decryption. */
	verify_ok("e-2g.xml", 1);
}
END_TEST

START_TEST(encrypted_wsfed_saml11)
{
	const char *extra[] = {"--protocol", "wsfed", NULL};
	char *xml;

	encrypt_round_trip("e-11.xml", extra, 0);
	/* ADFS token encryption: EncryptedData straight in RequestedSecurityToken. */
	xml = read_tmp("e-11.xml", NULL);
	ck_assert_ptr_nonnull(strstr(xml, "<t:RequestedSecurityToken><EncryptedData"));
	free(xml);
}
END_TEST

/* ---- determinism (no xmlsec1 needed) ---- */

START_TEST(deterministic_output)
{
	const char *same[] = {"--sign", "both", NULL};
	const char *other[] = {"--sign", "both", "--id", "check-idp-2", NULL};
	const char *wsfed[] = {"--protocol", "wsfed", NULL};
	char *a, *b, *c;
	size_t la, lb, lc;

	sign_ok("d-1", same);
	sign_ok("d-2", same);
	sign_ok("d-3", other);
	a = read_tmp("d-1", &la);
	b = read_tmp("d-2", &lb);
	c = read_tmp("d-3", &lc);
	ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "same --now/--id gave different bytes");
	ck_assert_msg(la != lc || memcmp(a, c, la) != 0, "a different --id gave the same bytes");
	free(a);
	free(b);
	free(c);
	sign_ok("d-w1", wsfed);
	sign_ok("d-w2", wsfed);
	a = read_tmp("d-w1", &la);
	b = read_tmp("d-w2", &lb);
	ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "wsfed output is not deterministic");
	free(a);
	free(b);
}
END_TEST

/* ---- POST body ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..len) in place; returns the new length. */
static size_t pct_decode(char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			ck_assert_msg(i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0,
				      "bad percent-escape at %zu", i);
			s[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			ck_assert_msg(s[i] != '+' && s[i] != ' ' && s[i] != '\n',
				      "unencoded '%c' in the body", s[i]);
			s[o++] = s[i];
		}
	}
	return o;
}

static void field(const char *body, const char *name, char **value, size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = body;

	/* Fields start the body or follow '&'. */
	while (p != NULL && !(strncmp(p, name, nlen) == 0 && p[nlen] == '='))
		p = (p = strchr(p, '&')) != NULL ? p + 1 : NULL;
	ck_assert_msg(p != NULL, "no %s= in the POST body", name);
	p += nlen + 1;
	*len = strcspn(p, "&");
	*value = strndup(p, *len);
	ck_assert(*value != NULL);
	*len = pct_decode(*value, *len);
	(*value)[*len] = '\0';
}

/* The XML a SAMLResponse= body carries, NUL-terminated. */
static char *saml_response(const char *body, size_t *len)
{
	char *b64, *raw;
	size_t b64len;
	int rawlen, pad;

	field(body, "SAMLResponse", &b64, &b64len);
	ck_assert(b64len % 4 == 0);
	pad = (b64len > 0 && b64[b64len - 1] == '=') + (b64len > 1 && b64[b64len - 2] == '=');
	raw = malloc(b64len / 4 * 3 + 1);
	ck_assert(raw != NULL);
	rawlen = EVP_DecodeBlock((unsigned char *)raw, (unsigned char *)b64, (int)b64len);
	ck_assert_int_ge(rawlen, pad);
	rawlen -= pad;
	raw[rawlen] = '\0';
	free(b64);
	*len = (size_t)rawlen;
	return raw;
}

START_TEST(post_body_saml2)
{
	const char *xml_args[] = {"--xml", NULL};
	const char *body_args[] = {"--relay-state", "a b&c", NULL};
	char *xml, *body, *raw, *relay;
	size_t xmllen, rawlen, relaylen;

	sign_ok("p-2.xml", xml_args);
	sign_ok("p-2.body", body_args);
	xml = read_tmp("p-2.xml", &xmllen);
	body = read_tmp("p-2.body", NULL);
	ck_assert_msg(strncmp(body, "SAMLResponse=", 13) == 0, "body starts '%.20s'", body);
	ck_assert_ptr_nonnull(strstr(body, "&RelayState=a%20b%26c"));
	field(body, "RelayState", &relay, &relaylen);
	ck_assert_str_eq(relay, "a b&c");
	raw = saml_response(body, &rawlen);
	ck_assert_msg(rawlen == xmllen && memcmp(raw, xml, xmllen) == 0,
		      "SAMLResponse does not decode to the --xml output");
	free(raw);
	free(relay);
	free(body);
	free(xml);
}
END_TEST

START_TEST(post_body_wsfed)
{
	const char *xml_args[] = {"--xml", "--protocol", "wsfed", "--wctx", "rm=0&id=passive", NULL};
	const char *body_args[] = {"--protocol", "wsfed", "--wctx", "rm=0&id=passive", NULL};
	char *xml, *body, *wresult, *wctx;
	size_t xmllen, wlen, clen;

	sign_ok("p-w.xml", xml_args);
	sign_ok("p-w.body", body_args);
	xml = read_tmp("p-w.xml", &xmllen);
	body = read_tmp("p-w.body", NULL);
	ck_assert_msg(strncmp(body, "wa=wsignin1.0&wresult=", 22) == 0, "body starts '%.30s'", body);
	field(body, "wresult", &wresult, &wlen);
	field(body, "wctx", &wctx, &clen);
	ck_assert_str_eq(wctx, "rm=0&id=passive");
	ck_assert_msg(wlen == xmllen && memcmp(wresult, xml, xmllen) == 0,
		      "wresult does not decode to the --xml output");
	ck_assert_ptr_nonnull(strstr(xml, "Context=\"rm=0&amp;id=passive\""));
	free(wctx);
	free(wresult);
	free(body);
	free(xml);
}
END_TEST

/* ---- bad input ---- */

static char *stderr_of(const char *out_name)
{
	char name[PATH_MAX];

	snprintf(name, sizeof(name), "%s.stderr", out_name);
	return read_tmp(name, NULL);
}

START_TEST(bad_input)
{
	const char *unknown[] = {"--no-such-flag", NULL};
	const char *bad_now[] = {"--now", "yesterday", NULL};
	const char *wsfed_response[] = {"--protocol", "wsfed", "--sign", "response", NULL};
	const char *bad_sign[] = {"--sign", "everything", NULL};
	const char *const no_command[] = {idp_bin, NULL};
	struct argv a;
	char *err;

	sign_argv(&a, unknown);
	ck_assert_int_eq(run_expect(a.v, "b-unknown", 2), 2);
	err = stderr_of("b-unknown");
	ck_assert_ptr_nonnull(strstr(err, "--no-such-flag"));
	free(err);

	sign_argv(&a, bad_now);
	ck_assert_int_eq(run_expect(a.v, "b-now", 1), 1);
	err = stderr_of("b-now");
	ck_assert_msg(strstr(err, "tessera-idp: ") == err && strstr(err, "--now") != NULL,
		      "stderr does not name --now: %s", err);
	ck_assert_ptr_nonnull(strstr(err, "ISO 8601"));
	free(err);

	sign_argv(&a, wsfed_response);
	ck_assert_int_eq(run_expect(a.v, "b-wsfed", 1), 1);
	sign_argv(&a, bad_sign);
	ck_assert_int_eq(run_expect(a.v, "b-sign", 1), 1);
	ck_assert_int_eq(run_expect(no_command, "b-none", 2), 2);
}
END_TEST

/* ---- attacks (--attack, --pad) ----
 * Each case checks the shape the validator will meet, that the bytes are
 * the same on a second run, and, with xmlsec1, which signatures still
 * verify: in the wrap cases the ORIGINAL assertion's signature does, which
 * is what makes them dangerous. The xmlsec1 steps sit inside the cases
 * (not in their own TCase) so shape and signature are told in one place. */

#define ID_RESPONSE "_" FIXED_ID
#define ID_ORIGINAL "_" FIXED_ID "-a"
#define ID_EVIL "_" FIXED_ID "-evil"
#define ID_SECOND "_" FIXED_ID "-b"
#define ATTACKER "attacker@evil.test"
#define SUBJECT "alice@example.test" /* tessera-idp's default --subject */
#define UPN_VALUE_2 "//saml:Attribute[@Name='http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']/saml:AttributeValue"
#define UPN_VALUE_11 "//saml1:Attribute[@AttributeName='upn']/saml1:AttributeValue"
/* For xmlsec1 --node-xpath, which knows no prefixes. */
#define SIG_OF(id) "//*[@ID='" id "']/*[local-name()='Signature']"
#define SIG_OF_11(id) "//*[@AssertionID='" id "']/*[local-name()='Signature']"
#define RESPONSE_SIG "/*/*[local-name()='Signature']"

static bool have_xmlsec1;

struct parsed {
	xmlDocPtr doc;
	xmlXPathContextPtr ctx;
};

/* Parsed as Tessera must parse input: no entity substitution, no DTD
 * loading, no network. */
static void parse_tmp(const char *name, struct parsed *p)
{
	char path[PATH_MAX];

	tpath(path, sizeof(path), name);
	p->doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
	ck_assert_msg(p->doc != NULL, "%s is not well-formed XML", path);
	p->ctx = xmlXPathNewContext(p->doc);
	ck_assert(p->ctx != NULL);
	xmlXPathRegisterNs(p->ctx, BAD_CAST "samlp", BAD_CAST "urn:oasis:names:tc:SAML:2.0:protocol");
	xmlXPathRegisterNs(p->ctx, BAD_CAST "saml", BAD_CAST "urn:oasis:names:tc:SAML:2.0:assertion");
	xmlXPathRegisterNs(p->ctx, BAD_CAST "saml1", BAD_CAST "urn:oasis:names:tc:SAML:1.0:assertion");
	xmlXPathRegisterNs(p->ctx, BAD_CAST "ds", BAD_CAST "http://www.w3.org/2000/09/xmldsig#");
	xmlXPathRegisterNs(p->ctx, BAD_CAST "t", BAD_CAST "http://schemas.xmlsoap.org/ws/2005/02/trust");
}

static void parsed_free(struct parsed *p)
{
	xmlXPathFreeContext(p->ctx);
	xmlFreeDoc(p->doc);
}

/* Signs into name twice and fails unless both runs wrote the same bytes
 * (the suite fixes --now and --id, as a fixture generator would). */
static void sign_twice(const char *name, const char *const extra[])
{
	char again[PATH_MAX];
	char *a, *b;
	size_t la, lb;

	snprintf(again, sizeof(again), "%s.again", name);
	sign_ok(name, extra);
	sign_ok(again, extra);
	a = read_tmp(name, &la);
	b = read_tmp(again, &lb);
	ck_assert_msg(la == lb && memcmp(a, b, la) == 0, "%s differs between two runs", name);
	free(a);
	free(b);
}

static void verify_node_ok(const char *file, const char *xpath)
{
	int status = verify_at(file, "keys/idp.crt", xpath, "vnode", 0);
	ck_assert_msg(status == 0, "xmlsec1 rejected %s in %s (exit %d)", xpath, file, status);
}

static void verify_node_fails(const char *file, const char *xpath)
{
	int status = verify_at(file, "keys/idp.crt", xpath, "vnode-bad", 1);
	ck_assert_msg(status != 0, "xmlsec1 accepted %s in %s", xpath, file);
}

START_TEST(attack_comment_in_nameid)
{
	const char *saml2[] = {"--xml", "--attack", "comment-in-nameid", "--sign", "both", NULL};
	const char *wsfed[] = {"--xml", "--attack", "comment-in-nameid", "--protocol", "wsfed", NULL};
	struct parsed p;

	sign_twice("a-cmt2.xml", saml2);
	parse_tmp("a-cmt2.xml", &p);
	assert_xpath(p.ctx, "count(//saml:NameID/comment())", "1");
	assert_xpath(p.ctx, "count(//saml:NameID/text())", "2");
	/* A verifier must read all of it; a careless one reads only this. */
	assert_xpath(p.ctx, "string(//saml:NameID/text()[1])", "alice@exa");
	assert_xpath(p.ctx, "string(//saml:NameID)", SUBJECT);
	parsed_free(&p);

	sign_twice("a-cmt11.xml", wsfed);
	parse_tmp("a-cmt11.xml", &p);
	/* SAML 1.1 repeats the subject in each statement: both are split. */
	assert_xpath(p.ctx, "count(//saml1:NameIdentifier)", "2");
	assert_xpath(p.ctx, "count(//saml1:NameIdentifier[comment()])", "2");
	assert_xpath(p.ctx, "string(//saml1:NameIdentifier/text()[1])", "alice@exa");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	/* Exclusive c14n drops comments: the signatures stay valid. */
	verify_ok("a-cmt2.xml", 1);
	verify_ok("a-cmt2.xml", 2);
	verify_ok("a-cmt11.xml", 0);
}
END_TEST

START_TEST(attack_comment_in_nameid_encrypted)
{
	char sp[PATH_MAX];
	const char *args[] = {"--xml", "--attack", "comment-in-nameid", "--sign", "assertion",
			      "--encrypt-to", sp, NULL};
	char *dec;

	if (!have_xmlsec1)
		return;
	tpath(sp, sizeof(sp), "keys/sp.crt");
	sign_ok("a-cmte.xml", args);
	decrypt_ok("a-cmte.xml", "a-cmte.dec");
	dec = read_tmp("a-cmte.dec", NULL);
	ck_assert_msg(strstr(dec, ">alice@exa<!---->mple.test</saml:NameID>") != NULL,
		      "the comment did not survive encryption");
	free(dec);
	verify_ok("a-cmte.dec", 0);
}
END_TEST

/* Evil's identity: the one the attacker wants the SP to read. */
static void assert_evil(xmlXPathContextPtr ctx, const char *evil)
{
	char expr[512];

	snprintf(expr, sizeof(expr), "string(%s/saml:Subject/saml:NameID)", evil);
	assert_xpath(ctx, expr, ATTACKER);
	snprintf(expr, sizeof(expr),
		 "string(%s/saml:AttributeStatement/saml:Attribute"
		 "[@Name='http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn']/saml:AttributeValue)",
		 evil);
	assert_xpath(ctx, expr, ATTACKER);
}

START_TEST(attack_assertion_moved)
{
	const char *args[] = {"--xml", "--attack", "assertion-moved", "--sign", "assertion", NULL};
	const char *wsfed[] = {"--xml", "--attack", "assertion-moved", "--protocol", "wsfed", NULL};
	struct parsed p;

	sign_twice("a-moved.xml", args);
	parse_tmp("a-moved.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "2");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[1]/@ID)", ID_EVIL);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion[1]/ds:Signature)", "0");
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion[1]");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[2]/@ID)", ID_ORIGINAL);
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[2]/saml:Subject/saml:NameID)", SUBJECT);
	parsed_free(&p);

	sign_twice("a-moved11.xml", wsfed);
	parse_tmp("a-moved11.xml", &p);
	assert_xpath(p.ctx, "count(//t:RequestedSecurityToken/saml1:Assertion)", "2");
	assert_xpath(p.ctx, "string(//t:RequestedSecurityToken/saml1:Assertion[1]/@AssertionID)", ID_EVIL);
	assert_xpath(p.ctx, "string(//t:RequestedSecurityToken/saml1:Assertion[2]/@AssertionID)",
		     ID_ORIGINAL);
	assert_xpath(p.ctx, "string((//saml1:Assertion)[1]//saml1:NameIdentifier)", ATTACKER);
	assert_xpath(p.ctx, "string((//saml1:Assertion)[1]" UPN_VALUE_11 ")", ATTACKER);
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-moved.xml", SIG_OF(ID_ORIGINAL));
	verify_node_ok("a-moved11.xml", SIG_OF_11(ID_ORIGINAL));
}
END_TEST

START_TEST(attack_assertion_copied)
{
	const char *args[] = {"--xml", "--attack", "assertion-copied", "--sign", "assertion", NULL};
	struct parsed p;

	sign_twice("a-copied.xml", args);
	parse_tmp("a-copied.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "2");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[1]/@ID)", ID_EVIL);
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion[1]");
	/* Evil carries a signature, but one that points at the original. */
	assert_xpath(p.ctx,
		     "string(/samlp:Response/saml:Assertion[1]/ds:Signature/ds:SignedInfo/ds:Reference/@URI)",
		     "#" ID_ORIGINAL);
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[2]/@ID)", ID_ORIGINAL);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion[2]/ds:Signature)", "1");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-copied.xml", SIG_OF(ID_ORIGINAL));
	verify_node_fails("a-copied.xml", SIG_OF(ID_EVIL));
}
END_TEST

START_TEST(attack_wrap_extensions)
{
	const char *args[] = {"--xml", "--attack", "wrap-extensions", "--sign", "both", NULL};
	struct parsed p;

	sign_twice("a-ext.xml", args);
	parse_tmp("a-ext.xml", &p);
	/* The protocol schema's order: Issuer, Signature, Extensions, Status. */
	assert_xpath(p.ctx, "name(/samlp:Response/*[1])", "saml:Issuer");
	assert_xpath(p.ctx, "name(/samlp:Response/*[2])", "ds:Signature");
	assert_xpath(p.ctx, "name(/samlp:Response/*[3])", "samlp:Extensions");
	assert_xpath(p.ctx, "name(/samlp:Response/*[4])", "samlp:Status");
	assert_xpath(p.ctx, "count(/samlp:Response/*)", "5");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion/@ID)", ID_EVIL);
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion");
	assert_xpath(p.ctx, "string(/samlp:Response/samlp:Extensions/saml:Assertion/@ID)", ID_ORIGINAL);
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-ext.xml", SIG_OF(ID_ORIGINAL));
	/* Wrapped after all signing: the response signature is broken. */
	verify_node_fails("a-ext.xml", RESPONSE_SIG);
}
END_TEST

START_TEST(attack_wrap_object)
{
	const char *args[] = {"--xml", "--attack", "wrap-object", "--sign", "assertion", NULL};
	struct parsed p;

	sign_twice("a-obj.xml", args);
	parse_tmp("a-obj.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "1");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion/@ID)", ID_EVIL);
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion");
	assert_xpath(p.ctx,
		     "string(/samlp:Response/saml:Assertion/ds:Signature/ds:SignedInfo/ds:Reference/@URI)",
		     "#" ID_ORIGINAL);
	assert_xpath(p.ctx,
		     "string(/samlp:Response/saml:Assertion/ds:Signature/ds:Object/saml:Assertion/@ID)",
		     ID_ORIGINAL);
	assert_xpath(p.ctx, "count(//ds:Object/saml:Assertion/ds:Signature)", "1");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-obj.xml", SIG_OF(ID_ORIGINAL));
	verify_node_fails("a-obj.xml", SIG_OF(ID_EVIL));
}
END_TEST

START_TEST(attack_wrap_advice)
{
	const char *args[] = {"--xml", "--attack", "wrap-advice", "--sign", "assertion", NULL};
	const char *wsfed[] = {"--xml", "--attack", "wrap-advice", "--protocol", "wsfed", NULL};
	struct parsed p;

	sign_twice("a-adv.xml", args);
	parse_tmp("a-adv.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "1");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion/@ID)", ID_EVIL);
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion");
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion/ds:Signature)", "0");
	assert_xpath(p.ctx, "name(/samlp:Response/saml:Assertion/saml:Conditions/following-sibling::*[1])",
		     "saml:Advice");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion/saml:Advice/saml:Assertion/@ID)",
		     ID_ORIGINAL);
	parsed_free(&p);

	sign_twice("a-adv11.xml", wsfed);
	parse_tmp("a-adv11.xml", &p);
	assert_xpath(p.ctx, "count(//t:RequestedSecurityToken/saml1:Assertion)", "1");
	assert_xpath(p.ctx,
		     "name(//t:RequestedSecurityToken/saml1:Assertion/saml1:Conditions/following-sibling::*[1])",
		     "saml:Advice");
	assert_xpath(p.ctx,
		     "string(//t:RequestedSecurityToken/saml1:Assertion/saml1:Advice/saml1:Assertion/@AssertionID)",
		     ID_ORIGINAL);
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-adv.xml", SIG_OF(ID_ORIGINAL));
	verify_node_ok("a-adv11.xml", SIG_OF_11(ID_ORIGINAL));
}
END_TEST

START_TEST(attack_duplicate_id)
{
	const char *args[] = {"--xml", "--attack", "duplicate-id", "--sign", "assertion", NULL};
	struct parsed p;
	char *err;

	sign_twice("a-dup.xml", args);
	parse_tmp("a-dup.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion[@ID='" ID_ORIGINAL "'])", "2");
	assert_xpath(p.ctx, "count(//*[@ID='" ID_EVIL "'])", "0");
	assert_evil(p.ctx, "/samlp:Response/saml:Assertion[1]");
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion[1]/ds:Signature)", "0");
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion[2]/ds:Signature)", "1");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	/* xmlsec1 registers IDs itself and refuses the document outright;
	 * the validator under test must be as strict. */
	verify_node_fails("a-dup.xml", SIG_OF(ID_ORIGINAL));
	err = read_tmp("a-dup.xml.vnode-bad.stderr", NULL);
	ck_assert_msg(strstr(err, "duplicate ID") != NULL, "xmlsec1 said: %s", err);
	free(err);
}
END_TEST

START_TEST(attack_signature_excluded)
{
	const char *args[] = {"--xml", "--attack", "signature-excluded", "--sign", "both", NULL};
	struct parsed p;

	sign_twice("a-nosig.xml", args);
	parse_tmp("a-nosig.xml", &p);
	assert_xpath(p.ctx, "count(//ds:Signature)", "0");
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "1");
	assert_xpath(p.ctx, "string(//saml:NameID)", SUBJECT);
	parsed_free(&p);
}
END_TEST

START_TEST(attack_sign_other)
{
	const char *args[] = {"--xml", "--attack", "sign-other", "--sign", "assertion", NULL};
	struct parsed p;

	sign_twice("a-other.xml", args);
	parse_tmp("a-other.xml", &p);
	assert_xpath(p.ctx, "name(/samlp:Response/*[2])", "ds:Signature");
	assert_xpath(p.ctx, "string(/samlp:Response/ds:Signature/ds:SignedInfo/ds:Reference/@URI)",
		     "#" ID_ORIGINAL);
	assert_xpath(p.ctx, "count(//ds:Signature)", "1");
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion/ds:Signature)", "0");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	/* Valid, but over the assertion: "the response is signed" is false. */
	verify_node_ok("a-other.xml", RESPONSE_SIG);
}
END_TEST

START_TEST(attack_two_assertions)
{
	const char *args[] = {"--xml", "--attack", "two-assertions", "--sign", "assertion", NULL};
	const char *resp[] = {"--xml", "--attack", "two-assertions", "--sign", "response", NULL};
	const char *wsfed[] = {"--xml", "--attack", "two-assertions", "--protocol", "wsfed", NULL};
	struct parsed p;

	sign_twice("a-two.xml", args);
	parse_tmp("a-two.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "2");
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[1]/@ID)", ID_ORIGINAL);
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[2]/@ID)", ID_SECOND);
	assert_xpath(p.ctx,
		     "string(/samlp:Response/saml:Assertion[2]/ds:Signature/ds:SignedInfo/ds:Reference/@URI)",
		     "#" ID_SECOND);
	assert_xpath(p.ctx, "string(/samlp:Response/saml:Assertion[2]" UPN_VALUE_2 ")", UPN);
	parsed_free(&p);

	sign_twice("a-two-r.xml", resp);
	parse_tmp("a-two-r.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/saml:Assertion)", "2");
	assert_xpath(p.ctx, "count(//ds:Signature)", "1");
	parsed_free(&p);

	sign_twice("a-two11.xml", wsfed);
	parse_tmp("a-two11.xml", &p);
	assert_xpath(p.ctx, "count(//t:RequestedSecurityToken/saml1:Assertion)", "2");
	assert_xpath(p.ctx, "string(//t:RequestedSecurityToken/saml1:Assertion[2]/@AssertionID)",
		     ID_SECOND);
	assert_xpath(p.ctx, "count(//t:RequestedSecurityToken/saml1:Assertion/ds:Signature)", "2");
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_ok("a-two.xml", SIG_OF(ID_ORIGINAL));
	verify_node_ok("a-two.xml", SIG_OF(ID_SECOND));
	verify_ok("a-two-r.xml", 0);
	verify_node_ok("a-two11.xml", SIG_OF_11(ID_ORIGINAL));
	verify_node_ok("a-two11.xml", SIG_OF_11(ID_SECOND));
}
END_TEST

START_TEST(attack_tamper_attribute)
{
	const char *args[] = {"--xml", "--attack", "tamper-attribute", "--sign", "both", NULL};
	const char *wsfed[] = {"--xml", "--attack", "tamper-attribute", "--protocol", "wsfed", NULL};
	struct parsed p;

	sign_twice("a-tamper.xml", args);
	parse_tmp("a-tamper.xml", &p);
	assert_xpath(p.ctx, "string(" UPN_VALUE_2 ")", ATTACKER);
	assert_xpath(p.ctx, "string(//saml:NameID)", SUBJECT);
	parsed_free(&p);

	sign_twice("a-tamper11.xml", wsfed);
	parse_tmp("a-tamper11.xml", &p);
	assert_xpath(p.ctx, "string(" UPN_VALUE_11 ")", ATTACKER);
	parsed_free(&p);

	if (!have_xmlsec1)
		return;
	verify_node_fails("a-tamper.xml", RESPONSE_SIG);
	verify_node_fails("a-tamper.xml", SIG_OF(ID_ORIGINAL));
	verify_node_fails("a-tamper11.xml", SIG_OF_11(ID_ORIGINAL));
}
END_TEST

#define XXE_DOCTYPE "<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"

START_TEST(attack_doctype_xxe)
{
	const char *args[] = {"--xml", "--attack", "doctype-xxe", NULL};
	const char *body_args[] = {"--attack", "doctype-xxe", NULL};
	const char *wsfed[] = {"--xml", "--attack", "doctype-xxe", "--protocol", "wsfed", NULL};
	struct parsed p;
	xmlXPathObjectPtr obj;
	xmlNodePtr value;
	char *xml, *body, *raw;
	size_t xmllen, rawlen;

	sign_twice("a-xxe.xml", args);
	xml = read_tmp("a-xxe.xml", &xmllen);
	ck_assert_msg(strncmp(xml, XXE_DOCTYPE "\n<samlp:Response ", strlen(XXE_DOCTYPE) + 17) == 0,
		      "a-xxe.xml starts '%.80s'", xml);
	ck_assert_ptr_nonnull(strstr(xml, "<saml:AttributeValue>&xxe;</saml:AttributeValue>"));

	/* Without NOENT the reference stays a reference: nothing is read. */
	parse_tmp("a-xxe.xml", &p);
	obj = xmlXPathEvalExpression(BAD_CAST UPN_VALUE_2, p.ctx);
	ck_assert(obj != NULL && obj->nodesetval != NULL && obj->nodesetval->nodeNr == 1);
	value = obj->nodesetval->nodeTab[0];
	ck_assert_msg(value->children != NULL && value->children->type == XML_ENTITY_REF_NODE &&
			      value->children->next == NULL,
		      "upn value is not a lone &xxe; reference");
	xmlXPathFreeObject(obj);
	parsed_free(&p);

	/* The POST body carries the same bytes. */
	sign_ok("a-xxe.body", body_args);
	body = read_tmp("a-xxe.body", NULL);
	raw = saml_response(body, &rawlen);
	ck_assert_msg(rawlen == xmllen && memcmp(raw, xml, xmllen) == 0,
		      "SAMLResponse does not decode to the --xml output");
	free(raw);
	free(body);
	free(xml);

	sign_twice("a-xxe11.xml", wsfed);
	xml = read_tmp("a-xxe11.xml", NULL);
	ck_assert_msg(strncmp(xml, XXE_DOCTYPE "\n<t:", strlen(XXE_DOCTYPE) + 4) == 0,
		      "a-xxe11.xml starts '%.80s'", xml);
	ck_assert_ptr_nonnull(strstr(xml, "<saml:AttributeValue>&xxe;</saml:AttributeValue>"));
	free(xml);
}
END_TEST

#define LOLZ_START "<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n"

START_TEST(attack_billion_laughs)
{
	const char *args[] = {"--xml", "--attack", "billion-laughs", NULL};
	char *xml;

	sign_twice("a-lol.xml", args);
	xml = read_tmp("a-lol.xml", NULL);
	ck_assert_msg(strncmp(xml, LOLZ_START, strlen(LOLZ_START)) == 0,
		      "a-lol.xml starts '%.80s'", xml);
	ck_assert_uint_eq(count(xml, "<!ENTITY lol"), 10);
	ck_assert_ptr_nonnull(strstr(xml, "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;"
					  "&lol8;&lol8;&lol8;&lol8;\">\n]>\n<samlp:Response "));
	ck_assert_ptr_nonnull(strstr(xml, "<saml:AttributeValue>&lol9;</saml:AttributeValue>"));
	/* Not parsed here: expanding it is the validator's test, not ours. */
	free(xml);
}
END_TEST

START_TEST(attack_truncate)
{
	const char *full_args[] = {"--xml", NULL};
	const char *args[] = {"--xml", "--attack", "truncate", NULL};
	const char *body_args[] = {"--attack", "truncate", NULL};
	char *full, *cut, *body, *raw;
	size_t fulllen, cutlen, rawlen;

	sign_ok("a-full.xml", full_args);
	sign_twice("a-cut.xml", args);
	full = read_tmp("a-full.xml", &fulllen);
	cut = read_tmp("a-cut.xml", &cutlen);
	ck_assert_uint_eq(cutlen, fulllen / 2);
	ck_assert_msg(memcmp(cut, full, cutlen) == 0, "a-cut.xml is not a prefix of the token");
	ck_assert_msg(xmlReadMemory(cut, (int)cutlen, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING) == NULL,
		      "a truncated token parsed");
	/* Cut before base64: SAMLResponse is valid base64 of the cut XML. */
	sign_ok("a-cut.body", body_args);
	body = read_tmp("a-cut.body", NULL);
	raw = saml_response(body, &rawlen);
	ck_assert_msg(rawlen == cutlen && memcmp(raw, cut, cutlen) == 0,
		      "SAMLResponse does not decode to the truncated XML");
	free(raw);
	free(body);
	free(cut);
	free(full);
}
END_TEST

START_TEST(attack_post_body)
{
	const char *xml_args[] = {"--xml", "--attack", "wrap-object", "--sign", "assertion", NULL};
	const char *body_args[] = {"--attack", "wrap-object", "--sign", "assertion", NULL};
	char *xml, *body, *raw;
	size_t xmllen, rawlen;

	sign_ok("a-objp.xml", xml_args);
	sign_twice("a-objp.body", body_args);
	xml = read_tmp("a-objp.xml", &xmllen);
	body = read_tmp("a-objp.body", NULL);
	raw = saml_response(body, &rawlen);
	ck_assert_msg(rawlen == xmllen && memcmp(raw, xml, xmllen) == 0,
		      "SAMLResponse does not decode to the --xml output");
	free(raw);
	free(body);
	free(xml);
}
END_TEST

START_TEST(pad_keeps_signatures)
{
	const char *plain[] = {"--xml", "--sign", "both", NULL};
	const char *padded[] = {"--xml", "--sign", "both", "--pad", "100000", NULL};
	const char *wsfed[] = {"--xml", "--protocol", "wsfed", "--pad", "7", NULL};
	const char *too_small[] = {"--pad", "6", NULL};
	const char *not_number[] = {"--pad", "1k", NULL};
	struct argv a;
	struct parsed p;
	char *x, *y;
	size_t lx, ly;

	sign_ok("pad-0.xml", plain);
	sign_twice("pad-1.xml", padded);
	x = read_tmp("pad-0.xml", &lx);
	y = read_tmp("pad-1.xml", &ly);
	ck_assert_uint_eq(ly, lx + 100000);
	free(x);
	free(y);
	parse_tmp("pad-1.xml", &p);
	assert_xpath(p.ctx, "count(/samlp:Response/node()[last()][self::comment()])", "1");
	assert_xpath(p.ctx, "string-length(/samlp:Response/comment())", "99993");
	parsed_free(&p);
	sign_ok("pad-w.xml", wsfed);
	y = read_tmp("pad-w.xml", NULL);
	ck_assert_ptr_nonnull(strstr(y, "<!----></t:RequestSecurityTokenResponse>"));
	free(y);

	sign_argv(&a, too_small);
	ck_assert_int_eq(run_expect(a.v, "pad-small", 1), 1);
	sign_argv(&a, not_number);
	ck_assert_int_eq(run_expect(a.v, "pad-nan", 1), 1);

	if (!have_xmlsec1)
		return;
	verify_ok("pad-1.xml", 1);
	verify_ok("pad-1.xml", 2);
	verify_ok("pad-w.xml", 0);
}
END_TEST

/* Each refused combination exits 1 and says which --attack and why. */
START_TEST(attack_refused)
{
	static const char *const cases[][8] = {
		{"--attack", "wrap-extensions", "--protocol", "wsfed", NULL},
		{"--attack", "sign-other", "--protocol", "wsfed", NULL},
		{"--attack", "sign-other", "--sign", "both", NULL},
		{"--attack", "wrap-object", "--sign", "response", NULL},
		{"--attack", "assertion-copied", "--sign", "none", NULL},
		{"--attack", "duplicate-id", "--sign", "response", NULL},
		{"--attack", "signature-excluded", "--sign", "none", NULL},
		{"--attack", "tamper-attribute", "--upn", "", NULL},
		{"--attack", "doctype-xxe", "--upn", "", NULL},
		{"--attack", "comment-in-nameid", "--subject", "a", NULL},
		{"--attack", "assertion-moved", "--encrypt-to", "sp.crt", NULL},
		{"--attack", "truncate", "--attack", "tamper-attribute", NULL},
		{"--attack", "no-such-attack", NULL},
	};
	struct argv a;
	char name[32], *err;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "a-refused-%zu", i);
		sign_argv(&a, cases[i]);
		ck_assert_int_eq(run_expect(a.v, name, 1), 1);
		err = stderr_of(name);
		ck_assert_msg(strstr(err, "tessera-idp: ") == err && strstr(err, "--attack") != NULL &&
				      strchr(err, '\n') == err + strlen(err) - 1,
			      "case %zu: want one line naming --attack, got: %s", i, err);
		free(err);
	}
}
END_TEST

START_TEST(attack_help_lists_all)
{
	static const char *const names[] = {
		"comment-in-nameid", "assertion-moved", "assertion-copied", "wrap-extensions",
		"wrap-object", "wrap-advice", "duplicate-id", "signature-excluded", "sign-other",
		"two-assertions", "tamper-attribute", "doctype-xxe", "billion-laughs", "truncate",
	};
	const char *const argv[] = {idp_bin, "sign", "--help", NULL};
	char *help;

	ck_assert_int_eq(run_expect(argv, "help.out", 0), 0);
	help = read_tmp("help.out", NULL);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "\n  %s ", names[i]);
		ck_assert_msg(strstr(help, line) != NULL, "--help does not describe %s", names[i]);
	}
	ck_assert_ptr_nonnull(strstr(help, "--pad BYTES"));
	free(help);
}
END_TEST

/* ---- set-up ---- */

/* Check forks each test; only the process that made the directory may
 * remove it, or the first finished test would delete it for the rest. */
static void remove_tmpdir(void)
{
	if (tmpdir[0] != '\0' && getpid() == tmpdir_owner) {
		ts_test_dir_remove(tmpdir);
		tmpdir[0] = '\0';
	}
}

static bool join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", dir, name);
	return n > 0 && (size_t)n < outsz;
}

static bool make_keys(void)
{
	char dir[PATH_MAX], out[PATH_MAX], err[PATH_MAX];
	const char *argv[] = {idp_bin, "keys", dir, NULL};
	int status;

	if (!join(dir, sizeof(dir), tmpdir, "keys") || !join(out, sizeof(out), tmpdir, "keys.out") ||
	    !join(err, sizeof(err), tmpdir, "keys.stderr")) {
		fprintf(stderr, "check_idp: temporary directory path too long\n");
		return false;
	}
	status = run(argv, out, err);
	if (status != 0) {
		explain(argv, status, err);
		return false;
	}
	return true;
}

static Suite *idp_suite(bool with_xmlsec1)
{
	Suite *s = suite_create("idp");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_test(tc, keys_and_metadata);
	tcase_add_test(tc, keys_refuse_overwrite_and_escape);
	suite_add_tcase(s, tc);

	tc = tcase_create("output");
	tcase_add_test(tc, deterministic_output);
	tcase_add_test(tc, post_body_saml2);
	tcase_add_test(tc, post_body_wsfed);
	tcase_add_test(tc, bad_input);
	suite_add_tcase(s, tc);

	/* Shape and determinism always; the xmlsec1 steps inside only with it. */
	tc = tcase_create("attacks");
	tcase_add_test(tc, attack_comment_in_nameid);
	tcase_add_test(tc, attack_comment_in_nameid_encrypted);
	tcase_add_test(tc, attack_assertion_moved);
	tcase_add_test(tc, attack_assertion_copied);
	tcase_add_test(tc, attack_wrap_extensions);
	tcase_add_test(tc, attack_wrap_object);
	tcase_add_test(tc, attack_wrap_advice);
	tcase_add_test(tc, attack_duplicate_id);
	tcase_add_test(tc, attack_signature_excluded);
	tcase_add_test(tc, attack_sign_other);
	tcase_add_test(tc, attack_two_assertions);
	tcase_add_test(tc, attack_tamper_attribute);
	tcase_add_test(tc, attack_doctype_xxe);
	tcase_add_test(tc, attack_billion_laughs);
	tcase_add_test(tc, attack_truncate);
	tcase_add_test(tc, attack_post_body);
	tcase_add_test(tc, pad_keeps_signatures);
	tcase_add_test(tc, attack_refused);
	tcase_add_test(tc, attack_help_lists_all);
	suite_add_tcase(s, tc);

	if (!with_xmlsec1)
		return s;
	tc = tcase_create("xmlsec1_verify");
	tcase_add_test(tc, saml2_response_signed);
	tcase_add_test(tc, saml2_assertion_signed);
	tcase_add_test(tc, saml2_both_signed);
	tcase_add_test(tc, wsfed_saml11);
	tcase_add_test(tc, wsfed_saml2);
	tcase_add_test(tc, sha1_variant);
	tcase_add_test(tc, sha512_variant);
	suite_add_tcase(s, tc);

	tc = tcase_create("xmlsec1_reject");
	tcase_add_test(tc, wrong_cert_rejected);
	tcase_add_test(tc, tampered_saml2_rejected);
	tcase_add_test(tc, tampered_saml11_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("xmlsec1_decrypt");
	tcase_add_test(tc, encrypted_saml2);
	tcase_add_test(tc, encrypted_saml2_gcm_both_signed);
	tcase_add_test(tc, encrypted_wsfed_saml11);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	const char *builddir = getenv("TS_BUILDDIR");
	const char *base = getenv("TMPDIR");
	bool with_xmlsec1;
	SRunner *sr;
	int failed;

	xmlsec1 = getenv("XMLSEC1");
	with_xmlsec1 = xmlsec1 != NULL && xmlsec1[0] != '\0' && access(xmlsec1, X_OK) == 0;
	have_xmlsec1 = with_xmlsec1;
	if (builddir == NULL || builddir[0] == '\0')
		builddir = ".";
	if (!join(idp_bin, sizeof(idp_bin), builddir, "tessera-idp") || access(idp_bin, X_OK) != 0) {
		fprintf(stderr, "check_idp: %s is not executable (set TS_BUILDDIR)\n", idp_bin);
		return 1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/tessera-check-idp.XXXXXX",
		 base != NULL && base[0] != '\0' ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror("check_idp: mkdtemp");
		return 1;
	}
	tmpdir_owner = getpid();
	atexit(remove_tmpdir);
	if (!make_keys())
		return 1;

	sr = srunner_create(idp_suite(with_xmlsec1));
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_tmpdir();
	xmlCleanupParser();
	if (failed != 0)
		return 1;
	if (!with_xmlsec1) {
		fprintf(stderr, "check_idp: XMLSEC1 is not set or not executable; the xmlsec1 "
				"round-trip cases were skipped\n");
		return 77;
	}
	return 0;
}
