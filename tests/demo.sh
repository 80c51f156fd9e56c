#!/bin/sh
# The README demo: scripts/demo (what `scripts/quickstart demo` runs after
# building) starts the fixture IdP, tesserad, two emulated pools and HAProxy,
# and the README's curl walk-throughs, extracted and run as written, sign
# alice in to pool lync, bob in to the emulated SfB pool through Tessera's
# STS, and show NTLM passing the gate at the legacy pool and refused, in the
# pool's own words, at the passive one.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
PY=${SYSTEM_PYTHON3:-python3}

command -v haproxy >/dev/null || ts_skip "haproxy not found"
# Free loopback ports (the demo's URLs must name real ports).
set -- $("$PY" -c 'import socket
s = [socket.socket() for _ in range(6)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
port=$1 idp_port=$2 pool_port=$3 spop_port=$4 pool2_port=$5 https_port=$6

DEMO_DIR="$TS_TMP/demo" DEMO_PORT=$port DEMO_IDP_PORT=$idp_port DEMO_POOL_PORT=$pool_port \
	DEMO_SPOP_PORT=$spop_port DEMO_POOL2_PORT=$pool2_port DEMO_HTTPS_PORT=$https_port \
	"$TS_SRCDIR/scripts/demo" "$TS_BUILDDIR" >"$TS_TMP/demo.out" 2>"$TS_TMP/demo.log" &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 30 grep -q 'event=listening' "$TS_TMP/demo.log" ||
	ts_fail "demo did not start: $(cat "$TS_TMP/demo.out" "$TS_TMP/demo.log")"
ts_wait_until 10 grep -q 'listening on' "$TS_TMP/demo/idp.out" || ts_fail "demo IdP did not start"
for p in pool pool2; do
	ts_wait_until 20 grep -qs 'listening on' "$TS_TMP/demo/$p.out" ||
		ts_fail "demo $p did not start: $(cat "$TS_TMP/demo/$p.log")"
done
# HAProxy answers once it is up (a verdict, or the pool's 200 through it).
ha_up() {
	[ "$("$CURL" -s -o /dev/null -w '%{http_code}' --cacert "$TS_TMP/demo/tls/ca.crt" \
		--connect-to "lync.example.test:443:127.0.0.1:$https_port" https://lync.example.test/)" = 200 ]
}
ts_wait_until 20 ha_up || ts_fail "HAProxy did not publish the pool: $(cat "$TS_TMP/demo/haproxy.log")"
[ "$(ts_http_status GET "http://127.0.0.1:$port/healthz")" = 200 ] || ts_fail "/healthz not 200"
grep -q "pools lync, lync2, lync-mfa, lync-wsfed" "$TS_TMP/demo.out" || ts_fail "demo banner"

# walk NAME: the README block NAME, with the test's ports, run as written
# from a copy of the clone's top (scripts/ beside the files it saves).
mkdir -p "$TS_TMP/top/scripts"
cp "$TS_SRCDIR/scripts/submit-form" "$TS_TMP/top/scripts/"
ln -s "$TS_TMP/demo" "$TS_TMP/top/demo"
ln -s "$TS_BUILDDIR" "$TS_TMP/top/build"
walk() {
	{
		[ -z "${2:-}" ] || cat "$2"
		sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$TS_SRCDIR/README.md"
	} |
		sed -e '/^<!--/d' -e '/^```/d' -e "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" \
		-e "s/127\.0\.0\.1:8443/127.0.0.1:$https_port/g" >"$TS_TMP/$1.sh"
	[ -s "$TS_TMP/$1.sh" ] || ts_fail "no $1 block in README.md"
	(cd "$TS_TMP/top" && sh -eu "$TS_TMP/$1.sh") >"$TS_TMP/$1.out" 2>&1 ||
		ts_fail "README $1 failed: $(cat "$TS_TMP/$1.out")"
}
walk demo-signin
cp "$TS_TMP/demo-signin.out" "$TS_TMP/walk.out"
grep -qi '^location: https://lync.example.test/.tessera/session?code=' "$TS_TMP/walk.out" ||
	ts_fail "no hand-over: $(cat "$TS_TMP/walk.out")"
grep -qi '^set-cookie: __Host-tessera-sso=.*Secure; HttpOnly; SameSite=Lax' "$TS_TMP/walk.out" ||
	ts_fail "no SSO cookie: $(cat "$TS_TMP/walk.out")"
grep -qi '^location: /ucwa' "$TS_TMP/walk.out" || ts_fail "not sent to /ucwa"
grep -q '"sub":"alice@example.test"' "$TS_TMP/walk.out" || ts_fail "ticket subject"
grep -q '"aud":"lync"' "$TS_TMP/walk.out" || ts_fail "ticket audience"

walk demo-sfb
o=$TS_TMP/demo-sfb.out
grep -qi '^x-ms-diagnostics: 28020' "$o" || ts_fail "no 28020: $(cat "$o")"
grep -q "^http://127.0.0.1:$port/adfs/ls/?wa=wsignin1.0&" "$o" || ts_fail "PassiveAuth not to /adfs/ls/: $(cat "$o")"
grep -q 'event=request .*path=/passiveauth/ status=302' "$TS_TMP/demo/pool.log" ||
	ts_fail "the token did not reach the pool through HAProxy"
grep -q '"access_token": *"cwt=' "$o" || ts_fail "no web ticket: $(cat "$o")"
grep -qx 'GET /ucwa: 200' "$o" || ts_fail "UCWA refused the ticket: $(cat "$o")"
grep -q 'event=signin_completed pool=lync ' "$TS_TMP/demo.log" || ts_fail "no sign-in logged"

walk demo-gate
o=$TS_TMP/demo-gate.out
grep -qx 'lync (legacy): 200' "$o" || ts_fail "NTLM at the legacy pool: $(cat "$o")"
grep -q '>sip:alice@example.test' "$o" || ts_fail "no web ticket for alice: $(cat "$o")"
grep -q '^HTTP/1.1 500' "$o" && grep -q '^X-Ms-diagnostics: 28029;source="lync2.example.test"' "$o" &&
	grep -q '<ErrorId>28029</ErrorId><Reason>Authentication type not allowed.' "$o" ||
	ts_fail "NTLM at the passive pool: $(cat "$o")"
grep -q '^{"error":"unsupported_grant_type"}$' "$o" && grep -q '^HTTP/1.1 400' "$o" ||
	ts_fail "password grant at the passive pool: $(cat "$o")"

# The cutover walk: its blocks in turn (the later ones with the first's
# definitions), waiting between them for what the README says takes time.
applied() { # STAGE N: the demo broker loaded lync at STAGE at least N times
	[ "$(grep -c "event=stage_loaded pool=lync stage=$1 " "$TS_TMP/demo.log")" -ge "$2" ]
}
planned() {
	"$TS_BUILDDIR/tessera" pool plan lync -c "$TS_TMP/demo/tessera.conf" 2>&1 | grep -q alice
}
walk demo-cutover-1
sed -n '/<!-- demo-cutover-1:begin -->/,/^ntlm$/p' "$TS_SRCDIR/README.md" | sed '$d' >"$TS_TMP/defs.sh"
o=$TS_TMP/demo-cutover-1.out
grep -qx 'NTLM at lync: 200' "$o" && grep -q 'stage audit' "$o" || ts_fail "cutover 1: $(cat "$o")"
ts_wait_until 5 applied audit 1 || ts_fail "audit not applied"
walk demo-cutover-2 "$TS_TMP/defs.sh"
grep -qx 'NTLM at lync: 200' "$TS_TMP/demo-cutover-2.out" || ts_fail "audit: NTLM refused"
ts_wait_until 10 planned || ts_fail "plan never listed alice"
walk demo-cutover-3 "$TS_TMP/defs.sh"
o=$TS_TMP/demo-cutover-3.out
grep -q 'alice' "$o" && grep -q CUTOVER_WOULD_BREAK "$o" && grep -q 'stage passive' "$o" ||
	ts_fail "cutover 3: $(cat "$o")"
ts_wait_until 5 applied passive 1 || ts_fail "passive not applied"
walk demo-cutover-4 "$TS_TMP/defs.sh"
o=$TS_TMP/demo-cutover-4.out
grep -qx 'NTLM at lync: 500' "$o" && grep -qx 'passive grant at lync: 400' "$o" ||
	ts_fail "passive: $(cat "$o")"
ts_wait_until 5 applied audit 2 || ts_fail "rollback not applied"
walk demo-cutover-5 "$TS_TMP/defs.sh"
o=$TS_TMP/demo-cutover-5.out
grep -qx 'NTLM at lync: 200' "$o" && grep -q 'the helpdesk is flooded' "$o" ||
	ts_fail "after rollback: $(cat "$o")"
echo "PASS: demo"
