# HAProxy with the shipped configuration (conf/haproxy/) in front of
# tesserad and emulated pools, for the gate's tests and benchmark. Needs
# lib.sh (ts_wait_until, TS_PIDS) and tesserad's ports in TS_PORT (HTTP)
# and SPOP_PORT. Pool host names are lync1.test (backend pool_lync) and
# lync2.test (pool_lync2); the broker's is broker.test.

# ts_free_port: a loopback port free right now (HAProxy cannot take 0).
ts_free_port() {
	"$SYSTEM_PYTHON3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ts_start_haproxy POOL1_ADDR POOL2_ADDR [CONFIG [LOG]]: HAProxy on a free
# port (HA_PORT, HA_PID) with CONFIG (the shipped one), TLS for the three
# names from scripts/tls-certs ($TS_TMP/tls/ca.crt), log in LOG
# ($TS_TMP/haproxy.log); waits until it answers.
ts_start_haproxy() {
	ha_cfg=${3:-$TS_SRCDIR/conf/haproxy/haproxy.cfg}
	ha_log=${4:-$TS_TMP/haproxy.log}
	"$TS_SRCDIR/scripts/tls-certs" "$TS_TMP/tls" lync1.test lync2.test broker.test
	printf 'lync1.test pool_lync\nlync2.test pool_lync2\n' >"$TS_TMP/pools.map"
	TESSERA_TLS_CERT=$TS_TMP/tls/site.pem TESSERA_POOL_MAP=$TS_TMP/pools.map
	TESSERA_SPOE_CONF=$TS_SRCDIR/conf/haproxy/tessera-spoe.conf
	TESSERA_SPOP=127.0.0.1:$SPOP_PORT TESSERA_HTTP=127.0.0.1:$TS_PORT
	TESSERA_BROKER_HOST=broker.test TESSERA_POOL_LYNC=$1 TESSERA_POOL_LYNC2=$2
	export TESSERA_TLS_CERT TESSERA_POOL_MAP TESSERA_SPOE_CONF TESSERA_SPOP TESSERA_HTTP \
		TESSERA_BROKER_HOST TESSERA_POOL_LYNC TESSERA_POOL_LYNC2
	for attempt in 1 2 3; do
		HA_PORT=$(ts_free_port)
		TESSERA_BIND=127.0.0.1:$HA_PORT
		export TESSERA_BIND
		haproxy -c -q -f "$ha_cfg" || ts_fail "haproxy -c refused $ha_cfg"
		haproxy -db -f "$ha_cfg" >"$ha_log" 2>&1 &
		HA_PID=$!
		TS_PIDS="$TS_PIDS $HA_PID"
		if ts_wait_until 20 ha_answers; then
			kill -0 "$HA_PID" 2>/dev/null && return 0
		fi
		[ "$attempt" -lt 3 ] || ts_fail "haproxy did not start: $(cat "$ha_log")"
	done
}

# ha_answers: HAProxy died, or it answers on its port.
ha_answers() {
	! kill -0 "$HA_PID" 2>/dev/null ||
		[ "$(hc -o /dev/null -w '%{http_code}' https://lync1.test/)" != 000 ]
}

# hc [curl args] URL: curl through HAProxy to the test's host names.
hc() {
	"$CURL" -s --max-time 20 --cacert "$TS_TMP/tls/ca.crt" \
		--connect-to lync1.test:443:127.0.0.1:"$HA_PORT" \
		--connect-to lync2.test:443:127.0.0.1:"$HA_PORT" \
		--connect-to broker.test:443:127.0.0.1:"$HA_PORT" "$@"
}

# ts_start_gate_stack [EXTRA CONFIG]: tesserad (signin_lib's broker, lync2
# at stage passive, the STS, the agent, EXTRA appended to its config), the
# emulated pools lync1.test (pool1, legacy) and lync2.test (pool2), both
# trusting Tessera as their STS, and HAProxy in front. Needs signin_lib.sh. Sets B,
# SPOP_PORT, P1, P2, HA_PORT.
ts_start_gate_stack() {
	"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/idp" >/dev/null
	ts_broker_config "$TS_TMP/tessera.conf"
	sed -i 's/^\[pool lync2\]$/&\nstage = passive/' "$TS_TMP/tessera.conf"
	printf '[sts]\nkey_dir = %s/sts\n[gate]\nspop_listen_address = 127.0.0.1\nspop_listen_port = 0\n' \
		"$TS_TMP" >>"$TS_TMP/tessera.conf"
	printf '%s\n' "${1:-}" >>"$TS_TMP/tessera.conf"
	ts_start_tesserad "$TS_TMP/tessera.conf" "$TS_TMP/tesserad.log"
	B="http://127.0.0.1:$TS_PORT"
	ts_wait_until 10 grep -q 'event=spop_listening' "$TS_TMP/tesserad.log" || ts_fail "no agent"
	SPOP_PORT=$(sed -n 's/.*event=spop_listening .*port=\([0-9]*\).*/\1/p' "$TS_TMP/tesserad.log")

	# The pools. lync2 trusts Tessera as its STS (metadata read from tesserad).
	start_emulator pool1 lync1.test \
		--sts-metadata "$B/FederationMetadata/2007-06/FederationMetadata.xml" \
		--sts-signin https://broker.test/adfs/ls/
	P1=$emulator
	start_emulator pool2 lync2.test \
		--sts-metadata "$B/FederationMetadata/2007-06/FederationMetadata.xml" \
		--sts-signin https://broker.test/adfs/ls/
	P2=$emulator
	ts_start_haproxy "$P1" "$P2"
}

# start_emulator NAME HOST [flags]: a tessera-pool (stopped with the test);
# its address in $emulator. Not in $(...): TS_PIDS must reach this shell.
start_emulator() {
	name=$1 host=$2
	shift 2
	"$TS_BUILDDIR/tessera-pool" --listen 127.0.0.1:0 --host "$host" "$@" \
		>"$TS_TMP/$name.out" 2>"$TS_TMP/$name.log" &
	TS_PIDS="$TS_PIDS $!"
	ts_wait_until 20 grep -q 'listening on' "$TS_TMP/$name.out" ||
		ts_fail "$name: $(cat "$TS_TMP/$name.log")"
	emulator=$(sed -n 's|^tessera-pool: listening on http://\(127\.0\.0\.1:[0-9]*\)/$|\1|p' \
		"$TS_TMP/$name.out")
}

# h NAME [curl args] URL: through HAProxy; status printed, NAME.h / NAME.b kept.
# Sends the test browser's cookies ($JAR, signin_lib.sh) unless the args
# give a Cookie header of their own.
h() {
	n=$1
	shift
	case "$*" in *[Cc]ookie:*) ;; *) set -- -H "Cookie: $JAR" "$@" ;; esac
	hc -D "$TS_TMP/$n.h" -o "$TS_TMP/$n.b" -w '%{http_code}' "$@"
}
hdr_exact() { tr -d '\r' <"$TS_TMP/$1.h" | grep -q "^$2" || ts_fail "$1: no '$2': $(cat "$TS_TMP/$1.h")"; }
reached() { grep -F "path=$2 " "$TS_TMP/$1.log" | tail -n 1; } # POOL PATH: its last log line

# passive_signin HOST: the whole passive sign-in at pool HOST through
# HAProxy (oauthtoken 400 28020, PassiveAuth, broker.test's /adfs/ls/, the
# IdP, /saml/acs, the pool's /passiveauth/, oauthtoken 200); prints the cwt.
# The token is posted with the Origin a browser sends from the broker's page.
# The SSO cookie is left in $TS_TMP/sso, the posted form in $TS_TMP/post.txt.
# Needs signin_lib.sh.
passive_signin() {
	[ "$(h s1 --data grant_type=urn:microsoft.rtc:passive https://$1/WebTicket/oauthtoken)" = 400 ] &&
		hdr_exact s1 'X-Ms-diagnostics: 28020' || ts_fail "passive grant: $(cat "$TS_TMP/s1.h" "$TS_TMP/s1.b")"
	h s2 https://$1/PassiveAuth/PassiveAuth.aspx >/dev/null
	sts=$(header s2 Location)
	case "$sts" in https://broker.test/adfs/ls/?*) ;; *) ts_fail "PassiveAuth went to $sts" ;; esac
	[ "$(h s3 "$sts")" = 302 ] || ts_fail "/adfs/ls/ through HAProxy: $(cat "$TS_TMP/s3.b")"
	sign_for "$(query "$(header s3 Location)" RelayState)" >"$TS_TMP/r1.txt"
	[ "$(h s4 --data-binary "@$TS_TMP/r1.txt" https://broker.test/saml/acs)" = 200 ] ||
		ts_fail "acs: $(cat "$TS_TMP/s4.b")"
	cookie s4 __Host-tessera-sso >"$TS_TMP/sso"
	"$PY" "$TS_SRCDIR/tests/sts_token.py" form "$TS_TMP/s4.b" "$TS_TMP/post.txt"
	[ "$(h s5 -H 'Origin: https://broker.test' --data-binary "@$TS_TMP/post.txt" \
		https://$1/passiveauth/)" = 302 ] ||
		ts_fail "pool refused the token: $(cat "$TS_TMP/s5.b")"
	pc=$(tr -d '\r' <"$TS_TMP/s5.h" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -n 1)
	[ "$(h s6 -H "Cookie: $pc" --data grant_type=urn:microsoft.rtc:passive \
		https://$1/WebTicket/oauthtoken)" = 200 ] || ts_fail "cwt: $(cat "$TS_TMP/s6.b")"
	"$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$TS_TMP/s6.b"
}
