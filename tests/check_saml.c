/* Check suite for saml/: every checklist item, with tokens made at run time
 * by tessera-idp (and one by pysaml2 + xmlsec1, an independent signer).
 * Cases are rows of tables; a failing row prints its name and the detail. */
#include <check.h>
#include <errno.h>
#include <glib.h>
#include <lasso/lasso.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "tessera/config.h"
#include "tessera/form.h"
#include "tessera/log.h"
#include "tessera/saml.h"
#include "test_dir.h"

#define NOW "2026-01-01T00:00:00Z"
#define ENTITY "https://idp.example.test/adfs/services/trust"
#define ACS "https://tessera.example.test/saml/acs"
#define MFA "http://schemas.microsoft.com/claims/multipleauthn"

static char dir[256];
static struct ts_config *cfg;
static struct ts_saml *saml;
static ts_time now;

/* Runs argv, returns its stdout (NULL on a non-zero exit, stderr shown). */
static char *run(char *const argv[], size_t *len)
{
	int out[2];
	GString *buf = g_string_new(NULL);
	char chunk[65536];
	ssize_t n;
	pid_t pid;
	int status = 0;

	/* No ck_assert here: set-up in main() runs this outside any test. */
	if (pipe(out) != 0 || (pid = fork()) < 0) {
		perror("run");
		g_string_free(buf, TRUE);
		return NULL;
	}
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	while ((n = read(out[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			g_string_append_len(buf, chunk, n);
	close(out[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "command failed (status %d):", status);
		for (size_t i = 0; argv[i] != NULL; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		g_string_free(buf, TRUE);
		return NULL;
	}
	*len = buf->len;
	return g_string_free(buf, FALSE);
}

/* tessera-idp sign with the fixture IdP key, fixed --now and --id, --xml,
 * plus the case's own flags (NULL-terminated). */
static char *idp_sign(const char *const *extra, size_t *len)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
	const char *key = "idp.key", *cert = "idp.crt";
	char *out;

	for (size_t i = 0; extra[i] != NULL; i++)
		if (strcmp(extra[i], "@evil") == 0)
			key = "evil/idp.key", cert = "evil/idp.crt";
	g_ptr_array_add(argv, g_strdup_printf("%s/tessera-idp", getenv("TS_BUILDDIR")));
	g_ptr_array_add(argv, g_strdup("sign"));
	g_ptr_array_add(argv, g_strdup_printf("--key=%s/%s", dir, key));
	g_ptr_array_add(argv, g_strdup_printf("--cert=%s/%s", dir, cert));
	g_ptr_array_add(argv, g_strdup("--now=" NOW));
	g_ptr_array_add(argv, g_strdup("--id=t"));
	g_ptr_array_add(argv, g_strdup("--sid=S-1-5-21-1-2-3-1104"));
	for (size_t i = 0; extra[i] != NULL; i++) {
		if (strcmp(extra[i], "@evil") == 0)
			continue;
		/* "@DIR" stands for the run's key directory. */
		gchar **parts = g_strsplit(extra[i], "@DIR", -1);
		g_ptr_array_add(argv, g_strjoinv(dir, parts));
		g_strfreev(parts);
	}
	g_ptr_array_add(argv, NULL);
	out = run((char *const *)argv->pdata, len);
	g_ptr_array_free(argv, TRUE);
	ck_assert_msg(out != NULL, "tessera-idp sign failed");
	return out;
}

struct token_case {
	const char *name;
	const char *idp;
	enum ts_saml_endpoint endpoint;
	const char *in_response_to; /* outstanding request, NULL: none */
	long at;		    /* seconds after NOW */
	ts_err want;
	const char *args[14];
};

static ts_err validate_case(const struct token_case *tc, struct ts_identity **id,
			    struct ts_saml_diag *diag)
{
	size_t len = 0;
	char *xml = idp_sign(tc->args, &len);
	struct ts_saml_check check = {.now = now + tc->at, .in_response_to = tc->in_response_to};
	ts_err err = ts_saml_validate(saml, tc->idp, tc->endpoint, xml, len, &check, id, diag);

	g_free(xml);
	return err;
}

#define XML "--xml"
#define IRT "--in-response-to=_req1"
#define WSFED "--protocol=wsfed"

/* ---- tokens that must pass ---- */

static const struct token_case valid_cases[] = {
	{"saml2 signed response", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--sign=response"}},
	{"saml2 signed assertion", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--sign=assertion"}},
	{"saml2 both signed", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--sign=both"}},
	{"saml2 encrypted assertion (aes256-cbc)", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--sign=assertion", "--encrypt-to=@DIR/sp.crt"}},
	{"saml2 encrypted, both signed (aes128-gcm)", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_OK,
	 {XML, IRT, "--sign=both", "--encrypt-to=@DIR/sp.crt", "--enc-alg=aes128-gcm"}},
	{"wsfed saml11", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_OK, {XML, WSFED}},
	{"wsfed saml2 token", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_OK,
	 {XML, WSFED, "--token=saml2"}},
	{"wsfed saml11 encrypted (ADFS token encryption)", "fixture", TS_SAML_WSFED, NULL, 10,
	 TS_ERR_OK, {XML, WSFED, "--encrypt-to=@DIR/sp.crt"}},
	{"sha1 where the IdP allows it", "fixture-sha1", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--digest=sha1", "--sigalg=rsa-sha1"}},
	{"unsolicited where the IdP allows it", "unsolicited", TS_SAML_ACS, NULL, 10, TS_ERR_OK,
	 {XML}},
	{"within skew after NotOnOrAfter", "fixture", TS_SAML_ACS, "_req1", 3600 + 59, TS_ERR_OK,
	 {XML, IRT, "--confirmation-not-on-or-after=2026-01-01T01:00:00Z"}},
	{"within skew before NotBefore", "fixture", TS_SAML_ACS, "_req1", -59, TS_ERR_OK,
	 {XML, IRT}},
	{"sha512", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--digest=sha512", "--sigalg=rsa-sha512"}},
};

START_TEST(test_valid)
{
	const struct token_case *tc = &valid_cases[_i];
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	ts_err err = validate_case(tc, &id, &diag);

	ck_assert_msg(err == TS_ERR_OK, "%s: %s (%s)", tc->name, ts_errname(err), diag.text);
	ck_assert_str_eq(id->subject, "alice@example.test");
	ck_assert_str_eq(id->upn, "alice@example.test");
	ck_assert_str_eq(id->primary_sid, "S-1-5-21-1-2-3-1104");
	ck_assert_str_eq(id->issuer, ENTITY);
	ck_assert_str_eq(id->idp, tc->idp);
	ck_assert(!id->mfa);
	ck_assert_ptr_nonnull(id->assertion_id);
	ck_assert_int_gt(id->not_on_or_after, now);
	ts_identity_free(id);
}
END_TEST

/* ---- MFA evidence in each of its three spellings ---- */

static const struct token_case mfa_cases[] = {
	{"AuthnContextClassRef", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--authn=multipleauthn"}},
	{"SAML 1.1 AuthenticationMethod", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_OK,
	 {XML, WSFED, "--authn=multipleauthn"}},
	{"authnmethodsreferences claim", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_OK,
	 {XML, WSFED, "--amr=" MFA}},
	{"authnmethodsreferences claim (saml2)", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
	 {XML, IRT, "--amr=" MFA}},
};

START_TEST(test_mfa)
{
	const struct token_case *tc = &mfa_cases[_i];
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	ts_err err = validate_case(tc, &id, &diag);
	bool listed = false;

	ck_assert_msg(err == TS_ERR_OK, "%s: %s (%s)", tc->name, ts_errname(err), diag.text);
	ck_assert_msg(id->mfa, "%s: MFA not recognised", tc->name);
	for (size_t i = 0; i < id->n_amr; i++)
		listed |= strcmp(id->amr[i], MFA) == 0;
	ck_assert(listed);
	ts_identity_free(id);
}
END_TEST

/* ---- rejections: each names the check that failed ---- */

static const struct token_case reject_cases[] = {
	{"unsigned", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_UNSIGNED,
	 {XML, IRT, "--sign=none"}},
	{"signature over a different element", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_REFERENCE, {XML, IRT, "--sign=assertion", "--attack=sign-other"}},
	{"wrapping: assertion moved", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_ASSERTION_COUNT, {XML, IRT, "--sign=assertion", "--attack=assertion-moved"}},
	{"wrapping: assertion copied", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_ASSERTION_COUNT, {XML, IRT, "--sign=assertion", "--attack=assertion-copied"}},
	{"wrapping: in Extensions", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_ASSERTION_COUNT, {XML, IRT, "--sign=assertion", "--attack=wrap-extensions"}},
	{"wrapping: in ds:Object", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_ASSERTION_COUNT, {XML, IRT, "--sign=assertion", "--attack=wrap-object"}},
	{"wrapping: in Advice", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_ASSERTION_COUNT,
	 {XML, IRT, "--sign=assertion", "--attack=wrap-advice"}},
	{"wrapping: duplicate IDs", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_DUPLICATE_ID, {XML, IRT, "--sign=assertion", "--attack=duplicate-id"}},
	{"signature exclusion", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_UNSIGNED,
	 {XML, IRT, "--sign=both", "--attack=signature-excluded"}},
	{"key taken from KeyInfo", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_INVALID, {XML, IRT, "@evil"}},
	{"wrong cert configured", "wrongcert", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_INVALID, {XML, IRT}},
	{"SHA-1 not allowed", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_ALGORITHM, {XML, IRT, "--digest=sha1", "--sigalg=rsa-sha1"}},
	{"SHA-1 digest only, not allowed", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_ALGORITHM, {XML, IRT, "--digest=sha1"}},
	{"tampered attribute after signing", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_SIGNATURE_INVALID, {XML, IRT, "--attack=tamper-attribute"}},
	{"two assertions", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_ASSERTION_COUNT,
	 {XML, IRT, "--sign=assertion", "--attack=two-assertions"}},
	{"wrong issuer", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_ISSUER,
	 {XML, IRT, "--issuer=https://evil.example.test/"}},
	{"wrong audience", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_AUDIENCE,
	 {XML, IRT, "--audience=https://other-sp.example.test/"}},
	{"wrong recipient", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_RECIPIENT,
	 {XML, IRT, "--recipient=https://other-sp.example.test/acs", "--destination=" ACS}},
	{"wrong destination", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_DESTINATION,
	 {XML, IRT, "--destination=https://other-sp.example.test/acs"}},
	{"expired", "fixture", TS_SAML_ACS, "_req1", 7200, TS_ERR_SAML_EXPIRED, {XML, IRT}},
	{"not yet valid", "fixture", TS_SAML_ACS, "_req1", -600, TS_ERR_SAML_NOT_YET_VALID,
	 {XML, IRT}},
	{"beyond skew after NotOnOrAfter", "fixture", TS_SAML_ACS, "_req1", 3600 + 61,
	 TS_ERR_SAML_EXPIRED, {XML, IRT, "--confirmation-not-on-or-after=2026-01-01T01:00:00Z"}},
	{"beyond skew before NotBefore", "fixture", TS_SAML_ACS, "_req1", -61,
	 TS_ERR_SAML_NOT_YET_VALID, {XML, IRT}},
	{"subject confirmation expired", "fixture", TS_SAML_ACS, "_req1", 400, TS_ERR_SAML_EXPIRED,
	 {XML, IRT}},
	{"wrong InResponseTo", "fixture", TS_SAML_ACS, "_req2", 10, TS_ERR_SAML_IN_RESPONSE_TO,
	 {XML, IRT}},
	{"InResponseTo with no request outstanding", "fixture", TS_SAML_ACS, NULL, 10,
	 TS_ERR_SAML_IN_RESPONSE_TO, {XML, IRT}},
	{"unsolicited when not allowed", "fixture", TS_SAML_ACS, NULL, 10, TS_ERR_SAML_UNSOLICITED,
	 {XML}},
	{"unsolicited while a request is outstanding", "unsolicited", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_UNSOLICITED, {XML}},
	{"DOCTYPE with external entity (XXE)", "fixture", TS_SAML_ACS, "_req1", 10,
	 TS_ERR_SAML_DOCTYPE, {XML, IRT, "--attack=doctype-xxe"}},
	{"billion laughs", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_DOCTYPE,
	 {XML, IRT, "--attack=billion-laughs"}},
	{"oversize input", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_TOO_LARGE,
	 {XML, IRT, "--pad=300000"}},
	{"truncated XML", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_XML_MALFORMED,
	 {XML, IRT, "--attack=truncate"}},
	{"response posted to the WS-Fed endpoint", "fixture", TS_SAML_WSFED, "_req1", 10,
	 TS_ERR_SAML_SHAPE, {XML, IRT}},
	{"RSTR posted to the ACS", "fixture", TS_SAML_ACS, NULL, 10, TS_ERR_SAML_SHAPE,
	 {XML, WSFED}},
	{"wsfed unsigned", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_SAML_UNSIGNED,
	 {XML, WSFED, "--sign=none"}},
	{"wsfed wrong audience", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_SAML_AUDIENCE,
	 {XML, WSFED, "--audience=urn:other:realm"}},
	{"wsfed tampered", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_SAML_SIGNATURE_INVALID,
	 {XML, WSFED, "--attack=tamper-attribute"}},
	{"wsfed wrong issuer", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_SAML_ISSUER,
	 {XML, WSFED, "--issuer=https://evil.example.test/"}},
	{"wsfed expired", "fixture", TS_SAML_WSFED, NULL, 7200, TS_ERR_SAML_EXPIRED, {XML, WSFED}},
	{"wsfed two assertions", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_SAML_ASSERTION_COUNT,
	 {XML, WSFED, "--attack=two-assertions"}},
	{"wsfed key from KeyInfo", "fixture", TS_SAML_WSFED, NULL, 10,
	 TS_ERR_SAML_SIGNATURE_INVALID, {XML, WSFED, "@evil"}},
	{"unknown IdP", "nobody", TS_SAML_ACS, "_req1", 10, TS_ERR_SAML_UNKNOWN_IDP, {XML, IRT}},
};

START_TEST(test_reject)
{
	const struct token_case *tc = &reject_cases[_i];
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	ts_err err = validate_case(tc, &id, &diag);

	ck_assert_msg(err == tc->want, "%s: got %s (%s), want %s", tc->name, ts_errname(err),
		      diag.text, ts_errname(tc->want));
	ck_assert_ptr_null(id);
	ck_assert_msg(diag.text[0] != '\0', "%s: no detail", tc->name);
}
END_TEST

/* A comment splitting the NameID: the signature (exclusive c14n drops
 * comments) is valid; the subject must read whole, not stop at the comment. */
START_TEST(test_comment_in_nameid)
{
	static const struct token_case cases[] = {
		{"saml2", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
		 {XML, IRT, "--attack=comment-in-nameid", "--subject=admin@example.test"}},
		{"saml11", "fixture", TS_SAML_WSFED, NULL, 10, TS_ERR_OK,
		 {XML, WSFED, "--attack=comment-in-nameid", "--subject=admin@example.test"}},
	};
	for (size_t i = 0; i < 2; i++) {
		struct ts_saml_diag diag = {{0}};
		struct ts_identity *id = NULL;
		ts_err err = validate_case(&cases[i], &id, &diag);

		ck_assert_msg(err == TS_ERR_OK, "%s: %s (%s)", cases[i].name, ts_errname(err),
			      diag.text);
		ck_assert_str_eq(id->subject, "admin@example.test");
		ts_identity_free(id);
	}
}
END_TEST

START_TEST(test_identity_fields)
{
	static const struct token_case tc = {
		"claims", "fixture", TS_SAML_ACS, "_req1", 10, TS_ERR_OK,
		{XML, IRT, "--group=S-1-5-21-1-2-3-513", "--group=S-1-5-21-1-2-3-2001",
		 "--upn=Bob@Example.Test", "--subject=bob", "--attr=http://x.test/claims/dept=ops",
		 "--session-not-on-or-after=2026-01-01T08:00:00Z"}};
	struct ts_identity *id = NULL;
	struct ts_saml_diag diag = {{0}};
	ts_err err = validate_case(&tc, &id, &diag);
	const struct ts_identity_attr *dept;

	ck_assert_msg(err == TS_ERR_OK, "%s (%s)", ts_errname(err), diag.text);
	ck_assert_str_eq(id->protocol, "saml2");
	ck_assert_str_eq(id->subject, "bob");
	ck_assert_int_eq(id->session_expiry, now + 8 * 3600);
	ck_assert_str_eq(id->upn, "Bob@Example.Test");
	ck_assert_uint_eq(id->n_groups, 2);
	ck_assert_str_eq(id->groups[0], "S-1-5-21-1-2-3-513");
	ck_assert_str_eq(id->groups[1], "S-1-5-21-1-2-3-2001");
	dept = ts_identity_attr(id, "http://x.test/claims/dept");
	ck_assert_ptr_nonnull(dept);
	ck_assert_str_eq(dept->values[0], "ops");
	ck_assert_int_eq(id->authn_instant, now);
	ts_identity_free(id);
}
END_TEST

/* The POST binding as a browser sends it: form field, base64, XML. */
START_TEST(test_post_body)
{
	static const char *const args[] = {IRT, NULL};
	struct ts_saml_check check = {.now = now + 10, .in_response_to = "_req1"};
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	size_t len = 0, field_len = 0, xml_len = 0;
	char *body = idp_sign(args, &len), *field = NULL, *xml = NULL;
	ts_err err;

	ck_assert_int_eq(ts_form_get(body, len, "SAMLResponse", &field, &field_len), TS_ERR_OK);
	ck_assert_int_eq(ts_saml_decode_base64(field, field_len, 262144, &xml, &xml_len),
			 TS_ERR_OK);
	err = ts_saml_validate(saml, "fixture", TS_SAML_ACS, xml, xml_len, &check, &id, &diag);
	ck_assert_msg(err == TS_ERR_OK, "%s (%s)", ts_errname(err), diag.text);
	ts_identity_free(id);
	g_free(body);
	free(field);
	free(xml);
}
END_TEST

/* Signed by pysaml2 through the xmlsec1 CLI: XML and signature made by
 * other code than ours. */
START_TEST(test_independent_signer)
{
	const char *python = getenv("SYSTEM_PYTHON3");
	char *script = g_strdup_printf("%s/tests/pysaml2_sign.py", getenv("TS_SRCDIR"));
	char *key = g_strdup_printf("%s/idp.key", dir), *cert = g_strdup_printf("%s/idp.crt", dir);
	char *argv[] = {(char *)python, script, "response", key, cert, ENTITY,
			"https://tessera.example.test/", ACS, "_req1", NOW,
			"carol@example.test", "carol@example.test", NULL};
	struct ts_saml_check check = {.now = now + 10, .in_response_to = "_req1"};
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	size_t len = 0;
	char *xml;
	ts_err err;

	ck_assert_msg(python != NULL && *python != '\0', "no Debian python3 (SYSTEM_PYTHON3)");
	xml = run(argv, &len);
	ck_assert_msg(xml != NULL, "pysaml2 (python3-pysaml2) could not sign");
	err = ts_saml_validate(saml, "fixture", TS_SAML_ACS, xml, len, &check, &id, &diag);
	ck_assert_msg(err == TS_ERR_OK, "%s (%s)", ts_errname(err), diag.text);
	ck_assert_str_eq(id->subject, "carol@example.test");
	ck_assert_str_eq(id->upn, "carol@example.test");
	ts_identity_free(id);
	/* And the same bytes with one claim changed must fail. */
	char *at = strstr(xml, "carol@example.test</ns1:AttributeValue>");
	if (at == NULL)
		at = strstr(xml, "carol@example.test</");
	ck_assert_ptr_nonnull(at);
	at[0] = 'k';
	err = ts_saml_validate(saml, "fixture", TS_SAML_ACS, xml, len, &check, &id, &diag);
	ck_assert_int_eq(err, TS_ERR_SAML_SIGNATURE_INVALID);
	g_free(xml);
	g_free(script);
	g_free(key);
	g_free(cert);
}
END_TEST

/* Review findings: attacks built on top of genuine fixtures by editing
 * only parts no signature covers. */

static ts_err validate_text(const char *xml, const char *irt, struct ts_saml_diag *diag)
{
	struct ts_saml_check check = {.now = now + 10, .in_response_to = irt};
	struct ts_identity *id = NULL;
	ts_err err = ts_saml_validate(saml, "fixture", TS_SAML_ACS, xml, strlen(xml), &check, &id,
				      diag);

	ts_identity_free(id);
	return err;
}

/* A CipherReference would have xmlsec fetch a URI before any signature is
 * checked: it must be refused, the file never read. */
START_TEST(test_cipher_reference_refused)
{
	static const char *const args[] = {XML, IRT, "--sign=assertion", "--encrypt-to=@DIR/sp.crt",
					   NULL};
	struct ts_saml_diag diag = {{0}};
	size_t len = 0;
	char *xml = idp_sign(args, &len);
	/* The assertion's data is the last CipherValue (the key's comes first). */
	char *start = g_strrstr(xml, "<CipherValue>");
	char *end = start != NULL ? strstr(start, "</CipherValue>") : NULL;
	char *evil;

	ck_assert_msg(end != NULL, "no CipherValue in:\n%s", xml);
	*start = '\0';
	evil = g_strconcat(xml, "<CipherReference URI=\"file:///etc/passwd\"/>",
			   end + strlen("</CipherValue>"), NULL);
	ck_assert_int_eq(validate_text(evil, "_req1", &diag), TS_ERR_SAML_DECRYPT);
	ck_assert_ptr_nonnull(strstr(diag.text, "CipherReference"));
	g_free(evil);
	g_free(xml);
}
END_TEST

/* An unsigned Response's InResponseTo must not make an unsolicited (but
 * IdP-signed) assertion pass for an outstanding request. */
START_TEST(test_unsigned_response_irt_not_trusted)
{
	static const char *const args[] = {XML, "--sign=assertion", NULL};
	struct ts_saml_diag diag = {{0}};
	size_t len = 0;
	char *xml = idp_sign(args, &len);
	char *root = strstr(xml, "<samlp:Response ");
	char *evil;

	ck_assert_ptr_nonnull(root);
	root += strlen("<samlp:Response ");
	evil = g_strdup_printf("%.*sInResponseTo=\"_req1\" %s", (int)(root - xml), xml, root);
	ck_assert_int_eq(validate_text(evil, "_req1", &diag), TS_ERR_SAML_UNSOLICITED);
	g_free(evil);
	g_free(xml);
}
END_TEST

/* Padding followed by a flood of '=' was accepted, in quadratic time. */
START_TEST(test_base64_padding_flood)
{
	size_t n = 300000;
	char *in = g_malloc(n + 5), *out = NULL;
	size_t out_len = 0;

	memcpy(in, "AAA=", 4);
	memset(in + 4, '=', n);
	in[n + 4] = '\0';
	ck_assert_int_eq(ts_saml_decode_base64(in, n + 4, 1 << 20, &out, &out_len),
			 TS_ERR_SAML_ENCODING);
	ck_assert_int_eq(ts_saml_decode_base64("AAA=\r\n ", 7, 100, &out, &out_len), TS_ERR_OK);
	free(out);
	g_free(in);
}
END_TEST

/* ---- sign-in requests and the Redirect binding ---- */

static char *query_param(const char *url, const char *name)
{
	const char *q = strchr(url, '?');
	char *value = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(q);
	if (ts_form_get(q + 1, strlen(q + 1), name, &value, &len) != TS_ERR_OK)
		return NULL;
	return value;
}

START_TEST(test_authn_request_redirect)
{
	struct ts_signin_request req = {.idp = "fixture", .relay_state = "rs-1", .mfa = true,
					.force_authn = true, .now = now};
	struct ts_saml_diag diag = {{0}};
	char *url = NULL, *id = NULL, *xml = NULL;
	char *saml_request, *sig_b64, *sigalg, *signed_part, *relay;
	size_t xml_len = 0, sig_len = 0;
	unsigned char *sig;
	FILE *f;
	X509 *cert;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *cert_path = g_strdup_printf("%s/sp.crt", dir);

	ck_assert_int_eq(ts_saml_signin_url(saml, &req, &url, &id, &diag), TS_ERR_OK);
	ck_assert(g_str_has_prefix(url, "https://idp.example.test/adfs/ls/?SAMLRequest="));
	ck_assert_ptr_nonnull(id);
	saml_request = query_param(url, "SAMLRequest");
	ck_assert_int_eq(ts_saml_decode_redirect(saml_request, strlen(saml_request), 65536, &xml,
						 &xml_len),
			 TS_ERR_OK);
	ck_assert_ptr_nonnull(strstr(xml, id));
	ck_assert_ptr_nonnull(strstr(xml, "ForceAuthn=\"true\""));
	ck_assert_ptr_nonnull(strstr(xml, "AssertionConsumerServiceURL=\"" ACS "\""));
	ck_assert_ptr_nonnull(strstr(xml, "<saml:AuthnContextClassRef>" MFA));
	ck_assert_str_eq((relay = query_param(url, "RelayState")), "rs-1");
	free(relay);
	sigalg = query_param(url, "SigAlg");
	ck_assert_str_eq(sigalg, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");

	/* The signature covers the query up to &Signature=, in that order. */
	sig_b64 = query_param(url, "Signature");
	sig = g_base64_decode(sig_b64, &sig_len);
	signed_part = g_strndup(strchr(url, '?') + 1,
				(gsize)(strstr(url, "&Signature=") - strchr(url, '?') - 1));
	f = fopen(cert_path, "r");
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert_int_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)),
			 1);
	ck_assert_int_eq(EVP_DigestVerify(md, sig, sig_len, (unsigned char *)signed_part,
					  strlen(signed_part)),
			 1);
	EVP_MD_CTX_free(md);
	X509_free(cert);
	g_free(cert_path);
	g_free(signed_part);
	g_free(sig);
	free(sig_b64);
	free(sigalg);
	free(saml_request);
	free(xml);
	g_free(url);
	g_free(id);
}
END_TEST

/* The AuthnRequest is written as text: it must parse, and an ID with
 * markup and whitespace in it must read back exactly as given. */
START_TEST(test_authn_request_escaped)
{
	const char *odd = "_a&b<c>\"d'e\tf\ng";
	struct ts_signin_request req = {.idp = "fixture", .request_id = odd, .mfa = true,
					.now = now};
	struct ts_saml_diag diag = {{0}};
	char *url = NULL, *id = NULL, *xml = NULL, *saml_request;
	size_t xml_len = 0;
	xmlDocPtr doc;
	xmlNodePtr root, child;
	xmlChar *v;

	ck_assert_int_eq(ts_saml_signin_url(saml, &req, &url, &id, &diag), TS_ERR_OK);
	ck_assert_str_eq(id, odd);
	saml_request = query_param(url, "SAMLRequest");
	ck_assert_int_eq(ts_saml_decode_redirect(saml_request, strlen(saml_request), 65536, &xml,
						 &xml_len),
			 TS_ERR_OK);
	doc = xmlReadMemory(xml, (int)xml_len, NULL, NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	root = xmlDocGetRootElement(doc);
	ck_assert_str_eq((const char *)root->name, "AuthnRequest");
	ck_assert_str_eq((const char *)root->ns->href, "urn:oasis:names:tc:SAML:2.0:protocol");
	ck_assert_str_eq((const char *)(v = xmlGetProp(root, BAD_CAST "ID")), odd);
	xmlFree(v);
	ck_assert_ptr_null(xmlHasProp(root, BAD_CAST "ForceAuthn"));
	child = xmlFirstElementChild(root);
	ck_assert_str_eq((const char *)child->name, "Issuer");
	ck_assert_str_eq((const char *)child->ns->href, "urn:oasis:names:tc:SAML:2.0:assertion");
	ck_assert_str_eq((const char *)(v = xmlNodeGetContent(child)), cfg->sp.entity_id);
	xmlFree(v);
	child = xmlLastElementChild(root);
	ck_assert_str_eq((const char *)child->name, "RequestedAuthnContext");
	ck_assert_str_eq((const char *)(v = xmlNodeGetContent(child)), MFA);
	xmlFree(v);
	xmlFreeDoc(doc);
	free(saml_request);
	free(xml);
	g_free(url);
	g_free(id);
}
END_TEST

START_TEST(test_wsignin_url)
{
	struct ts_signin_request req = {.idp = "adfs-wsfed", .relay_state = "ctx&1", .mfa = true,
					.force_authn = true, .now = now};
	struct ts_saml_diag diag = {{0}};
	char *url = NULL, *id = NULL, *v;

	ck_assert_int_eq(ts_saml_signin_url(saml, &req, &url, &id, &diag), TS_ERR_OK);
	ck_assert_ptr_null(id);
	ck_assert(g_str_has_prefix(url, "https://idp.example.test/adfs/ls/?wa=wsignin1.0&"));
	ck_assert_str_eq((v = query_param(url, "wtrealm")), "https://tessera.example.test/");
	free(v);
	ck_assert_str_eq((v = query_param(url, "wreply")), "https://tessera.example.test/wsfed");
	free(v);
	ck_assert_str_eq((v = query_param(url, "wctx")), "ctx&1");
	free(v);
	ck_assert_str_eq((v = query_param(url, "wauth")), MFA);
	free(v);
	ck_assert_str_eq((v = query_param(url, "wfresh")), "0");
	free(v);
	ck_assert_str_eq((v = query_param(url, "wct")), NOW);
	free(v);
	g_free(url);
	req.idp = "nobody";
	ck_assert_int_eq(ts_saml_signin_url(saml, &req, &url, &id, &diag),
			 TS_ERR_SAML_UNKNOWN_IDP);
}
END_TEST

START_TEST(test_deflate_bomb)
{
	/* 64 MiB of zeros deflate to ~64 KiB: the cap must stop the inflate. */
	const size_t big = 64u << 20;
	unsigned char *zeros = g_malloc0(big);
	uLongf packed_len = compressBound(big);
	unsigned char *packed = g_malloc(packed_len);
	z_stream z = {0};
	char *b64, *out = NULL;
	size_t out_len = 0;

	ck_assert_int_eq(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = zeros, z.avail_in = (uInt)big, z.next_out = packed, z.avail_out = (uInt)packed_len;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	b64 = g_base64_encode(packed, z.total_out);
	deflateEnd(&z);
	ck_assert_int_eq(ts_saml_decode_redirect(b64, strlen(b64), 262144, &out, &out_len),
			 TS_ERR_SAML_INFLATE);
	ck_assert_ptr_null(out);
	g_free(b64);
	g_free(packed);
	g_free(zeros);
}
END_TEST

START_TEST(test_bad_encodings)
{
	char *out = NULL;
	size_t len = 0;

	ck_assert_int_eq(ts_saml_decode_base64("PHNhbWw+", 8, 100, &out, &len), TS_ERR_OK);
	ck_assert_str_eq(out, "<saml>");
	free(out);
	ck_assert_int_eq(ts_saml_decode_base64("PHNh\r\nbWw+\n", 11, 100, &out, &len), TS_ERR_OK);
	free(out);
	ck_assert_int_eq(ts_saml_decode_base64("PHNh$bWw+", 9, 100, &out, &len),
			 TS_ERR_SAML_ENCODING);
	ck_assert_int_eq(ts_saml_decode_base64("PHNhbW", 6, 100, &out, &len),
			 TS_ERR_SAML_ENCODING);
	ck_assert_int_eq(ts_saml_decode_base64("PA==PA==", 8, 100, &out, &len),
			 TS_ERR_SAML_ENCODING);
	ck_assert_int_eq(ts_saml_decode_base64("", 0, 100, &out, &len), TS_ERR_SAML_ENCODING);
	ck_assert_int_eq(ts_saml_decode_base64("PHNhbWw+PHNhbWw+", 16, 6, &out, &len),
			 TS_ERR_SAML_TOO_LARGE);
	ck_assert_int_eq(ts_saml_decode_redirect("bm90IGRlZmxhdGU=", 16, 100, &out, &len),
			 TS_ERR_SAML_INFLATE);
	ck_assert_ptr_null(out);
}
END_TEST

/* The decoder against GLib's, an independent one: every length's padding,
 * with blanks (wrapping) at random places, and a stray byte refused. */
START_TEST(test_base64_matches_glib)
{
	GRand *rng = g_rand_new_with_seed(20261125);

	for (int round = 0; round < 400; round++) {
		size_t raw_len = 1 + (size_t)g_rand_int_range(rng, 0, 200), out_len = 0;
		guchar *raw = g_malloc(raw_len);
		gchar *b64;
		GString *wrapped = g_string_new(NULL);
		char *out = NULL;

		for (size_t i = 0; i < raw_len; i++)
			raw[i] = (guchar)g_rand_int_range(rng, 0, 256);
		b64 = g_base64_encode(raw, raw_len);
		for (const char *c = b64; *c != '\0'; c++) {
			if (g_rand_int_range(rng, 0, 8) == 0)
				g_string_append_c(wrapped, " \t\r\n"[g_rand_int_range(rng, 0, 4)]);
			g_string_append_c(wrapped, *c);
		}
		ck_assert_int_eq(ts_saml_decode_base64(wrapped->str, wrapped->len, 1024, &out,
						       &out_len),
				 TS_ERR_OK);
		ck_assert_uint_eq(out_len, raw_len);
		ck_assert_mem_eq(out, raw, raw_len);
		free(out);
		/* One byte that is no digit, anywhere: refused. */
		wrapped->str[g_rand_int_range(rng, 0, (gint32)wrapped->len)] = '*';
		ck_assert_int_eq(ts_saml_decode_base64(wrapped->str, wrapped->len, 1024, &out,
						       &out_len),
				 TS_ERR_SAML_ENCODING);
		g_string_free(wrapped, TRUE);
		g_free(b64);
		g_free(raw);
	}
	g_rand_free(rng);
}
END_TEST

/* ---- metadata: ours loads in lasso; theirs may be pinned ---- */

/* The WS-Fed role's children in order, each "name" or "name=address". */
static GString *wsfed_role_children(const char *xml, size_t len)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	GString *out = g_string_new(NULL);

	ck_assert_ptr_nonnull(doc);
	for (xmlNodePtr r = xmlDocGetRootElement(doc)->children; r != NULL; r = r->next) {
		if (r->type != XML_ELEMENT_NODE || !xmlStrEqual(r->name, BAD_CAST "RoleDescriptor"))
			continue;
		for (xmlNodePtr c = r->children; c != NULL; c = c->next) {
			xmlNodePtr epr = c->children;
			xmlChar *address;

			if (c->type != XML_ELEMENT_NODE)
				continue;
			g_string_append_printf(out, "%s%s", out->len > 0 ? "," : "", c->name);
			while (epr != NULL && epr->type != XML_ELEMENT_NODE)
				epr = epr->next;
			if (epr == NULL || !xmlStrEqual(epr->name, BAD_CAST "EndpointReference"))
				continue;
			address = xmlNodeGetContent(epr);
			g_string_append_printf(out, "=%s", g_strstrip((char *)address));
			xmlFree(address);
		}
	}
	xmlFreeDoc(doc);
	return out;
}

START_TEST(test_sp_metadata_in_lasso)
{
	char *xml = NULL;
	size_t len = 0;
	LassoProvider *p;
	char *acs;
	GString *role;

	ck_assert_int_eq(ts_saml_sp_metadata(saml, &xml, &len), TS_ERR_OK);
	/* The schema's order, with the application endpoint it requires. */
	role = wsfed_role_children(xml, len);
	ck_assert_str_eq(role->str, "KeyDescriptor,TargetScopes=https://tessera.example.test/,"
				    "ApplicationServiceEndpoint=https://tessera.example.test/wsfed,"
				    "PassiveRequestorEndpoint=https://tessera.example.test/wsfed");
	g_string_free(role, TRUE);
	p = lasso_provider_new_from_buffer(LASSO_PROVIDER_ROLE_SP, xml, NULL, NULL);
	ck_assert_msg(p != NULL, "lasso refuses our SP metadata:\n%s", xml);
	ck_assert_str_eq(LASSO_PROVIDER(p)->ProviderID, "https://tessera.example.test/");
	acs = lasso_provider_get_assertion_consumer_service_url(p, NULL);
	ck_assert_str_eq(acs, ACS);
	g_free(acs);
	g_object_unref(p);
	g_free(xml);
}
END_TEST

/* Loads a config with one [idp] whose metadata is pysaml2-signed. */
static ts_err load_pinned(const char *pin, struct ts_saml_diag *diag)
{
	const char *python = getenv("SYSTEM_PYTHON3");
	char *script = g_strdup_printf("%s/tests/pysaml2_sign.py", getenv("TS_SRCDIR"));
	char *key = g_strdup_printf("%s/sp.key", dir), *cert = g_strdup_printf("%s/sp.crt", dir);
	char *idp_cert = g_strdup_printf("%s/idp.crt", dir);
	char *argv[] = {(char *)python, script, "metadata", key, cert, ENTITY,
			"https://idp.example.test/sso", idp_cert, NULL};
	char *md_path = g_strdup_printf("%s/signed-md.xml", dir);
	char *conf_path = g_strdup_printf("%s/pinned.conf", dir);
	char *conf, *md;
	size_t len = 0;
	struct ts_config *c = NULL;
	struct ts_saml *s = NULL;
	ts_err err;

	md = run(argv, &len);
	ck_assert_msg(md != NULL, "pysaml2 could not sign metadata");
	ck_assert(g_file_set_contents(md_path, md, (gssize)len, NULL));
	conf = g_strdup_printf("[idp p]\nmetadata = %s\nmetadata_signing_cert = %s/%s\n", md_path,
			       dir, pin);
	ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
	ck_assert_int_eq(ts_config_load(conf_path, &c, NULL), TS_ERR_OK);
	err = ts_saml_new(c, now, &s, diag);
	ts_saml_free(s);
	ts_config_free(c);
	g_free(conf);
	g_free(md);
	g_free(md_path);
	g_free(conf_path);
	g_free(idp_cert);
	g_free(key);
	g_free(cert);
	g_free(script);
	return err;
}

START_TEST(test_metadata_pinned)
{
	struct ts_saml_diag diag = {{0}};

	ck_assert_msg(load_pinned("sp.crt", &diag) == TS_ERR_OK, "%s", diag.text);
	ck_assert_int_eq(load_pinned("idp.crt", &diag), TS_ERR_SAML_METADATA_SIGNATURE);
}
END_TEST

START_TEST(test_metadata_unsigned_but_pinned)
{
	char *conf_path = g_strdup_printf("%s/unsigned-pin.conf", dir);
	char *conf = g_strdup_printf("[idp p]\nmetadata = %s/idp-metadata.xml\n"
				     "metadata_signing_cert = %s/sp.crt\n",
				     dir, dir);
	struct ts_config *c = NULL;
	struct ts_saml *s = NULL;
	struct ts_saml_diag diag = {{0}};

	ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
	ck_assert_int_eq(ts_config_load(conf_path, &c, NULL), TS_ERR_OK);
	ck_assert_int_eq(ts_saml_new(c, now, &s, &diag), TS_ERR_SAML_METADATA_SIGNATURE);
	ck_assert_ptr_null(s);
	ts_config_free(c);
	g_free(conf);
	g_free(conf_path);
}
END_TEST

START_TEST(test_metadata_import)
{
	/* The fixture IdP's metadata, read as ADFS FederationMetadata.xml. */
	char *url = NULL, *id = NULL;
	struct ts_signin_request req = {.idp = "fixture", .now = now};
	struct ts_saml_diag diag = {{0}};

	ck_assert_int_eq(ts_saml_signin_url(saml, &req, &url, &id, &diag), TS_ERR_OK);
	ck_assert(g_str_has_prefix(url, "https://idp.example.test/adfs/ls/?"));
	g_free(url);
	g_free(id);
}
END_TEST

/* The fixture IdP's metadata with validUntil on its EntityDescriptor,
 * with role set on its IDPSSODescriptor too, and with outer set inside an
 * EntitiesDescriptor carrying its own; loaded as [idp md] at load_at. */
static ts_err load_valid_until(const char *inner, const char *role, const char *outer,
			       ts_time load_at, struct ts_saml **out, struct ts_saml_diag *diag)
{
	char *md_path = g_strdup_printf("%s/md-until.xml", dir);
	char *conf_path = g_strdup_printf("%s/md-until.conf", dir);
	char *orig_path = g_strdup_printf("%s/idp-metadata.xml", dir);
	/* entity_id picks the entity out of an aggregate. */
	char *conf = g_strdup_printf("[idp md]\nmetadata = %s\nentity_id = " ENTITY "\n", md_path);
	char *attr = g_strdup_printf("<md:EntityDescriptor validUntil=\"%s\" ", inner);
	char *orig = NULL;
	struct ts_config *c = NULL;
	GString *md;
	ts_err err;

	ck_assert(g_file_get_contents(orig_path, &orig, NULL, NULL));
	ck_assert(g_str_has_prefix(orig, "<md:EntityDescriptor "));
	md = g_string_new(attr);
	g_string_append(md, orig + strlen("<md:EntityDescriptor "));
	if (role != NULL) {
		const char *tag = "<md:IDPSSODescriptor ";
		char *at = strstr(md->str, tag);
		char *attr_role = g_strdup_printf("validUntil=\"%s\" ", role);

		ck_assert_ptr_nonnull(at);
		g_string_insert(md, at - md->str + (gssize)strlen(tag), attr_role);
		g_free(attr_role);
	}
	if (outer != NULL) {
		g_string_prepend(md, "\">");
		g_string_prepend(md, outer);
		g_string_prepend(md, "<md:EntitiesDescriptor xmlns:md="
				     "\"urn:oasis:names:tc:SAML:2.0:metadata\" validUntil=\"");
		g_string_append(md, "</md:EntitiesDescriptor>");
	}
	ck_assert(g_file_set_contents(md_path, md->str, (gssize)md->len, NULL));
	ck_assert(g_file_set_contents(conf_path, conf, -1, NULL));
	ck_assert_int_eq(ts_config_load(conf_path, &c, NULL), TS_ERR_OK);
	err = ts_saml_new(c, load_at, out, diag);
	ts_config_free(c);
	g_string_free(md, TRUE);
	g_free(attr);
	g_free(orig);
	g_free(orig_path);
	g_free(conf);
	g_free(conf_path);
	g_free(md_path);
	return err;
}

/* Trust ends at validUntil: checked at load, and at each use after it, so
 * that a daemon running past it stops trusting the metadata's keys. */
START_TEST(test_metadata_valid_until)
{
	const char *const args[] = {XML, IRT, "--sign=response", NULL};
	struct ts_saml *s = NULL;
	struct ts_saml_diag diag = {{0}};
	struct ts_identity *id = NULL;
	struct ts_signin_request req = {.idp = "md", .now = now + 10};
	char *url = NULL, *rid = NULL, *xml;
	size_t len = 0;

	/* NOW is 00:00:00; validUntil one minute later. */
	ck_assert_msg(load_valid_until("2026-01-01T00:01:00Z", NULL, NULL, now, &s, &diag) ==
			      TS_ERR_OK,
		      "%s", diag.text);
	ck_assert_int_eq(ts_saml_idp_valid_until(s, "md"), now + 60);
	ck_assert_int_eq(ts_saml_idp_valid_until(s, "nosuch"), 0);
	ck_assert_int_eq(ts_saml_idp_valid_until(saml, "fixture"), 0);

	xml = idp_sign(args, &len);
	struct ts_saml_check check = {.now = now + 10, .in_response_to = "_req1"};
	ck_assert_msg(ts_saml_validate(s, "md", TS_SAML_ACS, xml, len, &check, &id, &diag) ==
			      TS_ERR_OK,
		      "%s", diag.text);
	ts_identity_free(id);
	id = NULL;
	ck_assert_int_eq(ts_saml_signin_url(s, &req, &url, &rid, &diag), TS_ERR_OK);
	g_free(url);
	g_free(rid);

	/* The same answer, still inside its own NotOnOrAfter, at validUntil. */
	check.now = now + 60;
	ck_assert_int_eq(ts_saml_validate(s, "md", TS_SAML_ACS, xml, len, &check, &id, &diag),
			 TS_ERR_SAML_METADATA_EXPIRED);
	ck_assert_ptr_null(id);
	ck_assert_msg(strstr(diag.text, "2026-01-01T00:01:00Z") != NULL, "%s", diag.text);
	req.now = now + 60;
	ck_assert_int_eq(ts_saml_signin_url(s, &req, &url, &rid, &diag),
			 TS_ERR_SAML_METADATA_EXPIRED);
	ck_assert_ptr_null(url);
	ts_saml_free(s);
	s = NULL;

	/* Loaded after it, the file is kept (one IdP's stale file must not
	 * stop a start or a reload for the others), and refused at use. */
	ck_assert_msg(load_valid_until("2026-01-01T00:01:00Z", NULL, NULL, now + 60, &s, &diag) ==
			      TS_ERR_OK,
		      "%s", diag.text);
	ck_assert_int_eq(ts_saml_validate(s, "md", TS_SAML_ACS, xml, len, &check, &id, &diag),
			 TS_ERR_SAML_METADATA_EXPIRED);
	ts_saml_free(s);
	s = NULL;
	/* The earliest date counts: an aggregate's own, or the role's. */
	ck_assert_msg(load_valid_until("2026-01-01T00:01:00Z", NULL, "2026-01-01T00:00:30Z", now,
				       &s, &diag) == TS_ERR_OK,
		      "%s", diag.text);
	ck_assert_int_eq(ts_saml_idp_valid_until(s, "md"), now + 30);
	check.now = now + 30;
	ck_assert_int_eq(ts_saml_validate(s, "md", TS_SAML_ACS, xml, len, &check, &id, &diag),
			 TS_ERR_SAML_METADATA_EXPIRED);
	ts_saml_free(s);
	s = NULL;
	ck_assert_msg(load_valid_until("2026-01-01T00:01:00Z", "2026-01-01T00:00:20Z", NULL, now,
				       &s, &diag) == TS_ERR_OK,
		      "%s", diag.text);
	ck_assert_int_eq(ts_saml_idp_valid_until(s, "md"), now + 20);
	ts_saml_free(s);
	s = NULL;
	/* A date that does not parse is refused at load. */
	ck_assert_int_eq(load_valid_until("soon", NULL, NULL, now, &s, &diag), TS_ERR_SAML_METADATA);
	ck_assert_ptr_null(s);
	g_free(xml);
}
END_TEST

/* ---- set-up: keys and a config, once for the whole run ---- */

static bool forked = true;

/* Each test runs in a child forked after set-up; it releases its copy of
 * what main() set up, so the sanitizer's leak check sees a clean exit. */
static void child_teardown(void)
{
	if (!forked)
		return;
	ts_saml_free(saml);
	ts_config_free(cfg);
	saml = NULL;
	cfg = NULL;
	ts_saml_library_shutdown();
}

static void write_config(void)
{
	char *path = g_strdup_printf("%s/tessera.conf", dir);
	char *text = g_strdup_printf(
		"[sp]\n"
		"decryption_key = %1$s/sp.key\n"
		"decryption_cert = %1$s/sp.crt\n"
		"signing_key = %1$s/sp.key\n"
		"signing_cert = %1$s/sp.crt\n"
		"sign_authn_requests = true\n"
		"[idp fixture]\nmetadata = %1$s/idp-metadata.xml\n"
		"[idp fixture-sha1]\nmetadata = %1$s/idp-metadata.xml\nallow_sha1 = true\n"
		"[idp unsolicited]\nmetadata = %1$s/idp-metadata.xml\nallow_unsolicited = true\n"
		"[idp adfs-wsfed]\nprotocol = wsfed\nmetadata = %1$s/idp-metadata.xml\n"
		"[idp wrongcert]\nentity_id = " ENTITY "\ncertificates = %1$s/sp.crt\n",
		dir);
	struct ts_config_diag cdiag = {{0}};
	struct ts_saml_diag sdiag = {{0}};

	if (!g_file_set_contents(path, text, -1, NULL) ||
	    ts_config_load(path, &cfg, &cdiag) != TS_ERR_OK ||
	    ts_saml_new(cfg, now, &saml, &sdiag) != TS_ERR_OK) {
		fprintf(stderr, "set-up failed: %s %s\n", cdiag.text, sdiag.text);
		exit(EXIT_FAILURE);
	}
	g_free(text);
	g_free(path);
}

static void make_keys(const char *sub)
{
	char *bin = g_strdup_printf("%s/tessera-idp", getenv("TS_BUILDDIR"));
	char *target = g_strdup_printf("%s%s", dir, sub);
	char *argv[] = {bin, "keys", target, NULL};
	size_t len = 0;
	char *out = run(argv, &len);

	if (out == NULL)
		exit(EXIT_FAILURE);
	g_free(out);
	g_free(target);
	g_free(bin);
}

int main(void)
{
	Suite *s = suite_create("saml");
	SRunner *sr;
	TCase *tc;
	int failed;

	snprintf(dir, sizeof dir, "%s/tessera-saml.XXXXXX", g_get_tmp_dir());
	if (mkdtemp(dir) == NULL || ts_saml_library_init() != TS_ERR_OK)
		return EXIT_FAILURE;
	ts_log_set_level(TS_LOG_ERR); /* rejections are expected here */
	ts_time_parse(NOW, &now);
	make_keys("");
	make_keys("/evil");
	write_config();
	/* No lasso_init(): it would initialise xmlsec a second time over ours
	 * (leaking its IO callback list); reading metadata needs only ours. */

	forked = getenv("CK_FORK") == NULL || strcmp(getenv("CK_FORK"), "no") != 0;
	tc = tcase_create("valid");
	tcase_add_checked_fixture(tc, NULL, child_teardown);
	tcase_add_loop_test(tc, test_valid, 0, (int)(sizeof valid_cases / sizeof valid_cases[0]));
	tcase_add_loop_test(tc, test_mfa, 0, (int)(sizeof mfa_cases / sizeof mfa_cases[0]));
	tcase_add_test(tc, test_comment_in_nameid);
	tcase_add_test(tc, test_identity_fields);
	tcase_add_test(tc, test_post_body);
	tcase_add_test(tc, test_independent_signer);
	suite_add_tcase(s, tc);

	tc = tcase_create("reject");
	tcase_add_checked_fixture(tc, NULL, child_teardown);
	tcase_add_loop_test(tc, test_reject, 0, (int)(sizeof reject_cases / sizeof reject_cases[0]));
	tcase_add_test(tc, test_cipher_reference_refused);
	tcase_add_test(tc, test_unsigned_response_irt_not_trusted);
	tcase_add_test(tc, test_base64_padding_flood);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, NULL, child_teardown);
	tcase_add_test(tc, test_authn_request_redirect);
	tcase_add_test(tc, test_authn_request_escaped);
	tcase_add_test(tc, test_base64_matches_glib);
	tcase_add_test(tc, test_wsignin_url);
	tcase_add_test(tc, test_deflate_bomb);
	tcase_add_test(tc, test_bad_encodings);
	suite_add_tcase(s, tc);

	tc = tcase_create("metadata");
	tcase_add_checked_fixture(tc, NULL, child_teardown);
	tcase_add_test(tc, test_sp_metadata_in_lasso);
	tcase_add_test(tc, test_metadata_pinned);
	tcase_add_test(tc, test_metadata_unsigned_but_pinned);
	tcase_add_test(tc, test_metadata_import);
	tcase_add_test(tc, test_metadata_valid_until);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	ts_saml_free(saml);
	ts_config_free(cfg);
	ts_saml_library_shutdown();
	if (!ts_test_dir_remove(dir)) {
		fprintf(stderr, "check_saml: %s left behind\n", dir);
		failed++;
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
