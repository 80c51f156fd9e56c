#!/bin/sh
# tessera inspect: prints the identity of a valid fixture (POST body, XML
# or base64 file) and names the failing check of each rejection; exit 0/1/2.
. "$TS_SRCDIR/tests/lib.sh"

idp="$TS_BUILDDIR/tessera-idp"
now=2026-01-01T00:00:00Z
at=2026-01-01T00:00:10Z
"$idp" keys "$TS_TMP/k" >/dev/null
cat >"$TS_TMP/t.conf" <<CONF
[idp fixture]
metadata = $TS_TMP/k/idp-metadata.xml
CONF

sign() { # sign OUT FLAGS...: SAML 2.0 answers request _r; WS-Fed has no such field
	out=$1
	shift
	case " $* " in
	*" wsfed "*) irt= ;;
	*) irt="--in-response-to=_r" ;;
	esac
	"$idp" sign --key "$TS_TMP/k/idp.key" --cert "$TS_TMP/k/idp.crt" --now "$now" --id i \
		$irt "$@" --out "$TS_TMP/$out"
}

inspect() { # inspect FILE [AT]: sets rc and leaves output in $TS_TMP/out
	rc=0
	"$TS_BUILDDIR/tessera" inspect "$TS_TMP/$1" --idp fixture --at "${2:-$at}" \
		--config "$TS_TMP/t.conf" >"$TS_TMP/out" 2>&1 || rc=$?
}

# Valid: the POST body as posted, the XML, and its base64 (as captured).
sign post.txt --upn bob@example.test --subject bob@example.test
inspect post.txt
[ "$rc" = 0 ] || ts_fail "valid POST body refused: $(cat "$TS_TMP/out")"
for line in "result: valid" "subject: bob@example.test" "upn: bob@example.test" \
	"protocol: saml2" "mfa: no" "skipped: InResponseTo (offline), replay (offline)"; do
	grep -qxF "$line" "$TS_TMP/out" || ts_fail "missing '$line' in: $(cat "$TS_TMP/out")"
done
sign resp.xml --xml
base64 "$TS_TMP/resp.xml" >"$TS_TMP/resp.b64"
for f in resp.xml resp.b64; do
	inspect "$f"
	[ "$rc" = 0 ] || ts_fail "valid $f refused: $(cat "$TS_TMP/out")"
done
sign wsfed.txt --protocol wsfed --authn multipleauthn
inspect wsfed.txt
[ "$rc" = 0 ] && grep -qx "protocol: wsfed-saml11" "$TS_TMP/out" && grep -qx "mfa: yes" "$TS_TMP/out" ||
	ts_fail "valid WS-Fed refused: $(cat "$TS_TMP/out")"

# Rejections: each names its check, exit 1.
reject() { # reject ERROR_NAME [AT] -- sign flags...
	want=$1
	when=$at
	shift
	[ "$1" = -- ] || { when=$1; shift; }
	shift
	sign bad.txt "$@"
	inspect bad.txt "$when"
	[ "$rc" = 1 ] || ts_fail "$*: exit $rc, want 1: $(cat "$TS_TMP/out")"
	grep -qx "error: $want" "$TS_TMP/out" || ts_fail "$*: want $want, got: $(cat "$TS_TMP/out")"
	grep -q '^detail: ' "$TS_TMP/out" || ts_fail "$*: no detail line"
}
reject SAML_UNSIGNED -- --sign none
reject SAML_EXPIRED 2026-01-01T03:00:00Z -- --sign both
reject SAML_NOT_YET_VALID 2025-12-31T23:50:00Z --
reject SAML_AUDIENCE -- --audience https://other.example.test/
reject SAML_ISSUER -- --issuer https://evil.example.test/
reject SAML_DESTINATION -- --destination https://other.example.test/acs
reject SAML_SIGNATURE_ALGORITHM -- --digest sha1 --sigalg rsa-sha1
reject SAML_ASSERTION_COUNT -- --sign assertion --attack wrap-extensions
reject SAML_DUPLICATE_ID -- --sign assertion --attack duplicate-id
reject SAML_SIGNATURE_INVALID -- --attack tamper-attribute
reject SAML_DOCTYPE -- --attack doctype-xxe
reject SAML_XML_MALFORMED -- --xml --attack truncate

# Usage errors: exit 2.
rc=0
"$TS_BUILDDIR/tessera" inspect "$TS_TMP/post.txt" --idp fixture --at yesterday \
	--config "$TS_TMP/t.conf" 2>/dev/null || rc=$?
[ "$rc" = 2 ] || ts_fail "bad --at: exit $rc, want 2"
rc=0
"$TS_BUILDDIR/tessera" inspect "$TS_TMP/post.txt" --idp nobody --config "$TS_TMP/t.conf" \
	2>"$TS_TMP/out" || rc=$?
[ "$rc" = 1 ] && grep -q SAML_UNKNOWN_IDP "$TS_TMP/out" || ts_fail "unknown idp: exit $rc"
echo "PASS: inspect"
