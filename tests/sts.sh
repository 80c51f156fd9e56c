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

# The emulated pool trusts Tessera through that metadata.
"$TS_BUILDDIR/tessera-pool" --listen 127.0.0.1:0 --host lync1.test \
	--sts-metadata "$B/FederationMetadata/2007-06/FederationMetadata.xml" \
	--sts-signin "$B/adfs/ls/" --realm "$REALM" --wreply "$REPLY" \
	>"$TS_TMP/pool.out" 2>"$TS_TMP/pool.log" &
TS_PIDS="$TS_PIDS $!"
ts_wait_until 20 grep -q 'listening on' "$TS_TMP/pool.out" || ts_fail "pool: $(cat "$TS_TMP/pool.log")"
P=$(sed -n 's|^tessera-pool: listening on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' "$TS_TMP/pool.out")

# 1. The client asks the pool for a passive ticket: 400 28020 and where to go.
st=$(get o1 "$P/WebTicket/oauthtoken" --data 'grant_type=urn:microsoft.rtc:passive')
[ "$st" = 400 ] && grep -qi '^x-ms-diagnostics: 28020' "$TS_TMP/o1.h" || ts_fail "oauthtoken: $st"
# 2. PassiveAuth sends the browser to Tessera's /adfs/ls/.
get pa "$P/PassiveAuth/PassiveAuth.aspx" >/dev/null
sts=$(header pa Location)
case "$sts" in "$B/adfs/ls/?"*) ;; *) ts_fail "PassiveAuth went to: $sts" ;; esac
# 3. No SSO session: Tessera asks the IdP first.
[ "$(get l1 "$sts")" = 302 ] || ts_fail "/adfs/ls/: $(cat "$TS_TMP/l1.b")"
id=$(query "$(header l1 Location)" RelayState)
sign_for "$id" --group S-1-5-21-1-2-3-513 >"$TS_TMP/r1.txt"
# 4. Back at the ACS, the pool's token is posted on to its wreply.
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 200 ] ||
	ts_fail "acs: $(cat "$TS_TMP/a1.b")"
sso=$(cookie a1 __Host-tessera-sso)
grep -q "action=\"$REPLY\"" "$TS_TMP/a1.b" || ts_fail "not posted to wreply: $(cat "$TS_TMP/a1.b")"
grep -qi '^content-security-policy: default-src' "$TS_TMP/a1.h" || ts_fail "no CSP"
"$PY" - "$TS_TMP/a1.b" "$TS_TMP/post.txt" <<'PY' || ts_fail "no wresult in the page"
import html, re, sys, urllib.parse as u
page = open(sys.argv[1]).read()
f = dict((m.group(1), html.unescape(m.group(2)))
         for m in re.finditer(r'name="([^"]+)" value="([^"]*)"', page))
assert f["wa"] == "wsignin1.0" and "primarysid" in f["wresult"], f.keys()
open(sys.argv[2], "w").write(u.urlencode(f))
PY
# 5. The pool verifies it (signature against the metadata, audience, times,
#    primarysid), sets its cookie, and mints its own cwt.
[ "$(get pp "$P/passiveauth/" --data-binary "@$TS_TMP/post.txt")" = 302 ] ||
	ts_fail "pool refused the token: $(cat "$TS_TMP/pp.h" "$TS_TMP/pp.b" "$TS_TMP/pool.log" | tail -20)"
pc=$(tr -d '\r' <"$TS_TMP/pp.h" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n 1)
[ "$(get o2 "$P/WebTicket/oauthtoken" -H "Cookie: $pc" --data 'grant_type=urn:microsoft.rtc:passive')" = 200 ] ||
	ts_fail "passive oauthtoken: $(cat "$TS_TMP/o2.b")"
cwt=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$TS_TMP/o2.b")
case "$cwt" in cwt=*) ;; *) ts_fail "no cwt: $cwt" ;; esac
[ "$(get u1 "$P/ucwa" -H "Authorization: Bearer $cwt")" = 200 ] || ts_fail "/ucwa with the ticket"

# 6. SSO: the next wsignin1.0 is answered at once, without the IdP.
[ "$(get l2 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wctx=x" -H "Cookie: __Host-tessera-sso=$sso")" = 200 ] ||
	ts_fail "SSO /adfs/ls/ not answered at once"
grep -q 'name="wresult"' "$TS_TMP/l2.b" || ts_fail "SSO answer has no token"
# wfresh=0 goes back to the IdP.
[ "$(get l3 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM&wfresh=0" -H "Cookie: __Host-tessera-sso=$sso")" = 302 ] ||
	ts_fail "wfresh=0 did not go to the IdP"

# 7. Rollover: a new key is published at once, signs after its lead time (4 s),
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
get l5 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM" -H "Cookie: __Host-tessera-sso=$sso" >/dev/null
! signed_by_new l5 || ts_fail "the next key signed before its lead time"
renewed() {
	get l6 "$B/adfs/ls/?wa=wsignin1.0&wtrealm=$REALM" -H "Cookie: __Host-tessera-sso=$sso" \
		>/dev/null && signed_by_new l6
}
ts_wait_until 10 renewed || ts_fail "the new key never signed"
"$PY" - "$TS_TMP/l6.b" "$TS_TMP/post6.txt" <<'PY'
import html, re, sys, urllib.parse as u
f = dict((m.group(1), html.unescape(m.group(2)))
         for m in re.finditer(r'name="([^"]+)" value="([^"]*)"', open(sys.argv[1]).read()))
open(sys.argv[2], "w").write(u.urlencode(f))
PY
[ "$(get pp6 "$P/passiveauth/" --data-binary "@$TS_TMP/post6.txt")" = 302 ] ||
	ts_fail "pool refused the new key's token: $(tail -5 "$TS_TMP/pool.log")"

# 8. Refusals, each named.
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
echo "PASS: sts"
