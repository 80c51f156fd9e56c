#!/bin/sh
# GET /signin stores its requests in batches and holds each redirect until
# its batch is committed (broker/request_batch.c). Under parallel load:
#   - kill -9: every redirect a client received names a request that is in
#     the store afterwards (none was answered before its commit);
#   - SIGTERM: tesserad lets every held answer go and exits 0 (libmicrohttpd
#     must not be stopped with a connection suspended).
# Load is bounded: CLIENTS curl processes of REQUESTS URLs each.
. "$TS_SRCDIR/tests/signin_lib.sh"
CLIENTS=4
REQUESTS=1500
ts_setup_broker

# load TAG: CLIENTS background curls, each writing "status redirect" lines to
# $TS_TMP/TAG.N; their PIDs in load_pids.
load() {
	awk -v n="$REQUESTS" -v u="$B/signin?pool=lync1&bind=$BIND" \
		'BEGIN { for (i = 0; i < n; i++) printf "url = \"%s\"\noutput = \"/dev/null\"\n", u }' \
		>"$TS_TMP/urls.curl"
	load_pids="" i=1
	while [ "$i" -le "$CLIENTS" ]; do
		timeout 120 "$CURL" -s --max-time 5 -K "$TS_TMP/urls.curl" \
			-w '%{http_code} %{redirect_url}\n' >"$TS_TMP/$1.$i" 2>/dev/null &
		load_pids="$load_pids $!"
		i=$((i + 1))
	done
	TS_PIDS="$TS_PIDS $load_pids"
}

redirects() {
	cat "$TS_TMP/$1".* | grep -c '^302 ' || true
}

# until_redirects TAG N: waits (deadline) for N redirects among TAG's clients.
at_least() {
	[ "$(redirects "$1")" -ge "$2" ]
}
until_redirects() {
	ts_wait_until 60 at_least "$1" "$2"
}

wait_load() {
	for pid in $load_pids; do
		wait "$pid" || true # curl's status is its last transfer's: refused, once killed
	done
}

# --- kill -9 under load ------------------------------------------------------
stop_at=$((CLIENTS * REQUESTS / 3))
load k9
until_redirects k9 "$stop_at" || ts_fail "only $(redirects k9) redirects under load"
kill -KILL "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad survived SIGKILL"
wait_load
sent=$(redirects k9)
[ "$sent" -ge "$stop_at" ] || ts_fail "$sent redirects"
[ "$sent" -lt $((CLIENTS * REQUESTS)) ] || ts_fail "the kill came after the load: nothing tested"
cat "$TS_TMP"/k9.* | sed -n 's/^302 .*[?&]RelayState=\(_[0-9a-f]*\).*$/\1/p' >"$TS_TMP/ids"
[ "$(sort -u "$TS_TMP/ids" | wc -l)" -eq "$sent" ] ||
	ts_fail "expected $sent distinct RelayStates: $(head -n 2 "$TS_TMP/k9.1")"
missing=$("$PY" - "$TS_TMP/tessera.db" "$TS_TMP/ids" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
stored = {r[0] for r in db.execute("SELECT id FROM signin_request")}
ids = open(sys.argv[2]).read().split()
print(sum(1 for i in ids if i not in stored))
PY
) || ts_fail "could not read the store"
[ "$missing" = 0 ] || ts_fail "$missing of $sent redirected requests were not in the store after kill -9"
echo "kill -9 after $sent redirects: every one stored"

# --- SIGTERM under load --------------------------------------------------------
ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad2.log"
B="http://127.0.0.1:$TS_PORT"
load term
until_redirects term "$stop_at" || ts_fail "only $(redirects term) redirects after restart"
kill -TERM "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 20 || ts_fail "tesserad did not stop under load"
wait "$TS_TESSERAD_PID" && status=0 || status=$?
[ "$status" = 0 ] || ts_fail "tesserad exited $status under load: $(tail -n 5 "$TS_TMP/tesserad2.log")"
grep -q 'event=stopping' "$TS_TMP/tesserad2.log" || ts_fail "no stopping line"
wait_load
echo "SIGTERM after $(redirects term) redirects: exit 0"
