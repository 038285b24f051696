"""A learner who earned a certificate, for tests of what is built on certificates."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Certificate, Course
from tests.course.factories import import_course, let_mail_leave, make_user, sign_in
from tests.course.journey import answers_for, evaluation_form, finish_lessons, open_attempt


def quick(package_copy: Path) -> Path:
    """The minimal package without its minimum reading time."""
    manifest = package_copy / "course.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace("min_active_minutes: 20", "min_active_minutes: 0"))
    return package_copy


def earn_certificate(app: Flask, client: FlaskClient, package: Path, **fields: str) -> str:
    """Take a new learner through the whole course; return their certificate code."""
    with app.app_context():
        if db.session.scalar(select(Course)) is None:
            import_course(package)
        sign_in(client, make_user(**fields))
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        client.post(
            "/courses/minimal/evaluation", data=evaluation_form(db.session.scalar(select(Course)))
        )
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302, response.data[:500]
    let_mail_leave(app)  # its certificate's email, before the test's next request
    return response.location.rsplit("/", 1)[1]


def certificate(code: str) -> Certificate:
    """Return the certificate row with this code (inside an app context)."""
    return db.session.scalar(select(Certificate).where(Certificate.code == code))
