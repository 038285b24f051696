"""What the public verification page may say about a certificate's code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

import certificates
from certificates.pdf_check import fingerprint, named_code
from course.admin.certificate_services import replaced_by_this
from course.extensions import db
from course.models import Certificate


@dataclass(frozen=True)
class Verification:
    """What the public verification page may say about a code."""

    code: str
    status: str  # "valid", "revoked", "superseded", "unknown" or "specimen"
    certificate: Certificate | None
    #: When the certificate that followed this one was issued: the corrected one that
    #: replaced it, or the one that reinstated its completion after a revocation.
    replaced_at: datetime | None = None
    #: For such a certificate, the status of the newest one in its line ("valid" or
    #: "revoked"): whether the completion is still certified.
    current_status: str | None = None
    #: For a certificate that followed another, that one's status: "revoked" when this
    #: one reinstated its completion, "superseded" when this one corrected it.
    follows: str | None = None
    #: The name this certificate prints was changed on a later one for the same
    #: completion: the page withholds it, since a corrected name (after a transition, or
    #: to leave an abusive partner's) must not stay public under the old code.
    name_withheld: bool = False


def verify_code(text: str) -> Verification | None:
    """Look up a typed or scanned code; None when it is malformed (typo caught offline)."""
    code = certificates.normalize_code(text)
    if code is None:
        return None
    if code == certificates.SPECIMEN_CODE:  # printed on audit packs' specimens; never issued
        return Verification(code=code, status="specimen", certificate=None)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    status = certificate.status.value if certificate else "unknown"
    replaced_at, newest = _replacement(certificate) if certificate else (None, None)
    # A board handed this code after being told "revoked" for the old one sees an issue
    # date later than the completion: the page says why, without naming the old code.
    earlier = replaced_by_this(certificate) if certificate else None
    follows = earlier.status.value if earlier is not None else None
    renamed = newest is not None and _names_differ(certificate, newest)
    return Verification(code=code, status=status, certificate=certificate,
                        replaced_at=replaced_at,
                        current_status=newest.status.value if newest else None,
                        follows=follows,
                        name_withheld=renamed)  # fmt: skip


def _names_differ(certificate: Certificate, newest: Certificate) -> bool:
    return certificate.snapshot["participant_name"] != newest.snapshot["participant_name"]


def _replacement(certificate: Certificate) -> tuple[datetime | None, Certificate | None]:
    """When a certificate was followed by another, and the newest certificate in its line.

    A reissue supersedes a certificate; a reinstatement follows a revoked one, which
    stays revoked. Both point to the new certificate the same way.
    """
    if certificate.superseded_by_id is None:
        return None, None
    first = newest = db.session.get(Certificate, certificate.superseded_by_id)
    while newest.superseded_by_id is not None:  # a second correction replaces the first
        newest = db.session.get(Certificate, newest.superseded_by_id)
    return first.issued_at, newest


@dataclass(frozen=True)
class FileCheck:
    """What the verification page may say about an uploaded certificate PDF."""

    #: The certificate this file is, byte for byte, with its status; None when none.
    found: Verification | None
    #: When it matches none: the code its verification link names, if that can be read.
    named_code: str | None = None


def check_pdf(data: bytes) -> FileCheck:
    """Find the certificate whose issued PDF is exactly this file."""
    code = db.session.scalar(
        select(Certificate.code).where(Certificate.pdf_sha256 == fingerprint(data)).limit(1)
    )
    if code is None:
        return FileCheck(found=None, named_code=named_code(data))
    return FileCheck(found=verify_code(code))
