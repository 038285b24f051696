"""eddsa-rdfc-2022 against the W3C test vector, offline contexts, did:web and key rotation."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from certificates_testkit import FULL
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import (
    Issuer,
    did_document,
    did_document_path,
    did_web,
    generate_signing_key,
    issue_credential,
    multikey_of,
    public_key_pem,
    verify_credential,
)
from certificates.linked_data import UnknownContext, canonize, check_rdfc_proof, rdfc_proof
from certificates.multibase import b58decode
from certificates.proofs import sign_document

# The eddsa-rdfc-2022 test vector of the W3C "Data Integrity EdDSA Cryptosuites v1.0"
# specification: its key pair, unsigned credential and expected proofValue.
SPEC_PRIVATE_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_METHOD = (
    "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    "#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
)
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"
SPEC_CONTEXTS = {
    EXAMPLES_CONTEXT: {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}
}
SPEC_DOCUMENT = {
    "@context": ["https://www.w3.org/ns/credentials/v2", EXAMPLES_CONTEXT],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_PROOF_VALUE = (
    "z2YwC8z3ap7yx1nZYCg4L3j3ApHsF8kgPdSb5xoS1VR7vPG3F561B52hYnQF9iseabecm3ijx4K1FBTQsCZahKZme"
)
SPEC_CANONICAL_FIRST_LINE = (
    '<did:example:abcdefgh> <https://www.w3.org/ns/credentials/examples#alumniOf> '
    '"The School of Examples" .'
)


def _spec_key() -> Ed25519PrivateKey:
    decoded = b58decode(SPEC_PRIVATE_MULTIBASE[1:], 34)
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    return Ed25519PrivateKey.from_private_bytes(decoded[2:])


def test_matches_the_w3c_eddsa_rdfc_2022_test_vector() -> None:
    key = _spec_key()
    proof = rdfc_proof(
        SPEC_DOCUMENT,
        key,
        created="2023-02-24T23:36:38Z",
        verification_method=SPEC_METHOD,
        extra_contexts=SPEC_CONTEXTS,
    )
    assert proof["proofValue"] == SPEC_PROOF_VALUE
    assert canonize(SPEC_DOCUMENT, SPEC_CONTEXTS).splitlines()[0] == SPEC_CANONICAL_FIRST_LINE
    assert check_rdfc_proof(SPEC_DOCUMENT, proof, key.public_key(), SPEC_CONTEXTS) is None
    altered = copy.deepcopy(SPEC_DOCUMENT)
    altered["credentialSubject"]["alumniOf"] = "Another School"
    assert check_rdfc_proof(altered, proof, key.public_key(), SPEC_CONTEXTS) is not None


def test_an_unknown_context_is_refused_not_fetched() -> None:
    document = {**SPEC_DOCUMENT, "@context": ["https://evil.example/context.jsonld"]}
    with pytest.raises(UnknownContext):
        canonize(document)


@pytest.mark.parametrize(
    ("base_url", "did", "path"),
    [
        ("https://ce.example.org", "did:web:ce.example.org", "/.well-known/did.json"),
        ("https://ce.example.org/", "did:web:ce.example.org", "/.well-known/did.json"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000", "/.well-known/did.json"),
        ("https://example.org/agency/ce", "did:web:example.org:agency:ce", "/agency/ce/did.json"),
    ],
)
def test_did_web_follows_base_url(base_url: str, did: str, path: str) -> None:
    assert did_web(base_url) == did
    assert did_document_path(base_url) == path


def test_did_document_lists_every_key_for_assertions() -> None:
    old, new = generate_signing_key(), generate_signing_key()
    document = did_document(
        "https://ce.example.org",
        name="Riverside Center",
        public_pems=[public_key_pem(new), public_key_pem(old)],
    )
    assert document["@context"][0] == "https://www.w3.org/ns/did/v1"
    assert document["id"] == "did:web:ce.example.org"
    assert document["type"] == "Profile" and document["name"] == "Riverside Center"
    ids = [f"did:web:ce.example.org#{multikey_of(public_key_pem(k))}" for k in (new, old)]
    assert [m["id"] for m in document["verificationMethod"]] == ids
    assert document["assertionMethod"] == ids
    assert all(m["type"] == "Multikey" and m["controller"] == document["id"]
               for m in document["verificationMethod"])
    assert canonize(document)  # every term is defined by its contexts


def test_a_rotated_key_keeps_old_credentials_verifiable() -> None:
    issuer = Issuer(id="did:web:ce.example.org", name="Riverside Center",
                    url="https://ce.example.org")
    old, new = generate_signing_key(), generate_signing_key()
    before = issue_credential(FULL, issuer=issuer, private_pem=old)
    after = issue_credential(FULL, issuer=issuer, private_pem=new)
    keys = [public_key_pem(new), public_key_pem(old)]
    assert verify_credential(before, keys).valid
    assert verify_credential(after, keys).valid
    assert not verify_credential(before, [public_key_pem(new)]).valid


def test_a_credential_from_before_open_badges_terms_still_verifies() -> None:
    # Earlier versions issued credentials with an eddsa-jcs-2022 proof alone, did:key,
    # and the code in a property of its own.
    key = generate_signing_key()
    multikey = multikey_of(public_key_pem(key))
    legacy = {
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": FULL.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://ce.example.org", "type": ["Profile"], "name": "Riverside"},
        "validFrom": "2026-11-23T09:30:00Z",
        "certificateCode": FULL.code,
        "contactHours": "1.0",
        "credentialSubject": {"type": ["AchievementSubject"]},
    }
    signed = sign_document(legacy, private_pem=key, created="2026-11-23T09:30:00Z",
                           verification_method=f"did:key:{multikey}#{multikey}")
    check = verify_credential(signed, public_key_pem(key))
    assert check.valid, check.reason
    assert check.code == FULL.code


def test_the_same_record_signs_the_same_with_either_issuer_url_form() -> None:
    key = generate_signing_key()
    one = Issuer(id="did:web:ce.example.org", name="R", url="https://ce.example.org")
    assert issue_credential(FULL, issuer=one, private_pem=key) == issue_credential(
        dataclasses.replace(FULL), issuer=one, private_pem=key
    )
