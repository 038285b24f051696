"""The audit log: who did what to which record, kept for the accreditor."""

from __future__ import annotations

from typing import Any

from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, User


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
        detail=detail or {},
        ip_address=ip_address,
        created_at=utcnow(),
    )
    db.session.add(event)
    return event
