"""xAPI: statements reach a real LRS (Ralph), each exactly once, through an LRS restart."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from course import certificate_changes
from course.db import utcnow, write_transaction
from course.extensions import db
from course.models import (
    AuditEvent,
    Certificate,
    Course,
    LessonProgress,
    OutboxMessage,
    PostTestAttempt,
    User,
)
from course.outbox import xapi
from tests.course.certificate_kit import quick
from tests.course.factories import import_course, make_user, sign_in
from tests.course.journey import (
    answers_for,
    evaluation_form,
    finish_lessons,
    open_attempt,
    quick_retakes,
)
from tests.interop.ralph_lrs import PASSWORD, USERNAME, Ralph, ralph_python
from tests.live_servers import ROOT, app_environment, free_port

BASE = "https://ce.example.org"
ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture(scope="module")
def ralph_bin() -> Path:
    return ralph_python()


@pytest.fixture
def lrs(ralph_bin: Path, tmp_path: Path) -> Iterator[Ralph]:
    server = Ralph(python=ralph_bin, port=free_port(), home=tmp_path / "ralph")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def xapi_app(app: Flask, package_copy: Path, lrs: Ralph) -> Flask:
    app.config.update(BASE_URL=BASE, XAPI_ENABLED=True, XAPI_ENDPOINT=lrs.endpoint,
                      XAPI_USERNAME=USERNAME, XAPI_PASSWORD=PASSWORD, XAPI_BATCH=4)
    with app.app_context():
        # One learner fails, then passes: this course lets them retake at once.
        import_course(quick_retakes(quick(package_copy)))
    return app


def _learner_takes_the_course(app: Flask, name: str, *, fail_first: bool = False) -> User:
    client = app.test_client()
    with app.app_context():
        learner = make_user(full_name=name)
        sign_in(client, learner)
        client.post("/courses/minimal/enrol")
        finish_lessons(client, "minimal")
        if fail_first:
            attempt = open_attempt(client, "minimal")
            client.post("/courses/minimal/post-test", data=answers_for(attempt, right=3))
        attempt = open_attempt(client, "minimal")
        client.post("/courses/minimal/post-test", data=answers_for(attempt, right=10))
        client.post("/courses/minimal/evaluation",
                    data=evaluation_form(db.session.scalar(select(Course))))
    assert client.get("/courses/minimal/certificate").status_code == 302
    return learner


def _worker(app: Flask, tmp_path: Path) -> subprocess.Popen:
    """The outbox worker as an operator runs it: `flask xapi send --loop`, its own process."""
    env = app_environment(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "content",
                          BASE_URL=BASE, XAPI_ENABLED="1",
                          XAPI_ENDPOINT=app.config["XAPI_ENDPOINT"], XAPI_USERNAME=USERNAME,
                          XAPI_PASSWORD=PASSWORD, XAPI_BATCH="4")
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "xapi", "send", "--loop",
         "--interval", "0.3"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    process.stdout_log = log  # type: ignore[attr-defined]
    return process


def _waiting(app: Flask) -> int:
    with app.app_context():
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.channel == "xapi", OutboxMessage.sent_at.is_(None)))


def _until_sent(app: Flask, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while _waiting(app) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _waiting(app) == 0, "statements still waiting in the outbox"


def _queued(app: Flask) -> dict[str, dict]:
    with app.app_context():
        return {m.message_id: m.payload for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "xapi"))}


def test_every_statement_reaches_the_lrs_once_through_a_restart(xapi_app, lrs, tmp_path):
    worker = _worker(xapi_app, tmp_path)
    try:
        _learner_takes_the_course(xapi_app, "Ada Lovelace")
        _until_sent(xapi_app)
        before_restart = len(lrs.stored())
        assert before_restart > 10

        lrs.stop()  # the LRS goes away while learners carry on
        _learner_takes_the_course(xapi_app, "Grace Hopper", fail_first=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with xapi_app.app_context():
                if db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
                        OutboxMessage.attempts > 0)):
                    break
            time.sleep(0.3)
        assert _waiting(xapi_app) > 0
        with xapi_app.app_context():
            failing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.attempts > 0))
            assert "unreachable" in failing.last_error

        lrs.start()  # back, with the statements it had stored
        with xapi_app.app_context(), write_transaction():
            # Time passes: the back-off waits are over.
            db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                               .values(next_attempt_at=utcnow()))
        _until_sent(xapi_app)
    finally:
        worker.terminate()
        worker.wait(timeout=15)
        worker.stdout_log.close()

    queued = _queued(xapi_app)
    stored = lrs.stored()
    counts = Counter(s["id"] for s in stored)
    assert set(counts) == set(queued), "the LRS holds exactly the statements queued"
    assert max(counts.values()) == 1, "no statement stored twice"
    assert len(stored) > before_restart
    for statement in stored:
        ours = queued[statement["id"]]
        assert statement["verb"] == ours["verb"]
        assert statement["object"]["id"] == ours["object"]["id"]
        assert "mbox" not in statement["actor"]  # an account, not an email address
        assert statement["actor"]["account"]["homePage"] == BASE
    verbs = Counter(s["verb"]["id"].rsplit("/", 1)[1] for s in stored)
    assert verbs["registered"] == verbs["completed"] == verbs["earned"] == 2
    assert verbs["failed"] == 1 and verbs["passed"] == 2 and verbs["attempted"] == 3
    assert verbs["experienced"] >= 2 and verbs["answered"] >= 2


def _seconds_read(app) -> str:
    """The learner's active time over all lessons, as an xAPI duration."""
    with app.app_context():
        seconds = sum(db.session.scalars(select(LessonProgress.active_seconds)))
    return xapi.duration(seconds)


def test_statements_carry_active_time_scores_and_stable_ids(xapi_app, lrs, runner):
    _learner_takes_the_course(xapi_app, "Ada Lovelace", fail_first=True)
    sent = runner.invoke(args=["xapi", "send"])
    assert sent.exit_code == 0 and "0 failed" in sent.output, sent.output
    stored = {s["id"]: s for s in lrs.stored()}
    by_verb: dict[str, list[dict]] = {}
    for statement in stored.values():
        by_verb.setdefault(statement["verb"]["id"], []).append(statement)
    course = f"{BASE}/courses/minimal"
    lesson = by_verb[ADL + "experienced"][0]
    assert lesson["object"]["id"].startswith(f"{course}/lessons/")
    assert lesson["result"]["duration"].startswith("PT")
    assert lesson["context"]["contextActivities"]["parent"][0]["id"] == course
    failed, passed = by_verb[ADL + "failed"][0], by_verb[ADL + "passed"][0]
    assert failed["object"]["id"] == passed["object"]["id"] == f"{course}/post-test"
    assert failed["result"]["score"]["scaled"] == 0.3 and failed["result"]["success"] is False
    assert passed["result"]["score"]["scaled"] == 1.0 and passed["result"]["success"] is True
    # Which attempt each was, and the score that passes (cmi5's masteryscore, 0 to 1).
    attempt = f"{BASE}/xapi/extensions/attempt"
    assert (failed["context"]["extensions"][attempt],
            passed["context"]["extensions"][attempt]) == (1, 2)
    with xapi_app.app_context():
        passing = db.session.scalar(select(PostTestAttempt.passing_score).where(
            PostTestAttempt.number == 2))
    assert passed["context"]["extensions"][xapi.MASTERY_SCORE] == passing / 100
    starts = sorted(s["context"]["extensions"][attempt] for s in by_verb[ADL + "attempted"])
    assert starts == [1, 2]
    answered = by_verb[ADL + "answered"][0]
    assert answered["object"]["id"].startswith(f"{course}/questions/")
    assert answered["object"]["definition"]["interactionType"] == "choice"
    registrations = {s["context"]["registration"] for s in stored.values()}
    assert len(registrations) == 1  # one enrolment, one registration
    earned = by_verb["http://id.tincanapi.com/verb/earned"][0]
    assert earned["object"]["id"].startswith(f"{BASE}/verify/")
    # What a registry totals: the credit earned, and the reading time it rests on, in
    # the order the learner did them.
    extensions = earned["result"]["extensions"]
    with xapi_app.app_context():
        hours = db.session.scalar(select(Certificate)).snapshot["contact_hours"]
    assert extensions[f"{BASE}/xapi/extensions/contact-hours"] == float(hours) > 0
    assert extensions[f"{BASE}/xapi/extensions/credit-type"]
    code = extensions[f"{BASE}/xapi/extensions/certificate-code"]
    assert earned["object"]["id"].endswith(code)
    (completed,) = by_verb[ADL + "completed"]
    assert completed["result"]["duration"] == _seconds_read(xapi_app)
    assert earned["timestamp"] >= completed["timestamp"]

    # A revocation voids the "earned" statement; the LRS hides it from then on.
    with xapi_app.app_context():
        certificate = db.session.scalar(select(Certificate))
        admin = make_user()
        with write_transaction():
            certificate_changes.revoke(certificate, admin, "Completion recorded in error")
    assert "1 sent" in runner.invoke(args=["xapi", "send"]).output
    voiding = [s for s in lrs.stored() if s["verb"]["id"] == ADL + "voided"]
    assert voiding[0]["object"] == {"objectType": "StatementRef", "id": earned["id"]}

    # Sending again changes nothing; a resend of the range is taken once more, not twice.
    count = len(lrs.stored())
    assert runner.invoke(args=["xapi", "send"]).output.startswith("Nothing was due;")
    today = utcnow().strftime("%Y-%m-%d")
    assert "queued again" in runner.invoke(args=["xapi", "resend", "--since", today]).output
    with xapi_app.app_context():
        (requeued,) = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "xapi.requeued")
        )
        assert requeued.detail["via"] == "command line"
        assert requeued.detail["since"] == requeued.detail["until"] == today
    assert "0 failed" in runner.invoke(args=["xapi", "send"]).output
    assert len(lrs.stored()) == count


def test_nothing_is_queued_while_statements_are_off(app, package_copy):
    app.config.update(XAPI_ENABLED=False, XAPI_ENDPOINT="http://127.0.0.1:9/xAPI/")
    with app.app_context():
        import_course(quick(package_copy))
    _learner_takes_the_course(app, "Ada Lovelace")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_an_e_mail_actor_only_when_the_provider_allows_it(xapi_app, lrs, runner):
    xapi_app.config["XAPI_ACTOR_EMAIL"] = True
    learner = _learner_takes_the_course(xapi_app, "Ada Lovelace")
    runner.invoke(args=["xapi", "send"])
    actors = {str(s["actor"].get("mbox")) for s in lrs.stored()}
    assert actors == {f"mailto:{learner.email}"}
