"""Signing keys and the status-list bit of each certificate's credential."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from course.db import UTCDateTime, utcnow
from course.extensions import db
from course.models.records import Certificate


class SigningKey(db.Model):
    """A private key the site signs with: credentials (Ed25519) or LTI messages (RSA).

    Kept in the database so that ``db backup`` carries it. A rotated key is retired,
    never deleted: its public half stays published, so what it signed still verifies.
    """

    __tablename__ = "signing_key"
    __table_args__ = (
        # One current key per purpose.
        Index(
            "uq_signing_key_current",
            "purpose",
            unique=True,
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "credential" (Ed25519, Open Badges) or "lti" (RSA, LTI 1.3 messages).
    purpose: Mapped[str] = mapped_column(String(20))
    #: The key's public name: its Multikey (credentials) or JWK thumbprint (LTI).
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    #: PKCS#8 PEM, unencrypted: protect the database and its backups as you would the key.
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CredentialStatus(db.Model):
    """Where a certificate's revocation bit sits in a published Bitstring Status List."""

    __tablename__ = "credential_status"
    __table_args__ = (UniqueConstraint("list_number", "list_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), unique=True
    )
    list_number: Mapped[int]
    #: A random free position, so neighbouring bits say nothing about issue order.
    list_index: Mapped[int]

    certificate: Mapped[Certificate] = relationship()
