"""Ed25519 signing keys: PEM in and out, and the Multikey form a DID document lists."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .multibase import b58encode

__all__ = ["generate_signing_key", "load_private", "load_public", "multikey", "multikey_of",
           "public_key_pem"]

# Multicodec prefix for an Ed25519 public key, as used by did:key and Multikey.
ED25519_PUB_MULTICODEC = b"\xed\x01"


def generate_signing_key() -> bytes:
    """Return the PEM (PKCS#8, unencrypted) of a new Ed25519 private key."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private(private_pem: bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM; raises ValueError for any other key type."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    return key


def load_public(public_pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; raises ValueError for any other key type."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the verification key must be an Ed25519 public key")
    return key


def public_key_pem(private_pem: bytes) -> bytes:
    """Return the PEM (SubjectPublicKeyInfo) of the public half of an Ed25519 key."""
    return (
        load_private(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def multikey(public: Ed25519PublicKey) -> str:
    """Return the public key as a Multikey value: "z" + base58btc(0xed01 + key bytes)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + b58encode(ED25519_PUB_MULTICODEC + raw)


def multikey_of(public_pem: bytes) -> str:
    """Return an Ed25519 public key (PEM) as a Multikey publicKeyMultibase value."""
    return multikey(load_public(public_pem))
