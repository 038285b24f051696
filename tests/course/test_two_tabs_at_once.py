"""Two tabs of one learner writing at once, on two real connections: one request is held
after a check while the other tab's request runs, then goes on to its write.

On SQLite a request held inside its write transaction makes the other tab's write wait
for it; PostgreSQL lets both run, so what the held one checked may be out of date when it
writes. Each test runs on either database (PostgreSQL with TEST_DATABASE_URL).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from course.db import utcnow
from course.extensions import db
from course.learn.evaluation import NameNeeded
from course.models import Course, PostTestAttempt, User
from course.names import LMS_STAND_IN_NAME
from course.privacy.export import export_user_data
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
    without_minimum_time,
)

SLUG = "minimal"
POST_TEST = f"/courses/{SLUG}/post-test"
EVALUATION = f"/courses/{SLUG}/evaluation"


def _race(app: Flask, held: Callable[[], object], after: str, other: Callable[[], object]):
    """Run ``held`` until its first statement that contains ``after``, hold it there while
    ``other`` runs to its end (on SQLite, while ``other`` waits for the lock: briefly),
    then let it go on; return what each returned."""
    with app.app_context():
        engine, sqlite = db.engine, db.engine.dialect.name == "sqlite"
    checked, done, outcomes = threading.Event(), threading.Event(), {}

    def hold(conn, cursor, statement: str, *args) -> None:
        if threading.current_thread().name != "held" or checked.is_set():
            return
        if after in statement:
            checked.set()
            done.wait(0.5 if sqlite else 10)  # SQLite: the other tab waits for this one

    def run(name: str, action: Callable[[], object]) -> None:
        try:
            if name == "other":
                assert checked.wait(10), "the held request never reached its check"
            outcomes[name] = action()
        finally:
            done.set()

    event.listen(engine, "after_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run, args=(name, action), name=name)
                   for name, action in (("held", held), ("other", other))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        event.remove(engine, "after_cursor_execute", hold)
    assert checked.is_set() and set(outcomes) == {"held", "other"}, outcomes
    return outcomes["held"], outcomes["other"]


@contextmanager
def _two_tabs(
    app: Flask, package_dir: Path, **options: object
) -> Iterator[tuple[FlaskClient, FlaskClient]]:
    """A learner at the post-test (with these post-test options) in two signed-in tabs."""
    manifest = package_dir / "course.yaml"
    block = "post_test:\n  draw: 10\n"
    extra = "".join(f"  {key}: {value}\n" for key, value in options.items())
    manifest.write_text(manifest.read_text().replace(block, block + extra))
    with app.app_context():
        import_course(without_minimum_time(package_dir))
        user = make_user()
        tab = sign_in(app.test_client(), user)
        tab.post(f"/courses/{SLUG}/enrol")
        finish_lessons(tab, SLUG)
        yield tab, sign_in(app.test_client(), db.session.get(User, user.id))


def _sends_an_attempt(app: Flask, tab: FlaskClient, right: int) -> Callable[[], int]:
    """Open the post-test in ``tab`` and send it with ``right`` answers right."""

    def send() -> int:
        with app.app_context():
            attempt = open_attempt(tab, SLUG)
            return tab.post(POST_TEST, data=answers_for(attempt, right=right)).status_code

    return send


@pytest.mark.parametrize(("options", "refusal"), [
    ({"max_attempts": 2, "retake_wait_minutes": 0}, "used all 2 attempts"),
    ({"max_attempts": 0, "retake_wait_minutes": 10}, "again in about 10 minutes"),
])
def test_a_draw_overtaken_by_another_tabs_attempt_keeps_the_cap_and_the_wait(
    app: Flask, package_copy: Path, options: dict, refusal: str
) -> None:
    """The draw has checked the cap and the wait; before it stores its attempt, another
    tab draws one and sends it. On PostgreSQL the attempt's number, taken by the other
    tab's, refuses the stale draw."""
    with _two_tabs(app, package_copy, **options) as (this_tab, other_tab):
        _sends_an_attempt(app, this_tab, right=0)()
        db.session.execute(  # the first attempt's wait is over
            update(PostTestAttempt).values(submitted_at=utcnow() - timedelta(minutes=11)))
        db.session.commit()
    drawn, sent = _race(app, lambda: this_tab.get(POST_TEST).status_code,
                        "max(post_test_attempt.submitted_at)",
                        _sends_an_attempt(app, other_tab, right=0))
    assert sent == 303
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    # SQLite: drawn first, under the lock, and answered by the other tab. PostgreSQL: the
    # other tab's attempt took the number, and the stale draw goes back to the page.
    assert drawn == (200 if sqlite else 302)
    refused = this_tab.get(POST_TEST)
    assert refused.status_code == 403 and refusal in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PostTestAttempt)) == 2


@pytest.mark.parametrize("held", ["save", "submit"])
def test_evaluation_answers_saved_while_another_tab_submits_are_not_kept_after_it(
    app: Flask, package_copy: Path, held: str
) -> None:
    """One tab's page saves the answers while another tab submits them; either has
    checked that the evaluation is not yet stored when the other runs. Answers kept after
    the evaluation stored them would say, in the learner's data download, that they were
    never sent."""
    with _two_tabs(app, package_copy) as (this_tab, other_tab):
        _sends_an_attempt(app, this_tab, right=10)()
        form = evaluation_form(db.session.scalar(select(Course)))
    save = lambda: this_tab.post(f"{EVALUATION}/save", data=form).status_code  # noqa: E731
    submit = lambda: other_tab.post(EVALUATION, data=form).status_code  # noqa: E731
    first, second = (save, submit) if held == "save" else (submit, save)
    _race(app, first, "FROM evaluation_response", second)
    with app.app_context():
        (enrolment,) = export_user_data(db.session.scalar(select(User)))["enrollments"]
    assert enrolment["completed_at"] and enrolment["evaluation"]
    assert enrolment["evaluation_saved_answers"] is None  # kept only until it is sent


def test_an_evaluation_sent_with_a_gap_as_another_tab_sends_it_whole_says_it_counted(
    app: Flask, package_copy: Path
) -> None:
    """One tab sends the evaluation with a question left empty, just as another tab sends
    it complete. Keeping the first tab's answers for later is refused (the evaluation is
    stored); the learner is told it counted once, not shown an error page."""
    with _two_tabs(app, package_copy) as (this_tab, other_tab):
        _sends_an_attempt(app, this_tab, right=10)()
        form = evaluation_form(db.session.scalar(select(Course)))
    likert = next(key for key, value in form.items() if value == "4")  # a required one
    with_a_gap = {key: value for key, value in form.items() if key != likert}
    sent_with_gap, sent = _race(app, lambda: this_tab.post(EVALUATION, data=with_a_gap),
                                "FROM evaluation_response",
                                lambda: other_tab.post(EVALUATION, data=form).status_code)
    assert sent == 303
    assert sent_with_gap.status_code == 302
    assert sent_with_gap.location.endswith(f"/courses/{SLUG}/certificate")
    page = this_tab.get(sent_with_gap.location, follow_redirects=True).get_data(as_text=True)
    assert "It counted once" in page


def test_an_evaluation_held_for_the_name_as_another_tab_sends_it_says_it_counted(
    app: Flask, package_copy: Path
) -> None:
    """A learner whose learning system shared no name sends the evaluation: it is refused
    until they give one, and their answers are to be kept. Before they are, another tab,
    where the name was just given, sends it. Keeping the answers is refused (the
    evaluation is stored); the learner is told it counted, not shown an error page."""
    with _two_tabs(app, package_copy) as (this_tab, other_tab):
        _sends_an_attempt(app, this_tab, right=10)()
        form = evaluation_form(db.session.scalar(select(Course)))
        user_id = db.session.scalar(select(User.id))
        db.session.execute(update(User).values(full_name=LMS_STAND_IN_NAME))
        db.session.commit()
    sent_meanwhile = []

    def other_tab_sends(session: Session) -> None:
        # Once, as the first tab's refused submit is rolled back for want of a name.
        if sent_meanwhile or not isinstance(sys.exc_info()[1], NameNeeded):
            return

        def give_name_and_send() -> None:
            with app.app_context():
                db.session.execute(
                    update(User).where(User.id == user_id).values(full_name="Pat Lee"))
                db.session.commit()
            sent_meanwhile.append(other_tab.post(EVALUATION, data=form).status_code)

        thread = threading.Thread(target=give_name_and_send)
        thread.start()
        thread.join(30)

    event.listen(Session, "after_rollback", other_tab_sends)
    try:
        sent = this_tab.post(EVALUATION, data=form)
    finally:
        event.remove(Session, "after_rollback", other_tab_sends)
    assert sent_meanwhile == [303]
    assert sent.status_code == 302
    assert sent.location.endswith(f"/courses/{SLUG}/certificate")
    page = this_tab.get(sent.location, follow_redirects=True).get_data(as_text=True)
    assert "It counted once" in page
