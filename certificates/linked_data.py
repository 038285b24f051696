"""JSON-LD contexts kept offline, RDF canonicalization and the eddsa-rdfc-2022 proof."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from .multibase import b58encode, proof_signature

__all__ = [
    "CONTEXTS",
    "OB_CONTEXT",
    "RDFC_CRYPTOSUITE",
    "UnknownContext",
    "VC_CONTEXT",
    "canonize",
    "check_rdfc_proof",
    "load_context",
    "rdfc_proof",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
RDFC_CRYPTOSUITE = "eddsa-rdfc-2022"

# The published files, byte for byte, so that nothing is fetched while signing or
# checking, and a changed copy on the web cannot change what a signature covers.
CONTEXTS: dict[str, str] = {
    VC_CONTEXT: "credentials-v2.jsonld",
    OB_CONTEXT: "ob-v3p0-context-3.0.3.json",
    DID_CONTEXT: "did-v1.jsonld",
    MULTIKEY_CONTEXT: "multikey-v1.jsonld",
}


class UnknownContext(ValueError):
    """A document names a JSON-LD context this package does not hold."""


@cache
def load_context(url: str) -> dict[str, Any]:
    """Return one of the kept contexts by its URL; raise UnknownContext for any other."""
    name = CONTEXTS.get(url)
    if name is None:
        raise UnknownContext(f"unknown JSON-LD context: {url}")
    text = resources.files(__package__).joinpath("contexts", name).read_text("utf-8")
    return json.loads(text)


def _loader(extra: dict[str, dict[str, Any]]):
    def load(url: str, options: Any = None) -> dict[str, Any]:
        document = extra.get(url)
        if document is None:
            try:
                document = load_context(url)
            except UnknownContext as exc:
                raise jsonld.JsonLdError(str(exc), "jsonld.LoadDocumentError") from exc
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load


def canonize(document: dict[str, Any], extra_contexts: dict[str, dict] | None = None) -> str:
    """Return the RDF Dataset Canonicalization (RDFC-1.0) of a JSON-LD document as N-Quads."""
    # Only the kept contexts (and ``extra_contexts``, for tests) can be used: an unknown
    # one raises UnknownContext rather than reaching the network.
    try:
        return jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",  # the same algorithm, renamed RDFC-1.0
                "format": "application/n-quads",
                "documentLoader": _loader(extra_contexts or {}),
            },
        )
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, UnknownContext):
                raise cause from exc
            cause = cause.__cause__
        raise ValueError(f"not valid JSON-LD: {exc}") from exc


def _hash_data(document: dict, proof_config: dict, extra: dict[str, dict] | None) -> bytes:
    return (
        hashlib.sha256(canonize(proof_config, extra).encode()).digest()
        + hashlib.sha256(canonize(document, extra).encode()).digest()
    )


def rdfc_proof(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    created: str,
    verification_method: str,
    extra_contexts: dict[str, dict] | None = None,
) -> dict[str, Any]:
    """Return an eddsa-rdfc-2022 DataIntegrityProof for a document (which has no proof)."""
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": RDFC_CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    config = {"@context": document["@context"], **proof}
    signature = key.sign(_hash_data(document, config, extra_contexts))
    return {**proof, "proofValue": "z" + b58encode(signature)}


def check_rdfc_proof(
    document: dict[str, Any],
    proof: dict[str, Any],
    public: Ed25519PublicKey,
    extra_contexts: dict[str, dict] | None = None,
) -> str | None:
    """Check an eddsa-rdfc-2022 proof over a document without its proof; None if valid."""
    # Canonicalization can be slow on a hostile graph: call this only for a document
    # whose other proof was already checked, or that came from a trusted source.
    signature = proof_signature(proof.get("proofValue"))
    if isinstance(signature, str):
        return signature
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    config["@context"] = document.get("@context")
    try:
        hash_data = _hash_data(document, config, extra_contexts)
    except UnknownContext as exc:
        return str(exc)
    except (ValueError, TypeError) as exc:
        return f"credential cannot be canonicalized: {exc}"
    try:
        public.verify(signature, hash_data)
    except InvalidSignature:
        return "signature does not match the credential: it was altered or not issued with this key"
    return None
