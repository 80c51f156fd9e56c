#!/bin/sh
# make bench: the pools' STS. GET /adfs/ls/ with a valid SSO session (each
# answer builds, signs with RSA-2048 and serialises one SAML 1.1 token in an
# RSTR) next to raw OpenSSL RSA-2048 signatures (openssl speed, as many
# processes as tesserad has threads), alternating in short rounds so load
# from elsewhere falls on both. Goal: tokens/s >= 50% of signatures/s.
# Bounded in time (wrk -d, timeout); every process started is stopped.
#
# usage: bench_sts.sh BUILDDIR SRCDIR   (CURL, SYSTEM_PYTHON3 may name tools)
TS_BUILDDIR=${1:?build dir}
TS_SRCDIR=${2:?source dir}
export TS_BUILDDIR TS_SRCDIR
for tool in wrk openssl; do
	command -v $tool >/dev/null 2>&1 || { echo "bench-sts: SKIP: $tool not found"; exit 0; }
done
CURL=${CURL:-$(command -v curl || true)}
[ -n "$CURL" ] || { echo "bench-sts: SKIP: curl not found"; exit 0; }
. "$TS_SRCDIR/tests/bench/wrk_lib.sh"
. "$TS_SRCDIR/tests/signin_lib.sh"

THREADS=2 # tesserad's threads (signin_lib's config) and openssl speed -multi
ROUNDS=3
SECONDS_PER_ROUND=3
GOAL=0.50
REALM=https://lync1.test/passiveauth

# Started at info (the listening line), then warn by SIGHUP so per-request
# logging stays out of the numbers.
ts_setup_broker
printf '[sts]\nkey_dir = %s/sts\n' "$TS_TMP" >>"$TS_TMP/tessera.conf"
sed -i 's/^level = .*/level = warn/' "$TS_TMP/tessera.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 20 grep -q 'event=reloaded' "$TS_TMP/tesserad.log" ||
	ts_fail "tesserad did not reload: $(cat "$TS_TMP/tesserad.log")"

# One sign-in for the SSO session the benchmark presents.
[ "$(get s1 "$B/signin?pool=lync1&return=/&bind=$BIND")" = 302 ] || ts_fail "GET /signin"
sign_for "$(query "$(header s1 Location)" RelayState)" >"$TS_TMP/r1.txt"
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 302 ] ||
	ts_fail "sign-in: $(cat "$TS_TMP/a1.b")"
sso=$(cookie a1 __Host-tessera-sso)
URL="$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wctx=bench"
[ "$(get l1 "$URL" -H "Cookie: __Host-tessera-sso=$sso")" = 200 ] &&
	grep -q 'name="wresult"' "$TS_TMP/l1.b" || ts_fail "/adfs/ls/ gave no token: $(cat "$TS_TMP/l1.b")"

# rsa_rate: openssl speed's summed RSA-2048 sign/s over THREADS processes.
rsa_rate() {
	timeout $((SECONDS_PER_ROUND + 60)) openssl speed -seconds "$SECONDS_PER_ROUND" \
		-multi "$THREADS" rsa2048 >"$TS_TMP/speed.out" 2>&1 ||
		ts_fail "openssl speed: $(tail -3 "$TS_TMP/speed.out")"
	rate=$(awk '/^rsa 2048 bits/ { printf "%.0f\n", $(NF - 1) }' "$TS_TMP/speed.out")
	[ -n "$rate" ] || ts_fail "openssl speed printed no rate: $(tail -3 "$TS_TMP/speed.out")"
}

wrk_total "$URL" 1 -H "Cookie: __Host-tessera-sso=$sso" # warm-up, not counted
tokens=0 us=0 rsa_sum=0 round=1
while [ "$round" -le "$ROUNDS" ]; do
	rsa_rate
	rsa_sum=$((rsa_sum + rate))
	wrk_total "$URL" "$SECONDS_PER_ROUND" -H "Cookie: __Host-tessera-sso=$sso"
	tokens=$((tokens + wrk_requests)) us=$((us + wrk_us))
	round=$((round + 1))
done
# wrk counts only 4xx/5xx as errors: every answer must have been a token.
[ "$(metric_sum "$B" '^tessera_http_requests_total[{]route="/adfs/ls/",status="200"')" -ge "$tokens" ] ||
	ts_fail "/metrics counts fewer 200s on /adfs/ls/ than wrk's $tokens answers"
token_rate=$(awk -v n="$tokens" -v us="$us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
rsa=$((rsa_sum / ROUNDS))
ratio=$(awk -v a="$token_rate" -v b="$rsa" 'BEGIN { printf "%.2f", a / b }')
printf 'GET /adfs/ls/ (SSO session): %s tokens/s   RSA-2048 sign (%s processes): %s/s   ratio: %s   goal >= %s: %s\n' \
	"$token_rate" "$THREADS" "$rsa" "$ratio" "$GOAL" "$(verdict "$ratio" "$GOAL")"
