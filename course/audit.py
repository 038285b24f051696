"""The audit log: who did what to which record, kept for the accreditor."""

from __future__ import annotations

import getpass
import socket
from datetime import timedelta
from typing import Any

import click
from flask import has_request_context
from sqlalchemy import ColumnElement, String, and_, cast, or_, select

from course.db import utcnow
from course.extensions import db
from course.models import (
    AuditEvent,
    Certificate,
    CorrectionRequest,
    Enrolment,
    PostTestAttempt,
    User,
)

#: ``detail["via"]`` of an event recorded by a ``flask`` command, not a web request.
COMMAND_LINE = "command line"
#: An admin opened a page showing one learner's records (``detail["page"]`` says which).
RECORD_VIEWED = "user.record_viewed"
#: Detail keys whose value is an account id or a list of them (beside counts and record
#: ids): the log page shows the people's names, the CSV the ids as stored.
ACCOUNT_KEYS = frozenset({"told", "editors", "user_id"})


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "unknown"


def command_line_origin() -> dict[str, str]:
    """Who ran the command and where, for an event a ``flask`` command records; else {}.

    A command has no signed-in account or address, so the operating-system account, the
    machine and the command stand in for them.
    """
    context = click.get_current_context(silent=True)
    if context is None or has_request_context():
        return {}
    return {
        "via": COMMAND_LINE,
        "os_user": _os_user(),
        "host": socket.gethostname(),
        "command": context.command_path,
    }


def unnamed_actor(detail: dict[str, Any] | None) -> str:
    """Who did an event no account did, as the audit page names it."""
    detail = detail or {}
    if detail.get("via") == COMMAND_LINE:
        return f"Command line ({detail.get('os_user') or 'unknown'})"
    return "System"


def us_spelling(detail: Any) -> Any:
    """An event's detail as a US reader reads it: the account's columns keep their
    British names (``licence_number``), and details name them as stored."""
    if isinstance(detail, dict):
        return {str(key).replace("licence", "license"): us_spelling(v) for key, v in detail.items()}
    if isinstance(detail, list):
        return [us_spelling(item) for item in detail]
    if isinstance(detail, str) and detail.startswith("licence_"):
        return detail.replace("licence", "license", 1)  # a field's name in a list of them
    return detail


def account_ids(detail: Any) -> set[int]:
    """The account ids a detail holds under ``ACCOUNT_KEYS``."""
    if not isinstance(detail, dict):
        return set()
    found: set[int] = set()
    for key in ACCOUNT_KEYS & detail.keys():
        values = detail[key] if isinstance(detail[key], list) else [detail[key]]
        found.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    return found


def record_event(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: object,
    detail: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Add an audit event to the session (the caller commits with the change itself)."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail={**command_line_origin(), **(detail or {})},
        ip_address=ip_address,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event


def viewed_within(actor: User, learner: User, what: dict[str, Any], window: timedelta) -> bool:
    """Return True if the actor's opening of this page of the learner's is on record within
    the window (``what`` names the page and the record on it, as ``record_view`` stores it)."""
    details = db.session.scalars(
        # The learner's events by the (subject_type, subject_id) index: a handful a window.
        select(AuditEvent.detail).where(
            AuditEvent.subject_type == "user",
            AuditEvent.subject_id == str(learner.id),
            AuditEvent.action == RECORD_VIEWED,
            AuditEvent.actor_id == actor.id,
            AuditEvent.created_at > utcnow() - window,
        )
    )
    # Compared here, not in SQL: JSON fields are queried differently by SQLite and PostgreSQL.
    return any({key: (detail or {}).get(key) for key in what} == what for detail in details)


def record_view(
    actor: User,
    learner: User,
    what: dict[str, Any],
    window: timedelta,
    ip_address: str | None = None,
) -> AuditEvent | None:
    """Record that an admin opened a page of the learner's records, unless that opening is
    on record within the window; return the event, or None."""
    if viewed_within(actor, learner, what, window):
        return None
    event = record_event(
        actor, RECORD_VIEWED, "user", learner.id, {**what, "email": learner.email}, ip_address
    )
    db.session.flush()
    return event


def about(learners) -> ColumnElement[bool]:
    """Events whose subject is one of these accounts (a select or CTE of ids, as ``id``)
    or a record of theirs: a certificate, enrollment, post-test attempt or correction
    request.

    Each kind of record is looked up by its owner's index, then its events by the
    (subject_type, subject_id) index: never a scan of the log or of its JSON details.
    """
    users = select(learners.c.id)
    enrollments = select(cast(Enrolment.id, String)).where(Enrolment.user_id.in_(users))
    owned = {
        "user": select(cast(learners.c.id, String)),
        "certificate": select(Certificate.code).where(Certificate.user_id.in_(users)),
        "enrollment": enrollments,
        "enrolment": enrollments,  # the subject's name in events from before US spelling
        "post_test_attempt": select(cast(PostTestAttempt.id, String))
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .where(Enrolment.user_id.in_(users)),
        "correction_request": select(cast(CorrectionRequest.id, String))
        .where(CorrectionRequest.user_id.in_(users)),
    }  # fmt: skip
    return or_(*(
        and_(AuditEvent.subject_type == kind, AuditEvent.subject_id.in_(ids))
        for kind, ids in owned.items()
    ))  # fmt: skip
