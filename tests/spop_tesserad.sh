#!/bin/sh
# tesserad and its SPOP agent ([gate] spop_*): the agent listens when
# configured, keeps its socket across SIGHUP (naming a changed key that
# needs a restart), and stops on SIGTERM; a bad spop_* value names its line.
# (The agent against real HAProxy: spop_haproxy.sh and gate_haproxy.sh.)
. "$TS_SRCDIR/tests/lib.sh"
[ -n "${SYSTEM_PYTHON3:-}" ] || ts_skip "python3 not found"

cat >"$TS_TMP/spop.conf" <<CONF
[broker]
listen_address = 127.0.0.1
listen_port = 0
[gate]
spop_listen_address = 127.0.0.1
spop_listen_port = 0
[tickets]
key_dir = $TS_TMP/keys
[store]
path = $TS_TMP/tessera.db
CONF

"$TS_BUILDDIR/tesserad" -t -c "$TS_TMP/spop.conf" 2>"$TS_TMP/t.out" ||
	ts_fail "-t refused an agent: $(cat "$TS_TMP/t.out")"
ts_start_tesserad "$TS_TMP/spop.conf" "$TS_TMP/run.log"
ts_wait_until 10 grep -q 'event=spop_listening' "$TS_TMP/run.log" || ts_fail "agent not listening"
port=$(sed -n 's/.*event=spop_listening .*port=\([0-9]*\).*/\1/p' "$TS_TMP/run.log" | head -n 1)
# connects: the agent accepts a TCP connection on its port.
connects() {
	"$SYSTEM_PYTHON3" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).close()' "$port"
}
connects || ts_fail "no agent on port $port"
# No HAProxy has said HELLO: not ready, and why.
[ "$(ts_http_status GET "http://127.0.0.1:$TS_PORT/readyz")" = 503 ] &&
	"$CURL" -s "http://127.0.0.1:$TS_PORT/readyz" | grep -q '^gate: HAProxy has not reached' ||
	ts_fail "/readyz does not say HAProxy never reached the agent"

# SIGHUP with another port: the running socket stays, the key is named.
sed -i "s/^spop_listen_port = 0/spop_listen_port = 1/" "$TS_TMP/spop.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q 'event=restart_needed key=spop_listen_port' "$TS_TMP/run.log" ||
	ts_fail "changed spop key not named: $(cat "$TS_TMP/run.log")"
connects || ts_fail "agent socket gone after SIGHUP"

kill -TERM "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad did not stop on SIGTERM"
grep -q 'event=spop_stopped' "$TS_TMP/run.log" || ts_fail "agent stop not logged"

# A bad spop_* value names its line, like every other key.
sed 's/^spop_listen_port = .*/spop_listen_port = 70000/' "$TS_TMP/spop.conf" >"$TS_TMP/bad.conf"
rc=0
"$TS_BUILDDIR/tesserad" -t -c "$TS_TMP/bad.conf" 2>"$TS_TMP/t.out" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "spop_listen_port 70000: exit $rc, want 1"
grep -q "bad.conf:6: bad value .70000. for spop_listen_port in \\[gate\\]" "$TS_TMP/t.out" ||
	ts_fail "no line: $(cat "$TS_TMP/t.out")"
echo "PASS: spop_tesserad"
