"""The client side of the tessera-pool tests (tests/pool_lib.sh, gate_haproxy.sh):
what curl cannot do, independent of the emulator's code."""
import base64, hashlib, hmac, http.client, json, os, struct, subprocess, sys, tempfile, time
import urllib.parse

XMLSEC1 = os.environ.get("XMLSEC1") or "xmlsec1"
SAML = "urn:oasis:names:tc:SAML:1.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
CLAIMS = "http://schemas.microsoft.com/ws/2008/06/identity/claims"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# ---- NTLM client (NTLMv2), independent of the emulator: the NT hash comes
# from `openssl dgst -md4` (legacy provider), the rest from MS-NLMP 3.3.2.
def nt_hash(password):
    out = subprocess.run(["openssl", "dgst", "-md4", "-provider", "legacy", "-provider",
                          "default", "-r"], input=password.encode("utf-16-le"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    return bytes.fromhex(out.split()[0].decode())


def type1():
    flags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00080000 | 0x00800000
    return b"NTLMSSP\0" + struct.pack("<II", 1, flags) + b"\0" * 16


def type2_parts(msg):
    challenge = msg[24:32]
    ln, _mx, off = struct.unpack_from("<HHI", msg, 40)
    return challenge, msg[off:off + ln]


def type3(user, domain, nthash, challenge, info):
    key = hmac.new(nthash, (user.upper() + domain).encode("utf-16-le"), "md5").digest()
    cc = b"\x5a" * 8
    stamp = struct.pack("<Q", (int(time.time()) + 11644473600) * 10000000)
    blob = b"\x01\x01\0\0\0\0\0\0" + stamp + cc + b"\0\0\0\0" + info + b"\0\0\0\0"
    nt = hmac.new(key, challenge + blob, "md5").digest() + blob
    lm = hmac.new(key, challenge + cc, "md5").digest() + cc
    fields = [lm, nt, domain.encode("utf-16-le"), user.encode("utf-16-le"), "TEST".encode("utf-16-le")]
    off, head, payload = 64, b"", b""
    for f in fields:
        head += struct.pack("<HHI", len(f), len(f), off + len(payload))
        payload += f
    head += struct.pack("<HHI", 0, 0, off + len(payload))
    return b"NTLMSSP\0" + struct.pack("<I", 3) + head + struct.pack("<I", 0x00080205) + payload


def send(conn, path, token=None, scheme="NTLM", body=b""):
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if token is not None:
        headers["Authorization"] = "%s %s" % (scheme, token if isinstance(token, str)
                                              else base64.b64encode(token).decode())
    conn.request("POST", path, body=body, headers=headers)
    r = conn.getresponse()
    data = r.read()
    return r.status, r.getheader("WWW-Authenticate", ""), data


def challenge_on(conn, path, scheme="NTLM"):
    status, www, _ = send(conn, path, type1(), scheme)
    assert status == 401 and www.startswith(scheme + " "), (status, www)
    return type2_parts(base64.b64decode(www.split(" ", 1)[1]))


def ntlm_bind(host, port, path, user, domain, password, body_file):
    """A type 3 counts only on the connection that got its type 2."""
    body = open(body_file, "rb").read()
    nth = nt_hash(password)
    a = http.client.HTTPConnection(host, int(port), timeout=20)
    b = http.client.HTTPConnection(host, int(port), timeout=20)
    ch_a, info = challenge_on(a, path)
    challenge_on(b, path)  # b waits for its own type 3
    t3 = type3(user, domain, nth, ch_a, info)
    out = {}
    out["other"] = send(b, path, t3, body=body)[0]       # a's answer on b
    c = http.client.HTTPConnection(host, int(port), timeout=20)
    out["fresh"] = send(c, path, t3, body=body)[0]       # on a new connection
    st, _, data = send(a, path, t3, body=body)           # on a: accepted
    out["same"] = st
    out["user"] = int(b"sip:%s@" % user.encode() in data)
    out["replayed"] = send(a, path, t3, body=body)[0]    # a second time on a
    out["followup"] = send(a, path, body=body)[0]        # a stays authenticated
    out["anon"] = send(http.client.HTTPConnection(host, int(port), timeout=20), path,
                       body=body)[0]
    # Negotiate carrying NTLMSSP (what Windows falls back to).
    d = http.client.HTTPConnection(host, int(port), timeout=20)
    ch_d, info_d = challenge_on(d, path, "Negotiate")
    out["negotiate"] = send(d, path, type3(user, domain, nth, ch_d, info_d), "Negotiate",
                            body=body)[0]
    e = http.client.HTTPConnection(host, int(port), timeout=20)
    ch_e, info_e = challenge_on(e, path)
    out["wrongpw"] = send(e, path, type3(user, domain, nt_hash("wrong"), ch_e, info_e),
                          body=body)[0]
    f = http.client.HTTPConnection(host, int(port), timeout=20)
    ch_f, info_f = challenge_on(f, path)
    out["wrongdomain"] = send(f, path, type3(user, "OTHER", nth, ch_f, info_f), body=body)[0]
    print(" ".join("%s=%s" % kv for kv in sorted(out.items())))


def ntlm_malformed(host, port, path):
    """Broken type 3 messages after a real type 1/2, and broken tokens:
    every answer is 400 or 401 and the server keeps answering."""
    def hdr(lm=(0, 64), nt=(0, 64), dom=(0, 64), user=(0, 64), ws=(0, 64), extra=b""):
        h = b""
        for ln, off in (lm, nt, dom, user, ws):
            h += struct.pack("<HHI", ln, ln, off)
        return b"NTLMSSP\0" + struct.pack("<I", 3) + h + struct.pack("<HHI", 0, 0, 64) \
            + struct.pack("<I", 0x205) + extra
    cases = {
        "truncated": b"NTLMSSP\0\x03\0\0\0\x18\0\x18\0",
        "header-only": hdr()[:40],
        "offset-past-end": hdr(nt=(24, 4000), extra=b"x" * 24),
        "length-past-end": hdr(user=(200, 64), extra=b"u" * 10),
        "huge-length": hdr(nt=(0xFFFF, 64), extra=b"x" * 100),
        "offset-overflow": hdr(user=(8, 0xFFFFFFF8), extra=b"u" * 8),
        "offset-in-header": hdr(user=(8, 8), extra=b"u" * 8),
        "odd-utf16": hdr(user=(3, 64), extra=b"abc"),
        "empty-user": hdr(nt=(60, 64), extra=b"n" * 60),
        "type-9": b"NTLMSSP\0\x09\0\0\0" + b"\0" * 56,
        "not-ntlmssp": b"KERBEROS" + b"\0" * 60,
        "not-base64": "%%%not base64%%%",
        "huge-token": "TlRMTVNTUAAD" + "A" * 20000,
    }
    bad = []
    for name, token in cases.items():
        conn = http.client.HTTPConnection(host, int(port), timeout=20)
        try:
            challenge_on(conn, path)
            status = send(conn, path, token)[0]
        except (OSError, http.client.HTTPException) as exc:
            status = "error %s" % exc
        print("%s %s" % (name, status))
        if status not in (400, 401):
            bad.append(name)
    for scheme, token in (("Negotiate", "YIIBhgYGKwYBBQUCoIIBejCCAXagMDAuBgkqhkiC9xIBAgI="),
                          ("NTLM", ""), ("Basic", "YWxpY2U6YWxpY2UtcGFzc3dvcmQ=")):
        conn = http.client.HTTPConnection(host, int(port), timeout=20)
        status = send(conn, path, token, scheme)[0]
        print("%s-token %s" % (scheme, status))
        if status not in (400, 401):
            bad.append(scheme)
    if bad:
        sys.exit("not 400/401: " + ", ".join(bad))


# ---- SOAP requests
def envelope(body, security=""):
    head = ('<soap:Header><wsse:Security xmlns:wsse="%s" xmlns:wsu="%s">%s</wsse:Security>'
            '</soap:Header>' % (WSSE, WSU, security)) if security else ""
    return ('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">'
            '%s<soap:Body>%s</soap:Body></soap:Envelope>' % (head, body))


def rst(applies_to, sip=""):
    claims = ('<wst:Claims Dialect="urn:component:Microsoft.Rtc.WebAuthentication.2010:authclaims">'
              '<auth:ClaimType xmlns:auth="http://schemas.xmlsoap.org/ws/2006/12/authorization" '
              'Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/uri" Optional="false">'
              '<auth:Value>%s</auth:Value></auth:ClaimType></wst:Claims>' % sip) if sip else ""
    return ('<wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512" '
            'Context="ctx-1"><wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-'
            'profile-1.1#SAMLV1.1</wst:TokenType><wst:RequestType>http://schemas.xmlsoap.org/ws/'
            '2005/02/trust/Issue</wst:RequestType><wsp:AppliesTo '
            'xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"><wsa:EndpointReference '
            'xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>%s</wsa:Address>'
            '</wsa:EndpointReference></wsp:AppliesTo>%s</wst:RequestSecurityToken>'
            % (applies_to, claims))


def timestamp(lifetime=300):
    now = int(time.time())
    return ('<wsu:Timestamp wsu:Id="ts-1"><wsu:Created>%s</wsu:Created><wsu:Expires>%s'
            '</wsu:Expires></wsu:Timestamp>' % (iso(now), iso(now + lifetime)))


def assertion_of(path):
    from lxml import etree
    doc = etree.parse(path, etree.XMLParser(resolve_entities=False, no_network=True))
    found = doc.findall(".//{%s}Assertion" % SAML)
    assert len(found) == 1, "want one assertion in %s" % path
    return etree.tostring(found[0]).decode()


def xmlsec_sign(template, key, cert, id_attr):
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "t.xml")
        open(src, "w").write(template)
        out = subprocess.run([XMLSEC1, "--sign", "--privkey-pem", "%s,%s" % (key, cert),
                              "--id-attr:" + id_attr[0], id_attr[1], src],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if out.returncode != 0:
            sys.exit("xmlsec1 --sign failed: " + out.stderr.decode())
        return out.stdout.decode()


def signature_template(ref, algo="rsa-sha256"):
    return ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo><ds:CanonicalizationMethod '
            'Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod '
            'Algorithm="http://www.w3.org/2001/04/xmldsig-more#%s"/><ds:Reference URI="#%s">'
            '<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#'
            'enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-'
            'c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/'
            'xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>'
            '<ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo>'
            '</ds:Signature>' % (DS, algo, ref))


def rstr(opts):
    """A WS-Fed wresult as Tessera's STS issues it (DESIGN.md / issue 11): RSTR,
    SAML 1.1 assertion signed RSA-SHA256, exclusive c14n, enveloped,
    Reference to AssertionID, signing cert in KeyInfo. Built with lxml,
    signed by xmlsec1."""
    from lxml import etree
    now = int(time.time())
    aid = opts.get("id") or "_" + hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    t = "http://schemas.xmlsoap.org/ws/2005/02/trust"
    root = etree.Element("{%s}RequestSecurityTokenResponse" % t, nsmap={"t": t})
    life = etree.SubElement(root, "{%s}Lifetime" % t)
    etree.SubElement(life, "{%s}Created" % WSU, nsmap={"wsu": WSU}).text = iso(now)
    etree.SubElement(life, "{%s}Expires" % WSU, nsmap={"wsu": WSU}).text = iso(now + 3600)
    holder = etree.SubElement(root, "{%s}RequestedSecurityToken" % t)
    a = etree.SubElement(holder, "{%s}Assertion" % SAML, nsmap={"saml": SAML})
    a.attrib.update({"MajorVersion": "1", "MinorVersion": "1", "AssertionID": aid,
                     "Issuer": opts["issuer"], "IssueInstant": iso(now)})
    cond = etree.SubElement(a, "{%s}Conditions" % SAML)
    cond.set("NotBefore", iso(now + int(opts.get("nb", "-60"))))
    cond.set("NotOnOrAfter", iso(now + int(opts.get("noa", "3600"))))
    arc = etree.SubElement(cond, "{%s}AudienceRestrictionCondition" % SAML)
    etree.SubElement(arc, "{%s}Audience" % SAML).text = opts["audience"]
    st = etree.SubElement(a, "{%s}AttributeStatement" % SAML)
    subj = etree.SubElement(st, "{%s}Subject" % SAML)
    etree.SubElement(subj, "{%s}NameIdentifier" % SAML).text = "alice@example.test"
    sc = etree.SubElement(subj, "{%s}SubjectConfirmation" % SAML)
    etree.SubElement(sc, "{%s}ConfirmationMethod" % SAML).text = "urn:oasis:names:tc:SAML:1.0:cm:bearer"
    claims = [(CLAIMS, "upn", "alice@example.test"), (CLAIMS, "name", "alice")]
    if opts.get("sid", "S-1-5-21-1004336348-1177238915-682003330-1104"):
        claims.insert(0, (CLAIMS, "primarysid",
                          opts.get("sid", "S-1-5-21-1004336348-1177238915-682003330-1104")))
    for ns, name, value in claims:
        at = etree.SubElement(st, "{%s}Attribute" % SAML, AttributeName=name, AttributeNamespace=ns)
        etree.SubElement(at, "{%s}AttributeValue" % SAML).text = value
    au = etree.SubElement(a, "{%s}AuthenticationStatement" % SAML,
                          AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password",
                          AuthenticationInstant=iso(now))
    s2 = etree.SubElement(au, "{%s}Subject" % SAML)
    etree.SubElement(s2, "{%s}NameIdentifier" % SAML).text = "alice@example.test"
    a.append(etree.fromstring(signature_template(aid)))
    etree.SubElement(root, "{%s}TokenType" % t).text = "urn:oasis:names:tc:SAML:1.0:assertion"
    signed = xmlsec_sign(etree.tostring(root).decode(), opts["key"], opts["cert"],
                         ("AssertionID", SAML + ":Assertion"))
    signed = signed.split("?>", 1)[1].strip() if signed.startswith("<?xml") else signed
    pairs = [("wa", "wsignin1.0"), ("wresult", signed)]
    if opts.get("ru"):
        pairs.append(("wctx", "ru=" + opts["ru"]))
    return urllib.parse.urlencode(pairs)


def metadata(entity_id, passive, certs):
    kds = ""
    for c in certs:
        b64 = "".join(l for l in open(c).read().splitlines() if "-----" not in l)
        kds += ('<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
                '%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>' % b64)
    return ('<?xml version="1.0" encoding="utf-8"?><md:EntityDescriptor '
            'xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="%s" '
            'xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:wsa="http://www.w3.org/2005/08/addressing" entityID="%s">'
            '<md:RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration='
            '"http://docs.oasis-open.org/wsfed/federation/200706">%s'
            '<fed:PassiveRequestorEndpoint><wsa:EndpointReference><wsa:Address>%s</wsa:Address>'
            '</wsa:EndpointReference></fed:PassiveRequestorEndpoint></md:RoleDescriptor>'
            '</md:EntityDescriptor>' % (DS, entity_id, kds, passive))


def csr(keyfile):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    open(keyfile, "wb").write(key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.TraditionalOpenSSL,
                                                serialization.NoEncryption()))
    req = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sip:alice@example.test")]))
           .sign(key, hashes.SHA256()))
    return base64.b64encode(req.public_bytes(serialization.Encoding.DER)).decode()


def getandpublishcert(csr_b64, entity):
    return ('<GetAndPublishCert xmlns="http://schemas.microsoft.com/OCS/AuthWebServices/" '
            'xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512/" '
            'xmlns:wstep="http://schemas.microsoft.com/windows/pki/2009/01/enrollment" '
            'DeviceId="{00000000-0000-0000-0000-000000000001}" Entity="%s"><wst:RequestSecurityToken>'
            '<wst:TokenType>http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-'
            'profile-1.0#X509v3</wst:TokenType><wst:RequestType>http://docs.oasis-open.org/ws-sx/'
            'ws-trust/200512/Issue</wst:RequestType><wsse:BinarySecurityToken xmlns:wsse="%s" '
            'ValueType="http://schemas.microsoft.com/OCS/AuthWebServices.xsd#PKCS10" '
            'EncodingType="%s#Base64Binary">\r\n%s</wsse:BinarySecurityToken><wstep:RequestID>'
            'req-1</wstep:RequestID></wst:RequestSecurityToken></GetAndPublishCert>'
            % (entity, WSSE, WSSE, csr_b64))


def issued_cert(path):
    from lxml import etree
    doc = etree.parse(path)
    found = doc.findall(".//{*}GetAndPublishCertResponse/{*}RequestSecurityTokenResponse/"
                        "{*}RequestedSecurityToken/{*}BinarySecurityToken")
    assert len(found) == 1, "no certificate in " + path
    return "".join(found[0].text.split())


def cert_request(cert_b64, keyfile, applies_to, sign=True):
    """/Cert: the certificate as BinarySecurityToken, a Timestamp, and a
    signature over it by the certificate's key (xmlsec1)."""
    with tempfile.TemporaryDirectory() as d:
        certfile = os.path.join(d, "c.pem")
        open(certfile, "w").write("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n"
                                  % "\n".join(cert_b64[i:i + 64] for i in range(0, len(cert_b64), 64)))
        sec = ('<wsse:BinarySecurityToken ValueType="http://docs.oasis-open.org/wss/2004/01/oasis-'
               '200401-wss-x509-token-profile-1.0#X509v3" EncodingType="%s#Base64Binary">%s'
               '</wsse:BinarySecurityToken>%s%s' % (WSSE, cert_b64, timestamp(),
                                                    signature_template("ts-1") if sign else ""))
        doc = envelope(rst(applies_to), sec)
        if not sign:
            return doc
        return xmlsec_sign(doc, keyfile, certfile, ("Id", WSU + ":Timestamp"))


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "ntlm-bind":
    ntlm_bind(*args)
elif cmd == "ntlm-malformed":
    ntlm_malformed(*args)
elif cmd == "rst":  # APPLIES_TO [SIP]
    print(envelope(rst(*args)))
elif cmd == "auth":  # LOGIN PASSWORD APPLIES_TO: /Auth with a UsernameToken
    b = lambda s: base64.b64encode(s.encode()).decode()
    print(envelope(rst(args[2]), '<wsse:UsernameToken><wsse:Username>%s</wsse:Username>'
                   '<wsse:Password>%s</wsse:Password></wsse:UsernameToken>' % (b(args[0]), b(args[1]))))
elif cmd == "assertion":  # FILE: the one saml:Assertion in it
    print(assertion_of(args[0]))
elif cmd == "certprov":  # ASSERTION_FILE|- CSR_B64 ENTITY
    sec = timestamp() + (open(args[0]).read() if args[0] != "-" else "")
    print(envelope(getandpublishcert(args[1], args[2]), sec if args[0] != "-" else ""))
elif cmd == "csr":  # KEYFILE
    print(csr(args[0]))
elif cmd == "issued":  # RESPONSE_FILE
    print(issued_cert(args[0]))
elif cmd == "cert-request":  # CERT_B64 KEYFILE APPLIES_TO [nosign]
    print(cert_request(args[0], args[1], args[2], len(args) < 4))
elif cmd == "rstr":  # key=value...: key cert issuer audience [sid nb noa id ru]
    print(rstr(dict(a.split("=", 1) for a in args)), end="")
elif cmd == "metadata":  # ENTITY_ID PASSIVE_URL CERT...
    print(metadata(args[0], args[1], args[2:]))
elif cmd == "json":  # FILE KEY
    print(json.load(open(args[0]))[args[1]])
elif cmd == "query":  # URL PARAM
    print(urllib.parse.parse_qs(urllib.parse.urlsplit(args[0]).query)[args[1]][0])
else:
    sys.exit("pool.py: unknown command " + cmd)
