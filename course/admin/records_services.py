"""CE records: the streamed certificate CSV and the audit log.

The CSV is produced row by row from a server-side cursor, so exporting every certificate
ever issued takes the same memory as exporting ten.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Iterator

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, selectinload

import certificates
from course import audit
from course.admin.audit_details import detail_entries, detail_text
from course.admin.audit_subjects import subject_names
from course.admin.learner_services import like_pattern, name_pattern
from course.admin.paging import Page, paginate
from course.audit import record_event, unnamed_actor, us_spelling
from course.csvout import BATCH_ROWS, csv_chunks, yes_no
from course.dates import day_bounds, local_iso, provider_zone
from course.dbutil import among
from course.extensions import db
from course.learn.activetime import minutes_of
from course.models import (
    AuditEvent,
    Certificate,
    CertificateStatus,
    Course,
    CourseVersion,
    Enrolment,
    LessonProgress,
    PostTestAttempt,
    User,
)
from course.users import normalise_email

SNAPSHOT_FIELDS = tuple(field.name for field in dataclasses.fields(certificates.CertificateRecord))
CERTIFICATE_COLUMNS = (
    "code",
    "status",
    "issued_at",
    "revoked_at",
    "revoked_reason",
    "superseded_by_code",
    "superseded_at",
    "superseded_reason",
    # The account as it is now, named apart from what the certificate states (snapshot_*):
    # "learner_license_number" on a certificate that printed none read as if it had.
    "account_email",
    "account_license_number",
    "account_license_jurisdiction",
    "course_slug",
    "course_version",
    "completed_at",
    "post_test_score",
    "active_minutes",
    "pdf_sha256",
    # The record's fields keep their British names; a person reads the US ones.
    *(f"snapshot_{name}".replace("licence", "license") for name in SNAPSHOT_FIELDS),
)


@dataclasses.dataclass(frozen=True)
class AuditFilter:
    """What the audit log page is narrowed to; empty fields do not filter."""

    actor: str | None = None
    action: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    #: Whom the events are about: an email address (whole) or part of a name, as typed.
    learner: str | None = None
    #: Whom the events are about, by account: the learner page's link, stable across an
    #: email change.
    learner_id: int | None = None

    @property
    def about_learner(self) -> bool:
        """Return True if the log is narrowed to the events about some learner."""
        return bool(self.learner) or self.learner_id is not None


def _certificate_query(course_id: int | None, enrolments=None):
    replacement = aliased(Certificate)
    # Why a replaced certificate was reissued, or a revoked one reinstated, is kept only
    # in its audit event (indexed by subject); a board asking about the code needs it.
    reissue = (
        select(AuditEvent.detail)
        .where(AuditEvent.subject_type == "certificate", AuditEvent.subject_id == Certificate.code,
               AuditEvent.action.in_(("certificate.reissued", "certificate.reinstated")))
        .order_by(AuditEvent.id.desc())
        .limit(1)
        .correlate(Certificate)
        .scalar_subquery()
    )  # fmt: skip
    best = (
        select(
            PostTestAttempt.enrolment_id,
            func.max(PostTestAttempt.score_percent).label("score"),
        )
        .where(PostTestAttempt.passed.is_(True))
        .group_by(PostTestAttempt.enrolment_id)
        .subquery()
    )
    active = (
        select(
            LessonProgress.enrolment_id,
            func.sum(LessonProgress.active_seconds).label("seconds"),
        )
        .group_by(LessonProgress.enrolment_id)
        .subquery()
    )
    statement = (
        select(
            Certificate.code,
            Certificate.status,
            Certificate.issued_at,
            Certificate.revoked_at,
            Certificate.revoked_reason,
            replacement.code,
            replacement.issued_at,
            reissue,
            User.email,
            User.licence_number,
            User.licence_jurisdiction,
            Course.slug,
            CourseVersion.number,
            Enrolment.completed_at,
            best.c.score,
            active.c.seconds,
            Certificate.pdf_sha256,
            Certificate.snapshot,
        )
        .join(User, User.id == Certificate.user_id)
        .join(Course, Course.id == Certificate.course_id)
        .join(CourseVersion, CourseVersion.id == Certificate.version_id)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .outerjoin(replacement, replacement.id == Certificate.superseded_by_id)
        .outerjoin(best, best.c.enrolment_id == Certificate.enrolment_id)
        .outerjoin(active, active.c.enrolment_id == Certificate.enrolment_id)
        # Ids follow issue order, and the primary key needs no sort before the first row.
        .order_by(Certificate.id)
    )
    if course_id is not None:
        statement = statement.where(Certificate.course_id == course_id)
    if enrolments is not None:
        statement = statement.where(among(Certificate.enrolment_id, enrolments))
    return statement


def certificate_rows(
    course_id: int | None = None, batch: int = BATCH_ROWS, enrolments=None
) -> Iterator[list]:
    """Yield one list of cells per certificate, fetched ``batch`` rows at a time.

    Takes the course's id, not the course: the rows are read after the view has returned,
    in a fresh session, where the view's objects are no longer loaded. Rows come through
    the Core connection (no ORM bookkeeping per row) from a server-side cursor.
    ``enrolments`` (a collection of ids) narrows the rows to those enrolments'.
    """
    # On the statement, not the connection: Connection.execution_options() changes the
    # session's connection in place, so a later INSERT in the same transaction (the audit
    # pack records its download) would go through a server-side cursor, which PostgreSQL
    # refuses.
    connection = db.session.connection()
    authors = SNAPSHOT_FIELDS.index("authors")
    # Stored in UTC; stated like every other instant in the file. In UTC, a completion
    # late in the provider's evening read as the next day beside snapshot_completed_on.
    instants = [SNAPSHOT_FIELDS.index(name) for name in ("issued_at", "completed_at")]
    zone = provider_zone()  # issued, revoked and completed: in the provider's time zone
    statement = _certificate_query(course_id, enrolments).execution_options(yield_per=batch)
    for row in connection.execute(statement):
        *fields, seconds, sha256, snapshot = row
        fields[1] = fields[1].value
        reason = (fields[_REASON] or {}).get("reason") or None
        # A revoked certificate with a successor was reinstated, not corrected.
        if reason and fields[1] == CertificateStatus.REVOKED.value:
            reason = f"Reinstated: {reason}"
        fields[_REASON] = reason
        for index in _INSTANTS:
            if fields[index] is not None:
                # To the second, as every other export (``local_iso``) writes instants.
                fields[index] = fields[index].astimezone(zone).replace(microsecond=0).isoformat()
        minutes = None if seconds is None else minutes_of(seconds)
        # Booleans as yes or no, as every other file of the records writes them.
        printed = [yes_no(value) if isinstance(value, bool) else value
                   for value in (snapshot.get(name) for name in SNAPSHOT_FIELDS)]
        printed[authors] = author_lines(printed[authors] or [])
        for index in instants:
            if printed[index]:
                printed[index] = local_iso(dt.datetime.fromisoformat(printed[index]))
        yield [*fields, minutes, sha256, *printed]


_INSTANTS = tuple(
    CERTIFICATE_COLUMNS.index(name)
    for name in ("issued_at", "revoked_at", "superseded_at", "completed_at")
)
_REASON = CERTIFICATE_COLUMNS.index("superseded_reason")


def author_lines(authors: list[dict[str, str]]) -> str:
    """Authors as a certificate prints them ("Name, CREDENTIALS (Role)"), joined by "; "."""
    # The certificate's own wording (AuthorLine.display), so the CSVs say what it says.
    return "; ".join(
        certificates.AuthorLine(a.get("name") or "", a.get("credentials") or "",
                                a.get("role") or "").display()
        for a in authors
    )  # fmt: skip


def certificates_csv(course_id: int | None = None, batch: int = BATCH_ROWS) -> Iterator[str]:
    """Yield the certificate CSV (every audit and snapshot field) chunk by chunk."""
    return csv_chunks(CERTIFICATE_COLUMNS, certificate_rows(course_id, batch), batch)


def audit_events(filters: AuditFilter, page: int) -> Page:
    """Return a page of audit events, newest first, narrowed by actor, action and dates."""
    # The page names every actor: one query loads them all (a query each grew with every
    # person on the page). Not a join: page 400's OFFSET would join every skipped event.
    statement = select(AuditEvent).options(selectinload(AuditEvent.actor))
    return paginate(_audit_query(statement, filters), page)


def named_accounts(details: Iterable[dict | None]) -> dict[int, User]:
    """The accounts these details name by id, by id (one query for a page or a batch)."""
    ids = set().union(*(audit.account_ids(detail) for detail in details))
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def event_details(events: list[AuditEvent]) -> dict[int, list[tuple[str, str]]]:
    """Each event's detail in words (``detail_entries``), by event id."""
    accounts = named_accounts(e.detail for e in events)
    return {e.id: detail_entries(e.detail, accounts) for e in events}


AUDIT_COLUMNS = (
    "id", "time_utc", "actor_email", "actor_name", "action", "subject_type", "subject_id",
    "subject_name", "reason", "ip_address", "detail", "detail_text",
)  # fmt: skip


def audit_rows(filters: AuditFilter, batch: int = BATCH_ROWS) -> Iterator[list]:
    """Yield the filtered audit events as CSV rows, newest first, ``batch`` at a time."""
    statement = _audit_query(
        select(
            AuditEvent.id, AuditEvent.created_at, User.email, User.full_name, AuditEvent.action,
            AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.ip_address,
            AuditEvent.detail,
        ).outerjoin(User, User.id == AuditEvent.actor_id),
        filters,
    )  # fmt: skip
    connection = db.session.connection()  # yield_per on the statement: see certificate_rows
    result = connection.execute(statement.execution_options(yield_per=batch))
    while rows := result.fetchmany(batch):
        # Whom each event is about, named a batch at a time (one query a kind of subject).
        names = subject_names((row.subject_type, row.subject_id) for row in rows)
        accounts = named_accounts(row.detail for row in rows)
        for event_id, created_at, email, name, action, kind, subject, ip_address, detail in rows:
            detail = detail or {}
            if email is None and name is None:
                # As the log page names them: blank, a command and the system looked alike.
                name = unnamed_actor(detail)
            why = detail.get("reason") or detail.get("note") or ""
            shown = json.dumps(us_spelling(detail), ensure_ascii=False, sort_keys=True)
            # The JSON for a program; the words for an auditor reading a spreadsheet.
            yield [event_id, created_at, email, name, action, kind, subject,
                   names.get((kind, subject), ""), why, ip_address, shown,
                   detail_text(detail, accounts)]  # fmt: skip


def audit_csv(filters: AuditFilter, batch: int = BATCH_ROWS) -> Iterator[str]:
    """Yield the filtered audit log as CSV, through the one neutralising CSV writer."""
    return csv_chunks(AUDIT_COLUMNS, audit_rows(filters, batch), batch)


def _audit_query(statement, filters: AuditFilter):
    statement = statement.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if filters.actor:
        # The people whose address or name matches first (a list far shorter than the
        # log), then their events by index: never the pattern against every event.
        like = like_pattern(filters.actor)
        actors = select(User.id).where(
            or_(User.email.ilike(like, escape="\\"),
                User.name_key.like(name_pattern(filters.actor), escape="\\"))
        ).correlate(None)  # the CSV's own join of user_account is another row's
        statement = statement.where(AuditEvent.actor_id.in_(actors))
    if filters.about_learner:
        # The accounts once (a name is a pattern: one scan of the accounts, not one a kind).
        statement = statement.where(audit.about(_learner_ids(filters).cte("learner_ids")))
    if filters.action:
        statement = statement.where(AuditEvent.action == filters.action)
    since, before = day_bounds(filters.start, filters.end)  # the provider's calendar days
    if since:
        statement = statement.where(AuditEvent.created_at >= since)
    if before:
        statement = statement.where(AuditEvent.created_at < before)
    return statement


def _learner_ids(filters: AuditFilter):
    """The accounts the learner filter names: by id, by whole email address or by name."""
    ids = select(User.id).correlate(None)  # never tied to an outer query's user_account
    if filters.learner_id is not None:
        ids = ids.where(User.id == filters.learner_id)
    if filters.learner:
        # The whole address, compared as stored, unlike the actor filter: a part of one
        # ("ann@") would bring in another learner's events ("joann@") when answering one
        # learner's request. A name matches in part, as the actor filter's does.
        ids = ids.where(or_(User.email == normalise_email(filters.learner),
                            User.name_key.like(name_pattern(filters.learner), escape="\\")))
    return ids


#: How many of the accounts a learner filter matches the page names.
NAMED_LEARNERS = 5


def audit_learners(filters: AuditFilter) -> list[User]:
    """Return the accounts the learner filter matches, one more than the page names."""
    ids = _learner_ids(filters)
    statement = select(User).where(User.id.in_(ids)).order_by(User.full_name, User.id)
    return list(db.session.scalars(statement.limit(NAMED_LEARNERS + 1)))


def audit_actions() -> list[str]:
    """Return every action name in the audit log, for the filter's choices."""
    statement = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    return list(db.session.scalars(statement))


def record_export(
    actor: User,
    action: str,
    what: str,
    ip_address: str | None = None,
    detail: dict | None = None,
    subject_type: str = "course",
) -> None:
    """Log that records left the system: who took which export (``what``: a course's slug,
    or "all"), and when."""
    record_event(actor, action, subject_type, what, detail or {}, ip_address)
