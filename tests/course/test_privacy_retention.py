"""`flask privacy purge`: removes only what the retention policy allows, never credit records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.maintenance.invariants import check_invariants
from course.models import (
    AuditEvent,
    Certificate,
    CheckResponse,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    PostTestAttempt,
    User,
)
from course.privacy.retention import RetentionPolicy, RetentionSettingError, months_before
from tests.course.factories import PASSWORD
from tests.course.test_maintenance import (  # noqa: F401
    complete_course,
    package,
    snapshot,
    start_course,
)

_TIMES = {
    Enrolment: ("enrolled_at", "completed_at"),
    LessonProgress: ("started_at", "last_seen_at", "reached_end_at", "completed_at"),
    CheckResponse: ("created_at",),
    PostTestAttempt: ("started_at", "submitted_at"),
    EvaluationResponse: ("submitted_at",),
    Certificate: ("issued_at",),
}


def _age(user_id: int, days: int) -> None:
    """Move everything the learner did ``days`` into the past."""
    enrolments = select(Enrolment.id).where(Enrolment.user_id == user_id)
    for model, columns in _TIMES.items():
        column = model.id if model is Enrolment else model.enrolment_id
        for row in db.session.scalars(select(model).where(column.in_(enrolments))):
            for name in columns:
                if getattr(row, name) is not None:
                    setattr(row, name, getattr(row, name) - timedelta(days=days))


def _delete_account(client, email: str, days_ago: int) -> int:
    client.post("/auth/login", data={"email": email, "password": PASSWORD})
    response = client.post("/auth/delete", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 302
    user = db.session.scalar(
        select(User).where(User.deleted_at.is_not(None)).order_by(User.deleted_at.desc())
    )
    user.deleted_at = utcnow() - timedelta(days=days_ago)
    db.session.commit()
    return user.id


def _rows(model, user_id: int) -> list[tuple]:
    column = model.id if model is Enrolment else model.enrolment_id
    enrolments = select(Enrolment.id).where(Enrolment.user_id == user_id)
    table = model.__table__
    return [tuple(r) for r in db.session.execute(select(table).where(column.in_(enrolments)))]


@pytest.fixture
def people(app, package):  # noqa: F811
    """Five learners whose records sit on either side of each retention line."""
    ada, ada_client, _ = complete_course(app, package, email="ada@example.org")
    bob, _ = start_course(app, package, email="bob@example.org")
    cara, _ = start_course(app, package, email="cara@example.org")
    dan, dan_client = start_course(app, package, email="dan@example.org")
    eve, eve_client = start_course(app, package, email="eve@example.org")
    with app.app_context():
        _age(ada.id, 8 * 365)  # credit earned eight years ago
        _age(bob.id, 3 * 365)  # stopped three years ago
        _age(dan.id, 3 * 365)
        record_event(
            dan,
            "auth.email_changed",
            "user",
            dan.id,
            {"old": "dan@example.org", "new": "dan@example.net"},
            "192.0.2.4",
        )
        old = record_event(None, "auth.password_changed", "user", cara.id, {}, "192.0.2.9")
        old.created_at = utcnow() - timedelta(days=200)
        db.session.commit()
        _delete_account(ada_client, "ada@example.org", days_ago=100)
        _delete_account(dan_client, "dan@example.org", days_ago=100)
        _delete_account(eve_client, "eve@example.org", days_ago=5)
        ids = {"ada": ada.id, "bob": bob.id, "cara": cara.id, "dan": dan.id, "eve": eve.id}
    return ids


def test_the_purge_needs_dry_run_or_yes(app, runner):
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 2 and "choose one of --dry-run or --yes" in result.output


def test_credit_retention_under_six_years_is_refused(app, runner, people):
    with pytest.raises(RetentionSettingError):
        RetentionPolicy(credit_years=5)
    app.config["CREDIT_RETENTION_YEARS"] = 5
    with app.app_context():
        before = snapshot()
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 1
    assert (
        "must be kept at least 6 years" in result.output and "nothing was purged" in result.output
    )
    with app.app_context():
        assert snapshot() == before


def test_a_dry_run_changes_nothing_and_counts_what_a_real_run_removes(app, runner, people):
    with app.app_context():
        before = snapshot()
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    with app.app_context():
        assert snapshot() == before
    real = runner.invoke(args=["privacy", "purge", "--yes"])
    assert real.exit_code == 0, real.output
    assert dry.output.startswith("Would remove:") and real.output.startswith("Removed:")
    assert dry.output.splitlines()[1:] == real.output.splitlines()[1:]


def test_the_purge_removes_only_what_the_policy_allows(app, runner, people):
    with app.app_context():
        ada_before = {model: _rows(model, people["ada"]) for model in _TIMES}
        bob_answers = len(_rows(CheckResponse, people["bob"]))
        eve_answers = _rows(CheckResponse, people["eve"])
        # Bob and Cara each left an evaluation comment saved but never sent.
        for name, days in (("bob", 3 * 365), ("cara", 2)):
            enrolment = db.session.scalar(
                select(Enrolment).where(Enrolment.user_id == people[name])
            )
            enrolment.evaluation_draft = {"comments": f"{name} wrote this and left"}
            enrolment.evaluation_draft_saved_at = utcnow() - timedelta(days=days)
        db.session.commit()
    assert bob_answers > 0
    result = runner.invoke(args=["privacy", "purge", "--yes"])
    assert result.exit_code == 0, result.output
    plural = "" if bob_answers == 1 else "s"
    assert f"{bob_answers} knowledge-check answer{plural} of idle" in result.output
    assert "1 set of saved, unsent post-test or evaluation answers" in result.output
    assert "1 unfinished enrollment with" in result.output and "2 deleted accounts" in result.output
    assert "Kept: 1 completed enrollment past the credit retention period" in result.output

    with app.app_context():
        # Credit records, eight years old and of a deleted account: every row as it was.
        for model, rows in ada_before.items():
            assert _rows(model, people["ada"]) == rows, model.__name__
        # Bob stopped three years ago: his check answers go, his enrolment and progress stay.
        assert _rows(CheckResponse, people["bob"]) == []
        assert _rows(Enrolment, people["bob"]) and _rows(LessonProgress, people["bob"])
        saved = select(Enrolment.user_id, Enrolment.evaluation_draft)
        drafts = dict(db.session.execute(saved).all())
        assert drafts[people["bob"]] is None
        assert drafts[people["cara"]] == {"comments": "cara wrote this and left"}
        # Cara is active: all kept. Eve deleted her account five days ago: kept for now.
        assert _rows(CheckResponse, people["cara"])
        assert eve_answers and _rows(CheckResponse, people["eve"]) == eve_answers
        # Dan deleted his account 100 days ago and never finished: his enrolment is gone.
        assert _rows(Enrolment, people["dan"]) == [] and _rows(LessonProgress, people["dan"]) == []
        dan = db.session.get(User, people["dan"])
        assert dan.email == f"deleted-{dan.id}@invalid"  # the pseudonymised row stays
        events = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "user", AuditEvent.subject_id == str(dan.id)
            )
        ).all()
        assert events and all(e.ip_address is None for e in events)
        assert "dan@example" not in str([e.detail for e in events])
        eve_events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == people["eve"])
        ).all()
        assert any(e.ip_address for e in eve_events)
        # An IP address older than 180 days goes, whoever it belongs to.
        cara_old = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "auth.password_changed")
        )
        assert cara_old.ip_address is None
        purged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "privacy.purged"))
        assert purged.detail["stale_check_answers"] == bob_answers
        assert purged.detail["policy"]["credit_years"] == 6
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "privacy.account_purged")
            )
            == 2
        )
        assert check_invariants().ok

    again = runner.invoke(args=["privacy", "purge", "--yes"])
    assert "  0 knowledge-check answers" in again.output
    assert "0 unfinished enrollments with 0 rows of 0 deleted accounts" in again.output


def test_months_are_calendar_months():
    moment = utcnow().replace(year=2026, month=3, day=31, hour=12)
    assert months_before(moment, 1) == moment.replace(month=2, day=28)
    assert months_before(moment, 24) == moment.replace(year=2024)
    assert months_before(moment, 15).month == 12
