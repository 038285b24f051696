"""Messages to other systems (LRS statements, LMS scores), written with what they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from course.db import UTCDateTime, utcnow
from course.extensions import db


class OutboxMessage(db.Model):
    """One message waiting for, or done with, delivery by the outbox worker.

    Written in the same transaction as the record it describes, so a message exists
    exactly when its record does; the worker sends it later, off every request path.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index(None, "channel", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "xapi" (a statement for the LRS) or "lti" (a score for a platform's line item).
    channel: Mapped[str] = mapped_column(String(16))
    #: A UUID made before sending: the xAPI statement id, or the score's own id. Sending
    #: the same message again is harmless, so a crash mid-send never duplicates it.
    message_id: Mapped[str] = mapped_column(String(36), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: What the message is about when a later one must find it, e.g. the statement that
    #: a certificate was earned ("certificate:<code>"), which its revocation voids.
    subject_key: Mapped[str | None] = mapped_column(String(100), index=True)
    #: For "xapi": the learner the statement is about, so their data download and their
    #: account's deletion find their statements by index instead of reading every payload.
    #: The account row outlives deletion (pseudonymised, same id). None for the provider's
    #: own statements (a voiding) and for "lti".
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: For "lti": where the score goes. Indexed: before sending a score, the worker asks
    #: whether a newer one for the same target went out already.
    grade_target_id: Mapped[int | None] = mapped_column(
        ForeignKey("lti_grade_target.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    #: Tries the receiver refused as a message it will never take (an LRS's 400 or 422);
    #: the worker stops trying it after a few. Indexed: `outbox status` finds the few
    #: refused messages without reading every delivered one.
    refusals: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    #: Not before this time; a worker that claims the message pushes it ahead (a lease).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Delivered, or settled without sending (``last_error`` says why; with ``refusals``,
    #: refused by the receiver). `privacy purge` removes delivered and refused messages
    #: after OUTBOX_DELIVERED_RETENTION_DAYS (course.privacy).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)

    @hybrid_property
    def refused(self) -> bool:
        """Settled as refused by the receiver: never delivered, and not tried again."""
        return self.sent_at is not None and self.refusals > 0

    @refused.inplace.expression
    @classmethod
    def _refused_expression(cls) -> ColumnElement[bool]:
        return cls.sent_at.is_not(None) & (cls.refusals > 0)
