# Helpers for the broker sign-in tests: a broker with pools and a fixture
# IdP, and curl calls that keep what the tests look at.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
PY=${SYSTEM_PYTHON3:-python3}

# ts_broker_config FILE [EXTRA broker lines]: the broker these tests run.
ts_broker_config() {
	cat >"$1" <<CONF
[broker]
listen_address = 127.0.0.1
listen_port = 0
threads = 2
public_url = https://broker.test
signout_url = https://broker.test/bye
code_lifetime = 5
${2:-}
[log]
level = debug
[tickets]
key_dir = $TS_TMP/keys
issuer = https://broker.test
[store]
path = $TS_TMP/tessera.db
${TS_STORE_LINES:-}
[sp]
entity_id = https://broker.test/
acs_url = https://broker.test/saml/acs
wsfed_url = https://broker.test/wsfed
[idp fx]
metadata = $TS_TMP/idp/idp-metadata.xml
[idp fxws]
protocol = wsfed
metadata = $TS_TMP/idp/idp-metadata.xml
[pool lync1]
host = lync1.test
idp = fx
[pool lync2]
host = lync2.test
idp = fx
[pool secure]
host = secure.test
idp = fx
mfa = true
[pool ws]
host = ws.test
idp = fxws
CONF
}

# The test's browser (broker/browser_bind.h): its nonce cookies, on the
# broker and on pool hosts (a browser sends each to its own host; sent to
# both here), and BIND, what the pool host's /.tessera/signin hands /signin.
REQ_NONCE=test-browser-req-nonce-0123456789abcdefghij
BIND_NONCE=test-browser-bind-nonce-0123456789abcdefghi
BIND=$(printf %s "$BIND_NONCE" | sha256sum | cut -d ' ' -f 1)
JAR="__Host-tessera-req=$REQ_NONCE; __Host-tessera-bind=$BIND_NONCE"

# get NAME URL [curl args...]: headers in $TS_TMP/NAME.h, body in NAME.b;
# prints the status. Sends the test browser's cookies ($JAR) unless the
# args give a Cookie header of their own.
get() {
	name=$1
	url=$2
	shift 2
	case "$*" in *[Cc]ookie:*) ;; *) set -- -H "Cookie: $JAR" "$@" ;; esac
	"$CURL" -s -o "$TS_TMP/$name.b" -D "$TS_TMP/$name.h" -w '%{http_code}' --max-time 10 \
		"$@" "$url"
}

# header NAME FIELD: the value of a response header (first one).
header() {
	tr -d '\r' <"$TS_TMP/$1.h" | sed -n "s/^$2: //Ip" | head -n 1
}

# cookie NAME COOKIE: a Set-Cookie's value.
cookie() {
	tr -d '\r' <"$TS_TMP/$1.h" | sed -n "s/^set-cookie: $2=\([^;]*\);.*/\1/Ip" | head -n 1
}

# query URL PARAM: a query parameter, percent-decoded.
query() {
	"$PY" -c 'import sys, urllib.parse as u
q = u.parse_qs(u.urlsplit(sys.argv[1]).query)
print(q[sys.argv[2]][0])' "$1" "$2"
}

# jwt_claim TOKEN CLAIM: a claim of a JWS payload (not verified: the broker did).
jwt_claim() {
	"$PY" -c 'import base64, json, sys
p = sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))[sys.argv[2]])' "$1" "$2"
}

# sign_for ID [tessera-idp sign flags]: a SAML 2.0 answer to request ID, as
# a POST body for /saml/acs with RelayState=ID.
sign_for() {
	id=$1
	shift
	"$TS_BUILDDIR/tessera-idp" sign --key "$TS_TMP/idp/idp.key" --cert "$TS_TMP/idp/idp.crt" \
		--audience https://broker.test/ --recipient https://broker.test/saml/acs \
		--in-response-to "$id" --relay-state "$id" "$@"
}

# sign_wsfed WCTX [flags]: a WS-Fed answer as a POST body for /wsfed.
sign_wsfed() {
	ctx=$1
	shift
	"$TS_BUILDDIR/tessera-idp" sign --key "$TS_TMP/idp/idp.key" --cert "$TS_TMP/idp/idp.crt" \
		--protocol wsfed --audience https://broker.test/ --wctx "$ctx" "$@"
}

# ts_setup_broker [EXTRA broker lines] [EXTRA sections]: starts it.
ts_setup_broker() {
	"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/idp" >/dev/null
	ts_broker_config "$TS_TMP/tessera.conf" "${1:-}"
	[ -z "${2:-}" ] || printf '%s\n' "$2" >>"$TS_TMP/tessera.conf"
	ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad.log"
	B="http://127.0.0.1:$TS_PORT"
}

# store_lock / store_unlock: another process holds the store's write lock
# (as a stuck `sqlite3` session would) until store_unlock, 30 s at most.
store_lock() {
	rm -f "$TS_TMP/locked" "$TS_TMP/unlock"
	"$PY" - "$TS_TMP/tessera.db" "$TS_TMP/locked" "$TS_TMP/unlock" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
deadline = time.monotonic() + 30
while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
    time.sleep(0.05)
db.execute("ROLLBACK")
db.close()
PY
	store_locker=$!
	TS_PIDS="$TS_PIDS $store_locker"
	ts_wait_until 10 test -e "$TS_TMP/locked" || ts_fail "could not lock the store"
}

store_unlock() {
	touch "$TS_TMP/unlock"
	wait "$store_locker" || ts_fail "the locking process failed"
}
