#!/bin/sh
# tesserad sign-in over HTTP: /signin → IdP → /saml/acs or /wsfed → SSO
# cookie and a hand-over code → /.tessera/session on the pool host → pool
# cookie; SSO to a second pool; the refusals, each with its name.
. "$TS_SRCDIR/tests/signin_lib.sh"
# ws2: a second [idp] section on the same IdP (as one with and one without
# a second factor would be): its assertions are the same IdP's.
ts_setup_broker "" "[idp fxws2]
protocol = wsfed
metadata = $TS_TMP/idp/idp-metadata.xml
[pool ws2]
host = ws2.test
idp = fxws2
[pool alias]
host = alias.test
idp = fx
gate_hosts = discover.alias.test"

# --- SAML 2.0, pool lync1 -------------------------------------------------
[ "$(get s1 "$B/signin?pool=lync1&return=/meet/x%3Fa%3D1&bind=$BIND")" = 302 ] || ts_fail "signin not 302"
loc=$(header s1 Location)
case "$loc" in https://idp.example.test/adfs/ls/\?SAMLRequest=*) ;; *) ts_fail "to IdP: $loc" ;; esac
id=$(query "$loc" RelayState)
sign_for "$id" >"$TS_TMP/r1.txt"
[ "$(get a1 "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 302 ] ||
	ts_fail "acs refused: $(cat "$TS_TMP/a1.b")"
sso=$(cookie a1 __Host-tessera-sso)
[ -n "$sso" ] || ts_fail "no SSO cookie"
tr -d '\r' <"$TS_TMP/a1.h" | grep -i '^set-cookie: __Host-tessera-sso=' |
	grep -q 'Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=' || ts_fail "SSO cookie flags"
[ "$(jwt_claim "$sso" aud)" = https://broker.test ] || ts_fail "SSO ticket audience"
hand=$(header a1 Location)
case "$hand" in https://lync1.test/.tessera/session\?code=*) ;; *) ts_fail "hand-over: $hand" ;; esac
code=$(query "$hand" code)
[ "$(get p1 "$B/.tessera/session?code=$code" -H 'Host: lync1.test')" = 302 ] ||
	ts_fail "session refused: $(cat "$TS_TMP/p1.b")"
[ "$(header p1 Location)" = "/meet/x?a=1" ] || ts_fail "return path: $(header p1 Location)"
pool=$(cookie p1 __Host-tessera)
# Host-only: no Domain, as the __Host- prefix requires.
tr -d '\r' <"$TS_TMP/p1.h" | grep -i '^set-cookie: __Host-tessera=' >"$TS_TMP/p1.cookie"
grep -q 'Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=' "$TS_TMP/p1.cookie" &&
	! grep -qi 'domain=' "$TS_TMP/p1.cookie" || ts_fail "pool cookie flags: $(cat "$TS_TMP/p1.cookie")"
[ "$(jwt_claim "$pool" aud)" = lync1 ] || ts_fail "pool ticket audience"
[ "$(jwt_claim "$pool" sub)" = alice@example.test ] || ts_fail "pool ticket subject"
[ "$(jwt_claim "$pool" sid)" = S-1-5-21-1004336348-1177238915-682003330-1104 ] ||
	ts_fail "pool ticket sid"
# The code is single use.
[ "$(get p1b "$B/.tessera/session?code=$code" -H 'Host: lync1.test')" = 400 ] ||
	ts_fail "code reused"
grep -q CODE_UNKNOWN "$TS_TMP/p1b.b" || ts_fail "reused code not named"

# --- bound to the browser that started it (login CSRF) -------------------
# Without bind=, /signin sends the browser to the pool host's
# /.tessera/signin, which sets its nonce there (a session cookie) and comes
# back with the nonce's hash; stepup= goes along.
[ "$(get b1 "$B/signin?pool=lync1&return=/a%3Fb&stepup=1")" = 302 ] &&
	[ "$(header b1 Location)" = "https://lync1.test/.tessera/signin?return=%2Fa%3Fb&stepup=1" ] ||
	ts_fail "signin without bind=: $(header b1 Location)"
# A name that decodes with a NUL ("bind%00") is not bind= (HAProxy's
# sign-in limit counts only what carries bind).
[ "$(get b1n "$B/signin?pool=lync1&return=/&bind%00=$BIND")" = 302 ] &&
	[ "$(header b1n Location)" = "https://lync1.test/.tessera/signin?return=%2F" ] ||
	ts_fail "bind%00= read as bind=: $(header b1n Location)"
[ "$(get b2 "$B/.tessera/signin?return=%2Fa%3Fb&stepup=1" -H 'Host: lync1.test' -H 'Cookie: x=1')" = 302 ] ||
	ts_fail "/.tessera/signin: $(cat "$TS_TMP/b2.b")"
nonce=$(cookie b2 __Host-tessera-bind)
tr -d '\r' <"$TS_TMP/b2.h" |
	grep -qix "set-cookie: __Host-tessera-bind=$nonce; Path=/; Secure; HttpOnly; SameSite=Lax" ||
	ts_fail "bind cookie: $(grep -i set-cookie "$TS_TMP/b2.h")"
[ "$(header b2 Location)" = "https://broker.test/signin?pool=lync1&return=%2Fa%3Fb&bind=$(printf %s "$nonce" | sha256sum | cut -d ' ' -f 1)&stepup=1" ] ||
	ts_fail "/.tessera/signin went to: $(header b2 Location)"
# A browser that has a nonce keeps it (sign-ins in other tabs stay good).
get b3 "$B/.tessera/signin?return=/" -H 'Host: lync1.test' >/dev/null
! grep -qi '^set-cookie' "$TS_TMP/b3.h" && case "$(header b3 Location)" in *"&bind=$BIND") ;; *) false ;; esac ||
	ts_fail "the browser's nonce was not kept: $(cat "$TS_TMP/b3.h")"
# On another name the gate serves the pool under, the browser goes to the
# pool's own host first: the code is redeemed there, with the nonce set there.
[ "$(get b4 "$B/.tessera/signin?return=/x" -H 'Host: discover.alias.test')" = 302 ] &&
	[ "$(header b4 Location)" = "https://alias.test/.tessera/signin?return=%2Fx" ] &&
	! grep -qi '^set-cookie' "$TS_TMP/b4.h" || ts_fail "gate host alias: $(cat "$TS_TMP/b4.h")"
# A browser without a nonce on the broker gets one where it leaves for the
# IdP: SameSite=None, as the IdP's POST back is cross-site, and the same in
# a twin without SameSite for browsers that mishandle None.
[ "$(get c1 "$B/signin?pool=lync1&bind=$BIND" -H 'Cookie: x=1')" = 302 ] || ts_fail "signin: $(cat "$TS_TMP/c1.b")"
req=$(cookie c1 __Host-tessera-req)
tr -d '\r' <"$TS_TMP/c1.h" |
	grep -qix "set-cookie: __Host-tessera-req=$req; Path=/; Secure; HttpOnly; SameSite=None" &&
	tr -d '\r' <"$TS_TMP/c1.h" |
	grep -qx "Set-Cookie: __Host-tessera-req-legacy=$req; Path=/; Secure; HttpOnly" ||
	ts_fail "request cookies: $(grep -i set-cookie "$TS_TMP/c1.h")"
# A browser that kept only the twin (Chrome 51-66 drops a SameSite=None
# cookie) keeps its nonce.
[ "$(get c2 "$B/signin?pool=lync1&bind=$BIND" -H "Cookie: __Host-tessera-req-legacy=$req")" = 302 ] &&
	! grep -qi '^set-cookie' "$TS_TMP/c2.h" || ts_fail "the twin's nonce not kept: $(cat "$TS_TMP/c2.h")"
sign_for "$(query "$(header c1 Location)" RelayState)" >"$TS_TMP/c1.txt"
# The answer posted by another browser (the attacker's own answer, in the
# victim's browser), or one without the cookie: refused by name, nothing
# set, the request left to its own browser.
[ "$(get c1a "$B/saml/acs" --data-binary "@$TS_TMP/c1.txt")" = 403 ] &&
	grep -q REQUEST_OTHER_BROWSER "$TS_TMP/c1a.b" || ts_fail "answer from another browser: $(head -c 300 "$TS_TMP/c1a.b")"
[ "$(get c1b "$B/saml/acs" --data-binary "@$TS_TMP/c1.txt" -H 'Cookie: x=1')" = 403 ] &&
	grep -q REQUEST_OTHER_BROWSER "$TS_TMP/c1b.b" || ts_fail "answer without the cookie: $(head -c 300 "$TS_TMP/c1b.b")"
! grep -qi '^set-cookie' "$TS_TMP/c1a.h" "$TS_TMP/c1b.h" || ts_fail "a refused answer set a cookie"
grep -q 'event=signin_refused error=REQUEST_OTHER_BROWSER pool=lync1 ' "$TS_TMP/tesserad.log" ||
	ts_fail "the refusal is not logged"
grep -q 'href="https://broker.test/signin?pool=lync1&amp;return=%2F">Sign in from this browser' \
	"$TS_TMP/c1a.b" || ts_fail "no link to sign in again: $(cat "$TS_TMP/c1a.b")"
# The request's nonce planted in another spelling of the cookie's name (a
# browser may enforce __Host- for its exact spelling only), beside the
# browser's own or alone: not read.
[ "$(get c1p "$B/saml/acs" --data-binary "@$TS_TMP/c1.txt" \
	-H "Cookie: __host-tessera-req=$req; __Host-tessera-req=$REQ_NONCE")" = 403 ] &&
	[ "$(get c1q "$B/saml/acs" --data-binary "@$TS_TMP/c1.txt" -H "Cookie: __HOST-tessera-req=$req")" = 403 ] ||
	ts_fail "a planted cookie of another spelling was read: $(head -c 300 "$TS_TMP/c1p.b")"
# The request's own browser, sending the twin only (Safari on iOS 12 holds
# back the SameSite=None cookie from a cross-site POST), signs in.
[ "$(get c1c "$B/saml/acs" --data-binary "@$TS_TMP/c1.txt" -H "Cookie: __Host-tessera-req-legacy=$req")" = 302 ] ||
	ts_fail "the request's own browser refused: $(head -c 300 "$TS_TMP/c1c.b")"
# Its code opened in a browser with another nonce on the pool host (the
# attacker's hand-over link in the victim's browser): refused, and used up.
code=$(query "$(header c1c Location)" code)
[ "$(get c1d "$B/.tessera/session?code=$code" -H 'Host: lync1.test' -H "Cookie: __Host-tessera-bind=$nonce")" = 403 ] &&
	grep -q CODE_OTHER_BROWSER "$TS_TMP/c1d.b" || ts_fail "code in another browser: $(head -c 300 "$TS_TMP/c1d.b")"
! grep -qi '^set-cookie' "$TS_TMP/c1d.h" || ts_fail "a refused code set a cookie"
grep -q 'href="/.tessera/signin?return=%2F">Sign in from this browser' "$TS_TMP/c1d.b" ||
	ts_fail "no link to sign in again: $(cat "$TS_TMP/c1d.b")"
grep -q 'event=code_refused error=CODE_OTHER_BROWSER pool=lync1' "$TS_TMP/tesserad.log" ||
	ts_fail "the code refusal is not logged"
[ "$(get c1e "$B/.tessera/session?code=$code" -H 'Host: lync1.test')" = 400 ] ||
	ts_fail "a code refused in another browser was not used up"
# The twin is read only when no spelling of the first came, and the two
# must agree: a twin planted beside the browser's own cookie, or beside the
# planted cookie's other spelling, does not bind.
[ "$(get c3 "$B/signin?pool=lync1&bind=$BIND")" = 302 ] || ts_fail "signin: $(cat "$TS_TMP/c3.b")"
sign_for "$(query "$(header c3 Location)" RelayState)" >"$TS_TMP/c3.txt"
[ "$(get c3a "$B/saml/acs" --data-binary "@$TS_TMP/c3.txt" \
	-H "Cookie: __Host-tessera-req=$req; __Host-tessera-req-legacy=$REQ_NONCE")" = 403 ] &&
	[ "$(get c3b "$B/saml/acs" --data-binary "@$TS_TMP/c3.txt" \
		-H "Cookie: __Host-tessera-req=$REQ_NONCE; __Host-tessera-req-legacy=$req")" = 403 ] &&
	[ "$(get c3c "$B/saml/acs" --data-binary "@$TS_TMP/c3.txt" \
		-H "Cookie: __host-tessera-req=$req; __Host-tessera-req-legacy=$REQ_NONCE")" = 403 ] ||
	ts_fail "a planted twin was read: $(head -c 300 "$TS_TMP/c3a.b")"
# The request's own browser sending the first cookie only (the IdP's POST
# is cross-site: a Lax twin stays home) signs in.
[ "$(get c3d "$B/saml/acs" --data-binary "@$TS_TMP/c3.txt" -H "Cookie: __Host-tessera-req=$REQ_NONCE")" = 302 ] ||
	ts_fail "the first cookie alone refused: $(head -c 300 "$TS_TMP/c3d.b")"
# The pool host's cookie has no twin: the browser's nonce in a name the
# broker never sets is not read.
code=$(query "$(header c3d Location)" code)
[ "$(get c3e "$B/.tessera/session?code=$code" -H 'Host: lync1.test' \
	-H "Cookie: __Host-tessera-bind-legacy=$BIND_NONCE")" = 403 ] ||
	ts_fail "the bind cookie's would-be twin was read: $(head -c 300 "$TS_TMP/c3e.b")"

# --- SSO to a second pool: no IdP ----------------------------------------
[ "$(get s2 "$B/signin?pool=lync2&return=https://lync2.test/ucwa&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$sso")" = 302 ] ||
	ts_fail "SSO signin"
hand=$(header s2 Location)
case "$hand" in https://lync2.test/.tessera/session\?code=*) ;; *) ts_fail "SSO went to: $hand" ;; esac
code=$(query "$hand" code)
# Redeemed on another pool's host: refused.
[ "$(get p2x "$B/.tessera/session?code=$code" -H 'Host: lync1.test')" = 400 ] ||
	ts_fail "code on wrong host"
grep -q CODE_WRONG_HOST "$TS_TMP/p2x.b" || ts_fail "wrong host not named"
# Again, redeemed where it belongs: the second pool's own ticket.
get s3 "$B/signin?pool=lync2&return=https://lync2.test/ucwa&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$sso" >/dev/null
case "$(header s3 Location)" in https://lync2.test/.tessera/session\?code=*) ;; *) ts_fail "SSO went to: $(header s3 Location)" ;; esac
[ "$(get p3 "$B/.tessera/session?code=$(query "$(header s3 Location)" code)" -H 'Host: lync2.test')" = 302 ] ||
	ts_fail "second pool's code refused: $(cat "$TS_TMP/p3.b")"
[ "$(jwt_claim "$(cookie p3 __Host-tessera)" aud)" = lync2 ] || ts_fail "second pool's ticket audience"

# --- replays and unsolicited answers ---------------------------------------
[ "$(get a1r "$B/saml/acs" --data-binary "@$TS_TMP/r1.txt")" = 400 ] || ts_fail "replayed POST"
grep -q REQUEST_UNKNOWN "$TS_TMP/a1r.b" || ts_fail "replayed POST not named"
get s3 "$B/signin?pool=lync1&bind=$BIND" >/dev/null
id3=$(query "$(header s3 Location)" RelayState)
"$TS_BUILDDIR/tessera-idp" sign --key "$TS_TMP/idp/idp.key" --cert "$TS_TMP/idp/idp.crt" \
	--audience https://broker.test/ --recipient https://broker.test/saml/acs \
	--in-response-to _someone-else --relay-state "$id3" >"$TS_TMP/r3.txt"
[ "$(get a3 "$B/saml/acs" --data-binary "@$TS_TMP/r3.txt")" = 403 ] || ts_fail "other IRT"
grep -q SAML_IN_RESPONSE_TO "$TS_TMP/a3.b" || ts_fail "other IRT not named"
"$TS_BUILDDIR/tessera-idp" sign --key "$TS_TMP/idp/idp.key" --cert "$TS_TMP/idp/idp.crt" \
	--audience https://broker.test/ --recipient https://broker.test/saml/acs >"$TS_TMP/r4.txt"
[ "$(get a4 "$B/saml/acs" --data-binary "@$TS_TMP/r4.txt")" = 403 ] || ts_fail "unsolicited"
grep -q SAML_UNSOLICITED "$TS_TMP/a4.b" || ts_fail "unsolicited not named"
# Whatever allow_unsolicited says: the file is accepted and the key named
# as ignored (an IdP-initiated answer has no request to be bound to).
sed '/^\[idp fx\]$/a allow_unsolicited = true' "$TS_TMP/tessera.conf" >"$TS_TMP/unsolicited.conf"
"$TS_BUILDDIR/tesserad" -t -c "$TS_TMP/unsolicited.conf" 2>"$TS_TMP/t.out" ||
	ts_fail "allow_unsolicited refused: $(cat "$TS_TMP/t.out")"
grep -q 'event=config_ignored idp=fx key=allow_unsolicited' "$TS_TMP/t.out" ||
	ts_fail "allow_unsolicited not named as ignored: $(cat "$TS_TMP/t.out")"
# No refusal sets a cookie.
! grep -qi '^set-cookie' "$TS_TMP/a3.h" "$TS_TMP/a4.h" || ts_fail "a refusal set a cookie"
# A refused answer does not use up its request: the IdP's right answer to
# it still signs in (the request goes with the first sign-in, below).
sign_for "$id3" >"$TS_TMP/r3ok.txt"
[ "$(get a3ok "$B/saml/acs" --data-binary "@$TS_TMP/r3ok.txt")" = 302 ] ||
	ts_fail "request used up by a refused answer: $(cat "$TS_TMP/a3ok.b")"
# The same answer posted 12 times at once, on 12 connections: exactly one
# sign-in. The others find the request used up, at their read or, when two
# were read before either was done, in the sign-in's transaction.
get s6 "$B/signin?pool=lync1&bind=$BIND" >/dev/null
sign_for "$(query "$(header s6 Location)" RelayState)" >"$TS_TMP/r6.txt"
for i in $(seq 1 12); do
	printf 'url = "%s"\noutput = "%s"\ndump-header = "%s"\n' "$B/saml/acs" "$TS_TMP/a6_$i.b" \
		"$TS_TMP/a6_$i.h"
done \
	>"$TS_TMP/a6.curl"
"$CURL" -s -Z --parallel-immediate --parallel-max 12 -K "$TS_TMP/a6.curl" --max-time 20 -H "Cookie: $JAR" \
	--data-binary "@$TS_TMP/r6.txt" -w '%{http_code}\n' >"$TS_TMP/a6.status" ||
	ts_fail "12 racing posts: curl failed"
[ "$(grep -c '^302$' "$TS_TMP/a6.status")" = 1 ] && [ "$(grep -c '^400$' "$TS_TMP/a6.status")" = 11 ] ||
	ts_fail "12 racing posts of one answer: $(tr '\n' ' ' <"$TS_TMP/a6.status")"
[ "$(grep -l "<code>REQUEST_UNKNOWN</code>" "$TS_TMP"/a6_*.b | wc -l)" = 11 ] ||
	ts_fail "racing posts refused for another reason: $(cat "$TS_TMP"/a6_*.b)"
[ "$(grep -li '^set-cookie: __Host-tessera-sso=' "$TS_TMP"/a6_*.h | wc -l)" = 1 ] ||
	ts_fail "racing posts: not exactly one SSO cookie set"

# --- WS-Fed, and the replay cache (WS-Fed answers carry no request ID) ----
get w1 "$B/signin?pool=ws&bind=$BIND" >/dev/null
loc=$(header w1 Location)
[ "$(query "$loc" wa)" = wsignin1.0 ] || ts_fail "wsignin: $loc"
[ "$(query "$loc" wtrealm)" = https://broker.test/ ] || ts_fail "wtrealm"
signed_at=$(date +%s)
sign_wsfed "$(query "$loc" wctx)" --id wsfed-once >"$TS_TMP/w1.txt"
[ "$(get wa1 "$B/wsfed" --data-binary "@$TS_TMP/w1.txt")" = 302 ] ||
	ts_fail "wsfed refused: $(cat "$TS_TMP/wa1.b")"
# Its ID is remembered under the IdP's entity ID until NotOnOrAfter (sign's
# default: an hour) plus the largest skew a reload could set (600 s), not
# this config's 60 s.
"$PY" - "$TS_TMP/tessera.db" "$((signed_at + 3600 + 600))" <<'PY' ||
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
key = "https://idp.example.test/adfs/services/trust\n_wsfed-once-a"  # issuer, ID
row = db.execute("SELECT expires_at FROM replay WHERE key = ?", (key,)).fetchone()
assert row is not None and row[0] >= int(sys.argv[2]), (row, sys.argv[2])
PY
	ts_fail "the assertion ID is not remembered for the largest skew"
get w2 "$B/signin?pool=ws&bind=$BIND" >/dev/null
ctx2=$(query "$(header w2 Location)" wctx)
sed "s/wctx=[^&]*/wctx=$ctx2/" "$TS_TMP/w1.txt" >"$TS_TMP/w2.txt"
[ "$(get wa2 "$B/wsfed" --data-binary "@$TS_TMP/w2.txt")" = 403 ] || ts_fail "replay passed"
grep -q SAML_REPLAY "$TS_TMP/wa2.b" || ts_fail "replay not named"
# ... also through another [idp] section of the same IdP.
get w2b "$B/signin?pool=ws2&bind=$BIND" >/dev/null
sed "s/wctx=[^&]*/wctx=$(query "$(header w2b Location)" wctx)/" "$TS_TMP/w1.txt" >"$TS_TMP/w2b.txt"
[ "$(get wa2b "$B/wsfed" --data-binary "@$TS_TMP/w2b.txt")" = 403 ] &&
	grep -q SAML_REPLAY "$TS_TMP/wa2b.b" ||
	ts_fail "replay through another section of the same IdP: $(head -c 300 "$TS_TMP/wa2b.b")"
# Refused in the sign-in's transaction: nothing of it stayed, its request
# did. A fresh answer to that request signs in.
sign_wsfed "$ctx2" --id wsfed-fresh >"$TS_TMP/w2ok.txt"
[ "$(get wa2ok "$B/wsfed" --data-binary "@$TS_TMP/w2ok.txt")" = 302 ] ||
	ts_fail "request used up by a replay refused in the transaction: $(cat "$TS_TMP/wa2ok.b")"

# A SAML 2.0 pool's request answered at /wsfed (where no InResponseTo binds
# it; the same IdP signs both) is refused by name, and stays outstanding.
get x1 "$B/signin?pool=lync1&bind=$BIND" >/dev/null
idx=$(query "$(header x1 Location)" RelayState)
sign_wsfed "$idx" --id cross-protocol >"$TS_TMP/x1.txt"
[ "$(get xa1 "$B/wsfed" --data-binary "@$TS_TMP/x1.txt")" = 403 ] &&
	grep -q SAML_ENDPOINT "$TS_TMP/xa1.b" ||
	ts_fail "a SAML 2.0 request completed at /wsfed: $(head -c 300 "$TS_TMP/xa1.b")"
sign_for "$idx" >"$TS_TMP/x2.txt"
[ "$(get xa2 "$B/saml/acs" --data-binary "@$TS_TMP/x2.txt")" = 302 ] ||
	ts_fail "the request did not stay outstanding: $(head -c 300 "$TS_TMP/xa2.b")"

# --- a kill -9 keeps the replay cache ---------------------------------------
kill -KILL "$TS_TESSERAD_PID"
ts_wait_exit "$TS_TESSERAD_PID" 10 || ts_fail "tesserad survived SIGKILL"
ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad2.log"
B="http://127.0.0.1:$TS_PORT"
get w3 "$B/signin?pool=ws&bind=$BIND" >/dev/null
ctx3=$(query "$(header w3 Location)" wctx)
sed "s/wctx=[^&]*/wctx=$ctx3/" "$TS_TMP/w1.txt" >"$TS_TMP/w3.txt"
[ "$(get wa3 "$B/wsfed" --data-binary "@$TS_TMP/w3.txt")" = 403 ] || ts_fail "replay after kill -9"
grep -q SAML_REPLAY "$TS_TMP/wa3.b" || ts_fail "replay after restart not named"

# --- MFA pool: refused without the claim, step-up link asks again ----------
get m1 "$B/signin?pool=secure&return=/x&bind=$BIND" >/dev/null
idm=$(query "$(header m1 Location)" RelayState)
sign_for "$idm" >"$TS_TMP/m1.txt"
[ "$(get ma1 "$B/saml/acs" --data-binary "@$TS_TMP/m1.txt")" = 403 ] || ts_fail "MFA pool let password in"
grep -q MFA_REQUIRED "$TS_TMP/ma1.b" || ts_fail "MFA refusal not named"
! grep -qi '^set-cookie' "$TS_TMP/ma1.h" || ts_fail "the MFA refusal set a cookie"
grep -q "href=\"https://broker.test/signin?pool=secure&amp;return=%2Fx&amp;stepup=1&amp;bind=$BIND\"" \
	"$TS_TMP/ma1.b" || ts_fail "no step-up link: $(cat "$TS_TMP/ma1.b")"
get m2 "$B/signin?pool=secure&return=/x&stepup=1&bind=$BIND" >/dev/null
"$PY" -c 'import base64, sys, urllib.parse as u, zlib
q = u.parse_qs(u.urlsplit(sys.argv[1]).query)
xml = zlib.decompress(base64.b64decode(q["SAMLRequest"][0]), -15).decode()
assert "ForceAuthn=\"true\"" in xml, xml
assert "http://schemas.microsoft.com/claims/multipleauthn" in xml, xml' "$(header m2 Location)" ||
	ts_fail "step-up request lacks ForceAuthn or the MFA context"
idm2=$(query "$(header m2 Location)" RelayState)
sign_for "$idm2" --authn multipleauthn >"$TS_TMP/m2.txt"
[ "$(get ma2 "$B/saml/acs" --data-binary "@$TS_TMP/m2.txt")" = 302 ] || ts_fail "MFA sign-in refused"
mfa_sso=$(cookie ma2 __Host-tessera-sso)

# --- a sign-out the store cannot record is not reported done --------------
# Another process holds the write lock past the store's 5 s wait: 500 by
# name, the cookies cleared all the same; the session still stands.
# It is the user's click on the page below (same-origin) that gets through.
store_lock
[ "$(get o0 "$B/signout" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" \
	-H 'Sec-Fetch-Site: same-origin' -H 'Referer: https://broker.test/signout')" = 500 ] &&
	grep -q STORE_QUERY "$TS_TMP/o0.b" || ts_fail "unrecorded sign-out: $(head -c 300 "$TS_TMP/o0.b")"
tr -d '\r' <"$TS_TMP/o0.h" | grep -qi '^set-cookie: __Host-tessera-sso=; .*Max-Age=0' ||
	ts_fail "SSO cookie not cleared by the failed sign-out"
grep -q 'event=signout_failed error=STORE_QUERY' "$TS_TMP/tesserad2.log" ||
	ts_fail "the failed sign-out is not logged: $(grep -i signout "$TS_TMP/tesserad2.log")"
store_unlock

# --- another site's page cannot sign the user out (logout CSRF) -----------
# A cross-site navigation carries the Lax SSO cookie. It gets a page that
# asks first (not frameable); no cookie is cleared, the session stands.
signout_asked() { # NAME HEADER...: a sign-out that must be asked first
	n=$1
	shift
	[ "$(get "$n" "$B/signout" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" "$@")" = 200 ] &&
		grep -q '<form method="get" action="/signout">' "$TS_TMP/$n.b" ||
		ts_fail "$n: $* signed out unasked: $(head -c 300 "$TS_TMP/$n.b")"
	! grep -qi '^set-cookie:' "$TS_TMP/$n.h" || ts_fail "$n: cookies cleared unasked"
}
signout_asked ox1 -H 'Sec-Fetch-Site: cross-site' -H 'Referer: https://evil.test/page'
header ox1 Content-Security-Policy | grep -q "frame-ancestors 'none'" &&
	[ "$(header ox1 X-Frame-Options)" = DENY ] || ts_fail "the sign-out page can be framed"
grep -q 'event=signout_asked error=SIGNOUT_CROSS_SITE origin=https://evil.test fetch_site=cross-site' \
	"$TS_TMP/tesserad2.log" || ts_fail "asked sign-out not logged: $(grep signout_asked "$TS_TMP/tesserad2.log")"
signout_asked ox2 -H 'Referer: https://evil.test/' # a browser without Sec-Fetch-*
signout_asked ox3 -H 'Sec-Fetch-Site: same-site' -H 'Origin: https://sibling.test'
signout_asked ox4 -H 'Sec-Fetch-Site: cross-site'
signout_asked ox5 -H 'Sec-Fetch-Site: cross-site' -H 'Referer: https://lync1.test.evil.test/'
signout_asked ox7 # neither header: another site's link can drop the Referer
get ox6 "$B/signin?pool=lync1&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" >/dev/null
case "$(header ox6 Location)" in https://lync1.test/.tessera/session\?*) ;;
*) ts_fail "the session did not stand: $(header ox6 Location)" ;; esac

# --- sign-out revokes the session: its cookie no longer skips the IdP -----
# A code handed over before the sign-out and redeemed after it gets no ticket.
get o3 "$B/signin?pool=lync1&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" >/dev/null
code_o3=$(query "$(header o3 Location)" code)
# A pool's page (on another site than the broker's) may link here.
[ "$(get o1 "$B/signout" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" \
	-H 'Sec-Fetch-Site: cross-site' -H 'Referer: https://LYNC1.test:4443/app')" = 302 ] ||
	ts_fail "signout"
[ "$(get o4 "$B/.tessera/session?code=$code_o3" -H 'Host: lync1.test')" = 401 ] &&
	grep -q SESSION_UNKNOWN "$TS_TMP/o4.b" ||
	ts_fail "a code outlived its sign-out: $(head -c 300 "$TS_TMP/o4.b")"
! grep -qi '^set-cookie: __Host-tessera=[^;]' "$TS_TMP/o4.h" ||
	ts_fail "a ticket was set after the sign-out"
[ "$(header o1 Location)" = https://broker.test/bye ] || ts_fail "signout target"
tr -d '\r' <"$TS_TMP/o1.h" | grep -qi '^set-cookie: __Host-tessera-sso=; .*Max-Age=0' ||
	ts_fail "SSO cookie not cleared"
get o2 "$B/signin?pool=secure&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$mfa_sso" >/dev/null
case "$(header o2 Location)" in https://idp.example.test/*) ;; *) ts_fail "revoked session still SSO" ;; esac

# --- code expiry (code_lifetime = 5 s): waiting is the behaviour tested ----
get s5 "$B/signin?pool=lync1&bind=$BIND" -H "Cookie: $JAR; __Host-tessera-sso=$sso" >/dev/null
code5=$(query "$(header s5 Location)" code)
sleep 6
[ "$(get p5 "$B/.tessera/session?code=$code5" -H 'Host: lync1.test')" = 400 ] ||
	ts_fail "expired code accepted"
grep -q CODE_UNKNOWN "$TS_TMP/p5.b" || ts_fail "expired code not named"

# --- /metrics counts what happened -----------------------------------------
get met "$B/metrics" >/dev/null
"$PY" - "$TS_TMP/met.b" <<'PY' || ts_fail "metrics: $(cat "$TS_TMP/met.b")"
import re, sys
samples = {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if not line or line.startswith("#"):
        assert re.match(r"# (HELP|TYPE) [a-z_]+ ", line) or not line, line
        continue
    m = re.fullmatch(r'([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)', line)
    assert m, "not exposition format: " + line
    samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
# Counters restart with the process: what happened since the kill -9.
assert samples['tessera_signins_total{idp="fx",pool="secure"}'] == 1, samples
assert 'tessera_signins_total{idp="fx",pool="lync1"}' not in samples, samples
assert samples['tessera_replay_hits_total'] == 1, samples
assert samples['tessera_rejections_total{error="MFA_REQUIRED"}'] == 1, samples
assert samples['tessera_http_requests_total{route="/signin",status="302"}'] >= 3, samples
# One ticket handed out (the MFA sign-in's); the replay after the restart
# was refused in the store, after its ticket was minted, and is not counted.
assert samples['tessera_tickets_minted_total'] == 1, samples
assert 'tessera_http_request_duration_seconds_bucket{route="/signin",le="+Inf"}' in samples
PY
echo "PASS: signin"
