"""The public side of credentials: issuer DID document, status lists, badges, keys."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select

import certificates
from certificates.proofs import check_proofs
from certificates.status_list import decode_list, is_set
from course import certificate_changes, signing_keys
from course.credentials import services as credentials
from course.db import write_transaction
from course.extensions import db
from course.issuing import certificate_enrolment
from course.models import AuditEvent, CredentialStatus, SigningKey, User
from tests.course.certificate_kit import certificate, earn_certificate, quick

BASE = "https://ce.example.org"


@pytest.fixture
def issued(app: Flask, client: FlaskClient, package_copy: Path) -> str:
    app.config["BASE_URL"] = BASE
    return earn_certificate(app, client, quick(package_copy), full_name="Ada Lovelace")


def _credential(client: FlaskClient, code: str) -> dict:
    response = client.get(f"/me/certificates/{code}.json")
    assert response.status_code == 200
    return json.loads(response.data)


def _status_bits(app: Flask, client: FlaskClient) -> bytes:
    """Fetch status list 1, check it is signed with the site's key, return its bits."""
    response = client.get("/credentials/status/1")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    document = response.get_json(force=True)
    assert document["issuer"] == "did:web:ce.example.org"
    with app.app_context():
        assert check_proofs(document, credentials.public_pems()) is None
    return decode_list(document["credentialSubject"]["encodedList"])


def test_the_credential_names_the_did_web_issuer_its_status_bit_and_badge(app, client, issued):
    document = _credential(client, issued)
    assert document["issuer"]["id"] == "did:web:ce.example.org"
    assert document["issuer"]["url"] == BASE
    status = document["credentialStatus"]
    assert status["statusListCredential"] == f"{BASE}/credentials/status/1"
    with app.app_context():
        row = db.session.scalar(select(CredentialStatus))
        assert status["statusListIndex"] == str(row.list_index)
    image = document["credentialSubject"]["achievement"]["image"]["id"]
    assert image == f"{BASE}/credentials/badges/minimal.svg?version=1"


def test_the_credential_states_the_moment_the_course_was_completed(app, client, issued):
    with app.app_context():
        row = certificate(issued)
        completed = certificate_enrolment(row).completed_at.replace(microsecond=0)
        zone, day = ZoneInfo(row.snapshot["time_zone"]), row.snapshot["completed_on"]
    end = _credential(client, issued)["credentialSubject"]["activityEndDate"]
    assert end == completed.astimezone(zone).isoformat()  # the provider's clock, not noon
    # A certificate issued before the moment was kept holds only the day: its credential
    # still says noon that day, as it was signed then, and still verifies.
    with app.app_context():
        row = certificate(issued)
        row.snapshot = {k: v for k, v in row.snapshot.items() if k != "completed_at"}
        db.session.commit()
    older = _credential(client, issued)
    noon = datetime.combine(date.fromisoformat(day), time(12), tzinfo=zone)
    assert older["credentialSubject"]["activityEndDate"] == noon.isoformat()
    with app.app_context():
        assert certificates.verify_credential(older, credentials.public_pems()).valid


def test_the_did_document_publishes_the_key_that_signed(app, client, issued):
    document = _credential(client, issued)
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    # Kept briefly: a copy from before a key rotation would refuse the new key's work.
    assert response.headers["Cache-Control"] == "public, max-age=300"
    did = response.get_json(force=True)
    assert did["id"] == "did:web:ce.example.org"
    assert did["url"] == BASE
    method = document["proof"][0]["verificationMethod"]
    assert method in did["assertionMethod"]
    assert [m["id"] for m in did["verificationMethod"]] == did["assertionMethod"]
    # A BASE_URL with a path resolves to <path>/did.json; the app answers there too.
    assert client.get("/did.json").get_json(force=True) == did


def test_revoking_and_reissuing_set_the_bits_a_verifier_reads(app, client, issued):
    with app.app_context():
        first = db.session.scalar(select(CredentialStatus)).list_index
    assert not is_set(_status_bits(app, client), first)
    with app.app_context():
        admin = db.session.get(User, certificate(issued).user_id)
        with write_transaction():
            replacement = certificate_changes.reissue(certificate(issued), admin)
        new_code = replacement.code
    bits = _status_bits(app, client)
    with app.app_context():
        second = db.session.scalar(
            select(CredentialStatus).where(CredentialStatus.certificate_id == replacement.id)
        ).list_index
    assert is_set(bits, first)  # the replaced credential no longer stands
    assert not is_set(bits, second)
    with app.app_context(), write_transaction():
        certificate_changes.revoke(certificate(new_code), admin, "Completion recorded in error")
    assert is_set(_status_bits(app, client), second)


def test_a_status_list_never_used_is_not_found(client, issued):
    assert client.get("/credentials/status/2").status_code == 404
    assert client.get("/credentials/status/abc").status_code == 404


def test_the_badge_is_an_svg_image_of_the_course(client, issued):
    response = client.get("/credentials/badges/minimal.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    text = response.get_data(as_text=True)
    assert text.startswith("<svg") and "<title" in text and "<script" not in text
    assert client.get("/credentials/badges/nothing-here.svg").status_code == 404


def test_an_older_key_file_is_adopted_so_held_credentials_stay_valid(
    app, client, issued, tmp_path
):
    with app.app_context():
        db.session.execute(delete(SigningKey))
        db.session.commit()
    app.instance_path = str(tmp_path)  # not the shared instance folder other tests read
    old = certificates.generate_signing_key()
    (tmp_path / signing_keys.LEGACY_KEY_FILE).write_bytes(old)
    did = client.get("/.well-known/did.json").get_json(force=True)
    assert did["verificationMethod"][0]["publicKeyMultibase"] == certificates.multikey_of(
        certificates.public_key_pem(old)
    )


def test_keys_rotate_from_the_command_line_and_stay_published(app, client, runner, issued):
    before = _credential(client, issued)
    rotated = runner.invoke(args=["keys", "rotate", "credential", "--reason", "yearly"])
    assert rotated.exit_code == 0, rotated.output
    assert "fetched the public keys in the last 5 minutes see it once" in rotated.output
    listed = runner.invoke(args=["keys", "list"])
    assert listed.output.count("credential") == 2
    assert "current" in listed.output and "retired" in listed.output
    after = _credential(client, issued)
    did = client.get("/.well-known/did.json").get_json(force=True)
    old, new = before["proof"][0]["verificationMethod"], after["proof"][0]["verificationMethod"]
    assert old != new and did["assertionMethod"] == [new, old]
    for document in (before, after):
        page = client.post(
            "/verify/credential",
            data={"credential": (_as_file(document), "c.json")},
            content_type="multipart/form-data",
        ).get_data(as_text=True)
        assert "The signature is valid" in page, page[page.find("<h1>"):][:600]
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "key.rotated"))
        assert event.detail["reason"] == "yearly"


def _as_file(document: dict) -> io.BytesIO:
    return io.BytesIO(json.dumps(document).encode())


def test_a_backup_carries_the_signing_key(app, client, runner, issued, tmp_path):
    held = _credential(client, issued)
    target = tmp_path / "course.backup"
    assert runner.invoke(args=["db", "backup", str(target)]).exit_code == 0
    with app.app_context():
        db.session.execute(delete(SigningKey))  # the key is lost with the server...
        db.session.commit()
    restored = runner.invoke(args=["db", "restore", "--yes", str(target)])
    assert restored.exit_code == 0, restored.output
    with app.app_context():  # ...and comes back with the backup: held credentials verify
        check, found = credentials.check_credential(held)
    assert check.valid, check.reason
    assert found is not None and found.status == "valid"
