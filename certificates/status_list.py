"""W3C Bitstring Status List: revocation bits a verifier can check without asking us."""

from __future__ import annotations

import base64
import gzip
from collections.abc import Iterable
from typing import Any

from .linked_data import VC_CONTEXT

__all__ = [
    "LIST_SIZE",
    "decode_list",
    "encode_list",
    "is_set",
    "status_entry",
    "status_list_credential",
]

# The specification's minimum (16 KiB of bits): a list this long hides which
# credential a verifier is asking about among many.
LIST_SIZE = 131_072
PURPOSE = "revocation"


def encode_list(set_indexes: Iterable[int], size: int = LIST_SIZE) -> str:
    """Return the multibase (base64url, "u") of the GZIP-compressed bitstring."""
    # Index 0 is the left-most bit of the first byte, as the specification orders them.
    bits = bytearray(size // 8)
    for index in set_indexes:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always compress to the same bytes.
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).rstrip(b"=").decode()


def decode_list(encoded: str) -> bytes:
    """Return the bitstring of an encodedList value; ValueError when it is malformed."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList is not base64url multibase")
    body = encoded[1:]
    compressed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return gzip.decompress(compressed)


def is_set(bitstring: bytes, index: int) -> bool:
    """Return whether the bit at a status index is set."""
    if not 0 <= index < len(bitstring) * 8:
        raise ValueError(f"status index {index} is outside the list")
    return bool(bitstring[index // 8] & (0x80 >> (index % 8)))


def status_entry(list_url: str, index: int) -> dict[str, Any]:
    """Return a credential's credentialStatus pointing at its bit in a list."""
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": PURPOSE,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential(
    list_url: str, issuer_id: str, valid_from: str, set_indexes: Iterable[int]
) -> dict[str, Any]:
    """Return the BitstringStatusListCredential for a list, without its proof."""
    return {
        "@context": [VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": PURPOSE,
            "encodedList": encode_list(set_indexes),
        },
    }
