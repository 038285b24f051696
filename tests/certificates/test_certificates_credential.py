"""Signed Open Badges 3.0 credentials: shape, the two proofs, and tamper detection."""

from __future__ import annotations

import copy
import dataclasses
import datetime
import hashlib
import json
import secrets
import zoneinfo
from typing import Any

import pytest
import rfc8785
from certificates_testkit import BARE, BASE_URL, FULL
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates import (
    Issuer,
    codes,
    generate_signing_key,
    issue_credential,
    public_key_pem,
    status_entry,
    verify_credential,
    verify_url_for,
)
from certificates.multibase import b58decode
from certificates.proofs import check_document_proof, sign_document

ISSUER_ID = "did:web:ce.example.org"
ISSUER_NAME = "Riverside Center for Child Welfare Training"
ISSUER = Issuer(id=ISSUER_ID, name=ISSUER_NAME, url="https://ce.example.org")
STATUS = status_entry("https://ce.example.org/credentials/status/1", 4242)
IMAGE = "https://ce.example.org/credentials/badges/running-behavior.svg"

# The eddsa-jcs-2022 test vector published with the W3C "Data Integrity EdDSA
# Cryptosuites v1.0" specification (key pair, unsigned credential, expected proofValue).
SPEC_PRIVATE_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
SPEC_PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
SPEC_DOCUMENT = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
SPEC_PROOF_VALUE = (
    "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
)


@pytest.fixture(scope="module")
def key() -> bytes:
    return generate_signing_key()


@pytest.fixture(scope="module")
def credential(key: bytes) -> dict[str, Any]:
    return issue_credential(FULL, issuer=ISSUER, private_pem=key, status=STATUS, image_url=IMAGE)


def test_keys_are_ed25519_pem(key: bytes) -> None:
    assert key.startswith(b"-----BEGIN PRIVATE KEY-----")
    private = serialization.load_pem_private_key(key, password=None)
    assert isinstance(private, Ed25519PrivateKey)
    public = serialization.load_pem_public_key(public_key_pem(key))
    assert isinstance(public, Ed25519PublicKey)
    assert generate_signing_key() != key


def test_credential_is_an_open_badge(credential: dict[str, Any]) -> None:
    json.dumps(credential)  # plain JSON, ready to serve
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {
        "id": ISSUER_ID,
        "type": ["Profile"],
        "name": ISSUER_NAME,
        "url": "https://ce.example.org",
    }
    assert credential["validFrom"] == "2026-11-23T09:30:00Z"
    assert credential["id"] == FULL.verify_url
    assert FULL.code in credential["description"]
    assert "1.0 contact hour" in credential["description"]
    # Only Open Badges and VC terms: nothing outside the contexts, which the
    # eddsa-rdfc-2022 proof would leave unsigned.
    assert "certificateCode" not in credential and "contactHours" not in credential
    assert credential["credentialStatus"] == {
        "id": "https://ce.example.org/credentials/status/1#4242",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "4242",
        "statusListCredential": "https://ce.example.org/credentials/status/1",
    }
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": "Zoë Nguyễn-O'Brien",
            "identityType": "name",
            "hashed": False,
        }
    ]
    assert subject["licenseNumber"] == "LCSW 123456 (California)"
    assert subject["creditsEarned"] == 1.0
    assert subject["activityEndDate"] == "2026-11-21T12:00:00Z"  # a record without a zone
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["id"].startswith("urn:uuid:")
    assert achievement["name"] == FULL.course_title
    assert achievement["criteria"]["narrative"]
    assert "1.0 contact hour" in achievement["description"]
    assert "886123456-7890" in achievement["description"]
    assert achievement["image"] == {
        "id": IMAGE,
        "type": "Image",
        "caption": f"Badge for {FULL.course_title}",
    }
    jcs, rdfc = credential["proof"]
    assert [jcs["cryptosuite"], rdfc["cryptosuite"]] == ["eddsa-jcs-2022", "eddsa-rdfc-2022"]
    for proof in (jcs, rdfc):
        assert proof["type"] == "DataIntegrityProof"
        assert proof["proofPurpose"] == "assertionMethod"
        # The issuer's DID names the key; its fragment is the key itself.
        assert proof["verificationMethod"].startswith(f"{ISSUER_ID}#z6Mk")
        assert proof["proofValue"].startswith("z")
        assert proof["created"] == "2026-11-23T09:30:00Z"


def test_bare_record_claims_no_approval_or_licence(key: bytes) -> None:
    bare = issue_credential(BARE, issuer=ISSUER, private_pem=key)
    assert "licenseNumber" not in bare["credentialSubject"]
    assert "credentialStatus" not in bare
    assert "image" not in bare["credentialSubject"]["achievement"]
    text = json.dumps(bare, ensure_ascii=False).lower()
    assert "approv" not in text and "886123456" not in text and "nasw" not in text


@pytest.mark.parametrize(
    ("zone", "stated"),
    [("America/Chicago", "2026-11-21T12:00:00-06:00"),
     ("Pacific/Honolulu", "2026-11-21T12:00:00-10:00"),
     ("America/New_York", "2026-11-21T12:00:00-05:00")],
)  # fmt: skip
def test_the_completion_day_reads_the_same_day_in_every_us_time_zone(
    key: bytes, zone: str, stated: str
) -> None:
    record = dataclasses.replace(FULL, time_zone=zone)
    end = issue_credential(record, issuer=ISSUER, private_pem=key)["credentialSubject"][
        "activityEndDate"
    ]
    assert end == stated
    instant = datetime.datetime.fromisoformat(end)
    for shown_in in ("Pacific/Honolulu", "America/Los_Angeles", "America/New_York"):
        assert instant.astimezone(zoneinfo.ZoneInfo(shown_in)).date() == FULL.completed_on


@pytest.mark.parametrize(
    ("zone", "stated"),
    [("America/Chicago", "2026-11-21T15:47:13-06:00"), (None, "2026-11-21T21:47:13Z")],
)
def test_a_record_that_holds_the_completion_moment_states_it(
    key: bytes, zone: str | None, stated: str
) -> None:
    moment = datetime.datetime(2026, 11, 21, 21, 47, 13, 520000, tzinfo=datetime.UTC)
    record = dataclasses.replace(FULL, time_zone=zone, completed_at=moment)
    credential = issue_credential(record, issuer=ISSUER, private_pem=key)
    assert credential["credentialSubject"]["activityEndDate"] == stated
    assert verify_credential(credential, public_key_pem(key)).valid


def test_same_course_version_same_achievement_id(key: bytes) -> None:
    def achievement_id(record: object) -> str:
        issued = issue_credential(record, issuer=ISSUER, private_pem=key)
        return issued["credentialSubject"]["achievement"]["id"]

    assert achievement_id(FULL) == achievement_id(BARE)
    assert achievement_id(FULL) != achievement_id(dataclasses.replace(FULL, course_version=4))


def test_issued_credential_verifies(credential: dict[str, Any], key: bytes) -> None:
    check = verify_credential(credential, public_key_pem(key))
    assert check.valid, check.reason
    assert check.code == FULL.code


def test_credential_survives_a_json_round_trip(credential: dict[str, Any], key: bytes) -> None:
    # What a learner downloads and a board uploads is JSON text, not our dict.
    again = json.loads(json.dumps(credential, indent=2, sort_keys=True))
    assert verify_credential(again, public_key_pem(key)).valid


def test_signing_is_deterministic(credential: dict[str, Any], key: bytes) -> None:
    again = issue_credential(FULL, issuer=ISSUER, private_pem=key, status=STATUS, image_url=IMAGE)
    assert again == credential


def test_proof_follows_eddsa_jcs_2022_by_hand(credential: dict[str, Any], key: bytes) -> None:
    # Recompute the signed bytes from the specification, independently of the module.
    proof = dict(credential["proof"][0])
    signature = b58decode(proof.pop("proofValue")[1:], 64)
    assert len(signature) == 64
    assert proof["@context"] == credential["@context"]
    document = {k: v for k, v in credential.items() if k != "proof"}
    signed = (
        hashlib.sha256(rfc8785.dumps(proof)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )
    public = serialization.load_pem_public_key(public_key_pem(key))
    assert isinstance(public, Ed25519PublicKey)
    public.verify(signature, signed)  # raises if the bytes differ
    # The method's fragment is the same key: multicodec 0xed01 followed by the raw key.
    multikey = proof["verificationMethod"].split("#")[1]
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert b58decode(multikey[1:], 34) == b"\xed\x01" + raw


def _spec_keys() -> tuple[bytes, bytes]:
    decoded = b58decode(SPEC_PRIVATE_MULTIBASE[1:], 34)
    assert decoded[:2] == b"\x80\x26"  # multicodec ed25519-priv
    private = Ed25519PrivateKey.from_private_bytes(decoded[2:])
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return private_pem, public_key_pem(private_pem)


def test_matches_the_w3c_test_vector() -> None:
    private_pem, public_pem = _spec_keys()
    method = f"https://vc.example/issuers/5678#{SPEC_PUBLIC_MULTIBASE}"
    signed = sign_document(
        SPEC_DOCUMENT,
        private_pem=private_pem,
        created="2023-02-24T23:36:38Z",
        verification_method=method,
    )
    assert signed["proof"]["proofValue"] == SPEC_PROOF_VALUE
    assert check_document_proof(signed, public_pem) is None
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert check_document_proof(tampered, public_pem) is not None


def _tampered(credential: dict[str, Any], change) -> dict[str, Any]:
    forged = copy.deepcopy(credential)
    change(forged)
    return forged


def _flip_last_char(text: str) -> str:
    return text[:-1] + ("2" if text[-1] != "2" else "3")


TAMPERING = {
    "name": lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Zoe Nguyen"),
    "hours": lambda c: c["credentialSubject"]["achievement"].update(creditsAvailable=10.0),
    "credits": lambda c: c["credentialSubject"].update(creditsEarned=10.0),
    "code": lambda c: c.update(id="https://ce.example.org/verify/7K3M-Q9XD-2HTP-W4RC-A"),
    "licence": lambda c: c["credentialSubject"].update(licenseNumber="LCSW 999999"),
    "status_index": lambda c: c["credentialStatus"].update(statusListIndex="7"),
    "status_removed": lambda c: c.pop("credentialStatus"),
    "course": lambda c: c["credentialSubject"]["achievement"].update(name="Another course"),
    "valid_from": lambda c: c.update(validFrom="2020-01-01T00:00:00Z"),
    "added_field": lambda c: c.update(validUntil="2099-01-01T00:00:00Z"),
    "context": lambda c: c["@context"].append("https://example.org/other-context"),
    "issuer": lambda c: c["issuer"].update(name="Someone Else"),
    "proof_value": lambda c: c["proof"][0].update(
        proofValue=_flip_last_char(c["proof"][0]["proofValue"])
    ),
    "rdfc_proof_value": lambda c: c["proof"][1].update(
        proofValue=_flip_last_char(c["proof"][1]["proofValue"])
    ),
    "proof_created": lambda c: c["proof"][0].update(created="2030-01-01T00:00:00Z"),
    "rdfc_proof_created": lambda c: c["proof"][1].update(created="2030-01-01T00:00:00Z"),
    "proof_purpose": lambda c: c["proof"][0].update(proofPurpose="authentication"),
    "rdfc_proof_purpose": lambda c: c["proof"][1].update(proofPurpose="authentication"),
    "cryptosuite": lambda c: c["proof"][0].update(cryptosuite="eddsa-rdfc-2022"),
    "proof_context": lambda c: c["proof"][0].update(**{"@context": ["https://example.org/x"]}),
    "no_proof": lambda c: c.pop("proof"),
    "only_rdfc_proof": lambda c: c["proof"].pop(0),
    "proof_not_base58": lambda c: c["proof"][0].update(proofValue="z0OIl"),
    "proof_not_multibase": lambda c: c["proof"][0].update(proofValue="u" + "A" * 86),
    "method": lambda c: c["proof"][0].update(verificationMethod="did:key:z6MkOther#z6MkOther"),
    "rdfc_method": lambda c: c["proof"][1].update(verificationMethod="did:web:x#z6MkOther"),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_tampering_is_detected(credential: dict[str, Any], key: bytes, name: str) -> None:
    forged = _tampered(credential, TAMPERING[name])
    check = verify_credential(forged, public_key_pem(key))
    assert not check.valid
    assert check.reason and check.code is None


def test_another_issuers_key_is_refused(credential: dict[str, Any]) -> None:
    check = verify_credential(credential, public_key_pem(generate_signing_key()))
    assert not check.valid
    assert "key" in check.reason


def test_a_forger_re_signing_with_their_own_key_is_refused(
    credential: dict[str, Any], key: bytes
) -> None:
    forged_record = dataclasses.replace(FULL, participant_name="Someone Else")
    forged = issue_credential(forged_record, issuer=ISSUER, private_pem=generate_signing_key())
    assert not verify_credential(forged, public_key_pem(key)).valid


@pytest.mark.parametrize("garbage", [None, [], "credential", 42, {"proof": "x"}, {}])
def test_garbage_is_invalid_not_an_exception(garbage: object, key: bytes) -> None:
    check = verify_credential(garbage, public_key_pem(key))  # type: ignore[arg-type]
    assert not check.valid and check.reason


def test_unusable_public_key_is_reported(credential: dict[str, Any]) -> None:
    check = verify_credential(credential, b"not a key")
    assert not check.valid and "key" in check.reason


@pytest.mark.parametrize("check", ["*", "~", "$", "=", "U"])
def test_the_code_is_read_back_from_the_credential_id_whatever_its_check_symbol(
    key: bytes, check: str
) -> None:
    # Codes issued before new codes stopped ending in * $ = carry them still, and their
    # verification URL percent-encodes them ("%2A").
    draws = (codes._code_from_bits(secrets.randbits(codes.CODE_BITS)) for _ in iter(int, 1))
    code = next(c for c in draws if c.endswith(check))
    record = dataclasses.replace(FULL, code=code, verify_url=verify_url_for(BASE_URL, code))
    check_result = verify_credential(issue_credential(record, issuer=ISSUER, private_pem=key),
                                     public_key_pem(key))
    assert check_result.valid and check_result.code == code
