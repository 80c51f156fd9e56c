#!/bin/sh
# tesserad and the [gate] spop_* keys. Until the gate's decision is built in
# (broker/tesserad.c: gate_spop_notify), a configured agent must refuse to
# start, loudly, in `tesserad -t` and at start-up, rather than acknowledge
# HAProxy's messages without deciding. The integrator replaces this with
# start / SIGHUP keeps the socket / SIGTERM sends DISCONNECT.
. "$TS_SRCDIR/tests/lib.sh"

tesserad="$TS_BUILDDIR/tesserad"
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

rc=0
"$tesserad" -t -c "$TS_TMP/spop.conf" 2>"$TS_TMP/t.out" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "-t with an agent but no decision: exit $rc, want 1"
grep -q '(SPOP_NO_DECISION)' "$TS_TMP/t.out" || ts_fail "-t did not say why: $(cat "$TS_TMP/t.out")"

rc=0
"$tesserad" -c "$TS_TMP/spop.conf" 2>"$TS_TMP/run.log" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "start with an agent but no decision: exit $rc, want 1"
grep -q 'event=spop_not_started error=SPOP_NO_DECISION address=127.0.0.1' "$TS_TMP/run.log" ||
	ts_fail "refusal not logged: $(cat "$TS_TMP/run.log")"

# A bad spop_* value names its line, like every other key.
sed 's/^spop_listen_port = 0/spop_listen_port = 70000/' "$TS_TMP/spop.conf" >"$TS_TMP/bad.conf"
rc=0
"$tesserad" -t -c "$TS_TMP/bad.conf" 2>"$TS_TMP/t.out" || rc=$?
[ "$rc" -eq 1 ] || ts_fail "spop_listen_port 70000: exit $rc, want 1"
grep -q "bad.conf:6: bad value .70000. for spop_listen_port in \\[gate\\]" "$TS_TMP/t.out" || ts_fail "no line: $(cat "$TS_TMP/t.out")"
exit 0
