"""A learner's own data as one JSON document (a subject access request, self-served)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from course import audit, issuing
from course.auth import twofactor
from course.db import utcnow
from course.extensions import db
from course.learn.content import ChoiceView
from course.learn.posttest import answered_question
from course.models import (
    AttemptAnswer,
    AuditEvent,
    BrowserSession,
    Certificate,
    CheckResponse,
    Choice,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    LtiIdentity,
    LtiPlatform,
    Question,
    Role,
    User,
)
from course.outbox.privacy import statements_about

FORMAT = "ce-course-engine/learner-data"
#: 2: US spelling for the learner's keys (license_number, license_jurisdiction,
#: enrollments), as the rest of what a learner reads.
VERSION = 2


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _text(html: str) -> str:
    return Markup(html).striptags()


def _choices(choices: Iterable[Choice | ChoiceView], keys: list[str]) -> list[dict[str, str]]:
    texts = {choice.key: _text(choice.text_html) for choice in choices}
    return [{"key": key, "text": texts.get(key, "")} for key in keys]


def _question(question: Question, prompt_html: str | None = None) -> dict[str, Any]:
    return {"id": question.key, "prompt": _text(prompt_html or question.prompt_html)}


def _post_test_answer(answer: AttemptAnswer) -> dict[str, Any]:
    graded = answered_question(answer)  # as the learner saw it, whatever changed since
    return {
        "question": _question(answer.question, graded.prompt_html),
        "selected": _choices(graded.choices, answer.selected),
        "correct": answer.is_correct,
    }


def _profile(user: User) -> dict[str, Any]:
    return {
        "account_id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "license_number": user.licence_number,
        "license_jurisdiction": user.licence_jurisdiction,
        "profession": user.profession,
        "role": user.role.value,
        "created_at": _time(user.created_at),
        "last_login_at": _time(user.last_login_at),
        "password_changed_at": _time(user.password_changed_at),
    }


def _lessons(enrolment: Enrolment) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(LessonProgress)
        .where(LessonProgress.enrolment_id == enrolment.id)
        .order_by(LessonProgress.started_at, LessonProgress.id)
    )
    return [
        {
            "lesson": row.lesson.slug,
            "title": row.lesson.title,
            "started_at": _time(row.started_at),
            "last_seen_at": _time(row.last_seen_at),
            "reached_end_at": _time(row.reached_end_at),
            "completed_at": _time(row.completed_at),
            "active_seconds": row.active_seconds,
        }
        for row in rows
    ]


def _check_answers(enrolment: Enrolment) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(CheckResponse)
        .where(CheckResponse.enrolment_id == enrolment.id)
        .order_by(CheckResponse.created_at, CheckResponse.id)
    )
    return [
        {
            "question": _question(row.question),
            "selected": _choices(row.question.choices, row.selected),
            "correct": row.is_correct,
            "answered_at": _time(row.created_at),
        }
        for row in rows
    ]


def _attempts(enrolment: Enrolment) -> list[dict[str, Any]]:
    return [
        {
            "number": attempt.number,
            "course_version": attempt.version.number,
            "started_at": _time(attempt.started_at),
            "submitted_at": _time(attempt.submitted_at),
            "questions": attempt.question_count,
            "correct": attempt.correct_count,
            "score_percent": attempt.score_percent,
            "passed": attempt.passed,
            "saved_answers": attempt.draft,  # chosen, not yet submitted
            "answers": [
                _post_test_answer(answer) for answer in sorted(attempt.answers, key=lambda a: a.id)
            ],
        }
        for attempt in enrolment.attempts
    ]


def _evaluation(enrolment: Enrolment) -> dict[str, Any] | None:
    response = db.session.scalar(
        select(EvaluationResponse).where(EvaluationResponse.enrolment_id == enrolment.id)
    )
    if response is None:
        return None
    answers = sorted(response.answers, key=lambda a: a.item.position)
    return {
        "submitted_at": _time(response.submitted_at),
        "answers": [
            {"item": a.item.key, "prompt": a.item.prompt, "answer": a.value} for a in answers
        ],
    }


def _certificates(enrolment: Enrolment) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Certificate)
        .where(Certificate.enrolment_id == enrolment.id)
        .order_by(Certificate.issued_at, Certificate.id)
    )
    return [
        {
            "code": row.code,
            "status": row.status.value,
            "issued_at": _time(row.issued_at),
            "revoked_at": _time(row.revoked_at),
            "revoked_reason": row.revoked_reason,
            "verify_url": issuing.record_of(row).verify_url,
            "as_issued": row.snapshot,
        }
        for row in rows
    ]


def _account_events(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.actor_id == user.id,
                # About their account or a record of theirs (a certificate revoked, an
                # attempt reset), as the admin's audit log narrowed to them shows.
                audit.about(select(User.id).where(User.id == user.id).cte("learner")),
            )
        )
        .order_by(AuditEvent.created_at, AuditEvent.id)
        .options(selectinload(AuditEvent.actor))
    )
    return [_account_event(user, row) for row in rows]


#: Who did an event about the learner, by the doer's role.
_DOERS = {Role.ADMIN: "an administrator", Role.AUTHOR: "an author", Role.LEARNER: "another user"}
#: Where a command ran: the server's account and name are the provider's, not the learner's.
_SERVER_DETAILS = ("os_user", "host", "command")


def _account_event(user: User, row: AuditEvent) -> dict[str, Any]:
    """One event of the learner's, or about them by someone else, as the download gives it.

    Someone else's event says who by role only, without their address: staff names and
    addresses are the staff's own data. The provider's audit log names them when a
    learner asks who looked at or changed their record.
    """
    yours = row.actor_id == user.id
    detail = row.detail if yours or not row.detail else {
        key: value for key, value in row.detail.items() if key not in _SERVER_DETAILS
    }
    return {
        "at": _time(row.created_at),
        "by": "you" if yours else _DOERS.get(row.actor.role) if row.actor else "the system",
        "action": row.action,
        "detail": detail,
        "ip_address": row.ip_address if yours else None,
    }


def _sign_ins(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(BrowserSession)
        .where(BrowserSession.user_id == user.id)
        .order_by(BrowserSession.created_at, BrowserSession.id)
    )
    return [
        {
            "signed_in_at": _time(row.created_at),
            "kept_signed_in": row.remembered,
            "browser": row.device,
            "expires_at": _time(row.expires_at),
            "signed_out_at": _time(row.ended_at),
        }
        for row in rows
    ]


def _two_step(user: User) -> dict[str, Any]:
    """Whether a code from an authenticator app guards the sign-in, and how many recovery
    codes are left: never the app's secret nor the codes, which would sign them in."""
    factor = twofactor.factor_of(user)
    if factor is None:
        return {"on": False}
    return {"on": True, "turned_on_at": _time(factor.enabled_at),
            "recovery_codes_left": twofactor.recovery_codes_left(user)}


def _lms_accounts(user: User) -> list[dict[str, Any]]:
    """The learner's accounts in agencies' LMSs that launch courses here, by platform."""
    rows = db.session.execute(
        select(LtiIdentity, LtiPlatform)
        .join(LtiPlatform, LtiPlatform.id == LtiIdentity.platform_id)
        .where(LtiIdentity.user_id == user.id)
        .order_by(LtiIdentity.created_at, LtiIdentity.id)
    ).all()
    return [
        {
            "platform": platform.name,
            "issuer": platform.issuer,
            "lms_user_id": identity.subject,
            "first_launch_at": _time(identity.created_at),
            "last_launch_at": _time(identity.last_launch_at),
        }
        for identity, platform in rows
    ]


def export_user_data(user: User) -> dict[str, Any]:
    """Return everything the engine holds about the learner, as JSON-ready data."""
    enrolments = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id).order_by(Enrolment.enrolled_at)
    )
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": _time(utcnow()),
        "profile": _profile(user),
        "enrollments": [
            {
                "course": {"slug": e.course.slug, "title": e.course.title},
                "enrolled_at": _time(e.enrolled_at),
                "completed_at": _time(e.completed_at),
                "lessons": _lessons(e),
                "knowledge_check_answers": _check_answers(e),
                "post_test_attempts": _attempts(e),
                "evaluation": _evaluation(e),
                # Saved while answering, not yet submitted (gone once they are).
                "evaluation_saved_answers": e.evaluation_draft,
                "certificates": _certificates(e),
            }
            for e in enrolments
        ],
        "account_events": _account_events(user),
        "sign_ins": _sign_ins(user),
        "two_step_verification": _two_step(user),
        "lms_accounts": _lms_accounts(user),
        "learning_record_statements": _statements(user),
        "learning_record_statements_note": _statements_note(),
    }


def _statements(user: User) -> list[dict[str, Any]]:
    return [
        {
            "statement_id": row.message_id,
            "queued_at": _time(row.created_at),
            # A statement the LRS refused was settled, not sent: it never reached it.
            "sent_at": None if row.refused else _time(row.sent_at),
            "refused_by_the_lrs": row.refused,
            "statement": row.payload,
        }
        for row in statements_about(user)
    ]


def _statements_note() -> str:
    """Say which statements the download lists: the purge removes those delivered long ago."""
    days = current_app.config["OUTBOX_DELIVERED_RETENTION_DAYS"]
    return (
        f"Statements are listed here until {days} days after the learning record store"
        " received them (or refused them: those never reached it); older ones are held by"
        " the learning record store, not here. The"
        " statement that you earned a certificate stays, so that it can be withdrawn if the"
        " certificate is revoked or replaced."
    )


def export_filename(now: datetime | None = None) -> str:
    """Return the download's file name, dated."""
    return f"my-data-{(now or utcnow()).date().isoformat()}.json"
