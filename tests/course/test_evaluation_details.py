"""The evaluation's way to the profile keeps the answers given so far, and comes back."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import select

from course.extensions import db
from course.models import Course, User
from tests.course.factories import PASSWORD, csrf_token_in
from tests.course.journey import answers_for, evaluation_form, open_attempt, plain

EVALUATION = "/courses/minimal/evaluation"
BACK = f'<a href="{EVALUATION}">Back to the evaluation</a>'


@pytest.fixture
def evaluating(app: Flask, ready: FlaskClient) -> FlaskClient:
    """The learner has passed the post-test and just signed in with their password (the
    profile asks for a fresh sign-in); the evaluation is open."""
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        ready.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        email = db.session.scalar(select(User.email))
    ready.post("/auth/login", data={"email": email, "password": PASSWORD})
    return ready


def _details_button(page: str) -> str:
    """The address the "Check or change your details" button sends the evaluation form to."""
    found = re.search(r'<button type="submit" form="evaluation-form" formaction="([^"]+)"'
                      r'[^>]*>Check or change your details</button>', page)  # fmt: skip
    assert found, page
    return html.unescape(found[1])


def test_checking_the_details_keeps_the_answers_and_comes_back(app, evaluating):
    app.config["WTF_CSRF_ENABLED"] = True  # the button sends the form's token with it
    with app.app_context():
        answers = evaluation_form(db.session.scalar(select(Course)))
        email = db.session.scalar(select(User.email))
        g.pop("csrf_token", None)
    page = evaluating.get(EVALUATION).get_data(as_text=True)
    target = _details_button(page)
    assert evaluating.post(target, data=answers).status_code == 400  # no token, no save
    moved = evaluating.post(target, data={**answers, "csrf_token": csrf_token_in(page)})
    assert moved.status_code == 303
    assert moved.location == f"/auth/profile?next={EVALUATION}"
    profile = evaluating.get(moved.location).get_data(as_text=True)
    assert "Your answers are saved. Check your details here, then go back" in plain(profile)
    assert BACK in profile
    # Saving a detail on the profile keeps the way back.
    saved = evaluating.post(moved.location, data={
        "csrf_token": csrf_token_in(profile), "full_name": "Dana Whitfield",
        "email": email, "licence_number": "LSW 9",
        "licence_jurisdiction": "Ohio", "profession": ""})  # fmt: skip
    assert saved.status_code == 302 and saved.location == moved.location
    assert BACK in evaluating.get(saved.location).get_data(as_text=True)
    back = evaluating.get(EVALUATION).get_data(as_text=True)
    assert "Helpful, thank you." in back  # the answer typed before leaving is there
    assert "Dana Whitfield</strong> and license no. <strong>LSW 9</strong> (Ohio)" in back


@pytest.mark.parametrize(
    "nxt", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/auth/logout", "/x"]
)
def test_the_profile_offers_a_way_back_only_to_the_evaluation(evaluating, nxt):
    page = evaluating.get("/auth/profile", query_string={"next": nxt}).get_data(as_text=True)
    assert not re.search(r">Back to [^<]*</a>", page)
    assert not re.search(r'href="(https:)?(//|/\\)evil', page)  # no link off the site
    assert BACK in evaluating.get(f"/auth/profile?next={EVALUATION}").get_data(as_text=True)
