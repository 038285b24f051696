"""Statements an LRS refuses for good stop being retried, and its Retry-After is heeded."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text, update

from course import create_app
from course.db import utcnow
from course.extensions import db
from course.models import OutboxMessage, Role
from course.outbox import worker
from tests.course.factories import make_user, sign_in
from tests.course.journey import plain
from tests.course.test_outbox_lrs import _queue, _statement, strict_lrs  # noqa: F401

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
BEFORE = "e4b7c2a9d1f6"
AFTER = "b3e7d91c5a26"


def _pass_when_due(app) -> worker.SendReport:
    """Run one worker pass with every unsent message due, as time passing would make it."""
    with app.app_context():
        db.session.execute(update(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
                           .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        return worker.send_due(["xapi"])


def _row(app, message_id: str) -> OutboxMessage:
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage)
                                .where(OutboxMessage.message_id == message_id))
        db.session.expunge(row)
        return row


def test_a_statement_the_lrs_cannot_read_is_settled_as_refused_after_a_few_tries(
    app, runner, strict_lrs  # noqa: F811
):
    good, unreadable = _statement(), _statement()
    del unreadable["actor"]  # the LRS answers 422, as Ralph does, every time
    with app.app_context():
        _queue(good, unreadable)
    for _ in range(worker.REFUSALS_TO_SETTLE - 1):
        assert _pass_when_due(app).failed == {"xapi": 1}
    row = _row(app, unreadable["id"])
    assert row.sent_at is None and row.refusals == worker.REFUSALS_TO_SETTLE - 1
    assert "xapi: 0 waiting, 1 failing, 1 sent" in runner.invoke(
        args=["outbox", "status"]).output

    with app.app_context():
        db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        db.session.commit()
    sent = runner.invoke(args=["outbox", "send"]).output
    assert "xapi: 0 sent, 0 failed, 1 refused for good (not retried)" in sent
    row = _row(app, unreadable["id"])
    assert row.sent_at is not None and row.refused
    assert row.last_error.startswith(
        f"refused by the LRS {worker.REFUSALS_TO_SETTLE} times, not tried again: "
        "LRS answered HTTP 422")
    assert "Field required" in row.last_error  # the LRS's own reason

    posts = strict_lrs.posts
    assert _pass_when_due(app).failed == {}  # nothing left to try
    assert strict_lrs.posts == posts
    status = runner.invoke(args=["outbox", "status"]).output
    assert "xapi: 0 waiting, 0 failing, 1 sent, 1 refused" in status
    assert f"    {unreadable['id']}: refused by the LRS 5 times" in status
    assert "Field required" in status


def test_a_bad_request_is_refused_for_good_too(app, runner, strict_lrs):  # noqa: F811
    strict_lrs.answer = (400, {}, {"message": "Invalid statement: verb.id is not an IRI"})
    statement = _statement()
    with app.app_context():
        _queue(statement)
    for _ in range(worker.REFUSALS_TO_SETTLE):
        _pass_when_due(app)
    row = _row(app, statement["id"])
    assert row.refused and "HTTP 400" in row.last_error and "not an IRI" in row.last_error


def test_the_admin_overview_shows_refused_statements(app, client, strict_lrs):  # noqa: F811
    strict_lrs.answer = (422, {}, {"detail": "timestamp is not a date"})
    with app.app_context():
        admin = make_user(Role.ADMIN)
        _queue(_statement())
    sign_in(client, admin)
    for _ in range(worker.REFUSALS_TO_SETTLE):
        _pass_when_due(app)
    page = plain(client.get("/admin/").get_data(as_text=True))
    assert ("Statements to the learning record store (xAPI): 0 waiting, 0 sent, 1 refused "
            "for good (not sent again). The newest refusal: refused by the LRS 5 times") in page
    assert "timestamp is not a date" in page


@pytest.mark.parametrize("status", [401, 403, 404, 405, 408, 409, 429, 500, 503])
def test_answers_that_may_change_are_retried_without_end(app, strict_lrs,  # noqa: F811
                                                         status):
    strict_lrs.answer = (status, {}, {"message": "not now"})
    statement = _statement()
    with app.app_context():
        _queue(statement)
    for _ in range(worker.REFUSALS_TO_SETTLE + 2):
        _pass_when_due(app)
    row = _row(app, statement["id"])
    assert row.sent_at is None and row.refusals == 0
    assert row.attempts == worker.REFUSALS_TO_SETTLE + 2


def test_a_statement_refused_once_and_then_stored_counts_as_sent(app, runner,
                                                                 strict_lrs):  # noqa: F811
    strict_lrs.answer = (400, {}, {"message": "a proxy in front of the LRS misbehaved"})
    statement = _statement()
    with app.app_context():
        _queue(statement)
    _pass_when_due(app)
    strict_lrs.answer = None
    _pass_when_due(app)
    row = _row(app, statement["id"])
    assert row.sent_at is not None and not row.refused and row.last_error is None
    assert "xapi: 0 waiting, 0 failing, 1 sent\n" in runner.invoke(
        args=["outbox", "status"]).output


def _waited(app, message_id: str) -> float:
    row = _row(app, message_id)
    return (row.next_attempt_at - utcnow()).total_seconds()


@pytest.mark.parametrize(
    ("status", "retry_after", "low", "high"),
    [(429, "120", 110, 121),
     (503, "in ten minutes", 590, 601),  # an HTTP date, filled in below
     (503, "86400", 3590, 3601),  # capped at the longest back-off
     (429, "", 20, 37)],  # none given: the first back-off, 30 s with jitter
    ids=["seconds", "http-date", "capped", "none"],
)
def test_retry_after_sets_the_next_try(app, strict_lrs, status, retry_after,  # noqa: F811
                                       low, high):
    if retry_after == "in ten minutes":
        retry_after = format_datetime(utcnow() + timedelta(seconds=600), usegmt=True)
    strict_lrs.answer = (status, {"Retry-After": retry_after} if retry_after else {}, None)
    statement = _statement()
    with app.app_context():
        _queue(statement)
        assert worker.send_due(["xapi"]).failed == {"xapi": 1}
    assert low <= _waited(app, statement["id"]) <= high


def test_the_refusals_migration_upgrades_and_downgrades(tmp_path):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision=BEFORE)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO outbox_message (channel, message_id, payload, created_at,"
                " attempts, next_attempt_at) VALUES ('xapi', 'm1', '{}', CURRENT_TIMESTAMP,"
                " 3, CURRENT_TIMESTAMP)"))
        upgrade(directory=str(MIGRATIONS), revision=AFTER)
        with db.engine.connect() as conn:
            assert conn.execute(text(
                "SELECT message_id, attempts, refusals FROM outbox_message")).all() == [
                ("m1", 3, 0)]
        downgrade(directory=str(MIGRATIONS), revision=BEFORE)
        with db.engine.connect() as conn:
            columns = {row[1] for row in conn.execute(text("PRAGMA table_info(outbox_message)"))}
            assert "refusals" not in columns and "attempts" in columns
            assert conn.execute(text("SELECT count(*) FROM outbox_message")).scalar() == 1
        db.engine.dispose()
