# What the HTTP benchmarks share: one bounded wrk run that must see no
# errors, a /metrics sum, and the met/missed verdict. Needs lib.sh's
# ts_fail and TS_TMP (sourced after this file is fine: used only in calls).
WRK=${WRK:-wrk -t2 -c32}

# wrk_field NAME FILE: the value of NAME=digits on the line tagged wrk-*.
wrk_field() {
	sed -n "s/^wrk-[a-z]* .*\<$1=\([0-9.]*\).*/\1/p" "$2" | head -n 1
}

# wrk_total URL SECONDS [wrk args]: one wrk run; sets wrk_requests, wrk_us.
wrk_total() {
	url=$1
	secs=$2
	shift 2
	timeout $((secs + 30)) $WRK -d"$secs"s -s "$TS_SRCDIR/tests/bench/wrk_total.lua" "$@" \
		"$url" >"$TS_TMP/wrk.out" 2>&1 || ts_fail "wrk $url: $(cat "$TS_TMP/wrk.out")"
	wrk_requests=$(wrk_field requests "$TS_TMP/wrk.out")
	wrk_us=$(wrk_field us "$TS_TMP/wrk.out")
	[ -n "$wrk_requests" ] && [ -n "$wrk_us" ] ||
		ts_fail "wrk printed no totals: $(cat "$TS_TMP/wrk.out")"
	[ "$(wrk_field status_errors "$TS_TMP/wrk.out")" = 0 ] ||
		ts_fail "$url answered 4xx/5xx under load: $(cat "$TS_TMP/wrk.out")"
	[ "$(wrk_field socket_errors "$TS_TMP/wrk.out")" = 0 ] ||
		ts_fail "socket errors on $url: $(cat "$TS_TMP/wrk.out")"
}

# metric_sum BASE_URL REGEX: the sum of BASE_URL/metrics samples whose
# name{labels} match.
metric_sum() {
	"$CURL" -s --max-time 10 "$1/metrics" |
		awk -v re="$2" '$0 !~ /^#/ && $1 ~ re { n += $2 } END { printf "%d\n", n }'
}

# verdict VALUE GOAL: met or missed.
verdict() {
	awk -v v="$1" -v g="$2" 'BEGIN { print ((v >= g) ? "met" : "missed") }'
}
