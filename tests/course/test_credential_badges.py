"""A credential's badge image shows what it certified: the hours of the course version the
learner took, not a later revision's; credentials signed before keep their image address."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from course import create_app
from course.extensions import db
from tests.course.certificate_kit import certificate, earn_certificate, quick
from tests.course.factories import import_course

BASE = "https://ce.example.org"
MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
BEFORE = "a7c3e5f19d20"  # the revision before certificate.course_badge


@pytest.fixture
def package(package_copy: Path) -> Path:
    return quick(package_copy)


@pytest.fixture
def issued(app: Flask, client: FlaskClient, package: Path) -> str:
    app.config["BASE_URL"] = BASE
    return earn_certificate(app, client, package, full_name="Ada Lovelace")


def _credential(client: FlaskClient, code: str) -> bytes:
    response = client.get(f"/me/certificates/{code}.json")
    assert response.status_code == 200
    return response.data


def _image_of(credential: bytes) -> str:
    return json.loads(credential)["credentialSubject"]["achievement"]["image"]["id"]


def _badge(client: FlaskClient, url: str) -> str:
    response = client.get(url.removeprefix(BASE))
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    return response.get_data(as_text=True)


def _revise_hours(app: Flask, package: Path) -> None:
    """Publish version 2 of the course with more contact hours."""
    manifest = package / "course.yaml"
    manifest.write_text(
        manifest.read_text().replace("contact_hours: 0.25", "contact_hours: 0.5")
    )
    with app.app_context():
        assert import_course(package).current_version.number == 2


def test_the_badge_keeps_the_certified_hours_after_a_revision(app, client, issued, package):
    credential = _credential(client, issued)
    image = _image_of(credential)
    assert image == f"{BASE}/credentials/badges/minimal.svg?version=1"
    assert "0.25 contact hours" in _badge(client, image)
    _revise_hours(app, package)
    badge = _badge(client, image)
    assert "0.25 contact hours" in badge and "0.5 contact hours" not in badge
    # The course's own badge address keeps answering, with the course as it is now.
    assert "0.5 contact hours" in _badge(client, f"{BASE}/credentials/badges/minimal.svg")
    # The signed credential is the same, byte for byte, when downloaded again.
    assert _credential(client, issued) == credential
    assert client.get("/credentials/badges/minimal.svg?version=9").status_code == 404


def test_a_learner_who_takes_the_revision_gets_its_badge(app, client, issued, package):
    _revise_hours(app, package)
    other = app.test_client()
    code = earn_certificate(app, other, package, full_name="Grace Hopper")
    image = _image_of(_credential(other, code))
    assert image == f"{BASE}/credentials/badges/minimal.svg?version=2"
    assert "0.5 contact hours" in _badge(other, image)


def test_a_certificate_from_before_keeps_its_credential_s_image_address(app, client, issued):
    with app.app_context():
        certificate(issued).course_badge = True  # as the migration marks every older one
        db.session.commit()
    image = _image_of(_credential(client, issued))
    assert image == f"{BASE}/credentials/badges/minimal.svg"


def test_the_migration_keeps_the_course_badge_for_certificates_already_issued(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    row = (
        "INSERT INTO certificate (code, user_id, course_id, version_id, enrolment_id, status,"
        " issued_at, snapshot, pdf_sha256) VALUES (:code, 1, 1, 1, 1, 'revoked',"
        " CURRENT_TIMESTAMP, '{}', '')"
    )

    def insert(code: str) -> None:
        # Outside a transaction, where SQLite lets foreign keys be switched off: the
        # certificate needs no account or course for what is tested here.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.execute(text(row), {"code": code})

    with app.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE)
        insert("OLD")
        upgrade(directory=MIGRATIONS)
        insert("NEW")
        with db.engine.connect() as conn:
            marked = dict(conn.execute(text("SELECT code, course_badge FROM certificate")).all())
    assert marked == {"OLD": True, "NEW": False}
