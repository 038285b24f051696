"""Email waiting to go out: the outbox the mail sender drains."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from course.db import UTCDateTime, utcnow
from course.extensions import db


class OutgoingMail(db.Model):
    """One message queued for SMTP; the row goes once the server accepted it."""

    __tablename__ = "outgoing_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Delivery attempts started so far.
    attempts: Mapped[int] = mapped_column(default=0)
    #: When the sender may try (again); a failed attempt moves it later.
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    #: While set and in the future, one sender is delivering it and the others keep off.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: The certificate the message announces: its stored PDF is attached when it is sent
    #: (not copied here), and a message whose certificate is no longer valid is dropped.
    certificate_code: Mapped[str | None] = mapped_column(String(64))
