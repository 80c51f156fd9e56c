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
#include <ftw.h>
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
 * (never KeyInfo); nth > 0 picks the nth ds:Signature. Returns the status. */
static int verify(const char *file, const char *cert_name, int nth, int expect)
{
	struct argv a = {0};
	char xpath[128], out[PATH_MAX];

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
	if (nth > 0) {
		snprintf(xpath, sizeof(xpath), "(//*[local-name()='Signature'])[%d]", nth);
		arg(&a, "--node-xpath");
		arg(&a, xpath);
	}
	arg(&a, keep_path(&a, file));
	snprintf(out, sizeof(out), "%s.verify%d", file, nth);
	return run_expect(a.v, out, expect);
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

START_TEST(post_body_saml2)
{
	const char *xml_args[] = {"--xml", NULL};
	const char *body_args[] = {"--relay-state", "a b&c", NULL};
	char *xml, *body, *b64, *relay;
	unsigned char *raw;
	size_t xmllen, b64len, relaylen;
	int rawlen, pad = 0;

	sign_ok("p-2.xml", xml_args);
	sign_ok("p-2.body", body_args);
	xml = read_tmp("p-2.xml", &xmllen);
	body = read_tmp("p-2.body", NULL);
	ck_assert_msg(strncmp(body, "SAMLResponse=", 13) == 0, "body starts '%.20s'", body);
	ck_assert_ptr_nonnull(strstr(body, "&RelayState=a%20b%26c"));
	field(body, "SAMLResponse", &b64, &b64len);
	field(body, "RelayState", &relay, &relaylen);
	ck_assert_str_eq(relay, "a b&c");
	ck_assert(b64len % 4 == 0);
	pad = (b64len > 0 && b64[b64len - 1] == '=') + (b64len > 1 && b64[b64len - 2] == '=');
	raw = malloc(b64len / 4 * 3 + 1);
	ck_assert(raw != NULL);
	rawlen = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)b64len);
	ck_assert_int_ge(rawlen, pad);
	rawlen -= pad;
	ck_assert_msg((size_t)rawlen == xmllen && memcmp(raw, xml, xmllen) == 0,
		      "SAMLResponse does not decode to the --xml output");
	free(raw);
	free(relay);
	free(b64);
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

/* ---- set-up ---- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Check forks each test; only the process that made the directory may
 * remove it, or the first finished test would delete it for the rest. */
static void remove_tmpdir(void)
{
	if (tmpdir[0] != '\0' && getpid() == tmpdir_owner) {
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
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
