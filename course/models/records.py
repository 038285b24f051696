"""Certificates and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.content import Course, CourseVersion
from course.models.users import User


class CertificateStatus(enum.StrEnum):
    """A certificate is valid until revoked or superseded by a reissue."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        """The word pages show, as the public verify page says it: superseded is "Replaced"."""
        return "Replaced" if self is CertificateStatus.SUPERSEDED else self.value.capitalize()


class Certificate(db.Model):
    """An issued certificate: a frozen snapshot of what it says, and its public code."""

    __tablename__ = "certificate"
    __table_args__ = (
        # One live certificate per learner and course version.
        Index(
            "uq_certificate_live",
            "user_id",
            "version_id",
            unique=True,
            sqlite_where=text("status = 'valid'"),
            postgresql_where=text("status = 'valid'"),
        ),
        Index(None, "issued_at", "id"),  # the admin's list, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("course_version.id"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id"), index=True)
    status: Mapped[CertificateStatus] = mapped_column(
        Enum(
            CertificateStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=CertificateStatus.VALID,
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id"))
    #: Every printed field as issued; later edits to names or courses never change it.
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)  # a board checks a file
    #: The PDF exactly as issued: a later template or library upgrade cannot change it.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: Issued before badge images were kept per course version: its credential keeps
    #: naming the course's badge, so a copy signed back then still matches a new download.
    course_badge: Mapped[bool] = mapped_column(server_default=false())

    user: Mapped[User] = relationship()
    course: Mapped[Course] = relationship()
    version: Mapped[CourseVersion] = relationship()


class AuditEvent(db.Model):
    """Something an author, admin or the system did that an auditor may ask about."""

    __tablename__ = "audit_event"
    # A person's own events (their data download, the log filtered by actor) and the
    # events about one record, each found by index.
    __table_args__ = (Index(None, "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()
