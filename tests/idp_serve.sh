#!/bin/sh
# tessera-idp serve end to end: a real AuthnRequest (Redirect binding) and a
# WS-Fed wsignin1.0 go through the login page; the auto-posted tokens pass
# `tessera inspect`. Wrong password, MFA asked for, HTML escaping, unsafe
# requests, metadata, 404/405/413 and a clean stop on SIGTERM.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
[ -n "${SYSTEM_PYTHON3:-}" ] || ts_skip "python3 not found"

idp="$TS_BUILDDIR/tessera-idp"
acs=https://tessera.example.test/saml/acs
sp=https://tessera.example.test/
wreply=https://tessera.example.test/wsfed
evil='"><script>alert(1)</script>'

# What a browser and an SP do, in Python: deflate + base64 a request, read
# a page's form, post its fields. Pages are read as served, not trusted.
cat >"$TS_TMP/browser.py" <<'PY'
import base64, html, re, sys, urllib.parse, zlib

MFA = "http://schemas.microsoft.com/claims/multipleauthn"


def authn_request(req_id, acs, issuer, mfa):
    rac = ('<samlp:RequestedAuthnContext Comparison="exact"><saml:AuthnContextClassRef>'
           + MFA + '</saml:AuthnContextClassRef></samlp:RequestedAuthnContext>') if mfa == "1" else ""
    return ('<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" '
            'IssueInstant="2026-01-01T00:00:00Z" AssertionConsumerServiceURL="%s" '
            'ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">'
            '<saml:Issuer>%s</saml:Issuer><samlp:NameIDPolicy AllowCreate="true"/>%s'
            '</samlp:AuthnRequest>') % (req_id, acs, issuer, rac)


def query(pairs):
    return "&".join(k + "=" + urllib.parse.quote(v, safe="") for k, v in pairs)


def form(path):
    page = open(path, encoding="utf-8").read()
    m = re.search(r'<form method="post" action="([^"]*)">(.*?)</form>', page, re.S)
    if m is None:
        sys.exit("no form in " + path)
    fields = [(n, html.unescape(v)) for n, v in
              re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', m.group(2))]
    return html.unescape(m.group(1)), fields


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "request":  # ID ACS ISSUER MFA(0|1): the AuthnRequest XML
    print(authn_request(*args), end="")
elif cmd == "redirect":  # [RELAY] < XML: the Redirect binding's query string
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(sys.stdin.buffer.read()) + c.flush()
    pairs = [("SAMLRequest", base64.b64encode(raw).decode())]
    if args and args[0]:
        pairs.append(("RelayState", args[0]))
    print(query(pairs), end="")
elif cmd == "wsfed":  # WCTX [WAUTH]: a wsignin1.0 query string
    pairs = [("wa", "wsignin1.0"), ("wtrealm", "https://tessera.example.test/"),
             ("wreply", "https://tessera.example.test/wsfed"), ("wctx", args[0])]
    if len(args) > 1:
        pairs.append(("wauth", args[1]))
    print(query(pairs), end="")
elif cmd == "login":  # PAGE USER PASSWORD [CODE]: the login form's POST body
    action, fields = form(args[0])
    fields += [("username", args[1]), ("password", args[2])]
    if len(args) > 3:
        fields.append(("code", args[3]))
    print(query(fields), end="")
elif cmd == "action":  # PAGE
    print(form(args[0])[0])
elif cmd == "post":  # PAGE: the body the browser posts to the service
    print(query(form(args[0])[1]), end="")
elif cmd == "saml":  # PAGE: the SAMLResponse XML
    print(base64.b64decode(dict(form(args[0])[1])["SAMLResponse"]).decode(), end="")
PY
py() {
	"$SYSTEM_PYTHON3" "$TS_TMP/browser.py" "$@"
}

# get NAME PATH?QUERY / post NAME PATH FILE: status in $status, headers
# in NAME.h, body in NAME.html.
get() {
	status=$("$CURL" -s --max-time 20 -D "$TS_TMP/$1.h" -o "$TS_TMP/$1.html" -w '%{http_code}' \
		"$base$2")
}
post() {
	status=$("$CURL" -s --max-time 20 -D "$TS_TMP/$1.h" -o "$TS_TMP/$1.html" -w '%{http_code}' \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$3" "$base$2")
}
want_status() { # want_status CODE WHAT
	[ "$status" = "$1" ] || ts_fail "$2: HTTP $status, want $1: $(cat "$TS_TMP/$3.html" 2>/dev/null)"
}
has() { # has NAME TEXT: the page or headers NAME hold TEXT
	grep -qiF -- "$2" "$TS_TMP/$1.html" "$TS_TMP/$1.h" ||
		ts_fail "'$2' not in $1: $(cat "$TS_TMP/$1.h" "$TS_TMP/$1.html")"
}
hasnt() {
	! grep -qF -- "$2" "$TS_TMP/$1.html" || ts_fail "'$2' in $1 (not escaped?)"
}
inspect() { # inspect FILE: tessera inspect's verdict in $TS_TMP/out
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	"$TS_BUILDDIR/tessera" inspect "$1" --idp fixture --at "$now" --config "$TS_TMP/t.conf" \
		>"$TS_TMP/out" 2>&1 || ts_fail "inspect refused the token: $(cat "$TS_TMP/out")"
	shift
	for line in "result: valid" "$@"; do
		grep -qxF "$line" "$TS_TMP/out" || ts_fail "missing '$line' in: $(cat "$TS_TMP/out")"
	done
}

"$idp" keys "$TS_TMP/keys" >/dev/null
cat >"$TS_TMP/t.conf" <<CONF
[idp fixture]
metadata = $TS_TMP/keys/idp-metadata.xml
CONF

"$idp" serve --keys "$TS_TMP/keys" >"$TS_TMP/serve.out" 2>"$TS_TMP/serve.log" &
pid=$!
TS_PIDS="$TS_PIDS $pid"
ts_wait_until 20 grep -q '^tessera-idp: listening on http://127\.0\.0\.1:[0-9]*/$' \
	"$TS_TMP/serve.out" || ts_fail "serve did not start: $(cat "$TS_TMP/serve.log")"
base=$(sed -n 's|^tessera-idp: listening on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' \
	"$TS_TMP/serve.out")

# SAML 2.0: the login page keeps the request (and RelayState, escaped).
py request _req42 "$acs" "$sp" 0 >"$TS_TMP/req.xml"
q=$(py redirect "$evil" <"$TS_TMP/req.xml")
get login "/adfs/ls/?$q"
want_status 200 "login page" login
has login '<form method="post" action="/adfs/ls/login">'
has login 'name="password"'
has login '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
hasnt login "$evil"

# A wrong password: the page again, with the reason.
py login "$TS_TMP/login.html" alice wrong-password >"$TS_TMP/bad.txt"
post bad /adfs/ls/login "$TS_TMP/bad.txt"
want_status 200 "wrong password" bad
has bad 'X-Tessera-Idp-Error: BAD_CREDENTIALS'
has bad 'wrong password'
has bad '<form method="post" action="/adfs/ls/login">'

# alice: the auto-post page carries a token tessera accepts.
py login "$TS_TMP/login.html" alice alice-password >"$TS_TMP/good.txt"
post token /adfs/ls/login "$TS_TMP/good.txt"
want_status 200 "alice's login" token
[ "$(py action "$TS_TMP/token.html")" = "$acs" ] || ts_fail "auto-post goes elsewhere"
has token "<form method=\"post\" action=\"$acs\">"
has token '<noscript>'
has token 'document.forms[0].submit()'
has token 'name="SAMLResponse"'
has token '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;'
hasnt token "$evil"
py post "$TS_TMP/token.html" >"$TS_TMP/saml2.txt"
inspect "$TS_TMP/saml2.txt" "subject: alice@example.test" "upn: alice@example.test" \
	"protocol: saml2" "mfa: no"
py saml "$TS_TMP/token.html" >"$TS_TMP/saml2.xml"
grep -qF 'InResponseTo="_req42"' "$TS_TMP/saml2.xml" || ts_fail "no InResponseTo=_req42"
grep -qF "Destination=\"$acs\"" "$TS_TMP/saml2.xml" || ts_fail "no Destination"
grep -qF 'S-1-5-21-1004336348-1177238915-682003330-1104' "$TS_TMP/saml2.xml" ||
	ts_fail "no primarysid for alice"

# WS-Fed: bob, SAML 1.1 in an RSTR, posted to wreply with wctx.
get wlogin "/adfs/ls/?$(py wsfed ctx-1)"
want_status 200 "WS-Fed login page" wlogin
has wlogin 'name="wtrealm"'
py login "$TS_TMP/wlogin.html" bob bob-password >"$TS_TMP/wgood.txt"
post wtoken /adfs/ls/login "$TS_TMP/wgood.txt"
want_status 200 "bob's WS-Fed login" wtoken
[ "$(py action "$TS_TMP/wtoken.html")" = "$wreply" ] || ts_fail "WS-Fed auto-post goes elsewhere"
has wtoken 'name="wresult"'
has wtoken 'name="wctx" value="ctx-1"'
py post "$TS_TMP/wtoken.html" >"$TS_TMP/wsfed.txt"
inspect "$TS_TMP/wsfed.txt" "subject: bob@example.test" "protocol: wsfed-saml11" "mfa: no"

# MFA asked for: no code, a wrong code, then the code.
py request _req43 "$acs" "$sp" 1 >"$TS_TMP/mreq.xml"
get mlogin "/adfs/ls/?$(py redirect '' <"$TS_TMP/mreq.xml")"
want_status 200 "MFA login page" mlogin
py login "$TS_TMP/mlogin.html" alice alice-password >"$TS_TMP/m0.txt"
post m0 /adfs/ls/login "$TS_TMP/m0.txt"
want_status 200 "MFA without a code" m0
has m0 'X-Tessera-Idp-Error: MFA_REQUIRED'
has m0 '<!-- tessera-idp-error: MFA_REQUIRED -->'
py login "$TS_TMP/mlogin.html" alice alice-password 654321 >"$TS_TMP/m1.txt"
post m1 /adfs/ls/login "$TS_TMP/m1.txt"
has m1 'X-Tessera-Idp-Error: MFA_WRONG'
py login "$TS_TMP/mlogin.html" alice alice-password 123456 >"$TS_TMP/m2.txt"
post m2 /adfs/ls/login "$TS_TMP/m2.txt"
want_status 200 "MFA with the code" m2
py post "$TS_TMP/m2.html" >"$TS_TMP/mfa.txt"
inspect "$TS_TMP/mfa.txt" "subject: alice@example.test" "mfa: yes"
py saml "$TS_TMP/m2.html" | grep -qF 'InResponseTo="_req43"' || ts_fail "no InResponseTo=_req43"
get wm "/adfs/ls/?$(py wsfed ctx-2 http://schemas.microsoft.com/claims/multipleauthn)"
py login "$TS_TMP/wm.html" bob bob-password >"$TS_TMP/wm0.txt"
post wm0 /adfs/ls/login "$TS_TMP/wm0.txt"
has wm0 'X-Tessera-Idp-Error: MFA_REQUIRED'

# Requests refused before any page: DOCTYPE, a script URL as ACS, junk,
# a duplicated field, no request at all.
printf '%s' '<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>' >"$TS_TMP/dtd.xml"
get r1 "/adfs/ls/?$(py redirect '' <"$TS_TMP/dtd.xml")"
want_status 400 "DOCTYPE request" r1
has r1 SAML_DOCTYPE
py request _r javascript:alert%281%29 "$sp" 0 >"$TS_TMP/js.xml"
get r2 "/adfs/ls/?$(py redirect '' <"$TS_TMP/js.xml")"
want_status 400 "javascript: ACS" r2
get r3 "/adfs/ls/?SAMLRequest=bm90IGRlZmxhdGU%3D"
want_status 400 "not deflate" r3
has r3 SAML_INFLATE
get r4 "/adfs/ls/?$q&$q"
want_status 400 "SAMLRequest twice" r4
get r5 "/adfs/ls/"
want_status 400 "no request" r5

# Metadata is the file keys wrote.
get md /FederationMetadata/2007-06/FederationMetadata.xml
want_status 200 metadata md
cmp -s "$TS_TMP/md.html" "$TS_TMP/keys/idp-metadata.xml" || ts_fail "metadata differs from the file"

# 404, 405 (with Allow), 413 past 64 KiB.
get nf /nope
want_status 404 "unknown path" nf
get na /adfs/ls/login
want_status 405 "GET on the login endpoint" na
has na 'Allow: POST'
head -c 70000 /dev/zero | tr '\0' a >"$TS_TMP/big.txt"
post big /adfs/ls/login "$TS_TMP/big.txt"
want_status 413 "70000-byte body" big

# SIGTERM: a clean stop, exit 0 (under the sanitizers: no leak either).
kill -TERM "$pid"
ts_wait_exit "$pid" 20 || ts_fail "serve did not stop on SIGTERM"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 0 ] || ts_fail "serve exit $rc after SIGTERM: $(tail -n 30 "$TS_TMP/serve.log")"
grep -q 'event=stopping signal=TERM' "$TS_TMP/serve.log" || ts_fail "no stopping line"
grep -q 'event=signed_in user=bob protocol=wsfed' "$TS_TMP/serve.log" || ts_fail "no sign-in line"
echo "PASS: idp_serve"
