"""Read an untrusted credential file within fixed limits on its size and nesting."""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_CREDENTIAL_BYTES", "MAX_JSON_DEPTH", "CredentialFileError", "read_credential"]

# A credential this engine issues is about 4 KB and nests 6 levels deep; the limits
# leave room for other issuers' credentials with an embedded image.
MAX_CREDENTIAL_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32

# One JSON string, escapes included; unambiguous, so matching it is linear.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


class CredentialFileError(ValueError):
    """A credential file refused before its signature is checked; str() says why."""


def _depth(raw: bytes) -> int:
    """Return the deepest nesting of arrays and objects, without recursion."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b"", raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def read_credential(
    raw: bytes, *, max_bytes: int = MAX_CREDENTIAL_BYTES, max_depth: int = MAX_JSON_DEPTH
) -> dict[str, Any]:
    """Parse a credential file's JSON object, refusing one too large or too deeply nested."""
    if raw.lstrip()[:5] == b"%PDF-":  # the file a board is most often sent
        raise CredentialFileError(
            "That file is the certificate's PDF, not its signed credential: to check a PDF,"
            " type the certificate code printed on it in the box above."
        )
    # Both limits are checked before parsing: the JSON parser recurses once per level.
    if len(raw) > max_bytes:
        raise CredentialFileError(
            f"That file is larger than a credential can be (the limit is {max_bytes // 1024} KB)."
        )
    if _depth(raw) > max_depth:
        raise CredentialFileError(
            f"That file nests more than {max_depth} levels deep, which no credential does."
        )
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialFileError("That file is not a credential in JSON form.") from exc
    if not isinstance(document, dict):
        raise CredentialFileError("That file is not a credential in JSON form.")
    # Some other JSON file: "not valid, changed after it was issued" would read as forgery.
    types = document.get("type")
    if "VerifiableCredential" not in (types if isinstance(types, list) else [types]):
        raise CredentialFileError(
            "That file is JSON, but not a credential: choose the credential file (.json) "
            "downloaded from the certificate's page."
        )
    return document
