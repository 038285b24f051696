"""The completion roster and attempt history of a course, narrowed by version and period.

An audit asks about one period ("completions in 2026") and often one version of the
course; each roster row says which version the learner took, so a pack can carry the
package of every version its completers read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased

from course.csvout import BATCH_ROWS, csv_chunks, csv_text, yes_no
from course.dates import date_label, day_bounds, local_iso
from course.extensions import db
from course.learn.activetime import enrolment_times, minutes_of
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
    "participant_name", "email", "license_number", "license_jurisdiction", "enrolled_at",
    "completed_at", "course_title", "course_version", "contact_hours", "post_test_attempts",
    "score", "passing_score",
    "active_minutes", "estimated_minutes", "minimum_active_minutes", "evaluation_submitted_at",
    "certificate_code", "certificate_status", "active_seconds",
)  # fmt: skip
#: Every enrollment, finished or not: the roster's columns, the lessons completed and the
#: best counted score (``score`` is the passing attempt's, blank for a learner who failed).
ENROLLMENT_COLUMNS = (*ROSTER_COLUMNS, "lessons_completed", "best_score")
#: The snapshot fields the roster shows instead of the account's (they may since differ).
CERTIFIED_FIELDS = ("participant_name", "licence_number", "licence_jurisdiction")
#: The snapshot fields the roster shows instead of the version's: what was certified.
CERTIFIED_CREDIT = ("course_title", "contact_hours")
ATTEMPT_COLUMNS = (
    "participant_name", "email", "attempt", "course_version", "started_at", "submitted_at",
    "correct", "questions", "score", "passed", "counted", "reset_at", "reset_reason",
    "blueprint", "graded_by_version", "passing_score", "minutes_taken",
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

    def audit_detail(self) -> dict[str, str]:
        """The scope as the audit log records an export: "all" where it was not narrowed,
        so an unfiltered download says so rather than nothing."""
        found = {"version": "all", **self.detail()}
        if self.start is None and self.end is None:
            found["period"] = "all"
        return found


@dataclass(frozen=True)
class RosterRow:
    """One completed enrolment as the roster lists it."""

    enrolment_id: int
    version_number: int
    cells: list


def completions(course_id: int, scope: AuditScope) -> Select:
    """The ids of the course's enrolments completed in the scope's period, of every version.

    A subquery rather than a list of ids: one parameter, however many completions there
    are. The version a learner took is worked out in Python (``enrolment_times``), so
    callers narrowing to a version keep only the rows of the roster's enrolments.
    """
    return _completed(select(Enrolment.id), course_id, scope)


def _completed(statement: Select, course_id: int, scope: AuditScope) -> Select:
    statement = statement.where(
        Enrolment.course_id == course_id, Enrolment.completed_at.is_not(None)
    )
    return _in_period(statement, Enrolment.completed_at, scope)


def _in_period(statement: Select, column, scope: AuditScope) -> Select:
    """Narrow to rows whose ``column`` falls on the scope's days (provider's calendar)."""
    since, before = day_bounds(scope.start, scope.end)
    if since:
        statement = statement.where(column >= since)
    if before:
        statement = statement.where(column < before)
    return statement


def roster_rows(
    course: Course, scope: AuditScope, batch: int = BATCH_ROWS
) -> Iterator[RosterRow]:
    """Return every completion of the course within the scope, in completion order,
    read ``batch`` rows at a time.

    The course and scope are read now: a streamed roster reads its rows after the view
    has committed, when the view's objects are expired.
    """
    number = scope.version.number if scope.version is not None else None
    statement = _completed(_roster_query(), course.id, scope)
    statement = statement.order_by(Enrolment.completed_at, Enrolment.id)
    return _roster_rows(course.id, number, statement, batch)


def enrollment_rows(
    course: Course, scope: AuditScope, batch: int = BATCH_ROWS
) -> Iterator[RosterRow]:
    """Return every enrollment in the course begun within the scope's period, finished or
    not, in enrollment order: the participants, beside the completers the roster lists.

    Each row is the roster's, completed_at and certificate blank until earned, with the
    lessons completed and the best counted score at the end (``ENROLLMENT_COLUMNS``).
    """
    number = scope.version.number if scope.version is not None else None
    statement = _roster_query().where(Enrolment.course_id == course.id)
    statement = _in_period(statement, Enrolment.enrolled_at, scope)
    statement = statement.order_by(Enrolment.enrolled_at, Enrolment.id)
    return _roster_rows(course.id, number, statement, batch, with_lessons=True)


def _roster_query() -> Select:
    attempts = (
        select(
            PostTestAttempt.enrolment_id,
            func.count().label("n"),
            func.max(case((PostTestAttempt.passed.is_(True), PostTestAttempt.score_percent)))
            .label("score"),
            # The pass mark that graded the pass (None for attempts from before it was kept).
            func.max(case((PostTestAttempt.passed.is_(True), PostTestAttempt.passing_score)))
            .label("pass_mark"),
            func.max(PostTestAttempt.score_percent).label("best"),
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
    # Only the fields the roster shows: decoding each whole snapshot in Python cost more
    # than the rest of the roster.
    certified = [Certificate.snapshot[name].as_string()
                 for name in (*CERTIFIED_FIELDS, *CERTIFIED_CREDIT)]  # fmt: skip
    statement = (
        select(Enrolment.id, User.full_name, User.email, User.licence_number,
               User.licence_jurisdiction, *certified, Enrolment.enrolled_at,
               Enrolment.completed_at, attempts.c.n, attempts.c.score, attempts.c.pass_mark,
               EvaluationResponse.submitted_at, Certificate.code, Certificate.status,
               attempts.c.best)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(attempts, attempts.c.enrolment_id == Enrolment.id)
        .outerjoin(EvaluationResponse, EvaluationResponse.enrolment_id == Enrolment.id)
        .outerjoin(latest, latest.c.enrolment_id == Enrolment.id)
        .outerjoin(Certificate, Certificate.id == latest.c.id)
    )  # fmt: skip
    return statement


def _roster_rows(
    course_id: int, number: int | None, statement: Select, batch: int, with_lessons: bool = False
) -> Iterator[RosterRow]:
    facts = _version_facts(course_id)
    found = db.session.connection().execute(statement, execution_options={"yield_per": batch})
    for part in found.partitions():
        # A batch's times at once: a bounded list of ids, whatever the roster's length.
        times = enrolment_times([row[0] for row in part])
        for row in part:
            (enrolment_id, name, email, licence, jurisdiction, *as_certified, title, hours,
             enrolled, completed, n, score, pass_mark, evaluated, code, status,
             best) = row  # fmt: skip
            time = times[enrolment_id]
            if number is not None and time.version_number != number:
                continue
            # As the certificate states them (the email is not on it); the account's
            # details, and the taken version's title and hours, where none was issued.
            who = [name, licence, jurisdiction] if as_certified[0] is None else as_certified
            version = facts.get(time.version_number, _NO_FACTS)
            if title is None:
                title, hours = version.title, version.contact_hours
            if pass_mark is None:
                pass_mark = version.passing_score
            cells = [who[0], email, *who[1:], local_iso(enrolled), local_iso(completed), title,
                     time.version_number, hours, n or 0, score, pass_mark, time.active_minutes,
                     time.estimated_minutes, time.minimum_minutes, local_iso(evaluated), code,
                     status.value if status else "not issued", time.active_seconds]  # fmt: skip
            if with_lessons:
                cells += [time.lessons_completed, best]
            yield RosterRow(enrolment_id, time.version_number, cells)


@dataclass(frozen=True)
class _VersionFacts:
    """What a version's package states that a roster row without a certificate needs."""

    title: str | None = None
    contact_hours: str | None = None
    passing_score: int | None = None


_NO_FACTS = _VersionFacts()


def _version_facts(course_id: int) -> dict[int, _VersionFacts]:
    """Each version's title, contact hours and passing score (percent), by version number."""
    versions = db.session.execute(
        select(CourseVersion.number, CourseVersion.manifest).where(
            CourseVersion.course_id == course_id
        )
    )
    facts = {}
    for number, manifest in versions:
        manifest = manifest or {}
        hours = manifest.get("contact_hours")
        # Written as a certificate would state them ("1.5", as issuing's Decimal gives).
        hours = None if hours is None else str(Decimal(str(hours)))
        facts[number] = _VersionFacts(manifest.get("title"), hours, manifest.get("passing_score"))
    return facts


def roster_chunks(rows: Iterable[RosterRow], batch: int = BATCH_ROWS) -> Iterator[str]:
    """Yield the roster as CSV, ``batch`` rows a chunk (cells neutralised against formulas)."""
    return csv_chunks(ROSTER_COLUMNS, (row.cells for row in rows), batch)


def enrollment_chunks(rows: Iterable[RosterRow], batch: int = BATCH_ROWS) -> Iterator[str]:
    """Yield every enrollment as CSV, ``batch`` rows a chunk (cells neutralised)."""
    return csv_chunks(ENROLLMENT_COLUMNS, (row.cells for row in rows), batch)


def roster_csv(rows: Iterable[RosterRow]) -> str:
    """Return the roster as CSV text (cells neutralised against spreadsheet formulas)."""
    return "".join(roster_chunks(rows))


def attempts_csv(course: Course, scope: AuditScope, rows: list[RosterRow]) -> str:
    """Return every post-test attempt of the roster's learners as CSV, reset ones included."""
    # Named as the roster names them (as certified), so the two files agree after a
    # learner's account name changed without a reissue.
    named = {row.enrolment_id: row.cells[0] for row in rows}
    covered = set(named)
    graded_by = aliased(CourseVersion)
    # The columns the CSV shows, not whole attempts: each one's draw and draft are JSON
    # that would be decoded for nothing.
    found = db.session.execute(
        select(PostTestAttempt.enrolment_id, User.full_name, User.email, PostTestAttempt.number,
               CourseVersion.number, PostTestAttempt.started_at, PostTestAttempt.submitted_at,
               PostTestAttempt.correct_count, PostTestAttempt.question_count,
               PostTestAttempt.score_percent, PostTestAttempt.passed, PostTestAttempt.reset_at,
               PostTestAttempt.reset_reason, PostTestAttempt.blueprint, graded_by.number,
               PostTestAttempt.passing_score)
        .join(Enrolment, Enrolment.id == PostTestAttempt.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .join(CourseVersion, CourseVersion.id == PostTestAttempt.version_id)
        .outerjoin(graded_by, graded_by.id == PostTestAttempt.graded_version_id)
        .where(PostTestAttempt.enrolment_id.in_(completions(course.id, scope)))
        .order_by(Enrolment.completed_at, Enrolment.id, PostTestAttempt.number)
    ) if covered else []  # fmt: skip
    cells = []
    for row in found:
        (enrolment_id, name, email, number, version, started, submitted, correct, questions,
         score, passed, reset_at, reset_reason, parts, graded_number, pass_mark) = row  # fmt: skip
        if enrolment_id not in covered:  # another version's completion
            continue
        blueprint = "; ".join(f"{part['objective']}: {part['drawn']} of {part['bank']}"
                              for part in parts or [])  # fmt: skip
        cells.append([
            named[enrolment_id] or name, email, number, version, local_iso(started),
            local_iso(submitted), correct, questions, score, yes_no(passed),
            yes_no(reset_at is None), local_iso(reset_at), reset_reason, blueprint,
            graded_number, pass_mark, _minutes_taken(started, submitted),
        ])  # fmt: skip
    return csv_text(ATTEMPT_COLUMNS, cells)


def _minutes_taken(started: dt.datetime | None, submitted: dt.datetime | None) -> float | None:
    """Minutes from opening an attempt to submitting it, to the tenth rounded down."""
    if started is None or submitted is None:
        return None
    return minutes_of(max(0, int((submitted - started).total_seconds())))


def attempt_versions(course: Course, scope: AuditScope, rows: list[RosterRow]) -> set[int]:
    """Return the numbers of the versions the roster's attempts were drawn from or graded by."""
    covered = {row.enrolment_id for row in rows}
    if not covered:
        return set()
    found = db.session.execute(
        select(PostTestAttempt.enrolment_id, CourseVersion.number).join(
            PostTestAttempt,
            (CourseVersion.id == PostTestAttempt.version_id)
            | (CourseVersion.id == PostTestAttempt.graded_version_id),
        ).where(PostTestAttempt.enrolment_id.in_(completions(course.id, scope))).distinct()
    )  # fmt: skip
    return {number for enrolment_id, number in found if enrolment_id in covered}


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
