"""A long database lock held by another process: saves fail fast and keep the learner's
input, reading goes on, and the health check says the database cannot take a write."""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from course import mail
from course import sqlite as course_sqlite
from course.extensions import db
from course.learn import services as learn_services
from course.models import Course, OutgoingMail, PostTestAttempt
from tests.course.factories import make_user
from tests.course.journey import answers_for, open_attempt

# Another program with the database open: an operator's sqlite3 shell, a restore, a
# long migration. It takes SQLite's write lock and keeps it until told to let go.
HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()  # until the test lets go, or its end of the pipe closes
conn.execute("ROLLBACK")
"""
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)" id="try-again">')


@pytest.fixture(autouse=True)
def sqlite_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's file lock; PostgreSQL locks rows, not the database")


@contextmanager
def lock_held_elsewhere(app: Flask) -> Iterator[None]:
    """Hold SQLite's write lock from another process for the duration of the block."""
    with app.app_context():
        path = db.engine.url.database
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(10)
        holder.stdout.close()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How long each attempt to write may wait for SQLite's lock, in ms: what the app asks
    SQLite for, not wall time, which a loaded machine stretches."""
    asked: list[int] = []
    set_timeout = course_sqlite._set_busy_timeout
    monkeypatch.setattr(
        course_sqlite,
        "_set_busy_timeout",
        lambda conn, ms: (asked.append(ms), set_timeout(conn, ms))[1],
    )
    return asked


def timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def first_lesson():
    return db.session.scalar(select(Course).where(Course.slug == "minimal")).live_lessons[0]


def resent_fields(page: str) -> tuple[str, list[tuple[str, str]]]:
    """The busy page's "Try again" form: where it posts and the fields it sends again."""
    found = FORM_ACTION.search(page)
    form = page[found.end() : page.index("</form>", found.end())]
    fields = [(html.unescape(n), html.unescape(v)) for n, v in HIDDEN.findall(form)]
    return html.unescape(found[1]), fields


def test_a_post_test_sent_during_a_long_lock_is_refused_quickly_and_kept(
    app: Flask, ready: FlaskClient, waits: list[int]
) -> None:
    with app.app_context():
        attempt = open_attempt(ready, "minimal")
        answers = answers_for(attempt, right=len(attempt.draw))
    sent = sorted((name, value) for name, values in answers.items() for value in values)
    waits.clear()  # the attempt was opened while nothing held the lock
    with lock_held_elsewhere(app):
        first, waited = timed(lambda: ready.post("/courses/minimal/post-test", data=answers))
        first_waits, waits[:] = list(waits), []
        again = ready.post("/courses/minimal/post-test", data=answers)
    # Before: "Something went wrong" after the 15 s busy timeout, or a 29.5 s wait.
    assert first.status_code == 503 and waited < 10
    assert first_waits == [app.config["SQLITE_BUSY_TIMEOUT_MS"]]
    assert first.headers["Retry-After"] == "5" and "no-store" in first.headers["Cache-Control"]
    # A second save soon after does not wait the whole time again: the process knows.
    assert again.status_code == 503 and waits == [course_sqlite.BUSY_RETRY_MS], waits
    page = first.get_data(as_text=True)
    assert "Busy, please try again" in page and "Nothing was lost" in page
    action, fields = resent_fields(page)
    assert action == "/courses/minimal/post-test" and sorted(fields) == sent
    with app.app_context():
        assert db.session.get(PostTestAttempt, attempt.id).submitted_at is None

    # The lock is gone: "Try again" sends the same answers, and they are recorded once.
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    retried = ready.post(action, data=data)
    assert retried.status_code == 303 and "/post-test/attempts/1" in retried.location
    with app.app_context():
        stored = db.session.get(PostTestAttempt, attempt.id)
        assert stored.submitted_at is not None and stored.passed


def test_pages_that_only_read_are_served_while_the_lock_is_held(
    app: Flask, ready: FlaskClient, monkeypatch, waits: list[int]
) -> None:
    # A lesson view that would record reading time (once a minute) still shows the lesson.
    monkeypatch.setattr(learn_services, "needs_touch", lambda *args, **kwargs: True)
    with app.app_context():
        lesson_url = "/courses/minimal/lessons/" + first_lesson().slug
    with lock_held_elsewhere(app):
        for url in ("/", "/courses/minimal", lesson_url, "/me"):
            waits.clear()
            response = ready.get(url)
            assert response.status_code == 200, url
            # Never sat out the 2 s write wait: at most the brief one for reading time.
            assert all(ms <= course_sqlite.BUSY_RETRY_MS for ms in waits), (url, waits)
            if url == lesson_url:
                assert waits, "the lesson page tried to record reading time"
    assert app.config["SQLITE_BUSY_TIMEOUT_MS"] > course_sqlite.BUSY_RETRY_MS


def test_an_answer_sent_by_the_page_script_gets_a_json_busy_answer(
    app: Flask, ready: FlaskClient
) -> None:
    with app.app_context():
        lesson = first_lesson()
        check = lesson.live_checks[0]
        url = f"/courses/minimal/lessons/{lesson.slug}/checks/{check.key}"
    with lock_held_elsewhere(app):
        response = ready.post(
            url, data={"choice": ["1"]}, headers={"Accept": "application/json"}
        )
    assert response.status_code == 503
    assert response.get_json() == {"error": "busy", "retry_after": 5}


def test_a_sign_in_during_the_lock_keeps_the_address_but_never_the_password(
    app: Flask, client: FlaskClient
) -> None:
    with app.app_context():
        make_user(email="busy@example.com")
    with lock_held_elsewhere(app):
        response = client.post(
            "/auth/login", data={"email": "busy@example.com", "password": "password-for-tests"}
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    _, fields = resent_fields(page)
    assert ("email", "busy@example.com") in fields
    assert not any("password" in name for name, _ in fields)
    assert "password-for-tests" not in page and "type it once more" in page


def test_the_health_check_reports_a_database_that_cannot_take_a_write(
    app: Flask, client: FlaskClient
) -> None:
    with lock_held_elsewhere(app):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "busy"}
    healthy = {"status": "ok", "database": "ok", "rate_limits": "off"}
    assert client.get("/healthz").get_json() == healthy


def test_the_mail_sender_reads_its_outbox_without_the_write_lock(
    app: Flask, inbox, waits: list[int]
) -> None:
    """An operator's long lock (or a queue of learners' saves) does not hold up the sender
    finding there is nothing to send; only a message it claims waits for the lock."""
    mail.sender_for(app).stop()  # this test sends, not the background thread
    with app.app_context(), lock_held_elsewhere(app):
        started = time.monotonic()
        assert mail.deliver_due() is None
        assert waits == [] and time.monotonic() - started < 2
    with app.app_context():
        db.session.add(OutgoingMail(to_address="ana@example.com", subject="Hello", body="B"))
        db.session.commit()
        waits.clear()
        assert mail.deliver_due() is None  # sent, and nothing left to send
    assert waits, "the claim and the delivery's record took the write lock"
    assert [m["Subject"] for m in inbox.messages] == ["Hello"]
