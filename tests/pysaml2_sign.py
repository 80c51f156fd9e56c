"""Independent signer for the saml/ suite: pysaml2 builds the XML with its
own classes and signs it through the xmlsec1 CLI, so a bug shared by
tessera-idp and our verifier cannot hide.

  pysaml2_sign.py response KEY CERT ISSUER AUDIENCE ACS IN_RESPONSE_TO NOW SUBJECT UPN
  pysaml2_sign.py metadata KEY CERT ENTITY_ID SSO_URL IDP_CERT
"""
import sys
from datetime import datetime, timedelta, timezone

from saml2 import saml, samlp, xmldsig
from saml2.metadata import sign_entity_descriptor
from saml2.md import (EntityDescriptor, IDPSSODescriptor, KeyDescriptor,
                      SingleSignOnService)
from saml2.sigver import CryptoBackendXmlSec1, SecurityContext, pre_signature_part

BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
UPN = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"


def security(key, cert):
    return SecurityContext(CryptoBackendXmlSec1("/usr/bin/xmlsec1"), key_file=key,
                           cert_file=cert)


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def response(key, cert, issuer, audience, acs, irt, now, subject, upn):
    sec = security(key, cert)
    t = datetime.strptime(now, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assertion = saml.Assertion(
        id="_pysaml2-a", version="2.0", issue_instant=iso(t),
        issuer=saml.Issuer(text=issuer),
        subject=saml.Subject(
            name_id=saml.NameID(text=subject, format=saml.NAMEID_FORMAT_EMAILADDRESS),
            subject_confirmation=[saml.SubjectConfirmation(
                method=BEARER,
                subject_confirmation_data=saml.SubjectConfirmationData(
                    recipient=acs, in_response_to=irt,
                    not_on_or_after=iso(t + timedelta(minutes=5))))]),
        conditions=saml.Conditions(
            not_before=iso(t), not_on_or_after=iso(t + timedelta(hours=1)),
            audience_restriction=[saml.AudienceRestriction(
                audience=[saml.Audience(text=audience)])]),
        authn_statement=[saml.AuthnStatement(
            authn_instant=iso(t),
            authn_context=saml.AuthnContext(authn_context_class_ref=saml.AuthnContextClassRef(
                text="urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")))],
        attribute_statement=[saml.AttributeStatement(attribute=[saml.Attribute(
            name=UPN, attribute_value=[saml.AttributeValue(text=upn)])])])
    assertion.signature = pre_signature_part(assertion.id, sec.my_cert, 1,
                                             digest_alg=xmldsig.DIGEST_SHA256,
                                             sign_alg=xmldsig.SIG_RSA_SHA256)
    resp = samlp.Response(
        id="_pysaml2-r", version="2.0", issue_instant=iso(t), destination=acs,
        in_response_to=irt, issuer=saml.Issuer(text=issuer),
        status=samlp.Status(status_code=samlp.StatusCode(value=samlp.STATUS_SUCCESS)),
        assertion=assertion)
    return sec.sign_statement(str(resp), "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                              node_id=assertion.id)


def metadata(key, cert, entity_id, sso_url, idp_cert):
    sec = security(key, cert)
    with open(idp_cert) as f:
        der_b64 = "".join(l for l in f.read().splitlines() if "-----" not in l)
    ed = EntityDescriptor(
        entity_id=entity_id, id="_pysaml2-md",
        idpsso_descriptor=IDPSSODescriptor(
            protocol_support_enumeration=samlp.NAMESPACE,
            key_descriptor=[KeyDescriptor(use="signing", key_info=xmldsig.KeyInfo(
                x509_data=[xmldsig.X509Data(x509_certificate=xmldsig.X509Certificate(
                    text=der_b64))]))],
            single_sign_on_service=[SingleSignOnService(
                binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                location=sso_url)]))
    _, signed = sign_entity_descriptor(ed, ed.id, sec, sign_alg=xmldsig.SIG_RSA_SHA256,
                                       digest_alg=xmldsig.DIGEST_SHA256)
    return signed.to_string().decode() if hasattr(signed, "to_string") else str(signed)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    out = response(*args) if cmd == "response" else metadata(*args)
    sys.stdout.write(out)
