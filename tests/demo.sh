#!/bin/sh
# The README demo's start script (what `scripts/quickstart demo` runs after
# building): it makes IdP keys, a sample token, and serves /healthz.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"

DEMO_DIR="$TS_TMP/demo" DEMO_PORT=0 "$TS_SRCDIR/scripts/demo" "$TS_BUILDDIR" \
	>"$TS_TMP/demo.out" 2>"$TS_TMP/demo.log" &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 30 grep -q 'event=listening' "$TS_TMP/demo.log" ||
	ts_fail "demo did not start: $(cat "$TS_TMP/demo.out" "$TS_TMP/demo.log")"
port=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$TS_TMP/demo.log")
[ "$(ts_http_status GET "http://127.0.0.1:$port/healthz")" = 200 ] || ts_fail "/healthz not 200"
for f in idp/idp.key idp/idp.crt idp/sp.key idp/sp.crt idp/idp-metadata.xml sample-response.xml \
	tessera.db; do
	[ -s "$TS_TMP/demo/$f" ] || ts_fail "demo did not make $f"
done
if [ -n "$XMLSEC1" ]; then
	grep -q 'verifies with xmlsec1' "$TS_TMP/demo.out" ||
		ts_fail "sample token not verified: $(cat "$TS_TMP/demo.out")"
fi
ls "$TS_TMP/demo/keys/"*.key >/dev/null 2>&1 || ts_fail "demo key ring not in the demo directory"
echo "PASS: demo"
