"""The issuer's did:web identifier and the DID document that is also its Open Badges profile."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from .keys import multikey_of
from .linked_data import DID_CONTEXT, MULTIKEY_CONTEXT, OB_CONTEXT

__all__ = ["did_document", "did_document_path", "did_web"]


def did_web(base_url: str) -> str:
    """Return the did:web identifier of a site, e.g. did:web:ce.example.org."""
    # A port is kept (percent-encoded, as did:web requires) and a path becomes
    # colon-separated segments: https://example.org:8443/ce is did:web:example.org%3A8443:ce.
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ValueError(f"BASE_URL has no host: {base_url!r}")
    host = parts.hostname + (f"%3A{parts.port}" if parts.port else "")
    segments = [quote(segment, safe="") for segment in parts.path.split("/") if segment]
    return ":".join(["did:web", host, *segments])


def did_document_path(base_url: str) -> str:
    """Return the path under the site where did:web resolution looks for the document."""
    path = urlsplit(base_url).path.rstrip("/")
    return f"{path}/did.json" if path else "/.well-known/did.json"


def did_document(
    base_url: str,
    *,
    name: str,
    public_pems: Iterable[bytes],
    email: str | None = None,
) -> dict[str, Any]:
    """Return the issuer's DID document, which is also its Open Badges Profile."""
    # Every key that ever signed stays listed under assertionMethod, current key first,
    # so credentials signed before a key rotation keep verifying.
    did = did_web(base_url)
    methods = []
    for pem in public_pems:
        key = multikey_of(pem)
        methods.append(
            {
                "id": f"{did}#{key}",
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key,
            }
        )
    document: dict[str, Any] = {
        # did/v1 first: verifiers read a DID document as is, without framing it.
        "@context": [DID_CONTEXT, MULTIKEY_CONTEXT, OB_CONTEXT],
        "id": did,
        "type": "Profile",
        "name": name,
        "url": base_url.rstrip("/"),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }
    if email:
        document["email"] = email
    return document
