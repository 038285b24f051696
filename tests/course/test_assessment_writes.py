"""Post-test, evaluation and certificate: reading, grading and rendering happen outside
the write transaction, so other learners' saves never wait for them, and what changed in
between is checked again before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

import certificates
from course.extensions import db
from course.learn import assessment, evaluation, posttest
from course.models import (
    AttemptAnswer,
    Certificate,
    Course,
    EvaluationItem,
    EvaluationResponse,
    PostTestAttempt,
    User,
)
from tests.course.factories import (
    write_elsewhere_without_waiting,
)
from tests.course.journey import answers_for, evaluation_form, open_attempt

SLUG = "minimal"


def _another_learner_saves(saved: list[str]) -> Callable[[], None]:
    def save() -> None:
        # Any row will do: on SQLite every write needs the one write lock.
        statement = update(User).where(User.id == 1).values(profession="Social worker")
        write_elsewhere_without_waiting(statement)
        saved.append("saved")

    return save


def _then(original: Callable, action: Callable[[], None]) -> Callable:
    """Wrap ``original`` so that ``action`` runs once, after its first call."""
    calls = []

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        if not calls:
            calls.append(1)
            action()
        return result

    return wrapper


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _attempt_id(page: str) -> int:
    return int(re.search(r'name="attempt"[^>]*value="(\d+)"', page)[1])


def test_other_writers_are_not_held_up_while_the_post_test_page_reads(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        drawn = open_attempt(ready, SLUG).id
    saved: list[str] = []
    progress = _then(assessment.course_progress, _another_learner_saves(saved))
    monkeypatch.setattr(assessment, "course_progress", progress)
    page = ready.get(f"/courses/{SLUG}/post-test")
    assert page.status_code == 200
    assert _attempt_id(page.get_data(as_text=True)) == drawn  # the same stored draw
    assert saved == ["saved"]


def test_two_tabs_opening_the_post_test_at_once_share_one_draw(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ready.session_transaction() as session:
        cookie = dict(session)
    second_tab = app.test_client()
    with second_tab.session_transaction() as session:
        session.update(cookie)
    pages: list[str] = []

    def second_tab_opens_it() -> None:
        pages.append(second_tab.get(f"/courses/{SLUG}/post-test").get_data(as_text=True))

    # The first tab has seen "no attempt yet" when the second tab draws one.
    state = _then(assessment.post_test_state, second_tab_opens_it)
    monkeypatch.setattr(assessment, "post_test_state", state)
    first = ready.get(f"/courses/{SLUG}/post-test").get_data(as_text=True)
    assert _attempt_id(first) == _attempt_id(pages[0])
    with app.app_context():
        assert _count(PostTestAttempt) == 1


def test_a_tab_that_opens_the_post_test_as_another_passes_it_shows_the_pass(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def second_tab_takes_and_passes_it() -> None:
        monkeypatch.undo()
        with app.app_context():
            attempt = open_attempt(ready, SLUG)
            ready.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=10))

    state = _then(assessment.post_test_state, second_tab_takes_and_passes_it)
    monkeypatch.setattr(assessment, "post_test_state", state)
    page = ready.get(f"/courses/{SLUG}/post-test", follow_redirects=True)
    assert page.request.path == f"/courses/{SLUG}/post-test/attempts/1"
    assert "You passed" in page.get_data(as_text=True)
    with app.app_context():
        assert _count(PostTestAttempt) == 1  # no new, never-submitted attempt after the pass


def test_other_writers_are_not_held_up_while_a_post_test_is_graded(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        data = answers_for(open_attempt(ready, SLUG), right=9)
    saved: list[str] = []
    monkeypatch.setattr(
        posttest, "grade", _then(posttest.grade, _another_learner_saves(saved))
    )
    response = ready.post(f"/courses/{SLUG}/post-test", data=data)
    assert response.status_code == 303
    assert saved == ["saved"]
    with app.app_context():
        attempt = db.session.scalar(select(PostTestAttempt))
        assert (attempt.correct_count, attempt.passed) == (9, True)
        assert _count(AttemptAnswer) == 10


def test_a_submit_that_lost_the_race_to_another_tab_records_nothing_more(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context():
        attempt = open_attempt(ready, SLUG)
        passing, failing = answers_for(attempt, right=10), answers_for(attempt, right=0)
    second_tab_submits = _then(
        posttest.grade_attempt,
        lambda: monkeypatch.undo() or ready.post(f"/courses/{SLUG}/post-test", data=passing),
    )
    monkeypatch.setattr(posttest, "grade_attempt", second_tab_submits)
    # This tab graded its (failing) answers, then the other tab's passing submit landed.
    response = ready.post(f"/courses/{SLUG}/post-test", data=failing)
    assert response.status_code == 303
    with app.app_context():
        stored = db.session.scalar(select(PostTestAttempt))
        assert (stored.correct_count, stored.passed) == (10, True)
        assert _count(AttemptAnswer) == 10


def _passed(app: Flask, client: FlaskClient) -> dict[str, str]:
    with app.app_context():
        attempt = open_attempt(client, SLUG)
        client.post(f"/courses/{SLUG}/post-test", data=answers_for(attempt, right=10))
        return evaluation_form(db.session.scalar(select(Course)))


def test_other_writers_are_not_held_up_while_the_certificate_pdf_renders(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _passed(app, ready)
    saved: list[str] = []
    render = _then(certificates.render_pdf, _another_learner_saves(saved))
    monkeypatch.setattr(certificates, "render_pdf", render)
    response = ready.post(f"/courses/{SLUG}/evaluation", data=form)
    assert response.status_code == 303
    assert saved == ["saved"]
    with app.app_context():
        certificate = db.session.scalar(select(Certificate))
        assert certificate is not None and certificate.pdf.startswith(b"%PDF")


def test_an_evaluation_changed_while_it_was_answered_asks_again_and_stores_nothing(
    app: Flask, ready: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    form = _passed(app, ready)

    def author_lowers_the_maximum() -> None:
        statement = (
            update(EvaluationItem).where(EvaluationItem.type == "number").values(maximum=10)
        )
        write_elsewhere_without_waiting(statement)

    # The page's own check passes; the check inside the write transaction sees the change.
    check = _then(evaluation.validate_evaluation, author_lowers_the_maximum)
    monkeypatch.setattr(evaluation, "validate_evaluation", check)
    response = ready.post(f"/courses/{SLUG}/evaluation", data=form)
    assert response.status_code == 422
    assert "The evaluation changed while you were answering it." in response.get_data(as_text=True)
    with app.app_context():
        assert _count(EvaluationResponse) == 0 and _count(Certificate) == 0
    monkeypatch.undo()
    fixed = {**form, **{k: "5" for k, v in form.items() if v == "55"}}
    assert ready.post(f"/courses/{SLUG}/evaluation", data=fixed).status_code == 303
