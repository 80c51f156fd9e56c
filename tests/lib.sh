# Shared helpers for integration scripts: a temp dir, processes that are
# always stopped, and waiting on a condition with a deadline (never sleeps
# for synchronisation).
set -eu

: "${TS_BUILDDIR:?run through make check}"
: "${TS_SRCDIR:?run through make check}"

TS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tessera-test.XXXXXX")
TS_PIDS=""

ts_cleanup() {
	for pid in $TS_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $TS_PIDS; do
		ts_wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
	done
	# TS_KEEP_TMP=1 keeps the logs and files of a run, for a post-mortem.
	if [ -n "${TS_KEEP_TMP:-}" ]; then echo "kept $TS_TMP" >&2; else rm -rf "$TS_TMP"; fi
}
trap ts_cleanup EXIT
trap 'exit 1' INT TERM

ts_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ts_skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# ts_wait_until SECONDS COMMAND...: polls COMMAND until it succeeds or the
# deadline passes (returns 1).
ts_wait_until() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

ts_wait_exit() {
	ts_wait_until "$2" sh -c "! kill -0 $1 2>/dev/null"
}

# ts_start_tesserad CONF LOG: starts tesserad, waits for its listening line,
# sets TS_PORT and TS_TESSERAD_PID.
ts_start_tesserad() {
	"$TS_BUILDDIR/tesserad" -c "$1" 2>"$2" &
	TS_TESSERAD_PID=$!
	TS_PIDS="$TS_PIDS $TS_TESSERAD_PID"
	ts_wait_until 20 grep -q 'event=listening' "$2" ||
		{ cat "$2" >&2; ts_fail "tesserad did not start"; }
	TS_PORT=$(sed -n 's/.*event=listening .*port=\([0-9]*\).*/\1/p' "$2" | head -n 1)
	[ -n "$TS_PORT" ] || ts_fail "no port in: $(cat "$2")"
}

# ts_http_status METHOD URL: prints the status code curl got.
ts_http_status() {
	"$CURL" -s -o /dev/null -w '%{http_code}' -X "$1" --max-time 10 "$2"
}
