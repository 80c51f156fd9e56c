#!/bin/sh
# Tessera as the pools' STS, end to end against the emulated pool:
# oauthtoken 400 28020 → PassiveAuth → /adfs/ls/ → IdP → /saml/acs → RSTR
# posted to the pool's /passiveauth/ (verified there by xmlsec1 against
# Tessera's federation metadata) → oauthtoken 200 cwt= → /ucwa.
. "$TS_SRCDIR/tests/signin_lib.sh"
[ -x "$TS_BUILDDIR/tessera-pool" ] || ts_fail "no tessera-pool"
[ -n "$XMLSEC1" ] || ts_skip "xmlsec1 not found"
ts_setup_broker
printf '[sts]\nkey_dir = %s/sts\n' "$TS_TMP" >>"$TS_TMP/tessera.conf"
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 grep -q 'event=reloaded' "$TS_TMP/tesserad.log" || ts_fail "no reload"
REALM=https://lync1.test/passiveauth
REPLY=https://lync1.test/passiveauth/

# Federation metadata: signed, verifies with the independent xmlsec1.
[ "$(get md "$B/FederationMetadata/2007-06/FederationMetadata.xml")" = 200 ] ||
	ts_fail "metadata: $(cat "$TS_TMP/md.b")"
grep -q 'SecurityTokenServiceType' "$TS_TMP/md.b" || ts_fail "no STS role"
"$PY" -c 'import re, sys, textwrap
b64 = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)<", open(sys.argv[1]).read()).group(1)
print("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(b64, 64)) +
      "\n-----END CERTIFICATE-----")' "$TS_TMP/md.b" >"$TS_TMP/sts.crt"
"$XMLSEC1" --verify --enabled-key-data key-name --pubkey-cert-pem "$TS_TMP/sts.crt" \
	--id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
	"$TS_TMP/md.b" >/dev/null 2>&1 || ts_fail "metadata signature"

# start_pool NAME HOST: an emulated pool that trusts Tessera through that
# metadata; its URL in ${NAME}_url.
start_pool() {
	"$TS_BUILDDIR/tessera-pool" --listen 127.0.0.1:0 --host "$2" \
		--sts-metadata "$B/FederationMetadata/2007-06/FederationMetadata.xml" \
		--sts-signin "$B/adfs/ls/" --realm "https://$2/passiveauth" \
		--wreply "https://$2/passiveauth/" >"$TS_TMP/$1.out" 2>"$TS_TMP/$1.log" &
	TS_PIDS="$TS_PIDS $!"
	ts_wait_until 20 grep -q 'listening on' "$TS_TMP/$1.out" ||
		ts_fail "pool $1: $(cat "$TS_TMP/$1.log")"
	eval "$1_url=$(sed -n 's|^tessera-pool: listening on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' \
		"$TS_TMP/$1.out")"
}
# challenge NAME URL: the client asks pool URL for a passive ticket (400
# 28020), and its PassiveAuth page sends the browser on; prints where.
challenge() {
	st=$(get "$1-o" "$2/WebTicket/oauthtoken" --data 'grant_type=urn:microsoft.rtc:passive')
	[ "$st" = 400 ] && grep -qi '^x-ms-diagnostics: 28020' "$TS_TMP/$1-o.h" ||
		ts_fail "$1 oauthtoken: $st"
	get "$1-pa" "$2/PassiveAuth/PassiveAuth.aspx" >/dev/null
	header "$1-pa" Location
}
# accept NAME URL PAGE: the token auto-posted in PAGE reaches pool URL's
# /passiveauth/ (signature against the metadata, audience, times,
# primarysid); the pool then mints its own cwt, and /ucwa takes it.
accept() {
	"$PY" "$TS_SRCDIR/tests/sts_token.py" form "$TS_TMP/$3.b" "$TS_TMP/$1-post.txt"
	[ "$(get "$1-pp" "$2/passiveauth/" --data-binary "@$TS_TMP/$1-post.txt")" = 302 ] ||
		ts_fail "$1 refused the token: $(cat "$TS_TMP/$1-pp.b"; tail -5 "$TS_TMP/$1.log")"
	pc=$(tr -d '\r' <"$TS_TMP/$1-pp.h" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n 1)
	[ "$(get "$1-o2" "$2/WebTicket/oauthtoken" -H "Cookie: $pc" \
		--data 'grant_type=urn:microsoft.rtc:passive')" = 200 ] ||
		ts_fail "$1 passive oauthtoken: $(cat "$TS_TMP/$1-o2.b")"
	cwt=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' \
		"$TS_TMP/$1-o2.b")
	case "$cwt" in cwt=*) ;; *) ts_fail "$1: no cwt: $cwt" ;; esac
	[ "$(get "$1-u" "$2/ucwa" -H "Authorization: Bearer $cwt")" = 200 ] ||
		ts_fail "$1: /ucwa with the ticket"
}
# claims PAGE REALM: the token's claims, read by lxml, after its shape
# (RSTR, SAML 1.1, Issuer, AppliesTo and Audience = REALM) is checked.
claims() {
	"$PY" "$TS_SRCDIR/tests/sts_token.py" claims "$TS_TMP/$1.b" "$2" \
		https://broker.test/adfs/services/trust >"$TS_TMP/$1.claims" ||
		ts_fail "token in $1 is misshapen"
}
has_claim() { grep -qxF "$2" "$TS_TMP/$1.claims" || ts_fail "$1 lacks $2: $(cat "$TS_TMP/$1.claims")"; }

# 1. SAML 2.0 IdP: oauthtoken 400 28020 → PassiveAuth → /adfs/ls/ → IdP →
#    /saml/acs → RSTR posted on to wreply → the pool mints its cwt → /ucwa.
start_pool lync1 lync1.test
sts=$(challenge lync1 "$lync1_url")
case "$sts" in "$B/adfs/ls/?"*) ;; *) ts_fail "PassiveAuth went to: $sts" ;; esac
[ "$(get l1 "$sts")" = 302 ] || ts_fail "/adfs/ls/: $(cat "$TS_TMP/l1.b")"
id=$(query "$(header l1 Location)" RelayState)
sign_for "$id" --group S-1-5-21-1-2-3-513 >"$TS_TMP/r1.txt"
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 200 ] ||
	ts_fail "acs: $(cat "$TS_TMP/a1.b")"
sso=$(cookie a1 __Host-tessera-sso)
grep -q "action=\"$REPLY\"" "$TS_TMP/a1.b" || ts_fail "not posted to wreply: $(cat "$TS_TMP/a1.b")"
grep -qi '^content-security-policy: default-src' "$TS_TMP/a1.h" || ts_fail "no CSP"
# The Web SDK runs the passive sign-in in a hidden iframe: it may be framed.
! grep -qi '^x-frame-options:\|frame-ancestors' "$TS_TMP/a1.h" "$TS_TMP/l1.h" ||
	ts_fail "the STS pages refuse a frame: $(cat "$TS_TMP/a1.h")"
claims a1 "$REALM"
has_claim a1 AuthenticationMethod=urn:oasis:names:tc:SAML:1.0:am:password
has_claim a1 primarysid=S-1-5-21-1004336348-1177238915-682003330-1104
has_claim a1 upn=alice@example.test
has_claim a1 groupsid=S-1-5-21-1-2-3-513
accept lync1 "$lync1_url" a1

# 2. The same token signed by a key the metadata does not list: refused.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TS_TMP/foreign.key" \
	-out "$TS_TMP/foreign.crt" -subj /CN=foreign -days 1 2>/dev/null || ts_fail "openssl req"
"$PY" "$TS_SRCDIR/tests/sts_token.py" resign "$TS_TMP/a1.b" "$TS_TMP/foreign.key" \
	"$TS_TMP/foreign.crt" "$TS_TMP/foreign.txt" || ts_fail "resign"
[ "$(get f1 "$lync1_url/passiveauth/" --data-binary "@$TS_TMP/foreign.txt")" = 403 ] &&
	grep -q 'certificate in the STS metadata' "$TS_TMP/lync1.log" ||
	ts_fail "a token signed by a foreign key: $(cat "$TS_TMP/f1.b")"

# 3. SSO: the next wsignin1.0 is answered at once, without the IdP; so is a
#    second pool's, with its own audience; wfresh=0 goes back to the IdP.
[ "$(get l2 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wctx=x" -H "Cookie: $JAR; __Host-tessera-sso=$sso")" = 200 ] ||
	ts_fail "SSO /adfs/ls/ not answered at once"
grep -q 'name="wresult"' "$TS_TMP/l2.b" || ts_fail "SSO answer has no token"
[ "$(get l2b "$B/adfs/ls/?wa=wsignin1.0&wtrealm=https://lync2.test/passiveauth" \
	-H "Cookie: $JAR; __Host-tessera-sso=$sso")" = 200 ] || ts_fail "SSO to the second pool"
claims l2b https://lync2.test/passiveauth
has_claim l2b upn=alice@example.test
[ "$(get l3 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wfresh=0" -H "Cookie: $JAR; __Host-tessera-sso=$sso")" = 302 ] ||
	ts_fail "wfresh=0 did not go to the IdP"

# 4. The same end to end through a WS-Fed IdP (wsignin1.0 to it, wresult back
#    at /wsfed).
start_pool ws ws.test
[ "$(get w1 "$(challenge ws "$ws_url")")" = 302 ] || ts_fail "/adfs/ls/ for ws: $(cat "$TS_TMP/w1.b")"
loc=$(header w1 Location)
[ "$(query "$loc" wa)" = wsignin1.0 ] && [ "$(query "$loc" wtrealm)" = https://broker.test/ ] ||
	ts_fail "not a wsignin1.0 to the IdP: $loc"
sign_wsfed "$(query "$loc" wctx)" --upn bob@example.test >"$TS_TMP/r2.txt"
[ "$(get w2 "$B/wsfed" --data-binary "@$TS_TMP/r2.txt")" = 200 ] || ts_fail "wsfed: $(cat "$TS_TMP/w2.b")"
claims w2 https://ws.test/passiveauth
has_claim w2 upn=bob@example.test
accept ws "$ws_url" w2

# 5. MFA pool: a password SSO session does not satisfy it; the IdP is asked
#    for multipleauthn; a token without it is refused by name with a step-up
#    link; the step-up yields a token saying multipleauthn.
start_pool secure secure.test
[ "$(get m1 "$(challenge secure "$secure_url")" -H "Cookie: $JAR; __Host-tessera-sso=$sso")" = 302 ] ||
	ts_fail "MFA pool answered from a password session: $(cat "$TS_TMP/m1.b")"
"$PY" -c 'import base64, sys, urllib.parse as u, zlib
q = u.parse_qs(u.urlsplit(sys.argv[1]).query)
xml = zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15).decode()
assert "<saml:AuthnContextClassRef>http://schemas.microsoft.com/claims/multipleauthn<" in xml, xml
' "$(header m1 Location)" || ts_fail "the IdP was not asked for a second factor"
sign_for "$(query "$(header m1 Location)" RelayState)" --id nomfa >"$TS_TMP/r3.txt"
[ "$(get m2 "$B/saml/acs" --data-binary "@$TS_TMP/r3.txt")" = 403 ] &&
	grep -q MFA_REQUIRED "$TS_TMP/m2.b" || ts_fail "token without MFA: $(cat "$TS_TMP/m2.b")"
step=$("$PY" -c 'import html, re, sys
print(html.unescape(re.search(r"href=\"([^\"]*wfresh=0[^\"]*)\"", open(sys.argv[1]).read()).group(1)))' \
	"$TS_TMP/m2.b") || ts_fail "no step-up link: $(cat "$TS_TMP/m2.b")"
case "$step" in https://broker.test/adfs/ls/?*) ;; *) ts_fail "step-up link: $step" ;; esac
[ "$(get m3 "$B${step#https://broker.test}")" = 302 ] || ts_fail "step-up: $(cat "$TS_TMP/m3.b")"
sign_for "$(query "$(header m3 Location)" RelayState)" --authn multipleauthn >"$TS_TMP/r4.txt"
[ "$(get m4 "$B/saml/acs" --data-binary "@$TS_TMP/r4.txt")" = 200 ] ||
	ts_fail "MFA token: $(cat "$TS_TMP/m4.b")"
claims m4 https://secure.test/passiveauth
has_claim m4 AuthenticationMethod=http://schemas.microsoft.com/claims/multipleauthn
has_claim m4 authnmethodsreferences=http://schemas.microsoft.com/claims/multipleauthn
accept secure "$secure_url" m4

# 6. Rollover: a new key is published at once, signs after its lead time (4 s),
#    and the pool (re-reading the metadata) accepts what it signs.
"$TS_BUILDDIR/tessera" key rotate --sts -c "$TS_TMP/tessera.conf" --lead 4 >"$TS_TMP/rot.out" ||
	ts_fail "key rotate --sts: $(cat "$TS_TMP/rot.out")"
new_id=$(cut -d' ' -f1 "$TS_TMP/rot.out")
kill -HUP "$TS_TESSERAD_PID"
ts_wait_until 10 sh -c "[ \$(grep -c 'event=reloaded' '$TS_TMP/tesserad.log') -ge 2 ]" ||
	ts_fail "no second reload"
get md2 "$B/FederationMetadata/2007-06/FederationMetadata.xml" >/dev/null
[ "$(grep -o 'X509Certificate>' "$TS_TMP/md2.b" | wc -l)" -ge 4 ] ||
	ts_fail "next key not published: $(grep -c X509Certificate "$TS_TMP/md2.b")"
signed_by_new() { # the token in page $1 carries the new key's certificate
	"$PY" - "$TS_TMP/$1.b" "$TS_TMP/sts/$new_id.crt" <<'PY'
import html, re, sys
page = html.unescape(open(sys.argv[1]).read())
cert = "".join(l for l in open(sys.argv[2]).read().splitlines() if "-----" not in l)
used = re.search(r"<(?:\w+:)?X509Certificate>([^<]+)<", page).group(1)
sys.exit(0 if used == cert else 1)
PY
}
get l5 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM" -H "Cookie: $JAR; __Host-tessera-sso=$sso" >/dev/null
! signed_by_new l5 || ts_fail "the next key signed before its lead time"
renewed() {
	get l6 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM" -H "Cookie: $JAR; __Host-tessera-sso=$sso" \
		>/dev/null && signed_by_new l6
}
ts_wait_until 10 renewed || ts_fail "the new key never signed"
"$PY" "$TS_SRCDIR/tests/sts_token.py" form "$TS_TMP/l6.b" "$TS_TMP/post6.txt"
[ "$(get pp6 "$lync1_url/passiveauth/" --data-binary "@$TS_TMP/post6.txt")" = 302 ] ||
	ts_fail "pool refused the new key's token: $(tail -5 "$TS_TMP/lync1.log")"

# 7. Refusals, each named.
[ "$(get x1 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=https://evil.test/")" = 400 ] &&
	grep -q STS_REALM "$TS_TMP/x1.b" || ts_fail "unknown wtrealm"
for w in https://evil.test/ //evil.test https://lync1.test/passiveauth/x https://lync1.test@evil.test/passiveauth/; do
	[ "$(get x2 "$B/adfs/ls/" --get --data-urlencode wa=wsignin1.0 --data-urlencode "wtrealm=$REALM" --data-urlencode "wreply=$w")" = 400 ] &&
		grep -q STS_WREPLY "$TS_TMP/x2.b" || ts_fail "wreply $w accepted"
done
big=$(head -c 5000 /dev/zero | tr '\0' a)
[ "$(get x3 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wctx=$big")" = 400 ] &&
	grep -q STS_WCTX_TOO_LARGE "$TS_TMP/x3.b" || ts_fail "oversize wctx"
get l4 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM" >/dev/null
id4=$(query "$(header l4 Location)" RelayState)
sign_for "$id4" --sid "" --id nosid >"$TS_TMP/r4.txt"
[ "$(get a4 "$B/saml/acs" --data-binary "@$TS_TMP/r4.txt")" = 403 ] &&
	grep -q STS_PRIMARYSID_MISSING "$TS_TMP/a4.b" || ts_fail "token without primarysid: $(cat "$TS_TMP/a4.b")"
# Refused before anything was stored: no session, no cookie, and the
# pool's request still waits for a right answer.
! grep -qi '^set-cookie' "$TS_TMP/a4.h" || ts_fail "the primarysid refusal set a cookie"
sign_for "$id4" --id withsid >"$TS_TMP/r4ok.txt"
[ "$(get a4ok "$B/saml/acs" --data-binary "@$TS_TMP/r4ok.txt")" = 200 ] &&
	grep -q 'name="wresult"' "$TS_TMP/a4ok.b" || ts_fail "request used up by the primarysid refusal"
echo "PASS: sts"
