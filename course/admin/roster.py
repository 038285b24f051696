"""The completion roster and attempt history of a course, narrowed by version and period.

An audit asks about one period ("completions in 2026") and often one version of the
course; each roster row says which version the learner took, so a pack can carry the
package of every version its completers read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from course.csvout import csv_text
from course.dates import date_label, day_bounds, local_iso
from course.extensions import db
from course.learn.activetime import enrolment_times
from course.models import (
    Certificate,
    CertificateStatus,
    Course,
    CourseVersion,
    Enrolment,
    EvaluationResponse,
    PostTestAttempt,
    User,
)
from course.packages import find_version

ROSTER_COLUMNS = (
    "participant_name", "email", "licence_number", "licence_jurisdiction", "enrolled_at",
    "completed_at", "course_version", "post_test_attempts", "score", "passing_score",
    "active_minutes", "estimated_minutes", "minimum_active_minutes", "evaluation_submitted_at",
    "certificate_code", "certificate_status",
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "participant_name", "email", "attempt", "course_version", "started_at", "submitted_at",
    "correct", "questions", "score", "passed", "counted", "reset_at", "reset_reason",
    "blueprint", "graded_by_version", "passing_score",
)  # fmt: skip


@dataclass(frozen=True)
class AuditScope:
    """Which completions an audit covers: one version (or every one) and a period of the
    provider's calendar days (open at either end)."""

    version: CourseVersion | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def describe(self) -> str:
        """The scope in words, for the pack's README: "version 2, completed from ... to ..."."""
        version = f"version {self.version.number}" if self.version else "every version"
        if self.start and self.end:
            period = f"completed from {date_label(self.start)} to {date_label(self.end)}"
        elif self.start:
            period = f"completed on or after {date_label(self.start)}"
        elif self.end:
            period = f"completed on or before {date_label(self.end)}"
        else:
            period = "completed at any time"
        return f"{version}, {period}"

    def detail(self) -> dict[str, str]:
        """The scope for an audit event's detail (empty parts left out)."""
        found = {"version": self.version.number if self.version else None,
                 "start": self.start, "end": self.end}  # fmt: skip
        return {key: str(value) for key, value in found.items() if value is not None}


@dataclass(frozen=True)
class RosterRow:
    """One completed enrolment as the roster lists it."""

    enrolment_id: int
    version_number: int
    cells: list


def roster_rows(course: Course, scope: AuditScope) -> list[RosterRow]:
    """Return every completion of the course within the scope, in completion order."""
    attempts = (
        select(
            PostTestAttempt.enrolment_id,
            func.count().label("n"),
            func.max(case((PostTestAttempt.passed.is_(True), PostTestAttempt.score_percent)))
            .label("score"),
            # The pass mark that graded the pass (None for attempts from before it was kept).
            func.max(case((PostTestAttempt.passed.is_(True), PostTestAttempt.passing_score)))
            .label("pass_mark"),
        )
        .where(PostTestAttempt.submitted_at.is_not(None), PostTestAttempt.reset_at.is_(None))
        .group_by(PostTestAttempt.enrolment_id).subquery()
    )  # fmt: skip
    # The enrolment's certificate as it stands: the valid one, else the revoked one (a
    # replaced certificate always has a newer one after it).
    latest = (
        select(Certificate.enrolment_id, func.max(Certificate.id).label("id"))
        .where(Certificate.status != CertificateStatus.SUPERSEDED)
        .group_by(Certificate.enrolment_id).subquery()
    )  # fmt: skip
    statement = (
        select(Enrolment.id, User.full_name, User.email, User.licence_number,
               User.licence_jurisdiction, Enrolment.enrolled_at, Enrolment.completed_at,
               attempts.c.n, attempts.c.score, attempts.c.pass_mark,
               EvaluationResponse.submitted_at,
               Certificate.code, Certificate.status, Certificate.snapshot)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(attempts, attempts.c.enrolment_id == Enrolment.id)
        .outerjoin(EvaluationResponse, EvaluationResponse.enrolment_id == Enrolment.id)
        .outerjoin(latest, latest.c.enrolment_id == Enrolment.id)
        .outerjoin(Certificate, Certificate.id == latest.c.id)
        .where(Enrolment.course_id == course.id, Enrolment.completed_at.is_not(None))
        .order_by(Enrolment.completed_at, Enrolment.id)
    )  # fmt: skip
    since, before = day_bounds(scope.start, scope.end)
    if since:
        statement = statement.where(Enrolment.completed_at >= since)
    if before:
        statement = statement.where(Enrolment.completed_at < before)
    found = db.session.execute(statement).all()
    times = enrolment_times([row[0] for row in found])
    passing = _passing_scores(course)
    rows = []
    for row in found:
        (enrolment_id, *who, enrolled, completed, n, score, pass_mark, evaluated, code, status,
         snapshot) = row
        time = times[enrolment_id]
        if scope.version is not None and time.version_number != scope.version.number:
            continue
        cells = [*_as_certified(who, snapshot), local_iso(enrolled), local_iso(completed),
                 time.version_number, n or 0, score,
                 pass_mark if pass_mark is not None else passing.get(time.version_number),
                 time.active_minutes, time.estimated_minutes, time.minimum_minutes,
                 local_iso(evaluated), code, status.value if status else "not issued"]  # fmt: skip
        rows.append(RosterRow(enrolment_id, time.version_number, cells))
    return rows


def _as_certified(who: list, snapshot: dict | None) -> list:
    """The name, email and license as the certificate states them (the email is not on it);
    the account's details where no certificate was issued."""
    if not snapshot:
        return who
    _, email, *_ = who
    return [snapshot["participant_name"], email, snapshot.get("licence_number"),
            snapshot.get("licence_jurisdiction")]  # fmt: skip


def _passing_scores(course: Course) -> dict[int, int | None]:
    """Each version's passing score (percent), by version number."""
    versions = db.session.execute(
        select(CourseVersion.number, CourseVersion.manifest).where(
            CourseVersion.course_id == course.id
        )
    )
    return {number: (manifest or {}).get("passing_score") for number, manifest in versions}


def roster_csv(rows: list[RosterRow]) -> str:
    """Return the roster as CSV text (cells neutralised against spreadsheet formulas)."""
    return csv_text(ROSTER_COLUMNS, [row.cells for row in rows])


def attempts_csv(rows: list[RosterRow]) -> str:
    """Return every post-test attempt of the roster's learners as CSV, reset ones included."""
    ids = [row.enrolment_id for row in rows]
    graded_by = aliased(CourseVersion)
    found = db.session.execute(
        select(User.full_name, User.email, PostTestAttempt, CourseVersion.number,
               graded_by.number)
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .join(CourseVersion, CourseVersion.id == PostTestAttempt.version_id)
        .outerjoin(graded_by, graded_by.id == PostTestAttempt.graded_version_id)
        .where(PostTestAttempt.enrolment_id.in_(ids))
        .order_by(Enrolment.completed_at, Enrolment.id, PostTestAttempt.number)
    ).all() if ids else []  # fmt: skip
    cells = []
    for name, email, attempt, number, graded_number in found:
        blueprint = "; ".join(f"{part['objective']}: {part['drawn']} of {part['bank']}"
                              for part in attempt.blueprint or [])  # fmt: skip
        cells.append([
            name, email, attempt.number, number, local_iso(attempt.started_at),
            local_iso(attempt.submitted_at), attempt.correct_count, attempt.question_count,
            attempt.score_percent, _yes_no(attempt.passed), _yes_no(attempt.reset_at is None),
            local_iso(attempt.reset_at), attempt.reset_reason, blueprint, graded_number,
            attempt.passing_score,
        ])  # fmt: skip
    return csv_text(ATTEMPT_COLUMNS, cells)


def attempt_versions(rows: list[RosterRow]) -> set[int]:
    """Return the numbers of the versions the roster's attempts were drawn from or graded by."""
    ids = [row.enrolment_id for row in rows]
    if not ids:
        return set()
    found = db.session.scalars(
        select(CourseVersion.number).join(
            PostTestAttempt,
            (CourseVersion.id == PostTestAttempt.version_id)
            | (CourseVersion.id == PostTestAttempt.graded_version_id),
        ).where(PostTestAttempt.enrolment_id.in_(ids)).distinct()
    )  # fmt: skip
    return set(found)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def audit_scope(
    course: Course, number: int | None, start: dt.date | None, end: dt.date | None
) -> AuditScope:
    """Return the scope for version ``number`` (None: every version) and the period.

    :raise LookupError: when the course has no version ``number``; never another version.
    :raise ValueError: when the period ends before it starts.
    """
    if start and end and end < start:
        raise ValueError("The end date is before the start date.")
    version = None
    if number is not None:
        version = find_version(course, number)
        if version is None:
            raise LookupError(f"Course {course.slug} has no version {number}.")
    return AuditScope(version, start, end)
