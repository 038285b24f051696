"""CSRF tokens: signed once an hour per session, still refused when forged, stale or
from another session, and renewed with the session's secret."""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask, render_template_string

import course.csrftokens
from course.csrftokens import SIGNED
from tests.course.factories import import_course, make_user, sign_in

LESSON = "/courses/minimal/lessons/push-pull"
TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(make_app) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def learner(app, client, minimal_package_dir):
    with app.app_context():
        import_course(minimal_package_dir)
        user = make_user()
    sign_in(client, user)
    token = FIELD.search(client.get("/courses/minimal").get_data(as_text=True))[1]
    client.post("/courses/minimal/enrol", data={"csrf_token": token})
    return client


def _token(client) -> str:
    return TOKEN.search(client.get(LESSON).get_data(as_text=True))[1]


def _answer(client, token: str) -> int:
    data = {"csrf_token": token, "choice": "1", "submission_key": f"k{time.time_ns()}"}
    return client.post(f"{LESSON}/checks/push-pull-1", data=data).status_code


def test_page_views_within_the_hour_share_one_signed_token_that_works(learner):
    first = _token(learner)
    time.sleep(1.1)  # signing anew would now give another timestamp, so another token
    second = _token(learner)
    assert first == second
    assert _answer(learner, second) == 303


def test_a_token_of_an_earlier_hour_is_signed_anew_and_both_work(learner):
    old = _token(learner)
    with learner.session_transaction() as session:
        hour, secret, token = session[SIGNED]
        session[SIGNED] = [hour - 1, secret, token]
    new = _token(learner)
    with learner.session_transaction() as session:
        assert session[SIGNED][0] == hour  # signed again, in this hour
    assert _answer(learner, new) == 303 and _answer(learner, old) == 303


def test_a_forged_or_foreign_token_is_still_refused(app, learner, minimal_package_dir):
    other = app.test_client()
    with app.app_context():
        sign_in(other, make_user(email="other@example.org"))
    theirs = FIELD.search(other.get("/courses/minimal").get_data(as_text=True))[1]
    assert _answer(learner, theirs) == 400
    assert _answer(learner, _token(learner)[:-2] + "xx") == 400


def test_a_kept_token_of_another_secret_is_not_reused(learner):
    _token(learner)
    with learner.session_transaction() as session:
        hour, _secret, token = session[SIGNED]
        session[SIGNED] = [hour, "another secret", "not-a-token"]
    fresh = _token(learner)
    assert fresh != "not-a-token" and _answer(learner, fresh) == 303


def test_a_page_asking_for_the_token_again_gets_the_same_one_without_signing_again(
    app, monkeypatch
):
    signed = []

    def counting_generate_csrf():
        signed.append(1)
        return real()

    real = course.csrftokens.generate_csrf
    monkeypatch.setattr(course.csrftokens, "generate_csrf", counting_generate_csrf)
    with app.test_request_context("/"):
        first, second = render_template_string("{{ csrf_token() }} {{ csrf_token() }}").split()
    assert first == second
    # Flask-WTF also puts its own csrf_token into every template's context; if that won,
    # the page would sign through it and this count would be 0.
    assert signed == [1]
