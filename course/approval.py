"""The CE approval a course claims: an admin's record of it, else the course package's.

A certificate prints the approval only when the completion date falls inside its period
(when one is given): outside it, claiming the approval would be false. Services flush;
the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import bindparam, select

from course.audit import record_event
from course.db import utcnow
from course.extensions import db
from course.models import Course, CourseApproval, User

if TYPE_CHECKING:
    from course.learn.reads import PublishedCourse


@dataclass(frozen=True)
class ApprovalClaim:
    """An approval body, number and statement, with the period it covers."""

    body: str
    number: str
    statement: str
    period_start: dt.date | None
    period_end: dt.date | None
    source: Literal["admin", "package"]

    def covers(self, day: dt.date) -> bool:
        """True when the approval is in force on that day."""
        if self.period_start and day < self.period_start:
            return False
        return not (self.period_end and day > self.period_end)

    def as_dict(self) -> dict[str, Any]:
        """The claim as JSON-safe data (dates in ISO 8601)."""
        return {
            "body": self.body,
            "number": self.number,
            "statement": self.statement,
            "period_start": self.period_start.isoformat() if self.period_start else None,
            "period_end": self.period_end.isoformat() if self.period_end else None,
            "source": self.source,
        }


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None


def package_approval(manifest: Mapping[str, Any]) -> ApprovalClaim | None:
    """The approval a stored manifest claims (top level, or the older provider.approval)."""
    data = manifest.get("approval") or (manifest.get("provider") or {}).get("approval")
    if not data:
        return None
    return ApprovalClaim(
        body=data.get("body") or "",
        number=data.get("number") or "",
        statement=data.get("statement") or "",
        period_start=_date(data.get("period_start")),
        period_end=_date(data.get("period_end")),
        source="package",
    )


# Read on every course page: the columns alone, as a Core statement.
_APPROVAL = CourseApproval.__table__
_RECORDED_CLAIM = select(
    _APPROVAL.c.body,
    _APPROVAL.c.number,
    _APPROVAL.c.statement,
    _APPROVAL.c.period_start,
    _APPROVAL.c.period_end,
).where(_APPROVAL.c.course_id == bindparam("course_id"))


def recorded_approval(course: Course) -> CourseApproval | None:
    """The approval an admin recorded for the course, if any."""
    return db.session.scalar(select(CourseApproval).where(CourseApproval.course_id == course.id))


def approval_for(
    course: Course | PublishedCourse, manifest: Mapping[str, Any] | None = None
) -> ApprovalClaim | None:
    """The approval the course claims now: the admin's record first, else the package's.

    ``manifest`` is the current version's, when the caller holds it already (a page
    that has the course's snapshot): loading the version again cost a quarter of the
    course page.
    """
    row = None
    if course.id is not None:
        row = db.session.execute(_RECORDED_CLAIM, {"course_id": course.id}).first()
    if row is None and manifest is None:
        manifest = course.manifest  # type: ignore[union-attr]  (an ORM course)
    return claim_from(row, manifest or {})


def claim_from(
    recorded: Sequence[Any] | None, manifest: Mapping[str, Any]
) -> ApprovalClaim | None:
    """The claim from an admin's recorded (body, number, statement, period_start,
    period_end), else from the manifest: the admin's record replaces the package's."""
    if recorded is not None:
        return ApprovalClaim(*recorded, source="admin")
    return package_approval(manifest)


def approval_on(course: Course, day: dt.date) -> ApprovalClaim | None:
    """The approval to print for a completion on ``day``, or None when none covers it."""
    claim = approval_for(course)
    return claim if claim is not None and claim.covers(day) else None


@dataclass(frozen=True)
class ApprovalChange:
    """What an admin asked to record; the reason is required and goes to the audit log."""

    body: str
    number: str
    statement: str
    period_start: dt.date | None
    period_end: dt.date | None
    reason: str


def set_approval(
    course: Course, actor: User, change: ApprovalChange, ip_address: str | None = None
) -> CourseApproval:
    """Record (or replace) the course's approval; audited with the old and new values.

    :raise ValueError: when a field is empty or the period ends before it starts.
    """
    for name in ("body", "number", "statement", "reason"):
        if not getattr(change, name).strip():
            raise ValueError(f"the approval {name} is required")
    if change.period_start and change.period_end and change.period_end < change.period_start:
        raise ValueError("the approval period ends before it starts")
    before = approval_for(course)
    row = recorded_approval(course) or CourseApproval(course_id=course.id)
    row.body, row.number = change.body.strip(), change.number.strip()
    row.statement = change.statement.strip()
    row.period_start, row.period_end = change.period_start, change.period_end
    row.reason, row.set_by_id, row.set_at = change.reason.strip(), actor.id, utcnow()
    db.session.add(row)
    db.session.flush()
    after = approval_for(course)
    record_event(
        actor,
        "course.approval_set",
        "course",
        course.slug,
        {
            "reason": row.reason,
            "before": before.as_dict() if before else None,
            "after": after.as_dict() if after else None,
        },
        ip_address,
    )
    return row


def clear_approval(
    course: Course, actor: User, reason: str, ip_address: str | None = None
) -> bool:
    """Remove the admin's record, so the package's approval (if any) applies again; audited.

    :raise ValueError: without a reason. Returns False when there was nothing to remove.
    """
    if not reason.strip():
        raise ValueError("the reason is required")
    row = recorded_approval(course)
    if row is None:
        return False
    before = approval_for(course)
    db.session.delete(row)
    db.session.flush()
    after = package_approval(course.manifest)
    record_event(
        actor,
        "course.approval_cleared",
        "course",
        course.slug,
        {
            "reason": reason.strip(),
            "before": before.as_dict() if before else None,
            "after": after.as_dict() if after else None,
        },
        ip_address,
    )
    return True
