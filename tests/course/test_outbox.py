"""The outbox: messages claimed once at a time, retried with growing waits, counted."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from course.db import utcnow
from course.extensions import db
from course.models import OutboxMessage
from course.outbox import worker, xapi


def _queue(count: int, channel: str = "lti") -> None:
    now = utcnow()
    for _ in range(count):
        db.session.add(OutboxMessage(channel=channel, message_id=str(uuid.uuid4()),
                                     payload={}, created_at=now, next_attempt_at=now))
    db.session.commit()


def test_two_workers_never_claim_the_same_message(app):
    with app.app_context():
        _queue(5)
        now = utcnow()
        first = worker.claim("lti", 3, now)
        second = worker.claim("lti", 10, now)
        third = worker.claim("lti", 10, now)
        assert len(first) == 3 and len(second) == 2 and third == []
        assert not {m.id for m in first} & {m.id for m in second}
        # A claim lapses: a worker that died mid-send leaves its messages to the next.
        later = worker.claim("lti", 10, now + worker.LEASE + timedelta(seconds=1))
        assert len(later) == 5


def test_failures_wait_longer_each_time_up_to_an_hour():
    waits = [worker.backoff(n).total_seconds() for n in range(1, 12)]
    assert 24 <= waits[0] <= 36
    assert all(later > earlier * 1.3 for earlier, later in zip(waits[:5], waits[1:6], strict=True))
    assert max(waits) <= 3600 * 1.2


def test_a_failed_message_is_kept_with_its_error_and_a_later_try(app):
    with app.app_context():
        _queue(1)
        message = worker.claim("lti", 1, utcnow())[0]
        worker.settle([message], "HTTP 503")
        stored = db.session.scalar(select(OutboxMessage))
        assert stored.sent_at is None and stored.attempts == 1
        assert stored.last_error == "HTTP 503"
        assert stored.next_attempt_at > utcnow() + timedelta(seconds=20)
        assert worker.claim("lti", 1, utcnow()) == []


def test_status_counts_what_waits_fails_and_went(app, runner):
    assert "empty" in runner.invoke(args=["outbox", "status"]).output
    with app.app_context():
        _queue(3)
        sent, failed, _ = worker.claim("lti", 3, utcnow())
        worker.settle([sent], None)
        worker.settle([failed], "timeout")
    output = runner.invoke(args=["outbox", "status"]).output
    assert "lti: 1 waiting, 1 failing, 1 sent" in output


def test_status_check_fails_once_a_due_message_waits_ten_minutes_untried(app, runner):
    with app.app_context():
        _queue(1)
    assert runner.invoke(args=["outbox", "status", "--check"]).exit_code == 0  # just queued
    with app.app_context():
        long_ago = utcnow() - timedelta(minutes=11)
        db.session.execute(update(OutboxMessage).values(next_attempt_at=long_ago))
        # Statements with no LRS set wait by design: the missing setting is the news.
        _queue(1, channel="xapi")
        db.session.execute(update(OutboxMessage).values(next_attempt_at=long_ago))
        db.session.commit()
    result = runner.invoke(args=["outbox", "status", "--check"])
    assert result.exit_code == 1
    assert ("lti: 1 waiting, 0 failing, 0 sent\n  OVERDUE: a message due 11 minutes ago has "
            "not been tried; check that the outbox worker runs") in result.output
    assert "xapi: 1 waiting, 0 failing, 0 sent\n  none is sent until XAPI_ENDPOINT" in result.output
    # Once the worker takes it (here: sends it), the check passes and says when.
    with app.app_context():
        worker.settle(worker.claim("lti", 1, utcnow()), None)
    result = runner.invoke(args=["outbox", "status", "--check"])
    assert result.exit_code == 0
    assert "lti: 0 waiting, 0 failing, 1 sent\n  last sent 20" in result.output


def test_an_lms_accounts_stand_in_address_is_never_the_statements_actor():
    # With XAPI_ACTOR_EMAIL on, a learner is their address; an LMS account's ".invalid"
    # stand-in would name someone no one in the LRS can find, so the account is used.
    site = "https://ce.example.org"
    launched = xapi.Learner(user_id=7, name="Jordan Rivera", email="lti-1-0a1b@lti.invalid")
    assert xapi.actor(launched, site) == {
        "objectType": "Agent", "name": "Jordan Rivera",
        "account": {"homePage": site, "name": "7"},
    }
    signed_up = xapi.Learner(user_id=8, name="Ana Ruiz", email="ana@example.org")
    assert xapi.actor(signed_up, site)["mbox"] == "mailto:ana@example.org"


def test_an_lms_learners_statements_name_their_lms_accounts_until_dropped():
    site = "https://ce.example.org"
    course = xapi.CourseRef(base_url=site, slug="running", title="Running", version=1,
                            enrolment_id=3, site_name="CE")
    learner = xapi.Learner(user_id=7, name="Jordan Rivera",
                           lms_accounts=(("https://lms.agency.example", "u-17"),))
    body = xapi.statement("attempted", learner, course, xapi.course_activity(course),
                          utcnow(), extensions=xapi.attempt_context(site, 2, None))
    key = f"{site}/xapi/extensions/lms-accounts"
    assert body["context"]["extensions"][key] == [
        {"homePage": "https://lms.agency.example", "name": "u-17"}]
    assert body["actor"]["account"] == {"homePage": site, "name": "7"}  # the actor stays
    # Dropped (an account deleted), the statement keeps everything else it said.
    dropped = xapi.without_lms_accounts(body, site)
    assert dropped["context"]["extensions"] == {f"{site}/xapi/extensions/attempt": 2}
    assert key in body["context"]["extensions"]  # the stored copy is replaced, not edited
    plain = xapi.statement("launched", xapi.Learner(user_id=8, name="Ana Ruiz"), course,
                           xapi.course_activity(course), utcnow())
    assert "extensions" not in plain["context"]
    assert xapi.without_lms_accounts(plain, site) is plain
