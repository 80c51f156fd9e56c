# Helpers for the tessera-pool tests: start the emulator on a port the
# kernel picks, keep responses, and a Python client
# (tests/pool_client.py) that speaks what curl cannot: NTLM by hand on chosen
# connections, SOAP requests, and WS-Fed tokens signed by the xmlsec1 CLI
# from lxml-built templates (independent of Tessera's C code).
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
[ -n "${SYSTEM_PYTHON3:-}" ] || ts_skip "python3 not found"
[ -x "$TS_BUILDDIR/tessera-pool" ] || ts_fail "no $TS_BUILDDIR/tessera-pool (make first)"

# start_pool NAME [flags]: tessera-pool in the background; sets $base (its
# URL) and ${NAME}_pid. Its log is $TS_TMP/NAME.log.
start_pool() {
	name=$1
	shift
	"$TS_BUILDDIR/tessera-pool" --listen 127.0.0.1:0 "$@" >"$TS_TMP/$name.out" \
		2>"$TS_TMP/$name.log" &
	eval "${name}_pid=$!"
	TS_PIDS="$TS_PIDS $!"
	ts_wait_until 20 grep -q '^tessera-pool: listening on http://127\.0\.0\.1:[0-9]*/$' \
		"$TS_TMP/$name.out" || ts_fail "$name did not start: $(cat "$TS_TMP/$name.log")"
	base=$(sed -n 's|^tessera-pool: listening on \(http://127\.0\.0\.1:[0-9]*\)/$|\1|p' \
		"$TS_TMP/$name.out")
}

# req NAME PATH [curl args]: status in $status, headers NAME.h, body NAME.b.
req() {
	n=$1
	p=$2
	shift 2
	status=$("$CURL" -s --max-time 20 -D "$TS_TMP/$n.h" -o "$TS_TMP/$n.b" -w '%{http_code}' \
		"$@" "$base$p")
}
want() { # want CODE WHAT NAME
	[ "$status" = "$1" ] || ts_fail "$2: HTTP $status, want $1: $(cat "$TS_TMP/$3.h" "$TS_TMP/$3.b")"
}
has() { # has NAME TEXT: the headers or body of NAME hold TEXT
	tr -d '\r' <"$TS_TMP/$1.h" | cat - "$TS_TMP/$1.b" | grep -qF -- "$2" ||
		ts_fail "'$2' not in $1: $(cat "$TS_TMP/$1.h" "$TS_TMP/$1.b")"
}
hasnt() {
	! tr -d '\r' <"$TS_TMP/$1.h" | cat - "$TS_TMP/$1.b" | grep -qF -- "$2" ||
		ts_fail "'$2' in $1"
}
header() { # header NAME FIELD: the last response's values of FIELD, one a line
	tr -d '\r' <"$TS_TMP/$1.h" | awk -v f="$(printf %s "$2" | tr A-Z a-z)" '
		/^HTTP\// { n = 0 }
		{ i = index($0, ": "); if (i && tolower(substr($0, 1, i - 1)) == f) v[n++] = substr($0, i + 2) }
		END { for (j = 0; j < n; j++) print v[j] }'
}
py() {
	"$SYSTEM_PYTHON3" "$TS_SRCDIR/tests/pool_client.py" "$@"
}

"$SYSTEM_PYTHON3" -c 'import lxml, cryptography' 2>/dev/null ||
	ts_skip "python3-lxml and python3-cryptography are needed"
