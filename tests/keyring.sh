#!/bin/sh
# The ticket key ring from the operator's side: tessera key rotate / list,
# tesserad refusing to start on unsafe permissions (and saying which file
# and why), creating the ring on first start, and picking up a rotation
# without a restart, on SIGHUP and by its periodic check.
. "$TS_SRCDIR/tests/lib.sh"

tessera="$TS_BUILDDIR/tessera"
tesserad="$TS_BUILDDIR/tesserad"
keys="$TS_TMP/keys"

# write_conf FILE KEY_DIR CHECK_INTERVAL
write_conf() {
	cat >"$1" <<CONF
[broker]
listen_address = 127.0.0.1
listen_port = 0
threads = 1
[log]
level = info
[tickets]
key_dir = $2
lifetime = 3600
clock_skew = 60
keyring_check_interval = $3
[store]
path = $TS_TMP/state-$(basename "$1").db
CONF
}
write_conf "$TS_TMP/a.conf" "$keys" 3600

mode_of() { stat -c %a "$1"; }

# stop_tesserad LOG: SIGTERM, and a clean exit 0 (a sanitizer report at
# exit would change it).
stop_tesserad() {
	kill -TERM "$TS_TESSERAD_PID"
	ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad did not stop"
	rc=0
	wait "$TS_TESSERAD_PID" || rc=$?
	[ "$rc" = 0 ] || ts_fail "tesserad exit $rc after SIGTERM: $(tail -n 20 "$1")"
}

# ---- the CLI ----
rc=0
"$tessera" key list -c "$TS_TMP/a.conf" >/dev/null 2>"$TS_TMP/err" || rc=$?
[ "$rc" = 1 ] || ts_fail "key list of a missing ring: exit $rc, want 1"
grep -q "cannot read key ring $keys" "$TS_TMP/err" || ts_fail "no diagnostic: $(cat "$TS_TMP/err")"

"$tessera" key rotate -c "$TS_TMP/a.conf" >"$TS_TMP/out" 2>"$TS_TMP/err" ||
	ts_fail "key rotate: $(cat "$TS_TMP/err")"
kid1=$(cut -f1 "$TS_TMP/out")
[ "$(cut -f2- "$TS_TMP/out")" = "$(printf 'EdDSA\tactive')" ] || ts_fail "rotate printed $(cat "$TS_TMP/out")"
[ "$(mode_of "$keys")" = 700 ] || ts_fail "key dir mode $(mode_of "$keys"), want 700"
[ "$(mode_of "$keys/$kid1.key")" = 600 ] || ts_fail "key mode $(mode_of "$keys/$kid1.key"), want 600"
grep -q '"alg": "EdDSA"' "$keys/$kid1.json" || ts_fail "metadata: $(cat "$keys/$kid1.json")"
grep -q 'event=key_rotated' "$TS_TMP/err" || ts_fail "rotation not logged"

"$tessera" key rotate -c "$TS_TMP/a.conf" --alg ES256 >"$TS_TMP/out" 2>"$TS_TMP/err" ||
	ts_fail "key rotate --alg ES256: $(cat "$TS_TMP/err")"
kid2=$(cut -f1 "$TS_TMP/out")
[ "$kid2" != "$kid1" ] || ts_fail "rotation reused kid $kid1"
"$tessera" key list -c "$TS_TMP/a.conf" >"$TS_TMP/list" || ts_fail "key list failed"
[ "$(wc -l <"$TS_TMP/list")" = 3 ] || ts_fail "key list: $(cat "$TS_TMP/list")"
head -n 1 "$TS_TMP/list" | grep -q '^KID  *ALG  *CREATED  *STATE  *DELETABLE_AFTER$' ||
	ts_fail "key list header: $(head -n 1 "$TS_TMP/list")"
sed -n 2p "$TS_TMP/list" | grep -Eq "^$kid2  ES256  [0-9T:-]{19}Z  active   -$" ||
	ts_fail "active row: $(sed -n 2p "$TS_TMP/list")"
row=$(sed -n 3p "$TS_TMP/list")
echo "$row" | grep -Eq "^$kid1  EdDSA  [0-9T:-]{19}Z  retired  [0-9T:-]{19}Z$" ||
	ts_fail "retired row: $row"
# deletable_after = retired_at + lifetime + skew (3660 s).
retired=$(sed -n 's/.*"retired_at": "\(.*\)".*/\1/p' "$keys/$kid1.json")
deletable=$(echo "$row" | awk '{ print $5 }')
[ $(($(date -d "$deletable" +%s) - $(date -d "$retired" +%s))) = 3660 ] ||
	ts_fail "deletable_after $deletable is not retired_at $retired + 3660 s"

rc=0
"$tessera" key rotate -c "$TS_TMP/a.conf" --alg RS256 >/dev/null 2>"$TS_TMP/err" || rc=$?
[ "$rc" = 2 ] || ts_fail "--alg RS256: exit $rc, want 2"
grep -q "must be EdDSA or ES256" "$TS_TMP/err" || ts_fail "--alg RS256: $(cat "$TS_TMP/err")"

# ---- tesserad refuses unsafe permissions, naming file and mode ----
# expect_refusal WHAT NEEDLE: tesserad must exit 1 (timeout 124 means it ran).
expect_refusal() {
	rc=0
	timeout 20 "$tesserad" -c "$TS_TMP/a.conf" 2>"$TS_TMP/refused.log" || rc=$?
	[ "$rc" = 1 ] || ts_fail "$1: tesserad exit $rc, want 1: $(cat "$TS_TMP/refused.log")"
	grep -q -- "$2" "$TS_TMP/refused.log" ||
		ts_fail "$1: log lacks '$2': $(cat "$TS_TMP/refused.log")"
	grep -q 'event=start_refused' "$TS_TMP/refused.log" || ts_fail "$1: no start_refused line"
}
chmod 644 "$keys/$kid1.key"
expect_refusal "key 0644" \
	"event=keyring_refused error=KEY_PERMISSIONS path=$keys/$kid1.key mode=0644 reason=\"private key file must be mode 0600: chmod 600 it\""
chmod 600 "$keys/$kid1.key"
chmod 750 "$keys"
expect_refusal "dir 0750 (group readable)" "error=KEYRING_PERMISSIONS path=$keys mode=0750"
chmod 702 "$keys"
expect_refusal "dir 0702 (world writable)" "error=KEYRING_PERMISSIONS path=$keys mode=0702"
chmod 700 "$keys"

# ---- first start creates the ring ----
write_conf "$TS_TMP/fresh.conf" "$TS_TMP/fresh/keys" 3600
ts_start_tesserad "$TS_TMP/fresh.conf" "$TS_TMP/fresh.log"
grep -q "event=keyring_created dir=$TS_TMP/fresh/keys" "$TS_TMP/fresh.log" ||
	ts_fail "no keyring_created: $(cat "$TS_TMP/fresh.log")"
[ "$(mode_of "$TS_TMP/fresh/keys")" = 700 ] || ts_fail "created ring mode $(mode_of "$TS_TMP/fresh/keys")"
stop_tesserad "$TS_TMP/fresh.log"

# ---- a running tesserad picks up a rotation on SIGHUP ----
ts_start_tesserad "$TS_TMP/a.conf" "$TS_TMP/a.log"
grep -q "event=keyring_loaded keys=2 active=$kid2" "$TS_TMP/a.log" ||
	ts_fail "start-up ring: $(cat "$TS_TMP/a.log")"
"$tessera" key rotate -c "$TS_TMP/a.conf" >"$TS_TMP/out" 2>/dev/null || ts_fail "rotate"
kid3=$(cut -f1 "$TS_TMP/out")
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q "event=keyring_reloaded keys=3 active=$kid3" "$TS_TMP/a.log" ||
	ts_fail "SIGHUP did not load the rotated ring: $(cat "$TS_TMP/a.log")"

# A ring made unsafe while running is refused on reload; the old one stays.
chmod 644 "$keys/$kid3.key"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q "event=keyring_reload_refused error=KEY_PERMISSIONS" "$TS_TMP/a.log" ||
	ts_fail "unsafe ring not refused on reload: $(cat "$TS_TMP/a.log")"
kill -0 "$TS_TESSERAD_PID" || ts_fail "tesserad died on an unsafe reload"
if [ -n "$CURL" ]; then
	[ "$(ts_http_status GET "http://127.0.0.1:$TS_PORT/healthz")" = 200 ] ||
		ts_fail "not serving after a refused key ring reload"
fi
chmod 600 "$keys/$kid3.key"
stop_tesserad "$TS_TMP/a.log"

# ---- ... and by its periodic check, with no signal ----
write_conf "$TS_TMP/b.conf" "$keys" 1
ts_start_tesserad "$TS_TMP/b.conf" "$TS_TMP/b.log"
"$tessera" key rotate -c "$TS_TMP/b.conf" >"$TS_TMP/out" 2>/dev/null || ts_fail "rotate"
kid4=$(cut -f1 "$TS_TMP/out")
ts_wait_until 15 grep -q "event=keyring_reloaded keys=4 active=$kid4" "$TS_TMP/b.log" ||
	ts_fail "periodic check did not load the rotated ring: $(cat "$TS_TMP/b.log")"
stop_tesserad "$TS_TMP/b.log"
echo "PASS: key ring"
