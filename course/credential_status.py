"""Each certificate's bit in a Bitstring Status List, given once at random."""

from __future__ import annotations

import secrets

from sqlalchemy import func, select

import certificates
from course.dbutil import insert_ignoring_duplicates
from course.extensions import db
from course.models import Certificate, CredentialStatus

#: A list is filled to half before the next one starts, so a random free bit is
#: found in a try or two and each list still hides its members among many bits.
LIST_FILL = certificates.LIST_SIZE // 2


def _current_list() -> int:
    number = db.session.scalar(select(func.max(CredentialStatus.list_number))) or 1
    used = db.session.scalar(
        select(func.count()).where(CredentialStatus.list_number == number)
    )
    return number + 1 if used >= LIST_FILL else number


def allocate_status(certificate: Certificate) -> CredentialStatus:
    """Give a certificate its random bit in the current status list; flushes."""
    for _ in range(50):
        existing = db.session.scalar(
            select(CredentialStatus).where(CredentialStatus.certificate_id == certificate.id)
        )
        if existing is not None:
            return existing
        number = _current_list()
        index = secrets.randbelow(certificates.LIST_SIZE)
        # A taken bit, or another request allocating for this certificate, inserts nothing.
        insert_ignoring_duplicates(
            CredentialStatus,
            {"certificate_id": certificate.id, "list_number": number, "list_index": index},
        )
    raise RuntimeError("no free status-list bit found")  # pragma: no cover
