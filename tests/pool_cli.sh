#!/bin/sh
# tessera pool / report end to end on a temp config and store: status, set
# with and without --force, two operators at once (exactly one wins), --all,
# rollback, exceptions, history (who, when, from, to, why), report as CSV
# and JSON (read back by Python's csv and json), and the runbook.
. "$TS_SRCDIR/tests/lib.sh"

tessera="$TS_BUILDDIR/tessera"
seed="$TS_BUILDDIR/tests/cutover_seed"
db="$TS_TMP/tessera.db"
conf="$TS_TMP/t.conf"
cat >"$conf" <<CONF
[broker]
public_url = https://sso.example.test/
[log]
level = warn
[store]
path = $db
[idp corp]
[pool lync]
host = lyncweb.example.test
fqdn = pool01.corp.example.test
edge_pool = edge01.corp.example.test
idp = corp
[pool web]
host = web.example.test
idp = corp
stage = audit
CONF

run() { # run ARGS...: sets rc, output in $TS_TMP/out (stdout + stderr)
	rc=0
	"$tessera" "$@" -c "$conf" >"$TS_TMP/out" 2>&1 || rc=$?
}
expect() { # expect RC TEXT: the last run exited RC and printed TEXT
	[ "$rc" = "$1" ] || ts_fail "exit $rc, want $1: $(cat "$TS_TMP/out")"
	[ -z "$2" ] || grep -qF -- "$2" "$TS_TMP/out" || ts_fail "no '$2' in: $(cat "$TS_TMP/out")"
}

# Status before any change: configured stages, version 0.
run pool status
expect 0 "stage: legacy"
grep -q "stage: audit" "$TS_TMP/out" || ts_fail "web not at its configured audit stage"
run pool set lync audit
expect 2 "usage:"
run pool set lync bogus --reason x
expect 1 CUTOVER_STAGE
run pool set nope audit --reason x
expect 1 POOL_UNKNOWN

# Legacy use seen in audit: alice's client cannot do passive, bob's can.
"$seed" "$db" usage lync 'CORP\alice' lync2010 no ntlm 192.0.2.10 would-block \
	'UCCAPI/4.0 (Microsoft Lync 2010)'
"$seed" "$db" usage lync 'bob@example.test' sfb yes ntlm 2001:db8::7 would-block
"$seed" "$db" usage lync 'eve,"the" =admin' sfb yes basic 198.51.100.1 passed
"$seed" "$db" ticket lync ntlm 'carol@example.test' 'cwt=AAAA' certprov
"$seed" "$db" ticket lync ntlm "dan@example.test'; Remove-Item C:\\" 'cwt=BBBB'
run pool set lync audit --reason "start observing"
expect 0 "pool lync: stage audit, version 1"
run pool plan lync
expect 0 "summary: 1 break, 2 move to passive"
grep -q 'CORP\\alice	lync2010	ntlm	1	[-0-9T:Z]*	"UCCAPI/4.0 (Microsoft Lync 2010)"$' \
	"$TS_TMP/out" || ts_fail "plan: $(cat "$TS_TMP/out")"

# A flip to passive refuses while someone would break, and says who.
run pool set lync passive --reason "cut over"
expect 1 CUTOVER_WOULD_BREAK
grep -qF 'CORP\alice' "$TS_TMP/out" || ts_fail "refusal does not name alice: $(cat "$TS_TMP/out")"
run pool status lync
expect 0 "stage: audit"

# An exception for alice: the flip goes through without --force.
run pool except add lync --user 'CORP\alice' --until 2999-01-01 --reason "old laptop"
expect 0 "exception 1 added"
run pool except add lync --cidr 10.0.0.1/8 --until 2999-01-01 --reason typo
expect 1 CUTOVER_CIDR
run pool except add lync --agent '*Lync 2010*' --until 2001-01-01 --reason past
expect 1 CUTOVER_UNTIL
run pool except add lync --agent '*OCPhone*' --until 2999-01-01 --reason phones
expect 0 "exception 2 added"
run pool except list lync
expect 0 "old laptop"
grep -q "^2	agent	\*OCPhone\*	2999-01-01T00:00:00Z	active	" "$TS_TMP/out" ||
	ts_fail "except list: $(cat "$TS_TMP/out")"
run pool except rm lync 2
expect 0 "exception 2 removed"
run pool except rm lync 2
expect 1 CUTOVER_EXCEPTION_UNKNOWN
run pool plan lync
expect 0 "summary: 0 break, 2 move to passive"
run pool set lync passive --reason "cut over"
expect 0 "stage passive, version 2"

# --force: web has breaking users and no exception. What the clients sent
# is shown escaped: none of it reaches the terminal as a control (an ESC
# clearing the screen in a User-Agent; a C1 CSI and a right-to-left
# override in a Basic user name).
"$seed" "$db" usage web 'CORP\frank' phone no ntlm 192.0.2.20 would-block \
	"$(printf 'CPE/4.0 OCPhone\033[2J')"
"$seed" "$db" usage web "$(printf 'mal\342\200\256lory\302\233')" phone no basic 192.0.2.21 \
	would-block 'x'
raw_controls() { grep -q -e "$(printf '\033')" -e "$(printf '\342\200\256')" \
	-e "$(printf '\302\233')" "$TS_TMP/out"; }
run pool set web passive --reason "web too"
expect 1 CUTOVER_WOULD_BREAK
expect 1 '"CPE/4.0 OCPhone\x1b[2J"'
expect 1 'mal\xe2\x80\xaelory\xc2\x9b'
! raw_controls || ts_fail "a raw control reached the output: $(od -c "$TS_TMP/out")"
run report --pool web
expect 0 'mal\xe2\x80\xaelory\xc2\x9b'
! raw_controls || ts_fail "a raw control reached the report: $(od -c "$TS_TMP/out")"
run report --pool web --format json
expect 0 '"mal\u202Elory\u009B"'
! raw_controls || ts_fail "a raw control reached the JSON report: $(od -c "$TS_TMP/out")"
run pool set web passive --reason "accepted risk" --force
expect 0 "(forced)"

# --all: one pool refused, none changed (lync at passive, web at passive;
# both back to audit first, then the all-or-nothing flip with frank in web).
run pool set --all audit --reason "step back"
expect 0 "pool web: stage audit, version 2"
run pool set --all passive --reason "everyone"
expect 1 "no pool was changed"
run pool status lync
expect 0 "stage: audit"

# Two operators at once, both from version 3: exactly one wins.
"$tessera" pool set lync legacy --reason one --version 3 -c "$conf" >"$TS_TMP/a" 2>&1 &
a=$!
"$tessera" pool set lync legacy --reason two --version 3 -c "$conf" >"$TS_TMP/b" 2>&1 &
b=$!
TS_PIDS="$TS_PIDS $a $b"
ra=0 rb=0
wait "$a" || ra=$?
wait "$b" || rb=$?
[ "$((ra + rb))" = 1 ] && [ "$ra" -le 1 ] && [ "$rb" -le 1 ] ||
	ts_fail "concurrent set: exits $ra and $rb: $(cat "$TS_TMP/a" "$TS_TMP/b")"
cat "$TS_TMP/a" "$TS_TMP/b" | grep -q "CUTOVER_CONFLICT" || ts_fail "no conflict reported"
cat "$TS_TMP/a" "$TS_TMP/b" | grep -q "changed by someone else" || ts_fail "loser not told"

# Rollback returns to the stage before the last change, journaled.
run pool rollback lync --reason "undo"
expect 0 "rolled back from legacy to audit, version 5"
run pool rollback web
expect 1 CUTOVER_WOULD_BREAK
run pool rollback web --force
expect 0 "rolled back from audit to passive"
run pool history lync
expect 0 "VERSION	AT	BY	FROM	TO	FLAGS	REASON"
me=$(id -un)
grep -q "^1	....-..-..T..:..:..Z	$me	legacy	audit	-	start observing$" "$TS_TMP/out" ||
	ts_fail "history lacks who/when/from/to/why: $(cat "$TS_TMP/out")"
grep -q "^5	.*	legacy	audit	rollback	undo$" "$TS_TMP/out" ||
	ts_fail "history lacks the rollback: $(cat "$TS_TMP/out")"
SUDO_USER=mallory "$tessera" pool set lync legacy --reason sudo -c "$conf" >/dev/null ||
	ts_fail "set under SUDO_USER failed"
run pool history lync
grep -q "	mallory (sudo as $me)	audit	legacy" "$TS_TMP/out" ||
	ts_fail "SUDO_USER not journaled: $(cat "$TS_TMP/out")"

# Report: CSV (quoting, formulas defused) and JSON, read back by Python.
run report --format csv
expect 0 "pool,user,family,kind,decision"
python3 - "$TS_TMP/out" <<'PY' || ts_fail "CSV: $(cat "$TS_TMP/out")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
users = {r["user"] for r in rows}
assert 'eve,"the" =admin' in users, users
assert "CORP\\alice" in users, users
assert all(r["count"].isdigit() for r in rows)
PY
run report --pool lync --format json
expect 0 '"rows"'
python3 - "$TS_TMP/out" <<'PY' || ts_fail "JSON: $(cat "$TS_TMP/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert {r["pool"] for r in doc["rows"]} == {"lync"}
alice = [r for r in doc["rows"] if r["user"] == "CORP\\alice"][0]
assert alice["decision"] == "would-block" and alice["passive_capable"] is False
PY
run report --format text --since 2000-01-01
expect 0 "legacy sign-in since 2000-01-01T00:00:00Z"
run report --format xml
expect 2 usage

# Runbook: Tessera's metadata URL, the pool FQDN, Edge and Registrar, and
# Revoke-CsClientCertificate, with a hostile user name never a command.
run pool runbook lync
expect 0 "-WsFedPassiveMetadataUri 'https://sso.example.test/FederationMetadata/2007-06/FederationMetadata.xml'"
for want in "Set-CsWebServiceConfiguration -Identity 'Service:WebServer:pool01.corp.example.test' -UseWsFedPassiveAuth \$true" \
	"-UseWindowsAuth None -UseCertificateAuth \$false -UsePinAuth \$false" \
	"Set-CsProxyConfiguration -Identity 'Service:EdgeServer:edge01.corp.example.test' -UseKerberosForClientToProxyAuth \$false -UseNtlmForClientToProxyAuth \$false" \
	"Set-CsProxyConfiguration -Identity 'Service:Registrar:pool01.corp.example.test'" \
	"Revoke-CsClientCertificate -Identity 'sip:carol@example.test'" \
	"Revoke-CsClientCertificate -Identity 'sip:dan@example.test''; Remove-Item C:\\'"; do
	grep -qF -- "$want" "$TS_TMP/out" || ts_fail "runbook lacks '$want': $(cat "$TS_TMP/out")"
done
exit 0
