#!/bin/sh
# tesserad's HTTP edges: open-redirect variants through the real query
# decoding, oversize headers and bodies, malformed bodies, slow, trickling
# and abandoned connections, /readyz, /saml/metadata, JWKS, a pool added by
# SIGHUP, IdP metadata running past its validUntil (one IdP's, then every
# one's), and /readyz naming what is not ready.
. "$TS_SRCDIR/tests/signin_lib.sh"
MAX_CONNECTIONS=12
OUTSTANDING_MAX=40
TS_STORE_LINES="outstanding_requests = $OUTSTANDING_MAX"
ts_setup_broker "connection_timeout = 2
max_connections = $MAX_CONNECTIONS
max_header_bytes = 8192"

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
{ printf 'SAMLResponse='; head -c 300000 /dev/zero | tr '\0' A; printf '&RelayState=x'; } \
	>"$TS_TMP/big"
[ "$(get big "$B/saml/acs" --data-binary "@$TS_TMP/big")" = 413 ] && grep -q TOO_LARGE "$TS_TMP/big.b" ||
	ts_fail "oversize body not 413 TOO_LARGE"
[ "$(get bad "$B/saml/acs" --data-binary 'SAMLResponse=%ZZ&RelayState=x')" = 400 ] ||
	ts_fail "bad %-escape not 400"
[ "$(get bad2 "$B/saml/acs" -H 'Content-Type: text/plain' --data-binary 'x')" = 400 ] ||
	ts_fail "non-form body not 400"
[ "$(get bad3 "$B/saml/acs" --data-binary 'SAMLResponse=%%%%&RelayState=x')" = 400 ] ||
	ts_fail "garbage form not 400"
[ "$(get bad4 "$B/saml/acs" --data-binary 'SAMLResponse=bm90IHhtbA&RelayState=x')" = 400 ] ||
	ts_fail "bad base64 not 400"

# Headers: max_header_bytes (8192) is what is refused, by name; what is
# larger still (past libmicrohttpd's pool) is refused by libmicrohttpd.
pad=$(head -c 7000 /dev/zero | tr '\0' a)
[ "$(get hok "$B/healthz" -H "X-Pad: $pad")" = 200 ] || ts_fail "7000-byte header refused"
pad=$(head -c 10000 /dev/zero | tr '\0' a)
[ "$(get hbig "$B/healthz" -H "X-Pad: $pad")" = 431 ] && grep -q HEADERS_TOO_LARGE "$TS_TMP/hbig.b" ||
	ts_fail "10000-byte header not 431 HEADERS_TOO_LARGE"
grep -q 'event=http_refused error=HEADERS_TOO_LARGE' "$TS_TMP/tesserad.log" ||
	ts_fail "431 not logged by name"

# Slow, trickling and abandoned connections (connection_timeout = 2 s,
# MAX_CONNECTIONS slots): every slot held by a client trickling a header
# line every 0.5 s (slowloris), which libmicrohttpd's idle timeout alone
# never ends. Each is closed within the timeout and a watcher tick, and
# service is back for a new client.
"$PY" - "$TS_PORT" "$MAX_CONNECTIONS" <<'PY' || ts_fail "slow connections: see above"
import socket, sys, time
port, slots = int(sys.argv[1]), int(sys.argv[2])
def healthz(wait):
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False
    finally:
        s.close()
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(slots)]
for s in held:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
assert not healthz(0.5), "the slots were not all held: the test shows nothing"
start = time.monotonic()
open_ones, i = list(held), 0
while open_ones and time.monotonic() - start < 8:
    for s in list(open_ones):
        try:
            s.sendall(b"X-Trickle-%d: 1\r\n" % i)
        except OSError:
            open_ones.remove(s)  # reset: closed by the server
    i += 1
    time.sleep(0.5)  # the trickle's pace: the behaviour under test
took = time.monotonic() - start
assert not open_ones, "%d trickling connections still open after %.1f s" % (len(open_ones), took)
assert took < 6, "trickling connections closed only after %.1f s" % took
deadline = time.monotonic() + 5
while not healthz(2):
    assert time.monotonic() < deadline, "service not back after the slots were freed"
    time.sleep(0.1)
for s in held:
    s.close()
PY
grep -q 'event=http_refused error=REQUEST_TIMEOUT peer=127.0.0.1' "$TS_TMP/tesserad.log" ||
	ts_fail "trickling connection's close not logged by name"
# Refusals are counted under their route; the trickling ones by name.
get mt "$B/metrics" >/dev/null
grep -q '^tessera_http_requests_total{route="/saml/acs",status="413"} 1$' "$TS_TMP/mt.b" ||
	ts_fail "the 413 is not counted under /saml/acs: $(grep 413 "$TS_TMP/mt.b")"
grep -q "^tessera_rejections_total{error=\"REQUEST_TIMEOUT\"} $MAX_CONNECTIONS\$" "$TS_TMP/mt.b" ||
	ts_fail "trickling connections not counted: $(grep TIMEOUT "$TS_TMP/mt.b")"

# An idle connection is closed after the timeout too.
"$PY" - "$TS_PORT" <<'PY' || ts_fail "idle connection not closed"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(10)
start = time.monotonic()
assert s.recv(4096) == b"" and time.monotonic() - start < 6
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
[ "$(get np2 "$B/signin?pool=new&bind=$BIND")" = 302 ] || ts_fail "added pool not served"

# IdP metadata past its validUntil: trust ends then, not at the next
# restart. Metadata valid for 4 s more, loaded by SIGHUP (or already past
# when a slow machine loads it: kept all the same, refused at use): the
# gauge says when; once it has passed, a sign-in through that IdP is
# refused by name while the other IdP's pool still works, and /readyz lists
# it but stays 200 (every instance reads the same file: a balancer dropping
# them all would stop the other IdP too). A fresh file and SIGHUP bring it
# back. What a reload changes shows a moment after its log line: polled.
reload() {
	n=$(grep -c 'event=reloaded' "$TS_TMP/tesserad.log")
	kill -HUP "$TS_TESSERAD_PID"
	ts_wait_until 10 sh -c "[ \$(grep -c 'event=reloaded' '$TS_TMP/tesserad.log') -gt $n ]" ||
		ts_fail "no reload: $(tail -n 3 "$TS_TMP/tesserad.log")"
}
readyz_is() { [ "$(get rz2 "$B/readyz")" = "$1" ]; }
# readyz_says STATUS LINE: /readyz answers STATUS with LINE in its body.
readyz_says() { readyz_is "$1" && grep -qxF "$2" "$TS_TMP/rz2.b"; }
metrics_has() { get mt "$B/metrics" >/dev/null && grep -qxF "$1" "$TS_TMP/mt.b"; }
signin_is() { [ "$(get sn "$B/signin?pool=$1&bind=$BIND")" = "$2" ]; }
until_epoch=$(($(date +%s) + 4))
until=$(date -u -d "@$until_epoch" +%Y-%m-%dT%H:%M:%SZ)
sed "s|^<md:EntityDescriptor |<md:EntityDescriptor validUntil=\"$until\" |" \
	"$TS_TMP/idp/idp-metadata.xml" >"$TS_TMP/soon.xml"
grep -q "validUntil=\"$until\"" "$TS_TMP/soon.xml" || ts_fail "could not date the metadata"
printf '[idp soon]\nmetadata = %s\n[pool soon]\nhost = soon.test\nidp = soon\n' \
	"$TS_TMP/soon.xml" >>"$TS_TMP/tessera.conf"
reload
gauge="tessera_idp_metadata_valid_until_timestamp_seconds{idp=\"soon\"} $until_epoch"
ts_wait_until 10 metrics_has "$gauge" ||
	ts_fail "no validUntil gauge: $(grep valid_until "$TS_TMP/mt.b")"
expired="idp soon: metadata validUntil $until has passed, its sign-ins are refused (refresh the file and reload)"
ts_wait_until 15 readyz_says 200 "$expired" ||
	ts_fail "/readyz does not list the expired metadata: $(cat "$TS_TMP/rz2.b")"
grep -qx ready "$TS_TMP/rz2.b" || ts_fail "/readyz body: $(cat "$TS_TMP/rz2.b")"
signin_is soon 500 && grep -q SAML_METADATA_EXPIRED "$TS_TMP/sn.b" ||
	ts_fail "sign-in through expired metadata not refused by name: $(head -c 300 "$TS_TMP/sn.b")"
grep -q "event=signin_refused error=SAML_METADATA_EXPIRED pool=soon idp=soon detail=.*$until" \
	"$TS_TMP/tesserad.log" || ts_fail "the refusal is not logged with the date"
signin_is lync1 302 || ts_fail "the other IdP's pool stopped too"
# Once every IdP's metadata has expired (fx's and fxws's file dated in the
# past too), nothing can sign in: not ready, each IdP listed.
cp "$TS_TMP/idp/idp-metadata.xml" "$TS_TMP/fx.xml"
sed 's|^<md:EntityDescriptor |<md:EntityDescriptor validUntil="2020-01-01T00:00:00Z" |' \
	"$TS_TMP/fx.xml" >"$TS_TMP/idp/idp-metadata.xml"
reload
ts_wait_until 10 readyz_says 503 'idp: the metadata of every IdP has expired' ||
	ts_fail "/readyz with every IdP's metadata expired: $(cat "$TS_TMP/rz2.b")"
for idp in fx fxws soon; do
	grep -q "^idp $idp: metadata validUntil .* has passed" "$TS_TMP/rz2.b" ||
		ts_fail "/readyz does not list $idp: $(cat "$TS_TMP/rz2.b")"
done
cp "$TS_TMP/fx.xml" "$TS_TMP/idp/idp-metadata.xml"
reload
ts_wait_until 10 readyz_says 200 "$expired" ||
	ts_fail "/readyz once fx's metadata is fresh: $(cat "$TS_TMP/rz2.b")"
cp "$TS_TMP/idp/idp-metadata.xml" "$TS_TMP/soon.xml"
reload
ts_wait_until 10 signin_is soon 302 || ts_fail "sign-in not back after the fresh metadata"
readyz_is 200 && ! grep -q '^idp soon' "$TS_TMP/rz2.b" ||
	ts_fail "/readyz after fresh metadata: $(cat "$TS_TMP/rz2.b")"
get mt3 "$B/metrics" >/dev/null
! grep -q 'valid_until_timestamp_seconds{idp="soon"}' "$TS_TMP/mt3.b" ||
	ts_fail "gauge left for metadata without validUntil"

# /readyz names a store that cannot take writes: another process holds
# its write lock (as a stuck `sqlite3` session would). Ready again once it
# lets go. (A check a second at most: the answer may lag by that.)
store_lock
ts_wait_until 10 readyz_says 503 'store: cannot write (see the log)' ||
	ts_fail "/readyz with the store locked: $(cat "$TS_TMP/rz2.b")"
grep -q 'event=store_query_failed .*query=begin reason="database is locked"' "$TS_TMP/tesserad.log" ||
	ts_fail "the locked store is not logged"
store_unlock
ts_wait_until 10 readyz_is 200 || ts_fail "/readyz once the store answers: $(cat "$TS_TMP/rz2.b")"

# ... and a key ring with no active key (the only key marked retired).
for meta in "$TS_TMP"/keys/*.json; do
	sed 's/^}$/, "retired_at": "2026-01-01T00:00:00Z" }/' "$meta" >"$meta.new" && mv "$meta.new" "$meta"
done
reload
ts_wait_until 10 readyz_says 503 'keys: no active ticket-signing key' ||
	ts_fail "/readyz with every key retired: $(cat "$TS_TMP/rz2.b")"
"$TS_BUILDDIR/tessera" key rotate -c "$TS_TMP/tessera.conf" >/dev/null 2>&1 ||
	ts_fail "tessera key rotate"
reload
ts_wait_until 10 readyz_is 200 || ts_fail "/readyz after a new key: $(cat "$TS_TMP/rz2.b")"
# A flood of /signin fills the outstanding requests up to their bound, then
# is refused by name (503 STORE_FULL) and logged: the disk is not the limit.
stored=0
while [ "$stored" -le "$OUTSTANDING_MAX" ]; do
	status=$(get fl "$B/signin?pool=lync1&bind=$BIND")
	[ "$status" = 302 ] || break
	stored=$((stored + 1))
done
[ "$status" = 503 ] && grep -q STORE_FULL "$TS_TMP/fl.b" ||
	ts_fail "no bound on outstanding requests: $stored stored, then $status"
grep -q "event=signin_requests_full error=STORE_FULL entries=$OUTSTANDING_MAX" \
	"$TS_TMP/tesserad.log" || ts_fail "the full request store is not logged"
"$PY" - "$TS_TMP/tessera.db" "$OUTSTANDING_MAX" <<'PY' || ts_fail "outstanding requests past the bound"
import sqlite3, sys
n = sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM signin_request").fetchone()[0]
assert n == int(sys.argv[2]), n
PY
echo "PASS: broker_http"
