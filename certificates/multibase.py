"""Base58btc, the alphabet of multibase "z" values in Data Integrity proofs and Multikeys."""

from __future__ import annotations

import math

__all__ = ["BASE58_ALPHABET", "SIGNATURE_BYTES", "b58decode", "b58encode", "proof_signature"]

SIGNATURE_BYTES = 64  # an Ed25519 signature

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58encode(data: bytes) -> str:
    """Encode bytes in base58 (Bitcoin alphabet), keeping leading zero bytes as '1'."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(BASE58_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str, max_bytes: int) -> bytes:
    """Decode base58 (Bitcoin alphabet) of at most max_bytes; raises ValueError otherwise."""
    # Base conversion costs time growing with the square of the length, so text longer
    # than max_bytes can ever need is refused before any arithmetic.
    if len(text) > math.ceil(max_bytes * math.log(256, 58)):
        raise ValueError(f"longer than base58 of {max_bytes} bytes")
    number = 0
    for char in text:
        index = BASE58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"not a base58 character: {char!r}")
        number = number * 58 + index
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    if zeros + len(body) > max_bytes:
        raise ValueError(f"longer than base58 of {max_bytes} bytes")
    return b"\0" * zeros + body


def proof_signature(value: object) -> bytes | str:
    """Return the Ed25519 signature a proof's ``proofValue`` carries, or why it carries none."""
    if not isinstance(value, str) or not value.startswith("z"):
        return "proofValue is not base58btc multibase"
    try:
        return b58decode(value[1:], SIGNATURE_BYTES)
    except ValueError:
        return "proofValue is not the base58btc multibase of an Ed25519 signature"
