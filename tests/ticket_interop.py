"""The independent side of tests/ticket_interop.sh: PyJWT with its
cryptography backend (Debian's python3-jwt), never Tessera's code.

  verify JWKS_FILE TOKEN AUD ISS   verify a Tessera ticket with the JWKS; print sub
  mint KEY_FILE KID ALG AUD ISS SUB
                                   sign claims with Tessera's private key file
  hs256 JWKS_FILE TOKEN            re-sign TOKEN as HS256 keyed with the JWK's public bytes
"""
import base64
import hashlib
import hmac
import json
import sys
import time
import uuid

import jwt


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwk_for(jwks_file, token):
    with open(jwks_file) as f:
        keys = json.load(f)["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    matches = [k for k in keys if k["kid"] == kid]
    if len(matches) != 1:
        sys.exit("kid %s not in JWKS exactly once" % kid)
    return matches[0]


def verify(jwks_file, token, aud, iss):
    jwk = jwk_for(jwks_file, token)
    key = jwt.PyJWK(jwk)
    claims = jwt.decode(token, key.key, algorithms=[jwk["alg"]], audience=aud, issuer=iss,
                        options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]})
    print(claims["sub"])


def mint(key_file, kid, alg, aud, iss, sub):
    with open(key_file, "rb") as f:
        pem = f.read()
    now = int(time.time())
    claims = {"iss": iss, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + 3600,
              "jti": uuid.uuid4().hex, "upn": sub + "@example.org", "amr": ["pwd"]}
    print(jwt.encode(claims, pem, algorithm=alg, headers={"kid": kid}))


def hs256(jwks_file, token):
    jwk = jwk_for(jwks_file, token)
    secret = base64.urlsafe_b64decode(jwk["x"] + "==")
    header = {"alg": "HS256", "kid": jwk["kid"], "typ": "JWT"}
    payload = token.split(".")[1]
    signing_input = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + payload
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    print(signing_input + "." + b64url(mac))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"verify": verify, "mint": mint, "hs256": hs256}[cmd](*args)
