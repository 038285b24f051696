"""No answer is ever lost: post-test and evaluation answers are saved as they are given,
on "Save and finish later", and through an idle sign-out; a double submit records once."""

from __future__ import annotations

import re
import time
from html.parser import HTMLParser

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func, select

from course.auth.sessions import REMEMBERED, SEEN_AT
from course.extensions import db
from course.models import (
    AttemptAnswer,
    Course,
    Enrolment,
    EvaluationAnswer,
    EvaluationResponse,
    PostTestAttempt,
    Question,
)
from tests.course.factories import PASSWORD, csrf_token_in, import_course, make_user
from tests.course.journey import (
    answers_for,
    correct_keys,
    evaluation_form,
    finish_lessons,
    open_attempt,
    positions_in,
    quick_retakes,
    without_minimum_time,
)

JSON = {"Accept": "application/json"}
POST_TEST = "/courses/minimal/post-test"
EVALUATION = "/courses/minimal/evaluation"


class _Checked(HTMLParser):
    """What a page shows as chosen: checked inputs by name, and text fields' values."""

    def __init__(self) -> None:
        super().__init__()
        self.checked: dict[str, list[str]] = {}
        self.texts: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") in {"radio", "checkbox"} and "checked" in values:
            self.checked.setdefault(values["name"] or "", []).append(values["value"] or "")
        elif tag == "input" and values.get("type") == "text":
            self.texts[values["name"] or ""] = values.get("value") or ""
        elif tag == "textarea":
            self._textarea = values["name"]
            self.texts[self._textarea or ""] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.texts[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


def sorted_answers(data: dict) -> dict[str, list[str]]:
    """The question fields of post-test form data, each answer's positions in order."""
    return {k: sorted(v) for k, v in data.items() if k.startswith("q-")}


def shown(client: FlaskClient, path: str) -> _Checked:
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    parser = _Checked()
    parser.feed(page.get_data(as_text=True))
    return parser


def page_token(client: FlaskClient, path: str) -> str:
    """The CSRF token the page at ``path`` gives this client's session."""
    if has_app_context():
        # Requests inside a test's app context share its ``g``, where Flask-WTF keeps
        # the last token it made: drop it, so each browser session gets its own.
        g.pop("csrf_token", None)
    return csrf_token_in(client.get(path).get_data(as_text=True))


def sign_in_with_password(client: FlaskClient, email: str, next_path: str = "") -> str:
    """Sign in through the form, as a person does; return where it sends them."""
    login = "/auth/login" + (f"?next={next_path}" if next_path else "")
    token = page_token(client, login)
    response = client.post(
        login, data={"email": email, "password": PASSWORD, "next": next_path, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def time_out(client: FlaskClient) -> None:
    """The learner steps away: the session has been idle longer than allowed."""
    with client.session_transaction() as session:
        assert session.get(REMEMBERED) is False  # a session the idle limit applies to
        session[SEEN_AT] = int(time.time()) - 24 * 3600


@pytest.fixture
def learner(app: Flask, client: FlaskClient, package_copy) -> str:
    """A learner signed in with their password (an idle limit applies), lessons done,
    CSRF checked on every form as in production. Returns their email address."""
    with app.app_context():
        import_course(quick_retakes(without_minimum_time(package_copy)))
        email = make_user(email="pat@example.org").email
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in_with_password(client, email)
    app.config["WTF_CSRF_ENABLED"] = False  # the journey helpers post without tokens
    with app.app_context():
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
    app.config["WTF_CSRF_ENABLED"] = True
    return email


def with_token(client: FlaskClient, path: str, data: dict) -> dict:
    return {**data, "csrf_token": page_token(client, path)}


def test_post_test_answers_are_saved_as_chosen_and_shown_again(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = answers_for(attempt, right=10)
        some = {k: v for k, v in list(data.items())[:5]}  # the attempt id and 4 answers
        saved = client.post(f"{POST_TEST}/save", data=with_token(client, POST_TEST, some),
                            headers=JSON)
        assert saved.status_code == 200 and saved.get_json() == {"saved": True}
        page = shown(client, POST_TEST)
        assert sorted_answers(page.checked) == sorted_answers(some)
        assert len(page.checked) == 4
        # Un-choosing is saved too: the draft is what the page holds now.
        fewer = dict(list(some.items())[:3])
        client.post(f"{POST_TEST}/save", data=with_token(client, POST_TEST, fewer), headers=JSON)
        assert len(shown(client, POST_TEST).checked) == 2
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None


def test_save_and_finish_later_works_without_javascript(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = dict(list(answers_for(attempt, right=10).items())[:10])  # 9 answers
        page = client.get(POST_TEST).get_data(as_text=True)
        assert "Save and finish later" in page
        assert f'formaction="{POST_TEST}/save"' in page
        response = client.post(f"{POST_TEST}/save", data=with_token(client, POST_TEST, data))
        assert response.status_code == 303 and response.headers["Location"] == POST_TEST
        again = client.get(POST_TEST).get_data(as_text=True)
        # The same page comes back: the message takes focus, so a screen reader says it.
        saved = re.search(r'<div class="[^"]*focus-target" tabindex="-1" autofocus>\s*'
                          r'<div class="usa-alert__body">\s*<p class="usa-alert__text">'
                          r'Your answers are saved\.', again)
        assert saved, again
        assert len(shown(client, POST_TEST).checked) == 9


def test_a_post_test_submitted_after_the_session_expired_keeps_every_answer(
    app, client, learner
):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = with_token(client, POST_TEST, answers_for(attempt, right=10))
        time_out(client)
        response = client.post(
            POST_TEST, data=data, headers={"Referer": f"http://localhost{POST_TEST}"}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == f"/auth/login?next={POST_TEST}"
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None  # not graded
        assert client.get(POST_TEST).status_code == 302  # signed out

        assert sign_in_with_password(client, learner, POST_TEST) == POST_TEST
        page = shown(client, POST_TEST)
        assert sorted_answers(page.checked) == sorted_answers(data)
        assert len(page.checked) == 10

        # Sent again as the page shows it: it lands in the same attempt, and passes.
        again = with_token(client, POST_TEST, {"attempt": [str(attempt.id)], **page.checked})
        review = client.post(POST_TEST, data=again)
        assert review.headers["Location"] == f"{POST_TEST}/attempts/{attempt.number}"
        twice = client.post(POST_TEST, data=again)  # a double submit
        assert twice.status_code == 303
        db.session.expire_all()
        recorded = db.session.get(PostTestAttempt, attempt.id)
        assert recorded.passed and recorded.score_percent == 100 and recorded.draft is None
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 1
        assert db.session.scalar(select(func.count()).select_from(AttemptAnswer)) == 10


def test_a_partly_answered_post_test_sent_after_the_time_out_keeps_its_answers(
    app, client, learner
):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = with_token(client, POST_TEST, answers_for(attempt, right=10))
        last = f"q-{attempt.draw[-1]['key']}"
        del data[last]
        time_out(client)
        client.post(f"{POST_TEST}/save", data=data, headers=JSON)  # the page's own save
        sign_in_with_password(client, learner, POST_TEST)
        page = shown(client, POST_TEST)
        assert len(page.checked) == 9 and last not in page.checked
        question = db.session.get(Question, attempt.draw[-1]["question_id"])
        page.checked[last] = positions_in(attempt.draw[-1]["choices"], correct_keys(question))
        done = client.post(POST_TEST, data=with_token(
            client, POST_TEST, {"attempt": [str(attempt.id)], **page.checked}))
        assert done.status_code == 303
        assert db.session.get(PostTestAttempt, attempt.id).passed


def test_an_evaluation_submitted_after_the_session_expired_keeps_every_answer(
    app, client, learner
):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        course = db.session.scalar(select(Course))
        answers = evaluation_form(course)
        answers[next(k for k, v in answers.items() if v == "Helpful, thank you.")] = (
            "A long comment typed over many minutes.\nIt names the second lesson."
        )
        data = with_token(client, EVALUATION, answers)
        time_out(client)
        response = client.post(EVALUATION, data=data,
                               headers={"Referer": f"http://localhost{EVALUATION}"})
        assert response.headers["Location"] == f"/auth/login?next={EVALUATION}"
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0

        assert sign_in_with_password(client, learner, EVALUATION) == EVALUATION
        page = shown(client, EVALUATION)
        kept = {**{k: v[0] for k, v in page.checked.items()}, **page.texts}
        assert kept == answers

        again = with_token(client, EVALUATION, kept)
        assert client.post(EVALUATION, data=again).status_code == 303
        assert client.post(EVALUATION, data=again).status_code in (302, 303)  # double submit
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 1
        assert db.session.scalar(select(func.count()).select_from(EvaluationAnswer)) == len(answers)
        assert db.session.scalar(select(Enrolment)).evaluation_draft is None
        assert client.get("/courses/minimal/certificate").status_code == 302


def test_evaluation_save_and_finish_later(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        answers = dict(list(evaluation_form(db.session.scalar(select(Course))).items())[:2])
        response = client.post(f"{EVALUATION}/save", data=with_token(client, EVALUATION, answers))
        assert response.status_code == 303 and response.headers["Location"] == EVALUATION
        page = shown(client, EVALUATION)
        assert {**{k: v[0] for k, v in page.checked.items()}, **{
            k: v for k, v in page.texts.items() if v}} == answers
        assert db.session.scalar(select(func.count()).select_from(EvaluationResponse)) == 0


def test_answers_are_saved_only_to_the_learners_own_open_attempt(app, client, learner):
    with app.app_context():
        mine = open_attempt(client, "minimal")
        client.post(f"{POST_TEST}/save", headers=JSON, data=with_token(
            client, POST_TEST, dict(list(answers_for(mine, right=10).items())[:3])))
        db.session.expire_all()
        before = db.session.get(PostTestAttempt, mine.id).draft
        assert len(before) == 2

        other = app.test_client()
        email = make_user(email="sam@example.org").email
        sign_in_with_password(other, email)
        app.config["WTF_CSRF_ENABLED"] = False
        other.post("/courses/minimal/enrol")
        finish_lessons(other, "minimal")
        theirs = open_attempt(other, "minimal")
        app.config["WTF_CSRF_ENABLED"] = True
        forged = with_token(other, POST_TEST, answers_for(mine, right=0))
        assert other.post(f"{POST_TEST}/save", data=forged, headers=JSON).status_code == 409
        time_out(other)  # and through the time-out keeper
        other.post(POST_TEST, data=forged, headers={"Referer": f"http://localhost{POST_TEST}"})
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, mine.id).draft == before
        assert db.session.get(PostTestAttempt, theirs.id).draft is None


def test_a_recorded_attempt_takes_no_more_saves(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = answers_for(attempt, right=10)
        client.post(POST_TEST, data=with_token(client, POST_TEST, data))
        late = with_token(client, "/me", answers_for(attempt, right=0))
        assert client.post(f"{POST_TEST}/save", data=late, headers=JSON).status_code == 409
        db.session.expire_all()
        recorded = db.session.get(PostTestAttempt, attempt.id)
        assert recorded.draft is None and recorded.score_percent == 100


def test_a_save_needs_a_csrf_token(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        data = dict(list(answers_for(attempt, right=10).items())[:3])
        assert client.post(f"{POST_TEST}/save", data=data, headers=JSON).status_code == 400
        assert db.session.get(PostTestAttempt, attempt.id).draft is None


def test_the_page_warns_before_an_idle_sign_out_and_the_learner_can_stay(app, client, learner):
    page = client.get("/me").get_data(as_text=True)
    assert 'id="session-warning"' in page and 'role="alertdialog"' in page
    assert "Stay signed in" in page and 'data-idle-seconds="3600"' in page
    assert 'data-warning-seconds="180"' in page  # three minutes to answer
    token = page_token(client, "/me")
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 58 * 60  # two minutes before the sign-out
    stay = client.post("/auth/stay-signed-in", headers={"X-CSRFToken": token, **JSON})
    assert stay.status_code == 200 and stay.get_json() == {"idle_seconds": 3600}
    with client.session_transaction() as session:
        assert session[SEEN_AT] >= int(time.time()) - 5
    assert client.post("/auth/stay-signed-in", headers=JSON).status_code == 400  # no token
    # Too late: a session past its idle limit is not brought back.
    with client.session_transaction() as session:
        session[SEEN_AT] = int(time.time()) - 61 * 60
    late = client.post("/auth/stay-signed-in", headers={"X-CSRFToken": token, **JSON})
    assert late.status_code == 302 and late.headers["Location"].startswith("/auth/login")
    assert client.get("/me").status_code == 302


def test_the_idle_warning_says_what_happens_to_unsent_work_in_each_area(app) -> None:
    import re

    def notes(role: str, path: str) -> tuple[str, str]:
        with app.app_context():
            email = make_user(email=f"{role}@example.org", role=role).email
        client = app.test_client()
        sign_in_with_password(client, email)  # a session the idle limit applies to
        page = client.get(path).get_data(as_text=True)
        found = re.search(r'data-warning-note="([^"]*)"\s+data-signed-out-note="([^"]*)"', page)
        assert found, path
        return found[1], found[2]

    app.config["WTF_CSRF_ENABLED"] = True
    # A learner's answers are kept through a sign-out; an author's editor keeps its Save
    # (test_author_timeout.py), other author forms are not kept, nor is an admin's form,
    # so those must not promise that they are.
    learner = notes("learner", "/me")
    assert learner[1] == "Your answers so far are saved: sign in again to carry on."
    warning, signed_out = notes("author", "/author/")
    assert "saved" not in warning + signed_out and "not kept" in signed_out
    warning, signed_out = notes("admin", "/admin/")
    assert "saved" not in warning + signed_out and "not kept" in signed_out


def test_no_idle_warning_for_keep_me_signed_in_or_signed_out(app, client, learner):
    with client.session_transaction() as session:
        session[REMEMBERED] = True
    assert 'id="session-warning"' not in client.get("/me").get_data(as_text=True)
    anonymous = app.test_client()
    assert 'id="session-warning"' not in anonymous.get("/").get_data(as_text=True)


def test_saved_answers_are_in_the_download_and_go_with_the_account(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        client.post(POST_TEST, data=with_token(client, POST_TEST, answers_for(attempt, right=10)))
        items = evaluation_form(db.session.scalar(select(Course)))
        comment = next(k for k, v in items.items() if v == "Helpful, thank you.")
        typed = {comment: "My supervisor, Jo Park, said I should take this course."}
        client.post(f"{EVALUATION}/save", data=with_token(client, EVALUATION, typed))
        download = client.get("/auth/profile/my-data.json").get_json()
        (enrolment,) = download["enrollments"]
        assert list(enrolment["evaluation_saved_answers"].values()) == [typed[comment]]

        deleted = client.post("/auth/delete", data=with_token(
            client, "/auth/delete", {"password": PASSWORD, "understood": "y"}))
        assert deleted.status_code == 302
        db.session.expire_all()
        assert db.session.scalar(select(Enrolment)).evaluation_draft is None


def test_a_post_test_left_open_longer_than_its_token_lasts_keeps_its_answers(
    app, client, learner
):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        app.config["WTF_CSRF_TIME_LIMIT"] = 1  # the page stood open past its token's age
        data = with_token(client, POST_TEST, answers_for(attempt, right=10))
        time.sleep(2)
        time_out(client)  # and the learner was away past the idle limit too
        sent = client.post(POST_TEST, data=data, headers={"Referer": f"http://localhost{POST_TEST}"})
        assert sent.status_code == 303 and sent.headers["Location"] == POST_TEST
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None
        app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600
        assert client.get(POST_TEST).headers["Location"] == f"/auth/login?next={POST_TEST}"
        login = client.get(f"/auth/login?next={POST_TEST}").get_data(as_text=True)
        assert "your answers were saved but not sent" in login
        sign_in_with_password(client, learner, POST_TEST)
        assert sorted_answers(shown(client, POST_TEST).checked) == sorted_answers(data)


def test_a_token_of_another_session_keeps_nothing(app, client, learner):
    with app.app_context():
        attempt = open_attempt(client, "minimal")
        app.config["WTF_CSRF_TIME_LIMIT"] = 1
        stranger = app.test_client()
        # A signed-out browser's token: the sign-in form is a page every visitor gets.
        token = page_token(stranger, "/auth/login")
        forged = {**answers_for(attempt, right=0), "csrf_token": token}
        time.sleep(2)
        refused = client.post(POST_TEST, data=forged)
        assert refused.status_code == 400
        db.session.expire_all()
        assert db.session.get(PostTestAttempt, attempt.id).draft is None
