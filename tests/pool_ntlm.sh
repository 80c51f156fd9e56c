#!/bin/sh
# tessera-pool's NTLM, as IIS does it: a type 3 counts only on the TCP
# connection that received the type 2; the connection then stays
# authenticated; Negotiate carrying NTLMSSP works; wrong password or
# domain is a 401. Malformed messages (truncated, offsets and lengths past
# the end, huge lengths, bad base64) get 400/401 and the server keeps
# answering. curl --ntlm, an independent client, signs in too.
. "$TS_SRCDIR/tests/pool_lib.sh"
openssl dgst -md4 -provider legacy -provider default </dev/null >/dev/null 2>&1 ||
	ts_skip "openssl has no MD4 (legacy provider)"

start_pool pool
svc=/WebTicket/WebTicketService.svc
py rst https://lync.example.test/CertProv/CertProvisioningService.svc >"$TS_TMP/rst.xml"

# curl --ntlm (NTLMv2 because the type 2 carries target info).
req curl "$svc" --ntlm -u 'EXAMPLE\alice:alice-password' -H 'Content-Type: text/xml' \
	--data-binary "@$TS_TMP/rst.xml"
want 200 "curl --ntlm alice" curl
has curl '>sip:alice@example.test</saml:NameIdentifier>'
req curlbad "$svc" --ntlm -u 'EXAMPLE\alice:wrong' --data-binary "@$TS_TMP/rst.xml"
want 401 "curl --ntlm, wrong password" curlbad
[ "$(header curlbad WWW-Authenticate | sort | tr '\n' ' ')" = "NTLM Negotiate " ] ||
	ts_fail "wrong password: want both challenges: $(cat "$TS_TMP/curlbad.h")"

# The same type 3 on another connection, on a fresh one, on its own.
host=${base#http://}
out=$(py ntlm-bind "${host%:*}" "${host#*:}" "$svc" alice EXAMPLE alice-password "$TS_TMP/rst.xml") ||
	ts_fail "ntlm-bind: $out"
for want in other=401 fresh=401 same=200 user=1 replayed=401 followup=200 anon=401 \
	negotiate=200 wrongpw=401 wrongdomain=401; do
	case " $out " in
	*" $want "*) ;;
	*) ts_fail "NTLM binding: want $want in: $out" ;;
	esac
done
grep -q 'type 3 on a connection that got no type 2' "$TS_TMP/pool.log" ||
	ts_fail "the refused type 3 is not logged"

# Malformed NTLM: 400/401, never a crash.
py ntlm-malformed "${host%:*}" "${host#*:}" "$svc" >"$TS_TMP/malformed.txt" ||
	ts_fail "malformed NTLM: $(cat "$TS_TMP/malformed.txt")"
kill -0 "$pool_pid" || ts_fail "tessera-pool died: $(cat "$TS_TMP/pool.log")"
req alive /
want 200 "lyncdiscover after malformed NTLM" alive
! grep -q 'event=error' "$TS_TMP/pool.log" || ts_fail "handler errors: $(grep event=error "$TS_TMP/pool.log")"

# --auth-persist request: each request authenticates (authPersistSingleRequest).
start_pool strict --auth-persist request
host=${base#http://}
out=$(py ntlm-bind "${host%:*}" "${host#*:}" "$svc" bob EXAMPLE bob-password "$TS_TMP/rst.xml") ||
	ts_fail "ntlm-bind: $out"
for want in same=200 followup=401; do
	case " $out " in
	*" $want "*) ;;
	*) ts_fail "--auth-persist request: want $want in: $out" ;;
	esac
done
