#!/bin/sh
# tesserad's HTTP edges: open-redirect variants through the real query
# decoding, oversize and malformed bodies, slow and abandoned connections,
# /readyz, /saml/metadata, JWKS, and a pool added by SIGHUP.
. "$TS_SRCDIR/tests/signin_lib.sh"
ts_setup_broker "connection_timeout = 2"

# Every variant, sent percent-encoded as a browser would: 400 RETURN_URL.
while IFS= read -r url; do
	status=$(get rr "$B/signin" --get --data-urlencode pool=lync1 --data-urlencode "return=$url")
	[ "$status" = 400 ] && grep -q RETURN_URL "$TS_TMP/rr.b" ||
		ts_fail "return '$url' gave $status: $(head -c 300 "$TS_TMP/rr.b")"
done <<'URLS'
https://evil.test/
//evil.test
///evil.test
/\evil.test
\\evil.test
http:evil.test
https://lync1.test@evil.test/
https://lync1.test.evil.test/
javascript:alert(1)
/%2F%2Fevil.test
/%5Cevil.test
%2F%2Fevil.test
/%0d%0aLocation:%20https://evil.test
URLS
# A raw control character and a second return= are refused too.
[ "$(get rc "$B/signin?pool=lync1&return=/a%0Ab")" = 400 ] || ts_fail "newline in return"
[ "$(get rd "$B/signin?pool=lync1&return=/a&return=https://evil.test/")" = 400 ] ||
	ts_fail "two return= accepted"
[ "$(get pu "$B/signin?pool=nope")" = 400 ] && grep -q POOL_UNKNOWN "$TS_TMP/pu.b" ||
	ts_fail "unknown pool"
# A good one still passes.
[ "$(get ok "$B/signin" --get --data-urlencode pool=lync1 --data-urlencode return=/meet)" = 302 ] ||
	ts_fail "plain path refused"

# Bodies: over the cap → 413; bad form encoding or no form → 400.
head -c 300000 /dev/zero | tr '\0' A >"$TS_TMP/big"
[ "$(get big "$B/saml/acs" --data-binary "SAMLResponse=@$TS_TMP/big")" = 413 ] ||
	[ "$(get big "$B/saml/acs" --data-binary "@$TS_TMP/big")" = 413 ] || ts_fail "oversize not 413"
[ "$(get bad "$B/saml/acs" --data-binary 'SAMLResponse=%ZZ&RelayState=x')" = 400 ] ||
	ts_fail "bad %-escape not 400"
[ "$(get bad2 "$B/saml/acs" -H 'Content-Type: text/plain' --data-binary 'x')" = 400 ] ||
	ts_fail "non-form body not 400"
[ "$(get bad3 "$B/saml/acs" --data-binary 'SAMLResponse=%%%%&RelayState=x')" = 400 ] ||
	ts_fail "garbage form not 400"
[ "$(get bad4 "$B/saml/acs" --data-binary 'SAMLResponse=bm90IHhtbA&RelayState=x')" = 400 ] ||
	ts_fail "bad base64 not 400"

# Slow and abandoned connections: 40 idle sockets do not stop service, and
# the server closes an idle one after connection_timeout (2 s).
"$PY" - "$TS_PORT" "$CURL" <<'PY' || ts_fail "idle connections exhausted the server"
import socket, subprocess, sys, time
port, curl = int(sys.argv[1]), sys.argv[2]
idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
for s in idle[:20]:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
out = subprocess.run([curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                      "http://127.0.0.1:%d/healthz" % port], capture_output=True, text=True)
assert out.stdout == "200", out.stdout
s = idle[0]
s.settimeout(10)
start = time.monotonic()
closed = s.recv(4096) == b"" or s.recv(4096) == b""
assert closed and time.monotonic() - start < 9, "idle connection not closed"
for s in idle:
    s.close()
PY

# Operations endpoints.
[ "$(get rz "$B/readyz")" = 200 ] && grep -qx ready "$TS_TMP/rz.b" || ts_fail "/readyz"
[ "$(get md "$B/saml/metadata")" = 200 ] || ts_fail "/saml/metadata"
grep -q 'entityID="https://broker.test/"' "$TS_TMP/md.b" || ts_fail "metadata entity"
grep -q 'Location="https://broker.test/saml/acs"' "$TS_TMP/md.b" || ts_fail "metadata ACS"
[ "$(get jw "$B/.well-known/jwks.json")" = 200 ] || ts_fail "JWKS"
"$PY" -c 'import json, sys
k = json.load(open(sys.argv[1]))["keys"]
assert k and all(x["use"] == "sig" and x["kid"] for x in k), k' "$TS_TMP/jw.b" ||
	ts_fail "JWKS content: $(cat "$TS_TMP/jw.b")"

# SIGHUP: a pool added to the file serves without a restart.
[ "$(get np "$B/signin?pool=new")" = 400 ] || ts_fail "pool 'new' exists already"
printf '[pool new]\nhost = new.test\nidp = fx\n' >>"$TS_TMP/tessera.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q 'event=reloaded' "$TS_TMP/tesserad.log" || ts_fail "no reload"
[ "$(get np2 "$B/signin?pool=new")" = 302 ] || ts_fail "added pool not served"
echo "PASS: broker_http"
