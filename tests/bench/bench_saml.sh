#!/bin/sh
# make bench: saml/ validation vs bare xmlsec verification, same response.
set -eu
b=${1:?build dir}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tessera-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$b/tessera-idp" keys "$tmp/k" >/dev/null
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$b/tessera-idp" sign --key "$tmp/k/idp.key" --cert "$tmp/k/idp.crt" --now "$now" --id bench \
	--in-response-to _req1 --group S-1-5-21-1-2-3-513 --xml --out "$tmp/response.xml"
printf '[idp bench]\nmetadata = %s/k/idp-metadata.xml\n' "$tmp" >"$tmp/tessera.conf"
"$b/tests/bench/bench_saml" "$tmp/tessera.conf" bench "$tmp/response.xml" "$tmp/k/idp.crt"
