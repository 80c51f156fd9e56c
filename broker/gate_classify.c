/* The classification table. Order, and why it differs from a plain reading
 * of DESIGN's table:
 *  - Windows and Basic credentials come first, before the anonymous paths:
 *    IIS binds NTLM and Negotiate to the connection, so a handshake on an
 *    anonymous path (…/mex) would authenticate the connection for the
 *    requests that follow it. Whatever the path, they are legacy.
 *  - The ticket-minting paths (oauthtoken, /Auth, /Cert) are judged by what
 *    they carry before any anonymous pattern: "* /mex" must not wave through
 *    "oauthtoken/mex".
 *  - What cannot be read (an ambiguous path, a truncated body, a credential
 *    sent twice, an unknown scheme or grant) is unknown, never guessed. */
#include <glib.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "gate_base64.h"
#include "gate_body.h"
#include "gate_classify.h"
#include "sso.h"
#include "tessera/origin.h"
#include "tessera/ticket.h"

static const char *const kind_names[TS_GATE_KIND__COUNT] = {
	[TS_GATE_KIND_ANONYMOUS] = "anonymous",
	[TS_GATE_KIND_NTLM] = "ntlm",
	[TS_GATE_KIND_NEGOTIATE] = "negotiate",
	[TS_GATE_KIND_BASIC] = "basic",
	[TS_GATE_KIND_PASSWORD] = "password",
	[TS_GATE_KIND_WINDOWS] = "windows",
	[TS_GATE_KIND_PIN] = "pin",
	[TS_GATE_KIND_TLS_DSK] = "tls-dsk",
	[TS_GATE_KIND_PASSIVE] = "passive",
	[TS_GATE_KIND_POOL_TICKET] = "pool-ticket",
	[TS_GATE_KIND_TESSERA_TICKET] = "tessera-ticket",
	[TS_GATE_KIND_NONE] = "none",
	[TS_GATE_KIND_UNKNOWN] = "unknown",
};

const char *ts_gate_kind_name(enum ts_gate_kind kind)
{
	return (unsigned)kind < TS_GATE_KIND__COUNT ? kind_names[kind] : "unknown";
}

bool ts_gate_kind_is_legacy(enum ts_gate_kind kind)
{
	switch (kind) {
	case TS_GATE_KIND_NTLM:
	case TS_GATE_KIND_NEGOTIATE:
	case TS_GATE_KIND_BASIC:
	case TS_GATE_KIND_PASSWORD:
	case TS_GATE_KIND_WINDOWS:
	case TS_GATE_KIND_PIN:
	case TS_GATE_KIND_TLS_DSK:
		return true;
	default:
		return false;
	}
}

enum scheme { SCHEME_NONE, SCHEME_NTLM, SCHEME_NEGOTIATE, SCHEME_BASIC, SCHEME_BEARER, SCHEME_OTHER };

/* What every rule may look at, read once. */
struct ctx {
	const struct ts_gate_classify_config *cfg;
	const struct ts_gate_request *req;
	bool path_ok;
	size_t n_authorization;
	enum scheme scheme;
	const char *credentials; /* after the scheme, blanks trimmed */
	size_t credentials_len;
};

static bool set(struct ts_gate_class *out, enum ts_gate_kind kind, ts_err detail)
{
	out->kind = kind;
	out->detail = detail;
	return true;
}

/* "DOMAIN\user" or "user@domain" or "user" into out, refusing control
 * characters and names longer than the records keep. */
static bool set_name(struct ts_gate_class *out, const char *p, size_t n)
{
	const char *slash = memchr(p, '\\', n);
	const char *user = slash != NULL ? slash + 1 : p;
	const size_t user_len = n - (size_t)(user - p);
	const size_t domain_len = slash != NULL ? (size_t)(slash - p) : 0;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	if (user_len > TS_GATE_NAME_MAX || domain_len > TS_GATE_NAME_MAX)
		return false;
	memcpy(out->user, user, user_len);
	out->user[user_len] = '\0';
	memcpy(out->domain, p, domain_len);
	out->domain[domain_len] = '\0';
	return true;
}

static bool method_reads_body(const char *method)
{
	if (method == NULL)
		return true;
	/* Exact: any other spelling ("post", "PUT") might reach the handler,
	 * so only GET and HEAD are known to carry no credential in a body. */
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static bool body_has_nul(const struct ts_gate_request *req)
{
	/* UTF-16 or binary bodies: the scans below read ASCII markup only. */
	return memchr(req->body, '\0', req->body_len) != NULL;
}

/* ---- the rules, in table order ---- */

static bool rule_ambiguous_path(const struct ctx *c, struct ts_gate_class *out)
{
	return !c->path_ok && set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_PATH_AMBIGUOUS);
}

static bool rule_twice(const struct ctx *c, struct ts_gate_class *out)
{
	const char *v;
	size_t n;

	if (c->n_authorization > 1 || ts_gate_header_get(c->req, "X-MS-WebTicket", &v, &n) > 1 ||
	    ts_gate_cookie_get(c->req, TS_POOL_COOKIE, &v, &n) > 1)
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE);
	return false;
}

/* NTLM message m (type 1, 2 or 3): kind ntlm, names from a type 3. */
static bool ntlm_message(struct ts_gate_class *out, const uint8_t *m, size_t len)
{
	struct ts_ntlm_identity id;
	enum ts_ntlm_type type;
	ts_err err = ts_ntlm_message_type(m, len, &type);

	if (err == TS_ERR_OK && type == TS_NTLM_AUTHENTICATE &&
	    (err = ts_ntlm_authenticate_parse(m, len, &id)) == TS_ERR_OK) {
		memcpy(out->user, id.user, sizeof out->user);
		memcpy(out->domain, id.domain, sizeof out->domain);
	}
	return set(out, TS_GATE_KIND_NTLM, err);
}

/* What a decoded NTLM or Negotiate token shows: kind, and names. */
static void windows_token(enum scheme scheme, const uint8_t *token, size_t len,
			  struct ts_gate_class *out)
{
	const uint8_t *inner = NULL;
	enum ts_negotiate_mech mech;
	size_t inner_len = 0;
	ts_err err;

	if (scheme == SCHEME_NTLM) {
		ntlm_message(out, token, len);
	} else if ((err = ts_negotiate_inspect(token, len, &mech, &inner, &inner_len)) !=
		   TS_ERR_OK) {
		set(out, TS_GATE_KIND_NEGOTIATE, err);
	} else if (mech == TS_NEGOTIATE_KERBEROS) {
		set(out, TS_GATE_KIND_NEGOTIATE, TS_ERR_OK);
	} else if (inner != NULL) {
		ntlm_message(out, inner, inner_len);
	} else {
		set(out, TS_GATE_KIND_NTLM, TS_ERR_OK);
	}
}

static bool rule_windows(const struct ctx *c, struct ts_gate_class *out)
{
	uint8_t token[TS_NTLM_TOKEN_MAX];
	size_t len = 0;
	ts_err err;

	if (c->scheme != SCHEME_NTLM && c->scheme != SCHEME_NEGOTIATE)
		return false;
	err = ts_gate_base64_decode(c->credentials, c->credentials_len, token, sizeof token, &len);
	if (err == TS_ERR_OK)
		windows_token(c->scheme, token, len, out);
	else if (c->scheme == SCHEME_NTLM)
		set(out, TS_GATE_KIND_NTLM, err);
	else /* a Negotiate token too large to be NTLM is a Kerberos ticket */
		set(out, TS_GATE_KIND_NEGOTIATE,
		    c->credentials_len > TS_NTLM_TOKEN_MAX / 3 * 4 ? TS_ERR_OK : err);
	/* A type 3 carries the client's NTLM response: crackable offline. */
	OPENSSL_cleanse(token, len);
	return true;
}

static bool rule_basic(const struct ctx *c, struct ts_gate_class *out)
{
	uint8_t plain[1024];
	const uint8_t *colon;
	size_t len = 0;
	ts_err err;

	if (c->scheme != SCHEME_BASIC)
		return false;
	err = ts_gate_base64_decode(c->credentials, c->credentials_len, plain, sizeof plain, &len);
	colon = err == TS_ERR_OK ? memchr(plain, ':', len) : NULL;
	/* The user only: the password is wiped unread. */
	if (colon == NULL || !set_name(out, (const char *)plain, (size_t)(colon - plain)))
		err = TS_ERR_GATE_BASE64;
	OPENSSL_cleanse(plain, sizeof plain);
	return set(out, TS_GATE_KIND_BASIC, err);
}

static bool rule_other_scheme(const struct ctx *c, struct ts_gate_class *out)
{
	return c->scheme == SCHEME_OTHER && set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_SCHEME_UNKNOWN);
}

static bool listed(char *const *list, const char *value)
{
	for (size_t i = 0; list != NULL && list[i] != NULL; i++)
		if (strcmp(list[i], value) == 0)
			return true;
	return false;
}

static bool rule_oauthtoken(const struct ctx *c, struct ts_gate_class *out)
{
	const struct ts_gate_request *req = c->req;
	char grant[128], user[2 * TS_GATE_NAME_MAX + 2];
	const char *type;
	size_t type_len;
	ts_err err;

	if (!ts_gate_path_match(TS_GATE_PATH_OAUTHTOKEN, out->path) || !method_reads_body(req->method))
		return false;
	if (!ts_gate_body_whole(req))
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE);
	ts_gate_header_get(req, "Content-Type", &type, &type_len);
	if (type == NULL || type_len < 33 ||
	    g_ascii_strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 ||
	    body_has_nul(req))
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_UNREADABLE);
	/* ASP.NET's Request["grant_type"] reads the query too. */
	if (req->query != NULL && ts_gate_form_field(req->query, req->query_len, "grant_type", grant,
						     sizeof grant) != TS_ERR_NOT_FOUND)
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_CREDENTIAL_TWICE);
	err = ts_gate_form_field((const char *)req->body, req->body_len, "grant_type", grant,
				 sizeof grant);
	if (err != TS_ERR_OK)
		return set(out, TS_GATE_KIND_UNKNOWN,
			   err == TS_ERR_NOT_FOUND ? TS_ERR_GATE_GRANT_UNKNOWN : err);
	if (listed(c->cfg->anonymous_grants, grant))
		return set(out, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK);
	if (strcmp(grant, "urn:microsoft.rtc:passive") == 0)
		return set(out, TS_GATE_KIND_PASSIVE, TS_ERR_OK);
	if (strcmp(grant, "urn:microsoft.rtc:windows") == 0)
		return set(out, TS_GATE_KIND_WINDOWS, TS_ERR_OK);
	if (strcmp(grant, "password") != 0)
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_GRANT_UNKNOWN);
	/* username only; the password field is never read. */
	err = ts_gate_form_field((const char *)req->body, req->body_len, "username", user,
				 sizeof user);
	if (err == TS_ERR_OK && !set_name(out, user, strlen(user)))
		err = TS_ERR_GATE_BODY_UNREADABLE;
	return set(out, TS_GATE_KIND_PASSWORD, err == TS_ERR_NOT_FOUND ? TS_ERR_OK : err);
}

static bool rule_pin(const struct ctx *c, struct ts_gate_class *out)
{
	const struct ts_gate_request *req = c->req;
	uint8_t login[2 * TS_GATE_NAME_MAX + 2];
	const char *text;
	size_t text_len, len = 0;
	ts_err err;

	if (!ts_gate_path_match(TS_GATE_PATH_WEBTICKET_AUTH, out->path) ||
	    !method_reads_body(req->method))
		return false;
	if (!ts_gate_body_whole(req))
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE);
	if (body_has_nul(req) ||
	    ts_gate_soap_username((const char *)req->body, req->body_len, &text, &text_len) !=
		    TS_ERR_OK)
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_UNREADABLE);
	/* Username is base64("DOMAIN\user") (sfb-protocol.md 1.4). */
	err = ts_gate_base64_decode(text, text_len, login, sizeof login, &len);
	if (err == TS_ERR_OK && !set_name(out, (const char *)login, len))
		err = TS_ERR_GATE_BASE64;
	return set(out, TS_GATE_KIND_PIN, err);
}

static bool rule_cert(const struct ctx *c, struct ts_gate_class *out)
{
	return ts_gate_path_match(TS_GATE_PATH_WEBTICKET_CERT, out->path) &&
	       set(out, TS_GATE_KIND_TLS_DSK, TS_ERR_OK);
}

/* Is path (normalised) where the STS posts the pool's tokens: under
 * /passiveauth/, or under the directory of a registered wreply (IIS serves
 * "Done.aspx/x" as Done.aspx, and WIF takes a token posted anywhere in its
 * application). The config keeps wreply paths plain (config.c), so each is
 * compared as written. */
static bool passive_signin_path(const struct ctx *c, const char *path)
{
	char origin[TS_ORIGIN_MAX], pattern[TS_GATE_PATH_MAX + 2];
	const char *rest;
	size_t dir;

	if (ts_gate_path_match(TS_GATE_PATH_PASSIVEAUTH, path))
		return true;
	for (char *const *r = c->cfg->reply_urls; r != NULL && *r != NULL; r++) {
		if (ts_origin_of_url(*r, origin, &rest) != TS_ERR_OK)
			continue;
		/* "/a/b/Done.aspx?x" guards "/a/b/" and below; "https://pool"
		 * guards every path. */
		for (dir = strcspn(rest, "?"); dir > 0 && rest[dir - 1] != '/'; dir--)
			;
		if (dir == 0) {
			rest = "/";
			dir = 1;
		}
		if (dir < TS_GATE_PATH_MAX &&
		    snprintf(pattern, sizeof pattern, "%.*s*", (int)dir, rest) > 0 &&
		    ts_gate_path_match(pattern, path))
			return true;
	}
	return false;
}

/* A token posted into the pool's passive sign-in by a page of another
 * origin: someone else's token, posted from this browser, would sign it in
 * as them (login CSRF). The page's origin is Origin, else the Referer's (IE11
 * and Firefox before 70 send no Origin on a cross-site form POST); a client
 * sending neither (an embedded IE) passes. Allowed: one origin, the request's
 * own host or one listed. */
static bool rule_passive_origin(const struct ctx *c, struct ts_gate_class *out)
{
	char origin[TS_ORIGIN_MAX], listed[TS_ORIGIN_MAX];
	const char *v;
	size_t n, count;

	if (c->cfg->passive_origins == NULL || !method_reads_body(c->req->method) ||
	    !passive_signin_path(c, out->path))
		return false;
	if ((count = ts_gate_header_get(c->req, "Origin", &v, &n)) == 0 &&
	    (count = ts_gate_header_get(c->req, "Referer", &v, &n)) == 0)
		return false;
	if (count == 1 && ts_origin_canonical(v, n, origin) == TS_ERR_OK) {
		/* The pool's own page posting back. */
		if (ts_origin_on_host(origin, c->req->host))
			return false;
		for (char *const *o = c->cfg->passive_origins; *o != NULL; o++)
			if (ts_origin_canonical(*o, strlen(*o), listed) == TS_ERR_OK &&
			    strcmp(origin, listed) == 0)
				return false;
	}
	return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_ORIGIN_FOREIGN);
}

static bool rule_anonymous_path(const struct ctx *c, struct ts_gate_class *out)
{
	for (size_t i = 0; c->cfg->anonymous_paths != NULL && c->cfg->anonymous_paths[i] != NULL; i++)
		if (ts_gate_path_match(c->cfg->anonymous_paths[i], out->path))
			return set(out, TS_GATE_KIND_ANONYMOUS, TS_ERR_OK);
	return false;
}

static bool bearer_is_cwt(const struct ctx *c)
{
	return c->scheme == SCHEME_BEARER && c->credentials_len > 4 &&
	       memcmp(c->credentials, "cwt=", 4) == 0;
}

/* Three base64url parts: the shape of a JWS compact token. */
static bool jws_shaped(const char *p, size_t n)
{
	size_t dots = 0;

	if (n == 0 || n > TS_TICKET_MAX_BYTES)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '.')
			dots++;
		else if (!g_ascii_isalnum(p[i]) && p[i] != '-' && p[i] != '_')
			return false;
	}
	return dots == 2;
}

static bool rule_bearer_cwt(const struct ctx *c, struct ts_gate_class *out)
{
	return bearer_is_cwt(c) && set(out, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK);
}

static bool rule_x_ms_webticket(const struct ctx *c, struct ts_gate_class *out)
{
	const char *v;
	size_t n;

	return ts_gate_header_get(c->req, "X-MS-WebTicket", &v, &n) == 1 && n > 0 &&
	       set(out, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK);
}

static bool rule_soap_ticket(const struct ctx *c, struct ts_gate_class *out)
{
	const struct ts_gate_request *req = c->req;

	if (req->body == NULL)
		return false;
	if (!ts_gate_body_whole(req))
		return set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_BODY_INCOMPLETE);
	return !body_has_nul(req) &&
	       ts_gate_soap_has_assertion((const char *)req->body, req->body_len) &&
	       set(out, TS_GATE_KIND_POOL_TICKET, TS_ERR_OK);
}

static bool rule_bearer_jws(const struct ctx *c, struct ts_gate_class *out)
{
	if (c->scheme != SCHEME_BEARER || !jws_shaped(c->credentials, c->credentials_len))
		return false;
	out->ticket = c->credentials;
	out->ticket_len = c->credentials_len;
	return set(out, TS_GATE_KIND_TESSERA_TICKET, TS_ERR_OK);
}

static bool rule_tessera_cookie(const struct ctx *c, struct ts_gate_class *out)
{
	const char *v;
	size_t n;

	if (ts_gate_cookie_get(c->req, TS_POOL_COOKIE, &v, &n) != 1 || v == NULL)
		return false;
	out->ticket = v;
	out->ticket_len = n;
	return set(out, TS_GATE_KIND_TESSERA_TICKET, TS_ERR_OK);
}

static bool rule_bearer_other(const struct ctx *c, struct ts_gate_class *out)
{
	return c->scheme == SCHEME_BEARER && set(out, TS_GATE_KIND_UNKNOWN, TS_ERR_GATE_SCHEME_UNKNOWN);
}

static bool rule_none(const struct ctx *c, struct ts_gate_class *out)
{
	return set(out, TS_GATE_KIND_NONE, TS_ERR_OK);
}

/* First match wins. */
static bool (*const rules[])(const struct ctx *, struct ts_gate_class *) = {
	rule_ambiguous_path,
	rule_twice,
	rule_windows,	     /* Authorization: NTLM, Negotiate */
	rule_basic,	     /* Authorization: Basic */
	rule_other_scheme,   /* Authorization: Digest, ... */
	rule_oauthtoken,     /* grant_type: anonymous, passive, windows, password */
	rule_pin,	     /* WebTicketService.svc/Auth UsernameToken */
	rule_cert,	     /* WebTicketService.svc/Cert */
	rule_passive_origin, /* POST /passiveauth/ from another site */
	rule_anonymous_path, /* [gate] anonymous_paths */
	rule_bearer_cwt,     /* Authorization: Bearer cwt= */
	rule_x_ms_webticket, /* X-MS-WebTicket */
	rule_soap_ticket,    /* wsse:Security with an Assertion */
	rule_bearer_jws,     /* Authorization: Bearer <JWS> */
	rule_tessera_cookie, /* __Host-tessera */
	rule_bearer_other,
	rule_none,
};

static void read_authorization(struct ctx *c)
{
	static const struct {
		const char *name;
		enum scheme scheme;
	} schemes[] = {{"NTLM", SCHEME_NTLM},
		       {"Negotiate", SCHEME_NEGOTIATE},
		       {"Basic", SCHEME_BASIC},
		       {"Bearer", SCHEME_BEARER}};
	const char *v, *end, *sp;
	size_t n;

	c->n_authorization = ts_gate_header_get(c->req, "Authorization", &v, &n);
	c->scheme = SCHEME_NONE;
	if (c->n_authorization == 0)
		return;
	end = v + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (v == end)
		return;
	for (sp = v; sp < end && *sp != ' ' && *sp != '\t'; sp++)
		;
	c->scheme = SCHEME_OTHER;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if ((size_t)(sp - v) == strlen(schemes[i].name) &&
		    g_ascii_strncasecmp(v, schemes[i].name, (size_t)(sp - v)) == 0)
			c->scheme = schemes[i].scheme;
	while (sp < end && (*sp == ' ' || *sp == '\t'))
		sp++;
	c->credentials = sp;
	c->credentials_len = (size_t)(end - sp);
}

static bool sends_identity_headers(const struct ts_gate_request *req)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (req->headers[i].name_len >= 10 &&
		    g_ascii_strncasecmp(req->headers[i].name, "X-Tessera-", 10) == 0)
			return true;
	return false;
}

void ts_gate_classify(const struct ts_gate_classify_config *cfg, const struct ts_gate_request *req,
		      struct ts_gate_class *out)
{
	struct ctx c = {.cfg = cfg, .req = req};
	const char *ua;
	size_t ua_len, path_len = 0;

	memset(out, 0, sizeof *out);
	c.path_ok = req->path != NULL &&
		    ts_gate_path_normalise(req->path, req->path_len, out->path, sizeof out->path,
					   &path_len) == TS_ERR_OK;
	if (!c.path_ok)
		out->path[0] = '\0';
	read_authorization(&c);
	ts_gate_header_get(req, "User-Agent", &ua, &ua_len);
	out->client = ts_client_family(ua, ua_len);
	out->spoofed_identity = sends_identity_headers(req);
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (rules[i](&c, out))
			return;
}
