"""Data Integrity proofs: eddsa-jcs-2022, and proof sets that add eddsa-rdfc-2022."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .keys import load_private, load_public, multikey
from .linked_data import RDFC_CRYPTOSUITE, check_rdfc_proof, rdfc_proof
from .multibase import b58encode, proof_signature

__all__ = [
    "CRYPTOSUITE",
    "check_document_proof",
    "check_proofs",
    "method_for",
    "secure_document",
    "sign_document",
]

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"


def _hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    """Return SHA-256(JCS(proof config)) || SHA-256(JCS(document)), per eddsa-jcs-2022."""
    return (
        hashlib.sha256(rfc8785.dumps(proof_config)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )


def sign_document(
    document: dict[str, Any], *, private_pem: bytes, created: str, verification_method: str
) -> dict[str, Any]:
    """Return a copy of a JSON document with an eddsa-jcs-2022 Data Integrity proof added."""
    key = load_private(private_pem)
    proof: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in document:
        # eddsa-jcs-2022 binds the proof to the document's contexts.
        proof["@context"] = document["@context"]
    signature = key.sign(_hash_data(document, proof))
    proof["proofValue"] = "z" + b58encode(signature)
    return {**document, "proof": proof}


def _jcs_problem(
    document: dict[str, Any], proof: dict[str, Any], public: Ed25519PublicKey
) -> str | None:
    """Check one eddsa-jcs-2022 proof over a document without proofs; None if valid."""
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return f"proof purpose is not {PROOF_PURPOSE}"
    signature = proof_signature(proof.get("proofValue"))
    if isinstance(signature, str):
        return signature
    unsecured = dict(document)
    proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in proof_config:
        contexts = proof_config["@context"]
        doc_contexts = unsecured.get("@context")
        if not isinstance(contexts, list) or not isinstance(doc_contexts, list):
            return "@context must be a list"
        if doc_contexts[: len(contexts)] != contexts:
            return "document @context does not match the proof"
        unsecured["@context"] = contexts
    try:
        hash_data = _hash_data(unsecured, proof_config)
    except (TypeError, ValueError) as exc:  # CanonicalizationError is a ValueError
        return f"credential cannot be canonicalized: {exc}"
    try:
        public.verify(signature, hash_data)
    except InvalidSignature:
        return "signature does not match the credential: it was altered or not issued with this key"
    return None


def _proofs(document: dict[str, Any]) -> list[Any]:
    proof = document.get("proof")
    return proof if isinstance(proof, list) else [proof]


def _key_for(proof: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> Ed25519PublicKey | None:
    # did:key:<key>#<key>, did:web:<host>#<key> or an issuer URL whose fragment is the
    # Multikey: the fragment names which of the issuer's keys made the proof.
    method = proof.get("verificationMethod")
    if not isinstance(method, str):
        return None
    return keys.get(method.rpartition("#")[2])


#: A proof set without the one this site checks: not shown altered, only not checked here.
NO_JCS_PROOF = (
    f"the file carries no {CRYPTOSUITE} proof, the one this page checks (a wallet may keep "
    f"only the {RDFC_CRYPTOSUITE} proof of the two issued)"
)


def check_proofs(document: Any, public_pems: Iterable[bytes]) -> str | None:
    """Check a document's proof set against trusted keys; None if valid, else why not."""
    # The eddsa-jcs-2022 proof is required and checked first: it is cheap on any input.
    # An eddsa-rdfc-2022 proof beside it is checked only once the first one holds, so a
    # hostile document never reaches the (costlier) RDF canonicalization.
    keys: dict[str, Ed25519PublicKey] = {}
    try:
        for pem in public_pems:
            public = load_public(pem)
            keys[multikey(public)] = public
    except (ValueError, TypeError) as exc:
        return f"unusable public key: {exc}"
    if not isinstance(document, dict):
        return "credential is not a JSON object"
    proofs = _proofs(document)
    if not proofs or not all(isinstance(p, dict) for p in proofs):
        return "credential has no proof"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    by_suite: dict[str, list[dict[str, Any]]] = {}
    for proof in proofs:
        if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") not in (
            CRYPTOSUITE,
            RDFC_CRYPTOSUITE,
        ):
            return f"unsupported proof: expected a DataIntegrityProof with {CRYPTOSUITE}"
        by_suite.setdefault(proof["cryptosuite"], []).append(proof)
    if not by_suite.get(CRYPTOSUITE):
        # Never checked alone here: RDF canonicalization is costly on a hostile document.
        return NO_JCS_PROOF
    if len(by_suite[CRYPTOSUITE]) != 1:
        return f"credential needs exactly one {CRYPTOSUITE} proof"
    for suite in (CRYPTOSUITE, RDFC_CRYPTOSUITE):
        for proof in by_suite.get(suite, []):
            public = _key_for(proof, keys)
            if public is None:
                return "proof was not made with the issuer's key"
            if suite == CRYPTOSUITE:
                problem = _jcs_problem(unsecured, proof, public)
            elif proof.get("proofPurpose") != PROOF_PURPOSE:
                problem = f"proof purpose is not {PROOF_PURPOSE}"
            else:
                problem = check_rdfc_proof(unsecured, proof, public)
            if problem is not None:
                return problem
    return None


def check_document_proof(document: Any, public_pem: bytes) -> str | None:
    """Check a document's eddsa-jcs-2022 proof (and eddsa-rdfc-2022 proof, if any)."""
    return check_proofs(document, [public_pem])


def method_for(issuer_id: str, private_pem: bytes) -> str:
    """Return the verificationMethod URL naming the key within the issuer's DID."""
    # The fragment is the Multikey itself, so a key keeps its name across rotations.
    name = multikey(load_private(private_pem).public_key())
    if issuer_id.startswith("did:web:"):
        return f"{issuer_id}#{name}"
    # did:key carries the key itself, so a verifier needs no network to resolve it.
    return f"did:key:{name}#{name}"


def secure_document(
    document: dict[str, Any], *, private_pem: bytes, created: str, verification_method: str
) -> dict[str, Any]:
    """Return a copy of a document with two proofs: eddsa-jcs-2022 and eddsa-rdfc-2022."""
    # Each proof covers the document without proofs (a proof set): a verifier may use
    # whichever cryptosuite it knows.
    jcs = sign_document(
        document, private_pem=private_pem, created=created, verification_method=verification_method
    )["proof"]
    rdfc = rdfc_proof(
        document,
        load_private(private_pem),
        created=created,
        verification_method=verification_method,
    )
    return {**document, "proof": [jcs, rdfc]}
