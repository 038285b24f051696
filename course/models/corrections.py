"""Requests from learners to correct what their certificate says about them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.records import Certificate
from course.models.users import User


def _values(e: type[enum.Enum]) -> list[str]:
    return [m.value for m in e]


class CorrectionKind(enum.StrEnum):
    """What the learner says is wrong."""

    NAME = "name"
    LICENSE = "license"
    OTHER = "other"


class CorrectionStatus(enum.StrEnum):
    """Open until an admin makes the correction (done) or explains why not (declined)."""

    OPEN = "open"
    DONE = "done"
    DECLINED = "declined"


class CorrectionRequest(db.Model):
    """A learner's request to correct their name, license or another detail of a certificate."""

    __tablename__ = "correction_request"
    __table_args__ = (
        # One open request per certificate: a second click or tab adds nothing.
        Index(
            "uq_correction_request_open",
            "certificate_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_correction_request_status_created_at", "status", "created_at"),
        CheckConstraint("kind IN ('name', 'license', 'other')", name="kind"),
        CheckConstraint("status IN ('open', 'done', 'declined')", name="status"),
        CheckConstraint(
            "(status = 'open') = (resolved_at IS NULL)", name="resolved_when_closed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id"), index=True)
    kind: Mapped[CorrectionKind] = mapped_column(
        Enum(CorrectionKind, native_enum=False, length=16, values_callable=_values)
    )
    #: What the learner says it should read, e.g. the name as it should be printed.
    requested_value: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    status: Mapped[CorrectionStatus] = mapped_column(
        Enum(CorrectionStatus, native_enum=False, length=16, values_callable=_values),
        default=CorrectionStatus.OPEN,
    )
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: What the admin did or why they declined; the learner reads it.
    resolution_note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    certificate: Mapped[Certificate] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    def __repr__(self) -> str:
        return f"<CorrectionRequest {self.id} {self.kind.value} {self.status.value}>"
