#!/bin/sh
# The staged cutover of a running pool, through HAProxy and the gate:
# lync1.test goes legacy → audit → passive → rollback with `tessera pool`
# while tesserad keeps running. curl --ntlm passes in legacy and audit, is
# listed by `pool plan` once audit recorded it, is refused in the pool's
# own words in passive (unless excepted) while the passive grant still
# passes, and passes again after the rollback. Under a bounded load of
# mixed clients during the flip to passive, nothing fails but the NTLM
# sign-ins that must.
. "$TS_SRCDIR/tests/signin_lib.sh"
. "$TS_SRCDIR/tests/haproxy_lib.sh"
command -v haproxy >/dev/null || ts_skip "haproxy not found"
command -v openssl >/dev/null || ts_skip "openssl not found"
[ -n "${SYSTEM_PYTHON3:-}" ] || ts_skip "python3 not found"
PC="$SYSTEM_PYTHON3 $TS_SRCDIR/tests/pool_client.py"

ts_start_gate_stack '[cutover]
usage_flush_interval = 1
stage_poll_interval_ms = 200'
SVC=/WebTicket/WebTicketService.svc
$PC rst https://lync1.test/CertProv/CertProvisioningService.svc >"$TS_TMP/rst.xml"

pool() { # pool ARGS...: tessera pool, output in $TS_TMP/pool.out; sets rc
	rc=0
	"$TS_BUILDDIR/tessera" pool "$@" -c "$TS_TMP/tessera.conf" >"$TS_TMP/pool.out" 2>&1 || rc=$?
}
ntlm() { # ntlm USER: the status of an NTLM sign-in at lync1's WebTicketService
	hc -o /dev/null -w '%{http_code}' --ntlm -u "EXAMPLE\\$1:$1-password" \
		-H 'Content-Type: text/xml' --data-binary "@$TS_TMP/rst.xml" "https://lync1.test$SVC"
}
passive_grant() { # the status of the passive grant at lync1 (the pool's 400 28020)
	hc -o /dev/null -w '%{http_code}' --data grant_type=urn:microsoft.rtc:passive \
		https://lync1.test/WebTicket/oauthtoken
}
# stage_applied STAGE: the broker judged a request at that stage.
stage_applied() {
	ntlm alice >/dev/null
	tail -n 5 "$TS_TMP/tesserad.log" | grep -q "event=gate_decision .*pool=lync1 stage=$1 "
}
flip() { # flip ARGS...: tessera pool ARGS (must succeed), then wait for the stage
	pool "$@"
	[ "$rc" = 0 ] || ts_fail "pool $*: $(cat "$TS_TMP/pool.out")"
	ts_wait_until 2 stage_applied "$3" || ts_fail "stage $3 not applied within 2 s"
}

# legacy; a web ticket minted by a password grant is recorded as such.
[ "$(ntlm alice)" = 200 ] || ts_fail "legacy: NTLM refused"
cwt_pw=$(hc --data 'grant_type=password&username=bob&password=bob-password' \
	https://lync1.test/WebTicket/oauthtoken | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
case "$cwt_pw" in cwt=*) ;; *) ts_fail "no cwt from the password grant" ;; esac
ts_wait_until 5 grep -q 'event=pool_ticket_recorded pool=lync1 kind=password user=bob' \
	"$TS_TMP/tesserad.log" || ts_fail "the password-minted ticket was not recorded"
# alice's NTLM-minted web ticket provisions a client certificate: the
# runbook lists her for Revoke-CsClientCertificate.
hc --ntlm -u 'EXAMPLE\alice:alice-password' -H 'Content-Type: text/xml' \
	--data-binary "@$TS_TMP/rst.xml" -o "$TS_TMP/ntlm-ticket.xml" "https://lync1.test$SVC"
ts_wait_until 5 grep -q 'event=pool_ticket_recorded pool=lync1 kind=ntlm user=alice' \
	"$TS_TMP/tesserad.log" || ts_fail "the NTLM-minted web ticket was not recorded"
$PC assertion "$TS_TMP/ntlm-ticket.xml" >"$TS_TMP/assertion.xml"
openssl genrsa -out "$TS_TMP/client.key" 2048 2>/dev/null
$PC certprov "$TS_TMP/assertion.xml" "$($PC csr "$TS_TMP/client.key")" sip:alice@example.test \
	>"$TS_TMP/certprov.xml"
[ "$(hc -o /dev/null -w '%{http_code}' -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/certprov.xml" \
	https://lync1.test/CertProv/CertProvisioningService.svc)" = 200 ] || ts_fail "CertProv with the ticket"
grep -q 'event=certprov_with_legacy_ticket' "$TS_TMP/tesserad.log" || ts_fail "CertProv use not noted"
pool runbook lync1
grep -q "Revoke-CsClientCertificate.*alice" "$TS_TMP/pool.out" ||
	ts_fail "runbook does not revoke alice's certificate: $(cat "$TS_TMP/pool.out")"
pool status lync1
grep -q 'stage: legacy' "$TS_TMP/pool.out" || ts_fail "status: $(cat "$TS_TMP/pool.out")"

# audit: NTLM still passes, and is recorded as would-be-blocked.
flip set lync1 audit --reason "measure first"
[ "$(ntlm alice)" = 200 ] && [ "$(ntlm bob)" = 200 ] || ts_fail "audit: NTLM refused"
listed() { pool plan lync1 && grep -q 'alice' "$TS_TMP/pool.out" && grep -q 'bob' "$TS_TMP/pool.out"; }
ts_wait_until 10 listed || ts_fail "plan does not list alice and bob: $(cat "$TS_TMP/pool.out"; sqlite3 "$TS_TMP/tessera.db" "select * from cutover_usage; select * from cutover_stage;" 2>&1; ls -la "$TS_TMP"/tessera.db*; grep -e usage -e cutover "$TS_TMP/tesserad.log")"
grep -qi 'ntlm' "$TS_TMP/pool.out" || ts_fail "plan without the kind: $(cat "$TS_TMP/pool.out")"
# A spray: wrong NTLM passwords for carol and mallory and one for alice, a
# wrong password grant for dave, a wrong PIN for erin. The pool refuses them
# (401, 400, a 28020 fault), so none counts as a sign-in: carol, mallory,
# dave and erin are not in the plan, alice
# and bob still are, and the report shows the refusals. (Only the pool's
# answer tells; the gate let them through.)
spray() { # USER: the status of an NTLM sign-in with a wrong password
	hc -o /dev/null -w '%{http_code}' --ntlm -u "EXAMPLE\\$1:guess" \
		-H 'Content-Type: text/xml' --data-binary "@$TS_TMP/rst.xml" "https://lync1.test$SVC"
}
for u in carol mallory alice; do
	code=$(spray $u)
	[ "$code" = 401 ] || ts_fail "$u's wrong NTLM password: $code, not the pool's 401"
done
code=$(hc -o /dev/null -w '%{http_code}' --data 'grant_type=password&username=dave&password=guess' \
	https://lync1.test/WebTicket/oauthtoken)
[ "$code" = 400 ] || ts_fail "dave's wrong password grant: $code, not the pool's 400"
# A PIN spray (lyncsmash's /Auth): the pool's 28020 SOAP fault refuses it.
$PC auth 'EXAMPLE\erin' 000000 https://lync1.test/WebTicket/WebTicketService.svc >"$TS_TMP/pin.xml"
code=$(hc -o "$TS_TMP/pin.out" -w '%{http_code}' -H 'Content-Type: text/xml' \
	--data-binary "@$TS_TMP/pin.xml" "https://lync1.test$SVC/Auth")
[ "$code" = 500 ] && grep -q '<ErrorId>28020</ErrorId>' "$TS_TMP/pin.out" ||
	ts_fail "erin's wrong PIN: $code, not the pool's fault: $(head -c 300 "$TS_TMP/pin.out")"
refusals() { # every refusal flushed: one row per user and kind
	"$TS_BUILDDIR/tessera" report --pool lync1 --format csv -c "$TS_TMP/tessera.conf" \
		>"$TS_TMP/report.csv" 2>&1 &&
		[ "$(grep -c ',ntlm,pool-refused,' "$TS_TMP/report.csv")" = 3 ] &&
		grep -q '^lync1,dave,.*,password,pool-refused,' "$TS_TMP/report.csv" &&
		grep -q '^lync1,[^,]*erin,.*,pin,pool-refused,' "$TS_TMP/report.csv"
}
ts_wait_until 10 refusals || ts_fail "refusals not reported: $(cat "$TS_TMP/report.csv")"
grep -q '^lync1,carol,.*,ntlm,would-block,' "$TS_TMP/report.csv" ||
	ts_fail "the sprayed attempt itself is not reported: $(cat "$TS_TMP/report.csv")"
pool plan lync1
grep -q alice "$TS_TMP/pool.out" && grep -q bob "$TS_TMP/pool.out" &&
	! grep -q -e carol -e mallory -e dave -e erin "$TS_TMP/pool.out" ||
	ts_fail "the plan counts refused attempts: $(cat "$TS_TMP/pool.out")"

# passive: refused while plan lists anyone who would break; an exception
# for alice; forced for bob. Under a bounded load of mixed clients.
pool set lync1 passive --reason "cutover"
[ "$rc" = 1 ] && grep -q CUTOVER_WOULD_BREAK "$TS_TMP/pool.out" ||
	ts_fail "flip despite plan: $rc $(cat "$TS_TMP/pool.out")"
pool except add lync1 --user alice --until 2099-01-01 --reason "kiosk until its upgrade"
[ "$rc" = 0 ] || ts_fail "except add: $(cat "$TS_TMP/pool.out")"
load() { # N: passive grants, all of which must pass the gate (the pool's 400)
	i=0
	while [ $i -lt "$1" ]; do
		code=$(passive_grant)
		[ "$code" = 400 ] || echo "passive grant: $code"
		i=$((i + 1))
	done
}
load 60 >"$TS_TMP/load1.out" &
l1=$!
load 60 >"$TS_TMP/load2.out" &
l2=$!
flip set lync1 passive --reason "cutover" --force
wait $l1 $l2
! [ -s "$TS_TMP/load1.out" ] && ! [ -s "$TS_TMP/load2.out" ] ||
	ts_fail "passive clients failed during the flip: $(cat "$TS_TMP"/load*.out | head -3)"
[ "$(ntlm bob)" = 500 ] || ts_fail "passive: bob's NTLM not refused"
[ "$(ntlm alice)" = 200 ] || ts_fail "passive: excepted alice refused"
[ "$(passive_grant)" = 400 ] || ts_fail "passive: the passive grant did not pass"
grep -q 'event=gate_decision .*pool=lync1 stage=passive kind=ntlm outcome=allow excepted=yes' \
	"$TS_TMP/tesserad.log" || ts_fail "the exception is not logged"
# The ticket the password grant minted before the flip is refused now; one
# from a passive sign-in is not.
[ "$(hc -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $cwt_pw" https://lync1.test/ucwa)" = 401 ] &&
	grep -q 'event=gate_decision error=GATE_TICKET_LEGACY pool=lync1 stage=passive kind=pool-ticket outcome=refuse' \
		"$TS_TMP/tesserad.log" || ts_fail "a password-minted ticket outlived the flip"
[ "$(hc -o /dev/null -w '%{http_code}' -H "Authorization: bearer  $cwt_pw" https://lync1.test/ucwa)" = 401 ] ||
	ts_fail "the recorded ticket passed with another spelling of Bearer"
cwt_passive=$(passive_signin lync1.test)
[ "$(hc -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $cwt_passive" https://lync1.test/ucwa)" = 200 ] ||
	ts_fail "a passive-minted ticket was refused"

# rollback: back to audit, journaled; NTLM passes again.
pool rollback lync1 --reason "helpdesk calls"
[ "$rc" = 0 ] || ts_fail "rollback: $(cat "$TS_TMP/pool.out")"
ts_wait_until 2 stage_applied audit || ts_fail "rollback not applied within 2 s"
[ "$(ntlm bob)" = 200 ] || ts_fail "after rollback: NTLM refused"
pool history lync1
for want in "measure first" "cutover" "helpdesk calls"; do
	grep -q "$want" "$TS_TMP/pool.out" || ts_fail "history lacks '$want': $(cat "$TS_TMP/pool.out")"
done
"$CURL" -s "$B/metrics" | grep -q '^tessera_pool_stage{pool="lync1",stage="audit"} 1' ||
	ts_fail "/metrics: $("$CURL" -s "$B/metrics" | grep pool_stage)"
echo "PASS: cutover_haproxy"
