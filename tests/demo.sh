#!/bin/sh
# The README demo: scripts/demo (what `scripts/quickstart demo` runs after
# building) starts the fixture IdP and tesserad, and the README's curl
# walk-through, extracted and run as written, signs alice in to pool lync.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
PY=${SYSTEM_PYTHON3:-python3}

# Two free loopback ports (the demo's URLs must name real ports).
set -- $("$PY" -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
port=$1 idp_port=$2

DEMO_DIR="$TS_TMP/demo" DEMO_PORT=$port DEMO_IDP_PORT=$idp_port \
	"$TS_SRCDIR/scripts/demo" "$TS_BUILDDIR" >"$TS_TMP/demo.out" 2>"$TS_TMP/demo.log" &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 30 grep -q 'event=listening' "$TS_TMP/demo.log" ||
	ts_fail "demo did not start: $(cat "$TS_TMP/demo.out" "$TS_TMP/demo.log")"
ts_wait_until 10 grep -q 'listening on' "$TS_TMP/demo/idp.out" || ts_fail "demo IdP did not start"
[ "$(ts_http_status GET "http://127.0.0.1:$port/healthz")" = 200 ] || ts_fail "/healthz not 200"
grep -q "pools lync, lync2, lync-mfa, lync-wsfed" "$TS_TMP/demo.out" || ts_fail "demo banner"

# The README block, with the test's ports.
sed -n '/<!-- demo-signin:begin -->/,/<!-- demo-signin:end -->/p' "$TS_SRCDIR/README.md" |
	sed -e '/^<!--/d' -e '/^```/d' -e "s/127\.0\.0\.1:8080/127.0.0.1:$port/g" \
	>"$TS_TMP/walk.sh"
[ -s "$TS_TMP/walk.sh" ] || ts_fail "no demo block in README.md"
(cd "$TS_TMP" && sh -eu walk.sh) >"$TS_TMP/walk.out" 2>&1 ||
	ts_fail "README walk-through failed: $(cat "$TS_TMP/walk.out")"
grep -qi '^location: https://lync.example.test/.tessera/session?code=' "$TS_TMP/walk.out" ||
	ts_fail "no hand-over: $(cat "$TS_TMP/walk.out")"
grep -qi '^set-cookie: __Host-tessera-sso=.*Secure; HttpOnly; SameSite=Lax' "$TS_TMP/walk.out" ||
	ts_fail "no SSO cookie: $(cat "$TS_TMP/walk.out")"
grep -qi '^location: /ucwa' "$TS_TMP/walk.out" || ts_fail "not sent to /ucwa"
grep -q '"sub":"alice@example.test"' "$TS_TMP/walk.out" || ts_fail "ticket subject"
grep -q '"aud":"lync"' "$TS_TMP/walk.out" || ts_fail "ticket audience"
echo "PASS: demo"
