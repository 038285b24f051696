"""Signed credentials: Open Badges 3.0 / VC 2.0 JSON with an eddsa-jcs-2022 proof."""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .codes import normalize_code
from .record import SAMPLE_NOTICE, CertificateRecord, format_date, hours_text

__all__ = [
    "CredentialCheck",
    "generate_signing_key",
    "issue_credential",
    "check_document_proof",
    "public_key_pem",
    "sign_document",
    "verify_credential",
]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_PURPOSE = "assertionMethod"
# Multicodec prefix for an Ed25519 public key, as used by did:key and Multikey.
ED25519_PUB_MULTICODEC = b"\xed\x01"
BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SIGNATURE_BYTES = 64  # an Ed25519 signature
CRITERIA = (
    "Completed every lesson of the course, passed the post-test at the required score "
    "and submitted the course evaluation."
)


@dataclass(frozen=True)
class CredentialCheck:
    """Outcome of checking a signed credential; code is set only when it is valid."""

    valid: bool
    reason: str
    code: str | None = None


def _b58encode(data: bytes) -> str:
    """Encode bytes in base58 (Bitcoin alphabet), keeping leading zero bytes as '1'."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, rest = divmod(number, 58)
        out.append(BASE58_ALPHABET[rest])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def _b58decode(text: str, max_bytes: int) -> bytes:
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


def generate_signing_key() -> bytes:
    """Return the PEM (PKCS#8, unencrypted) of a new Ed25519 private key."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_private(private_pem: bytes) -> Ed25519PrivateKey:
    """Load an Ed25519 private key from PEM; raises ValueError for any other key type."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key must be an Ed25519 private key")
    return key


def _load_public(public_pem: bytes) -> Ed25519PublicKey:
    """Load an Ed25519 public key from PEM; raises ValueError for any other key type."""
    key = serialization.load_pem_public_key(public_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the verification key must be an Ed25519 public key")
    return key


def public_key_pem(private_pem: bytes) -> bytes:
    """Return the PEM (SubjectPublicKeyInfo) of the public half of an Ed25519 key."""
    return (
        _load_private(private_pem)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _multikey(public: Ed25519PublicKey) -> str:
    """Return the public key as a Multikey value: "z" + base58btc(0xed01 + key bytes)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "z" + _b58encode(ED25519_PUB_MULTICODEC + raw)


def _did_key(public: Ed25519PublicKey) -> str:
    """Return the did:key verification method URL that names this public key."""
    # did:key carries the key itself, so a verifier needs no network to resolve it.
    multikey = _multikey(public)
    return f"did:key:{multikey}#{multikey}"


def _xsd_datetime(record: CertificateRecord) -> str:
    """Return issued_at as an XML Schema dateTime in UTC with a Z suffix."""
    return record.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _achievement(record: CertificateRecord, issuer: dict[str, Any]) -> dict[str, Any]:
    """Describe the course version as an Open Badges Achievement."""
    # One stable id per issuer, course title and version, so every learner's credential
    # for the same course version points at the same achievement.
    seed = f"{issuer['id']}\n{record.course_title}\n{record.course_version}"
    description = (
        (f"{SAMPLE_NOTICE}. " if record.sample else "")
        + f"{record.course_title} (version {record.course_version}): "
        f"{hours_text(record.contact_hours)} of continuing education, credit type "
        f"{record.credit_type}. Format: {record.format}."
    )
    if record.authors:
        description += " Authors: " + "; ".join(a.display() for a in record.authors) + "."
    if record.has_approval:
        description += (
            f" Approved by {record.approval_body}, approval number {record.approval_number}. "
            f"{record.approval_statement}"
        )
    hours = float(record.contact_hours)
    return {
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": record.course_title,
        "description": description,
        "criteria": {"narrative": CRITERIA},
        "creditsAvailable": hours,
        "version": str(record.course_version),
        "creator": issuer,
    }


def _unsigned(record: CertificateRecord, issuer_id: str, issuer_name: str) -> dict[str, Any]:
    """Build the OpenBadgeCredential document for a record, without its proof."""
    issuer = {"id": issuer_id, "type": ["Profile"], "name": issuer_name}
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        # A name in plain text, not hashed: a licensing board has to read it.
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": record.participant_name,
                "identityType": "name",
                "hashed": False,
            }
        ],
        "achievement": _achievement(record, dict(issuer)),
        "creditsEarned": float(record.contact_hours),
        "activityEndDate": f"{record.completed_on.isoformat()}T00:00:00Z",
    }
    if record.licence_number:
        subject["licenseNumber"] = record.licence_number
    # A sample says so in its name and first words, where every wallet and reader shows it.
    sample = f"{SAMPLE_NOTICE}. " if record.sample else ""
    document = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": record.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": _xsd_datetime(record),
        "name": f"{sample}Certificate of Completion: {record.course_title}",
        "description": (
            f"{sample}Completed on {format_date(record.completed_on)}. "
            f"Certificate code {record.code}; verify at {record.verify_url}."
        ),
        # The exact figures as printed, so a reader need not trust float rounding.
        "certificateCode": record.code,
        "contactHours": str(record.contact_hours),
        "credentialSubject": subject,
    }
    if record.sample:
        document["sample"] = True
    return document


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
    key = _load_private(private_pem)
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
    proof["proofValue"] = "z" + _b58encode(signature)
    return {**document, "proof": proof}


def check_document_proof(document: Any, public_pem: bytes) -> str | None:
    """Check an eddsa-jcs-2022 proof against a trusted key; None if valid, else why not."""
    try:
        public = _load_public(public_pem)
    except (ValueError, TypeError) as exc:
        return f"unusable public key: {exc}"
    if not isinstance(document, dict):
        return "credential is not a JSON object"
    proof = document.get("proof")
    if not isinstance(proof, dict):
        return "credential has no proof"
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != CRYPTOSUITE:
        return f"unsupported proof: expected a DataIntegrityProof with {CRYPTOSUITE}"
    if proof.get("proofPurpose") != PROOF_PURPOSE:
        return f"proof purpose is not {PROOF_PURPOSE}"
    method = proof.get("verificationMethod")
    # did:key:<key>#<key>, or an issuer URL whose fragment is the Multikey, names the key.
    if not isinstance(method, str) or method.rpartition("#")[2] != _multikey(public):
        return "proof was not made with the issuer's key"
    proof_value = proof.get("proofValue")
    if not isinstance(proof_value, str) or not proof_value.startswith("z"):
        return "proofValue is not base58btc multibase"
    try:
        signature = _b58decode(proof_value[1:], SIGNATURE_BYTES)
    except ValueError:
        return "proofValue is not the base58btc multibase of an Ed25519 signature"
    unsecured = {k: v for k, v in document.items() if k != "proof"}
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


def issue_credential(
    record: CertificateRecord, *, issuer_id: str, issuer_name: str, private_pem: bytes
) -> dict[str, Any]:
    """Return the record as a signed OpenBadgeCredential (a JSON-ready dict)."""
    public = _load_private(private_pem).public_key()
    return sign_document(
        _unsigned(record, issuer_id, issuer_name),
        private_pem=private_pem,
        # The issue time, not the wall clock, so the same record signs to the same bytes.
        created=_xsd_datetime(record),
        verification_method=_did_key(public),
    )


def verify_credential(credential: dict[str, Any], public_pem: bytes) -> CredentialCheck:
    """Check a credential's eddsa-jcs-2022 proof against the issuer's public key, offline."""
    problem = check_document_proof(credential, public_pem)
    if problem is not None:
        return CredentialCheck(valid=False, reason=problem, code=None)
    types = credential.get("type")
    if not isinstance(types, list) or "OpenBadgeCredential" not in types:
        return CredentialCheck(False, "signed, but not an OpenBadgeCredential", None)
    code = normalize_code(str(credential.get("certificateCode", "")))
    if code is None:
        return CredentialCheck(False, "signed, but the certificate code is malformed", None)
    return CredentialCheck(valid=True, reason="signature valid", code=code)
