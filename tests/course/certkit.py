"""Helpers for certificate tests: finish the minimal course and read what was issued."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from course.extensions import db
from course.models import Course, User
from tests.course.factories import import_course, let_mail_leave, make_user, sign_in
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
    without_minimum_time,
)


def finish_course(
    app: Flask, client: FlaskClient, package_dir: Path, **user_fields: str
) -> tuple[User, str]:
    """Sign a new learner in, take them through the minimal course; return (learner, code)."""
    with app.app_context():
        if db.session.scalar(select(Course).where(Course.slug == "minimal")) is None:
            import_course(without_minimum_time(package_dir))
        learner = make_user(**user_fields)
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        course = db.session.scalar(select(Course).where(Course.slug == "minimal"))
        client.post("/courses/minimal/evaluation", data=evaluation_form(course))
    response = client.get("/courses/minimal/certificate")
    assert response.status_code == 302, response.status_code
    let_mail_leave(app)  # its certificate's email, before the test's next request
    return learner, response.location.rsplit("/", 1)[1]


def pdf_words(pdf: bytes) -> str:
    """The PDF's page text with every run of whitespace collapsed to one space."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def page_words(html: str) -> str:
    """An HTML page's text with whitespace collapsed, for phrases that may wrap."""
    return " ".join(html.split())
