"""Certificate records for administrators: search and ZIP export."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from sqlalchemy import or_, select

from course import issuing
from course.admin.learner_services import like_pattern
from course.csvout import csv_text
from course.dates import day_bounds, local_iso
from course.extensions import db
from course.models import Certificate, Course, User

INDEX_COLUMNS = (
    "code", "status", "participant_name", "completed_on", "issued_at", "pdf_sha256", "file",
)


def search_certificates(query: str | None, limit: int = 100) -> list[Certificate]:
    """Return certificates whose code, holder name or email matches, newest first."""
    statement = select(Certificate).join(User, Certificate.user_id == User.id)
    if query:
        like = like_pattern(query)
        statement = statement.where(or_(
            Certificate.code.ilike(like, escape="\\"), User.full_name.ilike(like, escape="\\"),
            User.email.ilike(like, escape="\\"),
        ))  # fmt: skip
    statement = statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    return list(db.session.scalars(statement.limit(limit)))


def get_certificate_or_none(code: str) -> Certificate | None:
    """Return the certificate with this exact code."""
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def replacement_of(certificate: Certificate) -> Certificate | None:
    """Return the certificate that replaced this one on reissue, if any."""
    if certificate.superseded_by_id is None:
        return None
    return db.session.get(Certificate, certificate.superseded_by_id)


def certificates_zip(course: Course, start: dt.date | None, end: dt.date | None) -> bytes:
    """Return a ZIP of the course's certificate PDFs issued in [start, end], with an index."""
    statement = select(Certificate).where(Certificate.course_id == course.id)
    since, before = day_bounds(start, end)  # the provider's calendar days
    if since:
        statement = statement.where(Certificate.issued_at >= since)
    if before:
        statement = statement.where(Certificate.issued_at < before)
    buffer = io.BytesIO()
    index: list[list[str]] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate in db.session.scalars(statement.order_by(Certificate.issued_at)):
            name = f"certificate-{certificate.code}.pdf"
            archive.writestr(name, issuing.pdf_of(certificate))
            snapshot = certificate.snapshot
            index.append([certificate.code, certificate.status.value,
                          snapshot["participant_name"], snapshot["completed_on"],
                          local_iso(certificate.issued_at), certificate.pdf_sha256, name])
        archive.writestr("index.csv", csv_text(INDEX_COLUMNS, index))
    return buffer.getvalue()
