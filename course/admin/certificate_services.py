"""Certificate records for administrators: search and ZIP export."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from typing import BinaryIO

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, selectinload

from course import issuing
from course.admin.learner_services import like_pattern, name_pattern
from course.admin.pack_readme import certificates_readme
from course.csvout import csv_text
from course.dates import day_bounds, local_iso
from course.db import utcnow
from course.extensions import db
from course.models import AuditEvent, Certificate, Course, User

INDEX_COLUMNS = (
    "code", "status", "participant_name", "completed_on", "course_title", "course_version",
    "issued_at", "pdf_sha256", "file", "license_number", "license_jurisdiction",
    "contact_hours", "superseded_by_code", "revoked_at", "revoked_reason",
)
# From each certificate's snapshot: what it states, whatever the course is called now.
INDEXED_FIELDS = (
    "participant_name", "completed_on", "course_title", "course_version",
    "licence_number", "licence_jurisdiction", "contact_hours",
)
PDF_BATCH = 100
#: A ZIP this large (bytes) moves from memory to a temporary file on disk.
ZIP_IN_MEMORY = 8 * 1024 * 1024


def search_certificates(query: str | None, limit: int = 100) -> list[Certificate]:
    """Return certificates whose code, holder name or email matches, newest first."""
    statement = select(Certificate).join(User, Certificate.user_id == User.id)
    if query:
        like = like_pattern(query)
        statement = statement.where(or_(
            Certificate.code.ilike(like, escape="\\"),
            User.name_key.like(name_pattern(query), escape="\\"),
            User.email.ilike(like, escape="\\"),
        ))  # fmt: skip
    statement = statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return list(db.session.scalars(statement.limit(limit)))


def get_certificate_or_none(code: str) -> Certificate | None:
    """Return the certificate with this exact code."""
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def replacement_of(certificate: Certificate) -> Certificate | None:
    """Return the certificate that replaced this one on reissue or reinstated it, if any."""
    if certificate.superseded_by_id is None:
        return None
    return db.session.get(Certificate, certificate.superseded_by_id)


def replaced_by_this(certificate: Certificate) -> Certificate | None:
    """Return the certificate this one replaced on reissue, or the revoked one it reinstates."""
    # Through the enrolment's index: a replacement belongs to the same enrolment.
    return db.session.scalar(select(Certificate).where(
        Certificate.enrolment_id == certificate.enrolment_id,
        Certificate.superseded_by_id == certificate.id,
    ))  # fmt: skip


def history_of(certificate: Certificate, replaced: Certificate | None = None) -> list[AuditEvent]:
    """Return what was done to the certificate (issued, correction asked, reissued,
    revoked, reinstated), oldest first, with who did it: the page answers "why" without
    the log.

    A replacement's own issue is recorded on the certificate it ``replaced``: that
    reissue or reinstatement is its first event.
    """
    about = (AuditEvent.subject_id == certificate.code) & AuditEvent.action.in_(HISTORY_ACTIONS)
    if replaced is not None:
        about |= (AuditEvent.subject_id == replaced.code) & (
            AuditEvent.action.in_(SUCCESSOR_ACTIONS)
        )
    statement = (
        select(AuditEvent)
        .options(selectinload(AuditEvent.actor))
        .where(AuditEvent.subject_type == "certificate", about)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return list(db.session.scalars(statement))


#: The events about a certificate its page lists, in the words it lists them with.
HISTORY_ACTIONS = {
    "certificate.issued": "Issued",
    "correction.requested": "Learner asked for a correction",
    "certificate.reissued": "Reissued",
    "certificate.revoked": "Revoked",
    "certificate.reinstated": "Reinstated",
}
#: The events that issue a new certificate in an old one's place.
SUCCESSOR_ACTIONS = ("certificate.reissued", "certificate.reinstated")


def certificates_zip(
    course: Course, start: dt.date | None, end: dt.date | None, made_by: User
) -> BinaryIO:
    """Return a ZIP of the course's certificate PDFs issued in [start, end], with an index
    and a README, as a temporary file read from its start (on disk once it outgrows
    ``ZIP_IN_MEMORY``)."""
    # A replaced or reinstated certificate names its successor: the ZIP holds both PDFs
    # for one completion, and the verification page never names the new code.
    successor = aliased(Certificate)
    statement = (
        select(Certificate.id, Certificate.code, Certificate.status,
               *(Certificate.snapshot[name].as_string() for name in INDEXED_FIELDS),
               Certificate.issued_at, Certificate.pdf_sha256, Certificate.pdf, successor.code,
               Certificate.revoked_at, Certificate.revoked_reason)
        .outerjoin(successor, Certificate.superseded_by_id == successor.id)
        .where(Certificate.course_id == course.id)
    )  # fmt: skip
    since, before = day_bounds(start, end)  # the provider's calendar days
    if since:
        statement = statement.where(Certificate.issued_at >= since)
    if before:
        statement = statement.where(Certificate.issued_at < before)
    # One statement, PDF_BATCH rows at a time: a certificate's PDF is some 30 KB.
    found = db.session.connection().execute(
        statement.order_by(Certificate.issued_at), execution_options={"yield_per": PDF_BATCH}
    )
    spool = tempfile.SpooledTemporaryFile(max_size=ZIP_IN_MEMORY)
    index: list[list[str]] = []
    stated: set[tuple[int, str]] = set()  # (version, title) as the certificates print them
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate_id, code, status, *snapshot, issued_at, sha256, pdf, by, revoked_at, \
                why in found:
            name, completed_on, title, version, *licence_and_hours = snapshot
            stated.add((int(version), title))
            file = f"certificate-{code}.pdf"
            if pdf is None:  # issued before PDFs were stored: rendered again from its record
                pdf = issuing.pdf_of(db.session.get(Certificate, certificate_id))
            # A PDF's streams are compressed already: deflating it again gains nothing.
            archive.writestr(file, pdf, compress_type=zipfile.ZIP_STORED)
            index.append([code, status.value, name, completed_on, title, version,
                          local_iso(issued_at), sha256, file, *licence_and_hours, by,
                          local_iso(revoked_at) or "", why or ""])  # fmt: skip
        archive.writestr("index.csv", csv_text(INDEX_COLUMNS, index))
        readme = certificates_readme(course, start, end, len(index), made_by, utcnow(),
                                     sorted(stated))  # fmt: skip
        archive.writestr("README.txt", readme)
    spool.seek(0)
    return spool
