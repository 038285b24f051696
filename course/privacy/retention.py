"""The retention policy and the purge that applies it.

What the purge may remove, and nothing else:

- knowledge-check answers, and post-test and evaluation answers saved but never sent, of
  enrolments that never completed and have seen no activity for ``RESPONSE_RETENTION_MONTHS``;
- for accounts deleted more than ``DELETED_ACCOUNT_PURGE_DAYS`` ago: their unfinished
  enrolments (no credit was earned) with everything in them, their sign-in timestamps,
  the IP addresses in their audit events and any email addresses in those events' details;
- IP addresses of audit events older than ``AUDIT_IP_RETENTION_DAYS``;
- records of browser sign-ins that have ended, expired or been outdated: they can never
  sign anyone in again;
- counters of failed sign-ins with no failure for a day (``course.auth.throttle``);
- outbox messages (LMS scores, LRS statements) delivered, or refused for good by the
  LRS, more than ``OUTBOX_DELIVERED_RETENTION_DAYS`` ago that nothing reads again
  (``_delivered_before``).

Credit records (a completed enrolment and its progress, answers, attempts, evaluation
and certificates) are never touched, whatever their age: the purge only counts those past
``CREDIT_RETENTION_YEARS`` so that someone can review them with the accreditor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, exists, func, null, or_, select, update
from sqlalchemy.orm import aliased

from course.audit import record_event
from course.auth import throttle
from course.auth.browsers import finished_browser_sessions
from course.db import utcnow
from course.extensions import db
from course.models import (
    AttemptAnswer,
    AuditEvent,
    BrowserSession,
    Certificate,
    CheckResponse,
    Enrolment,
    EvaluationResponse,
    LessonProgress,
    OutboxMessage,
    PostTestAttempt,
    SignInThrottle,
    User,
)
from course.outbox import LTI, XAPI

#: ACCME: participation records are kept six years; no setting may shorten that.
MIN_CREDIT_RETENTION_YEARS = 6
#: `xapi resend` can only send again what the outbox still holds: keep a week at least.
MIN_OUTBOX_DELIVERED_DAYS = 7
REMOVED = "[removed]"
_BULK = {"synchronize_session": False}


class RetentionSettingError(ValueError):
    """A retention setting is out of its allowed range."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of record is kept."""

    credit_years: int = 6
    response_months: int = 24
    deleted_account_days: int = 30
    audit_ip_days: int = 180
    outbox_delivered_days: int = 90

    def __post_init__(self) -> None:
        if self.credit_years < MIN_CREDIT_RETENTION_YEARS:
            raise RetentionSettingError(
                f"CREDIT_RETENTION_YEARS is {self.credit_years}; credit records must be kept "
                f"at least {MIN_CREDIT_RETENTION_YEARS} years"
            )
        for name, value in (
            ("RESPONSE_RETENTION_MONTHS", self.response_months),
            ("DELETED_ACCOUNT_PURGE_DAYS", self.deleted_account_days),
            ("AUDIT_IP_RETENTION_DAYS", self.audit_ip_days),
        ):
            if value < 1:
                raise RetentionSettingError(f"{name} is {value}; it must be at least 1")
        if self.outbox_delivered_days < MIN_OUTBOX_DELIVERED_DAYS:
            raise RetentionSettingError(
                f"OUTBOX_DELIVERED_RETENTION_DAYS is {self.outbox_delivered_days}; it must be"
                f" at least {MIN_OUTBOX_DELIVERED_DAYS}, so `xapi resend` can still send a"
                " week's statements again"
            )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RetentionPolicy:
        """Read the policy from the app's settings.

        :raise RetentionSettingError: when a setting is out of range.
        """
        return cls(
            credit_years=int(config["CREDIT_RETENTION_YEARS"]),
            response_months=int(config["RESPONSE_RETENTION_MONTHS"]),
            deleted_account_days=int(config["DELETED_ACCOUNT_PURGE_DAYS"]),
            audit_ip_days=int(config["AUDIT_IP_RETENTION_DAYS"]),
            outbox_delivered_days=int(config["OUTBOX_DELIVERED_RETENTION_DAYS"]),
        )


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, in a dry run, would remove)."""

    applied: bool
    stale_check_answers: int = 0
    stale_saved_answers: int = 0
    deleted_accounts_cleared: int = 0
    unfinished_enrolments_removed: int = 0
    rows_removed_with_them: int = 0
    audit_events_scrubbed: int = 0
    credit_records_past_retention: int = 0
    finished_sign_ins_removed: int = 0
    sign_in_counters_removed: int = 0
    delivered_messages_removed: int = 0


def months_before(moment: datetime, months: int) -> datetime:
    """Return the same day and time ``months`` calendar months earlier (clamped to month end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def _no_credit() -> list:
    """Return the conditions for an enrolment that earned nothing, the only kind purged."""
    return [
        Enrolment.completed_at.is_(None),
        ~exists().where(EvaluationResponse.enrolment_id == Enrolment.id),
        ~exists().where(Certificate.enrolment_id == Enrolment.id),
    ]


def _idle_since(cutoff: datetime) -> list:
    """Return the conditions for an enrolment with no activity at or after ``cutoff``."""
    # Aliases: these subqueries must not correlate with a statement on the same table.
    answer, progress, attempt = (
        aliased(CheckResponse),
        aliased(LessonProgress),
        aliased(PostTestAttempt),
    )
    return [
        Enrolment.enrolled_at < cutoff,
        ~exists().where(answer.enrolment_id == Enrolment.id, answer.created_at >= cutoff),
        ~exists().where(progress.enrolment_id == Enrolment.id, progress.last_seen_at >= cutoff),
        ~exists().where(attempt.enrolment_id == Enrolment.id, attempt.started_at >= cutoff),
    ]


def _ids(query: Select) -> list[int]:
    return list(db.session.scalars(query))


def _rows_of(enrolment_ids: list[int]) -> list[tuple[type, Any]]:
    """Each table holding rows of these enrolments, children first, with its condition."""
    attempts = select(PostTestAttempt.id).where(PostTestAttempt.enrolment_id.in_(enrolment_ids))
    return [
        (AttemptAnswer, AttemptAnswer.attempt_id.in_(attempts)),
        (PostTestAttempt, PostTestAttempt.enrolment_id.in_(enrolment_ids)),
        (CheckResponse, CheckResponse.enrolment_id.in_(enrolment_ids)),
        (LessonProgress, LessonProgress.enrolment_id.in_(enrolment_ids)),
    ]


def _count(model: type, *conditions: Any) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def _delete(model: type, *conditions: Any) -> int:
    statement = delete(model).where(*conditions)
    return db.session.execute(statement, execution_options=_BULK).rowcount


def _delivered_before(cutoff: datetime) -> tuple:
    """Return the conditions for a message delivered before ``cutoff`` that nothing reads again."""
    waiting = aliased(OutboxMessage)  # must not correlate with the statement's own table
    waiting_scores = select(waiting.grade_target_id).where(
        waiting.channel == LTI, waiting.sent_at.is_(None), waiting.grade_target_id.is_not(None)
    )
    return (
        # Both channels by name, so the (channel, sent_at) index finds the rows.
        OutboxMessage.channel.in_((XAPI, LTI)),
        OutboxMessage.sent_at < cutoff,
        # Settled without sending (``last_error`` says why) stays, except a message the
        # receiver refused for good: nothing will send it, and it names the learner.
        or_(OutboxMessage.last_error.is_(None), OutboxMessage.refusals > 0),
        # A later message finds it: the "earned" statement a revocation voids.
        OutboxMessage.subject_key.is_(None),
        # The worker holds back a score when a newer one for its target went out (the
        # platform keeps the latest): the newer stays while any score for it waits.
        or_(
            OutboxMessage.grade_target_id.is_(None),
            OutboxMessage.grade_target_id.not_in(waiting_scores),
        ),
    )


def _user_events(user_id: int) -> Select:
    return select(AuditEvent).where(
        or_(
            AuditEvent.actor_id == user_id,
            (AuditEvent.subject_type == "user") & (AuditEvent.subject_id == str(user_id)),
        )
    )


def _has_email(event: AuditEvent) -> bool:
    return any(isinstance(v, str) and "@" in v for v in (event.detail or {}).values())


def _clear_deleted_account(user: User, ip_cutoff: datetime, apply: bool) -> tuple[int, int, int]:
    """Return (enrolments, rows, events) cleared for one deleted account.

    Events older than ``ip_cutoff`` lose their IP address in the purge's own step.
    """
    enrolments = _ids(select(Enrolment.id).where(Enrolment.user_id == user.id, *_no_credit()))
    events = [
        event
        for event in db.session.scalars(_user_events(user.id))
        if _has_email(event) or (event.ip_address and event.created_at >= ip_cutoff)
    ]
    tables = _rows_of(enrolments) if enrolments else []
    if not apply:
        return len(enrolments), sum(_count(m, c) for m, c in tables), len(events)
    rows = sum(_delete(model, condition) for model, condition in tables)
    if enrolments:
        _delete(Enrolment, Enrolment.id.in_(enrolments))
    for event in events:
        event.ip_address = None
        event.detail = {
            key: REMOVED if isinstance(value, str) and "@" in value else value
            for key, value in (event.detail or {}).items()
        }
    user.last_login_at = None
    user.password_changed_at = None
    return len(enrolments), rows, len(events)


def purge(policy: RetentionPolicy, *, apply: bool, now: datetime | None = None) -> PurgeReport:
    """Remove what the retention policy allows, or with ``apply=False`` only count it.

    A dry run counts exactly what a real run would remove. Audits what it removed.
    Flushes; the caller commits.
    """
    now = now or utcnow()
    ip_cutoff = now - timedelta(days=policy.audit_ip_days)
    deleted_cutoff = now - timedelta(days=policy.deleted_account_days)
    expired_accounts = select(User.id).where(
        User.deleted_at.is_not(None), User.deleted_at < deleted_cutoff
    )

    old_ips = (AuditEvent.ip_address.is_not(None), AuditEvent.created_at < ip_cutoff)
    ip_events = _count(AuditEvent, *old_ips)
    # Unfinished enrolments of expired deleted accounts are removed whole below.
    stale = select(Enrolment.id).where(
        *_no_credit(),
        *_idle_since(months_before(now, policy.response_months)),
        Enrolment.user_id.not_in(expired_accounts),
    )
    stale_answers = _count(CheckResponse, CheckResponse.enrolment_id.in_(stale))
    saved_evaluations = (Enrolment.id.in_(stale), Enrolment.evaluation_draft_saved_at.is_not(None))
    saved_attempts = (
        PostTestAttempt.enrolment_id.in_(stale), PostTestAttempt.draft_saved_at.is_not(None)
    )
    saved_answers = _count(Enrolment, *saved_evaluations) + _count(PostTestAttempt, *saved_attempts)
    finished_sign_ins = _count(BrowserSession, finished_browser_sessions(now))
    forgotten = SignInThrottle.last_failed_at < now - throttle.FORGET_AFTER
    counters = _count(SignInThrottle, forgotten)
    delivered = _delivered_before(now - timedelta(days=policy.outbox_delivered_days))
    messages = _count(OutboxMessage, *delivered)
    if apply:
        db.session.flush()
        db.session.execute(
            update(AuditEvent).where(*old_ips).values(ip_address=None), execution_options=_BULK
        )
        _delete(CheckResponse, CheckResponse.enrolment_id.in_(stale))
        # SQL NULL, not JSON null: the saved answers may hold free text.
        db.session.execute(
            update(Enrolment).where(*saved_evaluations)
            .values(evaluation_draft=null(), evaluation_draft_saved_at=None),
            execution_options=_BULK,
        )
        db.session.execute(
            update(PostTestAttempt).where(*saved_attempts)
            .values(draft=null(), draft_saved_at=None),
            execution_options=_BULK,
        )
        _delete(BrowserSession, finished_browser_sessions(now))
        _delete(SignInThrottle, forgotten)
        messages = _delete(OutboxMessage, *delivered)
        db.session.expire_all()

    accounts, totals = 0, [0, 0, 0]
    for user in list(db.session.scalars(select(User).where(User.id.in_(expired_accounts)))):
        counts = _clear_deleted_account(user, ip_cutoff, apply)
        if not any(counts):
            continue
        accounts += 1
        totals = [total + count for total, count in zip(totals, counts, strict=True)]
        if apply:
            detail = dict(
                zip(("enrolments_removed", "rows_removed", "events_scrubbed"), counts, strict=True)
            )
            record_event(None, "privacy.account_purged", "user", user.id, detail)

    credit_cutoff = months_before(now, 12 * policy.credit_years)
    report = PurgeReport(
        applied=apply,
        stale_check_answers=stale_answers,
        stale_saved_answers=saved_answers,
        deleted_accounts_cleared=accounts,
        unfinished_enrolments_removed=totals[0],
        rows_removed_with_them=totals[1],
        audit_events_scrubbed=totals[2] + ip_events,
        credit_records_past_retention=_count(Enrolment, Enrolment.completed_at < credit_cutoff),
        finished_sign_ins_removed=finished_sign_ins,
        sign_in_counters_removed=counters,
        delivered_messages_removed=messages,
    )
    if apply:
        detail = {**asdict(report), "policy": asdict(policy)}
        record_event(None, "privacy.purged", "retention", now.date().isoformat(), detail)
        db.session.flush()
    return report
