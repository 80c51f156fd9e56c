#!/bin/sh
# Interoperability of Tessera tickets with an independent JWT library
# (PyJWT + cryptography, Debian's python3-jwt), for both algorithms: a
# ticket Tessera mints verifies in PyJWT from the JWKS alone, a token PyJWT
# signs with Tessera's key file verifies in Tessera, and the negative
# controls show both sides really check.
. "$TS_SRCDIR/tests/lib.sh"

py=${SYSTEM_PYTHON3:-}
[ -n "$py" ] || ts_skip "no system python3"
"$py" -c 'import jwt, cryptography' 2>/dev/null ||
	ts_skip "$py lacks jwt or cryptography (apt-get install python3-jwt python3-cryptography)"

tool="$TS_BUILDDIR/tests/ticket_tool"
interop="$TS_SRCDIR/tests/ticket_interop.py"
iss=https://tessera.example.org
aud=pool1.example.org

for alg in EdDSA ES256; do
	dir="$TS_TMP/keys-$alg"
	printf '[tickets]\nkey_dir = %s\n' "$dir" >"$TS_TMP/$alg.conf"
	"$TS_BUILDDIR/tessera" key rotate -c "$TS_TMP/$alg.conf" --alg "$alg" \
		>"$TS_TMP/rotate.out" 2>"$TS_TMP/rotate.err" ||
		ts_fail "$alg: key rotate: $(cat "$TS_TMP/rotate.err")"
	kid=$(cut -f1 "$TS_TMP/rotate.out")
	"$tool" jwks "$dir" >"$TS_TMP/jwks.json" 2>"$TS_TMP/tool.err" ||
		ts_fail "$alg: jwks: $(cat "$TS_TMP/jwks.json" "$TS_TMP/tool.err")"

	# Tessera mints, PyJWT verifies with the JWKS.
	token=$("$tool" mint "$dir" "$iss" "$aud" alice 2>"$TS_TMP/tool.err") ||
		ts_fail "$alg: mint: $token $(cat "$TS_TMP/tool.err")"
	sub=$("$py" "$interop" verify "$TS_TMP/jwks.json" "$token" "$aud" "$iss" 2>"$TS_TMP/py.err") ||
		ts_fail "$alg: PyJWT refused a Tessera ticket: $(cat "$TS_TMP/py.err")"
	[ "$sub" = alice ] || ts_fail "$alg: PyJWT read sub '$sub'"

	# PyJWT really checks: a wrong audience and a flipped signature fail there.
	if "$py" "$interop" verify "$TS_TMP/jwks.json" "$token" other.example.org "$iss" \
		>/dev/null 2>&1; then
		ts_fail "$alg: PyJWT accepted the wrong audience"
	fi
	bad=$(printf '%s' "$token" | sed 's/.$/A/')
	[ "$bad" != "$token" ] || bad=$(printf '%s' "$token" | sed 's/.$/Q/')
	if "$py" "$interop" verify "$TS_TMP/jwks.json" "$bad" "$aud" "$iss" >/dev/null 2>&1; then
		ts_fail "$alg: PyJWT accepted a changed signature"
	fi

	# PyJWT mints with Tessera's private key file, Tessera verifies.
	token=$("$py" "$interop" mint "$dir/$kid.key" "$kid" "$alg" "$aud" "$iss" bob 2>"$TS_TMP/py.err") ||
		ts_fail "$alg: PyJWT could not sign: $(cat "$TS_TMP/py.err")"
	out=$("$tool" verify "$dir" "$iss" "$aud" "$token" 2>"$TS_TMP/tool.err") ||
		ts_fail "$alg: Tessera refused a PyJWT token: $out $(cat "$TS_TMP/tool.err")"
	[ "$out" = "sub=bob kid=$kid alg=$alg" ] || ts_fail "$alg: Tessera read '$out'"

	# Tessera really checks: a PyJWT token for another issuer is refused.
	token=$("$py" "$interop" mint "$dir/$kid.key" "$kid" "$alg" "$aud" https://evil.example.org bob)
	out=$("$tool" verify "$dir" "$iss" "$aud" "$token" 2>/dev/null) &&
		ts_fail "$alg: Tessera accepted another issuer"
	[ "$out" = TICKET_ISSUER ] || ts_fail "$alg: other issuer gave '$out'"
done

# The HS256 confusion, built by the independent side from the published
# Ed25519 key: refused for its algorithm.
dir="$TS_TMP/keys-EdDSA"
"$tool" jwks "$dir" >"$TS_TMP/jwks.json"
token=$("$tool" mint "$dir" "$iss" "$aud" alice)
forged=$("$py" "$interop" hs256 "$TS_TMP/jwks.json" "$token")
out=$("$tool" verify "$dir" "$iss" "$aud" "$forged" 2>/dev/null) &&
	ts_fail "HS256 keyed with the public key was accepted"
[ "$out" = TICKET_ALG ] || ts_fail "HS256 forgery gave '$out', want TICKET_ALG"
echo "PASS: ticket interop (EdDSA, ES256) with PyJWT $("$py" -c 'import jwt; print(jwt.__version__)')"
