"""A learner whose LMS shared no name adds one before a certificate is issued to them."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from course.extensions import db
from course.models import Certificate, Course, User
from course.names import LMS_STAND_IN_NAME
from tests.course.journey import answers_for, evaluation_form, open_attempt, plain


def test_no_certificate_names_the_stand_in_and_the_answers_wait_for_the_real_name(
    app: Flask, ready: FlaskClient
) -> None:
    with app.app_context():
        db.session.execute(update(User).values(full_name=LMS_STAND_IN_NAME))
        db.session.commit()
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        form = evaluation_form(db.session.scalar(select(Course)))
    page = plain(ready.get("/courses/minimal/evaluation").get_data(as_text=True))
    assert "Your certificate needs your name." in page
    assert "will show your name as" not in page

    refused = ready.post("/courses/minimal/evaluation", data=form)
    assert refused.status_code == 422
    assert "did not share your name" in plain(refused.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
        db.session.execute(update(User).values(full_name="Dana Whitfield"))
        db.session.commit()
    # The answers were kept: the page shows them again, and they go through as they are.
    again = ready.get("/courses/minimal/evaluation").get_data(as_text=True)
    assert "will show your name as" in plain(again)
    assert "Helpful, thank you." in again
    assert ready.post("/courses/minimal/evaluation", data=form).status_code == 303
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate.snapshot["participant_name"] == "Dana Whitfield"
