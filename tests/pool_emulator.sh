#!/bin/sh
# tessera-pool's answers, shape by shape (sfb-protocol.md 1-3): lyncdiscover
# JSON and XML, Autodiscover User 401s, oauthtoken grants, UCWA with and
# without Bearer cwt=, WebTicketService (curl --ntlm) and /Auth, the mex
# port lists, CertProv with the SOAP web ticket, /Cert with the certificate
# CertProv issued. Unknown paths 404; methods 405.
. "$TS_SRCDIR/tests/pool_lib.sh"

start_pool pool --host lync.example.test
H=https://lync.example.test
AD=/Autodiscover/AutodiscoverService.svc/root
grants='urn:microsoft.rtc:windows,urn:microsoft.rtc:anonmeeting,password'

"$TS_BUILDDIR/tessera-pool" --help >"$TS_TMP/help.txt" || ts_fail "--help"
grep -q 'EMULATOR' "$TS_TMP/help.txt" || ts_fail "--help does not say it is an emulator"
"$TS_BUILDDIR/tessera-pool" --grant-types bogus 2>"$TS_TMP/bad.txt" && ts_fail "bad grant accepted"
grep -q "unknown grant 'bogus'" "$TS_TMP/bad.txt" || ts_fail "bad grant: $(cat "$TS_TMP/bad.txt")"

# lyncdiscover: JSON by default, XML when asked (desktop client).
req root '/?sipuri=alice@example.test' -H 'Accept: application/json'
want 200 "lyncdiscover JSON" root
has root 'Content-Type: application/vnd.microsoft.rtc.autodiscover+json'
[ "$(py json "$TS_TMP/root.b" _links | tr -d ' ')" = "{'self':{'href':'$H$AD?originalDomain=example.test'},'user':{'href':'$H$AD/oauth/user?originalDomain=example.test'},'xframe':{'href':'$H/Autodiscover/XFrame/XFrame.html'}}" ] ||
	ts_fail "lyncdiscover links: $(cat "$TS_TMP/root.b")"
req rootx / -H 'Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1'
want 200 "lyncdiscover XML" rootx
has rootx '<Link token="User" href="'"$H$AD"'/user?originalDomain=example.test"/>'
has rootx '<Link token="OAuth" href="'"$H$AD"'/oauth/user?originalDomain=example.test"/>'

# Autodiscover User without a ticket: the challenge the format calls for.
req userj "$AD/oauth/user"
want 401 "Autodiscover User (JSON)" userj
header userj WWW-Authenticate >"$TS_TMP/www.txt"
cat >"$TS_TMP/www.want" <<WWW
Bearer trusted_issuers="00000001-0000-0000-c000-000000000000@example.test", client_id="00000004-0000-0ff1-ce00-000000000000"
MsRtcOAuth href="$H/WebTicket/oauthtoken",grant_type="$grants"
WWW
cmp -s "$TS_TMP/www.txt" "$TS_TMP/www.want" || ts_fail "UCWA challenge: $(cat "$TS_TMP/www.txt")"
hasnt userj X-MS-WebTicketURL
req userx "$AD/user" -H 'Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1'
want 401 "Autodiscover User (XML)" userx
[ "$(header userx X-MS-WebTicketURL)" = "$H/WebTicket/WebTicketService.svc" ] ||
	ts_fail "X-MS-WebTicketURL: $(cat "$TS_TMP/userx.h")"
hasnt userx MsRtcOAuth

# oauthtoken: password grant (UPN or DOMAIN\user), wrong password, grants
# not offered, no grant, windows (NTLM), anonmeeting.
req pw /WebTicket/oauthtoken -d grant_type=password --data-urlencode username=alice@example.test \
	-d password=alice-password
want 200 "password grant" pw
cwt=$(py json "$TS_TMP/pw.b" access_token)
case "$cwt" in cwt=*) ;; *) ts_fail "access_token is not cwt=: $cwt" ;; esac
[ "$(py json "$TS_TMP/pw.b" token_type)" = Bearer ] || ts_fail "token_type: $(cat "$TS_TMP/pw.b")"
[ "$(py json "$TS_TMP/pw.b" expires_in)" = 28800 ] || ts_fail "expires_in: $(cat "$TS_TMP/pw.b")"
[ "$(py json "$TS_TMP/pw.b" ms_rtc_identityscope)" = local ] || ts_fail "scope: $(cat "$TS_TMP/pw.b")"
has pw 'Cache-Control: no-store'
req pw2 /WebTicket/oauthtoken -d grant_type=password --data-urlencode 'username=EXAMPLE\bob' \
	-d password=bob-password
want 200 "password grant, DOMAIN\\user" pw2
req pwbad /WebTicket/oauthtoken -d grant_type=password -d username=alice -d password=nope
want 400 "wrong password" pwbad
[ "$(cat "$TS_TMP/pwbad.b")" = '{"error":"invalid_grant"}' ] || ts_fail "wrong password: $(cat "$TS_TMP/pwbad.b")"
req nopassive /WebTicket/oauthtoken -d grant_type=urn:microsoft.rtc:passive
want 400 "passive grant on a pool without passive" nopassive
has nopassive 'X-Ms-diagnostics: 28029;source="lync.example.test";reason="Authentication type not allowed."'
[ "$(cat "$TS_TMP/nopassive.b")" = '{"error":"unsupported_grant_type"}' ] || ts_fail "$(cat "$TS_TMP/nopassive.b")"
req nogrant /WebTicket/oauthtoken -d username=alice
want 400 "no grant_type" nogrant
has nogrant '"invalid_request"'
req win0 /WebTicket/oauthtoken -d grant_type=urn:microsoft.rtc:windows
want 401 "windows grant without NTLM" win0
req win /WebTicket/oauthtoken --ntlm -u alice:alice-password -d grant_type=urn:microsoft.rtc:windows
want 200 "windows grant with curl --ntlm" win
wincwt=$(py json "$TS_TMP/win.b" access_token)
req anon /WebTicket/oauthtoken -d grant_type=urn:microsoft.rtc:anonmeeting -d password=123 \
	--data-urlencode 'ms_rtc_conferenceuri=sip:bob@example.test;gruu;opaque=app:conf:focus:id:X'
want 200 "anonmeeting" anon
[ "$(py json "$TS_TMP/anon.b" expires_in)" = 3600 ] || ts_fail "anonmeeting lifetime"
req get /WebTicket/oauthtoken
want 405 "GET oauthtoken" get

# The cwt opens UCWA and JSON Autodiscover; no cwt is a 401, a forged one 500/28032.
req ucwa /ucwa/oauth/v1/applications -H "Authorization: Bearer $cwt" \
	-H 'Content-Type: application/json' -d '{"UserAgent":"t","EndpointId":"e1","Culture":"en-US"}'
want 201 "UCWA application" ucwa
has ucwa '"uri":"sip:alice@example.test"'
req ucwa2 /ucwa/oauth/v1/applications -H "Authorization: Bearer $wincwt"
want 200 "UCWA with the windows-grant cwt" ucwa2
has ucwa2 '"method":"windows"'
req ucwa0 /ucwa/oauth/v1/applications
want 401 "UCWA without a ticket" ucwa0
has ucwa0 'MsRtcOAuth href='
forged=$(printf '%s' "$cwt" | sed 's/\.[^.]*$/.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/')
req ucwaf /ucwa/oauth/v1/applications -H "Authorization: Bearer $forged"
want 500 "UCWA with a forged cwt" ucwaf
has ucwaf 'X-Ms-diagnostics: 28032;source="lync.example.test";reason="The web ticket is invalid."'
req userok "$AD/oauth/user" -H "Authorization: Bearer $cwt"
want 200 "Autodiscover User with the cwt" userok
has userok "\"applications\":{\"href\":\"$H/ucwa/oauth/v1/applications\"}"

# WebTicketService.svc: curl --ntlm, the SOAP answer names the user and
# carries the SAML web ticket for the service in AppliesTo.
py rst "$H/CertProv/CertProvisioningService.svc" sip:alice@example.test >"$TS_TMP/rst.xml"
req wt /WebTicket/WebTicketService.svc --ntlm -u 'EXAMPLE\alice:alice-password' \
	-H 'Content-Type: text/xml; charset=utf-8' --data-binary "@$TS_TMP/rst.xml"
want 200 "WebTicketService with NTLM" wt
has wt '<saml:NameIdentifier Format="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri">sip:alice@example.test</saml:NameIdentifier>'
has wt 'AssertionID="SamlSecurityToken-'
has wt "<saml:Audience>$H/CertProv/CertProvisioningService.svc</saml:Audience>"
has wt '<BinarySecret>'
req wtbad /WebTicket/WebTicketService.svc --ntlm -u 'EXAMPLE\alice:wrong' \
	--data-binary "@$TS_TMP/rst.xml"
want 401 "WebTicketService, wrong password" wtbad
req wtbob /WebTicket/WebTicketService.svc --ntlm -u 'EXAMPLE\bob:bob-password' \
	--data-binary "@$TS_TMP/rst.xml"
want 500 "bob asking for alice's SIP URI" wtbob
has wtbob '<ErrorId>28020</ErrorId>'

# /Auth: UsernameToken with base64 DOMAIN\user and password.
py auth 'EXAMPLE\bob' bob-password "$H/CertProv/CertProvisioningService.svc" >"$TS_TMP/auth.xml"
req auth /WebTicket/WebTicketService.svc/Auth -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/auth.xml"
want 200 "/Auth bob" auth
has auth '>sip:bob@example.test</saml:NameIdentifier>'
py auth 'EXAMPLE\bob' wrong "$H/CertProv/CertProvisioningService.svc" >"$TS_TMP/authbad.xml"
req authbad /WebTicket/WebTicketService.svc/Auth --data-binary "@$TS_TMP/authbad.xml"
want 500 "/Auth wrong password" authbad
has authbad 'Content-Type: text/xml; charset=utf-8'
has authbad '<faultcode xmlns:a="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">a:FailedAuthentication</faultcode>'
has authbad '<faultstring xml:lang="en-US">No valid security token.</faultstring>'
has authbad '<OCSDiagnosticsFault xmlns="urn:component:Microsoft.Rtc.WebAuthentication.2010"'
has authbad '<Ms-Diagnostics-Fault><ErrorId>28020</ErrorId><Reason>No valid security token.</Reason></Ms-Diagnostics-Fault>'
has authbad 'X-Ms-diagnostics: 28020;source="lync.example.test";reason="No valid security token."'
printf 'not xml' >"$TS_TMP/junk.xml"
req authjunk /WebTicket/WebTicketService.svc/Auth --data-binary "@$TS_TMP/junk.xml"
want 500 "/Auth with junk" authjunk
printf '<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>' >"$TS_TMP/dtd.xml"
req authdtd /WebTicket/WebTicketService.svc/Auth --data-binary "@$TS_TMP/dtd.xml"
want 500 "/Auth with a DTD" authdtd
has authdtd 'DTDs and entity declarations are refused'

# mex: the ports offered, and CertProv's issuer.
req mex /WebTicket/WebTicketService.svc/mex
want 200 "WebTicketService mex" mex
for port in WebTicketServiceWinNegotiate WebTicketServiceWinNtlm WebTicketServiceAuth WebTicketServiceCert; do
	has mex "<wsdl:port name=\"$port\""
	has mex "wsu:Id=\"${port}_policy\""
done
has mex "<soap:address location=\"$H/WebTicket/WebTicketService.svc/Auth\"/>"
req cpmex /CertProv/CertProvisioningService.svc/mex
want 200 "CertProv mex" cpmex
has cpmex '<wsdl:port name="CertProvisioningServiceWebTicketProof_SHA1"'
has cpmex "<sp:Issuer><wsa10:Address>$H/WebTicket/WebTicketService.svc</wsa10:Address></sp:Issuer>"

# CertProv: no ticket -> 500/28020; the ticket from WebTicketService -> a
# certificate; a ticket for another service, or altered -> 500/28032.
csr=$(py csr "$TS_TMP/client.key")
py certprov - "$csr" sip:alice@example.test >"$TS_TMP/cp0.xml"
req cp0 /CertProv/CertProvisioningService.svc -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/cp0.xml"
want 500 "CertProv without a ticket" cp0
has cp0 '<ErrorId>28020</ErrorId>'
py assertion "$TS_TMP/wt.b" >"$TS_TMP/ticket.xml"
py certprov "$TS_TMP/ticket.xml" "$csr" sip:alice@example.test >"$TS_TMP/cp.xml"
req cp /CertProv/CertProvisioningService.svc -H 'Content-Type: text/xml' --data-binary "@$TS_TMP/cp.xml"
want 200 "CertProv with the web ticket" cp
cert=$(py issued "$TS_TMP/cp.b")
printf '%s' "$cert" | base64 -d | openssl x509 -inform der -noout -subject >"$TS_TMP/subject.txt"
grep -q 'CN *= *sip:alice@example.test' "$TS_TMP/subject.txt" || ts_fail "certificate: $(cat "$TS_TMP/subject.txt")"
sed 's/sip:alice@/sip:bob@/' "$TS_TMP/ticket.xml" >"$TS_TMP/ticket-bob.xml"
py certprov "$TS_TMP/ticket-bob.xml" "$csr" sip:bob@example.test >"$TS_TMP/cpbob.xml"
req cpbob /CertProv/CertProvisioningService.svc --data-binary "@$TS_TMP/cpbob.xml"
want 500 "CertProv with an altered ticket" cpbob
has cpbob '<ErrorId>28032</ErrorId>'
py rst "$H/ucwa" >"$TS_TMP/rst-ucwa.xml"
req wtucwa /WebTicket/WebTicketService.svc --ntlm -u 'EXAMPLE\alice:alice-password' \
	--data-binary "@$TS_TMP/rst-ucwa.xml"
want 200 "web ticket for another service" wtucwa
py assertion "$TS_TMP/wtucwa.b" >"$TS_TMP/ticket-ucwa.xml"
py certprov "$TS_TMP/ticket-ucwa.xml" "$csr" sip:alice@example.test >"$TS_TMP/cpucwa.xml"
req cpucwa /CertProv/CertProvisioningService.svc --data-binary "@$TS_TMP/cpucwa.xml"
want 500 "CertProv with a ticket for /ucwa" cpucwa
has cpucwa '<ErrorId>28032</ErrorId>'

# The web ticket as X-MS-WebTicket opens XML Autodiscover (an Autodiscover
# audience); the CertProv ticket does not.
py rst "$H$AD/user" >"$TS_TMP/rst-ad.xml"
req wtad /WebTicket/WebTicketService.svc/Auth --data-binary "@$(py auth 'EXAMPLE\alice' alice-password "$H$AD/user" >"$TS_TMP/auth-ad.xml"; echo "$TS_TMP/auth-ad.xml")"
want 200 "/Auth ticket for Autodiscover" wtad
opaque=$(py assertion "$TS_TMP/wtad.b" | base64 -w0)
req userxok "$AD/user" -H 'Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1' \
	-H "X-MS-WebTicket: opaque=$opaque"
want 200 "XML Autodiscover User with X-MS-WebTicket" userxok
has userxok '<SipClientExternalAccess fqdn="lync.example.test" port="443"/>'
req userxcp "$AD/user" -H 'Accept: application/vnd.microsoft.rtc.autodiscover+xml;v=1' \
	-H "X-MS-WebTicket: opaque=$(base64 -w0 <"$TS_TMP/ticket.xml")"
want 500 "XML Autodiscover with the CertProv ticket" userxcp

# /Cert: the issued certificate, proven by a signature over the Timestamp.
py cert-request "$cert" "$TS_TMP/client.key" "$H$AD/user" >"$TS_TMP/cert.xml"
req certok /WebTicket/WebTicketService.svc/Cert --data-binary "@$TS_TMP/cert.xml"
want 200 "/Cert with the issued certificate" certok
has certok '>sip:alice@example.test</saml:NameIdentifier>'
py cert-request "$cert" "$TS_TMP/client.key" "$H$AD/user" nosign >"$TS_TMP/cert0.xml"
req cert0 /WebTicket/WebTicketService.svc/Cert --data-binary "@$TS_TMP/cert0.xml"
want 500 "/Cert without the proof signature" cert0
"$TS_BUILDDIR/tessera-idp" keys "$TS_TMP/other" >/dev/null
py cert-request "$cert" "$TS_TMP/other/idp.key" "$H$AD/user" >"$TS_TMP/certx.xml" 2>/dev/null ||
	ts_fail "signing /Cert with another key"
req certx /WebTicket/WebTicketService.svc/Cert --data-binary "@$TS_TMP/certx.xml"
want 500 "/Cert signed by another key" certx
grep -q 'proof refused: signature does not verify' "$TS_TMP/pool.log" || ts_fail "certx: $(tail -n 2 "$TS_TMP/pool.log")"
otherb64=$(grep -v -- ----- "$TS_TMP/other/idp.crt" | tr -d '\n')
py cert-request "$otherb64" "$TS_TMP/other/idp.key" "$H$AD/user" >"$TS_TMP/certy.xml"
req certy /WebTicket/WebTicketService.svc/Cert --data-binary "@$TS_TMP/certy.xml"
want 500 "/Cert with a certificate the pool did not issue" certy
grep -q 'certificate refused: not issued by this pool' "$TS_TMP/pool.log" || ts_fail "certy: $(tail -n 2 "$TS_TMP/pool.log")"

# Unknown paths, methods.
req nf /nope
want 404 "unknown path" nf
req nf2 /WebTicket/WebTicketService.svc/Anon -d x
want 404 "port not offered" nf2
req m405 /CertProv/CertProvisioningService.svc
want 405 "GET CertProv" m405

# Paths are case-insensitive as on IIS; client-request-id is echoed.
req lower /webticket/oauthtoken -H 'client-request-id: abc-123' -d grant_type=password \
	-d username=bob -d password=bob-password
want 200 "lowercase path" lower
has lower 'client-request-id: abc-123'
has lower 'X-MS-Server-Fqdn: lync.example.test'

# Fewer ports: no Windows auth, no /Auth.
start_pool pinless --webticket-ports WebTicketServiceCert --grant-types password
req p1 /WebTicket/WebTicketService.svc/mex
want 200 "mex, one port" p1
hasnt p1 WebTicketServiceWinNegotiate
has p1 '<wsdl:port name="WebTicketServiceCert"'
req p2 /WebTicket/WebTicketService.svc/Auth --data-binary "@$TS_TMP/auth.xml"
want 404 "/Auth not offered" p2
req p3 /WebTicket/oauthtoken --ntlm -u alice:alice-password -d grant_type=urn:microsoft.rtc:windows
want 400 "windows grant not offered" p3
has p3 unsupported_grant_type
req p4 "$AD/oauth/user"
want 401 "challenge, password only" p4
has p4 'grant_type="password"'
! grep -q 'event=error' "$TS_TMP/pool.log" "$TS_TMP/pinless.log" ||
	ts_fail "handler errors: $(grep -h event=error "$TS_TMP/pool.log" "$TS_TMP/pinless.log")"
