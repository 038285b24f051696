"""The purge removes outbox messages delivered long ago, and nothing anyone still reads."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from course import certificate_changes
from course.db import utcnow
from course.extensions import db
from course.lti import ags
from course.models import (
    AuditEvent,
    Certificate,
    LtiGradeTarget,
    LtiPlatform,
    OutboxMessage,
    Role,
)
from course.outbox import worker
from course.privacy.retention import RetentionPolicy, RetentionSettingError, _delivered_before
from tests.course.factories import PASSWORD, import_course, make_user
from tests.course.test_maintenance import complete_course, package, snapshot  # noqa: F401

XAPI_ON = {"XAPI_ENABLED": True, "XAPI_ENDPOINT": "http://127.0.0.1:9/xapi"}


def _message(channel: str = "xapi", *, days_ago: int = 0, sent: bool = True,
             **fields: object) -> int:
    """Queue one message ``days_ago`` days ago, delivered then unless ``sent`` is False."""
    when = utcnow() - timedelta(days=days_ago)
    message = OutboxMessage(channel=channel, message_id=str(uuid.uuid4()),
                            payload=fields.pop("payload", {}),
                            created_at=when, next_attempt_at=when,
                            sent_at=when if sent else None, **fields)
    db.session.add(message)
    db.session.commit()
    return message.id


def _left() -> set[int]:
    return set(db.session.scalars(select(OutboxMessage.id)))


@pytest.fixture
def outbox(app):
    """Messages on either side of the 90-day line, in every state a message can be in."""
    with app.app_context():
        ids = {
            "old_statement": _message(days_ago=91),
            "old_score": _message("lti", days_ago=400),
            "recent_statement": _message(days_ago=89),
            "recent_score": _message("lti", days_ago=5),
            "waiting": _message(days_ago=400, sent=False),
            "failing": _message("lti", days_ago=400, sent=False, attempts=40,
                                last_error="HTTP 503"),
            "put_back": _message("lti", days_ago=300, sent=False,
                                 last_error="another worker is finding the line item"),
            "settled_unsent": _message("lti", days_ago=300,
                                       last_error="not sent: no grade target"),
            "earned": _message(days_ago=400, subject_key="certificate:ABCD-EFGH"),
        }
    return ids


def test_old_delivered_messages_go_and_everything_else_stays(app, runner, outbox):
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 0, result.output
    assert ("  2 outbox messages (LMS scores, LRS statements) delivered over 90 days ago"
            in result.output)
    with app.app_context():
        gone = {outbox["old_statement"], outbox["old_score"]}
        assert _left() == set(outbox.values()) - gone


def test_a_dry_run_counts_the_messages_and_removes_none(app, runner, outbox):
    with app.app_context():
        before = snapshot()
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "  2 outbox messages (LMS scores, LRS statements) delivered over 90 days ago" in (
        dry.output)
    with app.app_context():
        assert snapshot() == before
    real = runner.invoke(args=["privacy", "purge", "--yes"])
    assert dry.output.splitlines()[1:] == real.output.splitlines()[1:]


def test_the_purge_is_audited_with_the_messages_and_the_setting(app, runner, outbox):
    app.config["OUTBOX_DELIVERED_RETENTION_DAYS"] = 30
    assert runner.invoke(args=["privacy", "purge", "--yes"]).exit_code == 0
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.purged"))
        assert event.detail["delivered_messages_removed"] == 3  # the 89-day-old one too
        assert event.detail["policy"]["outbox_delivered_days"] == 30
        assert outbox["recent_statement"] not in _left()
        assert outbox["recent_score"] in _left()


def test_a_retention_under_a_week_is_refused_and_nothing_goes(app, runner, outbox):
    with pytest.raises(RetentionSettingError):
        RetentionPolicy(outbox_delivered_days=6)
    assert RetentionPolicy.from_config(app.config).outbox_delivered_days == 90
    app.config["OUTBOX_DELIVERED_RETENTION_DAYS"] = 6
    with app.app_context():
        before = snapshot()
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 1
    assert "OUTBOX_DELIVERED_RETENTION_DAYS is 6" in result.output
    assert "nothing was purged" in result.output
    with app.app_context():
        assert snapshot() == before


@pytest.fixture
def targets(app, package_copy):
    """Two learners' grade targets on one platform, each with a line item."""
    with app.app_context():
        course = import_course(package_copy)
        platform = LtiPlatform(name="Agency LMS", issuer="https://lms.example.org",
                               client_id="tool", auth_login_url="https://lms.example.org/a",
                               auth_token_url="https://lms.example.org/t",
                               jwks_url="https://lms.example.org/j")
        db.session.add(platform)
        db.session.flush()
        made = []
        for n in (1, 2):
            target = LtiGradeTarget(
                user_id=make_user().id, course_id=course.id, platform_id=platform.id,
                subject=f"lms-user-{n}", lineitem_url=f"https://lms.example.org/items/{n}",
            )
            db.session.add(target)
            db.session.flush()
            made.append(target.id)
        db.session.commit()
    return made


@pytest.fixture
def platform_calls(monkeypatch):
    """Scores the worker posts, recorded instead of sent."""
    posted: list[tuple[int, dict]] = []
    monkeypatch.setattr(ags, "post_score",
                        lambda target, body, caller: posted.append((target.id, body)))
    return posted


def test_a_score_is_not_sent_again_once_its_delivered_row_is_gone(
    app, runner, targets, platform_calls
):
    with app.app_context():
        for n in (1, 2):  # a post-test result, then the completion, both long delivered
            _message("lti", days_ago=200, grade_target_id=targets[0], payload={"n": n})
    assert runner.invoke(args=["privacy", "purge", "--yes"]).exit_code == 0
    with app.app_context():
        assert _left() == set()
        report = worker.send_due(["lti"])
    assert report.sent == {} and platform_calls == []


def test_an_older_score_still_waiting_is_not_sent_over_a_newer_one_after_the_purge(
    app, runner, targets, platform_calls
):
    mine, other = targets
    with app.app_context():
        # The platform was down for the first score; the second went out and was kept
        # past the retention period while the first still waited for its next try.
        older = _message("lti", days_ago=200, sent=False, grade_target_id=mine,
                         attempts=3, last_error="HTTP 503")
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == older)
                           .values(next_attempt_at=utcnow() + timedelta(minutes=5)))
        db.session.commit()
        newer = _message("lti", days_ago=150, grade_target_id=mine)
        others = _message("lti", days_ago=150, grade_target_id=other)
    assert runner.invoke(args=["privacy", "purge", "--yes"]).exit_code == 0
    with app.app_context():
        # The newer score is what holds the older one back: it stays while that waits.
        assert _left() == {older, newer}
        assert others not in _left()
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == older)
                           .values(next_attempt_at=utcnow()))
        db.session.commit()
        worker.send_due(["lti"])
        settled = db.session.get(OutboxMessage, older)
        assert settled.sent_at is not None and "newer score" in settled.last_error
    assert platform_calls == []
    # Settled without being sent, the older one stays; the newer one can go now.
    assert runner.invoke(args=["privacy", "purge", "--yes"]).exit_code == 0
    with app.app_context():
        assert _left() == {older}


def test_a_certificate_revoked_after_the_purge_still_voids_its_earned_statement(
    app, runner, package  # noqa: F811
):
    app.config.update(XAPI_ON)
    learner, client, code = complete_course(app, package, email="ada@example.org")
    with app.app_context():
        long_ago = utcnow() - timedelta(days=200)
        db.session.execute(update(OutboxMessage).values(sent_at=long_ago, created_at=long_ago))
        db.session.commit()
        earned = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.subject_key == f"certificate:{code}")
        ).message_id
        statements = len(_left())
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 0, result.output
    assert f"  {statements - 1} outbox messages" in result.output
    with app.app_context():
        certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
        admin = make_user(role=Role.ADMIN)
        certificate_changes.revoke(certificate, admin, "Completed by another person")
        db.session.commit()
        voiding = db.session.scalar(select(OutboxMessage).where(
            OutboxMessage.subject_key == f"certificate:{code}:voided"))
    assert voiding.payload["object"] == {"objectType": "StatementRef", "id": earned}

    # The learner's download lists what is left and says where the rest went.
    client.post("/auth/login", data={"email": "ada@example.org", "password": PASSWORD})
    data = client.get("/auth/profile/my-data.json").get_json()
    assert [s["statement_id"] for s in data["learning_record_statements"]] == [earned]
    note = data["learning_record_statements_note"]
    assert "until 90 days after the learning record store received them" in note
    assert "held by the learning record store, not here" in note


def test_the_purge_finds_old_messages_by_index(app):
    with app.app_context():
        # A quarter's traffic and a day more, the planner told how it is spread: a daily
        # purge removes about a day's worth, which the (channel, sent_at) index finds.
        now = utcnow()
        db.session.execute(insert(OutboxMessage), [
            {"channel": "lti" if n % 10 == 0 else "xapi", "message_id": str(uuid.uuid4()),
             "payload": {}, "created_at": now - timedelta(hours=n * 91 * 24 / 3000),
             "next_attempt_at": now, "sent_at": now - timedelta(hours=n * 91 * 24 / 3000)}
            for n in range(3000)
        ])
        db.session.execute(text("ANALYZE outbox_message"))
        db.session.commit()
        delivered = _delivered_before(now - timedelta(days=90))
        sql = str(delete(OutboxMessage).where(*delivered).compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
            assert "SEARCH outbox_message USING INDEX" in plan and "sent_at<?" in plan
            assert "SCAN outbox_message" not in plan
        else:
            plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {sql}")))
            assert "Index Cond: (((channel)::text = ANY" in plan and "sent_at <" in plan
            assert "Seq Scan" not in plan


def test_statements_refused_for_good_go_on_the_delivered_schedule(app, runner):
    refusal = "refused by the LRS 5 times, not tried again: LRS answered HTTP 422: ..."
    with app.app_context():
        ids = {
            "old_refused": _message(days_ago=91, refusals=5, attempts=5, last_error=refusal),
            "recent_refused": _message(days_ago=89, refusals=5, attempts=5,
                                       last_error=refusal),
            # Refused a few times, not yet settled: still tried, so it stays.
            "still_refusing": _message(days_ago=400, sent=False, refusals=3, attempts=3,
                                       last_error="LRS answered HTTP 422: ..."),
            "settled_unsent": _message("lti", days_ago=300,
                                       last_error="not sent: no grade target"),
        }
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 0, result.output
    assert ("  1 outbox message (LMS scores, LRS statements) delivered over 90 days ago, or "
            "refused for good by the LRS as long ago") in result.output
    with app.app_context():
        assert _left() == set(ids.values()) - {ids["old_refused"]}
