#!/bin/sh
# tesserad: config check (-t), start on a kernel-chosen port, /healthz, error
# answers, SIGHUP with a broken config keeps serving, SIGHUP keeps open
# connections, clean stop on SIGTERM and on SIGINT.
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"

tesserad="$TS_BUILDDIR/tesserad"
PY=${SYSTEM_PYTHON3:-python3}
command -v "$PY" >/dev/null || ts_skip "python3 not found"

# -t accepts the shipped file ...
"$tesserad" -t -c "$TS_SRCDIR/conf/tessera.conf" 2>"$TS_TMP/t.out" ||
	ts_fail "shipped config refused: $(cat "$TS_TMP/t.out")"
# (conf/demo.conf is a template: scripts/demo checks the file it makes.)

# ... and names a misspelled key with its line, exiting 1.
sed 's/^listen_port =/listen_prot =/' "$TS_SRCDIR/conf/tessera.conf" >"$TS_TMP/typo.conf"
rc=0
"$tesserad" -t -c "$TS_TMP/typo.conf" 2>"$TS_TMP/t.out" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "misspelled key: exit $rc, want 1"
line=$(grep -n '^listen_prot =' "$TS_TMP/typo.conf" | cut -d: -f1)
grep -q "typo.conf:$line: unknown key 'listen_prot' in section \[broker\]" "$TS_TMP/t.out" ||
	ts_fail "diagnostic does not name key and line: $(cat "$TS_TMP/t.out")"
rc=0
"$tesserad" -t -c "$TS_TMP/missing.conf" 2>"$TS_TMP/t.out" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "missing file: exit $rc, want 1"

# Serve on a port the kernel picks.
cat >"$TS_TMP/run.conf" <<CONF
[broker]
listen_address = 127.0.0.1
listen_port = 0
threads = 2
[log]
level = debug
[tickets]
key_dir = $TS_TMP/keys
[store]
path = $TS_TMP/tessera.db
CONF
ts_start_tesserad "$TS_TMP/run.conf" "$TS_TMP/tesserad.log"
base="http://127.0.0.1:$TS_PORT"

[ "$(ts_http_status GET "$base/healthz")" = 200 ] || ts_fail "/healthz not 200"
body=$("$CURL" -s --max-time 10 "$base/healthz")
[ "$body" = ok ] || ts_fail "/healthz body '$body'"
[ "$(ts_http_status GET "$base/nope")" = 404 ] || ts_fail "unknown path not 404"
[ "$(ts_http_status POST "$base/healthz")" = 405 ] || ts_fail "POST /healthz not 405"
"$CURL" -s -D - -o /dev/null -X POST --max-time 10 "$base/healthz" | grep -qi '^Allow: GET' ||
	ts_fail "405 without Allow"
grep -q 'event=http_refused error=METHOD_NOT_ALLOWED method=POST path=/healthz' \
	"$TS_TMP/tesserad.log" || ts_fail "405 not logged with its error name"

# An oversize body is refused with 413 (cap 262144 by default).
head -c 300000 /dev/zero | tr '\0' a >"$TS_TMP/big"
status=$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 10 --data-binary "@$TS_TMP/big" \
	"$base/healthz")
[ "$status" = 413 ] || ts_fail "oversize body gave $status, want 413"

# Keep-alive: two requests on one connection.
"$CURL" -s -o /dev/null -o /dev/null -w '%{num_connects}\n' --max-time 10 \
	"$base/healthz" "$base/healthz" >"$TS_TMP/conns"
[ "$(awk '{ n += $1 } END { print n }' "$TS_TMP/conns")" = 1 ] || ts_fail "keep-alive not honoured: $(cat "$TS_TMP/conns")"

# SIGHUP with a broken file: refused, logged, still serving.
cp "$TS_TMP/run.conf" "$TS_TMP/good.conf"
printf '[broker]\nthreads = many\n' >"$TS_TMP/run.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q 'event=reload_refused error=CONFIG_BAD_VALUE' "$TS_TMP/tesserad.log" ||
	ts_fail "broken reload not refused: $(cat "$TS_TMP/tesserad.log")"
[ "$(ts_http_status GET "$base/healthz")" = 200 ] || ts_fail "not serving after bad reload"

# SIGHUP with a good file applies it: at level info, a 404 (logged at debug)
# no longer shows. A cap read only at start-up (max_body_bytes,
# outstanding_requests) is named as needing a restart, and the running one holds.
[ "$(ts_http_status GET "$base/nope")" = 404 ] || ts_fail "unknown path not 404"
before=$(grep -c 'error=NOT_FOUND' "$TS_TMP/tesserad.log")
[ "$before" -ge 1 ] || ts_fail "404 not logged at debug"
sed 's/level = debug/level = info/; s/^threads = 2$/threads = 2\nmax_body_bytes = 1024/
	s/^\[store\]$/[store]\noutstanding_requests = 10/' "$TS_TMP/good.conf" >"$TS_TMP/run.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q 'event=reloaded' "$TS_TMP/tesserad.log" || ts_fail "good reload not applied"
for key in 'max_body_bytes section=broker' 'outstanding_requests section=store'; do
	grep -q "event=restart_needed key=$key" "$TS_TMP/tesserad.log" ||
		ts_fail "a changed start-up cap is not named: $(tail -n 3 "$TS_TMP/tesserad.log")"
done
head -c 2000 /dev/zero | tr '\0' a >"$TS_TMP/mid"
status=$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 10 --data-binary "@$TS_TMP/mid" \
	"$base/healthz")
[ "$status" = 405 ] || ts_fail "a 2000-byte body gave $status: the running cap should hold"
[ "$(ts_http_status GET "$base/nope")" = 404 ] || ts_fail "unknown path not 404"
[ "$(grep -c 'error=NOT_FOUND' "$TS_TMP/tesserad.log")" = "$before" ] ||
	ts_fail "log level from the reloaded file not applied"

# SIGHUP keeps open connections: a keep-alive connection answered before
# a reload is answered again on the same socket after it.
reloads=$(grep -c 'event=reloaded' "$TS_TMP/tesserad.log")
"$PY" - "$TS_PORT" "$TS_TESSERAD_PID" "$TS_TMP/tesserad.log" "$reloads" <<'PY' ||
import os, signal, socket, sys, time
port, pid, log, before = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def ask():
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while not got.endswith(b"ok\n"):
        chunk = s.recv(4096)
        assert chunk, "connection closed; so far: %r" % got
        got += chunk
    assert got.startswith(b"HTTP/1.1 200"), got
ask()
os.kill(pid, signal.SIGHUP)
deadline = time.monotonic() + 10
while open(log).read().count("event=reloaded") <= before:
    assert time.monotonic() < deadline, "no reload"
    time.sleep(0.05)
ask()
PY
	ts_fail "a keep-alive connection did not outlive SIGHUP"

# SIGTERM: clean stop, exit 0.
kill -TERM "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad did not stop on SIGTERM"
rc=0
wait "$TS_TESSERAD_PID" || rc=$?
[ "$rc" -eq 0 ] || ts_fail "tesserad exit $rc after SIGTERM"
grep -q 'event=stopping signal=SIGTERM' "$TS_TMP/tesserad.log" || ts_fail "no stopping line"

# SIGINT (Ctrl-C in a terminal) stops it as cleanly.
ts_start_tesserad "$TS_TMP/run.conf" "$TS_TMP/tesserad2.log"
[ "$(ts_http_status GET "http://127.0.0.1:$TS_PORT/healthz")" = 200 ] || ts_fail "restart"
kill -INT "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad did not stop on SIGINT"
rc=0
wait "$TS_TESSERAD_PID" || rc=$?
[ "$rc" -eq 0 ] || ts_fail "tesserad exit $rc after SIGINT"
grep -q 'event=stopping signal=SIGINT' "$TS_TMP/tesserad2.log" ||
	ts_fail "no stopping line for SIGINT: $(tail -n 3 "$TS_TMP/tesserad2.log")"
echo "PASS: tesserad"
