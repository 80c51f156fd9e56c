#!/bin/sh
# SIGHUP and the cutover: a pool a reload adds is watched like the others
# (`tessera pool set` and exceptions reach it without a restart), a changed
# [pool] stage applies to a pool never flipped, and a pool the reload
# removes leaves the rest as they were. Seen through GET /gate's verdicts
# and /metrics' tessera_pool_stage.
. "$TS_SRCDIR/tests/signin_lib.sh"
CORPUS="$TS_SRCDIR/tests/fuzz/corpus/ntlm"

"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/idp" >/dev/null
conf="$TS_TMP/tessera.conf"
ts_broker_config "$conf"
cp "$conf" "$TS_TMP/base.conf"
ts_start_tesserad "$conf" "$TS_TMP/tesserad.log"
B="http://127.0.0.1:$TS_PORT"
ntlm3=$(base64 -w0 "$CORPUS/curl-type3-oem.bin") # names alice

# stage_is POOL STAGE: /metrics has POOL at STAGE.
stage_is() {
	"$CURL" -s --max-time 10 "$B/metrics" |
		grep -qxF "tessera_pool_stage{pool=\"$1\",stage=\"$2\"} 1"
}
# ntlm_status HOST: the status GET /gate gives alice's NTLM on HOST.
ntlm_status() {
	get ntlm "$B/gate" -H "X-Original-Method: POST" -H "X-Original-Host: $1" \
		-H "X-Original-URI: /WebTicket/WebTicketService.svc" \
		-H "X-Forwarded-For: 192.0.2.44" -H "Authorization: NTLM $ntlm3"
}
pool() { # pool ARGS...: tessera pool ARGS on this config, which must succeed
	"$TS_BUILDDIR/tessera" pool "$@" -c "$conf" >"$TS_TMP/pool.out" 2>&1 ||
		ts_fail "tessera pool $*: $(cat "$TS_TMP/pool.out")"
}
reload() { # reload: SIGHUP, and wait until it is logged as done or refused
	n=$(grep -c 'event=reloaded' "$TS_TMP/tesserad.log" || true)
	kill -HUP "$TS_TESSERAD_PID"
	ts_wait_until 10 sh -c "[ \$(grep -c 'event=reloaded' '$TS_TMP/tesserad.log') -gt $n ]" ||
		ts_fail "no reload logged: $(tail -n 5 "$TS_TMP/tesserad.log")"
}

stage_is lync1 legacy || ts_fail "lync1 not at its configured legacy stage"

# A pool added by SIGHUP starts at its configured stage...
cat >>"$conf" <<CONF
[pool late]
host = late.test
idp = fx
stage = audit
CONF
reload
ts_wait_until 10 stage_is late audit || ts_fail "added pool not at its configured audit stage"
[ "$(ntlm_status late.test)" = 200 ] || ts_fail "audit refused NTLM on the added pool"
# ...and a flip reaches it, with no restart.
pool set late passive --reason "reload test"
ts_wait_until 10 stage_is late passive ||
	ts_fail "flip of a pool added by SIGHUP not applied: $("$CURL" -s "$B/metrics" | grep late)"
[ "$(ntlm_status late.test)" = 500 ] || ts_fail "passive pool still lets NTLM through"
# So does an exception for it.
ntlm_passes() { [ "$(ntlm_status late.test)" = 200 ]; }
pool except add late --cidr 192.0.2.0/24 --until 2999-01-01 --reason "reload test"
ts_wait_until 10 ntlm_passes || ts_fail "exception for a pool added by SIGHUP not applied"

# A changed [pool] stage applies to a pool never flipped.
sed -i '/^\[pool lync1\]$/a stage = audit' "$conf"
reload
ts_wait_until 10 stage_is lync1 audit || ts_fail "lync1's new configured stage not applied"

# A reload that removes the added pool leaves the others as they are.
sed '/^\[pool lync1\]$/a stage = audit' "$TS_TMP/base.conf" >"$conf"
reload
late_gone() { ! "$CURL" -s --max-time 10 "$B/metrics" | grep -q '^tessera_pool_stage{pool="late"'; }
ts_wait_until 10 late_gone || ts_fail "removed pool still in /metrics"
stage_is lync1 audit || ts_fail "lync1 changed by another pool's removal"
[ "$(ntlm_status late.test)" != 200 ] || ts_fail "removed pool's host still gated as a pool"
grep -q 'event=stage_watch_pools_pending' "$TS_TMP/tesserad.log" &&
	ts_fail "a reload did not get its stages: $(grep stage_watch_pools "$TS_TMP/tesserad.log")"
echo "PASS: cutover_reload"
