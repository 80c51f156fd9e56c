#!/bin/sh
# GET /gate on a running tesserad: the verdict from X-Original-* headers for
# a legacy pool, a passive SfB pool, an audited one and a passive web
# upstream; the answers a pool would give; Tessera tickets from the real
# sign-in flow (valid, for another pool, expired, revoked by sign-out);
# /metrics; no credential in the log.
. "$TS_SRCDIR/tests/signin_lib.sh"
CORPUS="$TS_SRCDIR/tests/fuzz/corpus/ntlm"

"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/idp" >/dev/null
ts_broker_config "$TS_TMP/tessera.conf"
cat >>"$TS_TMP/tessera.conf" <<CONF
[pool gated]
host = gated.test
idp = fx
stage = passive
gate_hosts = lyncdiscover.gated.test
[pool app]
host = app.test
idp = fx
stage = passive
upstream = web
anonymous_paths = /public/*
[pool audited]
host = audited.test
idp = fx
stage = audit
CONF
ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad.log"
B="http://127.0.0.1:$TS_PORT"

# gate NAME METHOD HOST URI [curl args...]: asks /gate, prints the status.
gate() {
	n=$1 m=$2 h=$3 u=$4
	shift 4
	get "$n" "$B/gate" -H "X-Original-Method: $m" -H "X-Original-Host: $h" \
		-H "X-Original-URI: $u" -H "X-Forwarded-For: 198.51.100.9, 192.0.2.44" "$@"
}
expect() { # NAME STATUS WHAT
	[ "$(cat "$TS_TMP/$1.status")" = "$2" ] ||
		ts_fail "$3: status $(cat "$TS_TMP/$1.status"), want $2: $(head -c 400 "$TS_TMP/$1.b")"
}
run() { # NAME METHOD HOST URI [curl args...]: gate, keeping the status
	gate "$@" >"$TS_TMP/$1.status"
}
verdict() { header "$1" X-Tessera-Gate; }

ntlm3=$(base64 -w0 "$CORPUS/curl-type3-oem.bin")

# --- the request itself ---------------------------------------------------
[ "$(get bad "$B/gate")" = 400 ] && grep -q GATE_REQUEST "$TS_TMP/bad.b" || ts_fail "no X-Original-*"

# --- legacy pool: everything passes, named by kind --------------------------
run l1 POST lync1.test /WebTicket/WebTicketService.svc -H "Authorization: NTLM $ntlm3"
expect l1 200 "legacy NTLM"
[ "$(header l1 X-Tessera-Auth)" = ntlm ] || ts_fail "legacy kind: $(verdict l1)"
[ -z "$(header l1 X-Tessera-User)" ] || ts_fail "NTLM user sent upstream unverified"
grep -q 'event=gate_decision.*pool=lync1.*kind=ntlm.*outcome=allow.*user=alice domain=DOM' \
	"$TS_TMP/tesserad.log" || ts_fail "legacy NTLM use not logged with its user"
grep -q 'source=192.0.2.44' "$TS_TMP/tesserad.log" || ts_fail "source not the last XFF hop"

# --- passive SfB pool: the pool's own refusals ------------------------------
run p1 POST gated.test /WebTicket/WebTicketService.svc -H "Authorization: NTLM $ntlm3"
expect p1 500 "passive NTLM on WebTicketService"
grep -q '<OCSDiagnosticsFault xmlns="urn:component:Microsoft.Rtc.WebAuthentication.2010"' \
	"$TS_TMP/p1.b" || ts_fail "no OCSDiagnosticsFault: $(cat "$TS_TMP/p1.b")"
[ "$(header p1 X-Ms-diagnostics)" = '28029;source="gated.test";reason="Authentication type not allowed."' ] ||
	ts_fail "diagnostics: $(header p1 X-Ms-diagnostics)"
case "$(verdict p1)" in "refuse; kind=ntlm; error=GATE_KIND_REFUSED") ;; *) ts_fail "p1: $(verdict p1)" ;; esac

# POST oauthtoken: /gate never sees the body, so the grant is unknown.
run p2 POST gated.test /WebTicket/oauthtoken
expect p2 400 "oauthtoken without body"
[ "$(cat "$TS_TMP/p2.b")" = '{"error":"unsupported_grant_type"}' ] || ts_fail "oauth body"
verdict p2 | grep -q 'kind=unknown; error=GATE_BODY_INCOMPLETE' || ts_fail "p2: $(verdict p2)"

# UCWA and JSON Autodiscover without a ticket: both challenges.
run p3 GET lyncdiscover.gated.test /ucwa/oauth/v1/applications
expect p3 401 "UCWA without ticket"
tr -d '\r' <"$TS_TMP/p3.h" | grep -qx 'WWW-Authenticate: Bearer trusted_issuers="",client_id="00000004-0000-0ff1-ce00-000000000000"' ||
	ts_fail "Bearer challenge: $(cat "$TS_TMP/p3.h")"
tr -d '\r' <"$TS_TMP/p3.h" | grep -qx 'WWW-Authenticate: MsRtcOAuth href="https://gated.test/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting"' ||
	ts_fail "MsRtcOAuth challenge: $(cat "$TS_TMP/p3.h")"

# XML Autodiscover: X-MS-WebTicketURL.
run p4 GET gated.test /Autodiscover/AutodiscoverService.svc/root/user \
	-H 'Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1'
expect p4 401 "XML Autodiscover"
[ "$(header p4 X-MS-WebTicketURL)" = https://gated.test/WebTicket/WebTicketService.svc ] ||
	ts_fail "X-MS-WebTicketURL: $(cat "$TS_TMP/p4.h")"

# Pool tickets and anonymous paths pass; path tricks do not.
run p5 GET gated.test /ucwa/oauth/v1/applications -H 'Authorization: Bearer cwt=AAEBHAEFAAAAAAAFFQAAAA'
expect p5 200 "pool ticket"
[ "$(header p5 X-Tessera-Auth)" = pool-ticket ] || ts_fail "p5: $(verdict p5)"
run p6 GET gated.test '/PassiveAuth/PassiveAuth.aspx?x=1'
expect p6 200 "passiveauth"
[ "$(header p6 X-Tessera-Auth)" = anonymous ] || ts_fail "p6: $(verdict p6)"
run p6b POST gated.test /passiveauth/ -H 'Origin: https://evil.test'
expect p6b 403 "token posted from another site"
verdict p6b | grep -q 'error=GATE_ORIGIN_FOREIGN' || ts_fail "p6b: $(verdict p6b)"
run p6c POST gated.test /passiveauth/ -H 'Origin: https://broker.test'
expect p6c 200 "token posted from the broker's page"
# In audit it passes, logged at info as what passive would refuse.
run p6f POST audited.test /passiveauth/ -H 'Origin: https://evil.test'
expect p6f 200 "audit refused a foreign post"
grep -q 'level=info event=gate_decision error=GATE_ORIGIN_FOREIGN pool=audited stage=audit .*would_refuse=yes' \
	"$TS_TMP/tesserad.log" || ts_fail "audit did not log the foreign post at info"
# Every copy of a header is read, as over SPOP: a second Origin or a second
# credential is seen, not hidden behind the first.
run p6d POST gated.test /passiveauth/ -H 'Origin: https://broker.test' -H 'Origin: https://evil.test'
expect p6d 403 "a second Origin"
verdict p6d | grep -q 'error=GATE_ORIGIN_FOREIGN' || ts_fail "p6d: $(verdict p6d)"
run p6e GET gated.test /ucwa/oauth/v1/applications -H 'Authorization: Bearer cwt=AAEBHAEFAAAAAAAFFQAAAA' \
	-H "Authorization: NTLM $ntlm3"
verdict p6e | grep -q 'refuse; kind=unknown; error=GATE_CREDENTIAL_TWICE' ||
	ts_fail "p6e: a second Authorization: $(verdict p6e)"
i=0
set --
while [ $i -lt 60 ]; do set -- "$@" -H "Cookie: c$i=v"; i=$((i + 1)); done
run p6f GET gated.test /ucwa "$@"
expect p6f 400 "60 Cookie headers"
grep -q GATE_REQUEST "$TS_TMP/p6f.b" || ts_fail "p6f: $(head -c 300 "$TS_TMP/p6f.b")"
run p7 GET gated.test '/meet/..%2Fucwa/oauth/v1/applications'
expect p7 403 "encoded slash"
verdict p7 | grep -q GATE_PATH_AMBIGUOUS || ts_fail "p7: $(verdict p7)"
run p8 GET gated.test '/meet/%2e%2e/ucwa/oauth/v1/applications'
expect p8 401 "dot segments resolved to /ucwa"
run p9 GET unknown.test /
expect p9 403 "unknown host"
verdict p9 | grep -q GATE_HOST_UNKNOWN || ts_fail "p9: $(verdict p9)"

# --- Tessera tickets from the sign-in flow ----------------------------------
get s1 "$B/signin?pool=app&return=/x&bind=$BIND" >/dev/null
id=$(query "$(header s1 Location)" RelayState)
sign_for "$id" >"$TS_TMP/r1.txt"
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 302 ] || ts_fail "acs: $(cat "$TS_TMP/a1.b")"
sso=$(cookie a1 __Host-tessera-sso)
code=$(query "$(header a1 Location)" code)
[ "$(get h1 "$B/.tessera/session?code=$code" -H 'Host: app.test')" = 302 ] || ts_fail "hand-over"
app_ticket=$(cookie h1 __Host-tessera)
get s2 "$B/signin?pool=lync1&return=/y&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$sso" >/dev/null
code=$(query "$(header s2 Location)" code)
[ "$(get h2 "$B/.tessera/session?code=$code" -H 'Host: lync1.test')" = 302 ] || ts_fail "hand-over 2"
lync1_ticket=$(cookie h2 __Host-tessera)
[ -n "$app_ticket" ] && [ -n "$lync1_ticket" ] || ts_fail "no pool tickets"

BROWSER='User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
# Valid: identity headers, replacing the client's own X-Tessera-User.
run t1 GET app.test /reports -H "Cookie: __Host-tessera=$app_ticket" -H "$BROWSER" \
	-H 'X-Tessera-User: admin@example.test'
expect t1 200 "valid ticket"
[ "$(header t1 X-Tessera-User)" = alice@example.test ] || ts_fail "user: $(cat "$TS_TMP/t1.h")"
[ "$(header t1 X-Tessera-Sid)" = S-1-5-21-1004336348-1177238915-682003330-1104 ] || ts_fail "sid"
[ "$(header t1 X-Tessera-Auth)" = tessera-ticket ] || ts_fail "auth"
[ "$(tr -d '\r' <"$TS_TMP/t1.h" | grep -ci '^x-tessera-user:')" = 1 ] || ts_fail "two X-Tessera-User"
grep -q 'event=gate_spoofed_identity' "$TS_TMP/tesserad.log" || ts_fail "spoof not logged"
run t2 GET app.test /reports -H "Authorization: Bearer $app_ticket"
expect t2 200 "valid Bearer"
# Another pool's ticket: a browser is sent to sign in, a client gets 401.
run t3 GET app.test '/reports?q=1' -H "Cookie: __Host-tessera=$lync1_ticket" -H "$BROWSER"
expect t3 302 "other pool's ticket"
[ "$(header t3 Location)" = '/.tessera/signin?return=/reports%3Fq%3D1' ] || ts_fail "signin: $(header t3 Location)"
verdict t3 | grep -q TICKET_AUDIENCE || ts_fail "t3: $(verdict t3)"
# ... and /.tessera/signin on the pool host sends it on to the broker.
[ "$(get si "$B/.tessera/signin?return=/reports%3Fq%3D1" -H 'Host: app.test')" = 302 ] ||
	ts_fail "/.tessera/signin: $(cat "$TS_TMP/si.b")"
[ "$(header si Location)" = "https://broker.test/signin?pool=app&return=%2Freports%3Fq%3D1&bind=$BIND" ] ||
	ts_fail "/.tessera/signin to: $(header si Location)"
[ "$(get si2 "$(header si Location | sed "s|https://broker.test|$B|")")" = 302 ] ||
	ts_fail "/signin refused the gate's return path: $(cat "$TS_TMP/si2.b")"
[ "$(get si3 "$B/.tessera/signin?return=/x" -H 'Host: nowhere.test')" = 403 ] ||
	ts_fail "/.tessera/signin on an unknown host"
run t4 GET app.test /api -H "Authorization: Bearer $lync1_ticket"
expect t4 401 "other pool's ticket, no browser"
run t5 GET app.test /public/logo.png
expect t5 200 "web anonymous path"
# Expired: signed with the broker's own key by PyJWT, exp an hour ago.
if "$PY" -c 'import jwt, cryptography' 2>/dev/null; then
	key=$(ls "$TS_TMP/keys"/*.key | head -n 1)
	expired=$("$PY" - "$key" <<'PY'
import json, os, sys, time, uuid
import jwt
key = sys.argv[1]
kid = os.path.basename(key)[:-4]
now = int(time.time())
claims = {"iss": "https://broker.test", "sub": "bob@example.test", "aud": "app",
          "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600, "jti": uuid.uuid4().hex}
print(jwt.encode(claims, open(key, "rb").read(), algorithm="EdDSA", headers={"kid": kid}))
PY
)
	run t6 GET app.test /api -H "Authorization: Bearer $expired"
	expect t6 401 "expired ticket"
	verdict t6 | grep -q TICKET_EXPIRED || ts_fail "t6: $(verdict t6)"
else
	echo "note: expired-ticket case skipped (no PyJWT)" >&2
fi
# Revoked: sign-out revokes every ticket of the session.
[ "$(get o1 "$B/signout" -H "Cookie: __Host-tessera-sso=$sso" -H "Sec-Fetch-Site: none")" = 302 ] || ts_fail "signout"
run t7 GET app.test /reports -H "Cookie: __Host-tessera=$app_ticket"
expect t7 401 "revoked ticket"
verdict t7 | grep -q TICKET_REVOKED || ts_fail "t7: $(verdict t7)"

# --- metrics, and no credential in the log ------------------------------------
get m "$B/metrics" >/dev/null
grep -q '^tessera_gate_decisions_total{pool="gated",kind="ntlm",outcome="refuse"} 1$' "$TS_TMP/m.b" ||
	ts_fail "metrics: $(grep gate "$TS_TMP/m.b")"
grep -q '^tessera_gate_decisions_total{pool="app",kind="tessera-ticket",outcome="allow"} 2$' "$TS_TMP/m.b" ||
	ts_fail "metrics: $(grep gate "$TS_TMP/m.b")"
for secret in "$ntlm3" "$app_ticket" "$lync1_ticket"; do
	! grep -qF "$secret" "$TS_TMP/tesserad.log" || ts_fail "a credential reached the log"
done
echo "PASS: gate_http"
