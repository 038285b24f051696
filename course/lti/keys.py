"""The tool's RSA key for LTI messages, and the JWKS the platforms fetch it from."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

#: LTI 1.3 requires RS256; 2048 bits is the floor NIST and 1EdTech give for RSA.
KEY_BITS = 2048


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable kid that names the key itself."""
    members = {name: public_jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def public_jwk(private_pem: str) -> dict[str, Any]:
    """Return the public JWK of an RSA private key, with its kid, alg and use."""
    # Reading a private key checks it (about 60 ms of CPU for 2048 bits), and the keyset
    # platforms fetch lists every key ever current: each is read once per process, and
    # only its digest is kept beside the public half.
    digest = hashlib.sha256(private_pem.encode()).hexdigest()
    if digest not in _PUBLIC:
        if len(_PUBLIC) >= 64:
            _PUBLIC.clear()
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        _PUBLIC[digest] = _jwk_of(key.public_key())
    return dict(_PUBLIC[digest])


_PUBLIC: dict[str, dict[str, Any]] = {}


def _jwk_of(public_key: rsa.RSAPublicKey) -> dict[str, Any]:
    jwk: dict[str, Any] = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    # PyJWT adds key_ops ["verify"]; RFC 7517 4.3 says it SHOULD NOT sit beside use,
    # which is what LTI platforms read, so the key says what it is for once: use "sig".
    jwk.pop("key_ops", None)
    jwk.update(kid=_thumbprint(jwk), alg="RS256", use="sig")
    return jwk


def generate_rsa_key() -> tuple[str, str]:
    """Return (kid, PKCS#8 PEM) of a new RSA key for signing LTI messages."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return _jwk_of(key.public_key())["kid"], pem
