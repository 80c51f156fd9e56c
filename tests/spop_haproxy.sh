#!/bin/sh
# The SPOP agent against a real HAProxy 2.6: a SPOE filter sends each
# request's X-Echo header to spop_echo_agent, which sets txn.tessera.echo;
# HAProxy answers with it. Covers the health-check HELLO, pipelining with
# 200 requests from 20 clients each getting its own answer, HAProxy's
# behaviour with the agent down (variable unset -> 503), and the agent
# refusing a max-frame-size it cannot take (logged, 503 again, no hang).
. "$TS_SRCDIR/tests/lib.sh"
[ -n "$CURL" ] || ts_skip "curl not found"
command -v haproxy >/dev/null || ts_skip "haproxy not found (apt-get install haproxy)"
[ -n "$SYSTEM_PYTHON3" ] || ts_skip "python3 not found (picks HAProxy's port)"

agent_conf() { # PORT MAX_FRAME_SIZE
	cat <<CONF
[gate]
spop_listen_address = 127.0.0.1
spop_listen_port = $1
spop_max_frame_size = $2
spop_threads = 2
[log]
level = debug
CONF
}

# start_agent CONF LOG: starts the echo agent, sets AGENT_PORT and AGENT_PID.
start_agent() {
	"$TS_BUILDDIR/tests/spop_echo_agent" -c "$1" 2>"$2" &
	AGENT_PID=$!
	TS_PIDS="$TS_PIDS $AGENT_PID"
	ts_wait_until 20 grep -q 'event=spop_listening' "$2" ||
		{ cat "$2" >&2; ts_fail "echo agent did not start"; }
	AGENT_PORT=$(sed -n 's/.*event=spop_listening .*port=\([0-9]*\).*/\1/p' "$2" | head -n 1)
}

agent_conf 0 65532 >"$TS_TMP/agent.conf"
start_agent "$TS_TMP/agent.conf" "$TS_TMP/agent.log"

cat >"$TS_TMP/spoe.conf" <<CONF
[tessera]
spoe-agent tessera-agent
    messages echo
    option var-prefix tessera
    option set-on-error error
    timeout hello 2s
    timeout idle 30s
    timeout processing 2s
    use-backend spop-agents

spoe-message echo
    args value=req.hdr(x-echo)
    event on-frontend-http-request
CONF

# HAProxy cannot report a port of its own choosing: ask the kernel for a
# free one and retry if another process takes it first.
haproxy_config() { # PORT
	cat <<CONF
global
    nbthread 2
    log stderr format raw local0 info

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:$1
    filter spoe engine tessera config $TS_TMP/spoe.conf
    http-request return status 200 content-type text/plain lf-string "%[var(txn.tessera.echo)]" if { var(txn.tessera.echo) -m found }
    http-request return status 503 content-type text/plain string "no verdict"

backend spop-agents
    mode tcp
    timeout connect 1s
    timeout server 5s
    option spop-check
    server agent1 127.0.0.1:$AGENT_PORT check inter 300ms
CONF
}

free_port() {
	"$SYSTEM_PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo_of() { # VALUE: prints HAProxy's answer to a request carrying X-Echo: VALUE
	"$CURL" -s --max-time 10 -H "X-Echo: $1" "http://127.0.0.1:$HA_PORT/"
}

for attempt in 1 2 3; do
	HA_PORT=$(free_port)
	haproxy_config "$HA_PORT" >"$TS_TMP/haproxy.cfg"
	haproxy -c -q -f "$TS_TMP/haproxy.cfg" || ts_fail "haproxy -c refused the config"
	haproxy -db -f "$TS_TMP/haproxy.cfg" >"$TS_TMP/haproxy.log" 2>&1 &
	HA_PID=$!
	TS_PIDS="$TS_PIDS $HA_PID"
	if ts_wait_until 20 sh -c "[ \"\$(\"$CURL\" -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'X-Echo: up' http://127.0.0.1:$HA_PORT/)\" = 200 ] || ! kill -0 $HA_PID 2>/dev/null"; then
		kill -0 "$HA_PID" 2>/dev/null && break
	fi
	[ "$attempt" -lt 3 ] || { cat "$TS_TMP/haproxy.log" >&2; ts_fail "haproxy did not answer through the agent"; }
done

# One request: the header goes out in a NOTIFY, comes back as a variable.
[ "$(echo_of hello-tessera)" = hello-tessera ] || ts_fail "echo wrong: '$(echo_of hello-tessera)'"
grep -q 'event=spop_hello .*pipelining=yes' "$TS_TMP/agent.log" ||
	ts_fail "HAProxy did not negotiate pipelining: $(cat "$TS_TMP/agent.log")"
# The health check (option spop-check) is a HELLO with healthcheck=true.
ts_wait_until 10 grep -q 'event=spop_healthcheck' "$TS_TMP/agent.log" ||
	ts_fail "no health-check HELLO seen"

# 200 requests from 20 clients at once: each gets its own value back.
seq 1 200 | xargs -P 20 -I{} sh -c \
	'[ "$("$1" -s --max-time 10 -H "X-Echo: request-{}" "$2")" = "request-{}" ] || echo "request-{}"' \
	sh "$CURL" "http://127.0.0.1:$HA_PORT/" >"$TS_TMP/mismatch"
[ ! -s "$TS_TMP/mismatch" ] || ts_fail "$(wc -l <"$TS_TMP/mismatch") answers were wrong or missing"
if grep -q 'level=warn\|level=err' "$TS_TMP/agent.log"; then
	ts_fail "agent complained: $(grep 'level=warn\|level=err' "$TS_TMP/agent.log")"
fi

# Agent down: the variable stays unset, so the 503 rule answers.
kill -TERM "$AGENT_PID"
ts_wait_exit "$AGENT_PID" 10 || ts_fail "agent did not stop on SIGTERM"
grep -q 'event=spop_stopped' "$TS_TMP/agent.log" || ts_fail "agent stop not logged"
code=$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Echo: x' "http://127.0.0.1:$HA_PORT/")
[ "$code" = 503 ] || ts_fail "agent down gave $code, want 503"

# An agent whose frame cap is below HAProxy's offer (tune.bufsize - 4)
# refuses the HELLO with status 9 and says why; requests fail fast (503)
# instead of hanging.
agent_conf "$AGENT_PORT" 4096 >"$TS_TMP/small.conf"
start_agent "$TS_TMP/small.conf" "$TS_TMP/small.log"
code=$("$CURL" -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Echo: x' "http://127.0.0.1:$HA_PORT/")
[ "$code" = 503 ] || ts_fail "small frame cap gave $code, want 503"
ts_wait_until 10 grep -q 'event=spop_disconnect error=SPOP_FRAME_SIZE .*haproxy_max_frame_size=16380 spop_max_frame_size=4096' \
	"$TS_TMP/small.log" || ts_fail "frame size refusal not logged: $(cat "$TS_TMP/small.log")"
exit 0
