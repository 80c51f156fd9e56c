"""What tests/sts.sh reads from Tessera's STS answers, independently of
Tessera's C code: lxml for the XML, the xmlsec1 CLI for signatures.

  form PAGE OUT            the auto-posting form's fields, urlencoded to OUT
  claims PAGE REALM ISSUER print the token's claims as name=value lines after
                           checking its shape (RSTR, SAML 1.1, audience, issuer)
  resign PAGE KEY CERT OUT the same token re-signed with another key (one the
                           pool's metadata does not list), urlencoded to OUT
"""
import html
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

from lxml import etree

XMLSEC1 = os.environ.get("XMLSEC1") or "xmlsec1"
SAML = "urn:oasis:names:tc:SAML:1.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
TRUST = "http://schemas.xmlsoap.org/ws/2005/02/trust"
POLICY = "http://schemas.xmlsoap.org/ws/2004/09/policy"
ADDRESSING = "http://www.w3.org/2005/08/addressing"
NO_NETWORK = etree.XMLParser(resolve_entities=False, no_network=True)


def form_fields(page):
    text = open(page).read()
    return dict((m.group(1), html.unescape(m.group(2)))
                for m in re.finditer(r'name="([^"]+)" value="([^"]*)"', text))


def token(page):
    return etree.fromstring(form_fields(page)["wresult"].encode(), NO_NETWORK)


def claims(page, realm, issuer):
    rstr = token(page)
    assert rstr.tag == "{%s}RequestSecurityTokenResponse" % TRUST, rstr.tag
    applies = rstr.findtext("{%s}AppliesTo/{%s}EndpointReference/{%s}Address"
                            % (POLICY, ADDRESSING, ADDRESSING))
    assert applies == realm, "AppliesTo %r" % applies
    a = rstr.find(".//{%s}Assertion" % SAML)
    assert a is not None and a.get("MajorVersion") == "1" and a.get("MinorVersion") == "1"
    assert a.get("Issuer") == issuer, "Issuer %r" % a.get("Issuer")
    audience = a.findtext("{0}Conditions/{0}AudienceRestrictionCondition/{0}Audience"
                          .format("{%s}" % SAML))
    assert audience == realm, "Audience %r" % audience
    method = a.find("{%s}AuthenticationStatement" % SAML).get("AuthenticationMethod")
    print("AuthenticationMethod=%s" % method)
    for attr in a.iter("{%s}Attribute" % SAML):
        for v in attr.iter("{%s}AttributeValue" % SAML):
            print("%s=%s" % (attr.get("AttributeName"), v.text))


def resign(page, key, cert, out):
    fields = form_fields(page)
    rstr = etree.fromstring(fields["wresult"].encode(), NO_NETWORK)
    a = rstr.find(".//{%s}Assertion" % SAML)
    old = a.find("{%s}Signature" % DS)
    ref = "#" + a.get("AssertionID")
    E = lambda tag, parent, **attrs: etree.SubElement(parent, "{%s}%s" % (DS, tag), **attrs)
    sig = etree.Element("{%s}Signature" % DS, nsmap={"ds": DS})
    info = E("SignedInfo", sig)
    E("CanonicalizationMethod", info, Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    E("SignatureMethod", info, Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    r = E("Reference", info, URI=ref)
    transforms = E("Transforms", r)
    E("Transform", transforms, Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature")
    E("Transform", transforms, Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    E("DigestMethod", r, Algorithm="http://www.w3.org/2001/04/xmlenc#sha256")
    E("DigestValue", r)
    E("SignatureValue", sig)
    E("X509Certificate", E("X509Data", E("KeyInfo", sig)))
    a.replace(old, sig)
    with tempfile.NamedTemporaryFile("wb", suffix=".xml", delete=False) as t:
        t.write(etree.tostring(rstr))
    try:
        signed = subprocess.run(
            [XMLSEC1, "--sign", "--privkey-pem", "%s,%s" % (key, cert),
             "--id-attr:AssertionID", "%s:Assertion" % SAML, t.name],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True).stdout
    finally:
        os.unlink(t.name)
    fields["wresult"] = signed.decode()
    open(out, "w").write(urllib.parse.urlencode(fields))


cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "form":
    open(args[1], "w").write(urllib.parse.urlencode(form_fields(args[0])))
elif cmd == "claims":
    claims(*args)
elif cmd == "resign":
    resign(*args)
else:
    sys.exit("usage: sts_token.py form|claims|resign ...")
