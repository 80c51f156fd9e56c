#!/bin/sh
# make bench: the gate's cost, each rate next to a baseline in the same run
# (alternating short rounds; the machine is shared):
#
#   HAProxy → pool, gate on (shipped conf/haproxy/) vs gate off (the same
#   config without its SPOE lines), GET /ucwa over TLS keep-alive:
#     - tessera-pool upstream, its own cwt ticket (the pool checks it);
#     - a static upstream (hello_mhd), with a Tessera ticket (the gate
#       verifies it) and with a pool ticket (the gate classifies it);
#     goal: gate on >= 60% of gate off (aim 75%).
#   GET /gate over HTTP (X-Original-*, a Tessera ticket) next to a bare
#     libmicrohttpd hello-world; goal >= 80%.
#
# Bounded in time (wrk -d, timeout); every process started is stopped.
# usage: bench_gate.sh BUILDDIR SRCDIR   (CURL, SYSTEM_PYTHON3 may name tools)
TS_BUILDDIR=${1:?build dir}
TS_SRCDIR=${2:?source dir}
export TS_BUILDDIR TS_SRCDIR
for tool in wrk haproxy openssl; do
	command -v $tool >/dev/null 2>&1 || { echo "bench-gate: SKIP: $tool not found"; exit 0; }
done
CURL=${CURL:-$(command -v curl || true)}
[ -n "$CURL" ] || { echo "bench-gate: SKIP: curl not found"; exit 0; }
SYSTEM_PYTHON3=${SYSTEM_PYTHON3:-$(command -v python3 || true)}
. "$TS_SRCDIR/tests/bench/wrk_lib.sh"
. "$TS_SRCDIR/tests/signin_lib.sh"
. "$TS_SRCDIR/tests/haproxy_lib.sh"

ROUNDS=3
SECONDS_PER_ROUND=2
GOAL_PROXY=0.60
GOAL_HTTP=0.80

# tesserad: lync2 passive, the agent on; warn level keeps per-request
# logging (gate_decision is info) out of the numbers.
"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/idp" >/dev/null
ts_broker_config "$TS_TMP/tessera.conf"
sed -i 's/^\[pool lync2\]$/&\nstage = passive/' "$TS_TMP/tessera.conf"
printf '[gate]\nspop_listen_address = 127.0.0.1\nspop_listen_port = 0\n' >>"$TS_TMP/tessera.conf"
ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad.log"
B="http://127.0.0.1:$TS_PORT"
SPOP_PORT=$(sed -n 's/.*event=spop_listening .*port=\([0-9]*\).*/\1/p' "$TS_TMP/tesserad.log")
[ -n "$SPOP_PORT" ] || ts_fail "no agent: $(cat "$TS_TMP/tesserad.log")"
sed -i 's/^level = .*/level = warn/' "$TS_TMP/tessera.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 20 grep -q 'event=reloaded' "$TS_TMP/tesserad.log" || ts_fail "no reload"

# Upstreams: tessera-pool as lync1, hello_mhd as lync2.
start_emulator pool lync1.test
P1=$emulator
"$TS_BUILDDIR/tests/bench/hello_mhd" 2 >"$TS_TMP/hello.log" 2>&1 &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 20 grep -q 'listening port=' "$TS_TMP/hello.log" || ts_fail "hello_mhd did not start"
H="127.0.0.1:$(sed -n 's/.*listening port=\([0-9]*\).*/\1/p' "$TS_TMP/hello.log")"

# Gate on (shipped config) and gate off (no SPOE filter, no verdict rules).
ts_start_haproxy "$P1" "$H"
ON=$HA_PORT
grep -v -e spoe -e '!judged' "$TS_SRCDIR/conf/haproxy/haproxy.cfg" >"$TS_TMP/gate-off.cfg"
ts_start_haproxy "$P1" "$H" "$TS_TMP/gate-off.cfg" "$TS_TMP/haproxy-off.log"
OFF=$HA_PORT

# Credentials: the pool's own cwt (password grant at the legacy pool) and a
# Tessera ticket for lync2 (a sign-in, then the hand-over on its host).
HA_PORT=$ON
cwt=$(hc --data 'grant_type=password&username=alice&password=alice-password' \
	https://lync1.test/WebTicket/oauthtoken | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
case "$cwt" in cwt=*) ;; *) ts_fail "no cwt from the pool" ;; esac
[ "$(get s1 "$B/signin?pool=lync2&return=/ucwa&bind=$BIND")" = 302 ] || ts_fail "signin"
sign_for "$(query "$(header s1 Location)" RelayState)" >"$TS_TMP/r1.txt"
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 302 ] || ts_fail "acs: $(cat "$TS_TMP/a1.b")"
get c1 "$B/.tessera/session?code=$(query "$(header a1 Location)" code)&return=/" \
	-H 'Host: lync2.test' >/dev/null
tk=$(cookie c1 __Host-tessera)
[ -n "$tk" ] || ts_fail "no Tessera ticket: $(cat "$TS_TMP/c1.h")"

# Each setup must answer 200 through the gate before it is measured.
check() { # PORT HOST HEADER
	code=$("$CURL" -sk -o /dev/null -w '%{http_code}' -H "Host: $2" -H "$3" "https://127.0.0.1:$1/ucwa")
	[ "$code" = 200 ] || ts_fail "$2 with '$(echo "$3" | cut -c1-30)' via port $1: $code"
}
for port in $ON $OFF; do
	check "$port" lync1.test "Authorization: Bearer $cwt"
	check "$port" lync2.test "Cookie: __Host-tessera=$tk"
	check "$port" lync2.test "Authorization: Bearer cwt=AAAA"
done

# compare URL_A URL_B [wrk args]: alternating rounds; sets rate_a,
# rate_b, ratio (a / b) and a_req (requests A answered).
compare() {
	a=$1 b=$2
	shift 2
	wrk_total "$a" 1 "$@"
	wrk_total "$b" 1 "$@"
	a_req=0 a_us=0 b_req=0 b_us=0 round=1
	while [ "$round" -le "$ROUNDS" ]; do
		wrk_total "$b" "$SECONDS_PER_ROUND" "$@"
		b_req=$((b_req + wrk_requests)) b_us=$((b_us + wrk_us))
		wrk_total "$a" "$SECONDS_PER_ROUND" "$@"
		a_req=$((a_req + wrk_requests)) a_us=$((a_us + wrk_us))
		round=$((round + 1))
	done
	rate_a=$(awk -v n="$a_req" -v us="$a_us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
	rate_b=$(awk -v n="$b_req" -v us="$b_us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
	ratio=$(awk -v a="$rate_a" -v b="$rate_b" 'BEGIN { printf "%.2f", a / b }')
}

compare "https://127.0.0.1:$ON/ucwa" "https://127.0.0.1:$OFF/ucwa" \
	-H "Host: lync1.test" -H "Authorization: Bearer $cwt"
printf 'HAProxy -> tessera-pool, pool cwt:      gate on %s/s  off %s/s  ratio %s  goal >= %s: %s\n' \
	"$rate_a" "$rate_b" "$ratio" "$GOAL_PROXY" "$(verdict "$ratio" "$GOAL_PROXY")"
compare "https://127.0.0.1:$ON/ucwa" "https://127.0.0.1:$OFF/ucwa" \
	-H "Host: lync2.test" -H "Cookie: __Host-tessera=$tk"
printf 'HAProxy -> static, Tessera ticket:     gate on %s/s  off %s/s  ratio %s  goal >= %s: %s\n' \
	"$rate_a" "$rate_b" "$ratio" "$GOAL_PROXY" "$(verdict "$ratio" "$GOAL_PROXY")"
compare "https://127.0.0.1:$ON/ucwa" "https://127.0.0.1:$OFF/ucwa" \
	-H "Host: lync2.test" -H "Authorization: Bearer cwt=AAAA"
printf 'HAProxy -> static, pool ticket:        gate on %s/s  off %s/s  ratio %s  goal >= %s: %s\n' \
	"$rate_a" "$rate_b" "$ratio" "$GOAL_PROXY" "$(verdict "$ratio" "$GOAL_PROXY")"
[ "$(metric_sum "$B" '^tessera_gate_decisions_total[{]pool="lync2",kind="tessera-ticket",outcome="allow"')" -ge "$a_req" ] ||
	ts_fail "/metrics counts fewer gate decisions than requests answered"

[ "$(get g1 "$B/gate" -H "X-Original-Method: GET" -H "X-Original-URI: /ucwa" \
	-H "X-Original-Host: lync2.test" -H "Cookie: __Host-tessera=$tk")" = 200 ] ||
	ts_fail "GET /gate did not allow the ticket: $(cat "$TS_TMP/g1.h")"
compare "$B/gate" "http://$H/" -H "X-Original-Method: GET" -H "X-Original-URI: /ucwa" \
	-H "X-Original-Host: lync2.test" -H "Cookie: __Host-tessera=$tk"
printf 'GET /gate, Tessera ticket, vs hello_mhd: %s/s  vs %s/s  ratio %s  goal >= %s: %s\n' \
	"$rate_a" "$rate_b" "$ratio" "$GOAL_HTTP" "$(verdict "$ratio" "$GOAL_HTTP")"
