#!/bin/sh
# tessera-pool as a passive (WS-Fed) relying party: the 400 + 28020 +
# ms_rtc_passiveauthuri answer, PassiveAuth.aspx's redirect to the STS, the
# RSTR consumed at /passiveauth/ (signature by xmlsec1 against the STS
# metadata, issuer, audience, times, primarysid, replay), the session cookie
# traded for a cwt. Tokens are signed here by the xmlsec1 CLI (and once by
# tessera-idp), never by the code under test. Refused: a key not in the
# metadata, wrong audience, no primarysid, expired; a key rollover is picked
# up when the metadata lists the new certificate.
. "$TS_SRCDIR/tests/pool_lib.sh"
[ -n "${XMLSEC1:-}" ] || ts_skip "xmlsec1 not found"

idp="$TS_BUILDDIR/tessera-idp"
H=https://lync.example.test
realm=$H/passiveauth
sts=https://tessera.example.test/adfs/ls/
issuer=https://tessera.example.test/adfs/services/trust
sid_alice=S-1-5-21-1004336348-1177238915-682003330-1104
for k in a b c; do "$idp" keys "$TS_TMP/$k" >/dev/null; done
mkdir "$TS_TMP/md"
py metadata "$issuer" "$sts" "$TS_TMP/a/idp.crt" >"$TS_TMP/md/metadata.xml"

# The STS's metadata over HTTP, from another process.
"$SYSTEM_PYTHON3" -u -m http.server 0 --bind 127.0.0.1 --directory "$TS_TMP/md" \
	>"$TS_TMP/md.out" 2>"$TS_TMP/md.log" &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 20 grep -q 'port [0-9]' "$TS_TMP/md.out" || ts_fail "metadata server did not start"
md_port=$(sed -n 's/.* port \([0-9]*\) .*/\1/p' "$TS_TMP/md.out" | head -n 1)
md_url=http://127.0.0.1:$md_port/metadata.xml

start_pool pool --host lync.example.test --sts-metadata "$md_url" --sts-signin "$sts"
grep -q 'event=metadata result=ok .*certs=1' "$TS_TMP/pool.log" ||
	ts_fail "metadata not fetched at start: $(cat "$TS_TMP/pool.log")"

# sign NAME key=... [sid= nb= noa= audience= issuer= id=]: a wresult POST body.
sign() {
	n=$1
	shift
	py rstr key="$TS_TMP/a/idp.key" cert="$TS_TMP/a/idp.crt" issuer="$issuer" \
		audience="$realm" ru=/PassiveAuth/PassiveAuth.aspx "$@" >"$TS_TMP/$n.txt" ||
		ts_fail "signing $n"
}
post() { # post NAME: POST NAME.txt to /passiveauth/
	req "$1" /passiveauth/ -H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary "@$TS_TMP/$1.txt"
}
refused() { # refused NAME CODE
	post "$1"
	want 403 "$1 refused" "$1"
	[ "$(header "$1" X-Tessera-Pool-Error)" = "$2" ] ||
		ts_fail "$1: want $2: $(cat "$TS_TMP/$1.h" "$TS_TMP/$1.b")"
}

# The challenge now offers passive; without a session, passive is 400 28020.
req ch /Autodiscover/AutodiscoverService.svc/root/oauth/user
want 401 "challenge" ch
has ch 'grant_type="urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password,urn:microsoft.rtc:passive"'
req p0 /WebTicket/oauthtoken -H 'Content-Type: application/x-www-form-urlencoded;charset=UTF-8' \
	-d grant_type=urn:microsoft.rtc:passive
want 400 "passive without a session" p0
has p0 'X-Ms-diagnostics: 28020;source="lync.example.test";reason="No valid security token."'
has p0 'Content-Type: application/json'
[ "$(cat "$TS_TMP/p0.b")" = '{"error":"invalid_grant","ms_rtc_passiveauthuri":"https://lync.example.test/PassiveAuth/PassiveAuth.aspx"}' ] ||
	ts_fail "passive 400 body: $(cat "$TS_TMP/p0.b")"

# PassiveAuth.aspx sends the browser to the STS.
req pa /PassiveAuth/PassiveAuth.aspx
want 302 "PassiveAuth.aspx" pa
loc=$(header pa Location)
case "$loc" in "$sts?"*) ;; *) ts_fail "PassiveAuth.aspx goes to $loc" ;; esac
[ "$(py query "$loc" wa)" = wsignin1.0 ] || ts_fail "wa: $loc"
[ "$(py query "$loc" wtrealm)" = "$realm" ] || ts_fail "wtrealm: $loc"
[ "$(py query "$loc" wreply)" = "$H/passiveauth/" ] || ts_fail "wreply: $loc"
[ "$(py query "$loc" wctx)" = "ru=/PassiveAuth/PassiveAuth.aspx" ] || ts_fail "wctx: $loc"

# The relying-party metadata an STS imports.
req rp /passiveauth/federationmetadata/2007-06/federationmetadata.xml
want 200 "RP metadata" rp
has rp "entityID=\"$realm\""
has rp "<fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"><wsa:Address>$H/passiveauth/</wsa:Address>"

# A good token: cookie, redirect to wctx's ru, then the cwt.
sign good
post good
want 302 "a good RSTR" good
[ "$(header good Location)" = /PassiveAuth/PassiveAuth.aspx ] || ts_fail "after sign-in: $(cat "$TS_TMP/good.h")"
setcookie=$(header good Set-Cookie)
case "$setcookie" in
RPSAuth=*"; Path=/; Secure; HttpOnly; SameSite=None") ;;
*) ts_fail "Set-Cookie: $setcookie" ;;
esac
cookie=${setcookie%%;*}
grep -q "passive session user=alice sid=$sid_alice" "$TS_TMP/pool.log" || ts_fail "no session logged"
req p1 /WebTicket/oauthtoken -H "Cookie: $cookie" -d grant_type=urn:microsoft.rtc:passive
want 200 "passive with the session cookie" p1
[ "$(py json "$TS_TMP/p1.b" token_type)" = Bearer ] || ts_fail "$(cat "$TS_TMP/p1.b")"
[ "$(py json "$TS_TMP/p1.b" ms_rtc_identityscope)" = local ] || ts_fail "$(cat "$TS_TMP/p1.b")"
[ -n "$(py json "$TS_TMP/p1.b" expires_in)" ] || ts_fail "no expires_in"
cwt=$(py json "$TS_TMP/p1.b" access_token)
case "$cwt" in cwt=*) ;; *) ts_fail "access_token: $cwt" ;; esac
req u /ucwa/oauth/v1/applications -H "Authorization: Bearer $cwt"
want 200 "UCWA with the passive cwt" u
has u '"user":"alice"'
has u '"method":"passive"'
req pa2 /PassiveAuth/PassiveAuth.aspx -H "Cookie: $cookie"
want 200 "PassiveAuth.aspx signed in" pa2
has pa2 'as alice'
req p2 /WebTicket/oauthtoken -H "Cookie: RPSAuth=${cookie#RPSAuth=}x" -d grant_type=urn:microsoft.rtc:passive
want 400 "passive with an altered cookie" p2

# Replay: the same token twice.
cp "$TS_TMP/good.txt" "$TS_TMP/again.txt"
refused again REPLAY

# Refused tokens.
sign foreign key="$TS_TMP/c/idp.key" cert="$TS_TMP/c/idp.crt"
refused foreign SIGNATURE
grep -q 'event=metadata result=ok .*why="signature failed"' "$TS_TMP/pool.log" ||
	ts_fail "no metadata re-fetch on a signature failure"
sign aud audience=https://other.example.test/passiveauth
refused aud AUDIENCE
sign nosid sid=
refused nosid NO_PRIMARYSID
sign expired nb=-7200 noa=-3600
refused expired EXPIRED
sign future nb=3600 noa=7200
refused future NOT_YET_VALID
sign stranger sid=S-1-5-21-1-2-3-4242
refused stranger UNKNOWN_SID
sign iss issuer=https://evil.example.test/
refused iss ISSUER
sign tamper
sed 's/1104/1105/g' "$TS_TMP/tamper.txt" >"$TS_TMP/tampered.txt"
refused tampered SIGNATURE
printf 'wa=wsignin1.0&wresult=%s' '%3Cnot%20xml' >"$TS_TMP/junk.txt"
refused junk MALFORMED
printf 'wa=wsignin1.0&wresult=%s' "$(printf '<!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><t>&x;</t>' |
	"$SYSTEM_PYTHON3" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read()))')" >"$TS_TMP/xxe.txt"
refused xxe MALFORMED
printf 'wa=wsignout1.0' >"$TS_TMP/wa.txt"
post wa
want 400 "wsignout1.0 at /passiveauth/" wa

# Rollover: b signs before the metadata lists it (refused), then after.
sign rolled key="$TS_TMP/b/idp.key" cert="$TS_TMP/b/idp.crt"
refused rolled SIGNATURE
py metadata "$issuer" "$sts" "$TS_TMP/a/idp.crt" "$TS_TMP/b/idp.crt" >"$TS_TMP/md/metadata.xml.new"
mv "$TS_TMP/md/metadata.xml.new" "$TS_TMP/md/metadata.xml"
sign rolled2 key="$TS_TMP/b/idp.key" cert="$TS_TMP/b/idp.crt"
post rolled2
want 302 "token by the new key, once the metadata lists it" rolled2
grep -q 'event=metadata result=ok .*certs=2 changed=true' "$TS_TMP/pool.log" ||
	ts_fail "rollover not logged: $(grep event=metadata "$TS_TMP/pool.log")"
sign old
post old
want 302 "the old key, still listed" old

# file:// and plain-path metadata; tessera-idp's own WS-Fed RSTR and metadata
# (its STS role) work as well: the STS under test shares that signer.
start_pool filepool --sts-metadata "$TS_TMP/a/idp-metadata.xml" --sts-signin "$sts" \
	--realm https://pool.example.test/passiveauth
"$idp" sign --key "$TS_TMP/a/idp.key" --cert "$TS_TMP/a/idp.crt" --protocol wsfed \
	--audience https://pool.example.test/passiveauth --wctx ru=/done >"$TS_TMP/idp.txt"
post idp
want 302 "tessera-idp's RSTR" idp
[ "$(header idp Location)" = /done ] || ts_fail "wctx ru: $(cat "$TS_TMP/idp.h")"
# tessera-idp's attack variants: every one refused (comment-in-nameid keeps
# valid signatures and the pool does not read the NameIdentifier).
for attack in two-assertions assertion-moved assertion-copied wrap-object wrap-advice \
	duplicate-id signature-excluded tamper-attribute doctype-xxe billion-laughs truncate \
	comment-in-nameid; do
	"$idp" sign --key "$TS_TMP/a/idp.key" --cert "$TS_TMP/a/idp.crt" --protocol wsfed \
		--audience https://pool.example.test/passiveauth --attack "$attack" >"$TS_TMP/$attack.txt" ||
		ts_fail "tessera-idp sign --attack $attack"
	post "$attack"
	case "$attack:$status" in
	comment-in-nameid:302 | *:403) ;;
	*) ts_fail "attack $attack: HTTP $status: $(cat "$TS_TMP/$attack.h")" ;;
	esac
done
kill -0 "$filepool_pid" || ts_fail "tessera-pool died on an attack"

start_pool urlpool --sts-metadata "file://$TS_TMP/md/metadata.xml" --sts-signin "$sts"
sign good2
post good2
want 302 "file:// metadata" good2

# No metadata reachable: the pool starts, sign-in is refused.
start_pool nomd --sts-metadata "$TS_TMP/missing.xml" --sts-signin "$sts"
grep -q 'event=metadata result=failed' "$TS_TMP/nomd.log" || ts_fail "missing metadata not logged"
sign good3
refused good3 METADATA

! grep -q 'event=error' "$TS_TMP"/*.log || ts_fail "handler errors: $(grep -h event=error "$TS_TMP"/*.log)"
