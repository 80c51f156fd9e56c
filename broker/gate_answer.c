/* The refusal answers. Strings are the pool emulator's
 * (fixtures/tessera_pool: auth.py, soap.py, oauth.py), which copy
 * sfb-protocol.md sections 1.3, 2, 3 and 8.5. */
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "gate_answer.h"
#include "gate_classify.h"
#include "gate_path.h"

/* 28029 is what a pool sends for a grant type it does not offer (section 2,
 * [UCWA-auth]); the gate uses it wherever it refuses a way of signing in. */
#define DIAG_ID 28029
#define DIAG_REASON "Authentication type not allowed."
#define WSSE "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define CLIENT_ID "00000004-0000-0ff1-ce00-000000000000"

/* IIS's own page for a 401 (server.py IIS_401, without the emulator's line). */
static const char iis_401[] =
	"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\">\r\n"
	"<html><head><title>401 - Unauthorized: Access is denied due to invalid "
	"credentials.</title></head><body><h2>401 - Unauthorized: Access is denied due "
	"to invalid credentials.</h2></body></html>\r\n";

static const char *const shape_names[TS_GATE_SHAPE__COUNT] = {
	[TS_GATE_SHAPE_OAUTH] = "oauth",
	[TS_GATE_SHAPE_SOAP_FAULT] = "soap-fault",
	[TS_GATE_SHAPE_BEARER] = "bearer-challenge",
	[TS_GATE_SHAPE_WEBTICKET_URL] = "webticket-url",
	[TS_GATE_SHAPE_SIGNIN] = "signin",
	[TS_GATE_SHAPE_WEB_401] = "web-401",
	[TS_GATE_SHAPE_FORBIDDEN] = "forbidden",
};

const char *ts_gate_shape_name(enum ts_gate_shape shape)
{
	return (unsigned)shape < TS_GATE_SHAPE__COUNT ? shape_names[shape] : "unknown";
}

static bool header_contains(const struct ts_gate_request *req, const char *name, const char *needle)
{
	const char *v;
	size_t n;
	const size_t k = strlen(needle);

	if (ts_gate_header_get(req, name, &v, &n) == 0)
		return false;
	for (size_t i = 0; i + k <= n; i++)
		if (g_ascii_strncasecmp(v + i, needle, k) == 0)
			return true;
	return false;
}

static bool is_soap(const struct ts_gate_request *req)
{
	const char *v;
	size_t n;

	return ts_gate_header_get(req, "SOAPAction", &v, &n) > 0 ||
	       header_contains(req, "Content-Type", "text/xml") ||
	       header_contains(req, "Content-Type", "application/soap+xml");
}

enum ts_gate_shape ts_gate_answer_shape(bool sfb_upstream, const char *path,
					const struct ts_gate_request *req,
					const struct ts_client_family_info *client)
{
	if (!sfb_upstream)
		return client->family == TS_CLIENT_BROWSER ? TS_GATE_SHAPE_SIGNIN
							   : TS_GATE_SHAPE_WEB_401;
	if (ts_gate_path_match(TS_GATE_PATH_OAUTHTOKEN, path))
		return TS_GATE_SHAPE_OAUTH;
	if (ts_gate_path_match(TS_GATE_PATH_WEBTICKET, path) ||
	    ts_gate_path_match("/CertProv/*", path) || is_soap(req))
		return TS_GATE_SHAPE_SOAP_FAULT;
	if (ts_gate_path_match("/ucwa/*", path))
		return TS_GATE_SHAPE_BEARER;
	if (ts_gate_path_match("/Autodiscover/*", path))
		/* The desktop client asks for XML (section 1.3, desktop path). */
		return header_contains(req, "Accept", "xml") ? TS_GATE_SHAPE_WEBTICKET_URL
							     : TS_GATE_SHAPE_BEARER;
	return TS_GATE_SHAPE_FORBIDDEN;
}

static ts_err add(struct ts_gate_answer *a, const char *name, char *value)
{
	if (value == NULL)
		return TS_ERR_NOMEM;
	if (a->n_headers == TS_GATE_ANSWER_MAX_HEADERS) {
		g_free(value);
		return TS_ERR_INTERNAL;
	}
	a->headers[a->n_headers].name = name;
	a->headers[a->n_headers++].value = value;
	return TS_ERR_OK;
}

static ts_err body(struct ts_gate_answer *a, int status, const char *type, char *text)
{
	a->status = status;
	a->content_type = type;
	a->body = text;
	a->body_len = strlen(text);
	return TS_ERR_OK;
}

static char *diagnostics(const char *host)
{
	return g_strdup_printf("%d;source=\"%s\";reason=\"%s\"", DIAG_ID, host, DIAG_REASON);
}

static ts_err soap_fault(struct ts_gate_answer *a, const char *host)
{
	ts_err err = add(a, "X-Ms-diagnostics", diagnostics(host));

	if (err != TS_ERR_OK)
		return err;
	return body(a, 500, "text/xml; charset=utf-8",
		    g_strdup_printf(
			    "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
			    "<s:Body><s:Fault><faultcode xmlns:a=\"%s\">a:FailedAuthentication"
			    "</faultcode><faultstring xml:lang=\"en-US\">%s</faultstring><detail>"
			    "<OCSDiagnosticsFault "
			    "xmlns=\"urn:component:Microsoft.Rtc.WebAuthentication.2010\" "
			    "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">"
			    "<Ms-Diagnostics-Fault><ErrorId>%d</ErrorId><Reason>%s</Reason>"
			    "</Ms-Diagnostics-Fault><NameValuePairs/></OCSDiagnosticsFault>"
			    "</detail></s:Fault></s:Body></s:Envelope>",
			    WSSE, DIAG_REASON, DIAG_ID, DIAG_REASON));
}

/* "/.tessera/signin?return=" + the path and query, percent-encoded but
 * for unreserved characters and "/": the broker checks it again there. */
static char *signin_location(const char *ret, size_t len)
{
	GString *s = g_string_new("/.tessera/signin?return=");

	for (size_t i = 0; i < len; i++) {
		const unsigned char c = (unsigned char)ret[i];
		if (g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			g_string_append_c(s, (char)c);
		else
			g_string_append_printf(s, "%%%02X", c);
	}
	return g_string_free(s, FALSE);
}

ts_err ts_gate_answer_render(enum ts_gate_shape shape, const struct ts_gate_answer_params *p,
			     struct ts_gate_answer *out)
{
	ts_err err;

	memset(out, 0, sizeof *out);
	out->shape = shape;
	switch (shape) {
	case TS_GATE_SHAPE_OAUTH:
		if ((err = add(out, "X-Ms-diagnostics", diagnostics(p->host))) != TS_ERR_OK ||
		    (err = add(out, "Cache-Control", g_strdup("no-store"))) != TS_ERR_OK ||
		    (err = add(out, "Pragma", g_strdup("no-cache"))) != TS_ERR_OK)
			return err;
		return body(out, 400, "application/json",
			    g_strdup("{\"error\":\"unsupported_grant_type\"}"));
	case TS_GATE_SHAPE_SOAP_FAULT:
		return soap_fault(out, p->host);
	case TS_GATE_SHAPE_BEARER:
		if ((err = add(out, "WWW-Authenticate",
			       g_strdup("Bearer trusted_issuers=\"\",client_id=\"" CLIENT_ID "\""))) !=
			    TS_ERR_OK ||
		    (err = add(out, "WWW-Authenticate",
			       g_strdup_printf("MsRtcOAuth href=\"https://%s/WebTicket/oauthtoken\","
					       "grant_type=\"%s\"",
					       p->host, p->grant_types))) != TS_ERR_OK)
			return err;
		return body(out, 401, "text/html", g_strdup(iis_401));
	case TS_GATE_SHAPE_WEBTICKET_URL:
		if ((err = add(out, "X-MS-WebTicketURL",
			       g_strdup_printf("https://%s/WebTicket/WebTicketService.svc",
					       p->host))) != TS_ERR_OK)
			return err;
		return body(out, 401, "text/html", g_strdup(iis_401));
	case TS_GATE_SHAPE_SIGNIN:
		if ((err = add(out, "Location", signin_location(p->return_path,
								 p->return_path_len))) != TS_ERR_OK)
			return err;
		return body(out, 302, "text/plain; charset=utf-8", g_strdup(""));
	case TS_GATE_SHAPE_WEB_401:
		if ((err = add(out, "WWW-Authenticate",
			       g_strdup_printf("Bearer realm=\"%s\"", p->host))) != TS_ERR_OK)
			return err;
		return body(out, 401, "text/plain; charset=utf-8",
			    g_strdup("Sign-in required.\n"));
	case TS_GATE_SHAPE_FORBIDDEN:
	case TS_GATE_SHAPE__COUNT:
		break;
	}
	out->shape = TS_GATE_SHAPE_FORBIDDEN;
	if ((err = add(out, "X-Ms-diagnostics", diagnostics(p->host))) != TS_ERR_OK)
		return err;
	return body(out, 403, "text/plain; charset=utf-8", g_strdup(DIAG_REASON "\n"));
}

void ts_gate_answer_clear(struct ts_gate_answer *a)
{
	for (size_t i = 0; i < a->n_headers; i++)
		g_free(a->headers[i].value);
	g_free(a->body);
	memset(a, 0, sizeof *a);
}
