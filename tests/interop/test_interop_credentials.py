"""A third-party verifier checks our credentials: proofs, issuer key, revocation."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

import certificates
from course import certificate_changes, signing_keys
from course.db import write_transaction
from course.extensions import db
from course.models import User
from tests.course.certificate_kit import certificate, earn_certificate, quick
from tests.interop.credential_kit import third_party_check, verifier_ready


@pytest.fixture(scope="module")
def verifier() -> Path:
    return verifier_ready()


@pytest.fixture
def issued(app: Flask, client: FlaskClient, package_copy: Path, live_url: str) -> str:
    return earn_certificate(app, client, quick(package_copy), full_name="Zoë Nguyễn-O'Brien",
                            licence_number="LSW-12345", licence_jurisdiction="Ohio")


def _download(client: FlaskClient, code: str) -> dict:
    response = client.get(f"/me/certificates/{code}.json")
    assert response.status_code == 200
    return json.loads(response.data)


def test_the_verifier_accepts_both_proofs_and_sees_the_credential_valid(
    client, issued, verifier, tmp_path
):
    verdict = third_party_check(verifier, _download(client, issued), tmp_path)
    assert verdict["verified"], verdict["error"]
    assert sorted(verdict["proofs"]) == ["eddsa-jcs-2022", "eddsa-rdfc-2022"]
    assert verdict["revoked"] is False


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c["credentialSubject"]["identifier"][0].update(identityHash="Someone Else"),
        lambda c: c["credentialSubject"].update(creditsEarned=10.0),
        lambda c: c["credentialStatus"].update(statusListIndex="0"),
    ],
    ids=["name", "hours", "status-bit"],
)
def test_the_verifier_detects_tampering(client, issued, verifier, tmp_path, change):
    forged = copy.deepcopy(_download(client, issued))
    change(forged)
    verdict = third_party_check(verifier, forged, tmp_path)
    assert not verdict["verified"]


def test_a_key_not_in_the_issuers_did_document_is_refused(
    app, client, issued, verifier, tmp_path
):
    # A forger signs a credential naming our did:web issuer with a key of their own.
    document = _download(client, issued)
    unsigned = {k: v for k, v in document.items() if k != "proof"}
    unsigned["credentialSubject"]["identifier"][0]["identityHash"] = "Someone Else"
    key = certificates.generate_signing_key()
    forged = certificates.secure_document(
        unsigned, private_pem=key, created=document["validFrom"],
        verification_method=certificates.method_for(document["issuer"]["id"], key),
    )
    verdict = third_party_check(verifier, forged, tmp_path)
    assert not verdict["verified"]


def test_a_revocation_reaches_the_verifier_through_the_status_list(
    app, client, issued, verifier, tmp_path
):
    document = _download(client, issued)
    with app.app_context():
        admin = db.session.get(User, certificate(issued).user_id)
        with write_transaction():
            certificate_changes.revoke(certificate(issued), admin, "Completion recorded in error")
    verdict = third_party_check(verifier, document, tmp_path)
    assert verdict["revoked"] is True


def test_credentials_signed_before_a_key_rotation_still_verify(
    app, client, issued, verifier, tmp_path
):
    before = _download(client, issued)
    with app.app_context(), write_transaction():
        signing_keys.rotate(signing_keys.CREDENTIAL, None, "yearly rotation")
    after = _download(client, issued)
    assert before["proof"][0]["verificationMethod"] != after["proof"][0]["verificationMethod"]
    for document in (before, after):
        verdict = third_party_check(verifier, document, tmp_path)
        assert verdict["verified"], verdict["error"]
        assert verdict["revoked"] is False
