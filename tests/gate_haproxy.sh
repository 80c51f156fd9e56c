#!/bin/sh
# The gate for real: HAProxy with conf/haproxy/ (TLS, SPOE to tesserad's
# agent) in front of two emulated pools, lync1.test at stage legacy and
# lync2.test at stage passive, and of tesserad itself (broker.test and
# /.tessera/ on pool hosts). What a client gets is what the pool or the gate
# answered; what reached a pool is in its log (the request line, with the
# X-Tessera-* headers it received).
. "$TS_SRCDIR/tests/signin_lib.sh"
. "$TS_SRCDIR/tests/haproxy_lib.sh"
command -v haproxy >/dev/null || ts_skip "haproxy not found"
command -v openssl >/dev/null || ts_skip "openssl not found"
[ -n "${SYSTEM_PYTHON3:-}" ] || ts_skip "python3 not found"
[ -x "$TS_BUILDDIR/tessera-pool" ] || ts_fail "no tessera-pool"
PC="$SYSTEM_PYTHON3 $TS_SRCDIR/tests/pool_client.py"

ts_start_gate_stack

SVC=/WebTicket/WebTicketService.svc
$PC rst https://lync1.test/WebTicket/WebTicketService.svc >"$TS_TMP/rst.xml"

# --- legacy pool: everything passes, NTLM end to end ----------------------
[ "$(h n1 --ntlm -u 'EXAMPLE\alice:alice-password' -H 'Content-Type: text/xml' \
	--data-binary "@$TS_TMP/rst.xml" "https://lync1.test$SVC")" = 200 ] ||
	ts_fail "curl --ntlm through the gate: $(cat "$TS_TMP/n1.h" "$TS_TMP/n1.b")"
grep -q '>sip:alice@example.test</saml:NameIdentifier>' "$TS_TMP/n1.b" || ts_fail "not alice's ticket"
grep -q 'event=gate_decision .*pool=lync1 .*kind=ntlm .*outcome=allow' "$TS_TMP/tesserad.log" ||
	ts_fail "NTLM not judged as such: $(grep gate_decision "$TS_TMP/tesserad.log" | tail -3)"

# 20 clients at once, alice and bob, three requests each on one connection
# (curl repeats the handshake per request), and anonymous clients among
# them: every answer is its own user's; no anonymous request gets a ticket.
ntlm_client() { # I: prints a line for each wrong answer
	if [ $(($1 % 4)) = 3 ]; then
		for k in 1 2 3; do
			code=$(hc -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' \
				--data-binary "@$TS_TMP/rst.xml" "https://lync1.test$SVC")
			[ "$code" = 401 ] || echo "anonymous $1 got $code"
		done
		return
	fi
	u=alice
	[ $(($1 % 2)) = 0 ] || u=bob
	hc --ntlm -u "EXAMPLE\\$u:$u-password" -H 'Content-Type: text/xml' \
		--data-binary "@$TS_TMP/rst.xml" -o "$TS_TMP/par.$1.1" "https://lync1.test$SVC" \
		-o "$TS_TMP/par.$1.2" "https://lync1.test$SVC" -o "$TS_TMP/par.$1.3" "https://lync1.test$SVC"
	for k in 1 2 3; do
		grep -q ">sip:$u@example.test<" "$TS_TMP/par.$1.$k" 2>/dev/null || echo "$u $1.$k wrong"
	done
}
i=0
pids=""
while [ $i -lt 20 ]; do
	ntlm_client $i >"$TS_TMP/par.$i.out" 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
for p in $pids; do wait "$p"; done
cat "$TS_TMP"/par.*.out >"$TS_TMP/par.all"
[ ! -s "$TS_TMP/par.all" ] || ts_fail "parallel NTLM: $(head -5 "$TS_TMP/par.all")"

# A body longer than one buffer is never judged by its first part: in
# legacy it passes on (to the pool), in passive it is refused below.
head -c 70000 /dev/zero | tr '\0' x | sed 's/^/grant_type=password\&pad=/' >"$TS_TMP/big.txt"
[ "$(h b1 --data-binary "@$TS_TMP/big.txt" https://lync1.test/WebTicket/oauthtoken)" != 503 ] &&
	[ -n "$(reached pool1 /WebTicket/oauthtoken)" ] || ts_fail "legacy: big body did not pass"

# --- passive pool: legacy kinds get the pool's own refusals ----------------
[ "$(h p1 --ntlm -u 'EXAMPLE\alice:alice-password' -H 'Content-Type: text/xml' \
	--data-binary "@$TS_TMP/rst.xml" "https://lync2.test$SVC")" = 500 ] &&
	grep -q 'OCSDiagnosticsFault' "$TS_TMP/p1.b" || ts_fail "passive NTLM: $(cat "$TS_TMP/p1.h" "$TS_TMP/p1.b")"
hdr_exact p1 'X-Ms-diagnostics: 28029;source="lync2.test";reason="Authentication type not allowed."'
hdr_exact p1 'Content-Type: text/xml; charset=utf-8'
for grant in password urn:microsoft.rtc:windows; do
	[ "$(h p2 --data "grant_type=$grant&username=alice&password=alice-password" \
		https://lync2.test/WebTicket/oauthtoken)" = 400 ] &&
		[ "$(cat "$TS_TMP/p2.b")" = '{"error":"unsupported_grant_type"}' ] ||
		ts_fail "passive $grant: $(cat "$TS_TMP/p2.h" "$TS_TMP/p2.b")"
	hdr_exact p2 'X-Ms-diagnostics: 28029;'
done
$PC auth alice alice-password https://lync2.test/WebTicket/WebTicketService.svc >"$TS_TMP/auth.xml"
[ "$(h p3 -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/auth.xml" "https://lync2.test$SVC/Auth")" = 500 ] &&
	grep -q OCSDiagnosticsFault "$TS_TMP/p3.b" || ts_fail "passive /Auth: $(cat "$TS_TMP/p3.b")"
[ "$(h p4 --data-binary "@$TS_TMP/big.txt" https://lync2.test/WebTicket/oauthtoken)" = 400 ] ||
	ts_fail "passive: big body not refused: $(cat "$TS_TMP/p4.b")"
[ "$(h p5 https://lync2.test/ucwa/oauth/v1/applications)" = 401 ] &&
	[ "$(grep -ci '^www-authenticate:' "$TS_TMP/p5.h")" = 2 ] || ts_fail "UCWA challenge: $(cat "$TS_TMP/p5.h")"
hdr_exact p5 'WWW-Authenticate: MsRtcOAuth href="https://lync2.test/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting"'
[ "$(h p6 -H 'Accept: text/xml' https://lync2.test/Autodiscover/AutodiscoverService.svc/root/user)" = 401 ] ||
	ts_fail "XML Autodiscover: $(cat "$TS_TMP/p6.h")"
hdr_exact p6 'X-MS-WebTicketURL: https://lync2.test/WebTicket/WebTicketService.svc'
[ "$(h p7 https://lync2.test/GroupExpansion/service.svc)" = 403 ] || ts_fail "other path: $(cat "$TS_TMP/p7.h")"
hdr_exact p7 'X-Ms-diagnostics: 28029;'
[ -z "$(reached pool2 "$SVC")" ] && [ -z "$(reached pool2 /WebTicket/oauthtoken)" ] ||
	ts_fail "a refused request reached the pool: $(grep event=request "$TS_TMP/pool2.log")"

# Anonymous paths pass.
[ "$(h a1 "https://lync2.test$SVC/mex")" = 200 ] || ts_fail "mex: $(cat "$TS_TMP/a1.b")"
[ "$(h a2 https://lync2.test/)" = 200 ] || ts_fail "lyncdiscover root"

# Path tricks are judged on the path the pool serves.
for p in '/meet/../ucwa' '/meet/%2e%2e/ucwa' '/meet/%2E%2E/ucwa' '//ucwa' '/UCWA' \
	'/meet/..%2Fucwa' '/PassiveAuth/..%5Cucwa' '/ucwa.' '/Meet/%252e%252e/ucwa'; do
	code=$(h t1 --path-as-is "https://lync2.test$p")
	case "$code" in 401 | 403) ;; *) ts_fail "$p passed the gate ($code)" ;; esac
done

# The passive sign-in, all of it through HAProxy: oauthtoken 400 28020 →
# PassiveAuth → broker.test/adfs/ls/ → IdP → /saml/acs → the pool's
# /passiveauth/ → oauthtoken 200 cwt= → /ucwa with it.
cwt=$(passive_signin lync2.test)
[ "$(h s7 -H "Authorization: Bearer $cwt" https://lync2.test/ucwa)" = 200 ] ||
	ts_fail "UCWA with the pool ticket: $(cat "$TS_TMP/s7.b")"
sso=$(cat "$TS_TMP/sso")
reached pool2 /ucwa | grep -q 'gate="\?[^ ]*auth=pool-ticket' ||
	ts_fail "pool ticket not marked: $(reached pool2 /ucwa)"
# The same token posted from another site's page (login CSRF) stops at the
# gate, named and logged; the pool sees no second post.
posts=$(grep -c 'path=/passiveauth/ ' "$TS_TMP/pool2.log")
[ "$(h s8 -H 'Origin: https://evil.test' --data-binary "@$TS_TMP/post.txt" \
	https://lync2.test/passiveauth/)" = 403 ] || ts_fail "foreign post: $(cat "$TS_TMP/s8.h")"
[ "$(grep -c 'path=/passiveauth/ ' "$TS_TMP/pool2.log")" = "$posts" ] ||
	ts_fail "a foreign post reached the pool: $(reached pool2 /passiveauth/)"
grep -q 'event=gate_decision error=GATE_ORIGIN_FOREIGN .*pool=lync2 .*kind=unknown .*outcome=refuse' \
	"$TS_TMP/tesserad.log" || ts_fail "foreign post not logged"

# CertProv with a pool web ticket in wsse:Security passes to the pool;
# without one it is refused by the gate.
$PC assertion "$TS_TMP/n1.b" >"$TS_TMP/ticket.xml"
$PC csr "$TS_TMP/tls/site.key" >"$TS_TMP/csr.txt"
$PC certprov "$TS_TMP/ticket.xml" "$(cat "$TS_TMP/csr.txt")" sip:alice@example.test >"$TS_TMP/cp.xml"
h c1 -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/cp.xml" \
	https://lync2.test/CertProv/CertProvisioningService.svc >/dev/null
reached pool2 /CertProv/CertProvisioningService.svc | grep -q 'auth=pool-ticket' ||
	ts_fail "CertProv with a ticket did not reach the pool: $(cat "$TS_TMP/c1.b")"
$PC certprov - "$(cat "$TS_TMP/csr.txt")" sip:alice@example.test >"$TS_TMP/cp0.xml"
[ "$(h c2 -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/cp0.xml" \
	https://lync2.test/CertProv/CertProvisioningService.svc)" = 500 ] ||
	ts_fail "CertProv without a ticket: $(cat "$TS_TMP/c2.b")"

# Tessera tickets: the pool's own passes with identity headers (a client's
# X-Tessera-User never reaches the pool); another pool's and a revoked one
# are refused.
ticket_for() { # POOL HOST: the __Host-tessera cookie for POOL, by the SSO session
	h "t-$1" -H "Cookie: $JAR; __Host-tessera-sso=$sso" "https://broker.test/signin?pool=$1&return=/ucwa&bind=$BIND" >/dev/null
	loc=$(header "t-$1" Location)
	h "u-$1" "https://$2/.tessera/session?code=$(query "$loc" code)&return=/ucwa" >/dev/null
	cookie "u-$1" __Host-tessera
}
tk2=$(ticket_for lync2 lync2.test)
tk1=$(ticket_for lync1 lync1.test)
[ -n "$tk2" ] && [ -n "$tk1" ] || ts_fail "no Tessera tickets: $(cat "$TS_TMP/u-lync2.h")"
h k1 -H "Cookie: __Host-tessera=$tk2" -H 'X-Tessera-User: mallory' -H 'x-tessera-auth: ntlm' \
	-H 'X_Tessera_Upn: mallory@evil.test' \
	https://lync2.test/ucwa/v1/me >/dev/null
line=$(reached pool2 /ucwa/v1/me)
echo "$line" | grep -qi 'user=alice@example.test;.*auth=tessera-ticket' ||
	ts_fail "identity headers not at the pool: $line"
! grep -qi mallory "$TS_TMP/pool2.log" || ts_fail "a spoofed X-Tessera-User reached the pool"
# The pool's own 401 (it knows no Tessera ticket) is rewritten in passive to
# offer passive and anonymous sign-in only; in legacy it is left alone.
[ "$(tr -d '\r' <"$TS_TMP/k1.h" | head -n 1)" = "HTTP/1.1 401 Unauthorized" ] ||
	ts_fail "the pool's answer: $(cat "$TS_TMP/k1.h")"
hdr_exact k1 'WWW-Authenticate: MsRtcOAuth href="https://lync2.test/WebTicket/oauthtoken",grant_type="urn:microsoft.rtc:passive,urn:microsoft.rtc:anonmeeting"'
[ "$(h k0 -H "Cookie: __Host-tessera=$tk1" https://lync1.test/ucwa/v1/me)" = 401 ] &&
	grep -qi '^WWW-Authenticate: MsRtcOAuth .*grant_type=".*password' "$TS_TMP/k0.h" ||
	ts_fail "legacy challenge rewritten: $(cat "$TS_TMP/k0.h")"
[ "$(h k2 -H "Cookie: __Host-tessera=$tk1" https://lync2.test/ucwa/v1/other)" = 401 ] &&
	[ -z "$(reached pool2 /ucwa/v1/other)" ] || ts_fail "another pool's ticket passed"
# The sign-out link on the pool's page, followed through HAProxy.
[ "$(h k3 -H "Cookie: $JAR; __Host-tessera-sso=$sso" -H 'Sec-Fetch-Site: same-site' \
	-H 'Referer: https://lync2.test/app/' https://broker.test/signout)" = 302 ] ||
	ts_fail "sign-out from the pool's page: $(head -c 300 "$TS_TMP/k3.b")"
[ "$(h k4 -H "Cookie: __Host-tessera=$tk2" https://lync2.test/ucwa/v1/revoked)" = 401 ] &&
	[ -z "$(reached pool2 /ucwa/v1/revoked)" ] || ts_fail "a revoked ticket passed"

# A Host HAProxy would route one way and the gate judge another: refused.
[ "$(h x1 -H 'Host: lync1.test:443, lync2.test' --data 'grant_type=password&username=alice&password=alice-password' \
	https://lync2.test/WebTicket/oauthtoken)" = 400 ] && grep -q '<h1>400 Bad request</h1>' "$TS_TMP/x1.b" ||
	ts_fail "a two-valued Host passed: $(cat "$TS_TMP/x1.h")"
# The broker's operations are not published, however the path is spelled.
for p in /gate /metrics /%67ate /%6detrics; do
	[ "$(h x2 "https://broker.test$p")" = 404 ] || ts_fail "$p reachable through HAProxy"
done

# Sign-in starts are rate-limited per address (100 in 10 s): a flood from
# one source is refused by HAProxy (429, Retry-After) before it reaches the
# broker's store. A /signin without bind= stores nothing (it only sends the
# browser to bind itself) and is not counted, so a direct link counts once.
flood() { # NAME URL: 110 requests on one connection; their codes in NAME.codes
	out="$TS_TMP/$1.codes" u=$2
	set --
	for i in $(seq 110); do set -- "$@" -o /dev/null "$u"; done
	hc -w '%{http_code}\n' "$@" >"$out"
}
flood unbound "https://broker.test/signin?pool=lync1"
[ "$(grep -c '^302$' "$TS_TMP/unbound.codes")" = 110 ] ||
	ts_fail "a /signin without bind= was counted: $(sort "$TS_TMP/unbound.codes" | uniq -c)"
flood bound "https://broker.test/signin?pool=lync1&bind=$BIND"
[ "$(grep -c '^302$' "$TS_TMP/bound.codes")" -le 100 ] && grep -q '^429$' "$TS_TMP/bound.codes" ||
	ts_fail "sign-in flood not limited: $(sort "$TS_TMP/bound.codes" | uniq -c)"
[ "$(h fl1 "https://broker.test/signin?pool=lync1&bind=$BIND")" = 429 ] &&
	grep -qi '^retry-after: 10' "$TS_TMP/fl1.h" || ts_fail "no Retry-After on the 429"
# tesserad decodes the path and the query before routing: so does the limit;
# a query that does not decode counts.
for p in '/%73ignin?pool=lync1&bind=x' "/signin?pool=lync1&%62ind=$BIND" \
	"/signin?pool=lync1&bind%00=$BIND" "/signin?pool=lync1&BIND=$BIND" \
	"/signin?pool=%zz&bind=$BIND" '/adfs%2Fls/?wa=wsignin1.0'; do
	[ "$(h fl3 "https://broker.test$p")" = 429 ] || ts_fail "$p escaped the sign-in limit"
done
[ "$(h fl2 https://lync1.test/)" != 429 ] || ts_fail "the sign-in limit reached a pool host"

# Malformed NTLM is a verdict, not a crash.
for t in TlRMTVNTUAADAAAA 'TlRMTVNTUAADAAAAGAAYAP///w==' '!!!' \
	"$(head -c 30000 /dev/zero | tr '\0' A)"; do
	code=$(h m1 -H "Authorization: NTLM $t" "https://lync2.test$SVC")
	case "$code" in 500) ;; *) ts_fail "malformed NTLM '$(echo "$t" | cut -c1-20)': $code" ;; esac
done
kill -0 "$TS_TESSERAD_PID" || ts_fail "tesserad died"
"$CURL" -s "$B/metrics" | grep -q '^tessera_gate_decisions_total{pool="lync2",kind="ntlm",outcome="refuse"} [1-9]' ||
	ts_fail "gate decisions not in /metrics: $("$CURL" -s "$B/metrics" | grep gate_)"

# HAProxy's health checks reach the agent: ready.
ts_wait_until 10 sh -c "[ \"\$(\"$CURL\" -s -o /dev/null -w '%{http_code}' $B/readyz)\" = 200 ]" ||
	ts_fail "/readyz: $("$CURL" -s "$B/readyz")"

# --- agent down: fail closed, with a log line --------------------------------
kill -TERM "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad did not stop"
[ "$(h d1 https://lync1.test/)" = 503 ] || ts_fail "agent down: $(cat "$TS_TMP/d1.h")"
ts_wait_until 10 grep -q ' 503 .*gate=- .*spoe_error=' "$TS_TMP/haproxy.log" ||
	ts_fail "no log line for the 503: $(tail -3 "$TS_TMP/haproxy.log")"
echo "PASS: gate_haproxy"
