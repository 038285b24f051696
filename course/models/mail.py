"""Email waiting to go out: the outbox the mail sender drains."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from course.db import UTCDateTime, utcnow
from course.extensions import db

#: Letters a person reads back without doubt (no i, l, o or u): 32 of them, 5 bits each.
_TOKEN_LETTERS = "0123456789abcdefghjkmnpqrstvwxyz"


def mail_token() -> str:
    """A new message's reference, such as ``k3m9-x2p7-q4hd``: 60 random bits.

    It names the message in the log, in ``flask mail`` and as its Message-ID, and says
    nothing of how many messages the site sent or when (the row id and queue time did).
    """
    letters = "".join(secrets.choice(_TOKEN_LETTERS) for _ in range(12))
    return "-".join(letters[i:i + 4] for i in range(0, 12, 4))


class OutgoingMail(db.Model):
    """One message queued for SMTP; the row goes once the server accepted it, and stays,
    marked failed, when the server refused it for good."""

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
    #: The message's reference: the log's name for it and its Message-ID, the same on
    #: every try. Rows queued before it existed kept their old ``<id>-<time>`` form.
    token: Mapped[str] = mapped_column(String(40), default=mail_token)
    #: When the server refused it for good, or its last retry failed: no longer sent, kept
    #: so the operator sees what never went (``flask mail status``), and removed
    #: ``MAIL_FAILED_RETENTION_DAYS`` later.
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: When the operator said they had seen the failure: ``mail status --check`` and
    #: ``mail send`` stop calling for attention.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
